// The kNN graph of t-SNE by BLAS products through FAISS (exact, or per k-means cell).

#include "jobs/job.h"
#include "tsneinternal.h"

#include <faiss/IndexFlat.h>
#include <faiss/Clustering.h>
#include <faiss/utils/distances.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <numeric>

namespace labelscope {

namespace tsnedetail {

// Distances by BLAS (faiss::knn_L2sqr takes the sgemm path for batches of queries; this Debian
// FAISS build has no SIMD distance kernels, so IVF scanning is ~10x slower than BLAS).
// Exact: every row against all rows. Approximate (n > exactKnnLimit): k-means into √n cells
// (FAISS Clustering), then each cell's members against the members of the `probe` cells whose
// centroids are nearest to the cell's centroid (an IVF search probed per cell, not per query,
// so that it is one matrix product per cell). Queries run in chunks so that `cancel` is polled.
bool knnByBlas(const float *data, int64_t n, int64_t d, int k, const TsneParams &params, int threads,
               const std::atomic_bool &cancel, std::vector<int64_t> *ids, std::vector<float> *sqDist,
               QString *error)
{
    // FAISS's OpenMP loops around the BLAS calls would spin-wait while OpenBLAS's own threads
    // run the products (measured: 70% of the time spent spinning on 2 cores); BLAS does the
    // heavy part with its threads, the heap updates run on this one.
    const int prevThreads = omp_get_max_threads();
    omp_set_num_threads(1);
    struct Restore {
        int t;
        ~Restore() { omp_set_num_threads(t); }
    } restore{prevThreads};

    const int kq = int(std::min<int64_t>(k + 1, n));
    ids->assign(size_t(n) * k, -1);
    sqDist->assign(size_t(n) * k, 0.0f);
    std::vector<float> dist;
    std::vector<int64_t> lab;
    // Copies one query block's hits (local candidate ids mapped through `global`) minus self.
    auto take = [&](const std::vector<int64_t> &queries, const std::vector<int64_t> *global) {
        for (size_t q = 0; q < queries.size(); ++q) {
            const int64_t i = queries[q];
            int out = 0;
            for (int j = 0; j < kq && out < k; ++j) {
                const int64_t local = lab[q * size_t(kq) + size_t(j)];
                if (local < 0)
                    continue;
                const int64_t id = global ? (*global)[size_t(local)] : local;
                if (id == i)
                    continue;
                (*ids)[size_t(i * k + out)] = id;
                (*sqDist)[size_t(i * k + out)] = std::max(0.0f, dist[q * size_t(kq) + size_t(j)]);
                ++out;
            }
        }
    };
    auto cancelled = [&]() {
        if (!cancel.load())
            return false;
        *error = QStringLiteral("cancelled");
        return true;
    };

    if (n <= params.exactKnnLimit) {
        const int64_t chunk = 4096;
        std::vector<int64_t> queries;
        for (int64_t s = 0; s < n; s += chunk) {
            if (cancelled())
                return false;
            const int64_t c = std::min(chunk, n - s);
            dist.assign(size_t(c) * kq, 0.0f);
            lab.assign(size_t(c) * kq, -1);
            faiss::knn_L2sqr(data + s * d, data, size_t(d), size_t(c), size_t(n), size_t(kq), dist.data(), lab.data());
            queries.resize(size_t(c));
            std::iota(queries.begin(), queries.end(), s);
            take(queries, nullptr);
        }
    } else {
        const int cells = std::max(2, int(std::sqrt(double(n))));
        faiss::ClusteringParameters cp;
        cp.niter = 10;
        cp.seed = int(params.seed & 0x7fffffff);
        cp.max_points_per_centroid = 64;
        cp.verbose = false;
        faiss::Clustering clustering(int(d), size_t(cells), cp);
        faiss::IndexFlatL2 quantizer{faiss::Index::idx_t(d)};
        clustering.train(n, data, quantizer);
        if (cancelled())
            return false;
        std::vector<float> cd(static_cast<size_t>(n));
        std::vector<faiss::Index::idx_t> cell(static_cast<size_t>(n));
        quantizer.search(n, data, 1, cd.data(), cell.data());
        const int probe = std::min(cells, std::max(8, cells / 8));
        std::vector<float> pd(static_cast<size_t>(cells) * probe);
        std::vector<faiss::Index::idx_t> near(static_cast<size_t>(cells) * probe);
        quantizer.search(cells, clustering.centroids.data(), probe, pd.data(), near.data());
        std::vector<std::vector<int64_t>> members(static_cast<size_t>(cells));
        for (int64_t i = 0; i < n; ++i)
            members[size_t(std::max<faiss::Index::idx_t>(0, cell[size_t(i)]))].push_back(i);
        std::vector<float> queryRows, candRows;
        std::vector<int64_t> candidates;
        for (int c = 0; c < cells; ++c) {
            if (cancelled())
                return false;
            const auto &queries = members[size_t(c)];
            if (queries.empty())
                continue;
            candidates.clear();
            for (int p = 0; p < probe; ++p) {
                const auto cc = near[size_t(c) * probe + size_t(p)];
                if (cc >= 0)
                    candidates.insert(candidates.end(), members[size_t(cc)].begin(), members[size_t(cc)].end());
            }
            std::sort(candidates.begin(), candidates.end()); // a fixed order: ties resolve the same way
            queryRows.resize(queries.size() * size_t(d));
            for (size_t q = 0; q < queries.size(); ++q)
                std::copy_n(data + queries[q] * d, d, queryRows.begin() + ptrdiff_t(q * size_t(d)));
            candRows.resize(candidates.size() * size_t(d));
            for (size_t q = 0; q < candidates.size(); ++q)
                std::copy_n(data + candidates[q] * d, d, candRows.begin() + ptrdiff_t(q * size_t(d)));
            const size_t kc = std::min<size_t>(size_t(kq), candidates.size());
            dist.assign(queries.size() * size_t(kq), std::numeric_limits<float>::max());
            lab.assign(queries.size() * size_t(kq), -1);
            if (kc == size_t(kq)) {
                faiss::knn_L2sqr(queryRows.data(), candRows.data(), size_t(d), queries.size(), candidates.size(),
                                 kc, dist.data(), lab.data());
            } else { // fewer candidates than k: take them all (filled below)
                continue;
            }
            take(queries, &candidates);
        }
    }
    // Rows left short (a cell whose probed cells hold fewer than k + 1 points): exact scan.
    for (int64_t i = 0; i < n; ++i) {
        if ((*ids)[size_t(i * k + k - 1)] >= 0)
            continue;
        if (cancelled())
            return false;
        dist.assign(size_t(kq), 0.0f);
        lab.assign(size_t(kq), -1);
        faiss::knn_L2sqr(data + i * d, data, size_t(d), 1, size_t(n), size_t(kq), dist.data(), lab.data());
        std::fill_n(ids->begin() + ptrdiff_t(i * k), k, -1);
        take({i}, nullptr);
    }
    return true;
}

} // namespace tsnedetail

bool tsneNearestNeighbours(const float *data, std::int64_t n, std::int64_t d, int k, const TsneParams &params,
                           const std::atomic_bool &cancel, std::vector<std::int64_t> *ids,
                           std::vector<float> *sqDistances, QString *error)
{
    if (!data || n < 2 || d < 1 || k < 1 || k > n - 1) {
        if (error)
            *error = QStringLiteral("kNN: need n >= 2, d >= 1, 1 <= k < n (got n=%1, d=%2, k=%3)").arg(n).arg(d).arg(k);
        return false;
    }
    QString e;
    try {
        if (tsnedetail::knnByBlas(data, n, d, k, params, tsnedetail::resolveThreads(params.threads), cancel, ids, sqDistances, &e))
            return true;
    } catch (...) {
        e = QStringLiteral("kNN: %1").arg(exceptionMessage(std::current_exception()));
    }
    if (error)
        *error = e;
    return false;
}

} // namespace labelscope
