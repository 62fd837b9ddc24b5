#pragma once
// SimilaritySearch: "Find similar" for the review window. Indexes the latest run's embeddings
// with core's SimilarityIndex (core/ml/similarity.h, FAISS) the first time it is asked — off the
// GUI thread, with its own ProjectStore connection — then answers each request with the k
// samples nearest to one sample or to a selection's mean embedding, nearest first. The same
// index answers the labelling panel's evidence (requestEvidence): a sample's nearest easy
// samples of two classes (FAISS with an ID selector, SimilarityIndex::nearestToRowAmong) and
// its nearest neighbours of any class, searched on a worker thread. Glue only.

#include "base/result.h"

#include <QFutureWatcher>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QVector>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

namespace labelscope {
class SimilarityIndex;
}

namespace labelscope::ui {

class ReviewSession;

/// The evidence of one sample (SimilaritySearch::requestEvidence), nearest first in each list.
struct SampleEvidence {
    qint64 sampleId = -1;
    int classA = -1, classB = -1;
    /// Easy samples (the run's category) whose given label is classA / classB.
    QVector<qint64> nearA, nearB;
    /// The nearest samples of any class and category.
    QVector<qint64> neighbours;
    /// Why there is no evidence (no run, no embeddings, the sample has none); empty when found.
    QString error;
};

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

    /// Asks for the evidence of sample SAMPLEID: its PERCLASS nearest easy samples given
    /// CLASSA and given CLASSB (-1: none) and its NEIGHBOURS nearest samples. Builds the index
    /// first when needed; the search runs on a worker thread. Answered through evidenceReady()
    /// (also with an error set); a newer request replaces an older unanswered one.
    void requestEvidence(qint64 sampleId, int classA, int classB, int perClass = 4, int neighbours = 10);
    /// Why the index of the open project's latest run could not be built ("" when it was not
    /// tried or worked): evidence requests are then answered at once with this error.
    QString indexFailure() const;

Q_SIGNALS:
    /// QUERY: the asked ids (those in the index); NEIGHBOURS: nearest first; DISTANCES: Euclidean.
    void resultsReady(const QVector<qint64> &query, const QVector<qint64> &neighbours,
                      const QVector<float> &distances);
    void failed(const QString &message);
    /// A Find similar request waits for the index (not emitted for evidence requests).
    void indexingStarted();
    void evidenceReady(const labelscope::ui::SampleEvidence &evidence);

private:
    struct Built;
    struct EvidenceAsk {
        qint64 id = -1;
        int classA = -1, classB = -1, perClass = 4, neighbours = 10;
    };
    void ensureIndex();
    void answer();
    void answerEvidence();
    void failEvidence(const QString &message);
    void onBuilt(Result<std::shared_ptr<Built>> result);

    ReviewSession *m_session;
    std::shared_ptr<Built> m_index;            // ready index (GUI thread only)
    bool m_building = false;
    QVector<qint64> m_pending;
    int m_pendingK = 200;
    std::optional<EvidenceAsk> m_evidenceAsk;  // waits for the index
    QFutureWatcher<SampleEvidence> m_evidenceWatcher;
    quint64 m_evidenceGeneration = 0;          // the latest evidence request
    QString m_failedFile;                      // the index of this file and run failed:
    qint64 m_failedRun = -1;                   // evidence does not rebuild it for every sample
    QString m_failure;
};

} // namespace labelscope::ui

Q_DECLARE_METATYPE(labelscope::ui::SampleEvidence)
