#pragma once
// Project locations for the tests that run on both store backends (issue 18): an SQLite file in
// a temporary folder, or a project in the test cluster's database. CTest starts a throwaway
// cluster before these tests (scripts/pg-test-cluster.sh, fixture "postgres") and passes its
// base URL in LABELSCOPE_TEST_POSTGRES; a test binary run by hand without it skips the
// PostgreSQL rows with a message saying how to start one.

#include "storefixture.h"

#include "base/projectlocation.h"
#include "base/projectstore.h"
#include "base/sqldialect.h"

#include <QCoreApplication>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QTemporaryDir>
#include <QTest>
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

// The schema version a raw connection reads (SQLite: PRAGMA user_version; PostgreSQL: the
// project's labelscope_schema table), or -1 when it cannot be read.
inline int rawSchemaVersion(const RawProject &raw)
{
    QSqlDatabase db = raw.db();
    int version = -1;
    QSqlError e;
    return readSchemaVersion(db, &version, &e) ? version : -1;
}

// Records VERSION as the project's schema version through a raw connection (as a newer or older
// Labelscope would have left it).
inline bool setRawSchemaVersion(const RawProject &raw, int version)
{
    QSqlDatabase db = raw.db();
    QSqlError e;
    return writeSchemaVersion(db, version, &e);
}

// The data rows of a test that runs on both backends: column "backend", rows "sqlite" and
// "postgresql" (call from the test's _data function).
inline void addBackendRows()
{
    QTest::addColumn<QString>("backend");
    QTest::newRow("sqlite") << QStringLiteral("sqlite");
    QTest::newRow("postgresql") << QStringLiteral("postgresql");
}

// The current row's new location NAME (see newLocation), or an empty string for the PostgreSQL
// row when no server was given (BACKEND_LOCATION then skips the row).
inline QString rowLocation(const QTemporaryDir &dir, const QString &name)
{
    QFETCH(QString, backend);
    if (backend == QLatin1String("postgresql") && postgresBaseUrl().isEmpty())
        return QString();
    return newLocation(backend, dir, name);
}

// True in the current row when its backend is SQLite (SQLite-only checks: PRAGMAs, the raw file).
inline bool sqliteRow()
{
    QFETCH(QString, backend);
    return backend == QLatin1String("sqlite");
}

} // namespace labelscope::testing

// const QString VAR = a new location NAME for the current row (in DIR, a QTemporaryDir), or
// skips the PostgreSQL row with a message when no server was given.
#define BACKEND_LOCATION(var, dir, name)                                                                     \
    const QString var = labelscope::testing::rowLocation(dir, name);                                         \
    if (var.isEmpty())                                                                                       \
        QSKIP("no PostgreSQL server: run through CTest (fixture 'postgres'), or set LABELSCOPE_TEST_POSTGRES " \
              "to a base URL, e.g. from scripts/pg-test-cluster.sh start build/pgtest");
