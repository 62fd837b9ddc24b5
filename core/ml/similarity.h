#pragma once
// "Find similar": the k nearest samples to one sample, or to the mean of a selection, in
// embedding space (Euclidean). FAISS (Johnson, Douze, Jégou 2019) holds the vectors: an exact
// IndexFlatL2 up to Options::flatLimit rows, an IndexIVFFlat (k-means into √N lists, `nprobe`
// lists searched per query) above. Torch-free header (ui/ includes it).

#include <QString>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace labelscope {

struct SimilarityOptions {
    std::int64_t flatLimit = 100000; ///< exact search up to this many rows, IVF above
    int nprobe = 0;                  ///< IVF lists searched per query; <= 0: max(16, lists/32)
    std::uint64_t seed = 1;          ///< IVF k-means seed
};

class SimilarityIndex
{
public:
    using Options = SimilarityOptions;
    /// One hit: the row index into the indexed matrix and its Euclidean distance (not squared).
    struct Neighbour {
        std::int64_t row = -1;
        float distance = 0.0f;
    };

    SimilarityIndex();
    ~SimilarityIndex();
    SimilarityIndex(SimilarityIndex &&) noexcept;
    SimilarityIndex &operator=(SimilarityIndex &&) noexcept;
    SimilarityIndex(const SimilarityIndex &) = delete;
    SimilarityIndex &operator=(const SimilarityIndex &) = delete;

    /// Indexes `data`, float32 [n, d] row-major (copied into the index; the caller keeps
    /// ownership). Replaces any previous index. False with `error` on n < 1, d < 1, non-finite
    /// values, or cancel (`error` = "cancelled"; polled between the IVF training and adding).
    bool build(const float *data, std::int64_t n, std::int64_t d, QString *error,
               const std::atomic_bool *cancel = nullptr, const Options &options = Options());

    /// The k nearest rows to row `row` (itself excluded), nearest first. Empty on a bad row.
    std::vector<Neighbour> nearestToRow(std::int64_t row, int k) const;
    /// The k nearest rows to the mean of `rows` (all of `rows` excluded), nearest first.
    std::vector<Neighbour> nearestToMean(const std::vector<std::int64_t> &rows, int k) const;
    /// The k nearest rows to row `row` among the rows whose `allowed[r]` is non-zero (itself
    /// excluded), nearest first. `allowed` is [size()] (a wrong size gives an empty answer). FAISS
    /// skips the other rows during the scan (IDSelectorBitmap): exact on a flat index; on an IVF
    /// index only the `nprobe` searched lists are scanned, so a rare group can come back short.
    std::vector<Neighbour> nearestToRowAmong(std::int64_t row, int k,
                                             const std::vector<std::uint8_t> &allowed) const;
    /// The k nearest rows to `query` (float32 [d]), skipping the rows in `exclude`.
    std::vector<Neighbour> nearestToVector(const float *query, int k,
                                           const std::vector<std::int64_t> &exclude = {}) const;

    bool isBuilt() const;
    bool isExact() const;    ///< flat (exact) index
    std::int64_t size() const;
    std::int64_t dim() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace labelscope
