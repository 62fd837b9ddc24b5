// ProjectStore::applyDecisions: an annotator's decisions as one batch of label events (split
// from projectstore.cpp; the store's other writes are there and in projecthistory.cpp).
#include "projectstore.h"

#include "projectstore_p.h"

#include <QDateTime>
#include <QHash>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>
#include <iterator>
#include <map>

namespace labelscope {

namespace {

// A null QString binds as SQL NULL; text columns are NOT NULL.
QString notNull(const QString &s)
{
    return s.isNull() ? QString(QLatin1String("")) : s;
}

bool isDecisionReason(const QString &r)
{
    return r == QLatin1String("relabel") || r == QLatin1String("undo") || r == QLatin1String("redo")
        || r == QLatin1String("accept") || r == QLatin1String("exclude");
}

} // namespace

bool ProjectStore::applyDecisions(const std::vector<Decision> &decisions, const QString &annotator,
                                  QString *error, qint64 *batchOut)
{
    if (!d->isOpen)
        return d->notOpen(error);
    const QString step = QStringLiteral("apply decisions");
    if (decisions.empty())
        return true;

    // Everything is checked before anything is written; one bad decision refuses the batch.
    std::vector<QString> reasons(decisions.size());
    for (std::size_t i = 0; i < decisions.size(); ++i) {
        const QString &r = decisions[i].reason;
        reasons[i] = r.isEmpty() ? QStringLiteral("relabel") : r;
        if (!isDecisionReason(reasons[i]))
            return d->fail(error, step,
                           QStringLiteral("decision %1 (sample %2) has an invalid reason '%3'; "
                                          "no decision was applied")
                               .arg(i)
                               .arg(decisions[i].sampleId)
                               .arg(r));
    }

    // Decisions go first: they wait at most for one short transaction already running.
    return d->write(StoreWriter::Priority::Decision, step, error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, error))
            return false;
        const QString time = isoTime(QDateTime::currentDateTimeUtc());
        {
            QVariant kv;
            QString detail;
            if (!Private::scalar(w, QStringLiteral("SELECT count(*) FROM classes"), &kv, &detail))
                return d->abort(w, error, step, detail);
            const int k = kv.toInt();
            // The batch id is the id of the batch's first event: INTEGER PRIMARY KEY hands out
            // max(id) + 1 inside this (immediate) transaction.
            if (!Private::scalar(w, QStringLiteral("SELECT COALESCE(MAX(id), 0) + 1 FROM label_events"), &kv, &detail))
                return d->abort(w, error, step, detail);
            const qint64 batch = kv.toLongLong();
            if (batchOut)
                *batchOut = batch;

            // Set-based, in chunks: the old state of every sample in one SELECT per chunk, the
            // events in one multi-row INSERT per chunk, the samples in one UPDATE per final state
            // and chunk. Ids, labels and flags are integers and the reason is one of five fixed
            // words, so they are written into the SQL as literals; the annotator (free text) and
            // the time are bound (as text: PostgreSQL types a parameter in a SELECT list as text). Per-row prepared statements spent most of a 10,000-sample bulk
            // relabel in Qt's per-value binding (RESULTS.md "Session 11: bulk relabel").
            constexpr std::size_t kChunk = 500;
            auto idList = [](auto begin, auto end) {
                QString list;
                list.reserve(int(std::distance(begin, end)) * 8);
                for (auto it = begin; it != end; ++it) {
                    if (!list.isEmpty())
                        list += QLatin1Char(',');
                    list += QString::number(*it);
                }
                return list;
            };
            // The current state of every sample the batch names (a bad id or label refuses it all).
            std::vector<qint64> ids;
            ids.reserve(decisions.size());
            for (std::size_t i = 0; i < decisions.size(); ++i) {
                const Decision &dec = decisions[i];
                if (dec.newLabel < -1 || dec.newLabel >= k)
                    return d->abort(w, error, step,
                                    QStringLiteral("decision %1: label %2 of sample %3 is outside "
                                                   "[-1, %4]; no decision was applied")
                                        .arg(i)
                                        .arg(dec.newLabel)
                                        .arg(dec.sampleId)
                                        .arg(k - 1));
                ids.push_back(dec.sampleId);
            }
            std::sort(ids.begin(), ids.end());
            ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
            struct State {
                int label = -1;
                int excluded = 0;
            };
            QHash<qint64, State> state;
            state.reserve(qsizetype(ids.size()));
            QSqlQuery q(w);
            q.setForwardOnly(true);
            for (std::size_t at = 0; at < ids.size(); at += kChunk) {
                const auto last = ids.begin() + qsizetype(std::min(ids.size(), at + kChunk));
                if (!q.exec(QStringLiteral("SELECT id, label, excluded FROM samples WHERE id IN (%1)")
                                .arg(idList(ids.begin() + qsizetype(at), last))))
                    return d->abortQuery(w, error, step, q);
                while (q.next())
                    state.insert(q.value(0).toLongLong(), {q.value(1).toInt(), q.value(2).toInt() != 0 ? 1 : 0});
                q.finish();
            }
            for (std::size_t i = 0; i < decisions.size(); ++i)
                if (!state.contains(decisions[i].sampleId))
                    return d->abort(w, error, step,
                                    QStringLiteral("decision %1: no sample with id %2; no decision "
                                                   "was applied")
                                        .arg(i)
                                        .arg(decisions[i].sampleId));

            // The events in batch order, each from the state the previous decisions left (a
            // sample may occur twice in one batch); column7 keeps that order for the ids.
            QSqlQuery ins(w);
            for (std::size_t at = 0; at < decisions.size(); at += kChunk) {
                const std::size_t end = std::min(decisions.size(), at + kChunk);
                QString values;
                values.reserve(int(end - at) * 40);
                for (std::size_t i = at; i < end; ++i) {
                    const Decision &dec = decisions[i];
                    State &st = state[dec.sampleId];
                    const int newExcluded = dec.excluded ? 1 : 0;
                    // (sample_id, old_label, new_label, old_excluded, new_excluded, 'reason', order)
                    values += i > at ? QLatin1String(",(") : QLatin1String("(");
                    values += QString::number(dec.sampleId);
                    values += QLatin1Char(',');
                    values += QString::number(st.label);
                    values += QLatin1Char(',');
                    values += QString::number(dec.newLabel);
                    values += st.excluded ? QLatin1String(",1,") : QLatin1String(",0,");
                    values += newExcluded ? QLatin1String("1,'") : QLatin1String("0,'");
                    values += reasons[i]; // one of five words (isDecisionReason)
                    values += QLatin1String("',");
                    values += QString::number(i);
                    values += QLatin1Char(')');
                    st = {dec.newLabel, newExcluded};
                }
                if (!ins.prepare(QStringLiteral(
                        "INSERT INTO label_events(sample_id, time, annotator, old_label, new_label,"
                        " old_excluded, new_excluded, reason, batch)"
                        " SELECT column1, ?, ?, column2, column3, column4, column5, column6, %2"
                        " FROM (VALUES %1) AS v ORDER BY column7")
                                     .arg(values)
                                     .arg(batch)))
                    return d->abortQuery(w, error, step, ins);
                ins.bindValue(0, time);
                ins.bindValue(1, notNull(annotator));
                if (!ins.exec())
                    return d->abortQuery(w, error, step + QStringLiteral(" (events)"), ins);
                ins.finish();
            }

            // The samples: the final state of each, one UPDATE per (label, excluded) and chunk.
            std::map<std::pair<int, int>, std::vector<qint64>> byFinal;
            for (const qint64 id : ids) {
                const State &st = state[id];
                byFinal[{st.label, st.excluded}].push_back(id);
            }
            for (const auto &[final, members] : byFinal)
                for (std::size_t at = 0; at < members.size(); at += kChunk) {
                    const auto last = members.begin() + qsizetype(std::min(members.size(), at + kChunk));
                    if (!q.exec(QStringLiteral("UPDATE samples SET label = %1, excluded = %2 WHERE id IN (%3)")
                                    .arg(final.first)
                                    .arg(final.second)
                                    .arg(idList(members.begin() + qsizetype(at), last))))
                        return d->abortQuery(w, error, step + QStringLiteral(" (samples)"), q);
                }
        }
        return d->commit(w, step, error, "labels");
    });
}

} // namespace labelscope
