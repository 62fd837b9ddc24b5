// ProjectStore on PostgreSQL (issue 18): opening a project that lives in a schema of a
// database, and the two calls that look a project up or remove it without opening it.

#include "projectstore.h"

#include "projectschema.h"
#include "projectstore_p.h"

#include <QAtomicInteger>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QThread>

namespace labelscope {

namespace {
QAtomicInteger<quint64> g_pgConnectionCounter;
} // namespace

bool ProjectStore::openPostgres(QString *error)
{
    Result<std::shared_ptr<StoreWriter>> writer = StoreWriter::acquire(d->location);
    if (!writer) {
        d->lastError = writer.error();
        if (error)
            *error = d->lastError;
        return false;
    }
    d->writer = std::move(writer.value());
    d->file = d->location.display();
    d->connection = QStringLiteral("labelscope-pg-%1-%2")
                        .arg(g_pgConnectionCounter.fetchAndAddRelaxed(1))
                        .arg(quintptr(QThread::currentThreadId()), 0, 16);
    d->db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), d->connection);
    d->location.configure(d->db);
    if (!d->db.open()) {
        const QString detail = sqlError(d->db.lastError());
        d->closeConnection();
        return d->fail(error, QStringLiteral("connect"), detail);
    }
    QSqlQuery q(d->db);
    if (!q.exec(QStringLiteral("SET search_path TO %1").arg(d->location.quotedSchema()))) {
        const QString detail = sqlError(q.lastError());
        d->closeConnection();
        return d->fail(error, QStringLiteral("use the project"), detail);
    }
    int version = 0;
    bool empty = false;
    StepError r = recogniseProject(d->db, &version, &empty);
    if (!r.failed())
        r = checkRequiredSchema(d->db);
    if (r.failed()) {
        d->closeConnection();
        return d->fail(error, r.step, r.detail);
    }
    d->isOpen = true;
    d->lastError.clear();
    scheduleAbandonedRunCleanup();
    return true;
}

Result<bool> ProjectStore::postgresProjectExists(const QString &url)
{
    Result<ProjectLocation> location = ProjectLocation::parse(url);
    if (!location)
        return Result<bool>::failure(location.error());
    const QString connection = QStringLiteral("labelscope-probe-%1").arg(g_pgConnectionCounter.fetchAndAddRelaxed(1));
    Result<bool> out = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
        if (!db.isValid()) {
            out = Result<bool>::failure(QStringLiteral("%1: the Qt PostgreSQL driver (QPSQL) is not available: "
                                                       "install libqt6sql6-psql")
                                            .arg(location->display()));
        } else {
            location->configure(db);
            if (!db.open()) {
                out = Result<bool>::failure(
                    QStringLiteral("%1: connect: %2").arg(location->display(), sqlError(db.lastError())));
            } else {
                QSqlQuery q(db);
                q.prepare(QStringLiteral("SELECT count(*) FROM pg_namespace WHERE nspname = ?"));
                q.addBindValue(location->project);
                if (!q.exec() || !q.next())
                    out = Result<bool>::failure(QStringLiteral("%1: look up the project: %2")
                                                    .arg(location->display(), sqlError(q.lastError())));
                else
                    out = q.value(0).toInt() > 0;
            }
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(connection);
    return out;
}

Result<> ProjectStore::dropPostgresProject(const QString &url)
{
    Result<ProjectLocation> location = ProjectLocation::parse(url);
    if (!location || !location->isPostgres())
        return Result<>::failure(location ? QStringLiteral("%1: not a PostgreSQL project").arg(url) : location.error());
    const QString connection = QStringLiteral("labelscope-drop-%1").arg(g_pgConnectionCounter.fetchAndAddRelaxed(1));
    Result<> out;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
        location->configure(db);
        if (!db.open()) {
            out = Result<>::failure(QStringLiteral("%1: connect: %2").arg(location->display(), sqlError(db.lastError())));
        } else {
            QSqlQuery q(db);
            if (!q.exec(QStringLiteral("DROP SCHEMA IF EXISTS %1 CASCADE").arg(location->quotedSchema())))
                out = Result<>::failure(QStringLiteral("%1: remove the project: %2")
                                            .arg(location->display(), sqlError(q.lastError())));
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(connection);
    return out;
}

} // namespace labelscope
