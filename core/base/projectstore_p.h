#pragma once

// ProjectStore's internals shared by its implementation files: the connection state and helpers.

#include "projectlocation.h"
#include "projectschema.h"
#include "projectstore.h"
#include "sqldialect.h"
#include "storewriter.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>

namespace labelscope {

inline QString isoTime(const QDateTime &t)
{
    if (!t.isValid())
        return QString();
    return t.toUTC().toString(Qt::ISODateWithMs);
}

inline QVariant isoTimeOrNull(const QDateTime &t)
{
    return t.isValid() ? QVariant(isoTime(t)) : QVariant();
}

inline QDateTime parseTime(const QVariant &v)
{
    if (v.isNull())
        return QDateTime();
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toUTC() : t;
}

inline QString toJson(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

inline QJsonObject fromJson(const QVariant &v)
{
    if (v.isNull())
        return QJsonObject();
    return QJsonDocument::fromJson(v.toString().toUtf8()).object();
}

// Bulk rows go in statements of this many rows (INSERT ... VALUES (...), (...)): one round trip
// per statement instead of one per row; on a PostgreSQL server the round trips were most of an
// import's and a run's save time (RESULTS.md, session 15). 64 rows of at most 15 values: 960
// placeholders, under SQLite's oldest limit (999) and far under PostgreSQL's (65,535).
inline constexpr std::size_t kRowsPerStatement = 64;

// A one-row "INSERT ... VALUES (?, ..., ?)" (SQL) run for up to kRowsPerStatement rows at a
// time: prepare(rows) makes the statement with the VALUES tuple repeated ROWS times (again only
// when ROWS changes: the full size, then a shorter last one); row r's values are bound at
// base(r) + 0, 1, ... Errors are the query's (query.lastError()).
class MultiRowInsert {
public:
    QSqlQuery query; ///< the prepared statement: bind, exec

    MultiRowInsert(QSqlDatabase &db, QString sql) : query(db), m_db(db), m_sql(std::move(sql)) {}
    bool prepare(std::size_t rows)
    {
        if (rows == m_rows)
            return true;
        const qsizetype at = m_sql.lastIndexOf(QLatin1String("VALUES ("));
        const QString tuple = m_sql.mid(at + 7);
        m_perRow = int(tuple.count(QLatin1Char('?')));
        QString sql = m_sql.left(at + 7);
        for (std::size_t r = 0; r < rows; ++r)
            sql += (r ? QStringLiteral(", ") : QString()) + tuple;
        query = QSqlQuery(m_db);
        m_rows = query.prepare(sql) ? rows : 0;
        return m_rows == rows;
    }
    int base(std::size_t r) const { return int(r) * m_perRow; }

private:
    QSqlDatabase &m_db;
    QString m_sql;
    std::size_t m_rows = 0;
    int m_perRow = 0;
};

// ---- Private --------------------------------------------------------------------------------

// Reads go through this store's own connection (db, on the thread that opened it); writes run as
// tasks on the process's writer of the file (StoreWriter), on its connection, passed to the task
// as `w`. The helpers below that take a QSqlDatabase are for use inside such a task.
struct ProjectStore::Private {
    QString file;              ///< the location as the caller named it
    ProjectLocation location;  ///< parsed: an SQLite file or a PostgreSQL project
    QString connection;
    QSqlDatabase db;
    std::shared_ptr<StoreWriter> writer; ///< null when the project is open read-only
    bool isOpen = false;
    bool readOnly = false;
    QString readOnlyReason; ///< why, for the error of a refused write
    mutable QString lastError;

    bool fail(QString *error, const QString &step, const QString &detail) const
    {
        lastError = QStringLiteral("%1: %2: %3").arg(file, step, detail);
        if (error)
            *error = lastError;
        return false;
    }
    bool failQuery(QString *error, const QString &step, const QSqlQuery &q) const
    {
        return fail(error, step, sqlError(q.lastError()));
    }
    bool notOpen(QString *error) const
    {
        return fail(error, QStringLiteral("access"), QStringLiteral("no project is open"));
    }

    // Runs TASK on the writer at PRIORITY and waits for it; refused when no project is open or it
    // is open read-only. TASK reports its own failures (fail/abort) and returns false.
    bool write(StoreWriter::Priority priority, const QString &step, QString *error,
               const std::function<bool(QSqlDatabase &w)> &task)
    {
        if (!isOpen)
            return notOpen(error);
        if (readOnly || !writer)
            return refuseReadOnly(error, step);
        return writer->run(priority, task);
    }
    bool refuseReadOnly(QString *error, const QString &step) const
    {
        return fail(error, step,
                    QStringLiteral("the project was opened read-only (%1); nothing was written").arg(readOnlyReason));
    }

    bool exec(QSqlDatabase &w, const QString &sql, const QString &step, QString *error)
    {
        QSqlQuery q(w);
        if (!q.exec(sql))
            return failQuery(error, step, q);
        return true;
    }

    // A write transaction: BEGIN IMMEDIATE takes the write lock up front (waiting for another
    // process's), so that a read-then-write transaction never fails half-way on a lock upgrade.
    bool begin(QSqlDatabase &w, const QString &step, QString *error)
    {
        QString detail;
        if (StoreWriter::beginImmediate(w, &detail))
            return true;
        return fail(error, step + QStringLiteral(" (begin transaction)"), detail);
    }
    // NOTIFY: on PostgreSQL, tells every ProjectWatcher of the project that WHAT changed
    // (delivered when the transaction commits); nothing on SQLite (its watchers see the file).
    bool commit(QSqlDatabase &w, const QString &step, QString *error, const char *notify)
    {
        if (dialectOf(w) == SqlDialect::PostgreSQL) {
            QSqlQuery q(w);
            q.prepare(QStringLiteral("SELECT pg_notify(?, ?)"));
            q.addBindValue(location.notifyChannel());
            q.addBindValue(QString::fromLatin1(notify));
            if (!q.exec())
                return abortQuery(w, error, step + QStringLiteral(" (notify)"), q);
        }
        return commit(w, step, error);
    }
    bool commit(QSqlDatabase &w, const QString &step, QString *error)
    {
        if (exec(w, QStringLiteral("COMMIT"), step + QStringLiteral(" (commit)"), error))
            return true;
        rollback(w);
        return false;
    }
    static void rollback(QSqlDatabase &w)
    {
        QSqlQuery q(w);
        q.exec(QStringLiteral("ROLLBACK"));
    }
    // Rolls back and reports; for use while a transaction is open.
    bool abort(QSqlDatabase &w, QString *error, const QString &step, const QString &detail)
    {
        rollback(w);
        return fail(error, step, detail);
    }
    bool abortQuery(QSqlDatabase &w, QString *error, const QString &step, const QSqlQuery &q)
    {
        const QString detail = sqlError(q.lastError());
        return abort(w, error, step, detail);
    }

    void closeConnection()
    {
        if (!connection.isEmpty()) {
            if (db.isOpen())
                db.close();
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(connection);
            connection.clear();
        }
        writer.reset(); // the last store of the file in this process stops its writer
        isOpen = false;
        readOnly = false;
        readOnlyReason.clear();
    }

    static bool scalar(const QSqlDatabase &on, const QString &sql, QVariant *out, QString *detail)
    {
        QSqlQuery q(on);
        q.setForwardOnly(true);
        if (!q.exec(sql)) {
            *detail = sqlError(q.lastError());
            return false;
        }
        *out = q.next() ? q.value(0) : QVariant();
        return true;
    }
    bool scalar(const QString &sql, QVariant *out, QString *detail) const
    {
        return scalar(db, sql, out, detail);
    }
};

} // namespace labelscope
