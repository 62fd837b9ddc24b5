#pragma once
// Scoring of label-noise detection against known true labels.

#include <cstdint>
#include <vector>

namespace labelscope {

/// Area under the ROC curve of `scores` (higher = more likely positive) for the boolean
/// `positive` labels (same length). Ties get half credit (Mann–Whitney U with average ranks).
/// Returns 0.5 when either class is empty.
double auroc(const std::vector<float> &scores, const std::vector<bool> &positive);

struct BinaryCounts {
    std::int64_t truePositive = 0, falsePositive = 0, falseNegative = 0, trueNegative = 0;
    double precision() const;
    double recall() const;
    double f1() const;
};

/// Confusion counts of `flagged` against `positive` (same length).
BinaryCounts binaryCounts(const std::vector<bool> &flagged, const std::vector<bool> &positive);

} // namespace labelscope
