// The analysis job through the window's JobRunner: progress, cancel within a second, a named
// failure, and bad numbers refused before anything is imported.
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

class TestAnalysisJob final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (!QFileInfo::exists(kFashion + QStringLiteral("/train-images-idx3-ubyte.gz")))
            QSKIP("dataset-fashion-mnist is not installed");
    }

    void workerReportsProgressAndCancelsWithinASecond()
    {
        QTemporaryDir dir;
        AnalysisParams params;
        params.dataSpec = QStringLiteral("fashion-mnist");
        params.projectFile = dir.filePath(QStringLiteral("cancel.lsproj"));
        params.limit = 4000;
        params.epochs = 20;
        params.injectNoise = 0.1;
        JobRunner runner;
        QSignalSpy progress(&runner, &JobRunner::progress);
        QSignalSpy finished(&runner, &JobRunner::finished);
        bool delivered = false, cancelled = false;
        runner.start<AnalysisResult>(
            QStringLiteral("analysis"), [params](JobContext &context) { return runAnalysis(params, context); },
            [&](Result<AnalysisResult> r) {
                delivered = true;
                cancelled = r.isCancelled();
            });
        QVERIFY(runner.isRunning(QStringLiteral("analysis")));

        // Wait until training runs, then check what progress says.
        auto last = [&] { return progress.last().at(0).value<JobProgress>(); };
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && last().stage == QLatin1String("training")
                                     && last().detail.contains(QStringLiteral("batch")),
                                 120000);
        const JobProgress p = last();
        QCOMPARE(p.job, QStringLiteral("analysis"));
        QVERIFY2(p.detail.contains(QStringLiteral("/20 ")) && p.detail.contains(QStringLiteral("samples/s")), qPrintable(p.detail));
        QVERIFY(p.fraction > 0 && p.fraction < 1);
        QVERIFY(p.elapsedSeconds > 0);
        double previous = 0;
        for (const QList<QVariant> &args : progress) {
            const double f = args.at(0).value<JobProgress>().fraction;
            QVERIFY2(f >= previous, "progress never goes back");
            previous = f;
        }

        QElapsedTimer timer;
        timer.start();
        runner.cancel(QStringLiteral("analysis"));
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 5000);
        qInfo("cancelled after %lld ms", timer.elapsed());
        // The promise is "within a second" (one training batch is ~50 ms here); a loaded CI
        // machine gets twice that before this counts as a failure.
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QStringLiteral("took %1 ms").arg(timer.elapsed())));
        QVERIFY(delivered && cancelled);
        QCOMPARE(finished.first().at(0).toString(), QStringLiteral("analysis"));
        QVERIFY(!finished.first().at(1).toBool());  // not ok
        QVERIFY(finished.first().at(3).toBool());   // cancelled
        QVERIFY(!runner.isRunning(QStringLiteral("analysis")));

        // The project stays consistent: samples imported, a cancelled run, no results.
        ProjectStore store;
        QVERIFY(store.open(params.projectFile));
        QCOMPARE(store.sampleCount(), qint64(8000)); // 4000 train + 4000 test
        QVERIFY(!store.latestRun().has_value());
        const auto runs = store.runs();
        QCOMPARE(runs.size(), std::size_t(1));
        QCOMPARE(runs.front().status, QStringLiteral("cancelled"));
        QVERIFY(store.scores(runs.front().id).empty());
    }

    void workerFailsCleanlyOnBadInput()
    {
        QTemporaryDir dir;
        AnalysisParams params;
        params.dataSpec = dir.filePath(QStringLiteral("no-such-dataset"));
        params.projectFile = dir.filePath(QStringLiteral("bad.lsproj"));
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        runner.start<AnalysisResult>(QStringLiteral("analysis"),
                                     [params](JobContext &context) { return runAnalysis(params, context); });
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 30000);
        QVERIFY(!finished.first().at(1).toBool());
        QVERIFY(!finished.first().at(3).toBool());
        const QString message = finished.first().at(2).toString();
        QVERIFY2(message.contains(QStringLiteral("no-such-dataset")), qPrintable(message));
        // The new project file that never got its samples is not left behind.
        QVERIFY(!QFileInfo::exists(params.projectFile));

        // Bad numbers are refused before anything is imported, with what was wrong.
        params.dataSpec = QStringLiteral("fashion-mnist");
        const struct {
            void (*set)(AnalysisParams &);
            const char *expected;
        } bad[] = {{[](AnalysisParams &q) { q.folds = 1; }, "folds"},
                   {[](AnalysisParams &q) { q.injectNoise = std::nan(""); }, "noise rate"},
                   {[](AnalysisParams &q) { q.injectNoise = 1.5; }, "noise rate"},
                   {[](AnalysisParams &q) { q.epochs = -2; }, "epochs"},
                   {[](AnalysisParams &q) { q.imageSize = 0; }, "image size"}};
        for (const auto &b : bad) {
            AnalysisParams q = params;
            b.set(q);
            const Result<AnalysisResult> r = analyse(q);
            QVERIFY(!r && !r.isCancelled());
            QVERIFY2(r.error().contains(QLatin1String(b.expected)), qPrintable(r.error()));
            QVERIFY(!QFileInfo::exists(params.projectFile));
        }
    }

    // A real run: 3,000 Fashion-MNIST images with 20% symmetric noise (method "all": 4-fold
    // models with Data Parameters, Confident Learning on out-of-sample pred_probs) must rank the
    // wrong labels far above chance and write a complete run.
};

QTEST_GUILESS_MAIN(TestAnalysisJob)
#include "tst_analysisjob.moc"
