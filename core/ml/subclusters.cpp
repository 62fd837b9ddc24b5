#include "jobs/job.h"
#include "subclusters.h"

#include "base/category.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace labelscope {

SubclusterResult findSubclusters(const float *embeddings, std::int64_t n, std::int64_t d,
                                 const std::vector<int> &labels, const std::vector<int> &categories,
                                 const SubclusterParams &params, const std::atomic_bool &cancel)
{
    SubclusterResult result;
    if (!embeddings || n < 1 || d < 1) {
        result.error = QStringLiteral("sub-clusters: need a non-empty [N, D] matrix (got N=%1, D=%2)").arg(n).arg(d);
        return result;
    }
    if ((!labels.empty() && std::int64_t(labels.size()) != n) || (!categories.empty() && std::int64_t(categories.size()) != n)) {
        result.error = QStringLiteral("sub-clusters: %1 rows but %2 labels and %3 categories")
                               .arg(n).arg(labels.size()).arg(categories.size());
        return result;
    }
    for (std::int64_t i = 0; i < n * d; ++i)
        if (!std::isfinite(embeddings[i])) {
            result.error = QStringLiteral("sub-clusters: row %1 has a NaN or infinite value").arg(i / d);
            return result;
        }
    int k = params.clusters > 0 ? params.clusters
                                : std::clamp(int(std::lround(std::sqrt(double(n) / 50.0))), 2, 12);
    k = int(std::min<std::int64_t>(k, n));

    std::vector<float> centroids(static_cast<size_t>(k) * size_t(d));
    std::vector<faiss::Index::idx_t> assign(static_cast<size_t>(n), 0);
    if (k == 1) {
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t c = 0; c < d; ++c)
                centroids[size_t(c)] += embeddings[i * d + c] / float(n);
    } else {
        const int previous = omp_get_max_threads();
        omp_set_num_threads(1); // see tsne.cpp: FAISS's OpenMP loops spin against OpenBLAS threads
        try {
            faiss::ClusteringParameters cp;
            cp.niter = std::max(1, params.iterations);
            cp.seed = int(params.seed & 0x7fffffff);
            cp.verbose = false;
            cp.min_points_per_centroid = 1;
            cp.max_points_per_centroid = 1 << 20; // use every row
            faiss::Clustering clustering(int(d), size_t(k), cp);
            faiss::IndexFlatL2 index{faiss::Index::idx_t(d)};
            clustering.train(n, embeddings, index);
            if (cancel.load()) {
                omp_set_num_threads(previous);
                result.error = QStringLiteral("cancelled");
                return result;
            }
            std::vector<float> dist(static_cast<size_t>(n));
            index.search(n, embeddings, 1, dist.data(), assign.data());
            centroids.assign(clustering.centroids.begin(), clustering.centroids.end());
        } catch (...) {
            omp_set_num_threads(previous);
            result.error = QStringLiteral("sub-clusters: %1").arg(exceptionMessage(std::current_exception()));
            return result;
        }
        omp_set_num_threads(previous);
    }

    std::vector<Subcluster> raw(static_cast<size_t>(k));
    std::vector<std::map<int, std::int64_t>> labelCounts(static_cast<size_t>(k));
    for (std::int64_t i = 0; i < n; ++i) {
        const auto c = size_t(std::max<faiss::Index::idx_t>(0, assign[size_t(i)]));
        Subcluster &s = raw[c];
        ++s.size;
        if (!labels.empty() && labels[size_t(i)] >= 0)
            ++labelCounts[c][labels[size_t(i)]];
        if (!categories.empty()) {
            s.hardShare += categories[size_t(i)] == int(Category::Hard);
            s.needReviewShare += categories[size_t(i)] == int(Category::NeedReview);
        }
    }
    for (int c = 0; c < k; ++c) {
        Subcluster &s = raw[size_t(c)];
        s.centroid.assign(centroids.begin() + std::ptrdiff_t(c) * d, centroids.begin() + std::ptrdiff_t(c + 1) * d);
        if (s.size > 0) {
            s.hardShare /= double(s.size);
            s.needReviewShare /= double(s.size);
        }
        std::int64_t best = 0;
        for (const auto &[label, count] : labelCounts[size_t(c)])
            if (count > best) { // ties: the smaller label (map order)
                best = count;
                s.majorityLabel = label;
            }
        s.purity = s.size > 0 ? double(best) / double(s.size) : 0.0;
    }
    // Largest first; empty clusters dropped.
    std::vector<int> order(static_cast<size_t>(k));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return raw[size_t(a)].size > raw[size_t(b)].size; });
    std::vector<int> rank(static_cast<size_t>(k), -1);
    for (int r = 0; r < k; ++r) {
        if (raw[size_t(order[size_t(r)])].size == 0)
            break;
        rank[size_t(order[size_t(r)])] = int(result.clusters.size());
        result.clusters.push_back(std::move(raw[size_t(order[size_t(r)])]));
    }
    result.assignment.resize(size_t(n));
    for (std::int64_t i = 0; i < n; ++i)
        result.assignment[size_t(i)] = rank[size_t(std::max<faiss::Index::idx_t>(0, assign[size_t(i)]))];
    return result;
}

} // namespace labelscope
