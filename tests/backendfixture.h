#pragma once
// Project locations for the tests that run on both store backends (issue 18): an SQLite file in
// a temporary folder, or a project in the test cluster's database. CTest starts a throwaway
// cluster before these tests (scripts/pg-test-cluster.sh, fixture "postgres") and passes its
// base URL in LABELSCOPE_TEST_POSTGRES; a test binary run by hand without it skips the
// PostgreSQL rows with a message saying how to start one.

#include "base/projectlocation.h"
#include "base/projectstore.h"

#include <QCoreApplication>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QTemporaryDir>
#include <QVariant>

#include <atomic>

namespace labelscope::testing {

// The test cluster's base URL: LABELSCOPE_TEST_POSTGRES, or the URL in the file
// LABELSCOPE_TEST_POSTGRES_FILE names (CTest: build/tests/pgtest/url, written by the fixture).
inline QString postgresBaseUrl()
{
    const QString url = qEnvironmentVariable("LABELSCOPE_TEST_POSTGRES");
    if (!url.isEmpty())
        return url;
    QFile file(qEnvironmentVariable("LABELSCOPE_TEST_POSTGRES_FILE"));
    if (file.fileName().isEmpty() || !file.open(QIODevice::ReadOnly))
        return QString();
    return QString::fromUtf8(file.readAll()).trimmed();
}

// A new, unused project location on BACKEND ("sqlite" or "postgresql"), NAME in it. For
// PostgreSQL the project (schema) name is made unique per process and dropped first.
inline QString newLocation(const QString &backend, const QTemporaryDir &dir, const QString &name)
{
    if (backend == QLatin1String("sqlite"))
        return dir.filePath(name + QStringLiteral(".lsproj"));
    static std::atomic<int> counter{0};
    const QString project = QStringLiteral("t%1_%2_%3").arg(QCoreApplication::applicationPid()).arg(counter++).arg(name);
    const QString url = postgresBaseUrl() + QStringLiteral("?project=") + project;
    (void)ProjectStore::dropPostgresProject(url);
    return url;
}

// A plain connection to a project, for inspecting and tampering (the store's own are private).
class RawProject {
public:
    explicit RawProject(const QString &location)
    {
        static std::atomic<int> counter{0};
        name = QStringLiteral("tst-rawproject-%1").arg(counter++);
        const Result<ProjectLocation> l = ProjectLocation::parse(location);
        QSqlDatabase db = QSqlDatabase::addDatabase(l->isPostgres() ? QStringLiteral("QPSQL") : QStringLiteral("QSQLITE"), name);
        if (l->isPostgres())
            l->configure(db);
        else
            db.setDatabaseName(location);
        ok = db.open();
        if (ok && l->isPostgres())
            ok = QSqlQuery(db).exec(QStringLiteral("SET search_path TO %1").arg(l->quotedSchema()));
    }
    ~RawProject()
    {
        {
            QSqlDatabase db = QSqlDatabase::database(name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(name);
    }
    QSqlDatabase db() const { return QSqlDatabase::database(name, false); }
    QVariant value(const QString &sql, QString *error = nullptr) const
    {
        QSqlQuery q(db());
        if (!q.exec(sql)) {
            if (error)
                *error = q.lastError().text();
            return QVariant();
        }
        return q.next() ? q.value(0) : QVariant();
    }
    bool exec(const QString &sql, QString *error = nullptr) const
    {
        QSqlQuery q(db());
        const bool r = q.exec(sql);
        if (!r && error)
            *error = q.lastError().text();
        return r;
    }
    bool ok = false;

private:
    QString name;
};

} // namespace labelscope::testing
