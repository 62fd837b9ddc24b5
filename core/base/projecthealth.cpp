// ProjectStore's dataset-health checks (issue 16; tables health_checks, health_issues,
// health_sets, schema v5): one row per check, one row per issue type with its sample ids (int64
// LE BLOB [M]), scores (float32 LE BLOB [M]) and flags (uint8 BLOB [M]), and one row per duplicate
// set with its member ids (int64 LE BLOB), like the layouts and al_scores tables store arrays.

#include "projectstore_p.h"

#include "blobcodec.h"

namespace labelscope {

qint64 ProjectStore::saveHealth(const HealthRecord &record, QString *error)
{
    const QString step = QStringLiteral("save dataset health");
    for (const StoredIssueColumn &c : record.columns)
        if (c.sampleIds.size() != c.score.size() || c.sampleIds.size() != c.flag.size())
            return d->fail(error, step, QStringLiteral("issue type %1: %2 sample ids, %3 scores, %4 flags")
                                            .arg(c.type).arg(c.sampleIds.size()).arg(c.score.size()).arg(c.flag.size())),
                   0;
    qint64 id = 0;
    const bool ok = d->write(StoreWriter::Priority::Normal, step, error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, error))
            return false;
        if (record.runId > 0) {
            QSqlQuery q(w);
            q.prepare(QStringLiteral("SELECT 1 FROM runs WHERE id = ?"));
            q.bindValue(0, record.runId);
            if (!q.exec())
                return d->abortQuery(w, error, step, q);
            if (!q.next())
                return d->abort(w, error, step, QStringLiteral("no run %1").arg(record.runId));
        }
        {
            QSqlQuery q(w);
            q.prepare(QStringLiteral("INSERT INTO health_checks(run_id, created, summary) VALUES (?, ?, ?) RETURNING id"));
            q.bindValue(0, record.runId > 0 ? QVariant(record.runId) : QVariant());
            q.bindValue(1, isoTime(record.created.isValid() ? record.created : QDateTime::currentDateTimeUtc()));
            q.bindValue(2, toJson(record.summary));
            if (!q.exec())
                return d->abortQuery(w, error, step, q);
            id = q.next() ? q.value(0).toLongLong() : 0; // RETURNING id
q.finish(); // the statement must be done before COMMIT (SQLite)
        }
        QSqlQuery c(w);
        c.prepare(QStringLiteral("INSERT INTO health_issues(check_id, type, threshold, sample_ids, scores, flags) "
                                 "VALUES (?, ?, ?, ?, ?, ?)"));
        for (const StoredIssueColumn &col : record.columns) {
            c.bindValue(0, id);
            c.bindValue(1, col.type);
            c.bindValue(2, col.threshold);
            c.bindValue(3, encodeLE(col.sampleIds.data(), col.sampleIds.size()));
            c.bindValue(4, encodeLE(col.score.data(), col.score.size()));
            c.bindValue(5, QByteArray(reinterpret_cast<const char *>(col.flag.data()), qsizetype(col.flag.size())));
            if (!c.exec())
                return d->abortQuery(w, error, step, c);
        }
        QSqlQuery s(w);
        s.prepare(QStringLiteral("INSERT INTO health_sets(check_id, kind, position, sample_ids, leaks) VALUES (?, ?, ?, ?, ?)"));
        for (std::size_t i = 0; i < record.sets.size(); ++i) {
            const StoredDuplicateSet &set = record.sets[i];
            s.bindValue(0, id);
            s.bindValue(1, set.kind);
            s.bindValue(2, qint64(i));
            s.bindValue(3, encodeLE(set.sampleIds.data(), set.sampleIds.size()));
            s.bindValue(4, set.leaks ? 1 : 0);
            if (!s.exec())
                return d->abortQuery(w, error, step, s);
        }
        return d->commit(w, step, error, "health");
    });
    return ok ? id : 0;
}

std::optional<HealthRecord> ProjectStore::latestHealth(bool withData) const
{
    if (!d->isOpen) {
        d->notOpen(nullptr);
        return std::nullopt;
    }
    const QString step = QStringLiteral("read dataset health");
    HealthRecord r;
    {
        QSqlQuery q(d->db);
        q.setForwardOnly(true);
        if (!q.exec(QStringLiteral("SELECT id, run_id, created, summary FROM health_checks ORDER BY id DESC LIMIT 1"))) {
            d->failQuery(nullptr, step, q);
            return std::nullopt;
        }
        if (!q.next())
            return std::nullopt;
        r.id = q.value(0).toLongLong();
        r.runId = q.value(1).isNull() ? 0 : q.value(1).toLongLong();
        r.created = parseTime(q.value(2));
        r.summary = fromJson(q.value(3));
    }
    if (!withData)
        return r;
    auto corrupt = [&](const QString &what) {
        d->fail(nullptr, step, QStringLiteral("corrupt %1 BLOB of health check %2").arg(what).arg(r.id));
        return std::nullopt;
    };
    {
        QSqlQuery q(d->db);
        q.setForwardOnly(true);
        q.prepare(QStringLiteral("SELECT type, threshold, sample_ids, scores, flags FROM health_issues WHERE check_id = ? ORDER BY type"));
        q.bindValue(0, r.id);
        if (!q.exec()) {
            d->failQuery(nullptr, step, q);
            return std::nullopt;
        }
        while (q.next()) {
            StoredIssueColumn c;
            c.type = q.value(0).toString();
            c.threshold = q.value(1).toDouble();
            const QByteArray flags = q.value(4).toByteArray();
            c.flag.assign(flags.begin(), flags.end());
            if (!decodeLE(q.value(2), &c.sampleIds) || !decodeLE(q.value(3), &c.score)
                || c.sampleIds.size() != c.score.size() || c.sampleIds.size() != c.flag.size())
                return corrupt(c.type);
            r.columns.push_back(std::move(c));
        }
    }
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT kind, sample_ids, leaks FROM health_sets WHERE check_id = ? ORDER BY position"));
    q.bindValue(0, r.id);
    if (!q.exec()) {
        d->failQuery(nullptr, step, q);
        return std::nullopt;
    }
    while (q.next()) {
        StoredDuplicateSet s;
        s.kind = q.value(0).toString();
        s.leaks = q.value(2).toInt() != 0;
        if (!decodeLE(q.value(1), &s.sampleIds))
            return corrupt(QStringLiteral("duplicate set"));
        r.sets.push_back(std::move(s));
    }
    return r;
}

} // namespace labelscope
