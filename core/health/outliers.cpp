#include "outliers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace labelscope {

namespace {

double quantile(std::vector<double> values, double q)
{
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const double rank = q * double(values.size() - 1);
    const auto lo = std::size_t(std::floor(rank)), hi = std::size_t(std::ceil(rank));
    return values[lo] + (values[hi] - values[lo]) * (rank - double(lo));
}

struct Scored {
    std::vector<double> meanDistance, score;
    std::vector<std::uint8_t> flag;
    double scale = 0.0, fence = 0.0;
};

/// cleanlab's transform and Datalab's fence on the mean kNN distances of one group of rows.
Scored scoreDistances(const KnnGraph &g, double threshold)
{
    Scored s;
    const std::size_t n = std::size_t(g.rows), k = std::size_t(g.k);
    s.meanDistance.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        double sum = 0.0;
        for (std::size_t j = 0; j < k; ++j)
            sum += g.distance[i * k + j];
        s.meanDistance[i] = sum / double(k);
    }
    s.scale = std::max(quantile(s.meanDistance, 0.5), 100.0 * std::numeric_limits<double>::epsilon());
    const double q3 = quantile(s.meanDistance, 0.75), q1 = quantile(s.meanDistance, 0.25);
    s.fence = q3 + (1.0 / threshold - 1.0) * (q3 - q1);
    s.score.resize(n);
    s.flag.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        s.score[i] = std::exp(-s.meanDistance[i] / s.scale);
        s.flag[i] = s.meanDistance[i] > s.fence ? 1 : 0;
    }
    return s;
}

} // namespace

Result<OutlierScores> outlierScores(const float *embeddings, std::int64_t n, std::int64_t d, const std::vector<int> &labels,
                                    const OutlierOptions &options, JobContext &context)
{
    using R = Result<OutlierScores>;
    if (!embeddings || n < 2 || d < 1)
        return R::failure(QStringLiteral("outlier scores: need an [N, D] embedding with N >= 2 (got N=%1, D=%2)").arg(n).arg(d));
    if (!labels.empty() && std::int64_t(labels.size()) != n)
        return R::failure(QStringLiteral("outlier scores: %1 labels for %2 rows").arg(labels.size()).arg(n));
    if (options.k < 1 || !(options.threshold > 0.0 && options.threshold <= 1.0))
        return R::failure(QStringLiteral("outlier scores: k must be >= 1 and the threshold in (0, 1] (got k=%1, threshold=%2)")
                              .arg(options.k).arg(options.threshold));
    const EmbeddingView view{embeddings, n, d};
    const int k = int(std::min<std::int64_t>(options.k, n - 1));
    Result<KnnGraph> all = cosineKnn(view, nullptr, k, options.knn, context);
    if (!all)
        return R::from(all);
    const Scored global = scoreDistances(all.value(), options.threshold);

    OutlierScores out;
    out.meanDistance.assign(global.meanDistance.begin(), global.meanDistance.end());
    out.score.assign(global.score.begin(), global.score.end());
    out.flag = global.flag;
    out.scale = global.scale;
    out.distanceThreshold = global.fence;
    out.scoreThreshold = std::exp(-global.fence / global.scale);
    out.classScore.assign(std::size_t(n), 1.0f);
    out.classFlag.assign(std::size_t(n), 0);
    out.otherClassVote.assign(std::size_t(n), 0.0f);
    out.issueScore = out.score;
    out.issueFlag = out.flag;
    out.issueScoreThreshold = out.scoreThreshold;
    if (!options.withinClass || labels.empty())
        return R(std::move(out));

    int classes = 0;
    for (const int label : labels)
        classes = std::max(classes, label + 1);
    std::vector<std::vector<int>> members(static_cast<std::size_t>(classes));
    for (std::int64_t i = 0; i < n; ++i)
        if (labels[std::size_t(i)] >= 0)
            members[std::size_t(labels[std::size_t(i)])].push_back(int(i));
    // The share of each row's global neighbours with the most common other label.
    {
        const KnnGraph &g = all.value();
        std::vector<int> votes(std::size_t(classes), 0);
        for (std::int64_t i = 0; i < n; ++i) {
            std::fill(votes.begin(), votes.end(), 0);
            int best = 0;
            for (int j = 0; j < g.k; ++j) {
                const std::int64_t id = g.ids[std::size_t(i * g.k + j)];
                const int label = id >= 0 ? labels[std::size_t(id)] : -1;
                if (label >= 0 && label != labels[std::size_t(i)])
                    best = std::max(best, ++votes[std::size_t(label)]);
            }
            out.otherClassVote[std::size_t(i)] = g.k > 0 ? float(best) / float(g.k) : 0.0f;
        }
    }
    // The class searches run inside the caller's stage; their own progress would restart at 0.
    JobContext quiet(context.jobName(), &context.cancelFlag());
    double thresholdSum = 0.0;
    int scored = 0;
    for (const std::vector<int> &rows : members) {
        if (int(rows.size()) < options.k + 1)
            continue;
        Result<KnnGraph> within = cosineKnn(view, &rows, options.k, options.knn, quiet);
        if (!within)
            return R::from(within);
        const Scored s = scoreDistances(within.value(), options.threshold);
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const std::size_t i = std::size_t(rows[r]);
            out.classScore[i] = float(s.score[r]);
            out.classFlag[i] = s.flag[r];
            out.issueScore[i] = out.classScore[i];
            out.issueFlag[i] = s.flag[r];
        }
        thresholdSum += std::exp(-s.fence / s.scale);
        ++scored;
    }
    if (scored > 0) {
        out.issueWithinClass = true;
        out.issueScoreThreshold = thresholdSum / scored;
    }
    return R(std::move(out));
}

void setOutlierColumn(const OutlierScores &scores, HealthReport *report)
{
    IssueColumn &column = report->column(IssueType::Outlier);
    column.reset(scores.issueScore.size(), scores.issueScoreThreshold);
    column.score = scores.issueScore;
    column.flag = scores.issueFlag;
    report->statistics.outlierScale = scores.scale;
    report->statistics.outlierThreshold = scores.issueScoreThreshold;
    report->statistics.outlierWithinClass = scores.issueWithinClass;
}

} // namespace labelscope
