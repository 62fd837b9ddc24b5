// ProjectStore's training runs: saving a run's results and reading scores, dynamics, embeddings.

#include "blobcodec.h"
#include "projectstore_p.h"

#include <QSysInfo>
#include <QtEndian>

#include <cmath>
#include <cstring>

namespace labelscope {

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

    if (!d->begin(step, error))
        return 0;
    qint64 runId = 0;
    {
        QSqlQuery q(d->db);
        q.prepare(QStringLiteral(
            "INSERT INTO runs(started, finished, status, settings, summary) VALUES (?, ?, ?, ?, ?)"));
        q.bindValue(0, isoTimeOrNull(run.started));
        q.bindValue(1, isoTimeOrNull(run.finished));
        q.bindValue(2, run.status);
        q.bindValue(3, toJson(run.settings));
        q.bindValue(4, toJson(run.summary));
        if (!q.exec()) {
            d->abortQuery(error, step + QStringLiteral(" (run row)"), q);
            return 0;
        }
        runId = q.lastInsertId().toLongLong();
        if (runId <= 0) {
            d->abort(error, step, QStringLiteral("no run id"));
            return 0;
        }
    }
    if (!run.scores.empty()) {
        QSqlQuery q(d->db);
        if (!q.prepare(QStringLiteral(
                "INSERT INTO scores(run_id, sample_id, noise_score, category, sigma, mean_prob,"
                " std_prob, mean_margin, pred_label, pred_prob, dp_score, cl_score, cl_issue,"
                " suggested_label, suggested_prob)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))) {
            d->abortQuery(error, step + QStringLiteral(" (scores)"), q);
            return 0;
        }
        const QString names[] = {categoryName(Category::Unknown), categoryName(Category::Easy),
                                 categoryName(Category::Hard), categoryName(Category::NeedReview)};
        q.bindValue(0, runId);
        for (const SampleScore &s : run.scores) {
            const int c = int(s.category);
            q.bindValue(1, s.sampleId);
            q.bindValue(2, double(s.noiseScore));
            q.bindValue(3, (c >= -1 && c <= 2) ? names[c + 1] : names[0]);
            q.bindValue(4, double(s.sigma));
            q.bindValue(5, double(s.meanProb));
            q.bindValue(6, double(s.stdProb));
            q.bindValue(7, double(s.meanMargin));
            q.bindValue(8, s.predLabel);
            q.bindValue(9, double(s.predProb));
            const QVariant nullReal(QMetaType::fromType<double>());
            q.bindValue(10, std::isnan(s.dpScore) ? nullReal : QVariant(double(s.dpScore)));
            q.bindValue(11, std::isnan(s.clScore) ? nullReal : QVariant(double(s.clScore)));
            q.bindValue(12, s.clIssue ? 1 : 0);
            q.bindValue(13, s.suggestedLabel);
            q.bindValue(14, double(s.suggestedProb));
            if (!q.exec()) {
                d->abortQuery(error, step + QStringLiteral(" (score of sample %1)").arg(s.sampleId), q);
                return 0;
            }
        }
    }
    if (n > 0) {
        QSqlQuery q(d->db);
        if (!q.prepare(QStringLiteral(
                "INSERT INTO dynamics(run_id, sample_id, epochs, sigma, prob_given, margin, predicted)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"))) {
            d->abortQuery(error, step + QStringLiteral(" (dynamics)"), q);
            return 0;
        }
        const std::size_t e = std::size_t(dyn.epochs);
        auto floats = [e](const std::vector<float> &v, std::size_t i) {
            return v.empty() ? QVariant(QMetaType::fromType<QByteArray>())
                             : QVariant(encodeLE(v.data() + i * e, e));
        };
        q.bindValue(0, runId);
        q.bindValue(2, dyn.epochs);
        for (std::size_t i = 0; i < n; ++i) {
            q.bindValue(1, dyn.sampleIds[i]);
            q.bindValue(3, floats(dyn.sigma, i));
            q.bindValue(4, floats(dyn.probGiven, i));
            q.bindValue(5, floats(dyn.margin, i));
            q.bindValue(6, dyn.predicted.empty()
                               ? QVariant(QMetaType::fromType<QByteArray>())
                               : QVariant(encodeLE(dyn.predicted.data() + i * e, e)));
            if (!q.exec()) {
                d->abortQuery(error,
                              step + QStringLiteral(" (dynamics of sample %1)").arg(dyn.sampleIds[i]),
                              q);
                return 0;
            }
        }
    }
    if (m > 0) {
        QSqlQuery q(d->db);
        if (!q.prepare(QStringLiteral("INSERT INTO embeddings(run_id, sample_id, vec) VALUES (?, ?, ?)"))) {
            d->abortQuery(error, step + QStringLiteral(" (embeddings)"), q);
            return 0;
        }
        const std::size_t dim = std::size_t(run.embeddingDim);
        q.bindValue(0, runId);
        for (std::size_t i = 0; i < m; ++i) {
            q.bindValue(1, run.embeddingIds[i]);
            q.bindValue(2, encodeLE(run.embeddings.data() + i * dim, dim));
            if (!q.exec()) {
                d->abortQuery(error,
                              step + QStringLiteral(" (embedding of sample %1)").arg(run.embeddingIds[i]),
                              q);
                return 0;
            }
        }
    }
    if (np > 0) {
        QSqlQuery q(d->db);
        if (!q.prepare(QStringLiteral("INSERT INTO pred_probs(run_id, sample_id, fold, probs) VALUES (?, ?, ?, ?)"))) {
            d->abortQuery(error, step + QStringLiteral(" (pred_probs)"), q);
            return 0;
        }
        const std::size_t k = std::size_t(oos.numClasses);
        q.bindValue(0, runId);
        for (std::size_t i = 0; i < np; ++i) {
            q.bindValue(1, oos.sampleIds[i]);
            q.bindValue(2, oos.folds[i]);
            q.bindValue(3, encodeLE(oos.probs.data() + i * k, k));
            if (!q.exec()) {
                d->abortQuery(error, step + QStringLiteral(" (pred_probs of sample %1)").arg(oos.sampleIds[i]), q);
                return 0;
            }
        }
    }
    for (const Layout &l : run.layouts) {
        if (!insertLayout(runId, l, step, error))
            return 0;
    }
    if (!d->commit(step, error))
        return 0;
    return runId;
}

bool ProjectStore::insertLayout(qint64 runId, const Layout &layout, const QString &step, QString *error)
{
    QSqlQuery q(d->db);
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO layouts(run_id, kind, sample_ids, xy, settings)"
                             " VALUES (?, ?, ?, ?, ?)"));
    q.bindValue(0, runId);
    q.bindValue(1, layout.kind);
    q.bindValue(2, encodeLE(layout.sampleIds.data(), layout.sampleIds.size()));
    q.bindValue(3, encodeLE(layout.xy.data(), layout.xy.size()));
    q.bindValue(4, toJson(layout.settings));
    if (!q.exec())
        return d->abortQuery(error, step + QStringLiteral(" (layout '%1')").arg(layout.kind), q);
    return true;
}

bool ProjectStore::saveLayout(qint64 runId, const Layout &layout, QString *error)
{
    if (!d->isOpen)
        return d->notOpen(error);
    const QString step = QStringLiteral("save layout '%1' of run %2").arg(layout.kind).arg(runId);
    if (layout.kind.isEmpty() || layout.xy.size() != 2 * layout.sampleIds.size())
        return d->fail(error, step, QStringLiteral("layout is not [%1, 2]").arg(layout.sampleIds.size()));
    {
        QSqlQuery q(d->db);
        q.prepare(QStringLiteral("SELECT 1 FROM runs WHERE id = ?"));
        q.bindValue(0, runId);
        if (!q.exec())
            return d->failQuery(error, step, q);
        if (!q.next())
            return d->fail(error, step, QStringLiteral("no such run"));
    }
    if (!d->begin(step, error))
        return false;
    if (!insertLayout(runId, layout, step, error))
        return false;
    return d->commit(step, error);
}

std::optional<Layout> ProjectStore::layout(qint64 runId, const QString &kind) const
{
    if (!d->isOpen)
        return std::nullopt;
    const QString step = QStringLiteral("read layout '%1' of run %2").arg(kind).arg(runId);
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sample_ids, xy, settings FROM layouts WHERE run_id = ? AND kind = ?"));
    q.bindValue(0, runId);
    q.bindValue(1, kind);
    if (!q.exec()) {
        d->failQuery(nullptr, step, q);
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    Layout l;
    l.kind = kind;
    if (!decodeLE(q.value(0), &l.sampleIds) || !decodeLE(q.value(1), &l.xy)
        || l.xy.size() != 2 * l.sampleIds.size()) {
        d->fail(nullptr, step, QStringLiteral("corrupt layout BLOB"));
        return std::nullopt;
    }
    l.settings = fromJson(q.value(2));
    return l;
}

bool ProjectStore::outOfSamplePredProbs(qint64 runId, OutOfSamplePredProbs *out) const
{
    *out = OutOfSamplePredProbs();
    if (!d->isOpen)
        return d->notOpen(nullptr);
    const QString step = QStringLiteral("read pred_probs of run %1").arg(runId);
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sample_id, fold, probs FROM pred_probs WHERE run_id = ? ORDER BY sample_id"));
    q.bindValue(0, runId);
    if (!q.exec())
        return d->failQuery(nullptr, step, q);
    while (q.next()) {
        const QByteArray b = q.value(2).toByteArray();
        const int k = int(b.size() / 4);
        if (b.size() % 4 != 0 || k < 2 || (out->numClasses > 0 && k != out->numClasses)) {
            *out = OutOfSamplePredProbs();
            return d->fail(nullptr, step, QStringLiteral("pred_probs BLOBs of inconsistent size"));
        }
        out->numClasses = k;
        out->sampleIds.push_back(q.value(0).toLongLong());
        out->folds.push_back(q.value(1).toInt());
        appendLE(b, &out->probs);
    }
    return true;
}

namespace {
const char kRunColumns[] = "SELECT id, started, finished, status, settings, summary FROM runs";

RunInfo readRunInfo(const QSqlQuery &q)
{
    RunInfo r;
    r.id = q.value(0).toLongLong();
    r.started = parseTime(q.value(1));
    r.finished = parseTime(q.value(2));
    r.status = q.value(3).toString();
    r.settings = fromJson(q.value(4));
    r.summary = fromJson(q.value(5));
    return r;
}
} // namespace

std::vector<RunInfo> ProjectStore::runs() const
{
    std::vector<RunInfo> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    if (!q.exec(QLatin1String(kRunColumns) + QStringLiteral(" ORDER BY id"))) {
        d->failQuery(nullptr, QStringLiteral("read runs"), q);
        return out;
    }
    while (q.next())
        out.push_back(readRunInfo(q));
    return out;
}

std::optional<RunInfo> ProjectStore::latestRun() const
{
    if (!d->isOpen)
        return std::nullopt;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    if (!q.exec(QLatin1String(kRunColumns)
                + QStringLiteral(" WHERE status = 'done' ORDER BY id DESC LIMIT 1"))) {
        d->failQuery(nullptr, QStringLiteral("read latest run"), q);
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return readRunInfo(q);
}

std::vector<SampleScore> ProjectStore::scores(qint64 runId) const
{
    std::vector<SampleScore> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sample_id, noise_score, category, sigma, mean_prob, std_prob,"
                             " mean_margin, pred_label, pred_prob, dp_score, cl_score, cl_issue,"
                             " suggested_label, suggested_prob FROM scores WHERE run_id = ?"
                             " ORDER BY sample_id"));
    q.bindValue(0, runId);
    if (!q.exec()) {
        d->failQuery(nullptr, QStringLiteral("read scores of run %1").arg(runId), q);
        return out;
    }
    const QString easy = categoryName(Category::Easy), hard = categoryName(Category::Hard),
                  review = categoryName(Category::NeedReview);
    while (q.next()) {
        SampleScore s;
        s.sampleId = q.value(0).toLongLong();
        s.noiseScore = float(q.value(1).toDouble());
        const QString c = q.value(2).toString();
        s.category = c == easy     ? Category::Easy
                     : c == hard   ? Category::Hard
                     : c == review ? Category::NeedReview
                                   : Category::Unknown;
        s.sigma = float(q.value(3).toDouble());
        s.meanProb = float(q.value(4).toDouble());
        s.stdProb = float(q.value(5).toDouble());
        s.meanMargin = float(q.value(6).toDouble());
        s.predLabel = q.value(7).toInt();
        s.predProb = float(q.value(8).toDouble());
        if (!q.value(9).isNull())
            s.dpScore = float(q.value(9).toDouble());
        if (!q.value(10).isNull())
            s.clScore = float(q.value(10).toDouble());
        s.clIssue = q.value(11).toInt() != 0;
        s.suggestedLabel = q.value(12).toInt();
        s.suggestedProb = float(q.value(13).toDouble());
        out.push_back(s);
    }
    return out;
}

std::optional<Trajectory> ProjectStore::trajectory(qint64 runId, qint64 sampleId) const
{
    if (!d->isOpen)
        return std::nullopt;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT epochs, sigma, prob_given, margin, predicted FROM dynamics"
                             " WHERE run_id = ? AND sample_id = ?"));
    q.bindValue(0, runId);
    q.bindValue(1, sampleId);
    if (!q.exec()) {
        d->failQuery(nullptr, QStringLiteral("read trajectory of sample %1 in run %2")
                                  .arg(sampleId)
                                  .arg(runId),
                     q);
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    Trajectory t;
    std::vector<qint16> predicted;
    const std::size_t e = std::size_t(q.value(0).toInt());
    if (!decodeLE(q.value(1), &t.sigma) || !decodeLE(q.value(2), &t.probGiven)
        || !decodeLE(q.value(3), &t.margin) || !decodeLE(q.value(4), &predicted)
        || (!t.sigma.empty() && t.sigma.size() != e) || (!t.probGiven.empty() && t.probGiven.size() != e)
        || (!t.margin.empty() && t.margin.size() != e) || (!predicted.empty() && predicted.size() != e)) {
        d->fail(nullptr, QStringLiteral("read trajectory of sample %1 in run %2").arg(sampleId).arg(runId),
                QStringLiteral("corrupt dynamics BLOB"));
        return std::nullopt;
    }
    t.predicted.assign(predicted.begin(), predicted.end());
    return t;
}

bool ProjectStore::embeddings(qint64 runId, std::vector<qint64> *ids, std::vector<float> *data,
                              int *dim) const
{
    if (ids)
        ids->clear();
    if (data)
        data->clear();
    if (dim)
        *dim = 0;
    if (!d->isOpen)
        return d->notOpen(nullptr);
    const QString step = QStringLiteral("read embeddings of run %1").arg(runId);
    {
        QSqlQuery q(d->db);
        q.setForwardOnly(true);
        q.prepare(QStringLiteral("SELECT 1 FROM runs WHERE id = ?"));
        q.bindValue(0, runId);
        if (!q.exec())
            return d->failQuery(nullptr, step, q);
        if (!q.next())
            return d->fail(nullptr, step, QStringLiteral("no such run"));
    }
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sample_id, vec FROM embeddings WHERE run_id = ? ORDER BY sample_id"));
    q.bindValue(0, runId);
    if (!q.exec())
        return d->failQuery(nullptr, step, q);
    int d0 = -1;
    std::vector<qint64> outIds;
    std::vector<float> outData;
    while (q.next()) {
        const QByteArray b = q.value(1).toByteArray();
        if (b.size() % 4 != 0 || b.isEmpty() || (d0 >= 0 && b.size() / 4 != d0))
            return d->fail(nullptr, step, QStringLiteral("embedding BLOBs of inconsistent size"));
        d0 = int(b.size() / 4);
        outIds.push_back(q.value(0).toLongLong());
        appendLE(b, &outData);
    }
    if (ids)
        *ids = std::move(outIds);
    if (data)
        *data = std::move(outData);
    if (dim)
        *dim = d0 < 0 ? 0 : d0;
    return true;
}

} // namespace labelscope
