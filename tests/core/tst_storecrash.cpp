// Consistency of the project store after a SIGKILL in the middle of a write (a run being saved
// in chunks, a batch of decisions): the project opens, integrity_check is ok, everything the
// child reported committed is there, at most the write in flight besides, a run the kill
// interrupted is never shown and is removed once its writer is gone.
//
// The child is this executable again (environment variable LABELSCOPE_STORE_CRASH_CHILD); it
// writes in a loop from initTestCase() and is killed.
//
// Both backends (issue 18; rows "sqlite: ..." and "postgresql: ...", tests/backendfixture.h: the
// PostgreSQL rows need the CTest fixture's throwaway cluster and skip without it). On PostgreSQL
// the server rolls back the killed connection's transaction; the project is smaller (4,000
// samples, batches of 800: PostgreSQL takes a round trip per row of a run) and SQLite's own
// checks (integrity_check, foreign_key_check) are SQLite-only.

#include "backendfixture.h"
#include "base/projectstore.h"
#include "storefixture.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <cstdio>
#include <cstdlib>
#include <map>

using namespace labelscope;
using labelscope::testing::makeDataset;
using labelscope::testing::makeRun;
using labelscope::testing::RawDb;

namespace {

const char kChildEnv[] = "LABELSCOPE_STORE_CRASH_CHILD";

// The protocol of the crash child: lines "BEGIN <kind> <i>" and "COMMITTED <kind> <i> <ms>".
struct ChildLog {
    std::map<QString, int> committed; // kind → number committed (they are numbered 0, 1, ...)
    std::map<QString, qint64> lastMs;
};

void parseChildLine(const QByteArray &rawLine, ChildLog *log, QString *begun = nullptr)
{
    const QStringList parts = QString::fromUtf8(rawLine).trimmed().split(QLatin1Char(' '));
    if (parts.size() >= 4 && parts[0] == QLatin1String("COMMITTED")) {
        log->committed[parts[1]] = parts[2].toInt() + 1;
        log->lastMs[parts[1]] = parts[3].toLongLong();
    } else if (parts.size() >= 3 && parts[0] == QLatin1String("BEGIN") && begun) {
        *begun = parts[1];
    }
}

constexpr int kCrashSamples = 20000; // SQLite
constexpr int kCrashBatch = 4000;
constexpr int kPgCrashSamples = 4000; // PostgreSQL
constexpr int kPgCrashBatch = 800;

// The child: writes forever (bounded) until the parent kills it.
[[noreturn]] void runCrashChild(const QString &spec)
{
    // "BATCH|LOCATION"
    const int kCrashBatch = spec.section(QLatin1Char('|'), 0, 0).toInt();
    const QString file = spec.section(QLatin1Char('|'), 1);
    ProjectStore store;
    QString error;
    if (!store.open(file, &error)) {
        std::fprintf(stderr, "child: %s\n", qPrintable(error));
        std::exit(2);
    }
    const int n = int(store.sampleCount());
    const int k = int(store.classes().size());
    const RunRecord run = makeRun(n, 10, 64, 7);
    // Continue the numbering of batches already in the file (annotator "batch-<i>").
    int batch = 0;
    {
        for (const LabelEvent &e : store.events())
            if (e.annotator.startsWith(QLatin1String("batch-")))
                batch = std::max(batch, e.annotator.mid(6).toInt() + 1);
    }
    const int firstBatch = batch;
    for (int iter = 0; iter < 200; ++iter) {
        std::vector<Decision> decisions;
        decisions.reserve(kCrashBatch);
        for (int j = 0; j < kCrashBatch; ++j) {
            Decision dec;
            dec.sampleId = qint64((batch * 7919 + j) % n) + 1;
            dec.newLabel = (batch + j) % (k + 1) - 1;
            dec.excluded = (batch + j) % 7 == 0;
            dec.reason = (j % 2) ? QStringLiteral("relabel") : QStringLiteral("accept");
            decisions.push_back(dec);
        }
        QElapsedTimer t;
        std::printf("BEGIN batch %d\n", batch - firstBatch);
        std::fflush(stdout);
        t.start();
        if (!store.applyDecisions(decisions, QStringLiteral("batch-%1").arg(batch), &error)) {
            std::fprintf(stderr, "child: %s\n", qPrintable(error));
            std::exit(3);
        }
        std::printf("COMMITTED batch %d %lld\n", batch - firstBatch, qint64(t.elapsed()));
        std::fflush(stdout);
        ++batch;

        std::printf("BEGIN run %d\n", iter);
        std::fflush(stdout);
        t.start();
        if (store.saveRun(run, &error) <= 0) {
            std::fprintf(stderr, "child: %s\n", qPrintable(error));
            std::exit(4);
        }
        std::printf("COMMITTED run %d %lld\n", iter, qint64(t.elapsed()));
        std::fflush(stdout);
    }
    std::exit(5); // never killed: the parent fails
}

} // namespace

class TestStoreCrash final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void killMidWriteLeavesConsistentProject_data();
    void killMidWriteLeavesConsistentProject();

private:
    QString newFile(const QString &name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

void TestStoreCrash::initTestCase()
{
    const QByteArray child = qgetenv(kChildEnv);
    if (!child.isEmpty()) {
        m_dir.remove(); // the child never returns to remove its own (unused) temporary folder
        runCrashChild(QString::fromLocal8Bit(child));
    }
    QVERIFY(m_dir.isValid());
}

void TestStoreCrash::killMidWriteLeavesConsistentProject_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("kind");
    for (const char *backend : {"sqlite", "postgresql"}) {
        QTest::addRow("%s: kill during saveRun", backend) << QString::fromLatin1(backend) << QStringLiteral("run");
        QTest::addRow("%s: kill during applyDecisions", backend) << QString::fromLatin1(backend) << QStringLiteral("batch");
    }
}

void TestStoreCrash::killMidWriteLeavesConsistentProject()
{
    QFETCH(QString, backend);
    QFETCH(QString, kind);
    BACKEND_LOCATION(file, m_dir, QStringLiteral("crash_%1").arg(kind));
    const bool sqlite = backend == QLatin1String("sqlite");
    const int kCrashSamples = sqlite ? ::kCrashSamples : kPgCrashSamples;
    const int kCrashBatch = sqlite ? ::kCrashBatch : kPgCrashBatch;
    QString error;
    {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QVERIFY2(store.importDataset(makeDataset(kCrashSamples, 10), &error), qPrintable(error));
    }
    int runsBefore = 0, batchesBefore = 0;
    int killedBeforeCommit = 0;
    const int rounds = 3;
    for (int round = 0; round < rounds; ++round) {
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QString::fromLatin1(kChildEnv), QStringLiteral("%1|%2").arg(kCrashBatch).arg(file));
        child.setProcessEnvironment(env);
        child.setProcessChannelMode(QProcess::SeparateChannels);
        child.setProgram(QCoreApplication::applicationFilePath());
        // initTestCase() always runs first; it becomes the child and never returns.
        child.setArguments({QStringLiteral("killMidWriteLeavesConsistentProject")});
        child.start();
        QVERIFY2(child.waitForStarted(10000), qPrintable(child.errorString()));

        ChildLog log;
        QByteArray childErr;
        QElapsedTimer deadline;
        deadline.start();
        bool killed = false;
        while (!killed && deadline.elapsed() < 120000) {
            if (!child.canReadLine() && !child.waitForReadyRead(1000)) {
                if (child.state() == QProcess::NotRunning)
                    break;
                continue;
            }
            while (child.canReadLine()) {
                QString begun;
                parseChildLine(child.readLine(), &log, &begun);
                // After at least one committed item of this kind, kill during the next one,
                // about half-way through (the duration of the last one tells how long it takes).
                if (begun == kind && log.committed[kind] >= 1 + round % 2) {
                    const qint64 delay = std::max<qint64>(1, log.lastMs[kind] / 2);
                    QThread::msleep(static_cast<unsigned long>(delay));
                    child.kill(); // SIGKILL
                    killed = true;
                    break;
                }
            }
        }
        childErr = child.readAllStandardError();
        QVERIFY2(killed, qPrintable(QStringLiteral("the child was not killed; its stderr: ")
                                    + QString::fromUtf8(childErr)));
        QVERIFY(child.waitForFinished(30000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        while (child.canReadLine()) // what it reported before it died
            parseChildLine(child.readLine(), &log);
        const int runsReported = log.committed[QStringLiteral("run")];
        const int batchesReported = log.committed[QStringLiteral("batch")];

        // The project opens (SQLite: WAL recovery) and is consistent.
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        {
            RawDb raw(file);
            if (sqlite) {
                QCOMPARE(raw.value(QStringLiteral("PRAGMA integrity_check")).toString(), QStringLiteral("ok"));
                QVERIFY(!raw.value(QStringLiteral("PRAGMA foreign_key_check")).isValid());
            }
            // No shown run without all its results (a run the kill interrupted stays "writing",
            // never shown, and is removed by the store opened above, its writer being gone).
            QCOMPARE(raw.value(QStringLiteral(
                                   "SELECT count(*) FROM runs r WHERE r.status != 'writing' AND ("
                                   " (SELECT count(*) FROM scores s WHERE s.run_id = r.id) != %1 OR"
                                   " (SELECT count(*) FROM dynamics d WHERE d.run_id = r.id) != %1 OR"
                                   " (SELECT count(*) FROM embeddings e WHERE e.run_id = r.id) != %1)")
                                   .arg(kCrashSamples))
                         .toInt(),
                     0);
            QTRY_COMPARE_WITH_TIMEOUT(
                raw.value(QStringLiteral("SELECT count(*) FROM runs WHERE status = 'writing'")).toInt(), 0, 30000);
            // No orphaned results.
            QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM scores WHERE run_id NOT IN"
                                              " (SELECT id FROM runs)"))
                         .toInt(),
                     0);
            // Every sample's state is the one its last event recorded.
            QCOMPARE(raw.value(QStringLiteral(
                                   "SELECT count(*) FROM samples s JOIN label_events e ON e.id ="
                                   " (SELECT max(id) FROM label_events WHERE sample_id = s.id)"
                                   " WHERE s.label != e.new_label OR s.excluded != e.new_excluded"))
                         .toInt(),
                     0);
            // Whole batches only.
            QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM (SELECT annotator"
                                              " FROM label_events WHERE reason != 'import'"
                                              " GROUP BY annotator HAVING count(*) != %1) AS uneven")
                                   .arg(kCrashBatch))
                         .toInt(),
                     0);
        }
        const int runsNow = int(store.runs().size());
        int batchesNow = 0;
        {
            std::map<QString, int> perAnnotator;
            const std::vector<LabelEvent> events = store.events();
            for (const LabelEvent &e : events)
                if (e.reason != QLatin1String("import"))
                    ++perAnnotator[e.annotator];
            batchesNow = int(perAnnotator.size());
            QCOMPARE(qint64(events.size()), qint64(kCrashSamples) + qint64(batchesNow) * kCrashBatch);
        }
        // Everything the child reported committed is there; at most the item in flight besides.
        const int runsNew = runsNow - runsBefore, batchesNew = batchesNow - batchesBefore;
        QVERIFY2(runsNew >= runsReported && runsNew <= runsReported + 1,
                 qPrintable(QStringLiteral("runs: %1 new, %2 reported").arg(runsNew).arg(runsReported)));
        QVERIFY2(batchesNew >= batchesReported && batchesNew <= batchesReported + 1,
                 qPrintable(QStringLiteral("batches: %1 new, %2 reported").arg(batchesNew).arg(batchesReported)));
        const bool inFlightLost = kind == QLatin1String("run") ? runsNew == runsReported
                                                                : batchesNew == batchesReported;
        killedBeforeCommit += inFlightLost ? 1 : 0;
        qInfo("round %d: killed %lld ms into a %s (last took %lld ms); %d runs and %d batches "
              "committed; the one in flight was %s",
              round, std::max<qint64>(1, log.lastMs[kind] / 2), qPrintable(kind), log.lastMs[kind],
              runsReported, batchesReported, inFlightLost ? "rolled back" : "committed");
        runsBefore = runsNow;
        batchesBefore = batchesNow;

        // The project stays writable (one whole batch, so that the batch check above holds).
        std::vector<Decision> more(kCrashBatch, Decision{1, 2, false, QStringLiteral("accept")});
        QVERIFY2(store.applyDecisions(more, QStringLiteral("after-crash-%1").arg(round), &error),
                 qPrintable(error));
        ++batchesBefore;
    }
    // At least one kill came before the in-flight transaction committed (i.e. mid-write).
    QVERIFY2(killedBeforeCommit >= 1, "every kill came after the commit; the test proved nothing");
}

QTEST_GUILESS_MAIN(TestStoreCrash)
#include "tst_storecrash.moc"
