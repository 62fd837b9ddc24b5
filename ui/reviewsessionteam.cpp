// ReviewSession's part in a shared project (issue 18): who is deciding (the annotator name), and
// what other connections changed meanwhile (ProjectWatcher → applyRemoteChanges).

#include "reviewsession.h"

#include "base/projectwatcher.h"

#include <QSettings>

#include <algorithm>

namespace labelscope::ui {

namespace {
QSettings settings()
{
    return QSettings(QStringLiteral("Labelscope"), QStringLiteral("labelscope"));
}
} // namespace

QString ReviewSession::defaultAnnotator()
{
    QString name = settings().value(QStringLiteral("annotator")).toString().trimmed();
    if (name.isEmpty())
        name = QString::fromLocal8Bit(qgetenv("USER")).trimmed();
    if (name.isEmpty())
        name = QString::fromLocal8Bit(qgetenv("USERNAME")).trimmed();
    return name.isEmpty() ? QStringLiteral("annotator") : name;
}

void ReviewSession::setDefaultAnnotator(const QString &name)
{
    QSettings s = settings();
    if (name.trimmed().isEmpty())
        s.remove(QStringLiteral("annotator"));
    else
        s.setValue(QStringLiteral("annotator"), name.trimmed());
}

void ReviewSession::setAnnotator(const QString &name)
{
    const QString next = name.trimmed().isEmpty() ? defaultAnnotator() : name.trimmed();
    if (next == m_annotator)
        return;
    m_annotator = next;
    if (isOpen())
        restoreHistory(); // the undo history is the annotator's own
}

void ReviewSession::startWatching()
{
    if (!m_watcher) {
        m_watcher = new ProjectWatcher(this);
        connect(m_watcher, &ProjectWatcher::changed, this, [this](const QString &what) { applyRemoteChanges(what); });
    }
    QString error;
    // Without a watcher the window still works alone; it only misses others' changes live.
    if (!m_watcher->watch(fileName(), &error))
        Q_EMIT errorOccurred(tr("Changes made elsewhere will not show until the project is reopened: %1").arg(error));
}

void ReviewSession::applyRemoteChanges(const QString &what)
{
    if (!isOpen() || m_restoring)
        return;
    const bool any = what.isEmpty();
    QVector<int> changed;
    if (any || what == QLatin1String("labels") || what == QLatin1String("classes")) {
        for (const LabelEvent &e : m_store->eventsAfter(m_lastEventId)) {
            m_lastEventId = std::max(m_lastEventId, e.id);
            const int i = indexOf(e.sampleId);
            if (i < 0)
                continue;
            SampleRow &r = m_samples[std::size_t(i)];
            if (r.label == e.newLabel && r.excluded == e.newExcluded)
                continue; // this window's own decision, or nothing new
            r.label = e.newLabel;
            r.excluded = e.newExcluded;
            changed.push_back(i);
        }
    }
    if (any || what == QLatin1String("classes")) {
        const QStringList classes = m_store->classes();
        if (!classes.isEmpty() && classes != m_classes) {
            m_classes = classes;
            Q_EMIT classesChanged();
        }
    }
    if (!changed.isEmpty()) {
        std::sort(changed.begin(), changed.end());
        changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
        Q_EMIT samplesChanged(changed);
    }
    if (any || what == QLatin1String("runs")) {
        const std::optional<RunInfo> latest = m_store->latestRun();
        if (latest && latest->id != m_runId && latest->id != m_announcedRun) {
            m_announcedRun = latest->id;
            Q_EMIT newAnalysisAvailable(latest->id);
        }
    }
}

} // namespace labelscope::ui
