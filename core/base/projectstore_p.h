#pragma once

// ProjectStore's internals shared by its implementation files: the connection state and helpers.

#include "projectschema.h"
#include "projectstore.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

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

// ---- Private --------------------------------------------------------------------------------

struct ProjectStore::Private {
    QString file;
    QString connection;
    QSqlDatabase db;
    bool isOpen = false;
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

    bool exec(const QString &sql, const QString &step, QString *error)
    {
        QSqlQuery q(db);
        if (!q.exec(sql))
            return failQuery(error, step, q);
        return true;
    }

    // A write transaction: BEGIN IMMEDIATE takes the write lock up front (waiting busy_timeout),
    // so that a read-then-write transaction never fails half-way on a lock upgrade.
    bool begin(const QString &step, QString *error)
    {
        return exec(QStringLiteral("BEGIN IMMEDIATE"), step + QStringLiteral(" (begin transaction)"),
                    error);
    }
    bool commit(const QString &step, QString *error)
    {
        if (exec(QStringLiteral("COMMIT"), step + QStringLiteral(" (commit)"), error))
            return true;
        rollback();
        return false;
    }
    void rollback()
    {
        QSqlQuery q(db);
        q.exec(QStringLiteral("ROLLBACK"));
    }
    // Rolls back and reports; for use while a transaction is open.
    bool abort(QString *error, const QString &step, const QString &detail)
    {
        rollback();
        return fail(error, step, detail);
    }
    bool abortQuery(QString *error, const QString &step, const QSqlQuery &q)
    {
        const QString detail = sqlError(q.lastError());
        return abort(error, step, detail);
    }

    void closeConnection()
    {
        if (connection.isEmpty())
            return;
        if (db.isOpen())
            db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connection);
        connection.clear();
        isOpen = false;
    }

    bool scalar(const QString &sql, QVariant *out, QString *detail) const
    {
        QSqlQuery q(db);
        q.setForwardOnly(true);
        if (!q.exec(sql)) {
            *detail = sqlError(q.lastError());
            return false;
        }
        *out = q.next() ? q.value(0) : QVariant();
        return true;
    }
};

} // namespace labelscope
