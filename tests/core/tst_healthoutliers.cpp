// Outlier scores (core/health/outliers.h): cleanlab's kNN-distance score checked against a
// brute-force computation, Datalab's fence, the within-class score and the issue rule (a group of
// similar outliers), bad input, and letters drawn
// with OpenCV's fonts among Fashion-MNIST thumbnails.

#include "healthtestutil.h"
#include "health/duplicates.h"
#include "health/outliers.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using namespace labelscope;
using namespace healthtest;

namespace {

/// Points on three clusters of directions in D dimensions (cosine geometry), then EXTRA rows in
/// random directions of their own.
std::vector<float> clusters(int perCluster, int extra, int d, std::vector<int> *labels, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> centres(std::size_t(3 * d));
    for (float &c : centres)
        c = g(rng);
    std::vector<float> x;
    for (int c = 0; c < 3; ++c)
        for (int i = 0; i < perCluster; ++i) {
            for (int j = 0; j < d; ++j)
                x.push_back(centres[std::size_t(c * d + j)] + 0.15f * g(rng));
            labels->push_back(c);
        }
    for (int i = 0; i < extra; ++i) {
        for (int j = 0; j < d; ++j)
            x.push_back(g(rng));
        labels->push_back(int(i % 3));
    }
    return x;
}

double quantile(std::vector<double> v, double q)
{
    std::sort(v.begin(), v.end());
    const double r = q * double(v.size() - 1);
    const auto lo = std::size_t(std::floor(r)), hi = std::size_t(std::ceil(r));
    return v[lo] + (v[hi] - v[lo]) * (r - double(lo));
}

double auroc(const std::vector<float> &score, const std::vector<int> &positive)
{
    // P(an outlier scores below an inlier), ties counted half.
    double wins = 0.0, pairs = 0.0;
    std::vector<std::uint8_t> isPos(score.size(), 0);
    for (const int p : positive)
        isPos[std::size_t(p)] = 1;
    for (std::size_t i = 0; i < score.size(); ++i)
        if (isPos[i])
            for (std::size_t j = 0; j < score.size(); ++j)
                if (!isPos[j]) {
                    wins += score[i] < score[j] ? 1.0 : score[i] == score[j] ? 0.5 : 0.0;
                    pairs += 1.0;
                }
    return wins / pairs;
}

} // namespace

class TestHealthOutliers final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matchesBruteForce()
    {
        std::vector<int> labels;
        const int d = 8;
        const std::vector<float> x = clusters(100, 6, d, &labels, 1);
        const int n = int(labels.size());
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("test"), &cancel);
        const Result<OutlierScores> r = outlierScores(x.data(), n, d, labels, {}, context);
        QVERIFY2(r.ok(), qPrintable(r.error()));

        std::vector<double> mean(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            std::vector<double> dist;
            const float *a = x.data() + std::size_t(i) * d;
            for (int j = 0; j < n; ++j) {
                if (j == i)
                    continue;
                const float *b = x.data() + std::size_t(j) * d;
                double dot = 0, na = 0, nb = 0;
                for (int q = 0; q < d; ++q) {
                    dot += double(a[q]) * b[q];
                    na += double(a[q]) * a[q];
                    nb += double(b[q]) * b[q];
                }
                dist.push_back(1.0 - dot / std::sqrt(na * nb));
            }
            std::partial_sort(dist.begin(), dist.begin() + 10, dist.end());
            mean[std::size_t(i)] = std::accumulate(dist.begin(), dist.begin() + 10, 0.0) / 10.0;
        }
        // Float arithmetic of the search: 1e-5 on distances of order 0.01–1.
        for (int i = 0; i < n; ++i)
            QVERIFY2(std::abs(r->meanDistance[std::size_t(i)] - mean[std::size_t(i)]) < 1e-5,
                     qPrintable(QStringLiteral("row %1: %2 vs %3").arg(i).arg(r->meanDistance[std::size_t(i)]).arg(mean[std::size_t(i)])));
        const double scale = quantile(mean, 0.5);
        QVERIFY(std::abs(r->scale - scale) < 1e-5);
        const double fence = quantile(mean, 0.75) + (1.0 / 0.37037 - 1.0) * (quantile(mean, 0.75) - quantile(mean, 0.25));
        QVERIFY(std::abs(r->distanceThreshold - fence) < 1e-5);
        QVERIFY(std::abs(r->scoreThreshold - std::exp(-fence / scale)) < 1e-5);
        for (int i = 0; i < n; ++i) {
            QVERIFY(std::abs(r->score[std::size_t(i)] - std::exp(-mean[std::size_t(i)] / scale)) < 1e-5);
            QCOMPARE(r->flag[std::size_t(i)] != 0, r->meanDistance[std::size_t(i)] > r->distanceThreshold);
        }
        // The six rows in directions of their own are outliers; the fence of a 1.7-IQR rule also
        // takes the far tail of the clusters (the Gaussian's 1–2%).
        for (int i = 300; i < n; ++i)
            QVERIFY(r->flag[std::size_t(i)]);
        const auto flags = std::count(r->flag.begin(), r->flag.end(), std::uint8_t(1));
        QVERIFY2(flags <= 6 + 6, qPrintable(QStringLiteral("%1 flagged").arg(flags)));
        QCOMPARE(auroc(r->score, {300, 301, 302, 303, 304, 305}), 1.0);
    }

    void withinClass()
    {
        std::vector<int> labels;
        const int d = 8;
        const std::vector<float> x = clusters(100, 0, d, &labels, 2);
        std::vector<int> given = labels;
        given[5] = 1; // a member of cluster 0 labelled as cluster 1
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("test"), &cancel);
        const Result<OutlierScores> r = outlierScores(x.data(), int(given.size()), d, given, {}, context);
        QVERIFY(r.ok());
        QVERIFY(!r->flag[5]);      // in distribution
        QVERIFY(r->classFlag[5]);  // but far from its given class
        QCOMPARE(*std::min_element(r->classScore.begin(), r->classScore.end()), r->classScore[5]);
        // Its global neighbours all carry label 0 (another class explains it: a label issue); the
        // outlier issue is the class score and flag.
        QCOMPARE(r->otherClassVote[5], 1.0f);
        QVERIFY(r->issueWithinClass);
        QCOMPARE(r->issueScore, r->classScore);
        QCOMPARE(r->issueFlag, r->classFlag);
        // Without labels: no class scores.
        const Result<OutlierScores> plain = outlierScores(x.data(), int(given.size()), d, {}, {}, context);
        QVERIFY(plain.ok());
        QVERIFY(std::all_of(plain->classScore.begin(), plain->classScore.end(), [](float s) { return s == 1.0f; }));
    }

    void groupOfOutliersWithinClass()
    {
        // Three labelled clusters of 100 and a tight group of 12 similar rows from elsewhere,
        // labelled like the data (4 per class): within the global kNN (k = 10) each of the 12
        // has 11 close neighbours of its own kind and looks typical; in its given class only 3
        // of its kind, so the class score ranks the group first and the issue flags it.
        const int d = 8, group = 12;
        std::vector<int> labels;
        std::vector<float> x = clusters(100, 0, d, &labels, 4);
        std::mt19937 rng(7);
        std::normal_distribution<float> g(0.0f, 1.0f);
        std::vector<float> centre(static_cast<std::size_t>(d), 0.0f);
        for (float &c : centre)
            c = g(rng);
        std::vector<int> members;
        for (int i = 0; i < group; ++i) {
            members.push_back(int(labels.size()));
            for (int j = 0; j < d; ++j)
                x.push_back(centre[std::size_t(j)] + 0.05f * g(rng));
            labels.push_back(i % 3);
        }
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("test"), &cancel);
        const Result<OutlierScores> r = outlierScores(x.data(), std::int64_t(labels.size()), d, labels, {}, context);
        QVERIFY(r.ok());
        const double global = auroc(r->score, members), issue = auroc(r->issueScore, members);
        QVERIFY2(global < 0.5, qPrintable(QStringLiteral("global AUROC %1").arg(global)));
        QCOMPARE(issue, 1.0);
        for (const int m : members) {
            QVERIFY(!r->flag[std::size_t(m)]);
            QVERIFY(r->otherClassVote[std::size_t(m)] < 0.5f); // 4 + 4 of the other labels among 11
            QVERIFY(r->issueFlag[std::size_t(m)]);
        }
        HealthReport report;
        setOutlierColumn(r.value(), &report);
        QCOMPARE(report.column(IssueType::Outlier).score, r->issueScore);
        QVERIFY(report.statistics.outlierWithinClass);
    }

    void badInput()
    {
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("test"), &cancel);
        std::vector<float> x = {1, 0, 0, 1, 1, 1};
        QVERIFY(!outlierScores(x.data(), 1, 2, {}, {}, context).ok());
        QVERIFY(!outlierScores(nullptr, 3, 2, {}, {}, context).ok());
        const Result<OutlierScores> wrongLabels = outlierScores(x.data(), 3, 2, {0, 1}, {}, context);
        QVERIFY(!wrongLabels.ok() && wrongLabels.error().contains(QLatin1String("2 labels for 3 rows")));
        OutlierOptions options;
        options.threshold = 0.0;
        QVERIFY(!outlierScores(x.data(), 3, 2, {}, options, context).ok());
        x[3] = std::nanf("");
        const Result<OutlierScores> nan = outlierScores(x.data(), 3, 2, {}, {}, context);
        QVERIFY(!nan.ok() && nan.error().contains(QLatin1String("row 1")));
        std::atomic_bool cancelled{true};
        JobContext stopped(QStringLiteral("test"), &cancelled);
        std::vector<int> labels;
        const std::vector<float> big = clusters(2000, 0, 8, &labels, 3);
        QVERIFY(outlierScores(big.data(), 6000, 8, labels, {}, stopped).isCancelled());
    }

    void lettersAmongGarments()
    {
        const std::vector<cv::Mat> fashion = fashionImages(1500);
        if (fashion.size() < 1500)
            QSKIP("Fashion-MNIST is not installed (/usr/share/datasets/fashion-mnist)");
        std::vector<cv::Mat> images = fashion;
        const int fonts[] = {cv::FONT_HERSHEY_SIMPLEX, cv::FONT_HERSHEY_DUPLEX, cv::FONT_HERSHEY_COMPLEX};
        const char *texts[] = {"A", "K7", "Q", "38", "XR", "W", "5", "M2", "T", "Z9"};
        std::vector<int> letters;
        for (int i = 0; i < 30; ++i) {
            letters.push_back(int(images.size()));
            images.push_back(textImage(texts[i % 10], fonts[i % 3], 3 + i % 4, double(i % 7) * 5.0 - 15.0));
        }
        std::vector<float> thumbnails(images.size() * kThumbnailDim);
        for (std::size_t i = 0; i < images.size(); ++i) {
            ImageFingerprint fp;
            QVERIFY(fingerprintImage(decoded(images[i]), &fp, thumbnails.data() + i * kThumbnailDim));
        }
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("test"), &cancel);
        const Result<OutlierScores> r = outlierScores(thumbnails.data(), std::int64_t(images.size()), kThumbnailDim, {}, {}, context);
        QVERIFY(r.ok());
        // The thumbnail sees shape and brightness only; on 60,000 the benchmark measures .95 with
        // 600 varied drawings. Here 30 among 1,500: at least .9.
        const double a = auroc(r->score, letters);
        QVERIFY2(a >= 0.9, qPrintable(QStringLiteral("AUROC %1").arg(a)));

        HealthReport report;
        setOutlierColumn(r.value(), &report);
        QVERIFY(report.column(IssueType::Outlier).computed);
        QCOMPARE(report.column(IssueType::Outlier).threshold, r->scoreThreshold);
        QCOMPARE(report.column(IssueType::Outlier).flagged(), std::int64_t(std::count(r->flag.begin(), r->flag.end(), 1)));
    }
};

QTEST_GUILESS_MAIN(TestHealthOutliers)
#include "tst_healthoutliers.moc"
