// ProjectStore's per-round uncertainty of the scored active-learning pool (table al_scores,
// schema v3): one row per round, the sample ids as an int64 LE BLOB [M] and their uncertainty
// scores as a float32 LE BLOB [M], like the layouts table stores its arrays.

#include "projectstore_p.h"

#include "blobcodec.h"

namespace labelscope {

bool ProjectStore::saveAlScores(qint64 roundId, const std::vector<qint64> &sampleIds,
                                const std::vector<float> &scores, QString *error)
{
    const QString step = QStringLiteral("save pool uncertainty of active-learning round %1").arg(roundId);
    if (d->isOpen && sampleIds.size() != scores.size())
        return d->fail(error, step, QStringLiteral("%1 sample ids but %2 scores")
                                        .arg(sampleIds.size()).arg(scores.size()));
    return d->write(StoreWriter::Priority::Normal, step, error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, error))
            return false;
        {
            QSqlQuery q(w);
            q.prepare(QStringLiteral("SELECT 1 FROM al_rounds WHERE id = ?"));
            q.bindValue(0, roundId);
            if (!q.exec())
                return d->abortQuery(w, error, step, q);
            if (!q.next())
                return d->abort(w, error, step, QStringLiteral("no such round"));
        }
        QSqlQuery q(w);
        q.prepare(QStringLiteral("INSERT INTO al_scores(round_id, sample_ids, scores) VALUES (?, ?, ?)"
                                 " ON CONFLICT(round_id) DO UPDATE SET sample_ids = excluded.sample_ids, scores = excluded.scores"));
        q.bindValue(0, roundId);
        q.bindValue(1, encodeLE(sampleIds.data(), sampleIds.size()));
        q.bindValue(2, encodeLE(scores.data(), scores.size()));
        if (!q.exec())
            return d->abortQuery(w, error, step, q);
        return d->commit(w, step, error);
    });
}

bool ProjectStore::alScores(qint64 roundId, std::vector<qint64> *sampleIds, std::vector<float> *scores) const
{
    sampleIds->clear();
    scores->clear();
    if (!d->isOpen)
        return d->notOpen(nullptr);
    const QString step = QStringLiteral("read pool uncertainty of active-learning round %1").arg(roundId);
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sample_ids, scores FROM al_scores WHERE round_id = ?"));
    q.bindValue(0, roundId);
    if (!q.exec())
        return d->failQuery(nullptr, step, q);
    if (!q.next())
        return true; // the round scored no pool (a cold start) or predates schema v3
    if (!decodeLE(q.value(0), sampleIds) || !decodeLE(q.value(1), scores)
        || sampleIds->size() != scores->size()) {
        sampleIds->clear();
        scores->clear();
        return d->fail(nullptr, step, QStringLiteral("corrupt al_scores BLOB"));
    }
    return true;
}

} // namespace labelscope
