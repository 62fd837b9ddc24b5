#include "thumbnaildelegate.h"

#include "gallerymodel.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include <QFontMetrics>
#include <QPainter>

namespace labelscope::ui {

namespace {
constexpr int kMargin = 4;   // around the tile
constexpr int kBorder = 4;   // category frame
constexpr int kCaption = 18; // caption line

// The square frame of a tile in RECT (as paintTile() lays it out).
QRect frameRect(const QRect &rect)
{
    const QRect inner = rect.adjusted(kMargin, kMargin, -kMargin, -kMargin);
    return QRect(inner.left(), inner.top(), inner.width(), inner.width());
}
} // namespace

ThumbnailDelegate::ThumbnailDelegate(int thumbnailSide, QObject *parent)
    : QStyledItemDelegate(parent), m_side(thumbnailSide)
{
}

QSize ThumbnailDelegate::tileSize(int side)
{
    const int w = side + 2 * kBorder + 2 * kMargin;
    return {w, w + kCaption};
}

QSize ThumbnailDelegate::sizeHint(const QStyleOptionViewItem &, const QModelIndex &) const
{
    return tileSize(m_side);
}

void ThumbnailDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                              const QModelIndex &index) const
{
    TileInfo tile;
    tile.image = index.data(GalleryModel::ThumbnailRole).value<QImage>();
    tile.failed = tile.image.isNull()
        && index.data(GalleryModel::ThumbnailStateRole).toInt() == int(ThumbnailLoader::State::Failed);
    tile.category = Category(index.data(GalleryModel::CategoryRole).toInt());
    tile.caption = index.data(GalleryModel::CaptionRole).toString();
    tile.relabelled = index.data(GalleryModel::RelabelledRole).toBool();
    tile.excluded = index.data(GalleryModel::ExcludedRole).toBool();
    tile.kept = index.data(GalleryModel::KeptRole).toBool();
    tile.selected = option.state & QStyle::State_Selected;
    tile.current = option.state & QStyle::State_HasFocus;
    const QSize ts = tileSize(m_side);
    const QRect rect(option.rect.topLeft() + QPoint((option.rect.width() - ts.width()) / 2, 0), ts);
    paintTile(painter, rect, tile, option.palette, option.font);
    // A model colour (the active-learning pool's uncertainty ramp) replaces the category frame.
    const QColor frameColor = index.data(GalleryModel::FrameColorRole).value<QColor>();
    if (frameColor.isValid()) {
        const QRect frame = frameRect(rect);
        painter->save();
        painter->fillRect(QRect(frame.left(), frame.top(), frame.width(), kBorder), frameColor);
        painter->fillRect(QRect(frame.left(), frame.bottom() - kBorder + 1, frame.width(), kBorder), frameColor);
        painter->fillRect(QRect(frame.left(), frame.top(), kBorder, frame.height()), frameColor);
        painter->fillRect(QRect(frame.right() - kBorder + 1, frame.top(), kBorder, frame.height()), frameColor);
        painter->restore();
    }
}

void ThumbnailDelegate::paintTile(QPainter *painter, const QRect &rect, const TileInfo &tile,
                                  const QPalette &palette, const QFont &font)
{
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, false);
    const QRect inner = rect.adjusted(kMargin, kMargin, -kMargin, -kMargin);
    if (tile.selected || tile.current) {
        QColor bg = palette.color(QPalette::Highlight);
        bg.setAlpha(tile.selected ? 110 : 45);
        painter->fillRect(rect.adjusted(1, 1, -1, -1), bg);
    }
    // The category frame around a square image box.
    const int side = inner.width();
    const QRect frame(inner.left(), inner.top(), side, side);
    painter->fillRect(frame, categoryColor(tile.category));
    const QRect box = frame.adjusted(kBorder, kBorder, -kBorder, -kBorder);
    painter->fillRect(box, QColor(0x20, 0x20, 0x20));
    if (!tile.image.isNull()) {
        QImage img = tile.image;
        if (img.width() > box.width() || img.height() > box.height())
            img = img.scaled(box.size(), Qt::KeepAspectRatio, Qt::SmoothTransformation);
        const QPoint at(box.left() + (box.width() - img.width()) / 2,
                        box.top() + (box.height() - img.height()) / 2);
        painter->drawImage(at, img);
    } else {
        painter->fillRect(box, QColor(0x3a, 0x3a, 0x3a));
        painter->setPen(QColor(0xb0, 0xb0, 0xb0));
        painter->setFont(font);
        painter->drawText(box, Qt::AlignCenter,
                          tile.failed ? QStringLiteral("unreadable") : QStringLiteral("\u2026"));
    }
    if (tile.excluded) {
        painter->fillRect(box, QColor(255, 255, 255, 150));
        painter->setPen(QPen(QColor(0x60, 0x60, 0x60), 2));
        painter->setRenderHint(QPainter::Antialiasing, true);
        painter->drawLine(box.topLeft(), box.bottomRight());
        painter->drawLine(box.topRight(), box.bottomLeft());
        painter->setRenderHint(QPainter::Antialiasing, false);
    }
    if (tile.relabelled) {
        // A blue corner flag marks a changed label.
        const int f = std::max(10, side / 6);
        const QPoint tr = frame.topRight() + QPoint(1, 0);
        const QPolygon tri({tr, tr - QPoint(f, 0), tr + QPoint(0, f)});
        painter->setPen(Qt::NoPen);
        painter->setBrush(QColor(0x1f, 0x5f, 0xd7));
        painter->drawPolygon(tri);
    }
    if (tile.kept) {
        // A green check in the top-left corner: the given label was confirmed.
        const int f = std::max(10, side / 5);
        const QRect badge(frame.left(), frame.top(), f, f);
        painter->setRenderHint(QPainter::Antialiasing, true);
        painter->setPen(Qt::NoPen);
        painter->setBrush(QColor(0x2e, 0x9e, 0x44));
        painter->drawEllipse(badge);
        painter->setPen(QPen(Qt::white, std::max(1.5, f / 7.0), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        painter->drawPolyline(QPolygonF({QPointF(badge.left() + f * 0.25, badge.top() + f * 0.52),
                                         QPointF(badge.left() + f * 0.43, badge.top() + f * 0.70),
                                         QPointF(badge.left() + f * 0.76, badge.top() + f * 0.32)}));
        painter->setRenderHint(QPainter::Antialiasing, false);
    }
    // Caption.
    QFont f = font;
    f.setPointSizeF(std::max(7.0, f.pointSizeF() * 0.9));
    f.setBold(tile.relabelled);
    f.setStrikeOut(tile.excluded);
    painter->setFont(f);
    const QRect textRect(inner.left(), frame.bottom() + 2, inner.width(), kCaption - 2);
    QColor textColor = palette.color(QPalette::Text); // the highlight is translucent: keep dark text
    if (tile.relabelled)
        textColor = QColor(0x1f, 0x5f, 0xd7);
    if (tile.excluded)
        textColor = palette.color(QPalette::Disabled, QPalette::Text);
    painter->setPen(textColor);
    const QString text = QFontMetrics(f).elidedText(tile.caption, Qt::ElideRight, textRect.width());
    painter->drawText(textRect, Qt::AlignHCenter | Qt::AlignTop, text);
    painter->restore();
}

} // namespace labelscope::ui
