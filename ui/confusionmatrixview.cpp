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

ConfusionMatrixView::Geometry ConfusionMatrixView::geometry() const
{
    Geometry g;
    const int k = classCount();
    if (k == 0)
        return g;
    const QFontMetrics fm(font());
    for (const QString &n : m_names)
        g.labelW = std::max(g.labelW, fm.horizontalAdvance(n));
    g.labelW = std::min(g.labelW + 8, width() / 3);
    g.top = fm.height() * 2 + 6;
    g.left = g.labelW + fm.height() + 4;
    g.cw = double(width() - g.left - 6) / k;
    g.ch = double(height() - g.top - fm.height() - 10) / k;
    return g;
}

QRectF ConfusionMatrixView::cellRect(int given, int predicted) const
{
    const Geometry g = geometry();
    const int k = classCount();
    if (given < 0 || predicted < 0 || given >= k || predicted >= k || g.cw < 4 || g.ch < 4)
        return {};
    return {g.left + predicted * g.cw, g.top + given * g.ch, g.cw, g.ch};
}

QFont ConfusionMatrixView::numberFont() const
{
    QFont f = font();
    const Geometry g = geometry();
    qint64 widest = 0;
    for (qint64 v : m_counts)
        widest = std::max(widest, v);
    const QString sample = QString::number(widest);
    // Shrink in half points until the widest count fits its cell (with a pixel either side)
    // and a line fits its height.
    while (f.pointSizeF() > 6.0) {
        const QFontMetricsF fm(f);
        if (fm.horizontalAdvance(sample) <= g.cw - 2 && fm.height() <= g.ch)
            break;
        f.setPointSizeF(std::max(6.0, f.pointSizeF() - 0.5));
    }
    return f;
}

QString ConfusionMatrixView::cellText(int given, int predicted) const
{
    return textFor(given, predicted, numberFont());
}

QString ConfusionMatrixView::textFor(int given, int predicted, const QFont &font) const
{
    const QRectF cell = cellRect(given, predicted);
    if (cell.isEmpty())
        return {};
    const QFontMetricsF fm(font);
    const qint64 v = count(given, predicted);
    QString text = QString::number(v);
    if (fm.horizontalAdvance(text) > cell.width() - 2 && v >= 1000)
        text = v >= 1000000 ? QStringLiteral("%1M").arg(double(v) / 1e6, 0, 'f', v >= 10000000 ? 0 : 1)
                            : QStringLiteral("%1k").arg(double(v) / 1e3, 0, 'f', v >= 10000 ? 0 : 1);
    if (fm.horizontalAdvance(text) > cell.width() - 2 || fm.height() > cell.height())
        return {};
    return text;
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
    const Geometry geo = geometry();
    const int labelW = geo.labelW, top = geo.top, left = geo.left;
    const double cw = geo.cw, ch = geo.ch;
    if (cw < 4 || ch < 4)
        return;
    const QFont numbers = numberFont();
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
            p.setFont(numbers);
            p.drawText(cell, Qt::AlignCenter, textFor(r, c, numbers));
            p.setFont(font());
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
