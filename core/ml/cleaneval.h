#pragma once
// Cleaning experiment ("how much do label errors hurt a model, and what does cleaning recover?"):
// for each noise rate and seed, inject noise into the training labels, run Labelscope's analysis
// (K-fold Data Parameters + Confident Learning, see analysis.h) to flag samples, then train a
// fresh model on
//   noisy       – the noisy labels as given,
//   removed     – the noisy labels without the flagged (hard) samples,
//   relabelled  – the flagged samples relabelled to their suggested label,
//   easy_only   – only the samples categorised easy,
//   true_labels – the true labels (the ceiling),
// and measure each model's accuracy on the clean test split. Torch-free header.

#include "base/noise.h"
#include "base/result.h"
#include "jobs/job.h"
#include "options.h"

#include <QJsonObject>
#include <QString>

#include <vector>

namespace labelscope {

struct CleanEvalParams {
    QString dataSpec;                 ///< a dataset with a test split and known labels
    std::vector<double> rates{0.2};   ///< noise rates to evaluate (each in [0, 1))
    NoiseKind noiseKind = NoiseKind::Symmetric;
    int seeds = 1;                    ///< seeds 1..seeds per rate
    qint64 limit = -1;                ///< samples per split (-1 = all)
    int epochs = 0;                   ///< per model; 0 = automatic (as analyze)
    AnalysisMethod method = AnalysisMethod::All; ///< analysis method that flags samples
    int threads = 0;
    DeviceChoice device = DeviceChoice::Auto;
    QString workDir;                  ///< where the per-run projects go (a temporary dir if empty)
};

/// The clean-eval job (core/jobs/job.h), run on the calling thread; stages "analysis" and the
/// variant names, detail "rate R seed S". Cancellation is polled at least once per training
/// batch. The result JSON:
/// {"data", "noise_kind", "seeds", "limit", "epochs", "rates": [{"rate", "flagged" (mean),
///  "flag_precision" (mean), "variants": {name: {"mean", "std", "runs": [...]}}}]}. A variant
/// left with fewer than 10 training samples (e.g. easy_only after a very short analysis) is
/// skipped for that seed ("skipped_seeds"), or entirely ({"skipped": reason}).
Result<QJsonObject> runCleanEval(const CleanEvalParams &params, JobContext &context);

/// Variant names in report order.
const std::vector<QString> &cleanEvalVariants();

} // namespace labelscope
