// Similarity search (flat and IVF) and sub-clusters on data whose answer is known.

#include "base/category.h"
#include "ml/similarity.h"
#include "ml/subclusters.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace labelscope;

class TestSimilarity final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void flatOnALine()
    {
        // Row i sits at (i, 0, 0): distances are known exactly.
        const int64_t n = 20, d = 3;
        std::vector<float> x(size_t(n * d), 0.0f);
        for (int64_t i = 0; i < n; ++i)
            x[size_t(i * d)] = float(i);
        SimilarityIndex index;
        QString error;
        QVERIFY2(index.build(x.data(), n, d, &error), qPrintable(error));
        QVERIFY(index.isExact());
        QCOMPARE(index.size(), n);
        QCOMPARE(index.dim(), d);

        auto hits = index.nearestToRow(5, 4);
        QCOMPARE(int(hits.size()), 4);
        QVERIFY((hits[0].row == 4 && hits[1].row == 6) || (hits[0].row == 6 && hits[1].row == 4));
        QCOMPARE(hits[0].distance, 1.0f);
        QCOMPARE(hits[2].distance, 2.0f);
        for (const auto &h : hits)
            QVERIFY(h.row != 5);

        // Mean of rows 0, 1, 2 is (1, 0, 0): nearest others are 3 (distance 2), then 4 (3).
        hits = index.nearestToMean({0, 1, 2}, 2);
        QCOMPARE(int(hits.size()), 2);
        QCOMPARE(hits[0].row, int64_t(3));
        QCOMPARE(hits[0].distance, 2.0f);
        QCOMPARE(hits[1].row, int64_t(4));

        // An arbitrary vector; exclusions honoured; k larger than what is left.
        const float q[3] = {18.6f, 0.0f, 0.0f};
        hits = index.nearestToVector(q, 100, {19});
        QCOMPARE(int(hits.size()), 19);
        QCOMPARE(hits[0].row, int64_t(18));
        QVERIFY(std::abs(hits[0].distance - 0.6f) < 1e-4f);

        // Bad queries give nothing, not a crash.
        QVERIFY(index.nearestToRow(-1, 3).empty());
        QVERIFY(index.nearestToRow(20, 3).empty());
        QVERIFY(index.nearestToMean({}, 3).empty());
    }

    void nearestAmongAllowedRows()
    {
        // Row i at (i, 0): the allowed rows are the even ones; row 7's nearest even rows are
        // 6 and 8 (distance 1), then 4 and 10 (distance 3). The query row itself never comes back.
        const int64_t n = 30, d = 2;
        std::vector<float> x(size_t(n * d), 0.0f);
        for (int64_t i = 0; i < n; ++i)
            x[size_t(i * d)] = float(i);
        SimilarityIndex index;
        QString error;
        QVERIFY2(index.build(x.data(), n, d, &error), qPrintable(error));
        std::vector<std::uint8_t> even(size_t(n), 0);
        for (int64_t i = 0; i < n; i += 2)
            even[size_t(i)] = 1;
        auto hits = index.nearestToRowAmong(7, 4, even);
        QCOMPARE(int(hits.size()), 4);
        for (const auto &h : hits)
            QVERIFY2(h.row % 2 == 0, qPrintable(QString::number(h.row)));
        QCOMPARE(hits[0].distance, 1.0f);
        QCOMPARE(hits[1].distance, 1.0f);
        QCOMPARE(hits[2].distance, 3.0f);
        // The query row allowed too: still left out.
        hits = index.nearestToRowAmong(8, 2, even);
        QCOMPARE(int(hits.size()), 2);
        QCOMPARE(hits[0].distance, 2.0f);
        for (const auto &h : hits)
            QVERIFY(h.row != 8);
        // Fewer allowed rows than asked; none; a mask of the wrong size.
        std::vector<std::uint8_t> two(size_t(n), 0);
        two[3] = two[25] = 1;
        hits = index.nearestToRowAmong(0, 10, two);
        QCOMPARE(int(hits.size()), 2);
        QCOMPARE(hits[0].row, int64_t(3));
        QCOMPARE(hits[1].row, int64_t(25));
        QVERIFY(index.nearestToRowAmong(0, 3, std::vector<std::uint8_t>(size_t(n), 0)).empty());
        QVERIFY(index.nearestToRowAmong(0, 3, std::vector<std::uint8_t>(3, 1)).empty());
    }

    void badInput()
    {
        SimilarityIndex index;
        QString error;
        QVERIFY(!index.build(nullptr, 0, 3, &error));
        QVERIFY(!error.isEmpty());
        std::vector<float> x = {0.f, 1.f, std::nanf(""), 2.f};
        QVERIFY(!index.build(x.data(), 2, 2, &error));
        QVERIFY(error.contains(QLatin1String("row 1")));
        QVERIFY(!index.isBuilt());
        QVERIFY(index.nearestToRow(0, 1).empty());
    }

    void ivfAgreesWithFlat()
    {
        // Clustered data, IVF forced by a low flat limit: recall@10 against the exact answer.
        const int64_t n = 20000, d = 32;
        std::mt19937 rng(3);
        std::normal_distribution<float> g(0.0f, 1.0f);
        std::vector<float> centres(size_t(50 * d));
        for (float &c : centres)
            c = 4.0f * g(rng);
        std::vector<float> x(size_t(n * d));
        for (int64_t i = 0; i < n; ++i)
            for (int64_t c = 0; c < d; ++c)
                x[size_t(i * d + c)] = centres[size_t((i % 50) * d + c)] + g(rng);
        SimilarityIndex flat, ivf;
        QString error;
        QVERIFY(flat.build(x.data(), n, d, &error));
        SimilarityIndex::Options options;
        options.flatLimit = 1000;
        QVERIFY2(ivf.build(x.data(), n, d, &error, nullptr, options), qPrintable(error));
        QVERIFY(!ivf.isExact());
        int hits = 0, total = 0;
        for (int64_t q = 0; q < n; q += 97) {
            const auto a = flat.nearestToRow(q, 10), b = ivf.nearestToRow(q, 10);
            QCOMPARE(int(b.size()), 10);
            for (const auto &h : b) {
                QVERIFY(h.row != q);
                for (const auto &e : a)
                    hits += e.row == h.row;
            }
            total += 10;
        }
        const double recall = double(hits) / total;
        qInfo("IVF recall@10 vs flat: %.3f", recall);
        QVERIFY(recall > 0.9);
        // The ID selector on the IVF index: only allowed rows (the query's own cluster, every
        // 50th row), as many as asked (its cluster's list is searched first).
        std::vector<std::uint8_t> sameCluster(size_t(n), 0);
        for (int64_t i = 7; i < n; i += 50)
            sameCluster[size_t(i)] = 1;
        const auto among = ivf.nearestToRowAmong(107, 5, sameCluster);
        QCOMPARE(int(among.size()), 5);
        for (const auto &h : among)
            QVERIFY(h.row % 50 == 7 && h.row != 107);
        // Cancel before building.
        std::atomic_bool cancel{true};
        QVERIFY(!ivf.build(x.data(), n, d, &error, &cancel, options));
        QCOMPARE(error, QStringLiteral("cancelled"));
    }

    void subclustersOfOneClass()
    {
        // Two well separated groups inside a "class": 60 rows near (0,0), 40 near (10,10). In the
        // small group 10 rows carry another label (purity 0.75) and all of those are hard.
        const int64_t n = 100, d = 2;
        std::mt19937 rng(1);
        std::normal_distribution<float> g(0.0f, 0.3f);
        std::vector<float> x(size_t(n * d));
        std::vector<int> labels(static_cast<size_t>(n), 3), categories(size_t(n), int(Category::Easy));
        for (int64_t i = 0; i < n; ++i) {
            const float c = i < 60 ? 0.0f : 10.0f;
            x[size_t(i * d)] = c + g(rng);
            x[size_t(i * d + 1)] = c + g(rng);
            if (i >= 90) {
                labels[size_t(i)] = 7;
                categories[size_t(i)] = int(Category::Hard);
            } else if (i < 6) {
                categories[size_t(i)] = int(Category::NeedReview);
            }
        }
        SubclusterParams params;
        params.clusters = 2;
        std::atomic_bool cancel{false};
        const SubclusterResult r = findSubclusters(x.data(), n, d, labels, categories, params, cancel);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(int(r.clusters.size()), 2);
        QCOMPARE(r.clusters[0].size, int64_t(60));
        QCOMPARE(r.clusters[1].size, int64_t(40));
        QCOMPARE(r.clusters[0].majorityLabel, 3);
        QCOMPARE(r.clusters[0].purity, 1.0);
        QCOMPARE(r.clusters[0].needReviewShare, 0.1);
        QCOMPARE(r.clusters[0].hardShare, 0.0);
        QCOMPARE(r.clusters[1].purity, 0.75);
        QCOMPARE(r.clusters[1].hardShare, 0.25);
        QVERIFY(std::abs(r.clusters[1].centroid[0] - 10.0f) < 0.5f);
        for (int64_t i = 0; i < n; ++i)
            QCOMPARE(r.assignment[size_t(i)], i < 60 ? 0 : 1);

        // Without labels and categories; automatic k; mismatched sizes refused.
        const SubclusterResult plain = findSubclusters(x.data(), n, d, {}, {}, SubclusterParams(), cancel);
        QVERIFY(plain.ok());
        QVERIFY(plain.clusters.size() >= 1);
        QCOMPARE(plain.clusters[0].majorityLabel, -1);
        const SubclusterResult bad = findSubclusters(x.data(), n, d, {1, 2}, {}, params, cancel);
        QVERIFY(!bad.ok());
    }
};

QTEST_GUILESS_MAIN(TestSimilarity)
#include "tst_similarity.moc"
