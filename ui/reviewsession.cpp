#include "reviewsession.h"

#include <QFileInfo>
#include <QUndoCommand>
#include <QUndoStack>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

namespace {
struct Change {
    qint64 id = 0;
    int oldLabel = -1, newLabel = -1;
    bool oldExcluded = false, newExcluded = false;
};
} // namespace

/// One batch of decisions. The first redo() (from QUndoStack::push) does nothing because the
/// decisions were already written; undo() writes the old states with reason "undo", a later
/// redo() writes the new states again with reason "redo".
class DecisionCommand : public QUndoCommand {
public:
    DecisionCommand(ReviewSession *session, std::vector<Change> changes, const QString &text)
        : QUndoCommand(text), m_session(session), m_changes(std::move(changes)) {}

    void undo() override { apply(true); }
    void redo() override
    {
        if (m_first) {
            m_first = false;
            return;
        }
        apply(false);
    }

private:
    void apply(bool back)
    {
        std::vector<Decision> decisions;
        QVector<qint64> ids;
        decisions.reserve(m_changes.size());
        for (const Change &c : m_changes) {
            Decision d;
            d.sampleId = c.id;
            d.newLabel = back ? c.oldLabel : c.newLabel;
            d.excluded = back ? c.oldExcluded : c.newExcluded;
            d.reason = back ? QStringLiteral("undo") : QStringLiteral("redo");
            decisions.push_back(d);
            ids.push_back(c.id);
        }
        QString error;
        if (!m_session->write(decisions, &error)) {
            Q_EMIT m_session->errorOccurred(
                (back ? QStringLiteral("Undo failed: %1") : QStringLiteral("Redo failed: %1")).arg(error));
            return;
        }
        Q_EMIT m_session->undoRedoApplied(ids);
    }

    ReviewSession *m_session;
    std::vector<Change> m_changes;
    bool m_first = true;
};

ReviewSession::ReviewSession(QObject *parent)
    : QObject(parent), m_undo(new QUndoStack(this))
{
    m_annotator = QString::fromLocal8Bit(qgetenv("USER")).trimmed();
    if (m_annotator.isEmpty())
        m_annotator = QStringLiteral("annotator");
}

ReviewSession::~ReviewSession()
{
    // The undo commands point at this session; drop them before the store goes.
    m_undo->clear();
}

bool ReviewSession::open(const QString &file, QString *error)
{
    if (!QFileInfo::exists(file)) {
        if (error)
            *error = QStringLiteral("%1: no such project file").arg(file);
        return false;
    }
    auto store = std::make_unique<ProjectStore>();
    QString err;
    if (!store->open(file, &err)) {
        if (error)
            *error = err.isEmpty() ? QStringLiteral("%1: cannot open").arg(file) : err;
        return false;
    }
    m_undo->clear();
    m_store = std::move(store);
    if (!readAll(error)) {
        close();
        return false;
    }
    Q_EMIT reloaded();
    return true;
}

void ReviewSession::close()
{
    m_undo->clear();
    m_store.reset();
    m_classes.clear();
    m_samples.clear();
    m_scores.clear();
    m_hasScore.clear();
    m_runId = 0;
    m_run.reset();
    Q_EMIT reloaded();
}

bool ReviewSession::reload(QString *error)
{
    if (!m_store) {
        if (error)
            *error = QStringLiteral("no project is open");
        return false;
    }
    // A fresh connection sees everything other connections (the analysis worker) committed.
    const QString file = m_store->fileName();
    auto store = std::make_unique<ProjectStore>();
    QString err;
    if (!store->open(file, &err)) {
        if (error)
            *error = err;
        return false;
    }
    m_store = std::move(store);
    const bool ok = readAll(error);
    Q_EMIT reloaded();
    return ok;
}

bool ReviewSession::readAll(QString *error)
{
    m_classes = m_store->classes();
    m_samples = m_store->samples();
    std::sort(m_samples.begin(), m_samples.end(),
              [](const SampleRow &a, const SampleRow &b) { return a.id < b.id; });
    m_scores.assign(m_samples.size(), SampleScore{});
    m_hasScore.assign(m_samples.size(), 0);
    m_run = m_store->latestRun();
    m_runId = m_run ? m_run->id : 0;
    if (m_runId > 0) {
        const std::vector<SampleScore> scores = m_store->scores(m_runId);
        for (const SampleScore &s : scores) {
            const int i = indexOf(s.sampleId);
            if (i < 0)
                continue;
            m_scores[std::size_t(i)] = s;
            m_hasScore[std::size_t(i)] = 1;
        }
    }
    if (m_samples.empty() && m_store->sampleCount() > 0) {
        if (error)
            *error = m_store->lastError();
        return false;
    }
    return true;
}

bool ReviewSession::isOpen() const { return m_store && m_store->isOpen(); }

QString ReviewSession::fileName() const { return m_store ? m_store->fileName() : QString(); }

bool ReviewSession::isReadOnly() const { return m_store && m_store->isReadOnly(); }

QString ReviewSession::readOnlyReason() const { return m_store ? m_store->readOnlyReason() : QString(); }

const SampleScore *ReviewSession::score(int index) const
{
    if (index < 0 || index >= count() || !m_hasScore[std::size_t(index)])
        return nullptr;
    return &m_scores[std::size_t(index)];
}

Category ReviewSession::category(int index) const
{
    const SampleScore *s = score(index);
    return s ? s->category : Category::Unknown;
}

float ReviewSession::noiseScore(int index) const
{
    const SampleScore *s = score(index);
    return s && std::isfinite(s->noiseScore) ? s->noiseScore : -1.f;
}

bool ReviewSession::isRelabelled(int index) const
{
    const SampleRow &r = row(index);
    return r.label != r.givenLabel;
}

int ReviewSession::indexOf(qint64 id) const
{
    // Ids are SQLite rowids, 1..N in import order: try the direct slot first.
    if (id >= 1 && id <= qint64(m_samples.size()) && m_samples[std::size_t(id - 1)].id == id)
        return int(id - 1);
    auto it = std::lower_bound(m_samples.begin(), m_samples.end(), id,
                               [](const SampleRow &r, qint64 v) { return r.id < v; });
    if (it == m_samples.end() || it->id != id)
        return -1;
    return int(it - m_samples.begin());
}

std::optional<Trajectory> ReviewSession::trajectory(int index) const
{
    if (!m_store || m_runId <= 0 || index < 0 || index >= count())
        return std::nullopt;
    return m_store->trajectory(m_runId, row(index).id);
}

bool ReviewSession::hasTrainAndTest() const
{
    bool train = false, test = false;
    for (const SampleRow &r : m_samples) {
        (isTestSample(r) ? test : train) = true;
        if (train && test)
            return true;
    }
    return false;
}

ReviewSession::Counts ReviewSession::counts() const
{
    Counts c;
    for (int i = 0; i < count(); ++i) {
        switch (category(i)) {
        case Category::Easy: ++c.easy; break;
        case Category::Hard: ++c.hard; break;
        case Category::NeedReview: ++c.needReview; break;
        case Category::Unknown:
            if (!score(i) && isTestSample(m_samples[std::size_t(i)]))
                ++c.notAnalysedTest;
            else
                ++c.unknown;
            break;
        }
        const SampleRow &r = m_samples[std::size_t(i)];
        if (r.excluded)
            ++c.excluded;
        if (r.label != r.givenLabel)
            ++c.relabelled;
    }
    return c;
}

bool ReviewSession::write(const std::vector<Decision> &decisions, QString *error)
{
    if (!m_store) {
        if (error)
            *error = QStringLiteral("no project is open");
        return false;
    }
    if (decisions.empty())
        return true;
    if (m_store->isReadOnly()) {
        if (error)
            *error = tr("the project is open read-only (%1): decisions are not possible")
                         .arg(m_store->readOnlyReason());
        return false;
    }
    QString err;
    if (!m_store->applyDecisions(decisions, m_annotator, &err)) {
        if (error)
            *error = err.isEmpty() ? m_store->lastError() : err;
        return false;
    }
    QVector<int> changed;
    changed.reserve(int(decisions.size()));
    for (const Decision &d : decisions) {
        const int i = indexOf(d.sampleId);
        if (i < 0)
            continue;
        SampleRow &r = m_samples[std::size_t(i)];
        r.label = d.newLabel;
        r.excluded = d.excluded;
        changed.push_back(i);
    }
    Q_EMIT decisionsWritten(int(decisions.size()));
    Q_EMIT samplesChanged(changed);
    return true;
}

bool ReviewSession::decide(const std::vector<Decision> &decisions, const QString &text, QString *error)
{
    std::vector<Change> changes;
    changes.reserve(decisions.size());
    for (const Decision &d : decisions) {
        const int i = indexOf(d.sampleId);
        if (i < 0) {
            if (error)
                *error = QStringLiteral("unknown sample id %1").arg(d.sampleId);
            return false;
        }
        const SampleRow &r = row(i);
        changes.push_back({d.sampleId, r.label, d.newLabel, r.excluded, d.excluded});
    }
    if (!write(decisions, error))
        return false;
    m_undo->push(new DecisionCommand(this, std::move(changes), text));
    return true;
}

} // namespace labelscope::ui
