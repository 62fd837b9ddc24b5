// Tests of the project store's errors and read-only projects: SQLite's result codes become
// messages that say what happened (disk full, read-only, corrupt, not an SQLite database, ...)
// and name the file and the step; a project in a read-only folder, or a read-only file, opens
// for viewing and refuses every write with "opened read-only".
//
// Permissions do not bind root: run as root, the read-only cases run in a child (this executable
// again, LABELSCOPE_STOREERRORS_CHILD="MODE|FILE|ANNOTATOR") that first becomes the user nobody.
//
// SQLite only (issue 18): every test here is about SQLite's files, result codes and permissions.
// PostgreSQL's refusals (wrong URL, password, server down, missing project, TLS) are in
// tst_storebackends.cpp and tst_storetls.cpp.

#include "base/projectschema.h"
#include "base/projectstore.h"
#include "storefixture.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSqlError>
#include <QtTest>

#include <cstdio>
#include <cstdlib>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#include <unistd.h>
#endif

using namespace labelscope;
using labelscope::testing::makeDataset;
using labelscope::testing::makeRun;
using labelscope::testing::RawDb;

namespace {

const char kChildEnv[] = "LABELSCOPE_STOREERRORS_CHILD";
constexpr unsigned kNobody = 65534;

// Opens FILE, reads it and tries every kind of write; one line per fact, "KEY value".
QStringList viewAndTryWrites(const QString &file, const QString &annotator)
{
    QStringList out;
    ProjectStore store;
    QString error;
    if (!store.open(file, &error)) {
        out << QStringLiteral("OPENFAILED %1").arg(error);
        return out;
    }
    int annotated = 0;
    for (const LabelEvent &e : store.events())
        annotated += e.annotator == annotator ? 1 : 0;
    out << QStringLiteral("READONLY %1").arg(store.isReadOnly() ? 1 : 0)
        << QStringLiteral("SAMPLES %1").arg(store.sampleCount())
        << QStringLiteral("RUNS %1").arg(store.runs().size())
        << QStringLiteral("SCORES %1").arg(store.latestRun() ? store.scores(store.latestRun()->id).size() : 0)
        << QStringLiteral("ANNOTATED %1").arg(annotated);
    auto refused = [&](const char *what, bool ok) {
        const bool named = error.contains(file) && error.contains(QLatin1String("opened read-only"));
        out << QStringLiteral("REFUSED %1 %2").arg(QLatin1String(what)).arg(!ok && named ? 1 : 0);
        if (ok || !named)
            out << QStringLiteral("ERROR %1").arg(error);
    };
    refused("decision", store.applyDecisions({{1, 0, false, QStringLiteral("relabel")}}, QStringLiteral("x"), &error));
    refused("meta", store.setMeta(QStringLiteral("name"), QStringLiteral("x"), &error));
    refused("run", store.saveRun(makeRun(int(store.sampleCount()), 2, 0, 9), &error) > 0);
    refused("round", store.saveAlRound(AlRoundInfo{}, {}, &error) > 0);
    out << QStringLiteral("SAMPLESAFTER %1").arg(store.sampleCount());
    return out;
}

[[noreturn]] void runChild(const QString &spec)
{
    const QStringList parts = spec.split(QLatin1Char('|'));
#ifdef Q_OS_UNIX
    if (::getuid() == 0 && (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0)) {
        std::printf("OPENFAILED cannot become nobody\n");
        std::exit(0);
    }
#endif
    for (const QString &line : viewAndTryWrites(parts.value(1), parts.value(2)))
        std::printf("%s\n", qPrintable(line));
    std::exit(0);
}

bool isRoot()
{
#ifdef Q_OS_UNIX
    return ::geteuid() == 0;
#else
    return false;
#endif
}

// viewAndTryWrites() as a user whom permissions bind: in this process, or in a child as nobody.
QStringList viewAsUser(const QString &file, const QString &annotator)
{
    if (!isRoot())
        return viewAndTryWrites(file, annotator);
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QString::fromLatin1(kChildEnv), QStringLiteral("view|%1|%2").arg(file, annotator));
    p.setProcessEnvironment(env);
    p.setProgram(QCoreApplication::applicationFilePath());
    p.start();
    if (!p.waitForFinished(60000))
        return {QStringLiteral("OPENFAILED the child did not finish")};
    QStringList lines;
    for (const QString &line : QString::fromUtf8(p.readAllStandardOutput()).split(QLatin1Char('\n')))
        if (!line.isEmpty() && line.at(0).isUpper() && line.at(1).isUpper()) // not QTest's header
            lines << line.trimmed();
    if (lines.isEmpty())
        lines << QStringLiteral("OPENFAILED ") + QString::fromUtf8(p.readAllStandardError());
    return lines;
}

bool setMode(const QString &path, int mode)
{
#ifdef Q_OS_UNIX
    return ::chmod(QFile::encodeName(path).constData(), mode_t(mode)) == 0;
#else
    return false;
#endif
}

} // namespace

class TestStoreErrors final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void errorsSayWhatHappened_data();
    void errorsSayWhatHappened();
    void notADatabaseIsToldBySqlite();
    void corruptProjectIsNamedCorrupt();
    void openExistingRefusesMissingAndEmptyFiles();
    void readOnlyFolderOpensForViewing();
    void readOnlyFileOpensForViewing();
    void cannotCreateInReadOnlyFolder();

private:
    // A project of 30 samples with one finished run, in FOLDER (created, readable by all).
    QString makeProject(const QString &folder);
    QTemporaryDir m_dir;
};

void TestStoreErrors::initTestCase()
{
    const QByteArray spec = qgetenv(kChildEnv);
    if (!spec.isEmpty()) {
        m_dir.remove(); // the child never returns to remove its own (unused) temporary folder
        runChild(QString::fromLocal8Bit(spec));
    }
    QVERIFY(m_dir.isValid());
    QVERIFY(setMode(m_dir.path(), 0755)); // the child (nobody) must reach the projects
}

void TestStoreErrors::cleanupTestCase()
{
    // Writable again, so that the temporary folder can be removed.
    for (const QString &sub : QDir(m_dir.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        setMode(m_dir.filePath(sub), 0755);
}

QString TestStoreErrors::makeProject(const QString &folder)
{
    const QString dir = m_dir.filePath(folder);
    if (!QDir().mkpath(dir) || !setMode(dir, 0755))
        return QString();
    const QString file = QDir(dir).filePath(QStringLiteral("p.lsproj"));
    ProjectStore store;
    QString error;
    if (!store.open(file, &error) || !store.importDataset(makeDataset(30, 3), &error)
        || store.saveRun(makeRun(30, 3, 4, 1), &error) <= 0)
        return QString();
    return file;
}

void TestStoreErrors::errorsSayWhatHappened_data()
{
    QTest::addColumn<QString>("nativeCode");
    QTest::addColumn<QString>("meaning");
    QTest::newRow("SQLITE_FULL") << QStringLiteral("13") << QStringLiteral("disk full");
    QTest::newRow("SQLITE_READONLY") << QStringLiteral("8") << QStringLiteral("read-only");
    QTest::newRow("SQLITE_READONLY_DBMOVED") << QStringLiteral("1032") << QStringLiteral("read-only");
    QTest::newRow("SQLITE_CANTOPEN") << QStringLiteral("14") << QStringLiteral("cannot open the file");
    QTest::newRow("SQLITE_NOTADB") << QStringLiteral("26") << QStringLiteral("not an SQLite database");
    QTest::newRow("SQLITE_IOERR") << QStringLiteral("10") << QStringLiteral("input/output error");
    QTest::newRow("SQLITE_IOERR_WRITE") << QStringLiteral("778") << QStringLiteral("input/output error");
    QTest::newRow("SQLITE_CORRUPT") << QStringLiteral("11") << QStringLiteral("the project file is corrupt");
    QTest::newRow("SQLITE_BUSY") << QStringLiteral("5") << QStringLiteral("busy: another program holds the project's write lock");
    QTest::newRow("SQLITE_PERM") << QStringLiteral("3") << QStringLiteral("permission denied");
    QTest::newRow("SQLITE_NOMEM") << QStringLiteral("7") << QStringLiteral("out of memory");
    QTest::newRow("SQLITE_CONSTRAINT (its own text)") << QStringLiteral("19") << QString();
}

void TestStoreErrors::errorsSayWhatHappened()
{
    QFETCH(QString, nativeCode);
    QFETCH(QString, meaning);
    const QSqlError e(QStringLiteral("Unable to fetch row"), QStringLiteral("sqlite says so"),
                      QSqlError::StatementError, nativeCode);
    const QString text = sqlError(e);
    QVERIFY2(text.contains(QLatin1String("sqlite says so")), qPrintable(text)); // SQLite's own words kept
    if (meaning.isEmpty())
        QVERIFY2(!text.startsWith(QLatin1Char('(')), qPrintable(text));
    else
        QVERIFY2(text.startsWith(meaning), qPrintable(text));
    QVERIFY(!text.contains(QLatin1String("not a Labelscope project")));
}

void TestStoreErrors::notADatabaseIsToldBySqlite()
{
    // The first query fails with SQLITE_NOTADB: "not a Labelscope project", the file untouched.
    const QString file = m_dir.filePath(QStringLiteral("random.bin"));
    QByteArray bytes(20000, '\0');
    for (int i = 0; i < bytes.size(); ++i)
        bytes[i] = char((i * 7919 + 13) & 0xff);
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QCOMPARE(f.write(bytes), bytes.size());
    }
    ProjectStore store;
    QString error;
    QVERIFY(!store.open(file, &error));
    QVERIFY2(error.startsWith(file) && error.contains(QLatin1String("not a Labelscope project (not an SQLite database)")),
             qPrintable(error));
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), bytes);
    QVERIFY(!QFile::exists(file + QStringLiteral("-wal")));
}

void TestStoreErrors::corruptProjectIsNamedCorrupt()
{
    const QString file = makeProject(QStringLiteral("corrupt"));
    QVERIFY(!file.isEmpty());
    {
        // Scribble over page 1 after its 100-byte header: the schema (sqlite_master) itself.
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.seek(100));
        QCOMPARE(f.write(QByteArray(3000, '\xA5')), 3000);
    }
    ProjectStore store;
    QString error;
    QVERIFY(!store.open(file, &error));
    QVERIFY2(error.startsWith(file) && error.contains(QLatin1String("corrupt"))
                 && !error.contains(QLatin1String("not a Labelscope project")),
             qPrintable(error));
}

// Commands that read or add to a project (project info, al-round, clean-eval --project) open it
// with openExisting(): a missing or 0-byte file is refused and left as it was (info once turned a
// 0-byte file into an empty 98 KB project); a damaged one shows in lastError() when read.
void TestStoreErrors::openExistingRefusesMissingAndEmptyFiles()
{
    const QString missing = m_dir.filePath(QStringLiteral("missing.lsproj"));
    ProjectStore store;
    QString error;
    QVERIFY(!store.openExisting(missing, &error));
    QCOMPARE(error, missing + QStringLiteral(": no such project file"));
    QVERIFY(!QFile::exists(missing));

    const QString empty = m_dir.filePath(QStringLiteral("empty.lsproj"));
    {
        QFile f(empty);
        QVERIFY(f.open(QIODevice::WriteOnly));
    }
    QVERIFY(!store.openExisting(empty, &error));
    QVERIFY2(error.startsWith(empty) && error.contains(QLatin1String("empty file (0 bytes)")), qPrintable(error));
    QCOMPARE(QFileInfo(empty).size(), 0);
    QVERIFY(!QFile::exists(empty + QStringLiteral("-wal")));

    const QString good = makeProject(QStringLiteral("existing"));
    QVERIFY(!good.isEmpty());
    QVERIFY2(store.openExisting(good, &error), qPrintable(error));
    QVERIFY(store.sampleCount() > 0);
    QVERIFY(store.lastError().isEmpty());
}

void TestStoreErrors::readOnlyFolderOpensForViewing()
{
#ifndef Q_OS_UNIX
    QSKIP("POSIX permissions");
#endif
    // (a) A project closed cleanly (no -wal, no -shm): read as an immutable snapshot.
    const QString file = makeProject(QStringLiteral("ro-closed"));
    QVERIFY(!file.isEmpty());
    QVERIFY(!QFile::exists(file + QStringLiteral("-wal")));
    const QString folder = QFileInfo(file).absolutePath();
    QVERIFY(setMode(folder, 0555));
    QStringList seen = viewAsUser(file, QStringLiteral("nobody-wrote-this"));
    for (const QString &expected : {QStringLiteral("READONLY 1"), QStringLiteral("SAMPLES 30"), QStringLiteral("RUNS 1"),
                                    QStringLiteral("SCORES 30"), QStringLiteral("REFUSED decision 1"),
                                    QStringLiteral("REFUSED meta 1"), QStringLiteral("REFUSED run 1"),
                                    QStringLiteral("REFUSED round 1"), QStringLiteral("SAMPLESAFTER 30")})
        QVERIFY2(seen.contains(expected), qPrintable(expected + QStringLiteral(" not in: ") + seen.join(QStringLiteral("; "))));
    QVERIFY(!QFile::exists(file + QStringLiteral("-wal")));
    QVERIFY(!QFile::exists(file + QStringLiteral("-shm")));

    // (b) The project open in a writer (this process, as its owner would be) with a decision
    // still in the -wal file: the viewer sees it.
    QVERIFY(setMode(folder, 0755));
    ProjectStore owner;
    QString error;
    QVERIFY2(owner.open(file, &error), qPrintable(error));
    QVERIFY2(owner.applyDecisions({{4, 1, false, QStringLiteral("relabel")}}, QStringLiteral("owner"), &error),
             qPrintable(error));
    QVERIFY(QFile::exists(file + QStringLiteral("-wal")));
    QVERIFY(setMode(folder, 0555));
    seen = viewAsUser(file, QStringLiteral("owner"));
    for (const QString &expected : {QStringLiteral("READONLY 1"), QStringLiteral("SAMPLES 30"),
                                    QStringLiteral("ANNOTATED 1"), QStringLiteral("REFUSED decision 1")})
        QVERIFY2(seen.contains(expected), qPrintable(expected + QStringLiteral(" not in: ") + seen.join(QStringLiteral("; "))));
    // The owner keeps writing meanwhile.
    QVERIFY2(owner.applyDecisions({{5, 1, false, QStringLiteral("relabel")}}, QStringLiteral("owner"), &error),
             qPrintable(error));
    QCOMPARE(owner.events().size(), std::size_t(32));
    QVERIFY(setMode(folder, 0755));
}

void TestStoreErrors::readOnlyFileOpensForViewing()
{
#ifndef Q_OS_UNIX
    QSKIP("POSIX permissions");
#endif
    const QString file = makeProject(QStringLiteral("ro-file"));
    QVERIFY(!file.isEmpty());
    const QString folder = QFileInfo(file).absolutePath();
    QVERIFY(setMode(folder, 0777)); // the folder writable (for nobody too), the file not
    QVERIFY(setMode(file, 0444));
    const QStringList seen = viewAsUser(file, QStringLiteral("none"));
    for (const QString &expected : {QStringLiteral("READONLY 1"), QStringLiteral("SAMPLES 30"), QStringLiteral("RUNS 1"),
                                    QStringLiteral("REFUSED decision 1"), QStringLiteral("REFUSED run 1")})
        QVERIFY2(seen.contains(expected), qPrintable(expected + QStringLiteral(" not in: ") + seen.join(QStringLiteral("; "))));
    // The viewer left nothing beside it (a -shm file as read-only as the project would later
    // keep its owner from writing).
    QVERIFY(!QFile::exists(file + QStringLiteral("-shm")));
    QVERIFY(!QFile::exists(file + QStringLiteral("-wal")));
    QVERIFY(setMode(file, 0644));
    QVERIFY(setMode(folder, 0755));
    // Writable again: it opens for writing.
    ProjectStore store;
    QString error;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY(!store.isReadOnly());
    QVERIFY2(store.applyDecisions({{1, 2, false, QStringLiteral("relabel")}}, QStringLiteral("w"), &error),
             qPrintable(error));
}

void TestStoreErrors::cannotCreateInReadOnlyFolder()
{
#ifndef Q_OS_UNIX
    QSKIP("POSIX permissions");
#endif
    const QString folder = m_dir.filePath(QStringLiteral("ro-empty"));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(setMode(folder, 0555));
    const QString file = QDir(folder).filePath(QStringLiteral("new.lsproj"));
    const QStringList seen = viewAsUser(file, QString());
    QCOMPARE(seen.size(), 1);
    QVERIFY2(seen[0].startsWith(QStringLiteral("OPENFAILED ") + file)
                 && seen[0].contains(QLatin1String("read-only: cannot create a project in")),
             qPrintable(seen[0]));
    QVERIFY(!QFile::exists(file));
}

QTEST_GUILESS_MAIN(TestStoreErrors)
#include "tst_storeerrors.moc"
