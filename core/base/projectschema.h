#pragma once

// The project file's SQLite schema: its migrations (CREATE TABLE statements) and version checks.

#include <QSqlDatabase>
#include <QString>

#include <functional>
#include <vector>

class QSqlError;

namespace labelscope {

// Stable forever: how a Labelscope project is recognised, whatever its schema version.
inline constexpr char kMarkerKey[] = "application";
inline constexpr char kMarkerValue[] = "labelscope";

// An SQL error's text, never empty.
QString sqlError(const QSqlError &e);

// Runs one schema step inside the caller's transaction; on failure sets *detail.
using Migration = std::function<bool(QSqlDatabase &db, QString *detail)>;

// migrations()[n] takes a project from schema version n to n + 1.
const std::vector<Migration> &migrations();

// Empty when the migration table matches ProjectStore::kSchemaVersion; otherwise the problem.
QString migrationTableProblem();

// Why a file of schema version fileVersion cannot be opened because it is too new.
QString schemaTooNewMessage(int fileVersion);

} // namespace labelscope
