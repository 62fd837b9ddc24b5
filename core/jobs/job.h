#pragma once
// The job contract. Every long-running operation of Labelscope (analysis, clean-eval, active-
// learning rounds and simulations, t-SNE layouts, sub-clusters, image statistics, exports, and
// the jobs to come) has the same shape (cf. qBittorrent's TorrentCreator):
//
//  - a params struct in, a Result<T> out: the value, a named error, or "cancelled";
//  - progress through JobContext::stage()/progress(): the stage, the fraction of the whole job,
//    an ETA, one human-readable detail line;
//  - cancellation: any thread sets the flag; the job polls JobContext::isCancelled() (or hands
//    cancelFlag() to core functions that take one) at least once per batch, so it stops within a
//    second and returns Result::cancelled();
//  - an exception boundary, runJob(): std::bad_alloc, c10::Error (LibTorch; its message without
//    the C++ backtrace), any other std::exception and anything else thrown become the job's error.
//    Nothing a job throws aborts the process.
//
// The window runs jobs through ui/jobrunner.h (one runner, off the GUI thread); the command line
// through app/cli.h (progress lines, Ctrl+C, exit codes). This header has no LibTorch or GUI
// dependency.

#include "base/result.h"

#include <QElapsedTimer>
#include <QString>

#include <atomic>
#include <exception>
#include <functional>
#include <mutex>

namespace labelscope {

/// One progress report. fraction in [0, 1] of the whole job, never decreasing; etaSeconds < 0
/// while unknown.
struct JobProgress {
    QString job;            ///< the job's name ("analysis", "t-SNE layout", ...)
    QString stage;          ///< "loading", "training", "scoring", ...
    double fraction = 0.0;
    double elapsedSeconds = 0.0;
    double etaSeconds = -1.0;
    QString detail;         ///< e.g. "fold 2/4 epoch 3/8 loss 0.41 5230 samples/s"; may be empty
    bool milestone = false; ///< the job asked for this report to get through the rate limit
};

using JobProgressSink = std::function<void(const JobProgress &)>;

/// What a job sees of its runner: the cancel flag and the progress sink. Thread-safe: a job may
/// report from its own worker threads.
class JobContext {
public:
    /// CANCEL (not owned; must outlive the context) may be null: the job then cannot be cancelled.
    /// SINK (optional) receives every report on the reporting thread.
    JobContext(QString jobName, const std::atomic_bool *cancel, JobProgressSink sink = {});

    const QString &jobName() const { return m_job; }
    bool isCancelled() const { return m_cancel && m_cancel->load(std::memory_order_relaxed); }
    /// The flag itself, for core functions that poll one (a never-set flag when there is none).
    const std::atomic_bool &cancelFlag() const { return m_cancel ? *m_cancel : m_never; }

    /// Starts a stage that covers [FROM, TO] of the whole job and reports it at its start.
    void stage(const QString &name, double from, double to);
    /// Progress inside the current stage: STAGEFRACTION in [0, 1] maps onto its range. ETA: given
    /// (etaSeconds >= 0, e.g. from a trainer's own rate) or estimated from the elapsed time and
    /// the fraction done once 1% and two seconds have passed. Reports are passed on at most ten
    /// times a second (and always at a stage change, at the end of a stage, and when MILESTONE:
    /// a point the job wants seen whatever its speed, such as the first step of an epoch, which
    /// is where a caller that cancels "in epoch N" can act on it).
    void progress(double stageFraction, const QString &detail = QString(), double etaSeconds = -1.0, bool milestone = false);
    double elapsedSeconds() const;

    /// A context for a sub-job run inside the current stage (e.g. the analysis inside clean-eval):
    /// its whole progress maps onto this stage's range, its stage and detail become this one's
    /// detail, its milestones stay milestones, and it shares the cancel flag. Must not outlive
    /// this context.
    JobContext nested(const QString &name);

private:
    QString m_job;
    const std::atomic_bool *m_cancel;
    JobProgressSink m_sink;
    QElapsedTimer m_clock;
    mutable std::mutex m_mutex;
    std::mutex m_sinkMutex; ///< one report at a time reaches the sink
    QString m_stage;
    double m_from = 0.0, m_to = 1.0, m_fraction = 0.0;
    qint64 m_lastReportMs = -1;
    static const std::atomic_bool m_never;
};

/// The message of an exception for a user: what() of a std::exception; for LibTorch's c10::Error
/// only its first part, without "Exception raised from ..." and the C++ backtrace; "out of
/// memory" for std::bad_alloc; "unknown exception" for anything else.
QString exceptionMessage(std::exception_ptr exception);

/// The exception boundary: runs BODY on the calling thread and returns its result; an exception
/// becomes Result::failure("<job>: <message>"), and a failure after the cancel flag was set is
/// reported as cancelled.
template <class T>
Result<T> runJob(JobContext &context, const std::function<Result<T>(JobContext &)> &body)
{
    try {
        Result<T> result = body(context);
        if (!result && !result.isCancelled() && context.isCancelled())
            return Result<T>::cancelled();
        return result;
    } catch (...) {
        if (context.isCancelled())
            return Result<T>::cancelled();
        return Result<T>::failure(QStringLiteral("%1: %2").arg(context.jobName(), exceptionMessage(std::current_exception())));
    }
}

} // namespace labelscope
