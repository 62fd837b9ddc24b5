#include "analysisworker.h"

namespace labelscope {

namespace {
const int kRegistered = [] {
    qRegisterMetaType<labelscope::AnalysisProgress>("labelscope::AnalysisProgress");
    qRegisterMetaType<labelscope::AnalysisResult>("labelscope::AnalysisResult");
    return 0;
}();
} // namespace

AnalysisWorker::AnalysisWorker(AnalysisParams params, QObject *parent)
    : QObject(parent), m_params(std::move(params))
{
    (void)kRegistered;
}

AnalysisWorker::~AnalysisWorker()
{
    cancel();
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
    }
}

void AnalysisWorker::start()
{
    if (isRunning())
        return;
    if (m_thread)
        m_thread->wait();
    m_cancel = false;
    m_thread.reset(QThread::create([this] {
        AnalysisResult result;
        QString error;
        const bool ok = runAnalysis(m_params, m_cancel,
                                    [this](const AnalysisProgress &p) { Q_EMIT progress(p); },
                                    &result, &error);
        if (ok)
            Q_EMIT finished(result);
        else if (m_cancel.load())
            Q_EMIT cancelled();
        else
            Q_EMIT failed(error);
    }));
    m_thread->setObjectName(QStringLiteral("labelscope-analysis"));
    m_thread->start();
}

void AnalysisWorker::cancel()
{
    m_cancel = true;
}

bool AnalysisWorker::isRunning() const
{
    return m_thread && m_thread->isRunning();
}

} // namespace labelscope
