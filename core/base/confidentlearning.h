#pragma once
// Confident Learning (Northcutt, Jiang, Chuang, JAIR 2021): finds likely label errors from
// out-of-sample predicted probabilities. Follows cleanlab 2.x `cleanlab.filter.find_label_issues`
// step by step (see METHODS.md, "Confident Learning"); plain C++ and Qt Core only.

#include "enumnames.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <vector>

namespace labelscope {

/// cleanlab's filter_by: how the confident joint becomes flagged samples.
enum class FilterBy {
    PruneByNoiseRate, PruneByClass, Both, ConfidentLearning, PredictedNeqGiven, LowSelfConfidence,
    LowNormalizedMargin
};
inline constexpr EnumName<FilterBy> kFilterByNames[] = {
    {FilterBy::PruneByNoiseRate, "prune_by_noise_rate"},
    {FilterBy::PruneByClass, "prune_by_class"},
    {FilterBy::Both, "both"},
    {FilterBy::ConfidentLearning, "confident_learning"},
    {FilterBy::PredictedNeqGiven, "predicted_neq_given"},
    {FilterBy::LowSelfConfidence, "low_self_confidence"},
    {FilterBy::LowNormalizedMargin, "low_normalized_margin"}};

/// cleanlab's label-quality scores (rank_by): lower = more likely mislabelled.
enum class LabelQualityScore { SelfConfidence, NormalizedMargin, ConfidenceWeightedEntropy };
inline constexpr EnumName<LabelQualityScore> kLabelQualityScoreNames[] = {
    {LabelQualityScore::SelfConfidence, "self_confidence"},
    {LabelQualityScore::NormalizedMargin, "normalized_margin"},
    {LabelQualityScore::ConfidenceWeightedEntropy, "confidence_weighted_entropy"}};

struct LabelIssuesOptions {
    FilterBy filterBy = FilterBy::PruneByNoiseRate;
    /// Fraction of the estimated off-diagonal counts to flag (prune methods), in (0, 1].
    double fracNoise = 1.0;
    /// Classes with at most this many samples are not pruned; prune counts leave this many.
    int minExamplesPerClass = 1;
    /// Unset: indices ascending; else ordered by that score ascending (most likely wrong first;
    /// ties keep index order).
    std::optional<LabelQualityScore> rankBy;
};

struct LabelIssuesResult {
    std::vector<int64_t> indices;        ///< flagged samples: ascending, or ranked when rankBy set
    std::vector<double> thresholds;      ///< [K] per-class confident thresholds
    std::vector<int64_t> confidentJoint; ///< [K*K] row-major C[given][guess], diagonal >= 1
    std::vector<int64_t> calibratedJoint;///< [K*K] calibrated, row k sums to the count of class k
    int64_t numLabelIssues = 0;          ///< indices.size()
    QString error;                       ///< non-empty on invalid input (other fields then empty)
    bool ok() const { return error.isEmpty(); }
};

/// The input error findLabelIssues() would report (same checks and messages), or "" when the
/// inputs are valid. Shapes as for findLabelIssues().
QString labelIssuesInputError(const std::vector<int> &labels, const std::vector<double> &predProbs,
                              int numClasses);

/// Finds label issues.
/// - `labels`: [N] given labels in 0..numClasses-1.
/// - `predProbs`: [N, K] row-major out-of-sample predicted probabilities, K = numClasses
///   (float32 data should be converted to double by the caller, as cleanlab's astype(float64)).
/// Errors (result.error set, nothing flagged): numClasses < 2 or > kMaxClasses (sizelimits.h: the
/// K×K arrays), predProbs.size() != N*K, a label out of range, a probability NaN or outside
/// [0, 1], fracNoise outside (0, 1], minExamplesPerClass < 0.
/// K > N is accepted, as cleanlab accepts it (classes without samples are filled in); the file
/// reader of `find-issues` refuses it (readPredProbsFile).
LabelIssuesResult findLabelIssues(const std::vector<int> &labels,
                                  const std::vector<double> &predProbs, int numClasses,
                                  const LabelIssuesOptions &options = {});

/// cleanlab's calibrate_confident_joint: each row of CONFIDENTJOINT [K*K] (row-major counts,
/// LabelIssuesResult::confidentJoint) scaled to its class's label count LABELCOUNTS [K], the
/// whole to N = Σ LABELCOUNTS, rounded per row keeping the row's total (round_preserving_sum);
/// bit-exact with findLabelIssues()' calibratedJoint. Empty when the sizes disagree.
std::vector<int64_t> calibrateConfidentJoint(const std::vector<int64_t> &confidentJoint,
                                             const std::vector<int64_t> &labelCounts);

/// A pair of classes that are often mislabelled as one another.
struct OverlappingClasses {
    int classA = 0, classB = 0;      ///< class indices, classA < classB
    int64_t numOverlapping = 0;      ///< estimated samples labelled as one that are the other, both ways
    double jointProbability = 0.0;   ///< numOverlapping / N
};

/// cleanlab.dataset.find_overlapping_classes with asymmetric=False (Northcutt et al., JAIR 2021,
/// "ontological issues"): from the calibrated joint CALIBRATEDJOINT [K*K] (calibratedJoint or
/// calibrateConfidentJoint()), joint = C / ΣC, and for each pair a < b the sum joint[a][b] +
/// joint[b][a]; "Num Overlapping Examples" = that × N. Sorted by it, descending (ties: a, then b
/// ascending); unlike cleanlab, pairs that never overlap are left out, and so are pairs with a
/// class of fewer than MINCLASSSIZE labelled samples (a calibrated row sums to that count): such
/// a class's confident threshold is the mean self-confidence of a handful of samples, often near
/// 0, which counts many other samples as "confidently" that class (a 1-image class topped the
/// list of a 30-class folder: RESULTS.md, session 20). At most TOP pairs (all when TOP <= 0).
/// Pairs at the top are candidates to merge, or to define more clearly for the annotators; with
/// a weak classifier they are the classes it cannot tell apart. Empty for K < 2 or a size
/// mismatch.
std::vector<OverlappingClasses> findOverlappingClasses(const std::vector<int64_t> &calibratedJoint, int numClasses,
                                                       int top = 0, int minClassSize = 5);

/// One pair as JSON: class_a, class_b, num_overlapping_examples, joint_probability (cleanlab's
/// column names); and back (false for an object that lacks the class indices).
QJsonObject overlappingClassesToJson(const OverlappingClasses &pair);
bool overlappingClassesFromJson(const QJsonObject &o, OverlappingClasses *pair);
/// "A ↔ B: N samples (P%)" with CLASSNAMES [K] (class indices where a name is missing).
QString overlappingPairText(const OverlappingClasses &pair, const QStringList &classNames);

/// Label-quality scores [N] (lower = more likely mislabelled). Same shapes as findLabelIssues();
/// on invalid input returns an empty vector and sets *error.
std::vector<double> rankingScores(const std::vector<int> &labels,
                                  const std::vector<double> &predProbs, int numClasses,
                                  LabelQualityScore method, QString *error = nullptr);

} // namespace labelscope
