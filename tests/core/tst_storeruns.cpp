// Tests of the project store's runs (core/base/projectruns.cpp, projectrunsave.cpp): a run's
// scores, dynamics and embeddings round-trip bit for bit, the latest finished run, an atomic save,
// and figures at Fashion-MNIST scale. Every test runs on both backends (issue 18; rows "sqlite"
// and "postgresql", tests/backendfixture.h: the PostgreSQL row needs the CTest fixture's throwaway
// cluster and skips without it). Split from tst_projectstore.cpp.

#include "backendfixture.h"
#include "base/projectstore.h"
#include "storefixture.h"

#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>

using namespace labelscope;
using namespace labelscope::testing;

class TestStoreRuns final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void runRoundTrip_data() { addBackendRows(); }
    void runRoundTrip();
    void latestRunIgnoresCancelled_data() { addBackendRows(); }
    void latestRunIgnoresCancelled();
    void saveRunIsAtomic_data() { addBackendRows(); }
    void saveRunIsAtomic();
    void timingsAtScale_data() { addBackendRows(); }
    void timingsAtScale();

private:
    QTemporaryDir m_dir;
};

void TestStoreRuns::runRoundTrip()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("runs"));
    QString error;
    const int n = 300, epochs = 12, dim = 16;
    const RunRecord run = makeRun(n, epochs, dim, 3);
    qint64 id = 0;
    {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QVERIFY2(store.importDataset(makeDataset(n, 10), &error), qPrintable(error));
        id = store.saveRun(run, &error);
        QVERIFY2(id > 0, qPrintable(error));
    }
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    const std::vector<RunInfo> runs = store.runs();
    QCOMPARE(runs.size(), std::size_t(1));
    QCOMPARE(runs[0].id, id);
    QCOMPARE(runs[0].status, QStringLiteral("done"));
    QCOMPARE(runs[0].settings, run.settings);
    QCOMPARE(runs[0].summary, run.summary);
    QCOMPARE(runs[0].started.toMSecsSinceEpoch(), run.started.toMSecsSinceEpoch());
    QCOMPARE(runs[0].finished.toMSecsSinceEpoch(), run.finished.toMSecsSinceEpoch());
    QCOMPARE(runs[0].started.timeSpec(), Qt::UTC);

    const std::vector<SampleScore> scores = store.scores(id);
    QCOMPARE(scores.size(), run.scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i) {
        const SampleScore &a = scores[i], &b = run.scores[i];
        QCOMPARE(a.sampleId, b.sampleId);
        QCOMPARE(a.noiseScore, b.noiseScore);
        QCOMPARE(a.category, b.category);
        QCOMPARE(a.sigma, b.sigma);
        QCOMPARE(a.meanProb, b.meanProb);
        QCOMPARE(a.stdProb, b.stdProb);
        QCOMPARE(a.meanMargin, b.meanMargin);
        QCOMPARE(a.predLabel, b.predLabel);
        QCOMPARE(a.predProb, b.predProb);
    }
    for (int i : {0, 1, 150, n - 1}) {
        const auto t = store.trajectory(id, i + 1);
        QVERIFY(t);
        QCOMPARE(t->sigma.size(), std::size_t(epochs));
        QCOMPARE(t->probGiven.size(), std::size_t(epochs));
        QCOMPARE(t->margin.size(), std::size_t(epochs));
        QCOMPARE(t->predicted.size(), std::size_t(epochs));
        for (int e = 0; e < epochs; ++e) {
            const std::size_t at = std::size_t(i) * epochs + std::size_t(e);
            QCOMPARE(t->sigma[std::size_t(e)], run.dynamics.sigma[at]);
            QCOMPARE(t->probGiven[std::size_t(e)], run.dynamics.probGiven[at]);
            QCOMPARE(t->margin[std::size_t(e)], run.dynamics.margin[at]);
            QCOMPARE(t->predicted[std::size_t(e)], int(run.dynamics.predicted[at]));
        }
    }
    QVERIFY(!store.trajectory(id, n + 1));
    QVERIFY(!store.trajectory(id + 1, 1));
    // The BLOB layout is little-endian float32 (checked byte by byte on the raw project: an
    // SQLite BLOB, a PostgreSQL bytea).
    {
        RawDb raw(file);
        const QByteArray blob =
            raw.value(QStringLiteral("SELECT sigma FROM dynamics WHERE run_id = %1 AND sample_id = 2").arg(id))
                .toByteArray();
        QCOMPARE(blob.size(), epochs * 4);
        quint32 bits;
        std::memcpy(&bits, &run.dynamics.sigma[std::size_t(epochs)], 4);
        QCOMPARE(quint8(blob[0]), quint8(bits & 0xff));
        QCOMPARE(quint8(blob[3]), quint8(bits >> 24));
        const QByteArray pred =
            raw.value(QStringLiteral("SELECT predicted FROM dynamics WHERE run_id = %1 AND sample_id = 2").arg(id))
                .toByteArray();
        QCOMPARE(pred.size(), epochs * 2);
    }

    std::vector<qint64> ids;
    std::vector<float> data;
    int d = -1;
    QVERIFY(store.embeddings(id, &ids, &data, &d));
    QCOMPARE(d, dim);
    QCOMPARE(ids, run.embeddingIds);
    QCOMPARE(data.size(), run.embeddings.size());
    QVERIFY(data == run.embeddings);
    QVERIFY(!store.embeddings(id + 5, &ids, &data, &d));

    // A run without dynamics and embeddings, and with some NULL dynamics arrays.
    RunRecord lean = makeRun(n, 4, 0, 9);
    lean.dynamics.sigma.clear();
    const qint64 id2 = store.saveRun(lean, &error);
    QVERIFY2(id2 > id, qPrintable(error));
    QVERIFY(store.embeddings(id2, &ids, &data, &d));
    QVERIFY(ids.empty() && data.empty() && d == 0);
    const auto t2 = store.trajectory(id2, 7);
    QVERIFY(t2);
    QVERIFY(t2->sigma.empty());
    QCOMPARE(t2->probGiven.size(), std::size_t(4));
    QCOMPARE(store.scores(id2).size(), std::size_t(n));
    QCOMPARE(store.scores(id).size(), std::size_t(n));
    QVERIFY(store.scores(12345).empty());
}

void TestStoreRuns::latestRunIgnoresCancelled()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("latest"));
    QString error;
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY2(store.importDataset(makeDataset(40, 3), &error), qPrintable(error));
    QVERIFY(!store.latestRun());

    RunRecord cancelledEmpty;
    cancelledEmpty.status = QStringLiteral("cancelled");
    cancelledEmpty.started = QDateTime::currentDateTimeUtc();
    const qint64 c1 = store.saveRun(cancelledEmpty, &error);
    QVERIFY2(c1 > 0, qPrintable(error));
    QVERIFY(!store.latestRun());
    QVERIFY(store.scores(c1).empty());
    QVERIFY(!store.runs()[0].finished.isValid());

    const qint64 done1 = store.saveRun(makeRun(40, 3, 4, 1), &error);
    QVERIFY2(done1 > c1, qPrintable(error));
    QCOMPARE(store.latestRun()->id, done1);
    const qint64 done2 = store.saveRun(makeRun(40, 3, 4, 2), &error);
    QVERIFY2(done2 > done1, qPrintable(error));
    QCOMPARE(store.latestRun()->id, done2);

    const qint64 c2 = store.saveRun(makeRun(40, 3, 4, 3, QStringLiteral("cancelled")), &error);
    QVERIFY2(c2 > done2, qPrintable(error));
    const qint64 f1 = store.saveRun(makeRun(40, 3, 0, 4, QStringLiteral("failed")), &error);
    QVERIFY2(f1 > c2, qPrintable(error));
    const auto latest = store.latestRun();
    QVERIFY(latest);
    QCOMPARE(latest->id, done2);
    QCOMPARE(latest->settings.value(QStringLiteral("salt")).toInt(), 2);
    QCOMPARE(store.runs().size(), std::size_t(5));
    QCOMPARE(store.runs().back().status, QStringLiteral("failed"));
}

void TestStoreRuns::saveRunIsAtomic()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("atomic_run"));
    QString error;
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY2(store.importDataset(makeDataset(100, 10), &error), qPrintable(error));

    // The last embedding names a sample that does not exist: the foreign key fails at the very
    // end, after the run row, scores and dynamics were written; all of it is rolled back.
    RunRecord run = makeRun(100, 5, 8, 1);
    run.embeddingIds.back() = 100000;
    QCOMPARE(store.saveRun(run, &error), 0);
    QVERIFY2(error.contains(file) && error.contains(QStringLiteral("embedding")), qPrintable(error));
    QVERIFY(store.runs().empty());
    {
        RawDb raw(file);
        QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM scores")).toInt(), 0);
        QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM dynamics")).toInt(), 0);
        QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM embeddings")).toInt(), 0);
    }
    // A duplicated score.
    run = makeRun(100, 5, 8, 1);
    run.scores[50].sampleId = 3;
    QCOMPARE(store.saveRun(run, &error), 0);
    QVERIFY(store.runs().empty());
    // Malformed arrays are refused before writing.
    run = makeRun(100, 5, 8, 1);
    run.dynamics.margin.pop_back();
    QCOMPARE(store.saveRun(run, &error), 0);
    run = makeRun(100, 5, 8, 1);
    run.embeddings.pop_back();
    QCOMPARE(store.saveRun(run, &error), 0);
    QVERIFY(store.runs().empty());
    // And the store is still usable.
    QVERIFY2(store.saveRun(makeRun(100, 5, 8, 1), &error) > 0, qPrintable(error));
    QCOMPARE(store.runs().size(), std::size_t(1));
}

void TestStoreRuns::timingsAtScale()
{
    // PostgreSQL at this scale takes longer (before session 15 the store wrote one row a statement:
    // 29 s to import 60k samples, 63 s and 75 s to save a run; with 64 rows a statement 1.3 s and
    // 4 s: RESULTS.md): its row runs only when asked for.
    if (!sqliteRow() && qEnvironmentVariable("LABELSCOPE_TEST_PG_SCALE") != QLatin1String("1"))
        QSKIP("60k samples on PostgreSQL: set LABELSCOPE_TEST_PG_SCALE=1 for its figures");
    BACKEND_LOCATION(file, m_dir, QStringLiteral("scale"));
    const int n = 60000, k = 10;
    QString error;
    const Dataset ds = makeDataset(n, k);
    const RunRecord run10 = makeRun(n, 10, 64, 1);
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));

    QElapsedTimer t;
    t.start();
    QVERIFY2(store.importDataset(ds, &error), qPrintable(error));
    const qint64 importMs = t.elapsed();

    t.start();
    const qint64 runId = store.saveRun(run10, &error);
    const qint64 saveMs = t.elapsed();
    QVERIFY2(runId > 0, qPrintable(error));

    t.start();
    const std::vector<SampleRow> rows = store.samples();
    const qint64 samplesMs = t.elapsed();
    QCOMPARE(rows.size(), std::size_t(n));

    t.start();
    const std::vector<SampleScore> scores = store.scores(runId);
    const qint64 scoresMs = t.elapsed();
    QCOMPARE(scores.size(), std::size_t(n));

    t.start();
    std::vector<qint64> ids;
    std::vector<float> emb;
    int dim = 0;
    QVERIFY(store.embeddings(runId, &ids, &emb, &dim));
    const qint64 embMs = t.elapsed();
    QCOMPARE(dim, 64);
    QVERIFY(emb == run10.embeddings);

    t.start();
    for (qint64 id = 1; id <= 1000; ++id)
        QVERIFY(store.trajectory(runId, id * 59));
    const qint64 trajMs = t.elapsed();

    std::vector<Decision> decisions;
    for (int i = 0; i < 5000; ++i)
        decisions.push_back({qint64(i * 11 % n) + 1, i % k, false, QStringLiteral("relabel")});
    t.start();
    QVERIFY2(store.applyDecisions(decisions, QStringLiteral("bulk"), &error), qPrintable(error));
    const qint64 decideMs = t.elapsed();

    RunRecord run30 = makeRun(n, 30, 64, 2);
    t.start();
    QVERIFY2(store.saveRun(run30, &error) > 0, qPrintable(error));
    const qint64 save30Ms = t.elapsed();

    qInfo("%s, 60k samples: import %lld ms; saveRun (scores + dynamics E=10 + 64-d embeddings) %lld ms;"
          " saveRun E=30 %lld ms; samples() %lld ms; scores() %lld ms; embeddings() %lld ms;"
          " 1000 trajectories %lld ms; 5000 decisions %lld ms",
          QTest::currentDataTag(), importMs, saveMs, save30Ms, samplesMs, scoresMs, embMs, trajMs, decideMs);
    // Figures only (recorded in tests/benchmarks/RESULTS.md); no timing assertion in a test.
}

QTEST_GUILESS_MAIN(TestStoreRuns)
#include "tst_storeruns.moc"
