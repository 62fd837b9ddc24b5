#pragma once
// ConfusionMatrixView: a K × K count matrix painted as a heat map with the counts in the cells
// (rows: given label, columns: predicted label). Qt Charts has no heat map series, so this is a
// small painted widget; grab() exports it like a chart. The counts keep showing in small cells
// (1280 × 720 with ten classes): the cell font shrinks to the widest count (not below 6 pt),
// then counts of 1,000 and more are written short ("5.8k").

#include <QFont>
#include <QRectF>
#include <QStringList>
#include <QWidget>

#include <vector>

namespace labelscope::ui {

class ConfusionMatrixView : public QWidget {
    Q_OBJECT
public:
    explicit ConfusionMatrixView(QWidget *parent = nullptr);

    /// COUNTS row-major [K, K] (row = given, column = predicted); NAMES [K].
    void setMatrix(const QStringList &names, std::vector<qint64> counts);
    qint64 count(int given, int predicted) const;
    int classCount() const { return int(m_names.size()); }

    /// The cell's rectangle for the current size (empty when nothing is painted).
    QRectF cellRect(int given, int predicted) const;
    /// The font the counts are painted in, and the text painted in a cell ("" when even the
    /// short form does not fit).
    QFont numberFont() const;
    QString cellText(int given, int predicted) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return {320, 260}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    struct Geometry {
        int top = 0, left = 0, labelW = 0;
        double cw = 0, ch = 0;
    };
    Geometry geometry() const;
    QString textFor(int given, int predicted, const QFont &font) const;

    QStringList m_names;
    std::vector<qint64> m_counts;
};

} // namespace labelscope::ui
