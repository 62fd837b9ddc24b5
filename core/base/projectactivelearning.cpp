// ProjectStore's active-learning rounds and queues (tables al_rounds, al_queue of schema v2).

#include "projectstore_p.h"

#include <QStringList>

#include <cmath>

namespace labelscope {

qint64 ProjectStore::saveAlRound(const AlRoundInfo &round, const std::vector<AlQueueItem> &queue, QString *error)
{
    const QString step = QStringLiteral("save active-learning round");
    qint64 roundId = 0;
    const bool ok = d->write(StoreWriter::Priority::Normal, step, error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, error))
            return false;
        // The round chose its queue from the project as it was when it started, possibly minutes
        // ago. Under the write lock, check that the queue is still open: not labelled or excluded
        // meanwhile, and not queued by another round that ran at the same time (queued there and
        // still unlabelled). Otherwise two rounds would ask annotators for the same samples.
        {
            QSqlQuery check(w);
            check.setForwardOnly(true);
            check.prepare(QStringLiteral(
                "SELECT s.label, s.excluded, EXISTS (SELECT 1 FROM al_queue q WHERE q.sample_id = s.id)"
                " FROM samples s WHERE s.id = ?"));
            qint64 queuedElsewhere = 0, decided = 0;
            for (const AlQueueItem &item : queue) {
                check.bindValue(0, item.sampleId);
                if (!check.exec())
                    return d->abortQuery(w, error, step + QStringLiteral(" (check the queue)"), check);
                if (!check.next())
                    return d->abort(w, error, step, QStringLiteral("sample %1 does not exist").arg(item.sampleId));
                const bool unlabelled = check.value(0).toInt() < 0;
                if (unlabelled && check.value(2).toInt() != 0)
                    ++queuedElsewhere;
                else if (!unlabelled || check.value(1).toInt() != 0)
                    ++decided;
                check.finish();
            }
            QStringList problems;
            if (queuedElsewhere > 0)
                problems << QStringLiteral("another round queued %1 of these samples meanwhile").arg(queuedElsewhere);
            if (decided > 0)
                problems << QStringLiteral("%1 of these samples were labelled or excluded meanwhile").arg(decided);
            if (!problems.isEmpty())
                return d->abort(w, error, step,
                                problems.join(QStringLiteral("; ")) + QStringLiteral("; run the round again"));
        }
        {
            QSqlQuery q(w);
            q.prepare(QStringLiteral(
                "INSERT INTO al_rounds(started, finished, strategy, diversity, batch_size, labelled, val_accuracy, settings)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
            q.bindValue(0, isoTimeOrNull(round.started));
            q.bindValue(1, isoTimeOrNull(round.finished));
            // A null QString binds as SQL NULL, which the NOT NULL columns refuse: bind "" instead.
            q.bindValue(2, round.strategy.isNull() ? QStringLiteral("") : round.strategy);
            q.bindValue(3, round.diversity.isNull() ? QStringLiteral("") : round.diversity);
            q.bindValue(4, round.batchSize);
            q.bindValue(5, round.labelled);
            q.bindValue(6, round.valAccuracy >= 0 ? QVariant(round.valAccuracy) : QVariant());
            q.bindValue(7, toJson(round.settings));
            if (!q.exec())
                return d->abortQuery(w, error, step + QStringLiteral(" (round row)"), q);
            roundId = q.next() ? q.value(0).toLongLong() : 0; // RETURNING id
q.finish(); // the statement must be done before COMMIT (SQLite)
        }
        QSqlQuery q(w);
        q.prepare(QStringLiteral("INSERT INTO al_queue(round_id, sample_id, position, score) VALUES (?, ?, ?, ?)"));
        for (const AlQueueItem &item : queue) {
            q.bindValue(0, roundId);
            q.bindValue(1, item.sampleId);
            q.bindValue(2, item.position);
            q.bindValue(3, std::isfinite(item.score) ? double(item.score) : 0.0);
            if (!q.exec())
                return d->abortQuery(w, error, step + QStringLiteral(" (queue of sample %1)").arg(item.sampleId), q);
        }
        return d->commit(w, step, error, "rounds");
    });
    return ok ? roundId : 0;
}

std::vector<AlRoundInfo> ProjectStore::alRounds() const
{
    std::vector<AlRoundInfo> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT id, started, finished, strategy, diversity, batch_size, labelled, val_accuracy, settings"
                               " FROM al_rounds ORDER BY id"))) {
        d->failQuery(nullptr, QStringLiteral("read active-learning rounds"), q);
        return out;
    }
    while (q.next()) {
        AlRoundInfo r;
        r.id = q.value(0).toLongLong();
        r.started = parseTime(q.value(1));
        r.finished = parseTime(q.value(2));
        r.strategy = q.value(3).toString();
        r.diversity = q.value(4).toString();
        r.batchSize = q.value(5).toInt();
        r.labelled = q.value(6).toLongLong();
        r.valAccuracy = q.value(7).isNull() ? -1.0 : q.value(7).toDouble();
        r.settings = fromJson(q.value(8));
        out.push_back(r);
    }
    return out;
}

std::vector<AlQueueItem> ProjectStore::alQueue(qint64 roundId) const
{
    std::vector<AlQueueItem> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sample_id, position, score FROM al_queue WHERE round_id = ? ORDER BY position"));
    q.bindValue(0, roundId);
    if (!q.exec()) {
        d->failQuery(nullptr, QStringLiteral("read active-learning queue"), q);
        return out;
    }
    while (q.next())
        out.push_back({q.value(0).toLongLong(), q.value(1).toInt(), q.value(2).toFloat()});
    return out;
}

} // namespace labelscope
