// Tests of the project store's one writer per process (core/base/storewriter.h): stores on three
// threads writing at once (each with its own connection, one writer between them), SQLite's locks
// survive a second store opened and closed in the same process, decisions pass a large run being
// saved, a run being written is never shown, a failed large run is removed, and runs left
// "writing" are removed only once their writer process is gone. Those four run on both backends
// (issue 18; rows "sqlite" and "postgresql", tests/backendfixture.h: the PostgreSQL row needs the
// CTest fixture's throwaway cluster and skips without it; its large runs are smaller, as
// PostgreSQL takes a round trip per row); the other connection's lock and the POSIX locks are
// SQLite's: SQLite only.
//
// Other processes are this executable again (environment variable LABELSCOPE_STOREWRITER_CHILD
// = "MODE|FILE[|ARG]", handled in initTestCase(), which then exits).

#include "backendfixture.h"
#include "base/projectstore.h"
#include "base/storewriter.h"
#include "storefixture.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <map>
#include <cstdio>
#include <cstdlib>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <unistd.h>
#endif

using namespace labelscope;
using labelscope::testing::makeDataset;
using labelscope::testing::makeRun;
using labelscope::testing::RawDb;

namespace {

const char kChildEnv[] = "LABELSCOPE_STOREWRITER_CHILD";

// The child's modes; each prints one line and exits 0 (1 on a failure to open).
[[noreturn]] void runChild(const QString &spec)
{
    const QStringList parts = spec.split(QLatin1Char('|'));
    const QString mode = parts.value(0), file = parts.value(1);
    if (mode == QLatin1String("lockholder")) {
#ifdef Q_OS_UNIX
        // Does another process hold a lock on the bytes SQLite locks a database with (the
        // pending byte at 1 GiB and the shared range after it)? F_GETLK answers without taking
        // it; this descriptor is this child's own.
        const int fd = ::open(QFile::encodeName(file).constData(), O_RDONLY);
        struct flock lock = {};
        lock.l_type = F_WRLCK;
        lock.l_whence = SEEK_SET;
        lock.l_start = 0x40000000;
        lock.l_len = 512;
        if (fd < 0 || ::fcntl(fd, F_GETLK, &lock) != 0)
            std::exit(1);
        std::printf("%s %lld\n", lock.l_type == F_UNLCK ? "UNLOCKED" : "LOCKED", qint64(lock.l_pid));
#endif
        std::exit(0);
    }
    ProjectStore store;
    QString error;
    if (!store.open(file, &error)) {
        std::fprintf(stderr, "child: %s\n", qPrintable(error));
        std::exit(1);
    }
    if (mode == QLatin1String("count")) { // events by one annotator
        int n = 0;
        for (const LabelEvent &e : store.events())
            n += e.annotator == parts.value(2) ? 1 : 0;
        std::printf("COUNT %d\n", n);
    } else { // "touch": open, read, close, as any other program on the project would
        std::printf("SAMPLES %lld\n", store.sampleCount());
    }
    store.close();
    std::exit(0);
}

// Runs this executable as a child in MODE on FILE; returns its output line.
QString child(const QString &mode, const QString &file, const QString &arg = QString())
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QString::fromLatin1(kChildEnv), mode + QLatin1Char('|') + file + QLatin1Char('|') + arg);
    p.setProcessEnvironment(env);
    p.setProgram(QCoreApplication::applicationFilePath());
    p.start();
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return QStringLiteral("child failed: ") + QString::fromUtf8(p.readAllStandardError());
    // The last line: QTest prints its header before initTestCase() becomes the child.
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed().split(QLatin1Char('\n')).last();
}

} // namespace

class TestStoreWriter final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void concurrentStores_data() { labelscope::testing::addBackendRows(); }
    void concurrentStores();
    void writesWaitForAnotherConnectionsLock(); // SQLite only: its write lock
    void locksSurviveASecondStoreInTheSameProcess(); // SQLite only: POSIX locks
    void decisionsPassALargeRun_data() { labelscope::testing::addBackendRows(); }
    void decisionsPassALargeRun();
    void failedLargeRunIsRemoved_data() { labelscope::testing::addBackendRows(); }
    void failedLargeRunIsRemoved();
    void abandonedRunsRemovedOnlyWhenTheirWriterIsGone_data() { labelscope::testing::addBackendRows(); }
    void abandonedRunsRemovedOnlyWhenTheirWriterIsGone();

private:
    QString newFile(const QString &name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

void TestStoreWriter::initTestCase()
{
    const QByteArray spec = qgetenv(kChildEnv);
    if (!spec.isEmpty()) {
        m_dir.remove(); // the child never returns to remove its own (unused) temporary folder
        runChild(QString::fromLocal8Bit(spec));
    }
    QVERIFY(m_dir.isValid());
}

void TestStoreWriter::concurrentStores()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("concurrent"));
    const int n = 2000, k = 10, batches = 150, perBatch = 25;
    QString error;
    ProjectStore gui; // the "GUI thread" store
    QVERIFY2(gui.open(file, &error), qPrintable(error));
    QVERIFY2(gui.importDataset(makeDataset(n, k), &error), qPrintable(error));

    struct Result {
        int applied = 0;
        qint64 runId = 0;
        QString error;
    };
    Result results[2];
    std::atomic<int> ready{0};
    auto worker = [&](int w) {
        Result &r = results[w];
        ProjectStore store;
        const bool opened = store.open(file, &r.error);
        ++ready;
        while (ready.load() < 2) // start writing together
            QThread::yieldCurrentThread();
        if (!opened)
            return;
        for (int b = 0; b < batches; ++b) {
            std::vector<Decision> decisions;
            for (int j = 0; j < perBatch; ++j) // disjoint halves of the samples
                decisions.push_back({qint64(w * (n / 2) + (b * perBatch + j) % (n / 2)) + 1,
                                     (b + j + w) % k, j % 5 == 0, QStringLiteral("relabel")});
            if (!store.applyDecisions(decisions, QStringLiteral("worker-%1").arg(w), &r.error))
                return;
            ++r.applied;
            // Pause as an annotator would: SQLite's busy handler is not fair, and a writer in a
            // tight loop would keep the lock from the other for the whole loop.
            QThread::usleep(500);
            if (b == batches / 2 && w == 1) { // a whole run written while the others write too
                r.runId = store.saveRun(makeRun(n, 10, 32, w), &r.error);
                if (r.runId <= 0)
                    return;
            }
        }
    };
    std::unique_ptr<QThread> t0(QThread::create(worker, 0));
    std::unique_ptr<QThread> t1(QThread::create(worker, 1));
    t0->start();
    t1->start();
    int guiReads = 0, guiWrites = 0;
    while (!t0->isFinished() || !t1->isFinished()) {
        // The GUI store reads, and writes decisions of its own, meanwhile.
        QCOMPARE(gui.samples().size(), std::size_t(n));
        ++guiReads;
        if (guiWrites < 20) {
            QVERIFY2(gui.applyDecisions({{qint64(1 + guiWrites), 0, false, QStringLiteral("accept")}},
                                        QStringLiteral("gui"), &error),
                     qPrintable(error));
            ++guiWrites;
        }
        QThread::msleep(2);
    }
    QVERIFY(t0->wait(60000));
    QVERIFY(t1->wait(60000));
    for (const Result &r : results) {
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.applied, batches);
    }
    QVERIFY(results[1].runId > 0);
    qInfo("concurrent: %d GUI reads, %d GUI writes while two workers wrote", guiReads, guiWrites);
    const std::vector<LabelEvent> events = gui.events();
    QCOMPARE(events.size(), std::size_t(n + 2 * batches * perBatch + guiWrites));
    QCOMPARE(gui.scores(results[1].runId).size(), std::size_t(n));
    // The two workers' transactions did interleave.
    int switches = 0;
    QString previous;
    for (const LabelEvent &e : events) {
        if (!e.annotator.startsWith(QLatin1String("worker-")))
            continue;
        if (!previous.isEmpty() && e.annotator != previous)
            ++switches;
        previous = e.annotator;
    }
    qInfo("concurrent: the workers' batches alternated %d times", switches);
    QVERIFY(switches >= 1);
    // Each sample's label is the new label of its last event.
    std::map<qint64, const LabelEvent *> last;
    for (const LabelEvent &e : events)
        last[e.sampleId] = &e;
    for (const SampleRow &r : gui.samples()) {
        QCOMPARE(r.label, last[r.id]->newLabel);
        QCOMPARE(r.excluded, last[r.id]->newExcluded);
    }
}

// Another connection (another program) holds the write lock for a while: every kind of write
// waits for it (the writer polls; its connection has no busy handler) and then succeeds.
void TestStoreWriter::writesWaitForAnotherConnectionsLock()
{
    const QString file = newFile(QStringLiteral("lock-wait.lsproj"));
    QString error;
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY2(store.importDataset(makeDataset(50, 3), &error), qPrintable(error));
    RawDb other(file);
    QVERIFY(other.exec(QStringLiteral("BEGIN IMMEDIATE")));
    QVERIFY(other.exec(QStringLiteral("UPDATE meta SET value = 'other' WHERE key = 'data_spec'")));
    std::atomic<bool> released{false};
    std::atomic<int> doneBeforeRelease{0}, done{0};
    QString errors[3];
    std::unique_ptr<QThread> writer(QThread::create([&] {
        ProjectStore s;
        if (!s.open(file, &errors[0]))
            return;
        auto finished = [&](bool ok) {
            if (!ok)
                return;
            ++done;
            doneBeforeRelease += released ? 0 : 1;
        };
        finished(s.setMeta(QStringLiteral("name"), QStringLiteral("waited"), &errors[0]));
        finished(s.applyDecisions({{2, 1, false, QStringLiteral("relabel")}}, QStringLiteral("waited"), &errors[1]));
        finished(s.saveRun(makeRun(50, 2, 4, 1), &errors[2]) > 0);
    }));
    writer->start();
    // Hold the lock for a while: a write that did not wait for it would fail (SQLITE_BUSY) or
    // finish meanwhile; both are caught below. Not a timing assertion.
    QTest::qWait(300);
    released = true;
    QVERIFY(other.exec(QStringLiteral("COMMIT")));
    QVERIFY(writer->wait(60000));
    for (const QString &e : errors)
        QVERIFY2(e.isEmpty(), qPrintable(e));
    QCOMPARE(done.load(), 3);
    QCOMPARE(doneBeforeRelease.load(), 0);
    QCOMPARE(store.meta(QStringLiteral("name")), QStringLiteral("waited"));
    QCOMPARE(store.meta(QStringLiteral("data_spec")), QStringLiteral("other"));
    QCOMPARE(store.runs().size(), std::size_t(1));
}

// The bug this guards against: ProjectStore::open() read the file header with a QFile. Closing
// that descriptor dropped every POSIX lock the process held on the file, so another process
// that then closed the project believed itself the last user, checkpointed and deleted the -wal
// file under the first store, whose later commits went to the deleted file: invisible to every
// other process.
void TestStoreWriter::locksSurviveASecondStoreInTheSameProcess()
{
#ifndef Q_OS_UNIX
    QSKIP("POSIX advisory locks only");
#endif
    const QString file = newFile(QStringLiteral("locks.lsproj"));
    QString error;
    ProjectStore first; // the window's store
    QVERIFY2(first.open(file, &error), qPrintable(error));
    QVERIFY2(first.importDataset(makeDataset(100, 4), &error), qPrintable(error));
    QVERIFY2(first.applyDecisions({{1, 2, false, QStringLiteral("relabel")}}, QStringLiteral("before"), &error),
             qPrintable(error));
    {
        ProjectStore second; // e.g. an active-learning round or a UI job, opened and closed
        QVERIFY2(second.open(file, &error), qPrintable(error));
        QCOMPARE(second.sampleCount(), 100);
    }
    // Another process sees this process's lock on the database file ...
    const QString holder = child(QStringLiteral("lockholder"), file);
    QVERIFY2(holder == QStringLiteral("LOCKED %1").arg(QCoreApplication::applicationPid()), qPrintable(holder));
    // ... so closing its own connection leaves the -wal file alone ...
    QCOMPARE(child(QStringLiteral("touch"), file), QStringLiteral("SAMPLES 100"));
    QVERIFY(QFile::exists(file + QStringLiteral("-wal")));
    // ... and a decision committed now is seen by every other process.
    QVERIFY2(first.applyDecisions({{2, 3, false, QStringLiteral("relabel")}}, QStringLiteral("after"), &error),
             qPrintable(error));
    QCOMPARE(child(QStringLiteral("count"), file, QStringLiteral("after")), QStringLiteral("COUNT 1"));
    QCOMPARE(child(QStringLiteral("count"), file, QStringLiteral("before")), QStringLiteral("COUNT 1"));
}

// A large run is saved on one thread while another applies decisions one at a time: each
// decision waits for at most one chunk of the run, so all of them commit while the run is still
// being written, and no reader ever sees the run before it is complete.
void TestStoreWriter::decisionsPassALargeRun()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("large_run"));
    // Large enough to take many chunks (about StoreWriter::kChunkMs each) on any machine of
    // this kind: 60,000 samples, 30 epochs of dynamics, 128-d embeddings (about 60 MB); on
    // PostgreSQL, a round trip per row (RESULTS.md: 60,000 take over a minute), 6,000.
    const int n = labelscope::testing::sqliteRow() ? 60000 : 6000, decisionsWanted = 5;
    QString error;
    ProjectStore reader;
    QVERIFY2(reader.open(file, &error), qPrintable(error));
    QVERIFY2(reader.importDataset(makeDataset(n, 10), &error), qPrintable(error));
    const RunRecord run = makeRun(n, 30, 128, 4);

    std::atomic<bool> runDone{false};
    std::atomic<bool> runStarted{false};
    qint64 runId = 0;
    QString runError, decisionError;
    int committedWhileWriting = 0, committedAfter = 0, seenWriting = 0;
    std::unique_ptr<QThread> saver(QThread::create([&] {
        ProjectStore store;
        if (store.open(file, &runError))
            runId = store.saveRun(run, &runError);
        runDone = true;
    }));
    std::unique_ptr<QThread> annotator(QThread::create([&] {
        ProjectStore store;
        if (!store.open(file, &decisionError))
            return;
        RawDb raw(file);
        // Start once the run is visibly being written.
        while (!runDone && raw.value(QStringLiteral("SELECT count(*) FROM runs WHERE status = 'writing'")).toInt() == 0)
            QThread::msleep(1);
        runStarted = !runDone;
        for (int i = 0; i < decisionsWanted; ++i) {
            if (!store.applyDecisions({{qint64(i + 1), i % 10, false, QStringLiteral("relabel")}},
                                      QStringLiteral("during-%1").arg(i), &decisionError))
                return;
            if (runDone) {
                ++committedAfter;
            } else {
                ++committedWhileWriting;
                // The run is still unfinished in the file too, not merely on its thread.
                seenWriting += raw.value(QStringLiteral("SELECT count(*) FROM runs WHERE status = 'writing'")).toInt();
            }
        }
    }));
    saver->start();
    annotator->start();
    int readerChecks = 0;
    while (!saver->isFinished()) {
        // A reader never sees the run before it is complete (it may see it complete between the
        // last commit and the end of the saving thread). The latest run is read first: the run can
        // complete between the two reads, and a run seen complete stays listed, never the reverse.
        const std::optional<RunInfo> latest = reader.latestRun();
        const std::vector<RunInfo> shown = reader.runs();
        if (latest) {
            QCOMPARE(shown.size(), std::size_t(1));
            QCOMPARE(latest->id, shown[0].id);
        }
        if (!shown.empty()) {
            QCOMPARE(shown.size(), std::size_t(1));
            QCOMPARE(reader.scores(shown[0].id).size(), std::size_t(n));
            QCOMPARE(shown[0].summary, run.summary);
        }
        ++readerChecks;
        QThread::msleep(5);
    }
    QVERIFY(saver->wait(120000));
    QVERIFY(annotator->wait(120000));
    QVERIFY2(runError.isEmpty() && runId > 0, qPrintable(runError));
    QVERIFY2(decisionError.isEmpty(), qPrintable(decisionError));
    QVERIFY2(runStarted, "the annotator started after the run was saved; the test proved nothing");
    qInfo("%d decisions committed while the run was written, %d after; %d reader checks",
          committedWhileWriting, committedAfter, readerChecks);
    QCOMPARE(committedWhileWriting, decisionsWanted);
    QCOMPARE(seenWriting, decisionsWanted);
    // The run is complete and shown; the decisions are all there.
    QCOMPARE(reader.runs().size(), std::size_t(1));
    QCOMPARE(reader.latestRun()->id, runId);
    QCOMPARE(reader.runs()[0].summary, run.summary);
    QCOMPARE(reader.scores(runId).size(), std::size_t(n));
    std::vector<qint64> ids;
    std::vector<float> emb;
    int dim = 0;
    QVERIFY(reader.embeddings(runId, &ids, &emb, &dim));
    QCOMPARE(dim, 128);
    QVERIFY(emb == run.embeddings);
    QCOMPARE(reader.events().size(), std::size_t(n + decisionsWanted));
}

// A run that fails in a late chunk (after earlier chunks committed) is removed completely.
void TestStoreWriter::failedLargeRunIsRemoved()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("failed_run"));
    const int n = labelscope::testing::sqliteRow() ? 30000 : 3000; // PostgreSQL: as decisionsPassALargeRun
    QString error;
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY2(store.importDataset(makeDataset(n, 10), &error), qPrintable(error));
    RunRecord run = makeRun(n, 20, 64, 2);
    run.embeddingIds.back() = n + 5; // no such sample: the foreign key fails at the very end
    QCOMPARE(store.saveRun(run, &error), 0);
    QVERIFY2(error.contains(file) && error.contains(QStringLiteral("embedding of sample %1").arg(n + 5)),
             qPrintable(error));
    QVERIFY(store.runs().empty());
    RawDb raw(file);
    for (const char *table : {"runs", "scores", "dynamics", "embeddings"})
        QVERIFY2(raw.value(QStringLiteral("SELECT count(*) FROM %1").arg(QLatin1String(table))).toInt() == 0, table);
    QVERIFY2(store.saveRun(makeRun(n, 2, 0, 3), &error) > 0, qPrintable(error));
}

void TestStoreWriter::abandonedRunsRemovedOnlyWhenTheirWriterIsGone()
{
#ifndef Q_OS_LINUX
    QSKIP("process identities (boot id, start time) are read from /proc");
#endif
    BACKEND_LOCATION(file, m_dir, QStringLiteral("abandoned"));
    QString error;
    {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QVERIFY2(store.importDataset(makeDataset(20, 3), &error), qPrintable(error));
        QVERIFY2(store.saveRun(makeRun(20, 2, 4, 1), &error) > 0, qPrintable(error)); // run 1: done
    }
    // A live writer (a process that still runs), a dead one (exited), one of another machine.
    QProcess live;
    live.start(QStringLiteral("sleep"), {QStringLiteral("600")});
    QVERIFY(live.waitForStarted());
    QProcess dead;
    dead.start(QStringLiteral("true"), {});
    QVERIFY(dead.waitForStarted());
    const QJsonObject deadIdentity = StoreWriter::processIdentity(dead.processId());
    QVERIFY(dead.waitForFinished());
    const QJsonObject liveIdentity = StoreWriter::processIdentity(live.processId());
    QJsonObject otherHost = liveIdentity;
    otherHost[QStringLiteral("host")] = QStringLiteral("another-machine.invalid");
    QVERIFY(!StoreWriter::processIsGone(liveIdentity));
    QVERIFY(StoreWriter::processIsGone(deadIdentity));
    QVERIFY(!StoreWriter::processIsGone(otherHost));
    QVERIFY(!StoreWriter::processIsGone(StoreWriter::processIdentity()));
    {
        RawDb raw(file);
        const std::pair<int, QJsonObject> writers[] = {{2, liveIdentity}, {3, deadIdentity}, {4, otherHost}};
        for (const auto &[id, identity] : writers) {
            const QString summary = QString::fromUtf8(
                QJsonDocument(QJsonObject{{QStringLiteral("writer"), identity}}).toJson(QJsonDocument::Compact));
            QVERIFY(raw.exec(QStringLiteral("INSERT INTO runs(id, status, summary) VALUES (%1, 'writing', '%2')")
                                 .arg(id)
                                 .arg(summary)));
            QVERIFY(raw.exec(QStringLiteral("INSERT INTO scores(run_id, sample_id, noise_score, category, sigma,"
                                            " mean_prob, std_prob, mean_margin, pred_label, pred_prob)"
                                            " SELECT %1, id, 0, 'easy', 1, 0, 0, 0, 0, 0 FROM samples")
                                 .arg(id)));
        }
    }
    auto writingRuns = [&] {
        RawDb raw(file);
        QStringList ids;
        QSqlQuery q(raw.db());
        q.exec(QStringLiteral("SELECT id FROM runs WHERE status = 'writing' ORDER BY id"));
        while (q.next())
            ids << q.value(0).toString();
        return ids.join(QLatin1Char(','));
    };
    auto scoreRunIds = [&] {
        RawDb raw(file);
        return raw.value(labelscope::testing::sqliteRow()
                             ? QStringLiteral("SELECT group_concat(DISTINCT run_id) FROM scores")
                             : QStringLiteral("SELECT string_agg(DISTINCT run_id::text, ',' ORDER BY run_id::text) FROM scores"))
            .toString();
    };
    {
        ProjectStore store; // opening schedules the clean-up on the writer
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QCOMPARE(store.runs().size(), std::size_t(1)); // never shows a run being written
        QTRY_COMPARE(writingRuns(), QStringLiteral("2,4"));
        QCOMPARE(scoreRunIds(), QStringLiteral("1,2,4"));
    }
    live.kill();
    QVERIFY(live.waitForFinished());
    {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QTRY_COMPARE(writingRuns(), QStringLiteral("4")); // another machine's: left alone
        QCOMPARE(scoreRunIds(), QStringLiteral("1,4"));
        QCOMPARE(store.runs().size(), std::size_t(1));
        QCOMPARE(store.scores(1).size(), std::size_t(20));
    }
}

QTEST_GUILESS_MAIN(TestStoreWriter)
#include "tst_storewriter.moc"
