// The PCA initialisation of t-SNE (tsnePcaInit): the four ways of finding the two leading
// components agree; narrow inputs keep the covariance loop's layout bit for bit; a wide input
// [50, 20000] (once a 20000×20000 covariance: minutes and 5.5 GB) goes through the 50×50 Gram
// matrix, matches an SVD of the centred data, and gives a t-SNE layout of the right shape that
// separates its clusters; D above kMaxTsneDims is refused.

#include "base/sizelimits.h"
#include "ml/tsne.h"
#include "tsnetestutil.h"

#include <QElapsedTimer>
#include <QTest>

#include <torch/torch.h>

#include <cmath>
#include <random>

using namespace labelscope;

namespace {

/// n points near a 3-D subspace of R^d with distinct variances (10², 5², 1²) plus noise 0.05:
/// the two leading components stand out, as the range finder needs.
std::vector<float> lowRank(int64_t n, int64_t d, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> basis(size_t(3 * d));
    for (float &b : basis)
        b = g(rng);
    std::vector<float> x(size_t(n * d));
    const float scale[3] = {10.0f, 5.0f, 1.0f};
    for (int64_t i = 0; i < n; ++i) {
        float coef[3];
        for (int k = 0; k < 3; ++k)
            coef[k] = scale[k] * g(rng);
        for (int64_t j = 0; j < d; ++j)
            x[size_t(i * d + j)] = (coef[0] * basis[size_t(j)] + coef[1] * basis[size_t(d + j)]
                                    + coef[2] * basis[size_t(2 * d + j)]) / std::sqrt(float(d)) + 0.05f * g(rng);
    }
    return x;
}

double maxAbs(const std::vector<double> &v)
{
    double m = 0.0;
    for (double x : v)
        m = std::max(m, std::abs(x));
    return m;
}

double maxAbsDiff(const std::vector<double> &a, const std::vector<double> &b)
{
    double m = 0.0;
    for (size_t i = 0; i < a.size(); ++i)
        m = std::max(m, std::abs(a[i] - b[i]));
    return m;
}

/// The same layout from an SVD of the centred data (the definition of the PCA projection).
std::vector<double> pcaBySvd(const std::vector<float> &data, int64_t n, int64_t d)
{
    const torch::Tensor x = torch::from_blob(const_cast<float *>(data.data()), {n, d}, torch::kFloat32).to(torch::kFloat64);
    const torch::Tensor xc = x - x.mean(0);
    auto [u, s, vh] = torch::linalg_svd(xc, /*full_matrices=*/false);
    std::vector<double> y(size_t(2 * n));
    for (int k = 0; k < 2; ++k) {
        torch::Tensor v = vh[k];
        if (v[v.abs().argmax()].item<double>() < 0)
            v = -v;
        const torch::Tensor proj = xc.matmul(v).contiguous();
        for (int64_t i = 0; i < n; ++i)
            y[size_t(2 * i + k)] = proj[i].item<double>();
    }
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < n; ++i)
        mean += y[size_t(2 * i)] / double(n);
    for (int64_t i = 0; i < n; ++i)
        var += (y[size_t(2 * i)] - mean) * (y[size_t(2 * i)] - mean) / double(n);
    for (double &v : y)
        v *= 1e-4 / std::sqrt(var);
    return y;
}

} // namespace

class TestTsnePca final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void methodsAgree_data()
    {
        QTest::addColumn<qint64>("n");
        QTest::addColumn<qint64>("d");
        QTest::newRow("narrow [300, 64]") << qint64(300) << qint64(64);
        QTest::newRow("square [200, 200]") << qint64(200) << qint64(200);
        QTest::newRow("wide [40, 1500]") << qint64(40) << qint64(1500);
        QTest::newRow("tall [2000, 1100]") << qint64(2000) << qint64(1100);
    }
    void methodsAgree()
    {
        QFETCH(qint64, n);
        QFETCH(qint64, d);
        const std::vector<float> x = lowRank(n, d, 7);
        const std::vector<double> svd = pcaBySvd(x, n, d);
        const double scale = maxAbs(svd);
        for (TsnePca method : {TsnePca::Auto, TsnePca::Covariance, TsnePca::Exact, TsnePca::Randomized}) {
            const std::vector<double> y = tsnePcaInit(x.data(), n, d, 1, method);
            QCOMPARE(y.size(), size_t(2 * n));
            const double diff = maxAbsDiff(y, svd) / scale;
            QVERIFY2(diff < 1e-6, qPrintable(QStringLiteral("method %1: relative difference %2").arg(int(method)).arg(diff)));
        }
        // Up to D = 1024 Auto is the covariance loop, bit for bit (the layouts made so far).
        if (d <= 1024)
            QCOMPARE(tsnePcaInit(x.data(), n, d, 1, TsnePca::Auto), tsnePcaInit(x.data(), n, d, 1, TsnePca::Covariance));
        // Deterministic, the range finder included (a fixed start, not the t-SNE seed).
        QCOMPARE(tsnePcaInit(x.data(), n, d, 1, TsnePca::Randomized), tsnePcaInit(x.data(), n, d, 1, TsnePca::Randomized));
    }

    void rankDeficientInput()
    {
        // Three points (rank 2 after centring) and a constant column: finite, no division by a
        // zero variance.
        const std::vector<float> x = {1, 2, 5, 1, 0, 5, 3, 2, 5};
        for (TsnePca method : {TsnePca::Covariance, TsnePca::Exact, TsnePca::Randomized}) {
            const std::vector<double> y = tsnePcaInit(x.data(), 3, 3, 1, method);
            for (double v : y)
                QVERIFY(std::isfinite(v));
        }
        // Rank 1, wider than tall (the Gram path): the second component is exactly zero.
        const std::vector<float> line = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
        const std::vector<double> y = tsnePcaInit(line.data(), 3, 4, 1, TsnePca::Exact);
        for (int i = 0; i < 3; ++i) {
            QVERIFY(std::isfinite(y[size_t(2 * i)]));
            QCOMPARE(y[size_t(2 * i + 1)], 0.0);
        }
    }

    // The [50, 20000] input of issue 14: the Gram path, the SVD's layout, and a t-SNE layout
    // that keeps the two clusters apart. (No time is asserted; the figure is printed.)
    void wideInput()
    {
        const int64_t n = 50, d = 20000;
        std::vector<int> labels;
        const std::vector<float> x = tsnetest::gaussianBlobs(n, d, 2, 3, &labels);
        QElapsedTimer timer;
        timer.start();
        const std::vector<double> init = tsnePcaInit(x.data(), n, d);
        const qint64 pcaMs = timer.elapsed();
        const std::vector<double> svd = pcaBySvd(x, n, d);
        QVERIFY2(maxAbsDiff(init, svd) / maxAbs(svd) < 1e-6, "the Gram path differs from the SVD");
        // The first component separates the two blobs.
        int agree = 0;
        for (int64_t i = 0; i < n; ++i)
            agree += (init[size_t(2 * i)] > 0) == (labels[size_t(i)] == labels[0]);
        QVERIFY(agree == n || agree == 0);

        TsneParams params;
        params.device = TsneDevice::Cpu;
        params.threads = 1;
        std::atomic_bool cancel{false};
        timer.restart();
        const TsneResult r = computeTsne(x.data(), n, d, params, cancel);
        qInfo("[50, 20000]: PCA init %lld ms, whole t-SNE %lld ms", pcaMs, timer.elapsed());
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.layout.size(), size_t(2 * n));
        for (float v : r.layout)
            QVERIFY(std::isfinite(v));
        QCOMPARE(tsnetest::knnAccuracy(r.layout.data(), n, 2, labels, 5), 1.0);
    }

    void tooWideRefused()
    {
        const int64_t d = kMaxTsneDims + 1;
        const std::vector<float> x(size_t(2 * d), 0.5f);
        std::atomic_bool cancel{false};
        const TsneResult r = computeTsne(x.data(), 2, d, TsneParams(), cancel);
        QVERIFY(!r.ok());
        QVERIFY2(r.error.contains(QString::number(d)) && r.error.contains(QString::number(kMaxTsneDims)), qPrintable(r.error));
    }
};

QTEST_GUILESS_MAIN(TestTsnePca)
#include "tst_tsnepca.moc"
