#pragma once
// Dataset health (issue 16): the issue types beyond wrong labels and the report that holds them.
// Free of LibTorch, OpenCV and FAISS so that ui/ and app/ can include it.
//
// Every per-sample issue type has a score in [0, 1] (lower = worse, as CleanVision and Datalab
// score) and a flag; the definitions, thresholds and their sources are documented where each is
// computed: imageproperties.h (dark ... grayscale), duplicates.h (exact and near duplicates),
// outliers.h (outlier), and below (leakage, class imbalance). `label` is filled by the analysis.

#include "base/dataset.h"
#include "base/enumnames.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <array>
#include <cstdint>
#include <vector>

namespace labelscope {

/// The kinds of problem a sample (or a class) can have.
enum class IssueType {
    Label,          ///< wrong given label (the analysis' verdict; not computed by the health checks)
    Outlier,        ///< far from its k nearest neighbours in an embedding (outliers.h)
    ExactDuplicate, ///< pixel-identical to another sample (duplicates.h)
    NearDuplicate,  ///< nearly identical to another sample: shifted, noisy, re-encoded (duplicates.h)
    Dark,
    Light,
    Blurry,
    LowInformation,
    OddAspectRatio,
    OddSize,
    Grayscale,      ///< (imageproperties.h)
    Leakage,        ///< in a duplicate set (exact or near) whose members span train and test
    ClassImbalance  ///< its class is far rarer than the expected share (per class)
};
inline constexpr EnumName<IssueType> kIssueTypeNames[] = {
    {IssueType::Label, "label"},
    {IssueType::Outlier, "outlier"},
    {IssueType::ExactDuplicate, "exact_duplicate"},
    {IssueType::NearDuplicate, "near_duplicate"},
    {IssueType::Dark, "dark"},
    {IssueType::Light, "light"},
    {IssueType::Blurry, "blurry"},
    {IssueType::LowInformation, "low_information"},
    {IssueType::OddAspectRatio, "odd_aspect_ratio"},
    {IssueType::OddSize, "odd_size"},
    {IssueType::Grayscale, "grayscale"},
    {IssueType::Leakage, "leakage"},
    {IssueType::ClassImbalance, "class_imbalance"}};
inline constexpr int kIssueTypeCount = int(sizeof(kIssueTypeNames) / sizeof(kIssueTypeNames[0]));

/// One issue type's result for every sample. score and flag are [N] (empty while !computed).
struct IssueColumn {
    bool computed = false;          ///< false: the check did not run (e.g. `label` without analysis)
    std::vector<float> score;       ///< [N] in [0, 1], lower = worse; 1 where a sample was not measured
    std::vector<std::uint8_t> flag; ///< [N] 1 = has the issue
    double threshold = 0.0;         ///< score < threshold flags (set-based types: see their doc)

    /// Allocates [N] scores of 1 and flags of 0 and marks the column computed.
    void reset(std::size_t n, double threshold);
    std::int64_t flagged() const;
};

/// A group of duplicates: sample indices, ascending. Sets are listed by their smallest member.
struct DuplicateSet {
    std::vector<int> members;
    bool leaks = false; ///< has members in the test split and in train (or unassigned)
};

/// Counts of one class and the class-imbalance rule (Datalab's `class_imbalance`, cleanlab
/// datalab/internal/issue_manager/imbalance.py): share = count / labelled samples; score =
/// min(1, share * K) (the share relative to the expected 1/K); flagged when share < threshold / K
/// (threshold 0.1). Datalab flags only the rarest class; we flag every class under the rule, so
/// that two rare classes are both reported.
struct ClassBalance {
    QString name;
    std::int64_t count = 0, train = 0, test = 0; ///< labelled samples; train includes unassigned
    double share = 0.0;          ///< count / all labelled samples
    double ratioToLargest = 0.0; ///< count / the largest class's count
    double score = 1.0;
    bool flagged = false;
};

/// A sample whose image could not be read: its index and why. Its scores stay 1, flags 0.
struct HealthSkipped {
    int sample = -1;
    SkippedItem item;
};

/// Dataset-derived values the rules used, for the report and the window's explanations.
struct HealthStatistics {
    double medianSharpness = 0.0; ///< blurry: the dataset's median sharpness (imageproperties.h)
    double medianEntropy = 0.0;   ///< low_information: the dataset's median entropy, bits
    double sizeLow = 0.0, sizeHigh = 0.0; ///< odd_size: sqrt(w*h) outside [sizeLow, sizeHigh]
    double grayscaleShare = 0.0;  ///< share of grey images; grayscale is only flagged below 0.5
    double nearMedianDistance = 0.0;   ///< median cosine distance to the nearest neighbour
    double nearCandidateDistance = 0.0; ///< candidate pairs closer than this (cosine distance)
    std::int64_t nearCandidatePairs = 0, nearHashPassed = 0, nearConfirmedPairs = 0;
    double nearSearchSeconds = 0.0, nearConfirmSeconds = 0.0;
    double outlierScale = 0.0, outlierThreshold = 0.0; ///< outliers.h: scale and score threshold
    bool outlierWithinClass = false; ///< outliers.h: the issue is the within-class score
    double imbalanceThreshold = 0.1;
};

/// The health checks' result for a dataset of N samples. Owns all its memory.
struct HealthReport {
    std::int64_t samples = 0;
    std::array<IssueColumn, kIssueTypeCount> columns; ///< index = int(IssueType)
    std::vector<std::uint8_t> measured;               ///< [N] 1 = the image was read and measured
    std::vector<int> labels;                          ///< [N] given labels (-1 = unlabelled), for per-class counts
    std::vector<DuplicateSet> exactSets;              ///< pixel-identical groups (>= 2 members)
    /// Near-duplicate groups (>= 2 distinct images; the exact copies of a member are listed too).
    /// A group of identical images only is an exact set, not a near one.
    std::vector<DuplicateSet> nearSets;
    std::vector<ClassBalance> classes;                ///< [K]
    std::vector<HealthSkipped> skipped;
    HealthStatistics statistics;
    double seconds = 0.0;                             ///< wall time of the checks

    IssueColumn &column(IssueType type) { return columns[std::size_t(type)]; }
    const IssueColumn &column(IssueType type) const { return columns[std::size_t(type)]; }

    /// A summary for `labelscope check --json` and the store: {"samples", "measured", "skipped",
    /// "seconds", "issues": {type: {"flagged", "threshold", "top": [{"index", "score"[, "key",
    /// "label"]}...]}}, "per_class": [{"name", "count", "share", "flagged": {type: n}}...],
    /// "exact_duplicate_sets", "near_duplicate_sets" (count, leaking, the first TOPEXAMPLES sets),
    /// "statistics"}. Types not computed are left out. SAMPLES (optional, [N]) adds each example's
    /// "key" (an image file's path, an IDX image's sampleKey() "FILE#INDEX") and label.
    QJsonObject toJson(int topExamples = 10, const std::vector<Sample> *samples = nullptr) const;
};

/// Marks the members of every set in REPORT's exactSets and nearSets that spans the splits
/// (a member whose split is "test" and one whose split is not) as `leakage` (score 0, flag 1;
/// others score 1) and sets each set's `leaks`. SAMPLES is [N].
void markLeakage(const std::vector<Sample> &samples, HealthReport *report);

/// Fills REPORT's classes and the `class_imbalance` column from the given labels (see
/// ClassBalance). CLASSES names the K classes; samples with a label outside 0..K-1 are ignored.
void computeClassBalance(const std::vector<Sample> &samples, const QStringList &classes, double threshold,
                         HealthReport *report);

} // namespace labelscope
