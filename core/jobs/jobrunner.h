#pragma once
// JobRunner: the one runner through which the window starts every long job (core/jobs/job.h).
// Each job runs on its own QThread; its progress, and its result, reach the runner's own thread
// (the GUI thread) through queued calls, so a slot or a DONE callback may touch widgets. Thread
// shutdown as in Tiled/qBittorrent: cancel, then join, in the destructor.
//
//     runner.start<LayoutJobResult>(QStringLiteral("layout"),
//         [params](JobContext &c) { return runLayoutJob(params, c); },
//         [this](Result<LayoutJobResult> r) { ... });   // on the GUI thread
//
// Jobs have names; starting a job under a name that is still running cancels the older one, whose
// DONE callback is then never called (e.g. a new layout request replaces the one in flight).
// QtCore only: usable from core's tests and from ui/.

#include "job.h"

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace labelscope {

class JobRunner : public QObject {
    Q_OBJECT
    struct Outcome {
        bool ok = false;
        QString error;
        bool cancelled = false;
    };

public:
    explicit JobRunner(QObject *parent = nullptr);
    /// Cancels every job and waits for its thread (each stops within a second).
    ~JobRunner() override;

    /// Starts BODY on a new thread as job NAME (any older job of that name is cancelled first).
    /// DONE (optional) is called on the runner's thread with the result — not when the job was
    /// replaced or the runner destroyed. BODY runs inside the exception boundary (runJob).
    template <class T>
    void start(const QString &name, std::function<Result<T>(JobContext &)> body,
               std::function<void(Result<T>)> done = {})
    {
        auto slot = std::make_shared<std::optional<Result<T>>>();
        startErased(
            name,
            [body = std::move(body), slot](JobContext &context) {
                *slot = runJob<T>(context, body);
                const Result<T> &r = **slot;
                return Outcome{r.ok(), r.error(), r.isCancelled()};
            },
            [done = std::move(done), slot]() {
                if (done && *slot)
                    done(std::move(**slot));
            });
    }

    /// Asks job NAME to stop; returns at once. Its DONE is still called (with "cancelled").
    void cancel(const QString &name);
    void cancelAll();
    /// Cancels job NAME and waits for its thread (within a second); its DONE is never called.
    /// For a widget's destructor whose job calls back into the widget (e.g. a live preview).
    void cancelAndWait(const QString &name);
    bool isRunning(const QString &name) const;
    bool isBusy() const { return !m_jobs.empty(); }
    /// Blocks until every job has ended and delivered its result (tests, shutdown).
    void waitForAll();

Q_SIGNALS:
    void started(const QString &name);
    /// From any job, delivered on the runner's thread.
    void progress(const labelscope::JobProgress &progress);
    /// After DONE was called. ERROR is empty on success; CANCELLED when the job was cancelled.
    void finished(const QString &name, bool ok, const QString &error, bool cancelled);

private:
    struct Job {
        quint64 id = 0;
        QString name;
        std::unique_ptr<std::atomic_bool> cancel;
        std::unique_ptr<QThread> thread;
        bool replaced = false;
    };
    void startErased(const QString &name, std::function<Outcome(JobContext &)> run, std::function<void()> deliver);
    void deliver(quint64 id, const Outcome &outcome, const std::function<void()> &deliverResult);

    std::map<quint64, Job> m_jobs;
    quint64 m_nextId = 1;
};

} // namespace labelscope

Q_DECLARE_METATYPE(labelscope::JobProgress)
