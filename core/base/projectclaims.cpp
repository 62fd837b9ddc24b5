// ProjectStore's claims (issue 18, table claims, schema v6): splitting the flagged samples of a
// shared project between annotators, so that two never review the same sample at once.

#include "projectstore.h"
#include "projectstore_p.h"
#include "sqldialect.h"

#include <QStringList>

#include <set>

namespace labelscope {

namespace {

// "1,2,3": sample ids are numbers, safe to write into the statement (QPSQL binds no arrays).
QString idList(const std::vector<qint64> &ids)
{
    QStringList parts;
    parts.reserve(qsizetype(ids.size()));
    for (qint64 id : ids)
        parts << QString::number(id);
    return parts.join(QLatin1Char(','));
}

} // namespace

Result<std::vector<qint64>> ProjectStore::claimSamples(const std::vector<qint64> &candidates, int count,
                                                       const QString &annotator, int ttlSeconds, int reviewsNeeded)
{
    using R = Result<std::vector<qint64>>;
    const QString step = QStringLiteral("claim samples");
    if (annotator.trimmed().isEmpty())
        return R::failure(QStringLiteral("%1: %2: no annotator name").arg(d->file, step));
    if (count <= 0 || candidates.empty())
        return std::vector<qint64>{};
    if (ttlSeconds <= 0)
        return R::failure(QStringLiteral("%1: %2: the claim must last at least a second").arg(d->file, step));
    std::vector<qint64> claimed;
    QString error;
    const bool ok = d->write(StoreWriter::Priority::Decision, step, &error, [&](QSqlDatabase &w) {
        const bool postgres = dialectOf(w) == SqlDialect::PostgreSQL;
        // PostgreSQL: no project-wide write lock here: the row locks below let two annotators
        // claim at the same time, each passing over the rows the other is claiming.
        if (postgres) {
            QSqlQuery begin(w);
            if (!begin.exec(QStringLiteral("BEGIN")))
                return d->failQuery(&error, step + QStringLiteral(" (begin transaction)"), begin);
        } else if (!d->begin(w, step, &error)) {
            return false;
        }
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const QString nowText = isoTime(now), until = isoTime(now.addSecs(ttlSeconds));
        // The free candidates, in chunks (a statement per 500 ids), in the caller's order.
        std::set<qint64> free;
        for (std::size_t at = 0; at < candidates.size() && int(free.size()) < count; at += 500) {
            const std::vector<qint64> chunk(candidates.begin() + std::ptrdiff_t(at),
                                            candidates.begin() + std::ptrdiff_t(std::min(candidates.size(), at + 500)));
            QString sql = QStringLiteral(
                              "SELECT s.id FROM samples s WHERE s.id IN (%1) AND NOT EXISTS (SELECT 1 FROM claims c"
                              " WHERE c.sample_id = s.id AND c.annotator <> ? AND c.expires > ?)")
                              .arg(idList(chunk));
            if (reviewsNeeded > 0)
                sql += QStringLiteral(" AND NOT EXISTS (SELECT 1 FROM label_events e WHERE e.sample_id = s.id"
                                      " AND e.reason <> 'import' AND e.annotator = ?)"
                                      " AND (SELECT count(DISTINCT e.annotator) FROM label_events e WHERE e.sample_id = s.id"
                                      " AND e.reason <> 'import') < %1")
                           .arg(reviewsNeeded);
            // PostgreSQL locks only the rows it takes (in the caller's order, at most the count
            // still wanted): a concurrent claimer skips those and takes the next ones.
            if (postgres)
                sql += QStringLiteral(" ORDER BY array_position(ARRAY[%1]::bigint[], s.id) LIMIT %2 FOR UPDATE OF s SKIP LOCKED")
                           .arg(idList(chunk))
                           .arg(count - int(free.size()));
            QSqlQuery q(w);
            q.prepare(sql);
            q.addBindValue(annotator);
            q.addBindValue(nowText);
            if (reviewsNeeded > 0)
                q.addBindValue(annotator);
            if (!q.exec())
                return d->abortQuery(w, &error, step, q);
            while (q.next())
                free.insert(q.value(0).toLongLong());
        }
        QSqlQuery put(w);
        put.prepare(QStringLiteral("INSERT INTO claims(sample_id, annotator, claimed, expires) VALUES (?, ?, ?, ?)"
                                   " ON CONFLICT(sample_id) DO UPDATE SET annotator = excluded.annotator,"
                                   " claimed = excluded.claimed, expires = excluded.expires"));
        for (qint64 id : candidates) {
            if (int(claimed.size()) >= count)
                break;
            if (!free.erase(id))
                continue; // taken, reviewed, unknown, or listed twice
            put.addBindValue(id);
            put.addBindValue(annotator);
            put.addBindValue(nowText);
            put.addBindValue(until);
            if (!put.exec())
                return d->abortQuery(w, &error, step + QStringLiteral(" (sample %1)").arg(id), put);
            claimed.push_back(id);
        }
        return d->commit(w, step, &error, "claims");
    });
    if (!ok)
        return R::failure(error);
    return claimed;
}

Result<> ProjectStore::releaseClaims(const QString &annotator, const std::vector<qint64> &sampleIds)
{
    const QString step = QStringLiteral("release claims");
    QString error;
    const bool ok = d->write(StoreWriter::Priority::Decision, step, &error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, &error))
            return false;
        QSqlQuery q(w);
        QString sql = QStringLiteral("DELETE FROM claims WHERE annotator = ?");
        if (!sampleIds.empty())
            sql += QStringLiteral(" AND sample_id IN (%1)").arg(idList(sampleIds));
        q.prepare(sql);
        q.addBindValue(annotator);
        if (!q.exec())
            return d->abortQuery(w, &error, step, q);
        return d->commit(w, step, &error, "claims");
    });
    if (!ok)
        return Result<>::failure(error);
    return {};
}

std::vector<Claim> ProjectStore::claims() const
{
    std::vector<Claim> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sample_id, annotator, claimed, expires FROM claims WHERE expires > ? ORDER BY sample_id"));
    q.addBindValue(isoTime(QDateTime::currentDateTimeUtc()));
    if (!q.exec()) {
        d->failQuery(nullptr, QStringLiteral("read claims"), q);
        return out;
    }
    while (q.next())
        out.push_back({q.value(0).toLongLong(), q.value(1).toString(), parseTime(q.value(2)), parseTime(q.value(3))});
    return out;
}

} // namespace labelscope
