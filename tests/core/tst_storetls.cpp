// sslmode honoured (issue 18, security): a PostgreSQL project opened with sslmode=require really
// talks TLS, verify-full accepts the server whose certificate chains to the given root and
// refuses it, quickly and naming the location and its sslmode, without that root; a refused
// connection creates nothing. Needs the CTest fixture's throwaway cluster
// (scripts/pg-test-cluster.sh: TLS with a self-signed certificate for 127.0.0.1, copied to
// STATE_DIR/root.crt; the role labelscope_tls, refused over TCP without TLS). Skips, saying so,
// without a cluster or without its certificate (a cluster made where openssl is missing).
// The root certificate is given through libpq's PGSSLROOTCERT, as a user would.
#include "backendfixture.h"
#include "storefixture.h"

#include "base/projectlocation.h"
#include "base/projectstore.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

using namespace labelscope;
using namespace labelscope::testing;

namespace {

// Sets an environment variable for the life of the object, then restores it.
class ScopedEnv {
public:
    ScopedEnv(const char *name, const QByteArray &value) : m_name(name), m_saved(qgetenv(name))
    {
        qputenv(name, value);
    }
    ~ScopedEnv()
    {
        if (m_saved.isNull())
            qunsetenv(m_name);
        else
            qputenv(m_name, m_saved);
    }
    ScopedEnv(const ScopedEnv &) = delete;
    ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
    const char *m_name;
    QByteArray m_saved;
};

} // namespace

class TestStoreTls final : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_host, m_database, m_rootCert;
    int m_port = -1;

    // A project URL on the test cluster over TCP as USER with SSLMODE (no password: the roles
    // used here are trusted).
    QString url(const QString &user, const QString &project, const QString &sslmode) const
    {
        return QStringLiteral("postgresql://%1@%2:%3/%4?project=%5&sslmode=%6&connect_timeout=5")
            .arg(user, m_host)
            .arg(m_port)
            .arg(m_database, project, sslmode);
    }
    // Whether RAW's own connection is TLS (the server's view: pg_stat_ssl).
    static bool isTls(const RawProject &raw, QString *version = nullptr)
    {
        QSqlQuery q(raw.db());
        if (!q.exec(QStringLiteral("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) || !q.next())
            return false;
        if (version)
            *version = q.value(1).toString();
        return q.value(0).toBool();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString base = postgresBaseUrl();
        if (base.isEmpty())
            QSKIP("no PostgreSQL server: run through CTest (fixture 'postgres'), or set LABELSCOPE_TEST_POSTGRES_FILE "
                  "to STATE_DIR/url of scripts/pg-test-cluster.sh start STATE_DIR");
        const QString stateFile = qEnvironmentVariable("LABELSCOPE_TEST_POSTGRES_FILE");
        m_rootCert = QFileInfo(stateFile).dir().filePath(QStringLiteral("root.crt"));
        if (stateFile.isEmpty() || !QFileInfo::exists(m_rootCert))
            QSKIP("the test cluster has no TLS certificate (STATE_DIR/root.crt: scripts/pg-test-cluster.sh makes one "
                  "when openssl is installed)");
        const Result<ProjectLocation> l = ProjectLocation::parse(base + QStringLiteral("?project=p"));
        QVERIFY2(l, qPrintable(l.error()));
        QVERIFY2(!l->host.isEmpty() && !l->host.startsWith(QLatin1Char('/')), "the test cluster's URL is not over TCP");
        m_host = l->host;
        m_port = l->port;
        m_database = l->database;
    }

    // sslmode=require: the store opens and writes the project, and a connection with the same
    // options is TLS; sslmode=disable with the same check is not (the check can tell them apart).
    // The role labelscope_tls is refused over TCP without TLS, so the store's every connection
    // (reader and writer) went over TLS.
    void requireIsTls()
    {
        // No root certificate (libpq would verify against ~/.postgresql/root.crt if one existed).
        const ScopedEnv root("PGSSLROOTCERT", QFile::encodeName(m_dir.filePath(QStringLiteral("no-root.crt"))));
        const QString project = QStringLiteral("tls_require_%1").arg(QCoreApplication::applicationPid());
        const QString where = url(QStringLiteral("labelscope_tls"), project, QStringLiteral("require"));
        (void)ProjectStore::dropPostgresProject(where);
        QString error;
        {
            ProjectStore store;
            QVERIFY2(store.open(where, &error), qPrintable(error));
            QVERIFY2(store.importDataset(makeDataset(30, 3), &error), qPrintable(error));
            QVERIFY2(store.applyDecisions({{2, 1, false, QStringLiteral("relabel")}}, QStringLiteral("ana"), &error),
                     qPrintable(error));
            RawProject raw(where);
            QVERIFY(raw.ok);
            QString version;
            QVERIFY(isTls(raw, &version));
            qInfo("sslmode=require: TLS (%s)", qPrintable(version));
        }
        {
            RawProject plain(url(QStringLiteral("labelscope"), project, QStringLiteral("disable")));
            QVERIFY(plain.ok);
            QVERIFY(!isTls(plain));
            QCOMPARE(plain.value(QStringLiteral("SELECT count(*) FROM samples")).toInt(), 30);
        }
        // The TLS role without TLS: refused by the server, naming the location.
        {
            const QString noTls = url(QStringLiteral("labelscope_tls"), project, QStringLiteral("disable"));
            ProjectStore store;
            QVERIFY(!store.openExisting(noTls, &error));
            QVERIFY2(error.contains(ProjectLocation::parse(noTls)->display()), qPrintable(error));
            QVERIFY2(error.contains(QLatin1String("no encryption")), qPrintable(error));
            QVERIFY2(error.contains(QLatin1String("pg_hba.conf")) && !error.contains(QLatin1String("cannot be reached")),
                     qPrintable(error));
        }
        QVERIFY(ProjectStore::dropPostgresProject(where));
    }

    // sslmode=verify-full with the cluster's certificate as the root: accepted, TLS.
    void verifyFullWithRoot()
    {
        const ScopedEnv root("PGSSLROOTCERT", QFile::encodeName(m_rootCert));
        const QString where = url(QStringLiteral("labelscope_tls"),
                                  QStringLiteral("tls_verify_%1").arg(QCoreApplication::applicationPid()),
                                  QStringLiteral("verify-full"));
        (void)ProjectStore::dropPostgresProject(where);
        QString error;
        {
            ProjectStore store;
            QVERIFY2(store.open(where, &error), qPrintable(error));
            QVERIFY2(store.importDataset(makeDataset(10, 2), &error), qPrintable(error));
            RawProject raw(where);
            QVERIFY(raw.ok);
            QVERIFY(isTls(raw));
        }
        QVERIFY(ProjectStore::dropPostgresProject(where));
    }

    // sslmode=verify-full without the root certificate (a root file that does not exist; a root
    // bundle the server's certificate does not chain to): refused at once with an error naming the
    // location with its sslmode and what failed, and nothing is created.
    void verifyFullWithoutRootRefused_data()
    {
        QTest::addColumn<QString>("rootFile");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing root") << m_dir.filePath(QStringLiteral("no-root.crt")) << QStringLiteral("root certificate");
        if (QFileInfo::exists(QStringLiteral("/etc/ssl/certs/ca-certificates.crt")))
            QTest::newRow("other roots") << QStringLiteral("/etc/ssl/certs/ca-certificates.crt")
                                         << QStringLiteral("certificate verify failed");
    }
    void verifyFullWithoutRootRefused()
    {
        QFETCH(QString, rootFile);
        QFETCH(QString, expected);
        const ScopedEnv root("PGSSLROOTCERT", QFile::encodeName(rootFile));
        const QString where = url(QStringLiteral("labelscope_tls"),
                                  QStringLiteral("tls_refused_%1").arg(QCoreApplication::applicationPid()),
                                  QStringLiteral("verify-full"));
        QString error;
        QElapsedTimer timer;
        timer.start();
        {
            ProjectStore store;
            QVERIFY(!store.open(where, &error));
            QVERIFY(!store.isOpen());
        }
        qInfo("verify-full refused in %lld ms: %s", timer.elapsed(), qPrintable(error));
        QVERIFY2(error.contains(ProjectLocation::parse(where)->display()), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("sslmode=verify-full")), qPrintable(error));
        QVERIFY2(error.contains(expected), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("cannot be reached")), qPrintable(error)); // it was reached
        QVERIFY2(error.contains(QLatin1String("TLS certificate cannot be verified")), qPrintable(error));
        // Nothing was created (looked up over a connection that needs no certificate).
        const Result<bool> exists = ProjectStore::postgresProjectExists(
            url(QStringLiteral("labelscope"), QStringLiteral("tls_refused_%1").arg(QCoreApplication::applicationPid()),
                QStringLiteral("disable")));
        QVERIFY2(exists, qPrintable(exists.error()));
        QVERIFY(!exists.value());
    }
};

QTEST_GUILESS_MAIN(TestStoreTls)
#include "tst_storetls.moc"
