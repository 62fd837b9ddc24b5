#pragma once
// ThumbnailDelegate: paints one gallery tile — the thumbnail (or a placeholder while it loads)
// framed by its category colour, and a caption with the current label and marks for relabelled
// (pencil, blue) and excluded (cross, greyed out) samples. paintTile() is shared with the
// per-class rows.

#include "base/category.h"

#include <QImage>
#include <QStyledItemDelegate>

namespace labelscope::ui {

struct TileInfo {
    QImage image;               ///< null while loading
    bool failed = false;        ///< the image could not be read
    Category category = Category::Unknown;
    QString caption;
    bool relabelled = false, excluded = false, selected = false, current = false;
    bool kept = false;          ///< reviewed, given label confirmed: a green check
};

class ThumbnailDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit ThumbnailDelegate(int thumbnailSide, QObject *parent = nullptr);

    void setThumbnailSide(int side) { m_side = side; }
    int thumbnailSide() const { return m_side; }
    /// The size of one tile for a given thumbnail side.
    static QSize tileSize(int side);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    /// Paints a tile into RECT (of tileSize()).
    static void paintTile(QPainter *painter, const QRect &rect, const TileInfo &tile,
                          const QPalette &palette, const QFont &font);

private:
    int m_side;
};

} // namespace labelscope::ui
