#include "jobs/job.h"
#include "similarity.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/IDSelector.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace labelscope {

namespace {

// FAISS's OpenMP loops spin-wait around OpenBLAS's own threads; one OpenMP thread for FAISS
// calls (BLAS keeps its threads) is much faster on small machines (see tsne.cpp's kNN).
struct SingleOmpThread {
    int previous = omp_get_max_threads();
    SingleOmpThread() { omp_set_num_threads(1); }
    ~SingleOmpThread() { omp_set_num_threads(previous); }
};

} // namespace

struct SimilarityIndex::Private {
    std::int64_t n = 0, d = 0;
    std::unique_ptr<faiss::IndexFlatL2> flat; // the index, or the IVF's quantizer
    std::unique_ptr<faiss::IndexIVFFlat> ivf;
    const faiss::Index *index() const { return ivf ? static_cast<const faiss::Index *>(ivf.get()) : flat.get(); }
};

SimilarityIndex::SimilarityIndex() : d(std::make_unique<Private>()) {}
SimilarityIndex::~SimilarityIndex() = default;
SimilarityIndex::SimilarityIndex(SimilarityIndex &&) noexcept = default;
SimilarityIndex &SimilarityIndex::operator=(SimilarityIndex &&) noexcept = default;

bool SimilarityIndex::build(const float *data, std::int64_t n, std::int64_t dim, QString *error,
                            const std::atomic_bool *cancel, const Options &options)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = why;
        d = std::make_unique<Private>();
        return false;
    };
    if (!data || n < 1 || dim < 1)
        return fail(QStringLiteral("similarity index: need a non-empty [N, D] matrix (got N=%1, D=%2)").arg(n).arg(dim));
    for (std::int64_t i = 0; i < n * dim; ++i)
        if (!std::isfinite(data[i]))
            return fail(QStringLiteral("similarity index: row %1 has a NaN or infinite value").arg(i / dim));
    d = std::make_unique<Private>();
    try {
        SingleOmpThread single;
        d->n = n;
        d->d = dim;
        d->flat = std::make_unique<faiss::IndexFlatL2>(faiss::Index::idx_t(dim));
        if (n > options.flatLimit) {
            const int lists = std::max(1, int(std::sqrt(double(n))));
            d->ivf = std::make_unique<faiss::IndexIVFFlat>(d->flat.get(), size_t(dim), size_t(lists));
            d->ivf->cp.seed = int(options.seed & 0x7fffffff);
            d->ivf->cp.niter = 10;
            d->ivf->cp.max_points_per_centroid = 64; // trains on ≤ 64·lists rows: seconds, not minutes
            d->ivf->cp.verbose = false;
            d->ivf->train(n, data);
            if (cancel && cancel->load())
                return fail(QStringLiteral("cancelled"));
            d->ivf->nprobe = size_t(std::min(lists, options.nprobe > 0 ? options.nprobe : std::max(16, lists / 32)));
            d->ivf->make_direct_map(true); // reconstruct() for row and mean queries
            const std::int64_t chunk = 65536;
            for (std::int64_t s = 0; s < n; s += chunk) {
                if (cancel && cancel->load())
                    return fail(QStringLiteral("cancelled"));
                d->ivf->add(std::min(chunk, n - s), data + s * dim);
            }
        } else {
            d->flat->add(n, data);
        }
    } catch (...) {
        return fail(QStringLiteral("similarity index: %1").arg(exceptionMessage(std::current_exception())));
    }
    return true;
}

std::vector<SimilarityIndex::Neighbour> SimilarityIndex::nearestToVector(const float *query, int k,
                                                                         const std::vector<std::int64_t> &exclude) const
{
    std::vector<Neighbour> out;
    if (!isBuilt() || !query || k < 1)
        return out;
    const std::unordered_set<std::int64_t> skip(exclude.begin(), exclude.end());
    const std::int64_t want = std::min<std::int64_t>(d->n, std::int64_t(k) + std::int64_t(skip.size()));
    std::vector<float> dist(static_cast<size_t>(want));
    std::vector<faiss::Index::idx_t> ids(static_cast<size_t>(want));
    try {
        SingleOmpThread single;
        d->index()->search(1, query, want, dist.data(), ids.data());
    } catch (const std::exception &) {
        return out;
    }
    for (std::int64_t j = 0; j < want && int(out.size()) < k; ++j) {
        if (ids[size_t(j)] < 0 || skip.count(ids[size_t(j)]))
            continue;
        out.push_back({ids[size_t(j)], std::sqrt(std::max(0.0f, dist[size_t(j)]))});
    }
    return out;
}

std::vector<SimilarityIndex::Neighbour> SimilarityIndex::nearestToRowAmong(std::int64_t row, int k,
                                                                           const std::vector<std::uint8_t> &allowed) const
{
    std::vector<Neighbour> out;
    if (!isBuilt() || k < 1 || row < 0 || row >= d->n || allowed.size() != std::size_t(d->n))
        return out;
    // FAISS's bitmap: bit (i % 8) of byte i / 8; the query row itself is left out.
    std::vector<std::uint8_t> bits(std::size_t((d->n + 7) / 8), 0);
    std::int64_t candidates = 0;
    for (std::int64_t i = 0; i < d->n; ++i)
        if (allowed[std::size_t(i)] && i != row) {
            bits[std::size_t(i >> 3)] |= std::uint8_t(1u << (i & 7));
            ++candidates;
        }
    const std::int64_t want = std::min<std::int64_t>(k, candidates);
    if (want < 1)
        return out;
    std::vector<float> query(static_cast<std::size_t>(d->d)), dist(static_cast<std::size_t>(want));
    std::vector<faiss::Index::idx_t> ids(static_cast<std::size_t>(want));
    try {
        SingleOmpThread single;
        d->index()->reconstruct(row, query.data());
        faiss::IDSelectorBitmap selector(bits.size(), bits.data());
        if (d->ivf) {
            faiss::SearchParametersIVF params;
            params.sel = &selector;
            params.nprobe = d->ivf->nprobe;
            d->ivf->search(1, query.data(), want, dist.data(), ids.data(), &params);
        } else {
            faiss::SearchParameters params;
            params.sel = &selector;
            d->flat->search(1, query.data(), want, dist.data(), ids.data(), &params);
        }
    } catch (const std::exception &) {
        return out;
    }
    for (std::int64_t j = 0; j < want; ++j)
        if (ids[std::size_t(j)] >= 0)
            out.push_back({ids[std::size_t(j)], std::sqrt(std::max(0.0f, dist[std::size_t(j)]))});
    return out;
}

std::vector<SimilarityIndex::Neighbour> SimilarityIndex::nearestToRow(std::int64_t row, int k) const
{
    return nearestToMean({row}, k);
}

std::vector<SimilarityIndex::Neighbour> SimilarityIndex::nearestToMean(const std::vector<std::int64_t> &rows, int k) const
{
    if (!isBuilt() || rows.empty())
        return {};
    std::vector<float> mean(size_t(d->d), 0.0f), v(size_t(d->d));
    std::vector<double> sum(size_t(d->d), 0.0);
    try {
        for (std::int64_t r : rows) {
            if (r < 0 || r >= d->n)
                return {};
            d->index()->reconstruct(r, v.data());
            for (std::int64_t c = 0; c < d->d; ++c)
                sum[size_t(c)] += v[size_t(c)];
        }
    } catch (const std::exception &) {
        return {};
    }
    for (std::int64_t c = 0; c < d->d; ++c)
        mean[size_t(c)] = float(sum[size_t(c)] / double(rows.size()));
    return nearestToVector(mean.data(), k, rows);
}

bool SimilarityIndex::isBuilt() const
{
    return d && d->n > 0;
}

bool SimilarityIndex::isExact() const
{
    return isBuilt() && !d->ivf;
}

std::int64_t SimilarityIndex::size() const
{
    return d ? d->n : 0;
}

std::int64_t SimilarityIndex::dim() const
{
    return d ? d->d : 0;
}

} // namespace labelscope
