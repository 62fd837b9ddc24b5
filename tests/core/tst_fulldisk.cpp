// Tests of writes on a "full disk", without root: a file size limit (setrlimit(RLIMIT_FSIZE),
// SIGXFSZ ignored) makes every write past it fail with EFBIG, as a full disk fails with ENOSPC.
// Checked writes (core/base/savefile.h, writeNpy) report the error, keep the target's old content
// and leave no temporary; the project store names what happened and stays consistent.

#include "base/npy.h"
#include "base/projectstore.h"
#include "base/savefile.h"
#include "storefixture.h"

#include <QDir>
#include <QFile>
#include <QtTest>

#ifdef Q_OS_UNIX
#include <csignal>
#include <sys/resource.h>
#endif

using namespace labelscope;
using labelscope::testing::makeDataset;
using labelscope::testing::makeRun;
using labelscope::testing::RawDb;

namespace {

#ifdef Q_OS_UNIX
// Lowers this process's file size limit for its lifetime (root is bound by it too).
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        m_ok = ::getrlimit(RLIMIT_FSIZE, &m_old) == 0;
        rlimit lowered = m_old;
        lowered.rlim_cur = bytes;
        m_ok = m_ok && ::setrlimit(RLIMIT_FSIZE, &lowered) == 0;
    }
    ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &m_old); }
    bool ok() const { return m_ok; }

private:
    rlimit m_old{};
    bool m_ok = false;
};
#endif

QByteArray bigBytes(int n)
{
    QByteArray b(n, '\0');
    for (int i = 0; i < n; ++i)
        b[i] = char(i * 31 + 7);
    return b;
}

QByteArray contentOf(const QString &file)
{
    QFile f(file);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

bool namesWhatHappened(const QString &error)
{
    return error.contains(QLatin1String("disk full")) || error.contains(QLatin1String("input/output error"));
}

} // namespace

class TestFullDisk final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void atomicWriterKeepsTheOldFile();
    void npyWriteFailsCleanly();
    void newProjectOnFullDisk();
    void runOnFullDiskLeavesTheProjectConsistent();

private:
    QStringList files() const { return QDir(m_dir.path()).entryList(QDir::Files | QDir::Hidden); }
    QTemporaryDir m_dir;
};

void TestFullDisk::initTestCase()
{
#ifndef Q_OS_UNIX
    QSKIP("setrlimit(RLIMIT_FSIZE) is POSIX");
#else
    // Past the limit the kernel sends SIGXFSZ (which kills by default); ignored, write() fails
    // with EFBIG instead.
    std::signal(SIGXFSZ, SIG_IGN);
#endif
    QVERIFY(m_dir.isValid());
}

void TestFullDisk::atomicWriterKeepsTheOldFile()
{
#ifdef Q_OS_UNIX
    const QString target = m_dir.filePath(QStringLiteral("out.bin"));
    const QByteArray old("the old content\n");
    QVERIFY(writeFileAtomically(target, old));
    const QStringList before = files();
    {
        FileSizeLimit limit(64 * 1024);
        QVERIFY(limit.ok());
        AtomicFileWriter writer(target);
        QVERIFY(writer.open());
        const QByteArray piece = bigBytes(16 * 1024);
        for (int i = 0; i < 64; ++i) // 1 MiB in pieces: fails at the 65th KiB
            writer.write(piece);
        const Result<> committed = writer.commit();
        QVERIFY(!committed);
        QVERIFY2(committed.error().startsWith(target + QStringLiteral(": cannot write: ")), qPrintable(committed.error()));
        QVERIFY2(committed.error().contains(QLatin1String("too large")), qPrintable(committed.error())); // EFBIG
        // The one-call form, on a file that does not exist yet.
        const QString fresh = m_dir.filePath(QStringLiteral("fresh.bin"));
        const Result<> once = writeFileAtomically(fresh, bigBytes(1 << 20));
        QVERIFY(!once);
        QVERIFY2(once.error().startsWith(fresh), qPrintable(once.error()));
        QVERIFY(!QFile::exists(fresh));
    }
    QCOMPARE(contentOf(target), old);
    QCOMPARE(files(), before); // no temporary left beside it
    // With room again, the same write succeeds.
    QVERIFY(writeFileAtomically(target, bigBytes(1 << 20)));
    QCOMPARE(contentOf(target), bigBytes(1 << 20));
#endif
}

void TestFullDisk::npyWriteFailsCleanly()
{
#ifdef Q_OS_UNIX
    const QString file = m_dir.filePath(QStringLiteral("x.npy"));
    const QStringList before = files();
    const std::vector<float> data(100000, 0.5f);
    QString error;
    {
        FileSizeLimit limit(32 * 1024);
        QVERIFY(limit.ok());
        QVERIFY(!writeNpy(file, {100000}, data, &error));
    }
    QVERIFY2(error.startsWith(file) && error.contains(QLatin1String("cannot write")), qPrintable(error));
    QVERIFY(!QFile::exists(file));
    QCOMPARE(files(), before);
    QVERIFY2(writeNpy(file, {100000}, data, &error), qPrintable(error));
#endif
}

void TestFullDisk::newProjectOnFullDisk()
{
#ifdef Q_OS_UNIX
    const QString file = m_dir.filePath(QStringLiteral("new.lsproj"));
    QString error;
    {
        FileSizeLimit limit(16 * 1024); // the schema alone needs more
        QVERIFY(limit.ok());
        ProjectStore store;
        QVERIFY(!store.open(file, &error));
        QVERIFY(!store.isOpen());
    }
    qInfo("%s", qPrintable(error));
    QVERIFY2(error.startsWith(file) && namesWhatHappened(error) && !error.contains(QLatin1String("not a Labelscope project")),
             qPrintable(error));
    // Nothing half-made: no 0-byte or one-page file is left for the next open to take for a
    // project (it once was: "open" then failed with "no table 'samples'" or made it silently)...
    for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
        QVERIFY2(!QFile::exists(file + suffix), qPrintable(file + suffix));
    // ...and with room again the same file becomes a project.
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    QVERIFY2(store.importDataset(makeDataset(10, 2), &error), qPrintable(error));
#endif
}

void TestFullDisk::runOnFullDiskLeavesTheProjectConsistent()
{
#ifdef Q_OS_UNIX
    const QString file = m_dir.filePath(QStringLiteral("full.lsproj"));
    const int n = 2000;
    QString error;
    {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QVERIFY2(store.importDataset(makeDataset(n, 5), &error), qPrintable(error));
    }
    {
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        FileSizeLimit limit(256 * 1024);
        QVERIFY(limit.ok());
        // A decision fits; a run of 2,000 samples with dynamics and embeddings does not.
        QVERIFY2(store.applyDecisions({{7, 1, false, QStringLiteral("relabel")}}, QStringLiteral("a"), &error),
                 qPrintable(error));
        QCOMPARE(store.saveRun(makeRun(n, 20, 64, 1), &error), 0);
        qInfo("%s", qPrintable(error));
        QVERIFY2(error.startsWith(file) && error.contains(QLatin1String("save run")) && namesWhatHappened(error),
                 qPrintable(error));
        QVERIFY(store.runs().empty());
        QCOMPARE(store.sample(7)->label, 1);
    }
    // With room again: consistent, the half-written run gone (now, or at this open), usable.
    ProjectStore store;
    QVERIFY2(store.open(file, &error), qPrintable(error));
    {
        RawDb raw(file);
        QCOMPARE(raw.value(QStringLiteral("PRAGMA integrity_check")).toString(), QStringLiteral("ok"));
        QTRY_COMPARE(raw.value(QStringLiteral("SELECT count(*) FROM runs")).toInt(), 0);
        QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM scores")).toInt(), 0);
    }
    QCOMPARE(store.events().size(), std::size_t(n + 1));
    QVERIFY2(store.saveRun(makeRun(n, 20, 64, 1), &error) > 0, qPrintable(error));
#endif
}

QTEST_GUILESS_MAIN(TestFullDisk)
#include "tst_fulldisk.moc"
