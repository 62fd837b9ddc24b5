#include "job.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <new>

namespace labelscope {

const std::atomic_bool JobContext::m_never{false};

JobContext::JobContext(QString jobName, const std::atomic_bool *cancel, JobProgressSink sink)
    : m_job(std::move(jobName)), m_cancel(cancel), m_sink(std::move(sink))
{
    m_clock.start();
}

double JobContext::elapsedSeconds() const
{
    return double(m_clock.elapsed()) / 1000.0;
}

void JobContext::stage(const QString &name, double from, double to)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stage = name;
        m_from = std::clamp(from, 0.0, 1.0);
        m_to = std::clamp(std::max(from, to), 0.0, 1.0);
        m_lastReportMs = -1; // a new stage is always reported
    }
    progress(0.0);
}

void JobContext::progress(double stageFraction, const QString &detail, double etaSeconds, bool milestone)
{
    JobProgress p;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        const double f = std::clamp(stageFraction, 0.0, 1.0);
        m_fraction = std::max(m_fraction, m_from + (m_to - m_from) * f);
        const qint64 now = m_clock.elapsed();
        const bool stageEnd = f >= 1.0;
        if (!m_sink || (m_lastReportMs >= 0 && now - m_lastReportMs < 100 && !stageEnd && !milestone))
            return;
        m_lastReportMs = now;
        p.job = m_job;
        p.stage = m_stage;
        p.fraction = m_fraction;
        p.elapsedSeconds = double(now) / 1000.0;
        p.detail = detail;
        p.milestone = milestone;
        if (etaSeconds >= 0)
            p.etaSeconds = etaSeconds;
        else if (m_fraction >= 0.01 && now >= 2000)
            p.etaSeconds = p.elapsedSeconds * (1.0 - m_fraction) / m_fraction;
    }
    // Outside the state lock (the sink may be slow: a terminal, a queued signal), but one report
    // at a time: fold workers report from their own threads.
    std::lock_guard<std::mutex> sinkLock(m_sinkMutex);
    m_sink(p);
}

JobContext JobContext::nested(const QString &name)
{
    return JobContext(name, m_cancel, [this](const JobProgress &p) {
        progress(p.fraction, p.detail.isEmpty() ? p.stage : p.stage + QLatin1Char(' ') + p.detail, -1.0, p.milestone);
    });
}

QString exceptionMessage(std::exception_ptr exception)
{
    try {
        std::rethrow_exception(exception);
    } catch (const std::bad_alloc &) {
        return QStringLiteral("out of memory");
    } catch (const c10::Error &e) {
        // what() appends "Exception raised from <function> at <file>:<line>" and a C++ backtrace.
        return QString::fromLocal8Bit(e.what_without_backtrace()).trimmed();
    } catch (const std::exception &e) {
        return QString::fromLocal8Bit(e.what()).trimmed();
    } catch (...) {
        return QStringLiteral("unknown exception");
    }
}

} // namespace labelscope
