#pragma once

// The project's schema: its migrations (CREATE TABLE statements, written for SQLite and
// translated for PostgreSQL by sqldialect.h) and version checks.

#include <QSqlDatabase>
#include <QString>

#include <functional>
#include <vector>

class QSqlError;

namespace labelscope {

// Stable forever: how a Labelscope project is recognised, whatever its schema version.
inline constexpr char kMarkerKey[] = "application";
inline constexpr char kMarkerValue[] = "labelscope";

// An SQL error's text, never empty, led by what it means for the user when SQLite's result code
// says so ("disk full", "read-only", "not an SQLite database", ...; see sqliteCodeMeaning).
QString sqlError(const QSqlError &e);

// SQLite's primary result code of E (QSqlError::nativeErrorCode, extended codes reduced to their
// primary code), or -1 when it has none.
int sqliteCode(const QSqlError &e);

// SQLite result codes the store names (https://www.sqlite.org/rescode.html).
enum SqliteCode : int {
    kSqliteBusy = 5,
    kSqliteReadOnly = 8,
    kSqliteIoErr = 10,
    kSqliteCorrupt = 11,
    kSqliteFull = 13,
    kSqliteCantOpen = 14,
    kSqliteNotADb = 26,
};

// What a primary result code means for the user ("disk full", ...); empty for codes whose own
// text says enough (constraint failures, SQL errors).
QString sqliteCodeMeaning(int code);

// A failed step of opening or checking a project: the step and what went wrong (the caller
// prefixes the file). Empty step = no failure.
struct StepError {
    QString step, detail;
    int code = -1; ///< SQLite's primary result code, -1 when the failure is not SQLite's
    bool failed() const { return !step.isEmpty(); }
};

// Recognises the project on DB without writing anything: the first query fails with
// SQLITE_NOTADB on a file that is not SQLite ("not a Labelscope project (not an SQLite
// database)"), other first-query failures keep their own meaning (disk full, read-only, ...);
// an SQLite file without the Labelscope marker, or with a schema version newer than this build
// or below 1, is refused. *empty = a new, empty database (version 0, no objects).
StepError recogniseProject(QSqlDatabase &db, int *fileVersion, bool *empty);

// Checks that every table and column the current schema requires exists (a file damaged or
// changed by another program is refused at open, not after training).
StepError checkRequiredSchema(QSqlDatabase &db);

// The tables of the current schema with their columns, every table after those it references
// (projectcopy.cpp copies them in this order).
const std::vector<std::pair<const char *, QStringList>> &requiredSchema();

// Runs one schema step inside the caller's transaction; on failure sets *detail.
using Migration = std::function<bool(QSqlDatabase &db, QString *detail)>;

// migrations()[n] takes a project from schema version n to n + 1.
const std::vector<Migration> &migrations();

// Empty when the migration table matches ProjectStore::kSchemaVersion; otherwise the problem.
QString migrationTableProblem();

// Why a file of schema version fileVersion cannot be opened because it is too new.
QString schemaTooNewMessage(int fileVersion);

} // namespace labelscope
