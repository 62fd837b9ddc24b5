#pragma once
// Outlier (out-of-distribution) scores from k-nearest-neighbour distances in an embedding, as
// cleanlab's OutOfDistribution with features (cleanlab/outlier.py, _get_ood_features_scores) and
// Datalab's outlier issue (cleanlab/datalab/internal/issue_manager/outlier.py):
//   d_i     = mean cosine distance of row i to its k = 10 nearest other rows (cleanlab's default
//             metric for more than 3 columns; knn.h);
//   scale   = max(median_i d_i, 100·ε) (cleanlab's scaling_factor);
//   score_i = exp(−d_i / scale) in (0, 1], lower = more unusual (cleanlab's
//             transform_distances_to_scores with t = 1);
//   flag_i  = d_i > Q3(d) + (1/0.37037 − 1)·IQR(d) (Datalab's default threshold 0.37037, a
//             robust upper fence of 1.7 IQR above the third quartile); the equivalent score
//             threshold exp(−fence / scale) is reported.
// Within the given class the same rule runs on each class's rows alone (its own scale and
// fence, i.e. the distances normalised per class): `classScore`/`classFlag`.
//
// The `outlier` issue (score and flag, setOutlierColumn) is the within-class score when labels
// are given, the global one otherwise. Why (RESULTS.md, "Session 9: outlier rule"): images from
// outside the data that arrive in numbers are similar to one another (drawn letters), so within
// the global kNN their nearest neighbours are each other and the global score ranks them as
// typical; labelled like the data's own images, they are rare in every class, and the class
// score ranks them far better (AUROC on the planted benchmark in RESULTS.md). The issue's flag
// is the class flag. A sample far from its given class but close to another class is more likely
// mislabelled than out of distribution; `otherClassVote` (the share of its global neighbours
// with one other label) says so, but leaving such rows out of the flag cost a third of the
// planted letters' recall (RESULTS.md), so the flag keeps them and the `label` issue (the
// analysis' verdict) is shown beside it.
// Classes with fewer than k + 1 samples, and samples with a label outside 0..K-1, keep
// classScore 1 (and the global score for the issue).

#include "base/result.h"
#include "health/healthreport.h"
#include "health/knn.h"
#include "jobs/job.h"

#include <cstdint>
#include <vector>

namespace labelscope {

struct OutlierOptions {
    int k = 10;
    double threshold = 0.37037; ///< Datalab's: fence = Q3 + (1/threshold − 1)·IQR; in (0, 1]
    bool withinClass = true;
    KnnOptions knn;
};

struct OutlierScores {
    std::vector<float> meanDistance;   ///< [N] d_i
    std::vector<float> score;          ///< [N] global score
    std::vector<std::uint8_t> flag;    ///< [N]
    std::vector<float> classScore;     ///< [N] within the given class (1 where not computed)
    std::vector<std::uint8_t> classFlag;
    /// [N] share of the k global neighbours with the most common label other than the row's
    /// (0 without labels).
    std::vector<float> otherClassVote;
    /// [N] the `outlier` issue: classScore and classFlag where the class scores were computed;
    /// else the global score and flag.
    std::vector<float> issueScore;
    std::vector<std::uint8_t> issueFlag;
    bool issueWithinClass = false;
    double scale = 0.0, distanceThreshold = 0.0, scoreThreshold = 0.0; ///< global
    /// The classes' score thresholds differ; their mean (the global one without class scores).
    double issueScoreThreshold = 0.0;
};

/// Outlier scores for the N rows of EMBEDDINGS (float32 [N, D], row-major, owned by the caller;
/// the analysis' embeddings, a backbone's features or the health checks' thumbnails). LABELS is
/// [N] given labels (-1 = unlabelled) or empty (no within-class scores). Stage progress and
/// cancel through CONTEXT (the caller opens the stage). Fails on N < 2, D < 1, LABELS of another
/// length, options out of range, or a NaN/infinite value.
Result<OutlierScores> outlierScores(const float *embeddings, std::int64_t n, std::int64_t d, const std::vector<int> &labels,
                                    const OutlierOptions &options, JobContext &context);

/// Writes SCORES into REPORT's `outlier` column (issueScore and issueFlag; threshold =
/// issueScoreThreshold) and the outlier statistics.
void setOutlierColumn(const OutlierScores &scores, HealthReport *report);

} // namespace labelscope
