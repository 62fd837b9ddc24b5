// Tests of the project store (core/base/projectstore.h): schema, round trips, append-only
// events, atomic batches, refusal of foreign and newer files, timings at Fashion-MNIST scale.
// Elsewhere: concurrent stores and the writer (tst_storewriter.cpp), consistency after a SIGKILL
// (tst_storecrash.cpp), errors and read-only projects (tst_storeerrors.cpp), integrity rules
// (tst_storeintegrity.cpp), full disk (tst_fulldisk.cpp), the v4 history (tst_projecthistory.cpp).

#include "base/projectschema.h"
#include "base/projectstore.h"
#include "storefixture.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <cmath>
#include <map>

using namespace labelscope;
using labelscope::testing::makeDataset;
using labelscope::testing::makeRun;
using labelscope::testing::RawDb;

namespace {

bool sameSample(const SampleRow &r, const Sample &s, qint64 id)
{
    return r.id == id && r.sample.source == s.source && r.sample.path == s.path
        && r.sample.offset == s.offset && r.sample.split == (s.split.isNull() ? QString() : s.split)
        && r.sample.label == s.label && r.sample.trueLabel == s.trueLabel && r.givenLabel == s.label
        && r.label == s.label && !r.excluded;
}

} // namespace

class TestProjectStore final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void createAndReopen();
    void importRoundTrip();
    void eventsAreAppendOnly();
    void applyDecisions();
    void applyDecisionsRefusesInvalidBatch();
    void newerSchemaRefused();
    void nonProjectRefused();
    void runRoundTrip();
    void latestRunIgnoresCancelled();
    void saveRunIsAtomic();
    void timingsAtScale();

private:
    QString newFile(const QString &name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

void TestProjectStore::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestProjectStore::createAndReopen()
{
    const QString file = newFile(QStringLiteral("create.lsproj"));
    QString error;
    {
        ProjectStore store;
        QVERIFY(!store.isOpen());
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QVERIFY(store.isOpen());
        QCOMPARE(store.fileName(), file);
        QCOMPARE(store.sampleCount(), 0);
        QVERIFY(store.classes().isEmpty());
        QVERIFY(store.samples().empty());
        QVERIFY(store.runs().empty());
        QVERIFY(!store.latestRun());
        QVERIFY(store.meta(QStringLiteral("name")).isNull());
        QVERIFY2(store.setMeta(QStringLiteral("name"), QStringLiteral("Fashion ✓"), &error),
                 qPrintable(error));
        QVERIFY2(store.setMeta(QStringLiteral("data_spec"), QStringLiteral("fashion-mnist"), &error),
                 qPrintable(error));
        store.close();
        QVERIFY(!store.isOpen());
    }
    QVERIFY(QFile::exists(file));
    {
        RawDb raw(file);
        QVERIFY(raw.ok);
        QCOMPARE(raw.value(QStringLiteral("PRAGMA user_version")).toInt(), ProjectStore::kSchemaVersion);
        QCOMPARE(raw.value(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
        for (const char *table : {"meta", "classes", "samples", "label_events", "runs", "scores",
                                  "dynamics", "embeddings"})
            QVERIFY2(raw.value(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                              " AND name = '%1'")
                                   .arg(QLatin1String(table)))
                             .toInt()
                         == 1,
                     table);
    }
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QCOMPARE(store.meta(QStringLiteral("name")), QStringLiteral("Fashion ✓"));
    QCOMPARE(store.meta(QStringLiteral("data_spec")), QStringLiteral("fashion-mnist"));
    // Re-opening the same store object on another file closes the first.
    QVERIFY2(store.open(newFile(QStringLiteral("create2.lsproj")), &error), qPrintable(error));
    QVERIFY(store.meta(QStringLiteral("name")).isNull());
    // A file in a folder that does not exist.
    ProjectStore bad;
    QVERIFY(!bad.open(newFile(QStringLiteral("no/such/folder/x.lsproj")), &error));
    QVERIFY(error.contains(QStringLiteral("x.lsproj")));
    QVERIFY(!bad.isOpen());
}

void TestProjectStore::importRoundTrip()
{
    const QString file = newFile(QStringLiteral("import.lsproj"));
    const Dataset ds = makeDataset(1000, 10);
    QString error;
    {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
        QVERIFY2(store.importDataset(ds, &error), qPrintable(error));
        const QDateTime after = QDateTime::currentDateTimeUtc().addMSecs(1);
        QCOMPARE(store.classes(), ds.classes);
        QCOMPARE(store.sampleCount(), qint64(ds.samples.size()));
        QCOMPARE(store.meta(QStringLiteral("data_spec")), ds.spec);

        const std::vector<LabelEvent> events = store.events();
        QCOMPARE(events.size(), ds.samples.size());
        for (std::size_t i = 0; i < events.size(); ++i) {
            const LabelEvent &e = events[i];
            QCOMPARE(e.sampleId, qint64(i) + 1);
            QCOMPARE(e.reason, QStringLiteral("import"));
            QCOMPARE(e.newLabel, ds.samples[i].label);
            QCOMPARE(e.oldLabel, -1);
            QVERIFY(!e.oldExcluded && !e.newExcluded);
            QCOMPARE(e.time.timeSpec(), Qt::UTC);
            QVERIFY(e.time >= before && e.time <= after);
        }
        // A second import is refused and changes nothing.
        QVERIFY(!store.importDataset(makeDataset(10, 3), &error));
        QVERIFY2(error.contains(file) && error.contains(QStringLiteral("already")), qPrintable(error));
        QCOMPARE(store.sampleCount(), qint64(ds.samples.size()));
        QCOMPARE(store.classes(), ds.classes);
    }
    // Read back after reopening: every field identical.
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    const std::vector<SampleRow> rows = store.samples();
    QCOMPARE(rows.size(), ds.samples.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
        QVERIFY2(sameSample(rows[i], ds.samples[i], qint64(i) + 1), qPrintable(QString::number(i)));
    const auto one = store.sample(500);
    QVERIFY(one);
    QVERIFY(sameSample(*one, ds.samples[499], 500));
    QVERIFY(!store.sample(0));
    QVERIFY(!store.sample(1001));
    QCOMPARE(store.events(17).size(), std::size_t(1));

    // A label outside the classes is refused before anything is written.
    ProjectStore other;
    QVERIFY2(other.open(newFile(QStringLiteral("import-bad.lsproj")), &error), qPrintable(error));
    Dataset bad = makeDataset(20, 4);
    bad.samples[13].label = 4;
    QVERIFY(!other.importDataset(bad, &error));
    QVERIFY2(error.contains(QStringLiteral("import-bad.lsproj")), qPrintable(error));
    QCOMPARE(other.sampleCount(), 0);
    QVERIFY(other.classes().isEmpty());
    bad.samples[13].label = 3;
    QVERIFY2(other.importDataset(bad, &error), qPrintable(error));
    QCOMPARE(other.sampleCount(), 20);
}

void TestProjectStore::eventsAreAppendOnly()
{
    const QString file = newFile(QStringLiteral("appendonly.lsproj"));
    QString error;
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY2(store.importDataset(makeDataset(10, 3), &error), qPrintable(error));

    RawDb raw(file);
    QVERIFY(raw.ok);
    QVERIFY(!raw.exec(QStringLiteral("UPDATE label_events SET new_label = 2 WHERE id = 1"), &error));
    QVERIFY2(error.contains(QStringLiteral("append-only")), qPrintable(error));
    QVERIFY(!raw.exec(QStringLiteral("DELETE FROM label_events WHERE id = 1"), &error));
    QVERIFY2(error.contains(QStringLiteral("append-only")), qPrintable(error));
    QVERIFY(!raw.exec(QStringLiteral("DELETE FROM label_events"), &error));
    QVERIFY(!raw.exec(QStringLiteral("INSERT INTO label_events(sample_id, time, old_label, new_label,"
                                     " old_excluded, new_excluded, reason)"
                                     " VALUES (1, 'x', 0, 1, 0, 0, 'bogus')"),
                      &error));
    // Foreign keys: an event needs its sample (the raw connection enables them as the store does).
    QVERIFY(raw.exec(QStringLiteral("PRAGMA foreign_keys = ON")));
    QVERIFY(!raw.exec(QStringLiteral("INSERT INTO label_events(sample_id, time, old_label, new_label,"
                                     " old_excluded, new_excluded, reason)"
                                     " VALUES (999, 'x', 0, 1, 0, 0, 'relabel')"),
                      &error));
    QCOMPARE(store.events().size(), std::size_t(10));
    // Appending is allowed.
    QVERIFY2(store.applyDecisions({{3, 1, false, QStringLiteral("relabel")}}, QStringLiteral("ann"),
                                  &error),
             qPrintable(error));
    QCOMPARE(store.events().size(), std::size_t(11));
}

void TestProjectStore::applyDecisions()
{
    const QString file = newFile(QStringLiteral("decisions.lsproj"));
    const Dataset ds = makeDataset(100, 5);
    QString error;
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY2(store.importDataset(ds, &error), qPrintable(error));
    QVERIFY2(store.applyDecisions({}, QStringLiteral("nobody"), &error), qPrintable(error));
    QCOMPARE(store.events().size(), std::size_t(100));

    const int given5 = ds.samples[4].label;
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    const std::vector<Decision> batch = {
        {5, 4, false, QStringLiteral("relabel")},
        {9, ds.samples[8].label, true, QStringLiteral("exclude")},
        {5, -1, false, QStringLiteral("relabel")},  // the same sample twice in one batch
        {20, ds.samples[19].label, false, QStringLiteral("accept")},
    };
    QVERIFY2(store.applyDecisions(batch, QStringLiteral("alice"), &error), qPrintable(error));
    const QDateTime after = QDateTime::currentDateTimeUtc().addMSecs(1);

    const auto s5 = store.sample(5);
    QVERIFY(s5);
    QCOMPARE(s5->label, -1);
    QCOMPARE(s5->givenLabel, given5);
    QVERIFY(!s5->excluded);
    QVERIFY(store.sample(9)->excluded);
    QCOMPARE(store.sample(9)->label, ds.samples[8].label);

    const std::vector<LabelEvent> ev5 = store.events(5);
    QCOMPARE(ev5.size(), std::size_t(3));
    QCOMPARE(ev5[0].reason, QStringLiteral("import"));
    QCOMPARE(ev5[1].oldLabel, given5);
    QCOMPARE(ev5[1].newLabel, 4);
    QCOMPARE(ev5[1].reason, QStringLiteral("relabel"));
    QCOMPARE(ev5[1].annotator, QStringLiteral("alice"));
    QVERIFY(ev5[1].time >= before && ev5[1].time <= after);
    QCOMPARE(ev5[1].time.timeSpec(), Qt::UTC);
    QCOMPARE(ev5[2].oldLabel, 4);
    QCOMPARE(ev5[2].newLabel, -1);
    QVERIFY(ev5[1].id < ev5[2].id);

    const std::vector<LabelEvent> ev9 = store.events(9);
    QCOMPARE(ev9.size(), std::size_t(2));
    QVERIFY(!ev9[1].oldExcluded);
    QVERIFY(ev9[1].newExcluded);
    QCOMPARE(ev9[1].reason, QStringLiteral("exclude"));

    // Undo the exclusion.
    QVERIFY2(store.applyDecisions({{9, ds.samples[8].label, false, QStringLiteral("undo")}},
                                  QStringLiteral("bob"), &error),
             qPrintable(error));
    QVERIFY(!store.sample(9)->excluded);
    const std::vector<LabelEvent> ev9b = store.events(9);
    QCOMPARE(ev9b.size(), std::size_t(3));
    QVERIFY(ev9b[2].oldExcluded && !ev9b[2].newExcluded);
    QCOMPARE(ev9b[2].reason, QStringLiteral("undo"));
    QCOMPARE(store.events().size(), std::size_t(100 + 4 + 1));
    const std::vector<LabelEvent> all = store.events();
    for (std::size_t i = 1; i < all.size(); ++i)
        QVERIFY(all[i - 1].id < all[i].id);
}

void TestProjectStore::applyDecisionsRefusesInvalidBatch()
{
    const QString file = newFile(QStringLiteral("invalid.lsproj"));
    const Dataset ds = makeDataset(50, 4);
    QString error;
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY2(store.importDataset(ds, &error), qPrintable(error));
    const std::vector<SampleRow> before = store.samples();

    auto refused = [&](const std::vector<Decision> &batch, const char *what) {
        error.clear();
        const bool ok = store.applyDecisions(batch, QStringLiteral("mallory"), &error);
        if (ok)
            qWarning("accepted: %s", what);
        if (!error.contains(file) || store.lastError() != error)
            qWarning("error does not name the file: %s", qPrintable(error));
        return !ok && error.contains(file);
    };
    const Decision good1{1, 2, false, QStringLiteral("relabel")};
    const Decision good2{2, 3, true, QStringLiteral("exclude")};
    QVERIFY(refused({good1, good2, {51, 0, false, QStringLiteral("relabel")}}, "id past the end"));
    QVERIFY(refused({good1, {0, 0, false, QStringLiteral("relabel")}, good2}, "id 0"));
    QVERIFY(refused({good1, {-3, 0, false, QStringLiteral("relabel")}}, "negative id"));
    QVERIFY(refused({good1, good2, {3, 4, false, QStringLiteral("relabel")}}, "label K"));
    QVERIFY(refused({{3, -2, false, QStringLiteral("relabel")}, good1}, "label -2"));
    QVERIFY(refused({good1, {3, 1, false, QStringLiteral("import")}}, "reason import"));
    QVERIFY(refused({good1, {3, 1, false, QStringLiteral("whatever")}}, "unknown reason"));

    // Nothing of any refused batch was written.
    QCOMPARE(store.events().size(), std::size_t(50));
    const std::vector<SampleRow> after = store.samples();
    QCOMPARE(after.size(), before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
        QCOMPARE(after[i].label, before[i].label);
        QCOMPARE(after[i].excluded, before[i].excluded);
    }
    // The same batch without the bad decision goes through; label -1 (unlabel) and K-1 are valid.
    QVERIFY2(store.applyDecisions({good1, good2, {3, 3, false, {}}, {4, -1, false, {}}},
                                  QStringLiteral("mallory"), &error),
             qPrintable(error));
    QCOMPARE(store.events().size(), std::size_t(54));
    QCOMPARE(store.events(3).back().reason, QStringLiteral("relabel")); // empty reason = relabel
    QCOMPARE(store.sample(4)->label, -1);
}

void TestProjectStore::newerSchemaRefused()
{
    const QString file = newFile(QStringLiteral("newer.lsproj"));
    QString error;
    {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QVERIFY2(store.importDataset(makeDataset(10, 2), &error), qPrintable(error));
    }
    {
        RawDb raw(file);
        QVERIFY(raw.exec(QStringLiteral("PRAGMA user_version = %1").arg(ProjectStore::kSchemaVersion + 6)));
    }
    ProjectStore store;
    QVERIFY(!store.open(file, &error));
    QVERIFY(!store.isOpen());
    QVERIFY2(error.contains(QStringLiteral("newer")) && error.contains(file)
                 && error.contains(QString::number(ProjectStore::kSchemaVersion + 6))
                 && error.contains(QStringLiteral("update Labelscope")),
             qPrintable(error));
    QCOMPARE(store.lastError(), error);
    // The file was left alone.
    RawDb raw(file);
    QCOMPARE(raw.value(QStringLiteral("PRAGMA user_version")).toInt(), ProjectStore::kSchemaVersion + 6);
    QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM samples")).toInt(), 10);
}

void TestProjectStore::nonProjectRefused()
{
    QString error;
    // Garbage bytes.
    const QString garbage = newFile(QStringLiteral("garbage.lsproj"));
    {
        QFile f(garbage);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QByteArray bytes(8192, '\0');
        for (int i = 0; i < bytes.size(); ++i)
            bytes[i] = char((i * 131 + 7) & 0xff);
        f.write(bytes);
    }
    {
        ProjectStore store;
        QVERIFY(!store.open(garbage, &error));
        QVERIFY(!store.isOpen());
        QVERIFY2(error.contains(garbage) && error.contains(QStringLiteral("not a Labelscope project")),
                 qPrintable(error));
        QFile f(garbage);
        QCOMPARE(f.size(), 8192); // untouched
    }
    // A short text file.
    const QString text = newFile(QStringLiteral("notes.txt"));
    {
        QFile f(text);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("hello\n");
    }
    {
        ProjectStore store;
        QVERIFY(!store.open(text, &error));
        QVERIFY2(error.contains(QStringLiteral("not a Labelscope project")), qPrintable(error));
    }
    // A SQLite database of some other application.
    const QString foreign = newFile(QStringLiteral("foreign.sqlite"));
    {
        RawDb raw(foreign);
        QVERIFY(raw.exec(QStringLiteral("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO contacts(name) VALUES ('x')")));
    }
    {
        ProjectStore store;
        QVERIFY(!store.open(foreign, &error));
        QVERIFY2(error.contains(foreign) && error.contains(QStringLiteral("not a Labelscope project")),
                 qPrintable(error));
        RawDb raw(foreign);
        QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM sqlite_master")).toInt(), 1);
        QCOMPARE(raw.value(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("delete"));
    }
    // Another application's database with a meta table and user_version set.
    const QString foreign2 = newFile(QStringLiteral("foreign2.sqlite"));
    {
        RawDb raw(foreign2);
        QVERIFY(raw.exec(QStringLiteral("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")));
        QVERIFY(raw.exec(QStringLiteral("PRAGMA user_version = 42")));
    }
    {
        ProjectStore store;
        QVERIFY(!store.open(foreign2, &error));
        QVERIFY2(error.contains(QStringLiteral("not a Labelscope project")), qPrintable(error));
    }
    // A directory.
    {
        ProjectStore store;
        QVERIFY(!store.open(m_dir.path(), &error));
        QVERIFY2(error.contains(m_dir.path()), qPrintable(error));
    }
    // An empty file is a new project.
    const QString empty = newFile(QStringLiteral("empty.lsproj"));
    {
        QFile f(empty);
        QVERIFY(f.open(QIODevice::WriteOnly));
    }
    ProjectStore store;
    QVERIFY2(store.open(empty, &error), qPrintable(error));
    QCOMPARE(store.sampleCount(), 0);
}

void TestProjectStore::runRoundTrip()
{
    const QString file = newFile(QStringLiteral("runs.lsproj"));
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
    // The BLOB layout is little-endian float32 (checked byte by byte on the raw file).
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

void TestProjectStore::latestRunIgnoresCancelled()
{
    const QString file = newFile(QStringLiteral("latest.lsproj"));
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

void TestProjectStore::saveRunIsAtomic()
{
    const QString file = newFile(QStringLiteral("atomic-run.lsproj"));
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

void TestProjectStore::timingsAtScale()
{
    const QString file = newFile(QStringLiteral("scale.lsproj"));
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

    qInfo("60k samples: import %lld ms; saveRun (scores + dynamics E=10 + 64-d embeddings) %lld ms;"
          " saveRun E=30 %lld ms; samples() %lld ms; scores() %lld ms; embeddings() %lld ms;"
          " 1000 trajectories %lld ms; 5000 decisions %lld ms",
          importMs, saveMs, save30Ms, samplesMs, scoresMs, embMs, trajMs, decideMs);
    // Figures only (recorded in tests/benchmarks/RESULTS.md); no timing assertion in a test.
}

QTEST_GUILESS_MAIN(TestProjectStore)
#include "tst_projectstore.moc"
