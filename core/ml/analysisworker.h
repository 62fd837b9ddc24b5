#pragma once
// AnalysisWorker: runs runAnalysis() on its own QThread with a params struct in and a result
// out (cf. qBittorrent's TorrentCreator). Signals are emitted from the worker thread; connect
// with Qt::QueuedConnection (the default across threads). cancel() is thread-safe and the
// worker stops within a second. Destroying the worker cancels and joins the thread.

#include "analysis.h"

#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>

namespace labelscope {

class AnalysisWorker : public QObject {
    Q_OBJECT
public:
    explicit AnalysisWorker(AnalysisParams params, QObject *parent = nullptr);
    ~AnalysisWorker() override;

    /// Starts the job on a new thread; a second call while running is ignored.
    void start();
    /// Asks the job to stop; returns at once.
    void cancel();
    bool isRunning() const;
    const AnalysisParams &params() const { return m_params; }

Q_SIGNALS:
    void progress(const labelscope::AnalysisProgress &progress);
    void finished(const labelscope::AnalysisResult &result);
    void failed(const QString &error);
    void cancelled();

private:
    AnalysisParams m_params;
    std::atomic_bool m_cancel{false};
    std::unique_ptr<QThread> m_thread;
};

} // namespace labelscope
