#include "confusionmatrixview.h"

#include <QFontMetrics>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

ConfusionMatrixView::ConfusionMatrixView(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("confusionMatrix"));
    setAutoFillBackground(true);
    QPalette pal = palette();
    pal.setColor(QPalette::Window, Qt::white);
    setPalette(pal);
}

void ConfusionMatrixView::setMatrix(const QStringList &names, std::vector<qint64> counts)
{
    m_names = names;
    m_counts = std::move(counts);
    if (m_counts.size() != std::size_t(m_names.size()) * std::size_t(m_names.size()))
        m_counts.assign(std::size_t(m_names.size()) * std::size_t(m_names.size()), 0);
    updateGeometry();
    update();
}

qint64 ConfusionMatrixView::count(int given, int predicted) const
{
    const int k = classCount();
    if (given < 0 || predicted < 0 || given >= k || predicted >= k)
        return 0;
    return m_counts[std::size_t(given) * k + predicted];
}

QSize ConfusionMatrixView::sizeHint() const
{
    const int k = std::max(1, classCount());
    return {std::max(360, 120 + 40 * k), std::max(320, 120 + 34 * k)};
}

void ConfusionMatrixView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    const int k = classCount();
    const QFontMetrics fm(font());
    if (k == 0) {
        p.drawText(rect(), Qt::AlignCenter, tr("No predictions yet (run an analysis)."));
        return;
    }
    int labelW = 0;
    for (const QString &n : m_names)
        labelW = std::max(labelW, fm.horizontalAdvance(n));
    labelW = std::min(labelW + 8, width() / 3);
    const int top = fm.height() * 2 + 6, left = labelW + fm.height() + 4;
    const double cw = double(width() - left - 6) / k, ch = double(height() - top - fm.height() - 10) / k;
    if (cw < 4 || ch < 4)
        return;
    // Colour by the share of the row (the given class), so small classes read as well as big ones.
    for (int r = 0; r < k; ++r) {
        qint64 rowSum = 0;
        for (int c = 0; c < k; ++c)
            rowSum += count(r, c);
        for (int c = 0; c < k; ++c) {
            const qint64 v = count(r, c);
            const double share = rowSum > 0 ? double(v) / double(rowSum) : 0.0;
            const QRectF cell(left + c * cw, top + r * ch, cw, ch);
            const QColor base = r == c ? QColor(46, 158, 68) : QColor(215, 48, 31);
            const double t = std::sqrt(share); // lift the small off-diagonal shares into view
            p.fillRect(cell, QColor::fromRgbF(1.0 - t * (1.0 - base.redF()), 1.0 - t * (1.0 - base.greenF()),
                                              1.0 - t * (1.0 - base.blueF())));
            p.setPen(QColor(220, 220, 220));
            p.drawRect(cell);
            p.setPen(t > 0.6 ? Qt::white : Qt::black);
            if (fm.horizontalAdvance(QString::number(v)) < cw - 2)
                p.drawText(cell, Qt::AlignCenter, QString::number(v));
        }
    }
    p.setPen(Qt::black);
    for (int i = 0; i < k; ++i) {
        const QRectF rowLabel(fm.height() + 2, top + i * ch, labelW - 4, ch);
        p.drawText(rowLabel, Qt::AlignRight | Qt::AlignVCenter, fm.elidedText(m_names[i], Qt::ElideRight, labelW - 4));
        const QRectF colLabel(left + i * cw, top - fm.height() - 2, cw, fm.height());
        p.drawText(colLabel, Qt::AlignCenter, fm.elidedText(m_names[i], Qt::ElideRight, int(cw) - 2));
    }
    p.drawText(QRectF(left, 0, width() - left, fm.height() + 2), Qt::AlignCenter, tr("Predicted label"));
    p.save();
    p.translate(fm.height() * 0.9, top + k * ch / 2);
    p.rotate(-90);
    p.drawText(QRectF(-k * ch / 2, -fm.height(), k * ch, fm.height() + 2), Qt::AlignCenter, tr("Given label"));
    p.restore();
}

} // namespace labelscope::ui
