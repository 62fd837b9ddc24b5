#include "jobrunner.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>

namespace labelscope {

namespace {
const int kRegistered = [] {
    qRegisterMetaType<labelscope::JobProgress>("labelscope::JobProgress");
    return 0;
}();
} // namespace

JobRunner::JobRunner(QObject *parent) : QObject(parent)
{
    (void)kRegistered;
}

JobRunner::~JobRunner()
{
    cancelAll();
    for (auto &[id, job] : m_jobs)
        job.thread->wait();
    // Results still queued for delivery are dropped: their QPointer to this runner is null.
}

void JobRunner::startErased(const QString &name, std::function<Outcome(JobContext &)> run,
                            std::function<void()> deliverResult)
{
    for (auto &[id, job] : m_jobs)
        if (job.name == name && !job.replaced) {
            job.replaced = true;
            job.cancel->store(true);
        }
    const quint64 id = m_nextId++;
    Job job;
    job.id = id;
    job.name = name;
    job.cancel = std::make_unique<std::atomic_bool>(false);
    const std::atomic_bool *cancel = job.cancel.get();
    QPointer<JobRunner> self(this);
    job.thread.reset(QThread::create([this, self, id, name, cancel, run = std::move(run),
                                      deliverResult = std::move(deliverResult)]() mutable {
        // Emitting from this thread is safe while the runner lives: its destructor waits for us.
        JobContext context(name, cancel, [this](const JobProgress &p) { Q_EMIT progress(p); });
        const Outcome outcome = run(context);
        QMetaObject::invokeMethod(
            this,
            [self, id, outcome, deliverResult = std::move(deliverResult)] {
                if (self)
                    self->deliver(id, outcome, deliverResult);
            },
            Qt::QueuedConnection);
    }));
    job.thread->setObjectName(QStringLiteral("labelscope-job"));
    QThread *thread = job.thread.get();
    m_jobs.emplace(id, std::move(job));
    Q_EMIT started(name);
    thread->start();
}

void JobRunner::deliver(quint64 id, const Outcome &outcome, const std::function<void()> &deliverResult)
{
    auto it = m_jobs.find(id);
    if (it == m_jobs.end())
        return;
    it->second.thread->wait(); // it has finished its body; join it
    const bool replaced = it->second.replaced;
    const QString name = it->second.name;
    m_jobs.erase(it);
    if (replaced)
        return;
    deliverResult();
    Q_EMIT finished(name, outcome.ok, outcome.error, outcome.cancelled);
}

void JobRunner::cancel(const QString &name)
{
    for (auto &[id, job] : m_jobs)
        if (job.name == name)
            job.cancel->store(true);
}

void JobRunner::cancelAll()
{
    for (auto &[id, job] : m_jobs)
        job.cancel->store(true);
}

void JobRunner::cancelAndWait(const QString &name)
{
    for (auto it = m_jobs.begin(); it != m_jobs.end();) {
        if (it->second.name != name) {
            ++it;
            continue;
        }
        it->second.cancel->store(true);
        it->second.thread->wait();
        it = m_jobs.erase(it); // its queued delivery finds no job and is dropped
    }
}

bool JobRunner::isRunning(const QString &name) const
{
    for (const auto &[id, job] : m_jobs)
        if (job.name == name && !job.replaced)
            return true;
    return false;
}

void JobRunner::waitForAll()
{
    while (!m_jobs.empty()) {
        for (auto &[id, job] : m_jobs)
            job.thread->wait();
        // Deliver the queued results (and with them erase the jobs).
        QCoreApplication::sendPostedEvents(this);
        QCoreApplication::processEvents();
    }
}

} // namespace labelscope
