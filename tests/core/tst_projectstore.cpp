// Tests of the project store (core/base/projectstore.h): schema, round trips, append-only
// events, atomic batches, refusal of foreign and newer projects. Each test runs on both backends
// (issue 18; rows "sqlite" and "postgresql", tests/backendfixture.h: the PostgreSQL row needs the
// CTest fixture's throwaway cluster and skips without it) except nonProjectRefused, which writes
// raw files (garbage bytes, another application's SQLite database): SQLite only. SQLite-only
// checks inside a test (PRAGMAs, WAL, the file on disk) say so.
// Elsewhere: runs (tst_storeruns.cpp), concurrent stores and the writer (tst_storewriter.cpp),
// consistency after a SIGKILL (tst_storecrash.cpp), errors and read-only projects
// (tst_storeerrors.cpp), integrity rules (tst_storeintegrity.cpp), full disk (tst_fulldisk.cpp),
// the v4 history (tst_projecthistory.cpp), more on both backends (tst_storebackends.cpp).

#include "backendfixture.h"
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
using namespace labelscope::testing;

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
    void createAndReopen_data() { addBackendRows(); }
    void createAndReopen();
    void importRoundTrip_data() { addBackendRows(); }
    void importRoundTrip();
    void eventsAreAppendOnly_data() { addBackendRows(); }
    void eventsAreAppendOnly();
    void applyDecisions_data() { addBackendRows(); }
    void applyDecisions();
    void applyDecisionsRefusesInvalidBatch_data() { addBackendRows(); }
    void applyDecisionsRefusesInvalidBatch();
    void newerSchemaRefused_data() { addBackendRows(); }
    void newerSchemaRefused();
    void nonProjectRefused(); // SQLite only: raw files

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
    BACKEND_LOCATION(file, m_dir, QStringLiteral("create"));
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
    {
        RawDb raw(file);
        QVERIFY(raw.ok);
        QCOMPARE(rawSchemaVersion(raw), ProjectStore::kSchemaVersion);
        if (sqliteRow()) { // the file and its journal mode
            QVERIFY(QFile::exists(file));
            QCOMPARE(raw.value(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
        }
        QSqlDatabase db = raw.db();
        for (const char *table : {"meta", "classes", "samples", "label_events", "runs", "scores",
                                  "dynamics", "embeddings"}) {
            bool has = false;
            QSqlError e;
            QVERIFY2(hasTable(db, QLatin1String(table), &has, &e), qPrintable(e.text()));
            QVERIFY2(has, table);
        }
    }
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QCOMPARE(store.meta(QStringLiteral("name")), QStringLiteral("Fashion ✓"));
    QCOMPARE(store.meta(QStringLiteral("data_spec")), QStringLiteral("fashion-mnist"));
    // Re-opening the same store object on another project closes the first.
    BACKEND_LOCATION(file2, m_dir, QStringLiteral("create2"));
    QVERIFY2(store.open(file2, &error), qPrintable(error));
    QCOMPARE(store.fileName(), file2);
    QVERIFY(store.meta(QStringLiteral("name")).isNull());
    if (!sqliteRow())
        return;
    // SQLite: a file in a folder that does not exist.
    ProjectStore bad;
    QVERIFY(!bad.open(newFile(QStringLiteral("no/such/folder/x.lsproj")), &error));
    QVERIFY(error.contains(QStringLiteral("x.lsproj")));
    QVERIFY(!bad.isOpen());
}

void TestProjectStore::importRoundTrip()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("import"));
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
    BACKEND_LOCATION(badFile, m_dir, QStringLiteral("import_bad"));
    QVERIFY2(other.open(badFile, &error), qPrintable(error));
    Dataset bad = makeDataset(20, 4);
    bad.samples[13].label = 4;
    QVERIFY(!other.importDataset(bad, &error));
    QVERIFY2(error.contains(badFile), qPrintable(error));
    QCOMPARE(other.sampleCount(), 0);
    QVERIFY(other.classes().isEmpty());
    bad.samples[13].label = 3;
    QVERIFY2(other.importDataset(bad, &error), qPrintable(error));
    QCOMPARE(other.sampleCount(), 20);
}

void TestProjectStore::eventsAreAppendOnly()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("appendonly"));
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
    // Foreign keys: an event needs its sample (SQLite: the raw connection enables them as the
    // store does; PostgreSQL always checks them).
    if (sqliteRow())
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
    BACKEND_LOCATION(file, m_dir, QStringLiteral("decisions"));
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
    BACKEND_LOCATION(file, m_dir, QStringLiteral("invalid"));
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
    BACKEND_LOCATION(file, m_dir, QStringLiteral("newer"));
    QString error;
    {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QVERIFY2(store.importDataset(makeDataset(10, 2), &error), qPrintable(error));
    }
    {
        RawDb raw(file);
        QVERIFY(setRawSchemaVersion(raw, ProjectStore::kSchemaVersion + 6));
    }
    ProjectStore store;
    QVERIFY(!store.open(file, &error));
    QVERIFY(!store.isOpen());
    QVERIFY2(error.contains(QStringLiteral("newer")) && error.contains(file)
                 && error.contains(QString::number(ProjectStore::kSchemaVersion + 6))
                 && error.contains(QStringLiteral("update Labelscope")),
             qPrintable(error));
    QCOMPARE(store.lastError(), error);
    // The project was left alone.
    RawDb raw(file);
    QCOMPARE(rawSchemaVersion(raw), ProjectStore::kSchemaVersion + 6);
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

QTEST_GUILESS_MAIN(TestProjectStore)
#include "tst_projectstore.moc"
