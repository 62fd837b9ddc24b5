#include "similaritysearch.h"

#include "reviewsession.h"
#include "uicommon.h"

#include "jobs/jobrunner.h"

#include "base/projectstore.h"
#include "ml/similarity.h"

#include <QPointer>

#include <unordered_map>

namespace labelscope::ui {

struct SimilaritySearch::Built {
    QString file;
    qint64 runId = 0;
    SimilarityIndex index;
    std::vector<qint64> ids;                   // row -> sample id
    std::unordered_map<qint64, std::int64_t> rowOf;
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
        return;
    m_building = true;
    const QString file = m_session->fileName();
    const qint64 runId = m_session->runId();
    Q_EMIT indexingStarted();
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
        if (!m_pending.isEmpty() && m_session->isOpen())
            request(m_pending, m_pendingK); // the project changed meanwhile: index the new one
        return;
    }
    if (!result) {
        m_index.reset();
        Q_EMIT failed(tr("Find similar: %1").arg(result.error()));
        return;
    }
    m_index = std::move(result).value();
    if (!m_pending.isEmpty())
        answer();
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
