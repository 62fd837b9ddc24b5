#include "confidentjointview.h"

#include "reviewsession.h"
#include "uicommon.h"

#include "base/confidentlearning.h"

#include <QHelpEvent>
#include <QJsonArray>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>

namespace labelscope::ui {

namespace {
constexpr int kMargin = 8;
constexpr int kNoiseWidth = 96;

QColor mix(const QColor &a, const QColor &b, double t)
{
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t),
                            float(a.greenF() + (b.greenF() - a.greenF()) * t),
                            float(a.blueF() + (b.blueF() - a.blueF()) * t));
}
} // namespace

ConfidentJointView::ConfidentJointView(ReviewSession *session, QWidget *parent)
    : QWidget(parent), m_session(session)
{
    setObjectName(QStringLiteral("confidentJointView"));
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    connect(m_session, &ReviewSession::reloaded, this, &ConfidentJointView::refresh);
    refresh();
}

void ConfidentJointView::refresh()
{
    m_k = 0;
    m_names.clear();
    m_joint.clear();
    m_pairs.clear();
    m_noise.clear();
    m_issues = -1;
    m_source.clear();
    m_message.clear();
    m_hoverGiven = m_hoverTrue = -1;
    const std::optional<RunInfo> &run = m_session->run();
    if (!m_session->isOpen()) {
        m_message = tr("No project is open.");
    } else if (!run) {
        m_message = tr("No analysis run yet. Run File \u203A New analysis (or `labelscope analyze`) "
                       "to see the confident joint.");
    } else {
        const QStringList &classes = m_session->classes();
        const int k = int(classes.size());
        const QJsonObject cl = run->summary.value(QStringLiteral("confident_learning")).toObject();
        const QJsonArray joint = cl.value(QStringLiteral("confident_joint")).toArray();
        if (k >= 2 && joint.size() == k * k) {
            m_joint.reserve(std::size_t(k * k));
            for (const QJsonValue &v : joint)
                m_joint.push_back(qint64(v.toDouble()));
            m_issues = cl.value(QStringLiteral("num_label_issues")).toInteger(-1);
            m_source = QStringLiteral("summary");
        } else if (k >= 2) {
            // No joint in the summary: recompute it from the stored out-of-sample pred_probs.
            OutOfSamplePredProbs oos;
            if (m_session->store()->outOfSamplePredProbs(m_session->runId(), &oos) && oos.numClasses == k
                && !oos.sampleIds.empty()) {
                std::vector<int> labels;
                std::vector<double> probs;
                labels.reserve(oos.sampleIds.size());
                probs.reserve(oos.probs.size());
                for (std::size_t i = 0; i < oos.sampleIds.size(); ++i) {
                    const int idx = m_session->indexOf(oos.sampleIds[i]);
                    const int label = idx >= 0 ? m_session->row(idx).givenLabel : -1;
                    if (label < 0 || label >= k)
                        continue;
                    labels.push_back(label);
                    // Renormalise in double, as cleanlab's astype(float64) of softmax rows.
                    double sum = 0.0;
                    for (int c = 0; c < k; ++c)
                        sum += double(oos.probs[i * std::size_t(k) + std::size_t(c)]);
                    for (int c = 0; c < k; ++c)
                        probs.push_back(sum > 0 ? std::clamp(double(oos.probs[i * std::size_t(k) + std::size_t(c)]) / sum, 0.0, 1.0)
                                                : 1.0 / k);
                }
                const LabelIssuesResult res = findLabelIssues(labels, probs, k);
                if (res.ok() && res.confidentJoint.size() == std::size_t(k * k)) {
                    m_joint.assign(res.confidentJoint.begin(), res.confidentJoint.end());
                    m_issues = res.numLabelIssues;
                    m_source = QStringLiteral("pred_probs");
                } else {
                    m_message = tr("The out-of-sample pred_probs of run %1 could not be used: %2")
                                    .arg(m_session->runId())
                                    .arg(res.error);
                }
            }
            if (m_joint.empty() && m_message.isEmpty())
                m_message = tr("Run %1 has no Confident Learning results. Analyse again with method "
                               "\u201call\u201d or \u201cconfident-learning\u201d "
                               "(`labelscope analyze --method all`).")
                                .arg(m_session->runId());
        } else {
            m_message = tr("The project has fewer than two classes.");
        }
        if (!m_joint.empty()) {
            m_k = k;
            m_names = classes;
            m_message.clear();
            // The calibration (cleanlab calibrate_confident_joint) scales each row of the joint
            // to the class's label count, so the off-diagonal share of a calibrated row equals
            // that of the raw row (up to the integer rounding of the calibrated counts).
            m_noise.assign(std::size_t(k), std::numeric_limits<double>::quiet_NaN());
            for (int g = 0; g < k; ++g) {
                qint64 row = 0;
                for (int t = 0; t < k; ++t)
                    row += m_joint[std::size_t(g * k + t)];
                if (row > 0)
                    m_noise[std::size_t(g)] = 1.0 - double(m_joint[std::size_t(g * k + g)]) / double(row);
            }
            m_pairs.assign(std::size_t(k * k), 0);
            for (int i = 0; i < m_session->count(); ++i) {
                const SampleScore *s = m_session->score(i);
                const int g = m_session->row(i).givenLabel;
                if (s && g >= 0 && g < k && s->suggestedLabel >= 0 && s->suggestedLabel < k)
                    ++m_pairs[std::size_t(g * k + s->suggestedLabel)];
            }
        }
    }
    layoutCells();
    updateGeometry();
    update();
    Q_EMIT refreshed();
}

qint64 ConfidentJointView::count(int given, int likelyTrue) const
{
    if (given < 0 || likelyTrue < 0 || given >= m_k || likelyTrue >= m_k)
        return 0;
    return m_joint[std::size_t(given * m_k + likelyTrue)];
}

double ConfidentJointView::noiseRate(int k) const
{
    return k >= 0 && k < m_k ? m_noise[std::size_t(k)] : std::numeric_limits<double>::quiet_NaN();
}

qint64 ConfidentJointView::pairCount(int given, int suggested) const
{
    if (given < 0 || suggested < 0 || given >= m_k || suggested >= m_k)
        return 0;
    return m_pairs[std::size_t(given * m_k + suggested)];
}

QSize ConfidentJointView::sizeForCell(int cell) const
{
    const QFontMetrics fm(font());
    int nameW = 0;
    for (const QString &n : m_names)
        nameW = std::max(nameW, fm.horizontalAdvance(n));
    // The same parts as layoutCells(), plus a line below the grid.
    return {kMargin + fm.height() + 6 + nameW + 8 + m_k * cell + 10 + kNoiseWidth + kMargin,
            kMargin + fm.height() * 3 + 10 + nameW + 6 + m_k * cell + fm.height() + 8 + kMargin};
}

QSize ConfidentJointView::sizeHint() const
{
    return m_k == 0 ? QSize(520, 300) : sizeForCell(56);
}

QSize ConfidentJointView::minimumSizeHint() const
{
    return m_k == 0 ? QSize(360, 300) : sizeForCell(18).expandedTo(QSize(360, 300));
}

void ConfidentJointView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    layoutCells();
}

void ConfidentJointView::layoutCells()
{
    m_geo = {};
    if (m_k == 0)
        return;
    const QFontMetrics fm(font());
    int nameW = 0;
    for (const QString &n : m_names)
        nameW = std::max(nameW, fm.horizontalAdvance(n));
    // Title (2 lines), axis title, rotated column names; row axis title and names on the left.
    const int top = kMargin + fm.height() * 2 + 6 + fm.height() + 4 + nameW + 6;
    const int left = kMargin + fm.height() + 6 + nameW + 8;
    const int availW = width() - left - kNoiseWidth - kMargin;
    const int availH = height() - top - kMargin;
    const int cell = std::clamp(std::min(availW, availH) / m_k, 18, 90);
    m_geo.left = left;
    m_geo.top = top;
    m_geo.cell = cell;
    m_geo.noiseLeft = left + cell * m_k + 10;
}

QRect ConfidentJointView::cellRect(int given, int likelyTrue) const
{
    if (m_k == 0 || given < 0 || likelyTrue < 0 || given >= m_k || likelyTrue >= m_k)
        return {};
    return {m_geo.left + likelyTrue * m_geo.cell, m_geo.top + given * m_geo.cell, m_geo.cell, m_geo.cell};
}

bool ConfidentJointView::cellAt(const QPoint &pos, int *given, int *likelyTrue) const
{
    if (m_k == 0 || m_geo.cell <= 0)
        return false;
    const int x = pos.x() - m_geo.left, y = pos.y() - m_geo.top;
    if (x < 0 || y < 0)
        return false;
    const int t = x / m_geo.cell, g = y / m_geo.cell;
    if (t >= m_k || g >= m_k)
        return false;
    *given = g;
    *likelyTrue = t;
    return true;
}

QString ConfidentJointView::cellText(int given, int suggested) const
{
    const qint64 n = pairCount(given, suggested);
    return n > 0 || m_geo.cell >= 30 ? QLocale().toString(n) : QString();
}

QString ConfidentJointView::cellToolTip(int g, int t) const
{
    const qint64 n = pairCount(g, t);
    QString tip = g == t ? tr("%L1 samples of %2 whose suggested label is the given one").arg(n).arg(m_names.value(g))
                         : tr("%L1 samples given %2 whose suggested label is %3")
                               .arg(n)
                               .arg(m_names.value(g), m_names.value(t));
    tip += QLatin1Char('\n') + tr("Click: show them in the gallery (every other filter is cleared)");
    tip += QLatin1Char('\n')
        + tr("Confident joint: %L1 of them pass class %2's confidence threshold").arg(count(g, t)).arg(m_names.value(t));
    return tip;
}

void ConfidentJointView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().text().color());
    const QFontMetrics fm(font());
    if (m_k == 0) {
        p.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap, m_message);
        return;
    }
    const int k = m_k, cell = m_geo.cell;
    // Title.
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRect(kMargin, kMargin, width() - 2 * kMargin, fm.height()), Qt::AlignLeft,
               tr("Confident joint of run %1 (Confident Learning)").arg(m_session->runId()));
    p.setFont(font());
    QString sub = tr("Rows: given label, columns: suggested label; samples per cell. ");
    if (m_issues >= 0)
        sub += tr("%L1 label issues flagged. ").arg(m_issues);
    sub += tr("Click a cell to show those samples in the gallery; noise rates from the confident joint.");
    p.drawText(QRect(kMargin, kMargin + fm.height() + 2, width() - 2 * kMargin, fm.height()), Qt::AlignLeft, sub);

    // Axis titles.
    const int gridW = cell * k, gridH = cell * k;
    const int axisTop = kMargin + fm.height() * 2 + 6;
    p.setFont(bold);
    p.drawText(QRect(m_geo.left, axisTop, gridW, fm.height()), Qt::AlignHCenter, tr("suggested (likely true) label"));
    p.save();
    p.translate(kMargin, m_geo.top + gridH / 2);
    p.rotate(-90);
    p.drawText(QRect(-gridH / 2, 0, gridH, fm.height()), Qt::AlignHCenter, tr("given label"));
    p.restore();
    p.drawText(QRect(m_geo.noiseLeft, m_geo.top - fm.height() - 4, kNoiseWidth, fm.height()), Qt::AlignLeft,
               tr("noise rate"));
    p.setFont(font());

    // Column names, rotated; row names right-aligned.
    for (int t = 0; t < k; ++t) {
        p.save();
        p.translate(m_geo.left + t * cell + cell / 2 + fm.ascent() / 2 - 1, m_geo.top - 6);
        p.rotate(-90);
        p.setPen(t == m_hoverTrue ? QColor(0x1f, 0x5f, 0xd7) : palette().text().color());
        p.drawText(0, 0, m_names.at(t));
        p.restore();
    }
    for (int g = 0; g < k; ++g) {
        p.setPen(g == m_hoverGiven ? QColor(0x1f, 0x5f, 0xd7) : palette().text().color());
        p.drawText(QRect(kMargin + fm.height() + 6, m_geo.top + g * cell, m_geo.left - 8 - (kMargin + fm.height() + 6), cell),
                   Qt::AlignRight | Qt::AlignVCenter, m_names.at(g));
    }

    // Cells (samples per given × suggested pair, what a click shows): the diagonal on a blue
    // scale, the off-diagonal (label issues) on a red scale with a square-root mapping so that
    // small counts stay visible next to large ones.
    qint64 maxDiag = 1, maxOff = 1;
    for (int g = 0; g < k; ++g)
        for (int t = 0; t < k; ++t)
            (g == t ? maxDiag : maxOff) = std::max(g == t ? maxDiag : maxOff, pairCount(g, t));
    QFont cellFont = font();
    cellFont.setPointSizeF(std::max(6.0, std::min(cellFont.pointSizeF(), cell / 4.2)));
    p.setFont(cellFont);
    const QColor white(0xff, 0xff, 0xff), blue(0x1f, 0x5f, 0xd7), red(0xd7, 0x30, 0x1f);
    for (int g = 0; g < k; ++g) {
        for (int t = 0; t < k; ++t) {
            const QRect r = cellRect(g, t);
            const qint64 c = pairCount(g, t);
            const double v = g == t ? double(c) / double(maxDiag) : std::sqrt(double(c) / double(maxOff));
            const QColor fill = c == 0 ? QColor(0xf4, 0xf4, 0xf4) : mix(white, g == t ? blue : red, 0.12 + 0.88 * v);
            p.fillRect(r, fill);
            p.setPen(QColor(0xd0, 0xd0, 0xd0));
            p.drawRect(r.adjusted(0, 0, -1, -1));
            p.setPen(fill.lightnessF() < 0.55 ? white : QColor(0x20, 0x20, 0x20));
            p.drawText(r, Qt::AlignCenter, cellText(g, t));
        }
    }
    if (m_hoverGiven >= 0) {
        p.setPen(QPen(QColor(0x10, 0x10, 0x10), 2));
        p.drawRect(cellRect(m_hoverGiven, m_hoverTrue).adjusted(1, 1, -1, -1));
    }
    p.setFont(font());

    // Noise rate per class: a bar and the figure.
    double maxNoise = 0.0;
    for (double v : m_noise)
        if (std::isfinite(v))
            maxNoise = std::max(maxNoise, v);
    for (int g = 0; g < k; ++g) {
        const double v = m_noise[std::size_t(g)];
        const QRect row(m_geo.noiseLeft, m_geo.top + g * cell, kNoiseWidth, cell);
        if (!std::isfinite(v)) {
            p.setPen(palette().text().color());
            p.drawText(row, Qt::AlignLeft | Qt::AlignVCenter, tr("\u2014"));
            continue;
        }
        const int barMax = kNoiseWidth - fm.horizontalAdvance(QStringLiteral("100.0 %")) - 8;
        const int barW = maxNoise > 0 ? int(std::lround(barMax * v / std::max(maxNoise, 0.05))) : 0;
        const int barH = std::max(4, cell / 4);
        p.fillRect(QRect(row.left(), row.center().y() - barH / 2, barW, barH), red.lighter(130));
        p.setPen(palette().text().color());
        p.drawText(QRect(row.left() + barW + 4, row.top(), kNoiseWidth - barW - 4, cell), Qt::AlignLeft | Qt::AlignVCenter,
                   QStringLiteral("%1 %").arg(v * 100.0, 0, 'f', 1));
    }
    if (m_source == QLatin1String("pred_probs")) {
        p.setPen(palette().placeholderText().color());
        p.drawText(QRect(m_geo.left, m_geo.top + gridH + 4, width() - m_geo.left, fm.height()), Qt::AlignLeft,
                   tr("Recomputed from the stored out-of-sample pred_probs."));
    }
}

void ConfidentJointView::mouseMoveEvent(QMouseEvent *event)
{
    int g = -1, t = -1;
    if (!cellAt(event->position().toPoint(), &g, &t))
        g = t = -1;
    if (g != m_hoverGiven || t != m_hoverTrue) {
        m_hoverGiven = g;
        m_hoverTrue = t;
        setCursor(g >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
        update();
    }
    QWidget::mouseMoveEvent(event);
}

void ConfidentJointView::leaveEvent(QEvent *event)
{
    m_hoverGiven = m_hoverTrue = -1;
    update();
    QWidget::leaveEvent(event);
}

void ConfidentJointView::mousePressEvent(QMouseEvent *event)
{
    int g = -1, t = -1;
    if (event->button() == Qt::LeftButton && cellAt(event->position().toPoint(), &g, &t)) {
        Q_EMIT cellClicked(g, t);
        event->accept();
        return;
    }
    QWidget::mousePressEvent(event);
}

bool ConfidentJointView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        int g = -1, t = -1;
        if (cellAt(help->pos(), &g, &t))
            QToolTip::showText(help->globalPos(), cellToolTip(g, t), this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

} // namespace labelscope::ui
