#pragma once
// EvidencePanel: the evidence beside the labelling panel's image, in words for annotators — one
// sentence saying why the run flagged the sample (flagReason: which signals, in plain words) and
// the sample's nearest clear (easy) examples of its given class and of its suggested class as
// thumbnails (SimilaritySearch::requestEvidence: FAISS over the run's embeddings, searched off
// the GUI thread). The engineering figures (σ, margins, trajectories) stay in the labelling
// panel's collapsible details.

#include "base/category.h"

#include <QString>
#include <QVector>
#include <QWidget>

#include <limits>

class QHBoxLayout;
class QLabel;
class QTimer;
class QToolButton;

namespace labelscope::ui {

class ReviewSession;
class SimilaritySearch;
class ThumbnailLoader;
struct SampleEvidence;

/// The signals behind one sample's verdict, as flagReason() words them.
struct FlagSignals {
    Category category = Category::Unknown;
    QString givenName;
    /// The one suggested label (ReviewSession::suggestion()), its name and probability in [0, 1].
    int suggested = -1;
    int given = -1;
    QString suggestedName;
    double suggestedProb = std::numeric_limits<double>::quiet_NaN();
    /// The suggestion comes from a model that never trained on the sample (Confident Learning).
    bool outOfSample = false;
    bool clIssue = false;
    /// Data Parameters score in [0, 1] (1 − how well training fitted the given label); NaN: none.
    double dpScore = std::numeric_limits<double>::quiet_NaN();
    /// Estimated probability that the given label is wrong in [0, 1]; negative: unknown.
    double wrongProbability = -1.0;
    /// Of the `neighbours` nearest samples, `neighboursAgreeing` carry the label `neighbourName`
    /// (their most common current label); neighbours = 0: not known (yet).
    int neighbours = 0, neighboursAgreeing = 0;
    int neighbourLabel = -1;
    QString neighbourName;
};

/// One sentence (or two) in plain words: whether the sample is flagged and which signals say so,
/// e.g. "Flagged as likely wrong: the model predicts Shirt with 93% confidence; 8 of its 10
/// nearest neighbours are labelled Shirt; it stayed hard to fit through training. Chance that
/// the label is wrong: 87%."
QString flagReason(const FlagSignals &in);

class EvidencePanel : public QWidget {
    Q_OBJECT
public:
    /// The neighbours are asked for once a sample has been shown this long (milliseconds), so
    /// that keying quickly through samples starts no search for the ones passed by.
    static constexpr int kAskDelayMs = 120;
    /// Clear examples shown per class.
    static constexpr int kExamples = 4;
    /// Neighbours asked for the "k of its n nearest neighbours" clause.
    static constexpr int kNeighbours = 10;

    EvidencePanel(ReviewSession *session, ThumbnailLoader *loader, QWidget *parent = nullptr);

    /// The index the neighbours come from (nullptr: the sentence only, without neighbours).
    void setSearch(SimilaritySearch *search);
    /// Shows the evidence of sample ID (-1: nothing); asks the search for its neighbours after
    /// kAskDelayMs (at once when the search already knows it has no index to answer from).
    void setSample(qint64 id);
    /// Re-words the sentence (after a decision changed labels).
    void refresh();

    QLabel *reasonLabel() const { return m_reason; }
    /// The clear examples shown for the given class (0) and the suggested class (1).
    QVector<qint64> exampleIds(int row) const { return row == 0 ? m_nearGiven : m_nearSuggested; }
    QLabel *exampleTitle(int row) const { return row == 0 ? m_titleGiven : m_titleSuggested; }
    /// The nearest neighbours of the shown sample, once known.
    QVector<qint64> neighbourIds() const { return m_neighbours; }
    /// True while the neighbours of the shown sample are being searched.
    bool isWaiting() const { return m_waiting; }
    FlagSignals currentSignals() const;

Q_SIGNALS:
    /// A click on an example thumbnail.
    void exampleActivated(qint64 sampleId);
    /// The neighbours of the shown sample arrived (or failed: the lists stay empty).
    void evidenceShown(qint64 sampleId);

private:
    void onEvidence(const SampleEvidence &evidence);
    void ask();
    void fillRow(QHBoxLayout *row, QVector<QToolButton *> &buttons, const QVector<qint64> &ids);
    void updateThumbnail(qint64 sampleId);
    void updateTitles();

    ReviewSession *m_session;
    ThumbnailLoader *m_loader;
    SimilaritySearch *m_search = nullptr;
    QTimer *m_askTimer;
    qint64 m_id = -1;
    bool m_waiting = false;
    QString m_evidenceError;
    QLabel *m_reason, *m_titleGiven, *m_titleSuggested, *m_status;
    QWidget *m_suggestedBox;
    QHBoxLayout *m_rowGiven, *m_rowSuggested;
    QVector<QToolButton *> m_buttonsGiven, m_buttonsSuggested;
    QVector<qint64> m_nearGiven, m_nearSuggested, m_neighbours;
};

} // namespace labelscope::ui
