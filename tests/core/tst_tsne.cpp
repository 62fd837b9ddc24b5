// t-SNE: perplexity calibration, symmetric P, exact gradient against finite differences, FFT
// repulsion against exact sums, determinism, cancellation, bad input, and neighbourhood
// preservation on Fashion-MNIST.

#include "ml/tsne.h"
#include "tsnetestutil.h"

#include <torch/torch.h>

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

using namespace labelscope;
using namespace labelscope::tsnetest;

class TestTsne final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void perplexityCalibration()
    {
        const int64_t n = 300, d = 10;
        const int k = 90;
        const auto x = gaussianBlobs(n, d, 4, 7);
        std::vector<int64_t> ids;
        std::vector<float> sq;
        bruteKnn(x.data(), n, d, k, &ids, &sq);
        for (double perplexity : {5.0, 30.0}) {
            std::vector<float> p;
            std::vector<double> betas;
            QString error;
            QVERIFY2(tsneConditionalProbabilities(sq.data(), n, k, perplexity, &p, &betas, &error), qPrintable(error));
            double worst = 0.0;
            for (int64_t i = 0; i < n; ++i) {
                double sum = 0.0, h = 0.0;
                for (int j = 0; j < k; ++j) {
                    const double v = p[size_t(i * k + j)];
                    sum += v;
                    if (v > 0)
                        h -= v * std::log(v);
                }
                QVERIFY(std::abs(sum - 1.0) < 1e-4);
                QVERIFY(betas[size_t(i)] > 0.0);
                worst = std::max(worst, std::abs(h - std::log(perplexity)));
            }
            // 1e-5 nats in double; the float32 storage of P adds ~1e-6 per entry.
            QVERIFY2(worst < 1e-3, qPrintable(QStringLiteral("entropy off by %1").arg(worst)));
        }
        // Nearer neighbours get more probability.
        std::vector<float> p;
        QString error;
        QVERIFY(tsneConditionalProbabilities(sq.data(), n, k, 30.0, &p, nullptr, &error));
        QVERIFY(p[0] >= p[size_t(k - 1)]);
        // Bad input is refused with a message.
        QVERIFY(!tsneConditionalProbabilities(sq.data(), n, k, 200.0, &p, nullptr, &error));
        QVERIFY(error.contains(QLatin1String("perplexity")));
    }

    void approximateNeighboursRecall()
    {
        const int64_t n = 6000, d = 20;
        const int k = 30;
        const auto x = gaussianBlobs(n, d, 8, 13);
        TsneParams exact, approx;
        exact.exactKnnLimit = n;
        approx.exactKnnLimit = 1000;
        std::atomic_bool cancel{false};
        std::vector<int64_t> ie, ia;
        std::vector<float> de, da;
        QString error;
        QVERIFY2(tsneNearestNeighbours(x.data(), n, d, k, exact, cancel, &ie, &de, &error), qPrintable(error));
        QVERIFY2(tsneNearestNeighbours(x.data(), n, d, k, approx, cancel, &ia, &da, &error), qPrintable(error));
        int64_t hits = 0;
        for (int64_t i = 0; i < n; ++i) {
            std::vector<int64_t> a(ie.begin() + i * k, ie.begin() + (i + 1) * k);
            std::sort(a.begin(), a.end());
            for (int j = 0; j < k; ++j) {
                QVERIFY(ia[size_t(i * k + j)] != i);
                hits += std::binary_search(a.begin(), a.end(), ia[size_t(i * k + j)]);
                if (j > 0)
                    QVERIFY(de[size_t(i * k + j)] >= de[size_t(i * k + j - 1)]);
            }
        }
        // Exact distances agree with a direct computation for a few rows.
        for (int64_t i : {int64_t(0), int64_t(4321)}) {
            const int64_t j = ie[size_t(i * k)];
            double s = 0;
            for (int64_t c = 0; c < d; ++c)
                s += (double(x[size_t(i * d + c)]) - x[size_t(j * d + c)]) * (double(x[size_t(i * d + c)]) - x[size_t(j * d + c)]);
            QVERIFY(std::abs(s - de[size_t(i * k)]) < 1e-3 * std::max(1.0, s));
        }
        const double recall = double(hits) / double(n * k);
        qInfo("approximate kNN recall@%d: %.4f", k, recall);
        QVERIFY(recall > 0.9); // isotropic blobs: the hard case for cell probing
    }

    void symmetricJointProbabilities()
    {
        const int64_t n = 200, d = 8;
        const int k = 15;
        const auto x = gaussianBlobs(n, d, 3, 11);
        std::vector<int64_t> ids;
        std::vector<float> sq, cond;
        bruteKnn(x.data(), n, d, k, &ids, &sq);
        QString error;
        QVERIFY(tsneConditionalProbabilities(sq.data(), n, k, 5.0, &cond, nullptr, &error));
        const TsneAffinities p = tsneSymmetrize(ids.data(), cond.data(), n, k);
        QCOMPARE(p.n, n);
        double total = 0.0;
        std::map<std::pair<int64_t, int64_t>, double> entries;
        for (int64_t i = 0; i < n; ++i)
            for (int64_t e = p.rowPtr[size_t(i)]; e < p.rowPtr[size_t(i + 1)]; ++e) {
                QVERIFY(p.cols[size_t(e)] != i);
                if (e > p.rowPtr[size_t(i)])
                    QVERIFY(p.cols[size_t(e)] > p.cols[size_t(e - 1)]);
                total += p.values[size_t(e)];
                entries[{i, p.cols[size_t(e)]}] = p.values[size_t(e)];
            }
        QVERIFY(std::abs(total - 1.0) < 1e-5);
        for (const auto &[ij, v] : entries) {
            const auto it = entries.find({ij.second, ij.first});
            QVERIFY(it != entries.end());
            QVERIFY(std::abs(it->second - v) < 1e-9);
            // p_ij = (p_j|i + p_i|j) / 2n
        }
    }

    void exactGradientMatchesFiniteDifferences()
    {
        const int64_t n = 12, d = 5;
        const int k = int(n - 1);
        const auto x = gaussianBlobs(n, d, 3, 3);
        std::vector<int64_t> ids;
        std::vector<float> sq, cond;
        bruteKnn(x.data(), n, d, k, &ids, &sq);
        QString error;
        QVERIFY(tsneConditionalProbabilities(sq.data(), n, k, 3.0, &cond, nullptr, &error));
        const TsneAffinities p = tsneSymmetrize(ids.data(), cond.data(), n, k);
        std::mt19937 rng(5);
        std::normal_distribution<double> g(0.0, 1.0);
        std::vector<double> y(size_t(2 * n));
        for (double &v : y)
            v = g(rng);
        std::vector<double> grad(size_t(2 * n));
        tsneExactGradient(p, y.data(), grad.data());
        double maxErr = 0.0, maxGrad = 0.0;
        const double eps = 1e-6;
        for (int64_t i = 0; i < 2 * n; ++i) {
            auto yp = y, ym = y;
            yp[size_t(i)] += eps;
            ym[size_t(i)] -= eps;
            const double fd = (tsneExactKlDivergence(p, yp.data()) - tsneExactKlDivergence(p, ym.data())) / (2 * eps);
            maxErr = std::max(maxErr, std::abs(fd - grad[size_t(i)]));
            maxGrad = std::max(maxGrad, std::abs(grad[size_t(i)]));
        }
        QVERIFY(maxGrad > 1e-3);
        QVERIFY2(maxErr < 1e-6 * std::max(1.0, maxGrad) * 100,
                 qPrintable(QStringLiteral("finite-difference error %1 (max |grad| %2)").arg(maxErr).arg(maxGrad)));
    }

    void fftRepulsionMatchesExactSums()
    {
        // A layout spread like a real one mid-optimisation: clusters ~30 units apart.
        QString error;
        const SpreadLayout layout = spreadLayout(&error);
        QVERIFY2(layout.p.n == layout.n, qPrintable(error));
        const int64_t n = layout.n;
        const TsneAffinities &p = layout.p;
        const std::vector<double> &y = layout.y;
        auto relError = [&](double exaggeration, int nodes, double width) {
            std::vector<double> exact(size_t(2 * n)), fft(size_t(2 * n));
            tsneExactGradient(p, y.data(), exact.data(), exaggeration);
            tsneFftGradient(p, y.data(), fft.data(), exaggeration, 2, nodes, width);
            double num = 0.0, den = 0.0;
            for (int64_t i = 0; i < 2 * n; ++i) {
                num += (exact[size_t(i)] - fft[size_t(i)]) * (exact[size_t(i)] - fft[size_t(i)]);
                den += exact[size_t(i)] * exact[size_t(i)];
            }
            return std::sqrt(num / den);
        };
        // Default grid (3 nodes per box of width 1, as openTSNE / FIt-SNE): a few per cent,
        // dominated by the near field inside dense clusters; the error falls as the node spacing
        // shrinks (order ~p), which shows the interpolation is right.
        const double coarse = relError(0.0, 3, 1.0), fine = relError(0.0, 3, 0.5), finer = relError(0.0, 5, 0.5);
        qInfo("FFT repulsion relative error: 3 nodes/width 1 %.2e, 3/0.5 %.2e, 5/0.5 %.2e; gradient %.2e",
              coarse, fine, finer, relError(1.0, 3, 1.0));
        QVERIFY2(coarse < 0.06, qPrintable(QStringLiteral("FFT repulsion relative error %1").arg(coarse)));
        QVERIFY(fine < coarse / 4);
        QVERIFY2(finer < 2e-4, qPrintable(QStringLiteral("fine-grid error %1").arg(finer)));
    }

    void deterministicForSeed()
    {
        const int64_t n = 600, d = 12;
        const auto x = gaussianBlobs(n, d, 6, 9);
        TsneParams params;
        params.perplexity = 20;
        params.iterations = 300;
        params.exaggerationIterations = 100;
        params.threads = 2;
        params.seed = 4;
        std::atomic_bool cancel{false};
        int emits = 0;
        const TsneResult a = computeTsne(x.data(), n, d, params, cancel, [&](const TsneProgress &pr) {
            if (pr.layout) {
                ++emits;
                QCOMPARE(pr.n, n);
                QVERIFY(std::isfinite(pr.klDivergence));
            }
        });
        QVERIFY2(a.ok(), qPrintable(a.error));
        QCOMPARE(int(a.layout.size()), int(2 * n));
        QCOMPARE(emits, 300 / 25);
        const TsneResult b = computeTsne(x.data(), n, d, params, cancel);
        QVERIFY(b.ok());
        QVERIFY(a.layout == b.layout); // bit-identical
        QCOMPARE(a.klDivergence, b.klDivergence);
        // Random initialisation: the seed matters and is reproducible.
        params.pcaInit = false;
        const TsneResult c = computeTsne(x.data(), n, d, params, cancel);
        const TsneResult e = computeTsne(x.data(), n, d, params, cancel);
        params.seed = 5;
        const TsneResult f = computeTsne(x.data(), n, d, params, cancel);
        QVERIFY(c.layout == e.layout);
        QVERIFY(c.layout != f.layout);
    }

    void cancelAndBadInput()
    {
        const int64_t n = 400, d = 4;
        auto x = gaussianBlobs(n, d, 2, 1);
        std::atomic_bool cancel{false};
        TsneParams params;
        params.emitEvery = 5;
        const TsneResult r = computeTsne(x.data(), n, d, params, cancel, [&](const TsneProgress &pr) {
            if (pr.iteration >= 10)
                cancel = true;
        });
        QVERIFY(r.cancelled);
        QVERIFY(!r.ok());
        QVERIFY(r.layout.empty());
        QVERIFY(r.iterations < 20);
        cancel = false;
        x[17] = std::nanf("");
        const TsneResult bad = computeTsne(x.data(), n, d, params, cancel);
        QVERIFY(!bad.ok());
        QVERIFY(bad.error.contains(QLatin1String("NaN")));
        QVERIFY(!computeTsne(x.data(), 0, d, params, cancel).ok());
        // Tiny inputs still work (perplexity lowered).
        const float two[4] = {0.f, 0.f, 1.f, 1.f};
        const TsneResult t = computeTsne(two, 2, 2, params, cancel);
        QVERIFY2(t.ok(), qPrintable(t.error));
        QCOMPARE(int(t.layout.size()), 4);
        const TsneResult one = computeTsne(two, 1, 2, params, cancel);
        QVERIFY(one.ok());
        QCOMPARE(int(one.layout.size()), 2);
    }

    void fashionMnistNeighbourhoods()
    {
        std::vector<int> labels;
        QString loadError;
        const torch::Tensor pcs = tsnetest::fashionMnistPca(2000, 50, &labels, &loadError);
        if (!pcs.defined())
            QSKIP(qPrintable(QStringLiteral("Fashion-MNIST not available: %1").arg(loadError)));
        const int64_t n = pcs.size(0);
        QCOMPARE(n, int64_t(2000));
        const float *x = pcs.data_ptr<float>();
        const int64_t d = 50;

        TsneParams params;
        params.threads = 2;
        std::atomic_bool cancel{false};
        const TsneResult r = computeTsne(x, n, d, params, cancel);
        QVERIFY2(r.ok(), qPrintable(r.error));
        const double high = knnAccuracy(x, n, d, labels, 10);
        const double low = knnAccuracy(r.layout.data(), n, 2, labels, 10);
        qInfo("10-NN accuracy: input %.4f, 2-D %.4f (ratio %.3f), KL %.3f", high, low, low / high, r.klDivergence);
        QVERIFY(high > 0.7);
        QVERIFY2(low >= 0.9 * high, qPrintable(QStringLiteral("2-D %1 vs input %2").arg(low).arg(high)));
    }
};

QTEST_GUILESS_MAIN(TestTsne)
#include "tst_tsne.moc"
