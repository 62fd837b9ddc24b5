// ProjectStore's training runs: reading runs, scores, dynamics, embeddings, layouts (saving them:
// projectrunsave.cpp).

#include "blobcodec.h"
#include "projectstore_p.h"

#include <QSysInfo>
#include <QtEndian>

#include <cmath>
#include <cstring>

namespace labelscope {

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
    // A run being written (or left half-written by a killed process) is not a run yet.
    if (!q.exec(QLatin1String(kRunColumns) + QStringLiteral(" WHERE status != 'writing' ORDER BY id"))) {
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
