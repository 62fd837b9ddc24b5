// Evidence search benchmark (issue 17): what the labelling panel's evidence costs per sample on
// an exact FAISS index of N embeddings of D dimensions (default 60,000 × 128, the analysis'
// embedding size; Gaussian clusters, one per class, K = 10 classes, 80% of the samples "easy"):
// the allowed-row masks of the given and the suggested class plus SimilarityIndex::
// nearestToRowAmong (4 nearest easy samples of each class) and nearestToRow (10 neighbours) —
// what SimilaritySearch runs on its worker thread. Prints median / p95 / max over Q queries and
// the index build time. Asserts nothing.
//
//   build/tests/evidence_bench [N] [D] [Q]

#include "ml/similarity.h"

#include <QElapsedTimer>
#include <QString>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

using namespace labelscope;

int main(int argc, char **argv)
{
    const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 60000;
    const std::int64_t d = argc > 2 ? std::atoll(argv[2]) : 128;
    const int queries = argc > 3 ? std::atoi(argv[3]) : 200;
    constexpr int k = 10;
    std::mt19937 rng(7);
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<float> centres(std::size_t(k * d));
    for (float &c : centres)
        c = 3.f * g(rng);
    std::vector<float> x(std::size_t(n * d));
    std::vector<int> label(static_cast<std::size_t>(n)), easyClass(static_cast<std::size_t>(n));
    std::uniform_real_distribution<float> u(0.f, 1.f);
    for (std::int64_t i = 0; i < n; ++i) {
        label[std::size_t(i)] = int(i % k);
        for (std::int64_t c = 0; c < d; ++c)
            x[std::size_t(i * d + c)] = centres[std::size_t(label[std::size_t(i)] * d + c)] + g(rng);
        easyClass[std::size_t(i)] = u(rng) < 0.8f ? label[std::size_t(i)] : -1;
    }
    SimilarityIndex index;
    QString error;
    QElapsedTimer t;
    t.start();
    if (!index.build(x.data(), n, d, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    const double buildMs = double(t.nsecsElapsed()) / 1e6;
    std::vector<double> ms;
    std::uniform_int_distribution<std::int64_t> pick(0, n - 1);
    std::size_t found = 0;
    for (int q = 0; q < queries; ++q) {
        const std::int64_t row = pick(rng);
        const int a = label[std::size_t(row)], b = (a + 1) % k;
        t.restart();
        for (int c : {a, b}) {
            std::vector<std::uint8_t> allowed(static_cast<std::size_t>(n));
            for (std::size_t r = 0; r < allowed.size(); ++r)
                allowed[r] = easyClass[r] == c ? 1 : 0;
            found += index.nearestToRowAmong(row, 4, allowed).size();
        }
        found += index.nearestToRow(row, 10).size();
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("N=%lld D=%lld queries=%d (found %zu rows): build %.0f ms; evidence per sample median %.1f ms, "
                "p95 %.1f ms, max %.1f ms\n",
                static_cast<long long>(n), static_cast<long long>(d), queries, found, buildMs, ms[ms.size() / 2],
                ms[std::min(ms.size() - 1, ms.size() * 95 / 100)], ms.back());
    return 0;
}
