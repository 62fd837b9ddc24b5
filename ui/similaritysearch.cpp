#include "similaritysearch.h"

#include "reviewsession.h"
#include "uicommon.h"

#include "jobs/jobrunner.h"

#include "base/projectstore.h"
#include "ml/similarity.h"

#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

#include <unordered_map>

namespace labelscope::ui {

struct SimilaritySearch::Built {
    QString file;
    qint64 runId = 0;
    SimilarityIndex index;
    std::vector<qint64> ids;                   // row -> sample id
    std::unordered_map<qint64, std::int64_t> rowOf;
    // Evidence: per row, the given label of its sample when the run called it easy (else -1),
    // filled from the session at the first evidence request (GUI thread).
    std::vector<int> easyClass;
};

namespace {
const QString kIndexJob = QStringLiteral("similarity index");
}

SimilaritySearch::SimilaritySearch(ReviewSession *session, QObject *parent) : QObject(parent), m_session(session)
{
    connect(m_session, &ReviewSession::reloaded, this, &SimilaritySearch::reset);
}

SimilaritySearch::~SimilaritySearch()
{
    if (m_building)
        jobRunnerFor(this)->cancel(kIndexJob);
}

bool SimilaritySearch::isReady() const
{
    return m_index && m_index->file == m_session->fileName()
        && m_index->runId == m_session->runId();
}

void SimilaritySearch::reset()
{
    m_index.reset();
    m_failedFile.clear();
    m_failedRun = -1;
    if (m_building)
        jobRunnerFor(this)->cancel(kIndexJob); // onBuilt() drops the stale result
}

void SimilaritySearch::request(const QVector<qint64> &sampleIds, int k)
{
    if (sampleIds.isEmpty() || !m_session->isOpen())
        return;
    if (m_session->runId() <= 0) {
        Q_EMIT failed(tr("Find similar needs an analysis run (its embeddings)."));
        return;
    }
    m_pending = sampleIds;
    m_pendingK = k;
    if (isReady()) {
        answer();
        return;
    }
    if (m_building)
        Q_EMIT indexingStarted(); // started for the evidence: Find similar waits for it too
    else
        ensureIndex();
}

void SimilaritySearch::ensureIndex()
{
    if (m_building || isReady())
        return;
    m_building = true;
    const QString file = m_session->fileName();
    const qint64 runId = m_session->runId();
    if (!m_pending.isEmpty())
        Q_EMIT indexingStarted(); // Find similar waits; the evidence says so in the panel
    QPointer<SimilaritySearch> self(this);
    jobRunnerFor(this)->start<std::shared_ptr<Built>>(
        kIndexJob,
        [file, runId](JobContext &context) {
            using R = Result<std::shared_ptr<Built>>;
            auto built = std::make_shared<Built>();
            built->file = file;
            built->runId = runId;
            ProjectStore store; // this thread's own connection
            std::vector<float> data;
            int dim = 0;
            QString error;
            if (!store.open(file, &error))
                return R::failure(error);
            if (!store.embeddings(runId, &built->ids, &data, &dim))
                return R::failure(store.lastError());
            if (built->ids.empty() || dim <= 0)
                return R::failure(QStringLiteral("Run %1 of %2 stored no embeddings.").arg(runId).arg(file));
            if (!built->index.build(data.data(), std::int64_t(built->ids.size()), dim, &error, &context.cancelFlag()))
                return context.isCancelled() ? R::cancelled() : R::failure(error);
            for (std::size_t r = 0; r < built->ids.size(); ++r)
                built->rowOf.emplace(built->ids[r], std::int64_t(r));
            return R(std::move(built));
        },
        [self](Result<std::shared_ptr<Built>> result) {
            if (self)
                self->onBuilt(std::move(result));
        });
}

void SimilaritySearch::onBuilt(Result<std::shared_ptr<Built>> result)
{
    m_building = false;
    if (result.isCancelled() || (result && (result.value()->file != m_session->fileName() || result.value()->runId != m_session->runId()))) {
        // The project changed meanwhile: index the new one.
        if ((!m_pending.isEmpty() || m_evidenceAsk) && m_session->isOpen() && m_session->runId() > 0)
            ensureIndex();
        return;
    }
    if (!result) {
        m_index.reset();
        m_failedFile = m_session->fileName();
        m_failedRun = m_session->runId();
        m_failure = result.error();
        if (!m_pending.isEmpty()) {
            m_pending.clear();
            Q_EMIT failed(tr("Find similar: %1").arg(result.error()));
        }
        if (m_evidenceAsk)
            failEvidence(result.error());
        return;
    }
    m_index = std::move(result).value();
    if (!m_pending.isEmpty())
        answer();
    if (m_evidenceAsk)
        answerEvidence();
}

void SimilaritySearch::requestEvidence(qint64 sampleId, int classA, int classB, int perClass, int neighbours)
{
    ++m_evidenceGeneration; // an answer still on its way is for an older sample
    m_evidenceAsk = EvidenceAsk{sampleId, classA, classB, perClass, neighbours};
    if (!m_session->isOpen() || m_session->runId() <= 0) {
        failEvidence(tr("no analysis run"));
        return;
    }
    if (isReady()) {
        answerEvidence();
        return;
    }
    if (m_failedFile == m_session->fileName() && m_failedRun == m_session->runId()) {
        failEvidence(m_failure);
        return;
    }
    ensureIndex();
}

QString SimilaritySearch::indexFailure() const
{
    return m_failedFile == m_session->fileName() && m_failedRun == m_session->runId() ? m_failure : QString();
}

void SimilaritySearch::failEvidence(const QString &message)
{
    SampleEvidence e;
    e.sampleId = m_evidenceAsk ? m_evidenceAsk->id : -1;
    e.classA = m_evidenceAsk ? m_evidenceAsk->classA : -1;
    e.classB = m_evidenceAsk ? m_evidenceAsk->classB : -1;
    e.error = message;
    m_evidenceAsk.reset();
    Q_EMIT evidenceReady(e);
}

void SimilaritySearch::answerEvidence()
{
    const EvidenceAsk ask = *m_evidenceAsk;
    m_evidenceAsk.reset();
    std::shared_ptr<Built> built = m_index;
    const auto it = built->rowOf.find(ask.id);
    if (it == built->rowOf.end()) {
        m_evidenceAsk = ask;
        failEvidence(tr("this sample has no embedding in run %1 (a test sample?)").arg(built->runId));
        return;
    }
    if (built->easyClass.size() != built->ids.size()) {
        built->easyClass.assign(built->ids.size(), -1);
        for (std::size_t r = 0; r < built->ids.size(); ++r) {
            const int i = m_session->indexOf(built->ids[r]);
            if (i >= 0 && m_session->category(i) == Category::Easy)
                built->easyClass[r] = m_session->row(i).givenLabel;
        }
    }
    const std::int64_t row = it->second;
    const quint64 generation = m_evidenceGeneration;
    // Three exact searches over up to N rows: tens of milliseconds at 60,000 samples, so off the
    // GUI thread (FAISS's const searches may run beside Find similar's).
    QFuture<SampleEvidence> future = QtConcurrent::run([built, ask, row] {
        SampleEvidence e;
        e.sampleId = ask.id;
        e.classA = ask.classA;
        e.classB = ask.classB;
        const auto toIds = [&built](const std::vector<SimilarityIndex::Neighbour> &hits) {
            QVector<qint64> ids;
            for (const SimilarityIndex::Neighbour &h : hits)
                if (h.row >= 0 && h.row < std::int64_t(built->ids.size()))
                    ids.push_back(built->ids[std::size_t(h.row)]);
            return ids;
        };
        const auto easyOf = [&](int c) {
            if (c < 0)
                return QVector<qint64>();
            std::vector<std::uint8_t> allowed(built->easyClass.size());
            for (std::size_t r = 0; r < allowed.size(); ++r)
                allowed[r] = built->easyClass[r] == c ? 1 : 0;
            return toIds(built->index.nearestToRowAmong(row, ask.perClass, allowed));
        };
        e.nearA = easyOf(ask.classA);
        e.nearB = ask.classB == ask.classA ? QVector<qint64>() : easyOf(ask.classB);
        e.neighbours = toIds(built->index.nearestToRow(row, ask.neighbours));
        return e;
    });
    m_evidenceWatcher.disconnect(this);
    connect(&m_evidenceWatcher, &QFutureWatcher<SampleEvidence>::finished, this, [this, generation] {
        if (generation != m_evidenceGeneration)
            return; // a newer sample was asked for meanwhile
        Q_EMIT evidenceReady(m_evidenceWatcher.result());
    });
    m_evidenceWatcher.setFuture(future);
}

void SimilaritySearch::answer()
{
    const QVector<qint64> ids = m_pending;
    m_pending.clear();
    std::vector<std::int64_t> rows;
    QVector<qint64> query;
    for (qint64 id : ids) {
        const auto it = m_index->rowOf.find(id);
        if (it != m_index->rowOf.end()) {
            rows.push_back(it->second);
            query.push_back(id);
        }
    }
    if (rows.empty()) {
        Q_EMIT failed(tr("Find similar: the selected samples have no embedding in run %1 (test split?).")
                          .arg(m_index->runId));
        return;
    }
    const std::vector<SimilarityIndex::Neighbour> hits =
        rows.size() == 1 ? m_index->index.nearestToRow(rows.front(), m_pendingK)
                         : m_index->index.nearestToMean(rows, m_pendingK);
    QVector<qint64> neighbours;
    QVector<float> distances;
    for (const SimilarityIndex::Neighbour &h : hits) {
        if (h.row < 0 || h.row >= std::int64_t(m_index->ids.size()))
            continue;
        neighbours.push_back(m_index->ids[std::size_t(h.row)]);
        distances.push_back(h.distance);
    }
    Q_EMIT resultsReady(query, neighbours, distances);
}

} // namespace labelscope::ui
