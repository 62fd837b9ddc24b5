#include "reviewstats.h"

#include "reviewsession.h"
#include "uicommon.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

namespace {
QString tr(const char *text) { return QCoreApplication::translate("ReviewStats", text); }

bool toReview(const ReviewSession &s, int i)
{
    const Category c = s.category(i);
    return c == Category::Hard || c == Category::NeedReview;
}

// Indices of the samples to review, highest noise score first (ties by id: indices follow ids).
std::vector<int> rankedToReview(const ReviewSession &s)
{
    std::vector<int> out;
    for (int i = 0; i < s.count(); ++i)
        if (toReview(s, i))
            out.push_back(i);
    std::stable_sort(out.begin(), out.end(),
                     [&s](int a, int b) { return s.noiseScore(a) > s.noiseScore(b); });
    return out;
}
} // namespace

ReviewProgress reviewProgress(const ReviewSession &s)
{
    ReviewProgress p;
    const std::size_t k = std::size_t(s.classes().size());
    p.classToReview.assign(k, 0);
    p.classReviewed.assign(k, 0);
    for (int i = 0; i < s.count(); ++i) {
        const Category c = s.category(i);
        if (c != Category::Hard && c != Category::NeedReview)
            continue;
        const bool done = s.isReviewed(i);
        ++p.toReview;
        p.reviewed += done ? 1 : 0;
        if (c == Category::Hard) {
            ++p.hard;
            p.hardReviewed += done ? 1 : 0;
        } else {
            ++p.needReview;
            p.needReviewReviewed += done ? 1 : 0;
        }
        const int g = s.row(i).givenLabel;
        if (g >= 0 && std::size_t(g) < k) {
            ++p.classToReview[std::size_t(g)];
            p.classReviewed[std::size_t(g)] += done ? 1 : 0;
        }
    }
    return p;
}

SessionSummary summarizeSession(const ReviewSession &s, const std::vector<DecisionBatch> &batches,
                                const QDateTime &since, int nextN, int binSize)
{
    SessionSummary out;
    out.progress = reviewProgress(s);

    // Pace: decision batches since SINCE (undo and redo are corrections, not decisions).
    std::vector<QDateTime> times;
    for (const DecisionBatch &b : batches) {
        if (b.reason == QLatin1String("undo") || b.reason == QLatin1String("redo"))
            continue;
        if (since.isValid() && b.time < since)
            continue;
        out.decisions += qint64(b.events.size());
        times.push_back(b.time);
    }
    std::sort(times.begin(), times.end());
    for (std::size_t j = 1; j < times.size(); ++j)
        out.activeSeconds += std::min(SessionSummary::kIdleGapSeconds,
                                      double(times[j - 1].msecsTo(times[j])) / 1000.0);
    if (times.size() >= 2 && out.activeSeconds >= 60.0) // below a minute the rate means little
        out.decisionsPerHour = double(out.decisions) / (out.activeSeconds / 3600.0);

    // Down the ranked list.
    const std::vector<int> ranked = rankedToReview(s);
    const int n = int(ranked.size());
    if (binSize <= 0)
        binSize = std::max(50, (n + 9) / 10);
    for (int from = 0; from < n; from += binSize) {
        RankBin bin;
        bin.firstRank = from + 1;
        bin.lastRank = std::min(n, from + binSize);
        for (int r = from; r < bin.lastRank; ++r) {
            const int i = ranked[std::size_t(r)];
            if (!s.isReviewed(i))
                continue;
            ++bin.reviewed;
            const SampleRow &row = s.row(i);
            bin.excluded += row.excluded ? 1 : 0;
            bin.relabelled += !row.excluded && row.label != row.givenLabel ? 1 : 0;
        }
        out.bins.push_back(bin);
    }

    // When to stop: the next N unreviewed ones.
    out.nextN = std::max(0, nextN);
    for (int r = 0; r < n && out.nextAvailable < out.nextN; ++r) {
        const int i = ranked[std::size_t(r)];
        if (s.isReviewed(i))
            continue;
        ++out.nextAvailable;
        const double p = s.wrongProbability(i);
        out.expectedWrongModel += p > 0.0 ? p : 0.0;
    }
    qint64 seen = 0, changed = 0;
    for (int r = n - 1; r >= 0 && seen < SessionSummary::kObservedWindow; --r) {
        const int i = ranked[std::size_t(r)];
        if (!s.isReviewed(i))
            continue;
        ++seen;
        const SampleRow &row = s.row(i);
        changed += row.excluded || row.label != row.givenLabel ? 1 : 0;
    }
    if (seen > 0) {
        out.observedChangeRate = double(changed) / double(seen);
        out.expectedWrongObserved = out.observedChangeRate * double(out.nextAvailable);
    }
    return out;
}

QString sessionSummaryHtml(const SessionSummary &m, const QStringList &classes)
{
    const ReviewProgress &p = m.progress;
    auto pct = [](double rate) {
        return rate < 0.0 ? QStringLiteral("\u2013") : QStringLiteral("%1%").arg(100.0 * rate, 0, 'f', 0);
    };
    QString html = tr("<p><b>Reviewed %L1 of %L2</b> samples to review (hard %L3 of %L4, need review %L5 of %L6); "
                      "%L7 left.</p>")
                       .arg(p.reviewed)
                       .arg(p.toReview)
                       .arg(p.hardReviewed)
                       .arg(p.hard)
                       .arg(p.needReviewReviewed)
                       .arg(p.needReview)
                       .arg(p.remaining());
    if (m.decisionsPerHour >= 0.0)
        html += tr("<p>This session: %L1 decisions in %2 min of work, <b>%L3 per hour</b> (pauses over "
                   "5 min not counted).</p>")
                    .arg(m.decisions)
                    .arg(m.activeSeconds / 60.0, 0, 'f', 1)
                    .arg(qRound64(m.decisionsPerHour));
    else
        html += tr("<p>This session: %L1 decisions.</p>").arg(m.decisions);
    html += tr("<p>The next %L1 samples down the list hold about <b>%2 wrong labels</b> by the run's "
               "estimate")
                .arg(m.nextAvailable)
                .arg(m.expectedWrongModel, 0, 'f', 1);
    if (m.expectedWrongObserved >= 0.0)
        html += tr(", about <b>%1</b> at the rate you changed labels over your last %2 reviewed ranks (%3)")
                    .arg(m.expectedWrongObserved, 0, 'f', 1)
                    .arg(SessionSummary::kObservedWindow)
                    .arg(pct(m.observedChangeRate));
    html += tr(". When both are small, further review fixes little.</p>");
    html += tr("<table cellspacing=0 cellpadding=3 border=1><tr><th>ranks</th><th>reviewed</th><th>relabelled</th>"
               "<th>excluded</th></tr>");
    for (const RankBin &b : m.bins)
        html += QStringLiteral("<tr><td>%L1\u2013%L2</td><td align=right>%L3</td><td align=right>%4</td>"
                               "<td align=right>%5</td></tr>")
                    .arg(b.firstRank)
                    .arg(b.lastRank)
                    .arg(b.reviewed)
                    .arg(pct(b.relabelRate()), pct(b.excludeRate()));
    html += QStringLiteral("</table>");
    html += tr("<p>Per given class (reviewed / to review): ");
    QStringList parts;
    for (std::size_t k = 0; k < p.classToReview.size(); ++k)
        if (p.classToReview[k] > 0)
            parts << QStringLiteral("%1 %L2/%L3")
                         .arg(className(classes, int(k)).toHtmlEscaped())
                         .arg(p.classReviewed[k])
                         .arg(p.classToReview[k]);
    html += parts.join(QStringLiteral(", ")) + QStringLiteral("</p>");
    return html;
}

} // namespace labelscope::ui
