// What the analysis promises about its arithmetic: fold workers are deterministic, and bf16 mixed
// precision ranks the noise as fp32 does.
#include "base/projectstore.h"
#include "jobs/jobrunner.h"
#include "ml/analysis.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>
#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <random>

using namespace labelscope;

namespace {
const QString kFashion = QStringLiteral("/usr/share/datasets/fashion-mnist");

// The job on this thread, never cancelled.
Result<AnalysisResult> analyse(const AnalysisParams &params)
{
    JobContext context(QStringLiteral("analysis"), nullptr);
    return runAnalysis(params, context);
}
} // namespace

class TestAnalysisDeterminism final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (!QFileInfo::exists(kFashion + QStringLiteral("/train-images-idx3-ubyte.gz")))
            QSKIP("dataset-fashion-mnist is not installed");
    }


    void parallelFoldsAreDeterministic()
    {
        QTemporaryDir dir;
        auto run = [&](int workers, int threads, const QString &name, std::vector<double> *noise) {
            AnalysisParams params;
            params.dataSpec = QStringLiteral("fashion-mnist");
            params.projectFile = dir.filePath(name);
            params.limit = 1000;
            params.epochs = 2;
            params.injectNoise = 0.2;
            params.seed = 5;
            params.threads = threads;
            params.foldWorkers = workers;
            params.layouts = false;
            const Result<AnalysisResult> result = analyse(params);
            QVERIFY2(result, qPrintable(result.error()));
            ProjectStore store;
            QVERIFY(store.open(params.projectFile));
            noise->clear();
            for (const auto &s : store.scores(result->runId))
                noise->push_back(s.noiseScore);
        };
        std::vector<double> a, b, sequential;
        run(2, 2, QStringLiteral("a.lsproj"), &a);
        run(2, 2, QStringLiteral("b.lsproj"), &b);
        run(1, 1, QStringLiteral("c.lsproj"), &sequential);
        QCOMPARE(a.size(), std::size_t(1000));
        QVERIFY(a == b);
        QVERIFY(a == sequential);
    }

    // bf16 mixed precision ranks the injected noise as well as fp32 on the same data and seed —
    // checked in full where the CPU runs bf16 natively (there --precision auto trains in bf16).
    // Elsewhere LibTorch emulates bf16 (measured about 4–8× slower than fp32 on a CPU without
    // AVX512-BF16: 3,000 × 6 epochs took over 5 minutes) and auto trains in fp32; what a user who
    // forces --precision bf16 there gets is checked on a smaller run: it learns (AUROC .80 and
    // test accuracy .64 measured on 500 × 2 epochs; the bounds below leave a margin for the
    // larger 600 × 3 run and other machines).
    void mixedPrecisionKeepsTheRanking()
    {
        QTemporaryDir dir;
        {
            AnalysisParams probe;
            probe.dataSpec = QStringLiteral("fashion-mnist");
            probe.projectFile = dir.filePath(QStringLiteral("probe.lsproj"));
            probe.limit = 200;
            probe.epochs = 1;
            probe.method = AnalysisMethod::DataParameters;
            probe.layouts = false;
            const Result<AnalysisResult> r = analyse(probe);
            QVERIFY2(r, qPrintable(r.error()));
            if (r->precision != QLatin1String("bf16")) {
                AnalysisParams params = probe;
                params.projectFile = dir.filePath(QStringLiteral("bf16-emulated.lsproj"));
                params.limit = 600;
                params.epochs = 3;
                params.injectNoise = 0.2;
                params.seed = 4;
                params.precision = Precision::BFloat16;
                const Result<AnalysisResult> bf16 = analyse(params);
                QVERIFY2(bf16, qPrintable(bf16.error()));
                qInfo("no native bf16 (auto = %s): emulated bf16 on 600 x 3 epochs: AUROC %.4f test %.3f in %.1f s",
                      qPrintable(r->precision), bf16->noise.auroc, bf16->testAccuracy,
                      bf16->phaseSeconds.value(QStringLiteral("training")));
                QCOMPARE(bf16->precision, QStringLiteral("bf16"));
                QVERIFY(bf16->noise.auroc > 0.7);
                QVERIFY(bf16->testAccuracy > 0.4);
                return;
            }
        }
        auto run = [&](Precision precision, AnalysisResult *result) {
            AnalysisParams params;
            params.dataSpec = QStringLiteral("fashion-mnist");
            params.projectFile = dir.filePath(enumName(kPrecisionNames, precision) + QStringLiteral(".lsproj"));
            params.limit = 3000;
            params.epochs = 6;
            params.injectNoise = 0.2;
            params.seed = 4;
            params.method = AnalysisMethod::DataParameters;
            params.precision = precision;
            params.layouts = false;
            Result<AnalysisResult> r = analyse(params);
            QVERIFY2(r, qPrintable(r.error()));
            *result = std::move(r).value();
        };
        AnalysisResult fp32, bf16;
        run(Precision::Float32, &fp32);
        run(Precision::BFloat16, &bf16);
        qInfo("fp32: AUROC %.4f F1 %.3f test %.3f in %.1f s; bf16: AUROC %.4f F1 %.3f test %.3f in %.1f s",
              fp32.noise.auroc, fp32.noise.f1, fp32.testAccuracy, fp32.phaseSeconds.value(QStringLiteral("training")),
              bf16.noise.auroc, bf16.noise.f1, bf16.testAccuracy, bf16.phaseSeconds.value(QStringLiteral("training")));
        QCOMPARE(fp32.precision, QStringLiteral("fp32"));
        QCOMPARE(bf16.precision, QStringLiteral("bf16"));
        QVERIFY(bf16.noise.auroc > 0.95);
        QVERIFY(std::abs(bf16.noise.auroc - fp32.noise.auroc) < 0.01);
        QVERIFY(std::abs(bf16.testAccuracy - fp32.testAccuracy) < 0.03);

    }

    // Colour images in an ImageFolder go through the ResNet-style network.
};

QTEST_GUILESS_MAIN(TestAnalysisDeterminism)
#include "tst_analysisdeterminism.moc"
