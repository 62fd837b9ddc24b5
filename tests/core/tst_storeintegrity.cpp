// Tests of the project store's integrity rules: an import and its metadata are one transaction,
// the data spec is stored absolute (canonicalDataSpec) and can be re-pointed at moved data, a
// damaged schema is refused at open, and active-learning rounds never queue the same samples.
// The import, damaged-schema and round tests run on both backends (issue 18; rows "sqlite" and
// "postgresql", tests/backendfixture.h: the PostgreSQL row needs the CTest fixture's throwaway
// cluster and skips without it); the data-spec tests are about files and folders: SQLite only.

#include "backendfixture.h"
#include "base/dataset.h"
#include "base/projectstore.h"
#include "storefixture.h"

#include <QDir>
#include <QFile>
#include <QThread>
#include <QtEndian>
#include <QtTest>

#include <atomic>

using namespace labelscope;
using namespace labelscope::testing;

namespace {

// Writes an IDX pair (N images of 4x4, labels i % 3) into FOLDER under MNIST's names.
bool writeIdxFolder(const QString &folder, int n, const QString &imagesName = QStringLiteral("train-images-idx3-ubyte"))
{
    if (!QDir().mkpath(folder))
        return false;
    auto be32 = [](QByteArray *b, quint32 v) {
        char c[4];
        qToBigEndian(v, c);
        b->append(c, 4);
    };
    QByteArray images, labels;
    be32(&images, 0x00000803);
    be32(&images, quint32(n));
    be32(&images, 4);
    be32(&images, 4);
    for (int i = 0; i < n; ++i)
        images.append(QByteArray(16, char(i * 9)));
    be32(&labels, 0x00000801);
    be32(&labels, quint32(n));
    for (int i = 0; i < n; ++i)
        labels.append(char(i % 3));
    QFile fi(QDir(folder).filePath(imagesName)), fl(QDir(folder).filePath(QStringLiteral("train-labels-idx1-ubyte")));
    return fi.open(QIODevice::WriteOnly) && fi.write(images) == images.size() && fl.open(QIODevice::WriteOnly)
        && fl.write(labels) == labels.size();
}

// Ids 1..10 labelled, 11..40 unlabelled (the active-learning pool).
Dataset poolDataset()
{
    Dataset ds = makeDataset(40, 3);
    for (std::size_t i = 0; i < ds.samples.size(); ++i)
        ds.samples[i].label = i < 10 ? int(i % 3) : -1;
    return ds;
}

std::vector<AlQueueItem> queueOf(std::initializer_list<qint64> ids)
{
    std::vector<AlQueueItem> q;
    int position = 0;
    for (qint64 id : ids)
        q.push_back({id, position++, 0.5f});
    return q;
}

} // namespace

class TestStoreIntegrity final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void importKeepsItsMetadataInOneTransaction_data() { addBackendRows(); }
    void importKeepsItsMetadataInOneTransaction();
    void canonicalDataSpec_data();
    void canonicalDataSpec();
    void dataSpecStoredAbsolute();
    void setDataSpecRepointsMovedData();
    void damagedSchemaRefusedAtOpen_data() { addBackendRows(); }
    void damagedSchemaRefusedAtOpen();
    void activeLearningRoundsNeverQueueTheSameSamples_data() { addBackendRows(); }
    void activeLearningRoundsNeverQueueTheSameSamples();
    void concurrentRoundsOneWins_data() { addBackendRows(); }
    void concurrentRoundsOneWins();

private:
    QString newFile(const QString &name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

void TestStoreIntegrity::importKeepsItsMetadataInOneTransaction()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("import_meta"));
    const QMap<QString, QString> meta{{QStringLiteral("limit"), QStringLiteral("300")},
                                      {QStringLiteral("image_size"), QStringLiteral("28")},
                                      {QStringLiteral("noise"), QStringLiteral("symmetric 0.2 seed 1")}};
    QString error;
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    {
        // The last statement of the import fails (a trigger refuses the "noise" row): nothing of
        // it is there afterwards, neither samples nor any metadata.
        RawDb raw(file);
        QString err;
        if (sqliteRow())
            QVERIFY(raw.exec(QStringLiteral("CREATE TRIGGER refuse_noise BEFORE INSERT ON meta WHEN NEW.key = 'noise'"
                                            " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")));
        else
            for (const char *sql :
                 {"CREATE FUNCTION refuse_noise() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.key = 'noise'"
                  " THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$",
                  "CREATE TRIGGER refuse_noise BEFORE INSERT ON meta FOR EACH ROW EXECUTE FUNCTION refuse_noise()"})
                QVERIFY2(raw.exec(QLatin1String(sql), &err), qPrintable(err));
    }
    QVERIFY(!store.importDataset(makeDataset(50, 3), meta, &error));
    QVERIFY2(error.startsWith(file) && error.contains(QLatin1String("meta noise"))
                 && error.contains(QLatin1String("refused by the test")),
             qPrintable(error));
    QCOMPARE(store.sampleCount(), 0);
    QVERIFY(store.events().empty());
    QVERIFY(store.classes().isEmpty());
    for (const QString &key : {QStringLiteral("limit"), QStringLiteral("image_size"), QStringLiteral("data_spec")})
        QVERIFY2(store.meta(key).isNull(), qPrintable(key));
    {
        RawDb raw(file);
        QVERIFY(raw.exec(sqliteRow() ? QStringLiteral("DROP TRIGGER refuse_noise") : QStringLiteral("DROP TRIGGER refuse_noise ON meta")));
    }
    QVERIFY2(store.importDataset(makeDataset(50, 3), meta, &error), qPrintable(error));
    QCOMPARE(store.sampleCount(), 50);
    QCOMPARE(store.meta(QStringLiteral("limit")), QStringLiteral("300"));
    QCOMPARE(store.meta(QStringLiteral("image_size")), QStringLiteral("28"));
    QCOMPARE(store.meta(QStringLiteral("noise")), QStringLiteral("symmetric 0.2 seed 1"));
    QCOMPARE(store.meta(QStringLiteral("data_spec")), QStringLiteral("/data/synthetic"));
    // The marker key cannot be overwritten through the metadata.
    ProjectStore other;
    BACKEND_LOCATION(markerFile, m_dir, QStringLiteral("import_marker"));
    QVERIFY2(other.open(markerFile, &error), qPrintable(error));
    QVERIFY(!other.importDataset(makeDataset(5, 2), {{QStringLiteral("application"), QStringLiteral("x")}}, &error));
    QVERIFY2(error.contains(QLatin1String("reserved")), qPrintable(error));
    QCOMPARE(other.sampleCount(), 0);
}

void TestStoreIntegrity::canonicalDataSpec_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("expected"); // "CWD/" = the current directory
    QTest::newRow("keyword") << QStringLiteral("fashion-mnist") << QStringLiteral("fashion-mnist");
    QTest::newRow("keyword, other spelling") << QStringLiteral(" Fashion_MNIST ") << QStringLiteral("fashion-mnist");
    QTest::newRow("mnist") << QStringLiteral("MNIST") << QStringLiteral("mnist");
    QTest::newRow("absolute, unclean") << QStringLiteral("/data//sets/../csv/./list.csv") << QStringLiteral("/data/csv/list.csv");
    QTest::newRow("absolute folder, trailing slash") << QStringLiteral("/data/images/") << QStringLiteral("/data/images");
    QTest::newRow("relative") << QStringLiteral("images/../data/list.csv") << QStringLiteral("CWD/data/list.csv");
    QTest::newRow("dot") << QStringLiteral(".") << QStringLiteral("CWD/");
    QTest::newRow("empty") << QString() << QString();
}

void TestStoreIntegrity::canonicalDataSpec()
{
    QFETCH(QString, spec);
    QFETCH(QString, expected);
    const QString cwd = QDir::currentPath();
    if (expected.startsWith(QLatin1String("CWD/")))
        expected = QDir::cleanPath(cwd + QLatin1Char('/') + expected.mid(4));
    QCOMPARE(labelscope::canonicalDataSpec(spec), expected);
}

void TestStoreIntegrity::dataSpecStoredAbsolute()
{
    // A spec typed relative to the working directory (as `analyze --data ./spec-data/` in
    // m_dir) is stored absolute.
    const QString data = newFile(QStringLiteral("spec-data"));
    QVERIFY(writeIdxFolder(data, 6));
    const QString before = QDir::currentPath();
    QVERIFY(QDir::setCurrent(m_dir.path()));
    LoadResult loaded = loadDataset(QStringLiteral("./spec-data/"));
    QVERIFY2(loaded.ok(), qPrintable(loaded.error));
    QCOMPARE(loaded.dataset.spec, QStringLiteral("./spec-data/"));
    ProjectStore store;
    QString error;
    const bool imported = store.open(newFile(QStringLiteral("spec.lsproj")), &error)
                          && store.importDataset(loaded.dataset, &error);
    QVERIFY(QDir::setCurrent(before));
    QVERIFY2(imported, qPrintable(error));
    QCOMPARE(store.meta(QStringLiteral("data_spec")), QDir::cleanPath(QFileInfo(data).absoluteFilePath()));
    // ... and loads from any working directory.
    const LoadResult again = loadDataset(store.meta(QStringLiteral("data_spec")));
    QVERIFY2(again.ok(), qPrintable(again.error));
    QCOMPARE(again.dataset.samples.size(), std::size_t(6));
}

void TestStoreIntegrity::setDataSpecRepointsMovedData()
{
    const QString oldData = newFile(QStringLiteral("data-old"));
    QVERIFY(writeIdxFolder(oldData, 12));
    const LoadResult loaded = loadDataset(oldData);
    QVERIFY2(loaded.ok(), qPrintable(loaded.error));
    const QString file = newFile(QStringLiteral("moved.lsproj"));
    ProjectStore store;
    QString error;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY2(store.importDataset(loaded.dataset, &error), qPrintable(error));
    QVERIFY2(store.applyDecisions({{3, 2, false, QStringLiteral("relabel")}}, QStringLiteral("a"), &error), qPrintable(error));

    // Data that is not the project's is refused, and nothing changes.
    const QString fewer = newFile(QStringLiteral("data-fewer"));
    QVERIFY(writeIdxFolder(fewer, 11));
    Result<> r = store.setDataSpec(fewer);
    QVERIFY(!r);
    QVERIFY2(r.error().startsWith(file) && r.error().contains(QLatin1String("11 samples, the project 12")),
             qPrintable(r.error()));
    const QString renamed = newFile(QStringLiteral("data-renamed"));
    QVERIFY(writeIdxFolder(renamed, 12, QStringLiteral("train-images.idx3-ubyte"))); // other file, same count
    r = store.setDataSpec(renamed);
    QVERIFY(!r);
    QVERIFY2(r.error().contains(QLatin1String("sample 1 ")) && r.error().contains(QLatin1String("is not in it")),
             qPrintable(r.error()));
    r = store.setDataSpec(newFile(QStringLiteral("no-such-folder")));
    QVERIFY(!r);
    QVERIFY2(r.error().contains(QLatin1String("cannot load it")), qPrintable(r.error()));
    QCOMPARE(store.meta(QStringLiteral("data_spec")), oldData);

    // The data moves: re-pointing finds every sample at its new place.
    const QString newData = newFile(QStringLiteral("moved/data-new"));
    QVERIFY(QDir().mkpath(newFile(QStringLiteral("moved"))));
    QVERIFY(QDir().rename(oldData, newData));
    r = store.setDataSpec(newData + QStringLiteral("/./"));
    QVERIFY2(r, qPrintable(r.error()));
    QCOMPARE(store.meta(QStringLiteral("data_spec")), newData);
    const LoadResult moved = loadDataset(store.meta(QStringLiteral("data_spec")));
    QVERIFY2(moved.ok(), qPrintable(moved.error));
    const std::vector<SampleRow> rows = store.samples();
    QCOMPARE(rows.size(), moved.dataset.samples.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        QCOMPARE(sampleKey(rows[i].sample), sampleKey(moved.dataset.samples[i]));
        QVERIFY(rows[i].sample.path.startsWith(newData));
    }
    // Labels and events are the project's own: untouched.
    QCOMPARE(store.sample(3)->label, 2);
    QCOMPARE(store.events().size(), std::size_t(13));
}

void TestStoreIntegrity::damagedSchemaRefusedAtOpen()
{
    QString error;
    BACKEND_LOCATION(lacksColumn, m_dir, QStringLiteral("lacks_column"));
    BACKEND_LOCATION(lacksTable, m_dir, QStringLiteral("lacks_table"));
    for (const QString &file : {lacksColumn, lacksTable}) {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QVERIFY2(store.importDataset(makeDataset(10, 2), &error), qPrintable(error));
    }
    {
        RawDb raw(lacksColumn);
        QVERIFY(raw.exec(QStringLiteral("ALTER TABLE scores DROP COLUMN cl_issue"), &error));
    }
    {
        RawDb raw(lacksTable);
        QVERIFY(raw.exec(QStringLiteral("DROP TABLE al_scores"), &error));
    }
    ProjectStore store;
    QVERIFY(!store.open(lacksColumn, &error));
    QVERIFY(!store.isOpen());
    QVERIFY2(error.startsWith(lacksColumn) && error.contains(QLatin1String("check schema"))
                 && error.contains(QLatin1String("table 'scores' has no column 'cl_issue'")),
             qPrintable(error));
    QVERIFY(!store.open(lacksTable, &error));
    QVERIFY2(error.startsWith(lacksTable) && error.contains(QLatin1String("no table 'al_scores'")), qPrintable(error));
}

void TestStoreIntegrity::activeLearningRoundsNeverQueueTheSameSamples()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("rounds"));
    QString error;
    ProjectStore a, b; // two rounds, each with its own store (as two `al-round` would have)
    QVERIFY2(a.open(file, &error), qPrintable(error));
    QVERIFY2(a.importDataset(poolDataset(), &error), qPrintable(error));
    QVERIFY2(b.open(file, &error), qPrintable(error));
    AlRoundInfo info;
    info.strategy = QStringLiteral("margin_based");
    info.diversity = QStringLiteral("pick_top_n");
    // Both chose their batch from the same pool; the first to save wins.
    const qint64 first = a.saveAlRound(info, queueOf({11, 12, 13, 14}), &error);
    QVERIFY2(first > 0, qPrintable(error));
    QCOMPARE(b.saveAlRound(info, queueOf({13, 14, 15, 16}), &error), 0);
    QVERIFY2(error.startsWith(file)
                 && error.contains(QLatin1String("another round queued 2 of these samples meanwhile; run the round again")),
             qPrintable(error));
    QCOMPARE(b.alRounds().size(), std::size_t(1));
    QCOMPARE(b.alQueue(first).size(), std::size_t(4));
    // A batch from the pool as it is now goes through.
    const qint64 second = b.saveAlRound(info, queueOf({15, 16, 17}), &error);
    QVERIFY2(second > first, qPrintable(error));
    // A sample labelled or excluded meanwhile is not queued either.
    QVERIFY2(a.applyDecisions({{18, 1, false, QStringLiteral("relabel")}, {19, -1, true, QStringLiteral("exclude")}},
                              QStringLiteral("ann"), &error),
             qPrintable(error));
    QCOMPARE(a.saveAlRound(info, queueOf({18, 19, 20}), &error), 0);
    QVERIFY2(error.contains(QLatin1String("2 of these samples were labelled or excluded meanwhile")), qPrintable(error));
    // A queued sample that got its label is no longer waiting: it counts as labelled.
    QVERIFY2(a.applyDecisions({{11, 0, false, QStringLiteral("relabel")}}, QStringLiteral("ann"), &error), qPrintable(error));
    QCOMPARE(a.saveAlRound(info, queueOf({11, 12}), &error), 0);
    QVERIFY2(error.contains(QLatin1String("another round queued 1 of these samples meanwhile"))
                 && error.contains(QLatin1String("1 of these samples were labelled or excluded meanwhile")),
             qPrintable(error));
    QCOMPARE(a.alRounds().size(), std::size_t(2));
    QCOMPARE(a.saveAlRound(info, queueOf({999}), &error), 0);
    QVERIFY2(error.contains(QLatin1String("sample 999 does not exist")), qPrintable(error));
    QVERIFY2(a.saveAlRound(info, queueOf({20, 21}), &error) > second, qPrintable(error));
}

void TestStoreIntegrity::concurrentRoundsOneWins()
{
    BACKEND_LOCATION(file, m_dir, QStringLiteral("rounds_race"));
    QString error;
    {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QVERIFY2(store.importDataset(poolDataset(), &error), qPrintable(error));
    }
    std::atomic<int> ready{0};
    qint64 ids[2] = {0, 0};
    QString errors[2];
    auto round = [&](int t) {
        ProjectStore store;
        const bool opened = store.open(file, &errors[t]);
        ++ready;
        while (ready.load() < 2)
            QThread::yieldCurrentThread();
        if (opened)
            ids[t] = store.saveAlRound(AlRoundInfo{}, queueOf({30, 31, 32, qint64(33 + t)}), &errors[t]);
    };
    std::unique_ptr<QThread> t0(QThread::create(round, 0)), t1(QThread::create(round, 1));
    t0->start();
    t1->start();
    QVERIFY(t0->wait(60000) && t1->wait(60000));
    QCOMPARE(int(ids[0] > 0) + int(ids[1] > 0), 1);
    const int loser = ids[0] > 0 ? 1 : 0;
    QVERIFY2(errors[loser].contains(QLatin1String("another round queued 3 of these samples meanwhile")),
             qPrintable(errors[loser]));
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QCOMPARE(store.alRounds().size(), std::size_t(1));
}

QTEST_GUILESS_MAIN(TestStoreIntegrity)
#include "tst_storeintegrity.moc"
