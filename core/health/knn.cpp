#include "knn.h"

#include "ml/tsne.h"

#include <faiss/VectorTransform.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace labelscope {

namespace {

// FAISS's OpenMP loops around the BLAS products spin-wait while OpenBLAS's own threads run them
// (measured in tsneknn.cpp: 70% of the time spinning on 2 cores); BLAS keeps its threads.
struct SingleOmpThread {
    int previous = omp_get_max_threads();
    SingleOmpThread() { omp_set_num_threads(1); }
    ~SingleOmpThread() { omp_set_num_threads(previous); }
};

/// 1 − a·b for unit rows, in float with four partial sums (vectorised; the rows are unit
/// vectors, so float's relative error of ~1e-7 is far below any distance that matters here).
double cosineDistance(const float *a, const float *b, std::int64_t d)
{
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    std::int64_t j = 0;
    for (; j + 4 <= d; j += 4) {
        s0 += a[j] * b[j];
        s1 += a[j + 1] * b[j + 1];
        s2 += a[j + 2] * b[j + 2];
        s3 += a[j + 3] * b[j + 3];
    }
    for (; j < d; ++j)
        s0 += a[j] * b[j];
    return std::clamp(1.0 - double((s0 + s1) + (s2 + s3)), 0.0, 2.0);
}

} // namespace

Result<KnnGraph> cosineKnn(const EmbeddingView &embedding, const std::vector<int> *rows, int k,
                           const KnnOptions &options, JobContext &context)
{
    using R = Result<KnnGraph>;
    if (embedding.isEmpty())
        return R::failure(QStringLiteral("nearest neighbours: need a non-empty [N, D] matrix (got N=%1, D=%2)")
                              .arg(embedding.rows).arg(embedding.dim));
    if (k < 1)
        return R::failure(QStringLiteral("nearest neighbours: k must be at least 1 (got %1)").arg(k));
    const std::int64_t n = rows ? std::int64_t(rows->size()) : embedding.rows;
    const std::int64_t d = embedding.dim;

    // Unit-normalised copy of the searched rows (a zero row stays zero).
    std::vector<float> x(std::size_t(n * d));
    std::vector<std::uint8_t> zero(std::size_t(n), 0);
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t src = rows ? (*rows)[std::size_t(i)] : i;
        if (src < 0 || src >= embedding.rows)
            return R::failure(QStringLiteral("nearest neighbours: row %1 out of range (N=%2)").arg(src).arg(embedding.rows));
        const float *in = embedding.data + src * d;
        double sq = 0.0;
        for (std::int64_t j = 0; j < d; ++j) {
            if (!std::isfinite(in[j]))
                return R::failure(QStringLiteral("nearest neighbours: row %1 has a NaN or infinite value").arg(src));
            sq += double(in[j]) * double(in[j]);
        }
        float *out = x.data() + i * d;
        if (sq <= 0.0) {
            zero[std::size_t(i)] = 1;
            std::fill(out, out + d, 0.0f);
            continue;
        }
        const double inv = 1.0 / std::sqrt(sq);
        for (std::int64_t j = 0; j < d; ++j)
            out[j] = float(in[j] * inv);
    }

    KnnGraph graph;
    graph.k = k;
    graph.rows = n;
    graph.ids.assign(std::size_t(n * k), -1);
    graph.distance.assign(std::size_t(n * k), 2.0f);
    if (n < 2)
        return R(std::move(graph));

    // Small inputs are searched exactly in the full space (4,096² products of any width: < 1 s).
    const bool project = d > options.pcaDims && options.pcaDims > 0 && n > 4096;
    std::vector<float> projected;
    const float *space = x.data();
    std::int64_t ds = d;
    if (project) {
        SingleOmpThread single;
        // PCAMatrix subsamples its training rows with FAISS's fixed seed (deterministic).
        faiss::PCAMatrix pca(int(d), options.pcaDims);
        pca.max_points_per_d = 40; // trains on at most 40·d rows (10,240 for 256): enough for the axes
        pca.train(n, x.data());
        projected.resize(std::size_t(n) * std::size_t(options.pcaDims));
        pca.apply_noalloc(n, x.data(), projected.data());
        space = projected.data();
        ds = options.pcaDims;
    }
    if (context.isCancelled())
        return R::cancelled();
    // Candidates by Euclidean distance between the unit rows (or their projection): t-SNE's kNN
    // (exact up to exactRows, k-means cells above).
    const int kc = int(std::min<std::int64_t>(n - 1, project || n > options.exactRows ? std::int64_t(options.oversample) * k : k));
    TsneParams params;
    params.exactKnnLimit = options.exactRows;
    params.seed = 1;
    std::vector<std::int64_t> candidateIds;
    std::vector<float> sq;
    QString error;
    if (!tsneNearestNeighbours(space, n, ds, kc, params, context.cancelFlag(), &candidateIds, &sq, &error)) {
        if (context.isCancelled())
            return R::cancelled();
        return R::failure(QStringLiteral("nearest neighbours: %1").arg(error));
    }
    context.progress(0.8, QStringLiteral("%1 rows searched").arg(n));

    std::vector<std::pair<float, std::int64_t>> candidates;
    for (std::int64_t i = 0; i < n; ++i) {
        if (i % 4096 == 0 && context.isCancelled())
            return R::cancelled();
        candidates.clear();
        for (int j = 0; j < kc; ++j) {
            const std::int64_t id = candidateIds[std::size_t(i * kc + j)];
            if (id < 0 || id == i)
                continue;
            const bool anyZero = zero[std::size_t(i)] || zero[std::size_t(id)];
            const double cd = anyZero ? 1.0 : cosineDistance(x.data() + i * d, x.data() + id * d, d);
            candidates.emplace_back(float(cd), id);
        }
        std::sort(candidates.begin(), candidates.end());
        const std::size_t take = std::min<std::size_t>(candidates.size(), std::size_t(k));
        for (std::size_t j = 0; j < take; ++j) {
            graph.distance[std::size_t(i * k) + j] = candidates[j].first;
            graph.ids[std::size_t(i * k) + j] = candidates[j].second;
        }
    }
    context.progress(1.0, QStringLiteral("%1 rows searched").arg(n));
    return R(std::move(graph));
}

} // namespace labelscope
