// ProjectStore::copyProject (issue 18): a project moved between SQLite and PostgreSQL (either
// direction, or file to file), every row of every table with its ids, in one transaction on the
// destination.

#include "projectschema.h"
#include "projectstore.h"
#include "projectstore_p.h"
#include "sqldialect.h"

#include <QAtomicInteger>
#include <QSqlQuery>

namespace labelscope {

namespace {

// Rows of TABLE that belong to completely written runs (a run another process is writing now
// is not copied; its rows would be half a run).
QString selectFor(const char *table, const QStringList &columns)
{
    QStringList quoted;
    for (const QString &c : columns)
        quoted << QLatin1Char('"') + c + QLatin1Char('"');
    QString sql = QStringLiteral("SELECT %1 FROM %2").arg(quoted.join(QStringLiteral(", ")), QLatin1String(table));
    const QString t = QLatin1String(table);
    if (t == QLatin1String("runs"))
        sql += QStringLiteral(" WHERE status <> 'writing'");
    else if (columns.contains(QStringLiteral("run_id")))
        sql += QStringLiteral(" WHERE run_id IS NULL OR run_id IN (SELECT id FROM runs WHERE status <> 'writing')");
    else if (columns.contains(QStringLiteral("check_id")))
        sql += QStringLiteral(" WHERE check_id IN (SELECT id FROM health_checks WHERE run_id IS NULL OR run_id IN"
                              " (SELECT id FROM runs WHERE status <> 'writing'))");
    return sql;
}

// Opens DB (added, not yet open) on LOCATION for reading: the SQLite file, or the PostgreSQL
// project's schema.
bool openPlain(QSqlDatabase &db, const ProjectLocation &location, QString *detail)
{
    if (location.isPostgres()) {
        location.configure(db);
    } else {
        db.setDatabaseName(location.file);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    }
    if (!db.open()) {
        *detail = sqlError(db.lastError());
        return false;
    }
    if (location.isPostgres()) {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SET search_path TO %1").arg(location.quotedSchema()))) {
            *detail = sqlError(q.lastError());
            return false;
        }
    }
    return true;
}

} // namespace

// Inside the destination's write transaction: every table of SRC into W, parents first.
bool ProjectStore::copyTables(QSqlDatabase &src, QSqlDatabase &w, Private &to, const QString &step,
                              const std::function<bool(qint64, qint64)> &progress, ProjectCopyStats *stats,
                              bool *cancelled, QString *error)
{
    qint64 total = 0;
    for (const auto &[table, columns] : requiredSchema()) {
        QVariant count;
        QString detail;
        if (!Private::scalar(src, QStringLiteral("SELECT count(*) FROM (%1) AS t").arg(selectFor(table, columns)),
                             &count, &detail)) {
            *error = QStringLiteral("%1: copy: count %2: %3").arg(stats->source, QLatin1String(table), detail);
            return false;
        }
        total += count.toLongLong();
    }
    if (!to.begin(w, step, error))
        return false;
    qint64 done = 0;
    for (const auto &[table, columns] : requiredSchema()) {
        const QString t = QLatin1String(table);
        QSqlQuery read(src);
        read.setForwardOnly(true);
        if (!read.exec(selectFor(table, columns)))
            return to.abort(w, error, step + QStringLiteral(" (read %1 of %2)").arg(t, stats->source),
                            sqlError(read.lastError()));
        QStringList quoted, marks;
        for (const QString &c : columns) {
            quoted << QLatin1Char('"') + c + QLatin1Char('"');
            marks << QStringLiteral("?");
        }
        QString insert = QStringLiteral("INSERT INTO %1(%2) VALUES (%3)").arg(t, quoted.join(QStringLiteral(", ")),
                                                                          marks.join(QStringLiteral(", ")));
        if (t == QLatin1String("meta")) // the destination's marker row exists already
            insert += QStringLiteral(" ON CONFLICT(key) DO UPDATE SET value = excluded.value");
        QSqlQuery put(w);
        if (!put.prepare(insert))
            return to.abortQuery(w, error, step + QStringLiteral(" (%1)").arg(t), put);
        qint64 rows = 0;
        while (read.next()) {
            for (int c = 0; c < columns.size(); ++c)
                put.bindValue(c, read.value(c));
            if (!put.exec())
                return to.abortQuery(w, error, step + QStringLiteral(" (row %1 of %2)").arg(rows + 1).arg(t), put);
            ++rows;
            if (++done % 2048 == 0 && progress && !progress(done, total)) {
                *cancelled = true;
                return to.abort(w, error, step, QStringLiteral("cancelled"));
            }
        }
        if (read.lastError().isValid())
            return to.abort(w, error, step + QStringLiteral(" (read %1 of %2)").arg(t, stats->source),
                            sqlError(read.lastError()));
        stats->rows[t] = rows;
        // PostgreSQL: identity columns continue after the copied ids (SQLite takes max(id) + 1).
        if (dialectOf(w) == SqlDialect::PostgreSQL && columns.first() == QLatin1String("id") && rows > 0) {
            QSqlQuery seq(w);
            if (!seq.exec(QStringLiteral("SELECT setval(pg_get_serial_sequence('%1', 'id'), (SELECT max(id) FROM %1))").arg(t)))
                return to.abortQuery(w, error, step + QStringLiteral(" (ids of %1)").arg(t), seq);
        }
    }
    if (progress)
        progress(total, total);
    return to.commit(w, step, error);
}

Result<ProjectCopyStats> ProjectStore::copyProject(const QString &source, const QString &destination,
                                                   const std::function<bool(qint64, qint64)> &progress)
{
    using R = Result<ProjectCopyStats>;
    ProjectStore from;
    QString error;
    if (!from.openExisting(source, &error))
        return R::failure(error);
    if (ProjectLocation::isUrl(destination)) {
        const Result<bool> exists = postgresProjectExists(destination);
        if (!exists)
            return R::failure(exists.error());
    }
    ProjectCopyStats stats;
    stats.source = from.fileName();
    ProjectStore to;
    NewProjectCleanup cleanup(to, destination); // a copy that fails leaves no new destination
    if (!to.open(destination, &error))
        return R::failure(error);
    if (to.isReadOnly())
        return R::failure(QStringLiteral("%1: copy: the destination is read-only (%2)").arg(to.fileName(), to.readOnlyReason()));
    if (to.sampleCount() > 0)
        return R::failure(QStringLiteral("%1: copy: the destination already holds a project (%2 samples); copy into "
                                         "a new file or project name")
                              .arg(to.fileName())
                              .arg(to.sampleCount()));

    // The source is read through a connection of its own, made on the writer thread that runs the
    // copy (a Qt SQL connection serves only the thread that made it).
    const ProjectLocation source_ = from.d->location;
    from.close();
    const QString step = QStringLiteral("copy project");
    bool cancelled = false;
    static QAtomicInteger<quint64> counter;
    const QString connection = QStringLiteral("labelscope-copy-%1").arg(counter.fetchAndAddRelaxed(1));
    const bool ok = to.d->write(StoreWriter::Priority::Bulk, step, &error, [&](QSqlDatabase &w) {
        bool done = false;
        {
            QSqlDatabase src = QSqlDatabase::addDatabase(
                source_.isPostgres() ? QStringLiteral("QPSQL") : QStringLiteral("QSQLITE"), connection);
            QString detail;
            if (!openPlain(src, source_, &detail))
                error = QStringLiteral("%1: copy: %2").arg(source_.display(), detail);
            else
                done = copyTables(src, w, *to.d, step, progress, &stats, &cancelled, &error);
            src.close();
        }
        QSqlDatabase::removeDatabase(connection);
        return done;
    });
    if (!ok)
        return cancelled ? R::cancelled() : R::failure(error);
    stats.destination = to.fileName();
    return stats;
}

} // namespace labelscope
