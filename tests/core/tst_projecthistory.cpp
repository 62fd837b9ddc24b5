// Tests of the project history (core/base/projecthistory.cpp, schema v4): the migration of a v3
// project keeps its events and groups them into batches, decision batches, added / renamed /
// merged classes as recorded events, and one large batch equal to many small ones. Every test
// runs on both backends (issue 18; rows "sqlite" and "postgresql", tests/backendfixture.h: the
// PostgreSQL row needs the CTest fixture's throwaway cluster and skips without it): on
// PostgreSQL the v3 project is built in a new schema by the same migrations.

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

class TestProjectHistory final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void migrationFrom3KeepsHistory_data() { addBackendRows(); }
    void migrationFrom3KeepsHistory();
    void decisionBatchesAndClasses_data() { addBackendRows(); }
    void decisionBatchesAndClasses();
    void largeBatchMatchesSmallBatches_data() { addBackendRows(); }
    void largeBatchMatchesSmallBatches();

private:
    QTemporaryDir m_dir;
};

void TestProjectHistory::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

// A project written by schema version 3 (built here with the first three migrations, as an
// older Labelscope left it, with decisions in its log) opens as version 4: the log's events gain
// no batch (NULL) and are grouped by their time stamp; new decisions carry a batch; the class
// list can then change through class_events.
void TestProjectHistory::migrationFrom3KeepsHistory()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("v3"));
    {
        RawDb raw(file);
        QVERIFY(raw.ok);
        if (!sqliteRow()) { // the project's schema, as the store makes it before migrating
            const Result<ProjectLocation> l = ProjectLocation::parse(file);
            QVERIFY(l);
            QString err;
            QVERIFY2(raw.exec(QStringLiteral("CREATE SCHEMA %1").arg(l->quotedSchema()), &err), qPrintable(err));
        }
        QSqlDatabase db = raw.db();
        QString detail;
        for (int v = 0; v < 3; ++v)
            QVERIFY2(migrations()[std::size_t(v)](db, &detail), qPrintable(detail));
        QVERIFY(setRawSchemaVersion(raw, 3));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO classes(id, name) VALUES (0, 'cat'), (1, 'dog')")));
        for (int id = 1; id <= 4; ++id)
            QVERIFY(raw.exec(QStringLiteral("INSERT INTO samples(id, source, path, given_label, label)"
                                            " VALUES (%1, 'folder', '/x/%1.png', 0, 0)").arg(id)));
        // Two calls of an old applyDecisions (two samples, then one) and an undo of the second.
        const char *events[] = {
            "(1, '2026-01-01T10:00:00.000Z', 'ann', 0, 1, 0, 0, 'relabel')",
            "(2, '2026-01-01T10:00:00.000Z', 'ann', 0, 1, 0, 0, 'relabel')",
            "(3, '2026-01-01T10:00:05.000Z', 'ann', 0, 0, 0, 1, 'exclude')",
            "(3, '2026-01-01T10:00:07.000Z', 'ann', 0, 0, 1, 0, 'undo')",
        };
        for (const char *e : events)
            QVERIFY(raw.exec(QStringLiteral("INSERT INTO label_events(sample_id, time, annotator, old_label,"
                                            " new_label, old_excluded, new_excluded, reason) VALUES %1")
                                 .arg(QLatin1String(e))));
        QVERIFY(raw.exec(QStringLiteral("UPDATE samples SET label = 1 WHERE id IN (1, 2)")));
    }
    QString error;
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    {
        RawDb raw(file);
        QCOMPARE(rawSchemaVersion(raw), ProjectStore::kSchemaVersion); // through v4 (and later versions)
        QVERIFY(raw.value(QStringLiteral("SELECT count(*) FROM label_events WHERE batch IS NULL")).toInt() == 4);
        QString err;
        QVERIFY(!raw.exec(QStringLiteral("INSERT INTO class_events(time, action, class_id) VALUES ('x', 'bogus', 0)"), &err));
    }
    std::vector<DecisionBatch> batches = store.decisionBatches();
    QCOMPARE(batches.size(), std::size_t(3));
    QCOMPARE(batches[0].events.size(), std::size_t(2));
    QCOMPARE(batches[0].reason, QStringLiteral("relabel"));
    QCOMPARE(batches[1].events.size(), std::size_t(1));
    QCOMPARE(batches[2].reason, QStringLiteral("undo"));
    QCOMPARE(batches[0].time, QDateTime(QDate(2026, 1, 1), QTime(10, 0), Qt::UTC));

    // A new call after the migration: one batch whose id is its first event's.
    qint64 batch = 0;
    QVERIFY2(store.applyDecisions({{4, 1, false, QStringLiteral("relabel")}, {3, 1, false, QStringLiteral("relabel")}},
                                  QStringLiteral("ann"), &error, &batch),
             qPrintable(error));
    QCOMPARE(batch, qint64(5));
    batches = store.decisionBatches();
    QCOMPARE(batches.size(), std::size_t(4));
    QCOMPARE(batches.back().batch, qint64(5));
    QCOMPARE(batches.back().events.size(), std::size_t(2));
    QCOMPARE(store.events(4).back().batch, qint64(5));
}

void TestProjectHistory::decisionBatchesAndClasses()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("classes"));
    QString error;
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY2(store.importDataset(makeDataset(12, 3), &error), qPrintable(error));
    const QStringList before = store.classes();

    // Add: the next id, recorded; a duplicate name (ignoring case) or an empty one is refused.
    Result<int> added = store.addClass(QStringLiteral("  Sandal "), QStringLiteral("ann"));
    QVERIFY2(added, qPrintable(added.error()));
    QCOMPARE(added.value(), 3);
    QCOMPARE(store.classes().size(), 4);
    QCOMPARE(store.classes().at(3), QStringLiteral("Sandal"));
    Result<int> dup = store.addClass(QStringLiteral("sandal"), QStringLiteral("ann"));
    QVERIFY(!dup);
    QVERIFY2(dup.error().contains(QStringLiteral("already called")), qPrintable(dup.error()));
    QVERIFY(!store.addClass(QStringLiteral("   "), QStringLiteral("ann")));
    QVERIFY(!store.addClass(QStringLiteral("a\nb"), QStringLiteral("ann")));
    QCOMPARE(store.classes().size(), 4);

    // Rename.
    QVERIFY(store.renameClass(0, QStringLiteral("Top"), QStringLiteral("ann")));
    QCOMPARE(store.classes().at(0), QStringLiteral("Top"));
    QVERIFY(!store.renameClass(1, QStringLiteral("top"), QStringLiteral("ann")));
    QVERIFY(!store.renameClass(9, QStringLiteral("x"), QStringLiteral("ann")));

    // Merge class 1 into class 2: every sample labelled 1 moves, in one batch of events.
    int ones = 0;
    for (const SampleRow &r : store.samples())
        ones += r.label == 1;
    QVERIFY(ones > 0);
    Result<qint64> merged = store.mergeClass(1, 2, QStringLiteral("ann"));
    QVERIFY2(merged, qPrintable(merged.error()));
    QVERIFY(merged.value() > 0);
    for (const SampleRow &r : store.samples())
        QVERIFY(r.label != 1);
    const std::vector<DecisionBatch> batches = store.decisionBatches();
    QCOMPARE(batches.size(), std::size_t(1));
    QCOMPARE(batches[0].batch, merged.value());
    QCOMPARE(int(batches[0].events.size()), ones);
    for (const LabelEvent &e : batches[0].events) {
        QCOMPARE(e.oldLabel, 1);
        QCOMPARE(e.newLabel, 2);
        QCOMPARE(e.reason, QStringLiteral("relabel"));
    }
    QVERIFY(!store.mergeClass(2, 2, QStringLiteral("ann")));

    const std::vector<ClassEvent> events = store.classEvents();
    QCOMPARE(events.size(), std::size_t(3));
    QCOMPARE(events[0].action, QStringLiteral("add"));
    QCOMPARE(events[0].newName, QStringLiteral("Sandal"));
    QCOMPARE(events[1].action, QStringLiteral("rename"));
    QCOMPARE(events[1].oldName, before.at(0));
    QCOMPARE(events[2].action, QStringLiteral("merge"));
    QCOMPARE(events[2].classId, 1);
    QCOMPARE(events[2].targetId, 2);
    QCOMPARE(events[2].batch, merged.value());
    // Append-only.
    RawDb raw(file);
    QVERIFY(!raw.exec(QStringLiteral("DELETE FROM class_events")));
    QVERIFY(!raw.exec(QStringLiteral("UPDATE class_events SET new_name = 'x'")));
}

// A batch of 1,300 decisions in one call (the store writes it in chunks of 500, so repeats of
// one sample fall into different chunks) leaves the same rows and events as the same decisions
// written 130 at a time, duplicates, exclusions and a quote in the annotator's name included; the
// one call is one batch of the history, the ten calls ten; a bad decision refuses all 1,300, also
// when it comes after the first chunks.
void TestProjectHistory::largeBatchMatchesSmallBatches()
{
    const Dataset ds = makeDataset(1500, 4);
    std::vector<Decision> batch;
    for (int i = 0; i < 1300; ++i) {
        const qint64 id = 1 + (i * 7) % 1000;         // 300 ids twice, 1,000 decisions apart
        batch.push_back({id, (i % 5) - 1, i % 9 == 0, i % 3 == 0 ? QStringLiteral("accept") : QStringLiteral("relabel")});
    }
    QString error;
    ProjectStore a, b;
    BACKEND_LOCATION(fileA, m_dir, QStringLiteral("large_a"));
    BACKEND_LOCATION(fileB, m_dir, QStringLiteral("large_b"));
    QVERIFY2(a.open(fileA, &error), qPrintable(error));
    QVERIFY2(b.open(fileB, &error), qPrintable(error));
    QVERIFY2(a.importDataset(ds, &error), qPrintable(error));
    QVERIFY2(b.importDataset(ds, &error), qPrintable(error));
    QVERIFY2(a.applyDecisions(batch, QStringLiteral("o'brien %1"), &error), qPrintable(error));
    for (std::size_t from = 0; from < batch.size(); from += 130)
        QVERIFY2(b.applyDecisions(std::vector<Decision>(batch.begin() + std::ptrdiff_t(from),
                                                         batch.begin() + std::ptrdiff_t(from + 130)),
                                  QStringLiteral("o'brien %1"), &error),
                 qPrintable(error));
    const std::vector<SampleRow> ra = a.samples(), rb = b.samples();
    QCOMPARE(ra.size(), rb.size());
    for (std::size_t i = 0; i < ra.size(); ++i) {
        QCOMPARE(ra[i].label, rb[i].label);
        QCOMPARE(ra[i].excluded, rb[i].excluded);
    }
    const std::vector<LabelEvent> ea = a.events(), eb = b.events();
    QCOMPARE(ea.size(), eb.size());
    for (std::size_t i = 0; i < ea.size(); ++i) {
        QCOMPARE(ea[i].sampleId, eb[i].sampleId);
        QCOMPARE(ea[i].oldLabel, eb[i].oldLabel);
        QCOMPARE(ea[i].newLabel, eb[i].newLabel);
        QCOMPARE(ea[i].oldExcluded, eb[i].oldExcluded);
        QCOMPARE(ea[i].newExcluded, eb[i].newExcluded);
        QCOMPARE(ea[i].reason, eb[i].reason);
        if (ea[i].reason != QLatin1String("import"))
            QCOMPARE(ea[i].annotator, QStringLiteral("o'brien %1"));
    }
    QCOMPARE(a.decisionBatches().size(), std::size_t(1));
    QCOMPARE(b.decisionBatches().size(), std::size_t(10));

    // One unknown sample or label refuses all 1,300, wherever it is.
    std::vector<Decision> bad = batch;
    bad[1150].sampleId = 9999;
    QVERIFY(!a.applyDecisions(bad, QStringLiteral("x"), &error));
    QVERIFY2(error.contains(QStringLiteral("decision 1150")), qPrintable(error));
    bad = batch;
    bad[10].newLabel = 4;
    QVERIFY(!a.applyDecisions(bad, QStringLiteral("x"), &error));
    bad = batch;
    bad[1299].reason = QStringLiteral("relabel'); DROP TABLE samples; --");
    QVERIFY(!a.applyDecisions(bad, QStringLiteral("x"), &error));
    QCOMPARE(a.events().size(), ea.size());
    const std::vector<SampleRow> after = a.samples();
    QCOMPARE(after.size(), ra.size());
    for (std::size_t i = 0; i < ra.size(); ++i) {
        QCOMPARE(after[i].label, ra[i].label);
        QCOMPARE(after[i].excluded, ra[i].excluded);
    }
}

QTEST_GUILESS_MAIN(TestProjectHistory)
#include "tst_projecthistory.moc"
