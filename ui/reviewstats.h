#pragma once
// Progress and pace of a review session (issue 17), computed from the ReviewSession and the
// project's decision log; no widgets. "To review" means the latest run's hard and need-review
// samples (the ones a reviewer is asked to look at); a sample is reviewed while an applied (not
// undone) decision concerns it (ReviewSession::isReviewed). The ranked list is the gallery's
// default order: noise score, highest first (ties by id).

#include "base/projectstore.h"

#include <QDateTime>
#include <QString>

#include <vector>

namespace labelscope::ui {

class ReviewSession;

/// Reviewed and total samples to review: all, per category (hard, need review) and per given class.
struct ReviewProgress {
    qint64 toReview = 0, reviewed = 0;
    qint64 hard = 0, hardReviewed = 0, needReview = 0, needReviewReviewed = 0;
    std::vector<qint64> classToReview, classReviewed; ///< indexed by given class
    qint64 remaining() const { return toReview - reviewed; }
};
ReviewProgress reviewProgress(const ReviewSession &session);

/// One stretch of the ranked list of samples to review (ranks are 1-based and inclusive) and
/// what the reviewer decided there: relabelled (current label ≠ given) and excluded samples
/// among the reviewed ones.
struct RankBin {
    int firstRank = 0, lastRank = 0;
    qint64 reviewed = 0, relabelled = 0, excluded = 0;
    double relabelRate() const { return reviewed > 0 ? double(relabelled) / double(reviewed) : -1.0; }
    double excludeRate() const { return reviewed > 0 ? double(excluded) / double(reviewed) : -1.0; }
};

struct SessionSummary {
    ReviewProgress progress;
    /// Decision events (one per sample, undo and redo not counted) since SINCE, and the time
    /// spent deciding: the gaps between consecutive decisions, each counted up to kIdleGapSeconds
    /// (a longer pause is a break, not work).
    qint64 decisions = 0;
    double activeSeconds = 0.0;
    double decisionsPerHour = -1.0; ///< -1 below two decision batches or a minute of work
    static constexpr double kIdleGapSeconds = 300.0;
    std::vector<RankBin> bins;
    /// The next N unreviewed samples down the ranked list, and how many wrong labels they hold by
    /// two estimates: the run's P(label wrong) summed over them (ReviewSession::wrongProbability;
    /// unscored samples count 0), and the share of changed labels (relabelled or excluded) among
    /// the last kObservedWindow reviewed ranks times N (-1 before any review).
    int nextN = 0;
    qint64 nextAvailable = 0;
    double expectedWrongModel = 0.0;
    double observedChangeRate = -1.0;
    double expectedWrongObserved = -1.0;
    static constexpr int kObservedWindow = 100;
};

/// BINSIZE 0 picks max(50, ⌈to review / 10⌉) (about ten bins). BATCHES: the project's
/// ProjectStore::decisionBatches().
SessionSummary summarizeSession(const ReviewSession &session, const std::vector<DecisionBatch> &batches,
                                const QDateTime &since, int nextN, int binSize = 0);

/// The summary as a short HTML text for the dialog (numbers with thousands separators).
QString sessionSummaryHtml(const SessionSummary &summary, const QStringList &classes);

} // namespace labelscope::ui
