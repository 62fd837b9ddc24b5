#pragma once
// Sub-clusters inside one class: k-means (FAISS Clustering: Lloyd iterations from randomly
// chosen rows) of that class's embeddings, with each cluster's size, purity against given
// labels and share of hard / need-review samples. Inputs are plain vectors so that the caller
// picks the rows (e.g. all samples whose current or predicted label is the class). Torch-free.

#include <QString>

#include <atomic>
#include <cstdint>
#include <vector>

namespace labelscope {

struct SubclusterParams {
    int clusters = 0;        ///< k; <= 0: automatic, clamp(round(√(n / 50)), 2, 12), at most n
    int iterations = 25;     ///< Lloyd iterations
    std::uint64_t seed = 1;
};

struct Subcluster {
    std::int64_t size = 0;        ///< members
    int majorityLabel = -1;       ///< most frequent label among members (-1 without labels)
    double purity = 0.0;          ///< share of members with the majority label (0 without labels)
    double hardShare = 0.0;       ///< share of members whose category is Hard
    double needReviewShare = 0.0; ///< share of members whose category is NeedReview
    std::vector<float> centroid;  ///< [d]
};

struct SubclusterResult {
    std::vector<Subcluster> clusters; ///< largest first
    std::vector<int> assignment;      ///< [n] index into `clusters`
    QString error;                    ///< empty on success; "cancelled" when cancelled
    bool ok() const { return error.isEmpty(); }
};

/// Clusters `embeddings` float32 [n, d] row-major. `labels` [n] (class indices, -1 = none) and
/// `categories` [n] (int values of labelscope::Category: 1 hard, 2 need review) may be empty.
/// Errors (sizes that disagree, n < 1, non-finite values) come back in `error`.
SubclusterResult findSubclusters(const float *embeddings, std::int64_t n, std::int64_t d,
                                 const std::vector<int> &labels, const std::vector<int> &categories,
                                 const SubclusterParams &params, const std::atomic_bool &cancel);

} // namespace labelscope
