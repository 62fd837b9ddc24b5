// The job contract (core/jobs/job.h, jobrunner.h): stages and progress, the exception boundary
// (std::exception, LibTorch's c10::Error without its backtrace, bad_alloc, anything), Result<T>,
// and the runner's delivery, cancellation, replacement and shutdown.
#include "base/result.h"
#include "jobs/job.h"
#include "jobs/jobrunner.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QThread>
#include <QtTest>

#include <c10/util/Exception.h>

#include <new>
#include <stdexcept>

using namespace labelscope;

namespace {

// A job that reports progress until it is cancelled (or a deadline passes, so a broken cancel
// fails the test instead of hanging it).
Result<int> spinUntilCancelled(JobContext &context)
{
    context.stage(QStringLiteral("spinning"), 0.0, 1.0);
    QElapsedTimer timer;
    timer.start();
    int steps = 0;
    while (!context.isCancelled()) {
        if (timer.elapsed() > 30000)
            return Result<int>::failure(QStringLiteral("never cancelled"));
        ++steps;
        context.progress(std::min(0.99, steps / 1000.0), QStringLiteral("step %1").arg(steps));
        QThread::msleep(5);
    }
    return Result<int>::cancelled();
}

} // namespace

class TestJobs final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void resultCarriesValueErrorOrCancel()
    {
        Result<int> ok(7);
        QVERIFY(ok && ok.ok() && !ok.isCancelled());
        QCOMPARE(ok.value(), 7);
        QVERIFY(ok.error().isEmpty());
        const Result<int> failed = Result<int>::failure(QStringLiteral("f.npy: byte 12: truncated"));
        QVERIFY(!failed && !failed.isCancelled());
        QCOMPARE(failed.error(), QStringLiteral("f.npy: byte 12: truncated"));
        const Result<QString> moved = Result<QString>::from(failed);
        QVERIFY(!moved && moved.error() == failed.error());
        const Result<> cancelled = Result<>::from(Result<int>::cancelled());
        QVERIFY(!cancelled && cancelled.isCancelled());
        QCOMPARE(cancelled.error(), QStringLiteral("cancelled"));
        QVERIFY(Result<>().ok());
    }

    // Stages map onto their share of the job; the fraction never goes back; bursts of reports
    // are thinned to about ten a second, but a stage's start and end always get through.
    void stagesAndThrottledProgress()
    {
        std::vector<JobProgress> seen;
        JobContext context(QStringLiteral("test"), nullptr, [&](const JobProgress &p) { seen.push_back(p); });
        context.stage(QStringLiteral("loading"), 0.0, 0.2);
        QCOMPARE(seen.size(), std::size_t(1));
        QCOMPARE(seen.back().stage, QStringLiteral("loading"));
        QCOMPARE(seen.back().job, QStringLiteral("test"));
        QElapsedTimer burst;
        burst.start();
        for (int i = 0; i <= 1000; ++i)
            context.progress(i / 1000.0, QStringLiteral("%1 of 1000").arg(i));
        // At most one report per 100 ms of the burst, plus the stage's start and its end (which
        // always goes through), however slow this machine is.
        const std::size_t allowed = 3 + std::size_t(burst.elapsed() / 100);
        QVERIFY2(seen.size() <= allowed, qPrintable(QStringLiteral("%1 > %2").arg(seen.size()).arg(allowed)));
        QCOMPARE(seen.back().fraction, 0.2);
        QCOMPARE(seen.back().detail, QStringLiteral("1000 of 1000"));
        context.stage(QStringLiteral("training"), 0.2, 1.0);
        QCOMPARE(seen.back().stage, QStringLiteral("training"));
        QCOMPARE(seen.back().fraction, 0.2);
        context.progress(0.5, QString(), 42.0);
        QThread::msleep(120);
        context.progress(0.5, QString(), 42.0);
        QCOMPARE(seen.back().fraction, 0.6);
        QCOMPARE(seen.back().etaSeconds, 42.0); // a job's own estimate is passed on
        context.progress(0.25); // a late report of a smaller fraction does not move it back
        QThread::msleep(120);
        context.progress(0.25);
        QCOMPARE(seen.back().fraction, 0.6);
        double previous = 0;
        for (const JobProgress &p : seen) {
            QVERIFY(p.fraction >= previous && p.fraction <= 1.0);
            previous = p.fraction;
        }
    }

    // A milestone (the first step of an epoch) gets through the rate limit, in a nested context
    // too, so a caller that cancels "in epoch N" sees every epoch however fast its steps are.
    void milestonesAlwaysGetThrough()
    {
        std::vector<JobProgress> seen;
        JobContext outer(QStringLiteral("outer"), nullptr, [&](const JobProgress &p) { seen.push_back(p); });
        outer.stage(QStringLiteral("work"), 0.0, 1.0);
        JobContext inner = outer.nested(QStringLiteral("inner"));
        inner.stage(QStringLiteral("training"), 0.0, 1.0);
        const std::size_t before = seen.size();
        QElapsedTimer burst;
        burst.start();
        // 50 epochs of 20 steps, far faster than ten reports a second.
        for (int epoch = 1; epoch <= 50; ++epoch)
            for (int step = 0; step < 20; ++step)
                inner.progress((epoch - 1 + step / 20.0) / 50.0, QStringLiteral("epoch %1/50").arg(epoch), -1.0, step == 0);
        QStringList firstOfEpoch;
        for (std::size_t i = before; i < seen.size(); ++i)
            if (seen[i].milestone)
                firstOfEpoch << seen[i].detail;
        QCOMPARE(firstOfEpoch.size(), 50);
        QCOMPARE(firstOfEpoch.front(), QStringLiteral("training epoch 1/50"));
        QCOMPARE(firstOfEpoch.back(), QStringLiteral("training epoch 50/50"));
        // The rest is still thinned: the milestones, at most one other per 100 ms of the burst
        // (however slow this machine is), and the last step, which ends the stage.
        const std::size_t allowed = 50 + 2 + std::size_t(burst.elapsed() / 100);
        QVERIFY2(seen.size() - before <= allowed, qPrintable(QStringLiteral("%1 > %2").arg(seen.size() - before).arg(allowed)));
    }

    void nestedJobMapsIntoTheStage()
    {
        std::vector<JobProgress> seen;
        std::atomic_bool cancel{false};
        JobContext outer(QStringLiteral("clean-eval"), &cancel, [&](const JobProgress &p) { seen.push_back(p); });
        outer.stage(QStringLiteral("analysis"), 0.5, 0.7);
        JobContext inner = outer.nested(QStringLiteral("analysis"));
        inner.stage(QStringLiteral("training"), 0.0, 1.0);
        inner.progress(1.0, QStringLiteral("epoch 8/8"));
        QCOMPARE(seen.back().stage, QStringLiteral("analysis"));
        QCOMPARE(seen.back().fraction, 0.7);
        QVERIFY2(seen.back().detail.contains(QStringLiteral("training epoch 8/8")), qPrintable(seen.back().detail));
        QVERIFY(!inner.isCancelled());
        cancel = true;
        QVERIFY(inner.isCancelled());
    }

    void exceptionBoundary_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<QString>("absent");
        QTest::newRow("std::runtime_error") << 0 << "analysis: embedding file is empty" << "";
        QTest::newRow("c10::Error") << 1 << "analysis: Expected a [B, 3, H, W] batch" << "Exception raised from";
        QTest::newRow("bad_alloc") << 2 << "analysis: out of memory" << "";
        QTest::newRow("not an exception") << 3 << "analysis: unknown exception" << "";
    }

    void exceptionBoundary()
    {
        QFETCH(int, kind);
        QFETCH(QString, expected);
        QFETCH(QString, absent);
        JobContext context(QStringLiteral("analysis"), nullptr);
        const Result<int> r = runJob<int>(context, [kind](JobContext &) -> Result<int> {
            switch (kind) {
            case 0: throw std::runtime_error("embedding file is empty");
            case 1: TORCH_CHECK(false, "Expected a [B, 3, H, W] batch");
            case 2: throw std::bad_alloc();
            default: throw 42;
            }
        });
        QVERIFY(!r && !r.isCancelled());
        QVERIFY2(r.error().startsWith(expected), qPrintable(r.error()));
        if (!absent.isEmpty())
            QVERIFY2(!r.error().contains(absent) && !r.error().contains(QStringLiteral("frame #")), qPrintable(r.error()));
    }

    // A job that fails after it was asked to stop was cancelled, whatever it says.
    void failureAfterCancelIsCancelled()
    {
        std::atomic_bool cancel{true};
        JobContext context(QStringLiteral("layout"), &cancel);
        const Result<int> failed = runJob<int>(context, [](JobContext &) { return Result<int>::failure(QStringLiteral("interrupted")); });
        QVERIFY(failed.isCancelled());
        const Result<int> thrown = runJob<int>(context, [](JobContext &) -> Result<int> { throw std::runtime_error("stop"); });
        QVERIFY(thrown.isCancelled());
    }

    void runnerDeliversOnItsThread()
    {
        JobRunner runner;
        QSignalSpy progress(&runner, &JobRunner::progress);
        QSignalSpy finished(&runner, &JobRunner::finished);
        QThread *jobThread = nullptr, *doneThread = nullptr;
        int value = 0;
        runner.start<int>(
            QStringLiteral("sum"),
            [&jobThread](JobContext &context) {
                jobThread = QThread::currentThread();
                context.stage(QStringLiteral("adding"), 0.0, 1.0);
                int sum = 0;
                for (int i = 1; i <= 100; ++i) {
                    sum += i;
                    context.progress(i / 100.0);
                }
                return Result<int>(sum);
            },
            [&](Result<int> r) {
                doneThread = QThread::currentThread();
                value = r ? r.value() : -1;
            });
        QVERIFY(runner.isRunning(QStringLiteral("sum")));
        QTRY_COMPARE(finished.size(), 1);
        QCOMPARE(value, 5050);
        QCOMPARE(doneThread, QThread::currentThread());
        QVERIFY(jobThread && jobThread != QThread::currentThread());
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.last().at(0).value<JobProgress>().job, QStringLiteral("sum"));
        QCOMPARE(finished.first().at(0).toString(), QStringLiteral("sum"));
        QVERIFY(finished.first().at(1).toBool());
        QVERIFY(!runner.isRunning(QStringLiteral("sum")) && !runner.isBusy());

        // A throwing body becomes a failed job with the message; the process goes on.
        runner.start<int>(QStringLiteral("throws"), [](JobContext &) -> Result<int> { throw std::runtime_error("no space left"); });
        QTRY_COMPARE(finished.size(), 2);
        QVERIFY(!finished.last().at(1).toBool());
        QCOMPARE(finished.last().at(2).toString(), QStringLiteral("throws: no space left"));
    }

    void cancelWithinASecond()
    {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        bool cancelled = false;
        runner.start<int>(QStringLiteral("spin"), spinUntilCancelled, [&](Result<int> r) { cancelled = r.isCancelled(); });
        QTest::qWait(50);
        QElapsedTimer timer;
        timer.start();
        runner.cancel(QStringLiteral("spin"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        // The job polls every 5 ms; a loaded machine gets a generous second.
        QVERIFY2(timer.elapsed() < 1000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(cancelled);
        QVERIFY(finished.first().at(3).toBool());
    }

    // Starting a job under a running job's name replaces it: the old one is cancelled and its
    // result never delivered (e.g. a new layout request while one is computing).
    void sameNameReplaces()
    {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        int oldDelivered = 0, newValue = 0;
        runner.start<int>(QStringLiteral("layout"), spinUntilCancelled, [&](Result<int>) { ++oldDelivered; });
        runner.start<int>(QStringLiteral("layout"), [](JobContext &) { return Result<int>(2); },
                          [&](Result<int> r) { newValue = r.value(); });
        QTRY_COMPARE(newValue, 2);
        runner.waitForAll();
        QCOMPARE(oldDelivered, 0);
        QCOMPARE(finished.size(), 1);
        QVERIFY(!runner.isBusy());
    }

    void cancelAndWaitJoinsWithoutDelivery()
    {
        JobRunner runner;
        int delivered = 0;
        runner.start<int>(QStringLiteral("preview"), spinUntilCancelled, [&](Result<int>) { ++delivered; });
        QTest::qWait(20);
        runner.cancelAndWait(QStringLiteral("preview"));
        QVERIFY(!runner.isRunning(QStringLiteral("preview")));
        QCoreApplication::processEvents();
        QCOMPARE(delivered, 0);
    }

    // Destroying the runner (the window closing) cancels and joins its jobs.
    void destructorStopsJobs()
    {
        int delivered = 0;
        QElapsedTimer timer;
        {
            JobRunner runner;
            runner.start<int>(QStringLiteral("a"), spinUntilCancelled, [&](Result<int>) { ++delivered; });
            runner.start<int>(QStringLiteral("b"), spinUntilCancelled, [&](Result<int>) { ++delivered; });
            QTest::qWait(20);
            timer.start();
        }
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        QCoreApplication::processEvents();
        QCOMPARE(delivered, 0);
    }
};

QTEST_GUILESS_MAIN(TestJobs)
#include "tst_jobs.moc"
