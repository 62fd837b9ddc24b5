#pragma once
// HealthModel: the project's latest dataset-health check (issue 16; core/health) as the window
// sees it: the stored check (ProjectStore::latestHealth) read back as a HealthReport indexed like
// the session's samples, per-class counts, the colours and names of the issue types, and the job
// that runs the checks again off the GUI thread (runProjectHealthChecks through the JobRunner).
//
// The annotator's action per kind: a wrong label keeps the red "hard" frame (relabel); an outlier
// or an image problem (dark, light, blurry, low information, odd size, odd aspect ratio,
// grayscale) gets a violet frame and the action "exclude"; a duplicate set (exact or near, teal)
// opens as a group: keep one, exclude the others.

#include "health/healthreport.h"
#include "jobs/job.h"

#include <QColor>
#include <QObject>
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace labelscope::ui {

class ReviewSession;

class HealthModel : public QObject {
    Q_OBJECT
public:
    explicit HealthModel(ReviewSession *session, QObject *parent = nullptr);

    /// Re-reads the latest check from the session's store (after open, reload or a check).
    void reload();
    bool hasReport() const { return m_has; }
    const HealthReport &report() const { return m_report; }
    /// "Checked 2026-12-03 14:10 UTC (with analysis run 3)" or why there is nothing.
    QString note() const { return m_note; }

    /// Issue types computed in the report (label excluded; class_imbalance when classes exist).
    std::vector<IssueType> computedTypes() const;
    /// Samples (session indices) flagged with TYPE; class_imbalance: samples of flagged classes.
    std::vector<std::uint8_t> mask(IssueType type) const;
    std::int64_t flaggedCount(IssueType type) const;
    /// Flagged samples of TYPE, worst (lowest score) first.
    std::vector<int> flaggedByScore(IssueType type) const;
    /// The types flagged on sample INDEX, in kIssueTypeNames order.
    std::vector<IssueType> issuesOf(int index) const;
    /// Duplicate sets (exact first, then near), as session indices.
    struct Set {
        bool exact = false, leaks = false;
        std::vector<int> members;
    };
    std::vector<Set> duplicateSets() const;

    static QString issueLabel(IssueType type);
    static QColor issueColor(IssueType type);
    /// Outliers and image problems: the action is "exclude".
    static bool isExcludeKind(IssueType type);
    static bool isDuplicateKind(IssueType type);

    /// Starts the checks on the session's project file off the GUI thread (job "health checks");
    /// progress reports its stage while it runs; checkFinished follows with the error ("" on
    /// success, "cancelled" after cancelChecks) after the model reloaded.
    void runChecks();
    /// Asks the running check to stop (returns at once; the stored check stays as it was).
    void cancelChecks();
    bool isRunning() const { return m_running; }

Q_SIGNALS:
    void changed();
    void runningChanged(bool running);
    /// The running check's stage and detail ("health checks: near duplicates") and its fraction
    /// of the whole job in [0, 1].
    void progress(const QString &text, double fraction);
    void checkFinished(const QString &error);

private:
    void onJobProgress(const labelscope::JobProgress &progress);

    ReviewSession *m_session;
    HealthReport m_report;
    bool m_has = false;
    bool m_running = false;
    QString m_note;
};

} // namespace labelscope::ui
