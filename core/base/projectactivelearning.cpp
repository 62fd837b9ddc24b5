// ProjectStore's active-learning rounds and queues (tables al_rounds, al_queue of schema v2).

#include "projectstore_p.h"

#include <cmath>

namespace labelscope {

qint64 ProjectStore::saveAlRound(const AlRoundInfo &round, const std::vector<AlQueueItem> &queue, QString *error)
{
    if (!d->isOpen) {
        d->notOpen(error);
        return 0;
    }
    const QString step = QStringLiteral("save active-learning round");
    if (!d->begin(step, error))
        return 0;
    qint64 roundId = 0;
    {
        QSqlQuery q(d->db);
        q.prepare(QStringLiteral(
            "INSERT INTO al_rounds(started, finished, strategy, diversity, batch_size, labelled, val_accuracy, settings)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
        q.bindValue(0, isoTimeOrNull(round.started));
        q.bindValue(1, isoTimeOrNull(round.finished));
        // A null QString binds as SQL NULL, which the NOT NULL columns refuse: bind "" instead.
        q.bindValue(2, round.strategy.isNull() ? QStringLiteral("") : round.strategy);
        q.bindValue(3, round.diversity.isNull() ? QStringLiteral("") : round.diversity);
        q.bindValue(4, round.batchSize);
        q.bindValue(5, round.labelled);
        q.bindValue(6, round.valAccuracy >= 0 ? QVariant(round.valAccuracy) : QVariant());
        q.bindValue(7, toJson(round.settings));
        if (!q.exec()) {
            d->abortQuery(error, step + QStringLiteral(" (round row)"), q);
            return 0;
        }
        roundId = q.lastInsertId().toLongLong();
    }
    QSqlQuery exists(d->db);
    exists.prepare(QStringLiteral("SELECT 1 FROM samples WHERE id = ?"));
    QSqlQuery q(d->db);
    q.prepare(QStringLiteral("INSERT INTO al_queue(round_id, sample_id, position, score) VALUES (?, ?, ?, ?)"));
    for (const AlQueueItem &item : queue) {
        exists.bindValue(0, item.sampleId);
        if (!exists.exec() || !exists.next()) {
            d->abort(error, step, QStringLiteral("sample %1 does not exist").arg(item.sampleId));
            return 0;
        }
        q.bindValue(0, roundId);
        q.bindValue(1, item.sampleId);
        q.bindValue(2, item.position);
        q.bindValue(3, std::isfinite(item.score) ? double(item.score) : 0.0);
        if (!q.exec()) {
            d->abortQuery(error, step + QStringLiteral(" (queue of sample %1)").arg(item.sampleId), q);
            return 0;
        }
    }
    if (!d->commit(step, error))
        return 0;
    return roundId;
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
