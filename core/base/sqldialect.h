#pragma once
// The one place where the project store's two backends differ (issue 18): SQLite (QSQLITE, a
// file) and PostgreSQL (QPSQL, one schema of a database). Everything else in the store is the
// same SQL on both: upserts as INSERT ... ON CONFLICT DO UPDATE, new ids through RETURNING id
// (SQLite >= 3.35), arrays as BLOB/bytea.
//
// The schema is written once, in SQLite's DDL (projectschema.cpp's migrations); on PostgreSQL
// each statement is translated: INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA,
// "id INTEGER PRIMARY KEY" → an identity column, WITHOUT ROWID dropped, and the append-only
// triggers (SQLite: RAISE(ABORT)) become PL/pgSQL triggers that also refuse TRUNCATE.
// The schema version is SQLite's PRAGMA user_version, PostgreSQL's table labelscope_schema.
// A write transaction takes the project's write lock up front on both: SQLite BEGIN IMMEDIATE,
// PostgreSQL BEGIN + a transaction-level advisory lock keyed by the project's schema, so that
// read-then-write transactions (an active-learning round's re-check, class changes) see no
// concurrent writer, as on SQLite.

#include <QSqlDatabase>
#include <QString>
#include <QStringList>

class QSqlError;

namespace labelscope {

enum class SqlDialect { SQLite, PostgreSQL };

/// The dialect of DB's driver (QPSQL → PostgreSQL, anything else SQLite).
SqlDialect dialectOf(const QSqlDatabase &db);

/// SQLITEDDL (one statement of the schema as written for SQLite) as the statements to run on
/// DB; unchanged on SQLite.
QStringList dialectStatements(const QSqlDatabase &db, const QString &sqliteDdl);

/// The project's schema version (0 for a new, empty project). False with *error on failure.
bool readSchemaVersion(QSqlDatabase &db, int *version, QSqlError *error);
/// Sets it (inside the caller's transaction on PostgreSQL).
bool writeSchemaVersion(QSqlDatabase &db, int version, QSqlError *error);
/// The number of tables of the project (0 for a new one).
bool countTables(QSqlDatabase &db, qint64 *count, QSqlError *error);
/// Whether the project has a table NAME.
bool hasTable(QSqlDatabase &db, const QString &name, bool *has, QSqlError *error);
/// SQL listing (table name, column name) of every table of the project.
QString tableColumnsSql(const QSqlDatabase &db);

/// PostgreSQL's SQLSTATE of E when it has one (five characters), else empty.
QString sqlState(const QSqlError &e);
/// What a PostgreSQL SQLSTATE means for the user ("wrong password", "server unreachable", ...);
/// empty when the server's own text says enough.
QString postgresStateMeaning(const QString &sqlstate);
/// What a failed PostgreSQL connection (libpq's message TEXT; Qt's driver gives no SQLSTATE for
/// it) means for the user: a certificate that cannot be verified (sslmode verify-ca/verify-full
/// without the right root), another TLS failure, a pg_hba.conf rule refusing the connection, a
/// wrong password, else a server that cannot be reached.
QString postgresConnectFailureMeaning(const QString &text);

} // namespace labelscope
