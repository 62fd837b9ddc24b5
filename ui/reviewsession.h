#pragma once
// ReviewSession: the open project as the review window sees it. Holds the GUI thread's
// ProjectStore connection, all samples with the scores of the latest finished run, and the undo
// stack of the annotator's decisions. Every decision is written at once (no Save step); the
// in-memory rows are updated in place and samplesChanged() tells the views which ones changed.
//
// The undo stack is rebuilt from the project's append-only log when a project is opened
// (ProjectStore::decisionBatches(), schema 4): decisions, undos and redos are replayed, so that
// Ctrl+Z after a restart undoes the last decision of the previous session. A sample is
// "reviewed" while at least one applied (not undone) decision concerns it; "kept" when it is
// reviewed and still has its given label and is not excluded.

#include "base/projectstore.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>
#include <optional>
#include <vector>

class QUndoStack;

namespace labelscope {
class ProjectWatcher;
}

namespace labelscope::ui {

class ReviewSession : public QObject {
    Q_OBJECT
public:
    explicit ReviewSession(QObject *parent = nullptr);
    ~ReviewSession() override;

    /// Opens FILE (which must exist) and reads it. Clears the undo stack.
    bool open(const QString &file, QString *error = nullptr);
    void close();
    /// Reads samples and the latest run's scores again (after an analysis run). Keeps the undo
    /// stack (its commands refer to sample ids, which do not change).
    bool reload(QString *error = nullptr);
    bool isOpen() const;
    QString fileName() const;
    /// True when the project could only be opened read-only (its file or folder cannot be
    /// written): it can be viewed, decisions are refused. readOnlyReason() says why.
    bool isReadOnly() const;
    QString readOnlyReason() const;
    ProjectStore *store() const { return m_store.get(); }

    const QStringList &classes() const { return m_classes; }
    int count() const { return int(m_samples.size()); }
    const SampleRow &row(int index) const { return m_samples[std::size_t(index)]; }
    const std::vector<SampleRow> &rows() const { return m_samples; }
    /// The score of sample INDEX in the latest run, or nullptr when it has none.
    const SampleScore *score(int index) const;
    Category category(int index) const;
    /// Noise score, or a negative value when the sample has none.
    float noiseScore(int index) const;
    bool isRelabelled(int index) const;
    /// An applied decision (not undone) concerns the sample: an annotator has looked at it.
    bool isReviewed(int index) const
    {
        return index >= 0 && std::size_t(index) < m_depth.size() && m_depth[std::size_t(index)] > 0;
    }
    /// Reviewed, given label confirmed (not relabelled, not excluded).
    bool isKept(int index) const;
    /// The run flagged the sample for review: category hard or need review.
    bool isFlagged(int index) const;
    /// The one suggested label of a sample: Confident Learning's suggestion (the most likely
    /// class of the model that never trained on it) when the run has it, else the final model's
    /// prediction; -1 without a run. The W key accepts it; "Model disagrees" and the scatter's
    /// disagreement colour compare it with the label.
    int suggestion(int index) const;
    /// The run's probability that the given label is wrong, in [0, 1]: the class-conditional
    /// noise posterior where the run stored it (noise score = mean(Data Parameters score,
    /// P(wrong)), so P(wrong) = 2 · noise − DP score), else the noise score; -1 when unscored.
    double wrongProbability(int index) const;
    /// Index of the sample with id ID, or -1.
    int indexOf(qint64 id) const;

    /// Latest finished run (0 when the project has none) and its description.
    qint64 runId() const { return m_runId; }
    const std::optional<RunInfo> &run() const { return m_run; }
    std::optional<Trajectory> trajectory(int index) const;

    /// True for a sample of the "test" split ("" and "train" count as train).
    static bool isTestSample(const SampleRow &r) { return r.sample.split == QLatin1String("test"); }
    /// Whether the project holds samples of both the train and the test split.
    bool hasTrainAndTest() const;

    /// Counts over all samples. An unscored sample of the test split (an analysis only scores
    /// the training split) counts as notAnalysedTest, not as unknown.
    struct Counts {
        qint64 easy = 0, hard = 0, needReview = 0, unknown = 0, notAnalysedTest = 0,
               relabelled = 0, excluded = 0;
        /// Reviewed samples: all, per category, and the kept ones (given label confirmed);
        /// per class: reviewstats.h.
        qint64 reviewed = 0, reviewedEasy = 0, reviewedHard = 0, reviewedNeedReview = 0, kept = 0;
    };
    Counts counts() const;

    /// Changes other connections committed (issue 18: another annotator's window, a headless
    /// analysis): label events after the last one this window saw update the rows
    /// (samplesChanged), new class names emit classesChanged, a newer finished run emits
    /// newAnalysisAvailable (the window offers to switch; reload() does). WHAT is the
    /// ProjectWatcher's hint ("labels", "classes", "runs", ... or "" for anything). The
    /// project's watcher calls it; idempotent (this window's own events change nothing again).
    /// Implemented in reviewsessionteam.cpp.
    void applyRemoteChanges(const QString &what = QString());
    /// The name events record: the setting "annotator" (Preferences), else the OS user.
    static QString defaultAnnotator();
    static void setDefaultAnnotator(const QString &name);

    QUndoStack *undoStack() const { return m_undo; }
    /// When the project was opened in this window (UTC): the start of the session summary.
    QDateTime openedAt() const { return m_openedAt; }
    QString annotator() const { return m_annotator; }
    /// The name recorded with this window's decisions; the undo history becomes that annotator's.
    void setAnnotator(const QString &name);

    /// Applies DECISIONS in one ProjectStore::applyDecisions call and pushes one undoable command
    /// (named TEXT). Decisions that change nothing are still recorded (an "accept" is a fact).
    bool decide(const std::vector<Decision> &decisions, const QString &text, QString *error = nullptr);

    /// Used by the undo command: writes DECISIONS and updates the rows, no undo entry.
    /// REVIEWDELTA (+1 decide/redo, -1 undo) moves each sample's reviewed state.
    bool write(const std::vector<Decision> &decisions, QString *error = nullptr, int reviewDelta = 0);

    /// Decision batches replayed into the undo stack at open (at most kRestoredHistory applied
    /// and as many undone ones); the samples' reviewed state uses the whole log.
    static constexpr int kRestoredHistory = 2000;

    /// Class list changes, recorded in the project (ProjectStore::addClass, …); false and
    /// *error when refused. classesChanged() follows; a merge also changes samples (one undo
    /// step, like a bulk relabel).
    bool addClass(const QString &name, QString *error = nullptr);
    bool renameClass(int classId, const QString &name, QString *error = nullptr);
    bool mergeClass(int from, int into, QString *error = nullptr);
    /// Classes merged into another one (ClassEvent "merge") that hold no sample now.
    bool isMergedAway(int classId) const;

    /// The classes on the number keys 1…9, 0 (at most ten, in key order): every class when
    /// there are ten or fewer; otherwise the pinned ones (project meta "pinned_classes", class
    /// ids separated by commas), then the classes most often chosen in the log's relabels, then
    /// the lowest ids. Fixed while a project is open (keys do not move under the fingers);
    /// recomputed at open and reload, and when pins change.
    const QVector<int> &quickClasses() const { return m_quick; }
    /// "1".."9", "0" for the class on that key, "" when it has none.
    QString keyForClass(int classId) const;
    QVector<int> pinnedClasses() const;
    /// Pins at most ten classes to the number keys (stored in the project); false when read-only.
    bool setPinnedClasses(const QVector<int> &classIds, QString *error = nullptr);

Q_SIGNALS:
    /// The whole sample list or the scores were (re)read.
    void reloaded();
    /// Rows (session indices) whose label or exclusion changed.
    void samplesChanged(const QVector<int> &indices);
    /// One applyDecisions call wrote COUNT decisions.
    void decisionsWritten(int count);
    /// An undo or redo touched these sample ids (the window shows the first one).
    void undoRedoApplied(const QVector<qint64> &sampleIds);
    /// An undo or redo left these samples as they are: another annotator changed them since.
    void undoRedoSkipped(const QVector<qint64> &sampleIds);
    void errorOccurred(const QString &message);
    /// Class names changed or a class was added (samples may have changed too: samplesChanged()).
    void classesChanged();
    /// Another process finished an analysis run newer than the one shown (issue 18).
    void newAnalysisAvailable(qint64 runId);

private:
    friend class DecisionCommand;
    bool readAll(QString *error);
    void restoreHistory();
    void startWatching(); // reviewsessionteam.cpp

    std::unique_ptr<ProjectStore> m_store;
    QStringList m_classes;
    std::vector<SampleRow> m_samples;   // ordered by id
    std::vector<SampleScore> m_scores;  // aligned with m_samples
    std::vector<char> m_hasScore;       // aligned with m_samples
    std::vector<int> m_depth;           // aligned: applied decisions concerning the sample
    QVector<int> m_mergedAway;
    QVector<int> m_quick;               // classes on the number keys
    std::vector<qint64> m_chosen;       // per class: relabels to it in the log
    void updateQuickClasses();        // class ids merged into another class
    bool m_restoring = false;
    QDateTime m_openedAt;           // replaying the log into the undo stack: write nothing
    qint64 m_runId = 0;
    std::optional<RunInfo> m_run;
    QUndoStack *m_undo = nullptr;
    QString m_annotator;
    ProjectWatcher *m_watcher = nullptr; // other connections' changes (issue 18)
    qint64 m_lastEventId = 0;            // the newest label event the rows reflect
    qint64 m_announcedRun = 0;
};

} // namespace labelscope::ui
