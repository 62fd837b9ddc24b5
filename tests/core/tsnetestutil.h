#pragma once
// Shared by tst_tsne and tst_tsnetorch: synthetic blobs, brute-force kNN, leave-one-out k-NN
// accuracy, and the first Fashion-MNIST training images as 50 principal components.

#include "base/dataset.h"
#include "ml/tsne.h"

#include <torch/torch.h>

#include <QString>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

namespace labelscope::tsnetest {

inline std::vector<float> gaussianBlobs(int64_t n, int64_t d, int clusters, unsigned seed, std::vector<int> *labels = nullptr)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> centres(size_t(clusters * d));
    for (float &c : centres)
        c = 6.0f * g(rng);
    std::vector<float> x(size_t(n * d));
    if (labels)
        labels->resize(size_t(n));
    for (int64_t i = 0; i < n; ++i) {
        const int c = int(i % clusters);
        if (labels)
            (*labels)[size_t(i)] = c;
        for (int64_t j = 0; j < d; ++j)
            x[size_t(i * d + j)] = centres[size_t(c * d + j)] + g(rng);
    }
    return x;
}

// Brute-force kNN (self excluded), squared distances ascending.
inline void bruteKnn(const float *x, int64_t n, int64_t d, int k, std::vector<int64_t> *ids, std::vector<float> *sq)
{
    ids->resize(size_t(n * k));
    sq->resize(size_t(n * k));
    std::vector<std::pair<float, int64_t>> row;
    for (int64_t i = 0; i < n; ++i) {
        row.clear();
        for (int64_t j = 0; j < n; ++j) {
            if (j == i)
                continue;
            double s = 0;
            for (int64_t c = 0; c < d; ++c) {
                const double v = double(x[i * d + c]) - x[j * d + c];
                s += v * v;
            }
            row.emplace_back(float(s), j);
        }
        std::partial_sort(row.begin(), row.begin() + k, row.end());
        for (int j = 0; j < k; ++j) {
            (*sq)[size_t(i * k + j)] = row[size_t(j)].first;
            (*ids)[size_t(i * k + j)] = row[size_t(j)].second;
        }
    }
}

// Leave-one-out k-NN majority-vote accuracy (ties to the nearest neighbour's label).
inline double knnAccuracy(const float *x, int64_t n, int64_t d, const std::vector<int> &labels, int k)
{
    std::vector<int64_t> ids;
    std::vector<float> sq;
    bruteKnn(x, n, d, k, &ids, &sq);
    int64_t correct = 0;
    for (int64_t i = 0; i < n; ++i) {
        std::map<int, int> votes;
        for (int j = 0; j < k; ++j)
            ++votes[labels[size_t(ids[size_t(i * k + j)])]];
        int best = labels[size_t(ids[size_t(i * k)])], bestVotes = votes[best];
        for (const auto &[label, v] : votes)
            if (v > bestVotes) {
                best = label;
                bestVotes = v;
            }
        correct += best == labels[size_t(i)];
    }
    return double(correct) / double(n);
}

// The joint probabilities P of `x` [n, d] from its exact k nearest neighbours at `perplexity`
// (empty P with *error on failure).
inline TsneAffinities exactAffinities(const std::vector<float> &x, int64_t n, int64_t d, int k, double perplexity,
                                      QString *error)
{
    std::vector<int64_t> ids;
    std::vector<float> sq, cond;
    bruteKnn(x.data(), n, d, k, &ids, &sq);
    if (!tsneConditionalProbabilities(sq.data(), n, k, perplexity, &cond, nullptr, error))
        return {};
    return tsneSymmetrize(ids.data(), cond.data(), n, k);
}

// The layout the FFT-repulsion checks use: 1,500 points of 5 Gaussian clusters (6-d, seed 21),
// P at perplexity 10 from 30 neighbours, and y [n, 2] = 5 × the first two coordinates, so the
// clusters lie ~30 units apart, as in a real layout mid-optimisation.
struct SpreadLayout {
    int64_t n = 1500;
    TsneAffinities p;
    std::vector<double> y;
};
inline SpreadLayout spreadLayout(QString *error)
{
    SpreadLayout s;
    const int64_t d = 6;
    const auto x = gaussianBlobs(s.n, d, 5, 21);
    s.p = exactAffinities(x, s.n, d, 30, 10.0, error);
    s.y.resize(size_t(2 * s.n));
    for (int64_t i = 0; i < s.n; ++i) {
        s.y[size_t(2 * i)] = 5.0 * x[size_t(i * d)];
        s.y[size_t(2 * i + 1)] = 5.0 * x[size_t(i * d + 1)];
    }
    return s;
}

// The first n Fashion-MNIST training images, pixels / 255, projected on their first `dims`
// principal components (SVD of the centred pixels): float32 [n, dims] and the labels. Empty
// with *error when the dataset is not installed.
inline torch::Tensor fashionMnistPca(int64_t n, int64_t dims, std::vector<int> *labels, QString *error)
{
    LoadOptions options;
    options.limit = n;
    const LoadResult loaded = loadDataset(QStringLiteral("fashion-mnist"), options);
    if (!loaded.ok()) {
        *error = loaded.error;
        return {};
    }
    const Dataset &ds = loaded.dataset;
    std::vector<int64_t> rows;
    for (size_t i = 0; i < ds.samples.size(); ++i)
        if (ds.samples[i].split == QLatin1String("train"))
            rows.push_back(int64_t(i));
    n = int64_t(rows.size());
    const int64_t pixels = int64_t(ds.imageBytes());
    torch::Tensor raw = torch::empty({n, pixels}, torch::kFloat32);
    labels->assign(size_t(n), 0);
    for (int64_t i = 0; i < n; ++i) {
        const uint8_t *img = ds.image(size_t(rows[size_t(i)]));
        float *out = raw[i].data_ptr<float>();
        for (int64_t j = 0; j < pixels; ++j)
            out[j] = img[j] / 255.0f;
        (*labels)[size_t(i)] = ds.samples[size_t(rows[size_t(i)])].label;
    }
    torch::Tensor centred = raw - raw.mean(0, true);
    auto [u, s, v] = torch::linalg_svd(centred, false);
    return torch::matmul(centred, v.slice(0, 0, dims).t()).contiguous();
}

} // namespace labelscope::tsnetest
