#pragma once
// ReviewSession: the open project as the review window sees it. Holds the GUI thread's
// ProjectStore connection, all samples with the scores of the latest finished run, and the undo
// stack of the annotator's decisions. Every decision is written at once (no Save step); the
// in-memory rows are updated in place and samplesChanged() tells the views which ones changed.

#include "base/projectstore.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>
#include <optional>
#include <vector>

class QUndoStack;

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
    };
    Counts counts() const;

    QUndoStack *undoStack() const { return m_undo; }
    QString annotator() const { return m_annotator; }

    /// Applies DECISIONS in one ProjectStore::applyDecisions call and pushes one undoable command
    /// (named TEXT). Decisions that change nothing are still recorded (an "accept" is a fact).
    bool decide(const std::vector<Decision> &decisions, const QString &text, QString *error = nullptr);

    /// Used by the undo command: writes DECISIONS and updates the rows, no undo entry.
    bool write(const std::vector<Decision> &decisions, QString *error = nullptr);

Q_SIGNALS:
    /// The whole sample list or the scores were (re)read.
    void reloaded();
    /// Rows (session indices) whose label or exclusion changed.
    void samplesChanged(const QVector<int> &indices);
    /// One applyDecisions call wrote COUNT decisions.
    void decisionsWritten(int count);
    /// An undo or redo touched these sample ids (the window shows the first one).
    void undoRedoApplied(const QVector<qint64> &sampleIds);
    void errorOccurred(const QString &message);

private:
    friend class DecisionCommand;
    bool readAll(QString *error);

    std::unique_ptr<ProjectStore> m_store;
    QStringList m_classes;
    std::vector<SampleRow> m_samples;   // ordered by id
    std::vector<SampleScore> m_scores;  // aligned with m_samples
    std::vector<char> m_hasScore;       // aligned with m_samples
    qint64 m_runId = 0;
    std::optional<RunInfo> m_run;
    QUndoStack *m_undo = nullptr;
    QString m_annotator;
};

} // namespace labelscope::ui
