// ProjectStore's writing of analysis runs: saveRun() in short transactions under the status
// "writing" (shown in a last short one), saveLayout(), and the removal of runs a killed process
// left "writing".

#include "blobcodec.h"
#include "projectstore_p.h"

#include <QElapsedTimer>

#include <cmath>
#include <functional>

namespace labelscope {

namespace {

const QString &writingStatus()
{
    static const QString s = QStringLiteral("writing");
    return s;
}

// The rows of one table of a run, written a chunk at a time. SQL inserts one row, with the run id
// as its first placeholder; bind(q, base, i) binds row i's other values at base + 1, base + 2, ...
// (base + 0 is the run id). multiRow: the rows go in statements of kRowsPerStatement rows
// (projectstore_p.h).
struct Section {
    QString sql;
    std::size_t count = 0;
    std::function<void(QSqlQuery &q, int base, std::size_t i)> bind;
    std::function<QString(std::size_t i)> what; // "score of sample 12", for errors
    bool multiRow = true;
};

// The tables that hold a run's rows, with a column that tells the rows of one run apart.
const std::pair<const char *, const char *> kRunTables[] = {
    {"scores", "sample_id"}, {"dynamics", "sample_id"}, {"embeddings", "sample_id"},
    {"pred_probs", "sample_id"}, {"layouts", "kind"}};

// Deletes RUN_ID's rows (a run with status "writing" only) for about one chunk's time in one
// transaction, the run row itself last. 1 = the run is gone, 0 = rows remain, -1 = error.
int deleteRunChunk(QSqlDatabase &w, qint64 runId, QString *detail)
{
    if (!StoreWriter::beginImmediate(w, detail))
        return -1;
    auto failed = [&](const QSqlQuery &q) {
        *detail = sqlError(q.lastError());
        QSqlQuery(w).exec(QStringLiteral("ROLLBACK"));
        return -1;
    };
    QSqlQuery status(w);
    status.prepare(QStringLiteral("SELECT status FROM runs WHERE id = ?"));
    status.bindValue(0, runId);
    if (!status.exec())
        return failed(status);
    if (!status.next() || status.value(0).toString() != writingStatus()) {
        QSqlQuery(w).exec(QStringLiteral("ROLLBACK"));
        return 1; // gone already, or finished by its writer after all: not ours to delete
    }
    status.finish();
    QElapsedTimer t;
    t.start();
    for (const auto &[table, key] : kRunTables) {
        QSqlQuery q(w);
        q.prepare(QStringLiteral("DELETE FROM %1 WHERE run_id = ? AND %2 IN (SELECT %2 FROM %1 WHERE"
                                 " run_id = ? LIMIT 2000)")
                      .arg(QLatin1String(table), QLatin1String(key)));
        for (;;) {
            q.bindValue(0, runId);
            q.bindValue(1, runId);
            if (!q.exec())
                return failed(q);
            if (q.numRowsAffected() <= 0)
                break;
            if (t.elapsed() >= StoreWriter::kChunkMs) {
                QSqlQuery commit(w);
                return commit.exec(QStringLiteral("COMMIT")) ? 0 : failed(commit);
            }
        }
    }
    QSqlQuery q(w);
    q.prepare(QStringLiteral("DELETE FROM runs WHERE id = ?"));
    q.bindValue(0, runId);
    if (!q.exec())
        return failed(q);
    QSqlQuery commit(w);
    return commit.exec(QStringLiteral("COMMIT")) ? 1 : failed(commit);
}

bool isThisProcess(const QJsonObject &identity)
{
    return identity == StoreWriter::processIdentity();
}

// Removes, a chunk per task, the runs left "writing" by a process that is gone (or by this one
// when it no longer writes them: a failed saveRun whose removal failed too). Runs on the writer.
void cleanAbandonedRuns(StoreWriter *writer, QSqlDatabase &w)
{
    QSqlQuery q(w);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT id, summary FROM runs WHERE status = 'writing' ORDER BY id")))
        return; // tried again at the next open
    qint64 victim = 0;
    while (q.next() && victim == 0) {
        const qint64 id = q.value(0).toLongLong();
        const QJsonObject owner = fromJson(q.value(1)).value(QStringLiteral("writer")).toObject();
        if (writer->isWriting(id))
            continue;
        if (isThisProcess(owner) || StoreWriter::processIsGone(owner))
            victim = id;
    }
    q.finish();
    if (victim == 0)
        return;
    QString detail;
    const int r = deleteRunChunk(w, victim, &detail);
    if (r < 0) {
        qWarning("labelscope: could not remove the abandoned run %lld: %s", victim, qPrintable(detail));
        return;
    }
    // One chunk per task, so that decisions queued meanwhile go first.
    writer->post(StoreWriter::Priority::Bulk, [writer](QSqlDatabase &next) { cleanAbandonedRuns(writer, next); });
}

} // namespace

void ProjectStore::scheduleAbandonedRunCleanup()
{
    StoreWriter *writer = d->writer.get(); // posted tasks run only while the writer lives
    if (writer)
        writer->post(StoreWriter::Priority::Bulk, [writer](QSqlDatabase &w) { cleanAbandonedRuns(writer, w); });
}

qint64 ProjectStore::saveRun(const RunRecord &run, QString *error)
{
    if (!d->isOpen) {
        d->notOpen(error);
        return 0;
    }
    const QString step = QStringLiteral("save run");
    auto failed = [&](const QString &detail) {
        d->fail(error, step, detail);
        return qint64(0);
    };
    if (run.status.isEmpty())
        return failed(QStringLiteral("the run has no status"));
    if (run.status == writingStatus())
        return failed(QStringLiteral("the status '%1' is reserved for a run being written").arg(run.status));
    const Dynamics &dyn = run.dynamics;
    const std::size_t n = dyn.sampleIds.size();
    if (n > 0) {
        if (dyn.epochs <= 0)
            return failed(QStringLiteral("dynamics of %1 samples with %2 epochs").arg(n).arg(dyn.epochs));
        const std::size_t ne = n * std::size_t(dyn.epochs);
        auto okSize = [ne](std::size_t s) { return s == ne || s == 0; };
        if (!okSize(dyn.sigma.size()) || !okSize(dyn.probGiven.size()) || !okSize(dyn.margin.size())
            || !okSize(dyn.predicted.size()))
            return failed(QStringLiteral("dynamics arrays are not [%1, %2]").arg(n).arg(dyn.epochs));
    }
    const std::size_t m = run.embeddingIds.size();
    if (m > 0 && (run.embeddingDim <= 0 || run.embeddings.size() != m * std::size_t(run.embeddingDim)))
        return failed(QStringLiteral("embeddings are not [%1, %2] (%3 values)")
                          .arg(m)
                          .arg(run.embeddingDim)
                          .arg(run.embeddings.size()));
    const OutOfSamplePredProbs &oos = run.predProbs;
    const std::size_t np = oos.sampleIds.size();
    if (np > 0 && (oos.numClasses < 2 || oos.folds.size() != np
                   || oos.probs.size() != np * std::size_t(oos.numClasses)))
        return failed(QStringLiteral("out-of-sample pred_probs are not [%1, %2] with %3 folds")
                          .arg(np)
                          .arg(oos.numClasses)
                          .arg(oos.folds.size()));
    for (const Layout &l : run.layouts)
        if (l.kind.isEmpty() || l.xy.size() != 2 * l.sampleIds.size())
            return failed(QStringLiteral("layout '%1' is not [%2, 2]").arg(l.kind).arg(l.sampleIds.size()));

    std::vector<Section> sections;
    {
        const QString names[] = {categoryName(Category::Unknown), categoryName(Category::Easy),
                                 categoryName(Category::Hard), categoryName(Category::NeedReview)};
        sections.push_back(
            {QStringLiteral("INSERT INTO scores(run_id, sample_id, noise_score, category, sigma, mean_prob,"
                            " std_prob, mean_margin, pred_label, pred_prob, dp_score, cl_score, cl_issue,"
                            " suggested_label, suggested_prob)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
             run.scores.size(),
             [&run, names](QSqlQuery &q, int base, std::size_t i) {
                 const SampleScore &s = run.scores[i];
                 const int c = int(s.category);
                 const QVariant nullReal(QMetaType::fromType<double>());
                 q.bindValue(base + 1, s.sampleId);
                 q.bindValue(base + 2, double(s.noiseScore));
                 q.bindValue(base + 3, (c >= -1 && c <= 2) ? names[c + 1] : names[0]);
                 q.bindValue(base + 4, double(s.sigma));
                 q.bindValue(base + 5, double(s.meanProb));
                 q.bindValue(base + 6, double(s.stdProb));
                 q.bindValue(base + 7, double(s.meanMargin));
                 q.bindValue(base + 8, s.predLabel);
                 q.bindValue(base + 9, double(s.predProb));
                 q.bindValue(base + 10, std::isnan(s.dpScore) ? nullReal : QVariant(double(s.dpScore)));
                 q.bindValue(base + 11, std::isnan(s.clScore) ? nullReal : QVariant(double(s.clScore)));
                 q.bindValue(base + 12, s.clIssue ? 1 : 0);
                 q.bindValue(base + 13, s.suggestedLabel);
                 q.bindValue(base + 14, double(s.suggestedProb));
             },
             [&run](std::size_t i) { return QStringLiteral("score of sample %1").arg(run.scores[i].sampleId); }});
    }
    const std::size_t e = n > 0 ? std::size_t(dyn.epochs) : 0;
    auto floats = [e](const std::vector<float> &v, std::size_t i) {
        return v.empty() ? QVariant(QMetaType::fromType<QByteArray>()) : QVariant(encodeLE(v.data() + i * e, e));
    };
    sections.push_back(
        {QStringLiteral("INSERT INTO dynamics(run_id, sample_id, epochs, sigma, prob_given, margin, predicted)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)"),
         n,
         [&dyn, e, floats](QSqlQuery &q, int base, std::size_t i) {
             q.bindValue(base + 1, dyn.sampleIds[i]);
             q.bindValue(base + 2, dyn.epochs);
             q.bindValue(base + 3, floats(dyn.sigma, i));
             q.bindValue(base + 4, floats(dyn.probGiven, i));
             q.bindValue(base + 5, floats(dyn.margin, i));
             q.bindValue(base + 6, dyn.predicted.empty() ? QVariant(QMetaType::fromType<QByteArray>())
                                                  : QVariant(encodeLE(dyn.predicted.data() + i * e, e)));
         },
         [&dyn](std::size_t i) { return QStringLiteral("dynamics of sample %1").arg(dyn.sampleIds[i]); }});
    sections.push_back(
        {QStringLiteral("INSERT INTO embeddings(run_id, sample_id, vec) VALUES (?, ?, ?)"), m,
         [&run](QSqlQuery &q, int base, std::size_t i) {
             const std::size_t dim = std::size_t(run.embeddingDim);
             q.bindValue(base + 1, run.embeddingIds[i]);
             q.bindValue(base + 2, encodeLE(run.embeddings.data() + i * dim, dim));
         },
         [&run](std::size_t i) { return QStringLiteral("embedding of sample %1").arg(run.embeddingIds[i]); }});
    sections.push_back(
        {QStringLiteral("INSERT INTO pred_probs(run_id, sample_id, fold, probs) VALUES (?, ?, ?, ?)"), np,
         [&oos](QSqlQuery &q, int base, std::size_t i) {
             const std::size_t k = std::size_t(oos.numClasses);
             q.bindValue(base + 1, oos.sampleIds[i]);
             q.bindValue(base + 2, oos.folds[i]);
             q.bindValue(base + 3, encodeLE(oos.probs.data() + i * k, k));
         },
         [&oos](std::size_t i) { return QStringLiteral("pred_probs of sample %1").arg(oos.sampleIds[i]); }});
    sections.push_back(
        {QStringLiteral("INSERT INTO layouts(run_id, kind, sample_ids, xy, settings) VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT(run_id, kind) DO UPDATE SET sample_ids = excluded.sample_ids, xy = excluded.xy,"
                                 " settings = excluded.settings"),
         run.layouts.size(),
         [&run](QSqlQuery &q, int base, std::size_t i) {
             const Layout &l = run.layouts[i];
             q.bindValue(base + 1, l.kind);
             q.bindValue(base + 2, encodeLE(l.sampleIds.data(), l.sampleIds.size()));
             q.bindValue(base + 3, encodeLE(l.xy.data(), l.xy.size()));
             q.bindValue(base + 4, toJson(l.settings));
         },
         [&run](std::size_t i) { return QStringLiteral("layout '%1'").arg(run.layouts[i].kind); },
         false}); // few rows, and ON CONFLICT needs one row per statement

    // 1. The run row, not shown yet ("writing"), naming this process so that a later store can
    //    tell a run whose writer was killed from one still being written.
    qint64 runId = 0;
    if (!d->write(StoreWriter::Priority::Normal, step, error, [&](QSqlDatabase &w) {
            if (!d->begin(w, step, error))
                return false;
            QSqlQuery q(w);
            q.prepare(QStringLiteral(
                "INSERT INTO runs(started, finished, status, settings, summary) VALUES (?, ?, ?, ?, ?) RETURNING id"));
            q.bindValue(0, isoTimeOrNull(run.started));
            q.bindValue(1, isoTimeOrNull(run.finished));
            q.bindValue(2, writingStatus());
            q.bindValue(3, toJson(run.settings));
            q.bindValue(4, toJson(QJsonObject{{QStringLiteral("writer"), StoreWriter::processIdentity()}}));
            if (!q.exec())
                return d->abortQuery(w, error, step + QStringLiteral(" (run row)"), q);
            runId = q.next() ? q.value(0).toLongLong() : 0; // RETURNING id (SQLite >= 3.35)
            q.finish(); // the statement must be done before COMMIT (SQLite)
            if (runId <= 0)
                return d->abort(w, error, step, QStringLiteral("no run id"));
            if (!d->commit(w, step, error))
                return false;
            d->writer->setWriting(runId, true);
            return true;
        }))
        return 0;

    // A failed run is removed again (in chunks, decisions passing between them); if that fails
    // too, it stays "writing", unseen, and a later open removes it.
    auto discard = [&] {
        for (int r = 0; r == 0;) {
            QString ignored;
            d->writer->run(StoreWriter::Priority::Normal, [&](QSqlDatabase &w) {
                r = deleteRunChunk(w, runId, &ignored);
                return r >= 0;
            });
        }
        d->writer->setWriting(runId, false);
        return qint64(0);
    };

    // 2. The rows, one short transaction at a time (about kChunkMs each).
    std::size_t section = 0, row = 0;
    while (section < sections.size()) {
        const bool ok = d->write(StoreWriter::Priority::Bulk, step, error, [&](QSqlDatabase &w) {
            if (!d->begin(w, step, error))
                return false;
            QElapsedTimer t;
            t.start();
            bool full = false;
            while (!full && section < sections.size()) {
                const Section &s = sections[section];
                if (row >= s.count) {
                    ++section;
                    row = 0;
                    continue;
                }
                // Statements of up to kRowsPerStatement rows (one when !multiRow).
                const std::size_t per = s.multiRow ? kRowsPerStatement : 1;
                MultiRowInsert insert(w, s.sql);
                while (row < s.count && !full) {
                    const std::size_t rows = std::min(per, s.count - row);
                    if (!insert.prepare(rows))
                        return d->abortQuery(w, error, step, insert.query);
                    for (std::size_t r = 0; r < rows; ++r) {
                        insert.query.bindValue(insert.base(r), runId);
                        s.bind(insert.query, insert.base(r), row + r);
                    }
                    if (!insert.query.exec())
                        return d->abortQuery(w, error,
                                             step + (rows == 1 ? QStringLiteral(" (%1)").arg(s.what(row))
                                                               : QStringLiteral(" (one of %1 … %2)").arg(s.what(row), s.what(row + rows - 1))),
                                             insert.query);
                    row += rows;
                    full = t.elapsed() >= StoreWriter::kChunkMs;
                }
            }
            return d->commit(w, step, error);
        });
        if (!ok)
            return discard();
    }

    // 3. Shown: its status and summary in one short transaction.
    const bool shown = d->write(StoreWriter::Priority::Normal, step, error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, error))
            return false;
        QSqlQuery q(w);
        q.prepare(QStringLiteral("UPDATE runs SET status = ?, summary = ? WHERE id = ? AND status = ?"));
        q.bindValue(0, run.status);
        q.bindValue(1, toJson(run.summary));
        q.bindValue(2, runId);
        q.bindValue(3, writingStatus());
        if (!q.exec())
            return d->abortQuery(w, error, step + QStringLiteral(" (status)"), q);
        if (q.numRowsAffected() != 1)
            return d->abort(w, error, step, QStringLiteral("run %1 was removed while it was written").arg(runId));
        return d->commit(w, step, error, "runs");
    });
    if (!shown)
        return discard();
    d->writer->setWriting(runId, false);
    return runId;
}

bool ProjectStore::saveLayout(qint64 runId, const Layout &layout, QString *error)
{
    const QString step = QStringLiteral("save layout '%1' of run %2").arg(layout.kind).arg(runId);
    if (d->isOpen && (layout.kind.isEmpty() || layout.xy.size() != 2 * layout.sampleIds.size()))
        return d->fail(error, step, QStringLiteral("layout is not [%1, 2]").arg(layout.sampleIds.size()));
    return d->write(StoreWriter::Priority::Normal, step, error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, error))
            return false;
        {
            QSqlQuery q(w);
            q.prepare(QStringLiteral("SELECT 1 FROM runs WHERE id = ? AND status != ?"));
            q.bindValue(0, runId);
            q.bindValue(1, writingStatus());
            if (!q.exec())
                return d->abortQuery(w, error, step, q);
            if (!q.next())
                return d->abort(w, error, step, QStringLiteral("no such run"));
        }
        QSqlQuery q(w);
        q.prepare(QStringLiteral("INSERT INTO layouts(run_id, kind, sample_ids, xy, settings)"
                                 " VALUES (?, ?, ?, ?, ?)"
                                 " ON CONFLICT(run_id, kind) DO UPDATE SET sample_ids = excluded.sample_ids, xy = excluded.xy,"
                                 " settings = excluded.settings"));
        q.bindValue(0, runId);
        q.bindValue(1, layout.kind);
        q.bindValue(2, encodeLE(layout.sampleIds.data(), layout.sampleIds.size()));
        q.bindValue(3, encodeLE(layout.xy.data(), layout.xy.size()));
        q.bindValue(4, toJson(layout.settings));
        if (!q.exec())
            return d->abortQuery(w, error, step + QStringLiteral(" (layout '%1')").arg(layout.kind), q);
        return d->commit(w, step, error);
    });
}

} // namespace labelscope
