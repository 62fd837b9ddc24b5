// The k-nearest-neighbour label signal of the embedding analysis (analysisheads.cpp) at Fashion-
// MNIST scale: every train and test image (70,000) embedded by a backbone, then each index the
// signal could use, timed, with its recall@k against exact search on 2,000 query rows:
//   - knnLabelDistribution() as the analysis calls it (whatever it does today);
//   - FAISS IndexIVFFlat as it is configured there (4·√n lists, k-means on 64 points per list,
//     nprobe 16) with 1 and 2 OpenMP threads;
//   - FAISS IndexHNSWFlat (M 32, efConstruction 40, efSearch 64) with 1 and 2 threads;
//   - exact search (IndexFlatIP) with 2 threads.
// Usage: knn_bench BACKBONE.pt [--k K] [--limit N]
#include "base/dataset.h"
#include "ml/analysis_p.h"
#include "ml/backbonejobs.h"

#include <QElapsedTimer>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

using namespace labelscope;

namespace {

using Ids = std::vector<faiss::Index::idx_t>;

// Neighbours (k + 1, the row itself usually first) of every row of DATA [n, d] in INDEX.
Ids searchAll(faiss::Index &index, const float *data, int64_t n, int64_t d, int k)
{
    Ids ids(std::size_t(n * (k + 1)));
    std::vector<float> dist(ids.size());
    const int64_t chunk = 2048;
    for (int64_t s = 0; s < n; s += chunk) {
        const int64_t m = std::min(chunk, n - s);
        index.search(m, data + s * d, k + 1, dist.data() + s * (k + 1), ids.data() + s * (k + 1));
    }
    return ids;
}

// Mean share of the exact k neighbours (self excluded) found, over the first QUERIES rows.
double recall(const Ids &exact, const Ids &got, int64_t queries, int k)
{
    double sum = 0;
    for (int64_t q = 0; q < queries; ++q) {
        std::set<faiss::Index::idx_t> truth;
        for (int j = 0; j <= k && int(truth.size()) < k; ++j)
            if (exact[std::size_t(q * (k + 1) + j)] != q)
                truth.insert(exact[std::size_t(q * (k + 1) + j)]);
        int found = 0;
        for (int j = 0; j <= k; ++j)
            found += truth.count(got[std::size_t(q * (k + 1) + j)]) ? 1 : 0;
        sum += double(found) / double(truth.size());
    }
    return sum / double(queries);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: knn_bench BACKBONE.pt [--k K] [--limit N]\n");
        return 2;
    }
    int k = 10;
    qint64 limit = -1;
    for (int a = 2; a + 1 < argc; a += 2) {
        if (std::strcmp(argv[a], "--k") == 0)
            k = std::atoi(argv[a + 1]);
        else if (std::strcmp(argv[a], "--limit") == 0)
            limit = std::atoll(argv[a + 1]);
    }
    at::set_num_threads(2);
    LoadOptions options;
    options.limit = limit;
    LoadResult loaded = loadDataset(QStringLiteral("fashion-mnist"), options);
    if (!loaded.ok()) {
        std::fprintf(stderr, "%s\n", qPrintable(loaded.error));
        return 1;
    }
    JobContext context(QStringLiteral("embed"), nullptr);
    QElapsedTimer clock;
    clock.start();
    Result<EmbeddingTable> table = embedSamples(QString::fromLocal8Bit(argv[1]), DeviceChoice::Cpu, loaded.dataset.samples, context);
    if (!table) {
        std::fprintf(stderr, "%s\n", qPrintable(table.error()));
        return 1;
    }
    const int64_t n = table->rows(), d = table->dim;
    std::printf("%lld embeddings [%lld] in %.1f s; k = %d\n", static_cast<long long>(n), static_cast<long long>(d),
                clock.elapsed() / 1000.0, k);
    // As the analysis does: standardised, then L2-normalised (cosine = inner product).
    auto x = torch::from_blob(table->values.data(), {n, d}, torch::kFloat32).clone();
    x = (x - x.mean(0)) / x.std(0).clamp_min(1e-6);
    auto unit = (x / x.norm(2, 1, true).clamp_min(1e-12)).contiguous();
    const float *data = unit.data_ptr<float>();
    std::vector<int64_t> labels(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        labels[std::size_t(i)] = loaded.dataset.samples[std::size_t(i)].label;
    const std::atomic_bool cancel{false};

    clock.restart();
    const torch::Tensor p = knnLabelDistribution(x, labels, 10, k, 1, cancel);
    std::printf("%-44s %7.2f s\n", "knnLabelDistribution (the analysis)", clock.elapsed() / 1000.0);

    const int64_t queries = std::min<int64_t>(2000, n);
    omp_set_num_threads(2);
    faiss::IndexFlatIP exactIndex(d);
    exactIndex.add(n, data);
    clock.restart();
    const Ids exactQueries = searchAll(exactIndex, data, queries, d, k);
    std::printf("%-44s %7.2f s for %lld queries (%.1f s for all, extrapolated)\n", "exact IndexFlatIP, 2 threads",
                clock.elapsed() / 1000.0, static_cast<long long>(queries), clock.elapsed() / 1000.0 * double(n) / double(queries));

    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        clock.restart();
        faiss::IndexFlatIP quantiser(d);
        const int lists = std::max(1, int(4 * std::sqrt(double(n))));
        faiss::IndexIVFFlat ivf(&quantiser, size_t(d), size_t(lists), faiss::METRIC_INNER_PRODUCT);
        ivf.cp.seed = 1;
        ivf.cp.niter = 10;
        ivf.cp.max_points_per_centroid = 64;
        ivf.train(n, data);
        const double trained = clock.elapsed() / 1000.0;
        ivf.add(n, data);
        ivf.nprobe = size_t(std::min(lists, 16));
        const Ids got = searchAll(ivf, data, n, d, k);
        std::printf("IVF %4d lists nprobe 16, %d thread(s)           %7.2f s (k-means %.2f s)  recall@%d %.4f\n", lists, threads,
                    clock.elapsed() / 1000.0, trained, k, recall(exactQueries, got, queries, k));
    }
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        clock.restart();
        faiss::IndexHNSWFlat hnsw(int(d), 32, faiss::METRIC_INNER_PRODUCT);
        hnsw.hnsw.efConstruction = 40;
        hnsw.add(n, data);
        const double built = clock.elapsed() / 1000.0;
        hnsw.hnsw.efSearch = 64;
        const Ids got = searchAll(hnsw, data, n, d, k);
        std::printf("HNSW M 32 efSearch 64, %d thread(s)              %7.2f s (build %.2f s)  recall@%d %.4f\n", threads,
                    clock.elapsed() / 1000.0, built, k, recall(exactQueries, got, queries, k));
    }
    return p.defined() ? 0 : 1;
}
