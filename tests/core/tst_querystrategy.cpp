// Tests of the active-learning query strategies (core/ml/querystrategy.h) on small synthetic
// pools where the right pick is known.

#include "ml/querystrategy.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

using namespace labelscope;

namespace {

std::atomic_bool g_noCancel{false};

QuerySelection pick(const QueryPool &pool, const QString &u, const QString &d, int64_t n,
                    const QueryOptions &options = {})
{
    std::unique_ptr<QueryStrategy> s;
    QString error;
    if (!QueryStrategy::create(u, d, &s, &error)) {
        qWarning() << error;
        return {};
    }
    QuerySelection out;
    if (!s->select(pool, n, options, g_noCancel, &out, &error))
        qWarning() << error;
    return out;
}

std::vector<float> scoresOf(const QueryPool &pool, const QString &name)
{
    std::vector<float> out;
    QString error;
    makeUncertaintyMeasure(name)->scores(pool, QueryOptions{}, &out, &error);
    return out;
}

// Two-class pool whose probabilities come from a 1-D logistic model: p(class 1) = σ(x).
QueryPool logisticPool(const std::vector<float> &xs)
{
    QueryPool pool;
    pool.size = int64_t(xs.size());
    pool.numClasses = 2;
    pool.embeddingDim = 1;
    for (float x : xs) {
        const float p1 = 1.0f / (1.0f + std::exp(-x));
        pool.probs.push_back(1.0f - p1);
        pool.probs.push_back(p1);
        pool.embeddings.push_back(x);
    }
    return pool;
}

// Pool with 2-D embeddings at the given points, uncertainty from probs (all uniform unless set).
QueryPool pointPool(const std::vector<std::pair<float, float>> &points, int k = 3)
{
    QueryPool pool;
    pool.size = int64_t(points.size());
    pool.numClasses = k;
    pool.embeddingDim = 2;
    for (auto [x, y] : points) {
        pool.embeddings.push_back(x);
        pool.embeddings.push_back(y);
        for (int c = 0; c < k; ++c)
            pool.probs.push_back(1.0f / float(k));
    }
    return pool;
}

// Sets row i's probabilities to (1 − q, q, 0, ...): least confidence q for q ≤ 0.5.
void setUncertainty(QueryPool &pool, int64_t i, float q)
{
    float *p = pool.probs.data() + i * pool.numClasses;
    std::fill(p, p + pool.numClasses, 0.0f);
    p[0] = 1.0f - q;
    p[1] = q;
}

bool distinctInRange(const std::vector<int64_t> &v, int64_t m)
{
    std::set<int64_t> s(v.begin(), v.end());
    return s.size() == v.size() && std::all_of(v.begin(), v.end(), [m](int64_t i) { return i >= 0 && i < m; });
}

} // namespace

class TestQueryStrategy final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void uncertaintyValues()
    {
        QueryPool pool;
        pool.size = 4;
        pool.numClasses = 3;
        pool.probs = {1, 0, 0, 0.5f, 0.5f, 0, 1 / 3.f, 1 / 3.f, 1 / 3.f, 0.6f, 0.3f, 0.1f};
        const auto lc = scoresOf(pool, QStringLiteral("least_confidence"));
        const auto mg = scoresOf(pool, QStringLiteral("margin_based"));
        const auto en = scoresOf(pool, QStringLiteral("entropy_based"));
        const std::vector<float> lcWant{0, 0.5f, 2 / 3.f, 0.4f}, mgWant{0, 1, 1, 0.7f};
        const std::vector<double> enWant{0, std::log(2.0), std::log(3.0),
                                         -(0.6 * std::log(0.6) + 0.3 * std::log(0.3) + 0.1 * std::log(0.1))};
        for (int i = 0; i < 4; ++i) {
            QVERIFY(std::abs(lc[i] - lcWant[i]) < 1e-6f);
            QVERIFY(std::abs(mg[i] - mgWant[i]) < 1e-6f);
            QVERIFY(std::abs(en[i] - enWant[i]) < 1e-5);
        }
    }

    void marginPicksNearestBoundary()
    {
        const QueryPool pool = logisticPool({-3.f, 2.f, 0.4f, -0.05f, 5.f, -1.f});
        for (const QString &u : {QStringLiteral("margin_based"), QStringLiteral("least_confidence"), QStringLiteral("entropy_based")}) {
            const QuerySelection s = pick(pool, u, QStringLiteral("pick_top_n"), 2);
            QCOMPARE(s.indices, (std::vector<int64_t>{3, 2}));
        }
    }

    void baldPrefersDisagreement()
    {
        // Sample 0: both dropout samples agree on (0.5, 0.5) → aleatoric, BALD 0.
        // Sample 1: they disagree (1, 0) vs (0, 1) → BALD = ln 2. Entropy of the mean is ln 2 for both.
        QueryPool pool;
        pool.size = 2;
        pool.numClasses = 2;
        pool.probs = {0.5f, 0.5f, 0.5f, 0.5f};
        pool.mcSamples = 2;
        pool.mcProbs = {0.5f, 0.5f, 1, 0, /* t = 1 */ 0.5f, 0.5f, 0, 1};
        const auto b = scoresOf(pool, QStringLiteral("bald"));
        QVERIFY(std::abs(b[0]) < 1e-6f);
        QVERIFY(std::abs(b[1] - std::log(2.0)) < 1e-5);
        QCOMPARE(pick(pool, QStringLiteral("bald"), QStringLiteral("pick_top_n"), 1).indices, (std::vector<int64_t>{1}));
    }

    void coresetPicksFarthest()
    {
        QueryPool pool = pointPool({{1, 0}, {2, 0}, {10, 0}, {0, 9}, {0.5f, 0.5f}});
        pool.labelledEmbeddings = {0, 0};
        const QuerySelection s = pick(pool, QStringLiteral("least_confidence"), QStringLiteral("coreset"), 2);
        // Farthest from the origin is (10, 0); then farthest from {origin, (10, 0)} is (0, 9).
        QCOMPARE(s.indices, (std::vector<int64_t>{2, 3}));
    }

    void clusteringQuotaSumsToN()
    {
        // Three separated blobs of 50, 30 and 20 points; uncertainty rises with the index in a blob.
        std::vector<std::pair<float, float>> pts;
        std::vector<int> blob;
        std::mt19937 rng(3);
        std::normal_distribution<float> noise(0.f, 0.1f);
        const std::vector<std::pair<int, std::pair<float, float>>> blobs{{50, {0, 0}}, {30, {20, 0}}, {20, {0, 20}}};
        for (int b = 0; b < 3; ++b)
            for (int j = 0; j < blobs[b].first; ++j) {
                pts.push_back({blobs[b].second.first + noise(rng), blobs[b].second.second + noise(rng)});
                blob.push_back(b);
            }
        QueryPool pool = pointPool(pts);
        for (int64_t i = 0; i < pool.size; ++i)
            setUncertainty(pool, i, 0.001f * float(i % 50) + 0.1f * float(blob[i]));
        QueryOptions o;
        o.clusters = 3;
        const QuerySelection s = pick(pool, QStringLiteral("least_confidence"), QStringLiteral("clustering_sampling"), 10, o);
        QCOMPARE(int(s.indices.size()), 10);
        QVERIFY(distinctInRange(s.indices, pool.size));
        int count[3] = {0, 0, 0};
        for (int64_t i : s.indices)
            ++count[blob[i]];
        // ceil(50/100·10) = 5, ceil(30/100·10) = 3, ceil(20/100·10) = 2: exactly 10.
        QCOMPARE(count[0], 5);
        QCOMPARE(count[1], 3);
        QCOMPARE(count[2], 2);
        // The most uncertain of each blob: blob 0 → indices 45..49.
        for (int64_t i : s.indices)
            if (blob[i] == 0)
                QVERIFY(i >= 45);
        // The ceilings overshoot (4 + 3 + 2 = 9 > 7): still exactly 7, distinct.
        const QuerySelection s7 = pick(pool, QStringLiteral("least_confidence"), QStringLiteral("clustering_sampling"), 7, o);
        QCOMPARE(int(s7.indices.size()), 7);
        QVERIFY(distinctInRange(s7.indices, pool.size));
    }

    void iterativeProximitySpreads()
    {
        // Blob A (20 points, uncertainty 0.45..) and far blob B (20 points, uncertainty 0.40..).
        std::vector<std::pair<float, float>> pts;
        for (int j = 0; j < 20; ++j)
            pts.push_back({0.01f * float(j), 0});
        for (int j = 0; j < 20; ++j)
            pts.push_back({50 + 0.01f * float(j), 0});
        QueryPool pool = pointPool(pts);
        for (int64_t i = 0; i < 40; ++i)
            setUncertainty(pool, i, (i < 20 ? 0.45f : 0.40f) + 0.0001f * float(i % 20));
        const QuerySelection top = pick(pool, QStringLiteral("least_confidence"), QStringLiteral("pick_top_n"), 20);
        QVERIFY(std::all_of(top.indices.begin(), top.indices.end(), [](int64_t i) { return i < 20; }));
        const QuerySelection prox = pick(pool, QStringLiteral("least_confidence"), QStringLiteral("iterative_proximity_sampling"), 20);
        QCOMPARE(int(prox.indices.size()), 20);
        // First step of 10: the 10 most uncertain (A); second step: the centre lies in A, so B's
        // points get +0.3 and A's −0.3 → B.
        for (int j = 0; j < 10; ++j)
            QVERIFY(prox.indices[j] < 20);
        for (int j = 10; j < 20; ++j)
            QVERIFY(prox.indices[j] >= 20);
    }

    void rankedBatchTradesOff()
    {
        QueryPool pool = pointPool({{0.1f, 0}, {9, 0}});
        setUncertainty(pool, 0, 0.5f); // least confidence 0.5
        setUncertainty(pool, 1, 0.1f);
        pool.labelledEmbeddings = {0, 0};
        // α = 2/3: near point 2/3·(1 − 1/1.1) + 1/3·0.5 = 0.227; far 2/3·0.9 + 1/3·0.1 = 0.633.
        QCOMPARE(pick(pool, QStringLiteral("least_confidence"), QStringLiteral("ranked_batch"), 1).indices, (std::vector<int64_t>{1}));
        // Nothing labelled: modAL starts from the most uncertain.
        pool.labelledEmbeddings.clear();
        QCOMPARE(pick(pool, QStringLiteral("least_confidence"), QStringLiteral("ranked_batch"), 1).indices, (std::vector<int64_t>{0}));
    }

    void badgeCoversBlobs()
    {
        // Three blobs of exact duplicates (same embedding, same probabilities): k-means++ gives a
        // point that coincides with a centre zero weight, so 3 picks hit 3 blobs.
        std::vector<std::pair<float, float>> pts;
        for (int b = 0; b < 3; ++b)
            for (int j = 0; j < 10; ++j)
                pts.push_back({float(b == 1) * 5.f + 1.f, float(b == 2) * 5.f + 1.f});
        QueryPool pool = pointPool(pts);
        for (int64_t i = 0; i < pool.size; ++i)
            setUncertainty(pool, i, 0.1f * float(1 + i / 10));
        for (quint64 seed : {1ULL, 2ULL, 3ULL}) {
            QueryOptions o;
            o.seed = seed;
            const QuerySelection s = pick(pool, QStringLiteral("margin_based"), QStringLiteral("badge"), 3, o);
            QCOMPARE(int(s.indices.size()), 3);
            std::set<int64_t> blobs;
            for (int64_t i : s.indices)
                blobs.insert(i / 10);
            QCOMPARE(int(blobs.size()), 3);
            // The first centre has the largest gradient norm: blob 2 (largest ‖e‖ and ‖p − onehot‖).
            QCOMPARE(s.indices.front() / 10, int64_t(2));
        }
    }

    void randomIsSeededAndDistinct()
    {
        QueryPool pool = logisticPool(std::vector<float>(100, 0.f));
        QueryOptions a, b;
        a.seed = 7;
        b.seed = 8;
        const auto s1 = pick(pool, QStringLiteral("random_sampling"), QStringLiteral("random_sampling"), 30, a);
        const auto s2 = pick(pool, QStringLiteral("random_sampling"), QStringLiteral("random_sampling"), 30, a);
        const auto s3 = pick(pool, QStringLiteral("random_sampling"), QStringLiteral("random_sampling"), 30, b);
        QCOMPARE(s1.indices, s2.indices);
        QVERIFY(s1.indices != s3.indices);
        QVERIFY(distinctInRange(s1.indices, 100));
        QCOMPARE(int(s1.indices.size()), 30);
    }

    void everyCombinationGivesExactlyN()
    {
        std::mt19937 rng(11);
        std::uniform_real_distribution<float> uni(0.f, 1.f);
        QueryPool pool;
        pool.size = 300;
        pool.numClasses = 4;
        pool.embeddingDim = 8;
        pool.mcSamples = 3;
        auto randomProbs = [&](std::vector<float> &v, int64_t rows) {
            for (int64_t i = 0; i < rows; ++i) {
                float s = 0, p[4];
                for (float &x : p)
                    s += (x = uni(rng) + 1e-3f);
                for (float x : p)
                    v.push_back(x / s);
            }
        };
        randomProbs(pool.probs, pool.size);
        randomProbs(pool.mcProbs, pool.size * pool.mcSamples);
        for (int64_t i = 0; i < pool.size * pool.embeddingDim; ++i)
            pool.embeddings.push_back(uni(rng));
        for (int i = 0; i < 5 * pool.embeddingDim; ++i)
            pool.labelledEmbeddings.push_back(uni(rng));
        for (const QString &u : uncertaintyNames())
            for (const QString &d : diversityNames()) {
                const QuerySelection s = pick(pool, u, d, 37);
                QVERIFY2(s.indices.size() == 37, qPrintable(u + QLatin1Char('/') + d));
                QVERIFY2(distinctInRange(s.indices, pool.size), qPrintable(u + QLatin1Char('/') + d));
                QCOMPARE(s.scores.size(), s.indices.size());
            }
        // More than the pool: the whole pool.
        QCOMPARE(int(pick(pool, QStringLiteral("entropy_based"), QStringLiteral("coreset"), 1000).indices.size()), 300);
    }

    void errors()
    {
        std::unique_ptr<QueryStrategy> s;
        QString error;
        QVERIFY(!QueryStrategy::create(QStringLiteral("smallest_margin"), QStringLiteral("pick_top_n"), &s, &error));
        QVERIFY(error.contains(QLatin1String("smallest_margin")));
        QVERIFY(!QueryStrategy::create(QStringLiteral("margin_based"), QStringLiteral("kmeans"), &s, &error));
        QVERIFY(error.contains(QLatin1String("kmeans")));

        QVERIFY(QueryStrategy::create(QStringLiteral("bald"), QStringLiteral("pick_top_n"), &s, &error));
        QueryPool pool = logisticPool({0.f, 1.f});
        QuerySelection out;
        QVERIFY(!s->select(pool, 1, {}, g_noCancel, &out, &error));
        QVERIFY(error.contains(QLatin1String("MC")));

        QVERIFY(QueryStrategy::create(QStringLiteral("margin_based"), QStringLiteral("coreset"), &s, &error));
        pool.probs.pop_back();
        QVERIFY(!s->select(pool, 1, {}, g_noCancel, &out, &error));
        QVERIFY(error.contains(QLatin1String("probs")));

        std::atomic_bool cancel{true};
        QueryPool big = logisticPool(std::vector<float>(50, 0.5f));
        QVERIFY(!s->select(big, 5, {}, cancel, &out, &error));
        QCOMPARE(error, QStringLiteral("cancelled"));
    }
};

QTEST_GUILESS_MAIN(TestQueryStrategy)
#include "tst_querystrategy.moc"
