#pragma once
// SimilaritySearch: "Find similar" for the review window. Indexes the latest run's embeddings
// with core's SimilarityIndex (core/ml/similarity.h, FAISS) the first time it is asked — off the
// GUI thread, with its own ProjectStore connection — then answers each request with the k
// samples nearest to one sample or to a selection's mean embedding, nearest first. Glue only.

#include "base/result.h"

#include <QObject>
#include <QVector>

#include <atomic>
#include <memory>
#include <vector>

namespace labelscope {
class SimilarityIndex;
}

namespace labelscope::ui {

class ReviewSession;

class SimilaritySearch : public QObject {
    Q_OBJECT
public:
    explicit SimilaritySearch(ReviewSession *session, QObject *parent = nullptr);
    ~SimilaritySearch() override;

    /// Asks for the K samples nearest to SAMPLEIDS (one sample, or the mean of several). The
    /// answer comes through resultsReady() or failed(); a request made while the index is being
    /// built is answered when it is ready (a newer request replaces an older one).
    void request(const QVector<qint64> &sampleIds, int k = 200);
    bool isIndexing() const { return m_building; }
    bool isReady() const;
    /// Forgets the index (another project or run).
    void reset();

Q_SIGNALS:
    /// QUERY: the asked ids (those in the index); NEIGHBOURS: nearest first; DISTANCES: Euclidean.
    void resultsReady(const QVector<qint64> &query, const QVector<qint64> &neighbours,
                      const QVector<float> &distances);
    void failed(const QString &message);
    void indexingStarted();

private:
    struct Built;
    void answer();
    void onBuilt(Result<std::shared_ptr<Built>> result);

    ReviewSession *m_session;
    std::shared_ptr<Built> m_index;            // ready index (GUI thread only)
    bool m_building = false;
    QVector<qint64> m_pending;
    int m_pendingK = 200;
};

} // namespace labelscope::ui
