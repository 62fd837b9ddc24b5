#include "reviewsession.h"

#include "base/projectlocation.h"

#include "uicommon.h"

#include <QFileInfo>
#include <QUndoCommand>
#include <QUndoStack>

#include <algorithm>
#include <cmath>
#include <map>

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
/// redo() writes the new states again with reason "redo". While the session replays the log at
/// open (m_restoring), undo() and redo() only move the stack's index.
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
        if (m_session->m_restoring)
            return;
        // In a shared project another annotator may have decided a sample since: undo and redo
        // leave such a sample as it is (they would overwrite that decision) and say so. A sample
        // must be in the state this batch left (undo) or found (redo).
        std::map<qint64, std::pair<int, bool>> expected;
        for (const Change &c : m_changes) {
            if (back)
                expected[c.id] = {c.newLabel, c.newExcluded};      // the last change of the sample
            else
                expected.try_emplace(c.id, c.oldLabel, c.oldExcluded); // the first one
        }
        QVector<qint64> skipped; // ascending (the map's order)
        for (const auto &[id, state] : expected) {
            const int i = m_session->indexOf(id);
            if (i < 0 || m_session->row(i).label != state.first || m_session->row(i).excluded != state.second)
                skipped.push_back(id);
        }
        std::vector<Decision> decisions;
        QVector<qint64> ids;
        decisions.reserve(m_changes.size());
        // Undo walks the batch backwards: a sample decided twice in one batch ends in the state
        // before the first decision.
        for (std::size_t j = 0; j < m_changes.size(); ++j) {
            const Change &c = m_changes[back ? m_changes.size() - 1 - j : j];
            if (std::binary_search(skipped.cbegin(), skipped.cend(), c.id))
                continue;
            Decision d;
            d.sampleId = c.id;
            d.newLabel = back ? c.oldLabel : c.newLabel;
            d.excluded = back ? c.oldExcluded : c.newExcluded;
            d.reason = back ? QStringLiteral("undo") : QStringLiteral("redo");
            decisions.push_back(d);
            ids.push_back(c.id);
        }
        QString error;
        if (!m_session->write(decisions, &error, back ? -1 : 1)) {
            Q_EMIT m_session->errorOccurred(
                (back ? QStringLiteral("Undo failed: %1") : QStringLiteral("Redo failed: %1")).arg(error));
            return;
        }
        if (!ids.isEmpty())
            Q_EMIT m_session->undoRedoApplied(ids);
        if (!skipped.isEmpty())
            Q_EMIT m_session->undoRedoSkipped(skipped);
    }

    ReviewSession *m_session;
    std::vector<Change> m_changes;
    bool m_first = true;
};

namespace {
QString batchText(const DecisionBatch &b, const QStringList &classes)
{
    const std::size_t n = b.events.size();
    const LabelEvent &e = b.events.front();
    QString what;
    if (b.reason == QLatin1String("exclude"))
        what = ReviewSession::tr("Exclude");
    else if (b.reason == QLatin1String("accept"))
        what = ReviewSession::tr("Keep given label");
    else
        what = ReviewSession::tr("Label as %1").arg(className(classes, e.newLabel));
    return n > 1 ? ReviewSession::tr("%1 (%2 samples)").arg(what).arg(n)
                 : ReviewSession::tr("%1 (#%2)").arg(what).arg(e.sampleId);
}

// The same samples (an undo writes them in reverse order, a redo in the original one).
bool sameSamples(const DecisionBatch &a, const DecisionBatch &b)
{
    if (a.events.size() != b.events.size())
        return false;
    std::vector<qint64> x, y;
    x.reserve(a.events.size());
    y.reserve(b.events.size());
    for (std::size_t i = 0; i < a.events.size(); ++i) {
        x.push_back(a.events[i].sampleId);
        y.push_back(b.events[i].sampleId);
    }
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    return x == y;
}
} // namespace

ReviewSession::ReviewSession(QObject *parent)
    : QObject(parent), m_undo(new QUndoStack(this))
{
    m_annotator = defaultAnnotator();
}

ReviewSession::~ReviewSession()
{
    // The undo commands point at this session; drop them before the store goes.
    m_undo->clear();
}

bool ReviewSession::open(const QString &file, QString *error)
{
    if (!ProjectLocation::isUrl(file) && !QFileInfo::exists(file)) {
        if (error)
            *error = QStringLiteral("%1: no such project file").arg(file);
        return false;
    }
    auto store = std::make_unique<ProjectStore>();
    QString err;
    // A PostgreSQL project must exist (open() would create an empty one).
    if (!(ProjectLocation::isUrl(file) ? store->openExisting(file, &err) : store->open(file, &err))) {
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
    restoreHistory();
    startWatching();
    m_openedAt = QDateTime::currentDateTimeUtc();
    Q_EMIT reloaded();
    return true;
}

void ReviewSession::restoreHistory()
{
    // Replays the log: a decision batch is applied (and clears what could be redone), an "undo"
    // batch takes back the last applied one, a "redo" batch applies the last undone one again —
    // as QUndoStack did when they were written. An undo or redo that does not match (written by
    // another window meanwhile) counts as a decision of its own.
    m_undo->clear();
    m_depth.assign(m_samples.size(), 0);
    if (!m_store)
        return;
    const std::vector<DecisionBatch> batches = m_store->decisionBatches();
    // Every annotator's batches count for the samples' review depth; the undo stack is this
    // annotator's own (in a shared project Ctrl+Z never takes back someone else's decision).
    // Batches without an annotator (written before annotators were recorded) count as ours.
    struct Stacks {
        std::vector<const DecisionBatch *> applied, undone;
    };
    std::map<QString, Stacks> stacks;
    auto move = [this](const DecisionBatch &b, int delta) {
        for (const LabelEvent &e : b.events) {
            const int i = indexOf(e.sampleId);
            if (i >= 0)
                m_depth[std::size_t(i)] = std::max(0, m_depth[std::size_t(i)] + delta);
        }
    };
    for (const DecisionBatch &b : batches) {
        if (b.events.empty())
            continue;
        Stacks &own = stacks[b.annotator.isEmpty() ? m_annotator : b.annotator];
        std::vector<const DecisionBatch *> &applied = own.applied, &undone = own.undone;
        if (b.reason == QLatin1String("undo") && !applied.empty() && sameSamples(*applied.back(), b)) {
            move(*applied.back(), -1);
            undone.push_back(applied.back());
            applied.pop_back();
        } else if (b.reason == QLatin1String("redo") && !undone.empty() && sameSamples(*undone.back(), b)) {
            move(*undone.back(), +1);
            applied.push_back(undone.back());
            undone.pop_back();
        } else {
            move(b, +1);
            applied.push_back(&b);
            undone.clear();
        }
    }
    auto command = [this](const DecisionBatch &b) {
        std::vector<Change> changes;
        changes.reserve(b.events.size());
        for (const LabelEvent &e : b.events)
            changes.push_back({e.sampleId, e.oldLabel, e.newLabel, e.oldExcluded, e.newExcluded});
        return new DecisionCommand(this, std::move(changes), batchText(b, m_classes));
    };
    // The stack: the applied batches (oldest first), then the undone ones in the order a redo
    // meets them; the index then sits after the applied ones. Nothing is written meanwhile.
    const std::vector<const DecisionBatch *> &applied = stacks[m_annotator].applied, &undone = stacks[m_annotator].undone;
    m_restoring = true;
    const std::size_t firstApplied = applied.size() > std::size_t(kRestoredHistory) ? applied.size() - kRestoredHistory : 0;
    for (std::size_t j = firstApplied; j < applied.size(); ++j)
        m_undo->push(command(*applied[j]));
    const int appliedCount = m_undo->count();
    const std::size_t lastUndone = std::min(undone.size(), std::size_t(kRestoredHistory));
    for (std::size_t j = 0; j < lastUndone; ++j)
        m_undo->push(command(*undone[undone.size() - 1 - j]));
    m_undo->setIndex(appliedCount);
    m_undo->setClean();
    m_restoring = false;
    m_chosen.assign(std::size_t(m_classes.size()), 0);
    for (const DecisionBatch &b : batches)
        for (const LabelEvent &e : b.events)
            if (e.reason == QLatin1String("relabel") && e.newLabel >= 0 && std::size_t(e.newLabel) < m_chosen.size())
                ++m_chosen[std::size_t(e.newLabel)];
    updateQuickClasses();
    // Merged-away classes (for the class lists).
    m_mergedAway.clear();
    for (const ClassEvent &e : m_store->classEvents())
        if (e.action == QLatin1String("merge") && !m_mergedAway.contains(e.classId))
            m_mergedAway.push_back(e.classId);
}

void ReviewSession::close()
{
    m_undo->clear();
    m_store.reset();
    m_classes.clear();
    m_samples.clear();
    m_scores.clear();
    m_hasScore.clear();
    m_depth.clear();
    m_mergedAway.clear();
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
    updateQuickClasses();
    Q_EMIT reloaded();
    return ok;
}

bool ReviewSession::readAll(QString *error)
{
    // Before the rows: an event committed meanwhile is applied again by applyRemoteChanges().
    m_lastEventId = m_store->lastEventId();
    m_announcedRun = 0;
    m_classes = m_store->classes();
    m_samples = m_store->samples();
    std::sort(m_samples.begin(), m_samples.end(),
              [](const SampleRow &a, const SampleRow &b) { return a.id < b.id; });
    m_scores.assign(m_samples.size(), SampleScore{});
    m_hasScore.assign(m_samples.size(), 0);
    if (m_depth.size() != m_samples.size())
        m_depth.assign(m_samples.size(), 0);
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

bool ReviewSession::isKept(int index) const
{
    if (!isReviewed(index))
        return false;
    const SampleRow &r = row(index);
    return r.label == r.givenLabel && !r.excluded;
}

bool ReviewSession::isFlagged(int index) const
{
    const Category c = category(index);
    return c == Category::Hard || c == Category::NeedReview;
}

int ReviewSession::suggestion(int index) const
{
    const SampleScore *s = score(index);
    if (!s)
        return -1;
    const int k = int(m_classes.size());
    if (s->suggestedLabel >= 0 && s->suggestedLabel < k)
        return s->suggestedLabel;
    return s->predLabel >= 0 && s->predLabel < k ? s->predLabel : -1;
}

double ReviewSession::wrongProbability(int index) const
{
    const SampleScore *s = score(index);
    if (!s || !std::isfinite(s->noiseScore))
        return -1.0;
    if (std::isfinite(s->dpScore))
        return std::clamp(2.0 * double(s->noiseScore) - double(s->dpScore), 0.0, 1.0);
    return std::clamp(double(s->noiseScore), 0.0, 1.0);
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
        if (m_depth[std::size_t(i)] > 0) {
            ++c.reviewed;
            switch (category(i)) {
            case Category::Easy: ++c.reviewedEasy; break;
            case Category::Hard: ++c.reviewedHard; break;
            case Category::NeedReview: ++c.reviewedNeedReview; break;
            case Category::Unknown: break;
            }
            if (r.label == r.givenLabel && !r.excluded)
                ++c.kept;
        }
    }
    return c;
}

QVector<int> ReviewSession::pinnedClasses() const
{
    QVector<int> out;
    if (!m_store)
        return out;
    const QStringList parts = m_store->meta(QStringLiteral("pinned_classes")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &p : parts) {
        bool ok = false;
        const int k = p.trimmed().toInt(&ok);
        if (ok && k >= 0 && k < m_classes.size() && !out.contains(k) && out.size() < 10)
            out.push_back(k);
    }
    return out;
}

bool ReviewSession::setPinnedClasses(const QVector<int> &classIds, QString *error)
{
    if (!m_store || m_store->isReadOnly()) {
        if (error)
            *error = tr("no project is open for writing");
        return false;
    }
    QStringList parts;
    for (int k : classIds)
        if (k >= 0 && k < m_classes.size() && !parts.contains(QString::number(k)) && parts.size() < 10)
            parts << QString::number(k);
    if (!m_store->setMeta(QStringLiteral("pinned_classes"), parts.join(QLatin1Char(',')), error))
        return false;
    updateQuickClasses();
    Q_EMIT classesChanged();
    return true;
}

void ReviewSession::updateQuickClasses()
{
    m_quick.clear();
    const int k = int(m_classes.size());
    if (k <= 10) {
        for (int c = 0; c < k; ++c)
            m_quick.push_back(c);
        return;
    }
    m_quick = pinnedClasses();
    std::vector<int> rest;
    for (int c = 0; c < k; ++c)
        if (!m_quick.contains(c))
            rest.push_back(c);
    std::stable_sort(rest.begin(), rest.end(), [this](int a, int b) {
        const qint64 ua = std::size_t(a) < m_chosen.size() ? m_chosen[std::size_t(a)] : 0;
        const qint64 ub = std::size_t(b) < m_chosen.size() ? m_chosen[std::size_t(b)] : 0;
        return ua > ub;
    });
    for (int c : rest) {
        if (m_quick.size() >= 10)
            break;
        if (!isMergedAway(c))
            m_quick.push_back(c);
    }
}

QString ReviewSession::keyForClass(int classId) const
{
    const int at = int(m_quick.indexOf(classId));
    if (at < 0)
        return {};
    return at < 9 ? QString::number(at + 1) : QStringLiteral("0");
}

bool ReviewSession::isMergedAway(int classId) const
{
    if (!m_mergedAway.contains(classId))
        return false;
    for (const SampleRow &r : m_samples)
        if (r.label == classId)
            return false;
    return true;
}

bool ReviewSession::addClass(const QString &name, QString *error)
{
    if (!m_store || m_store->isReadOnly()) {
        if (error)
            *error = m_store ? tr("the project is open read-only (%1)").arg(m_store->readOnlyReason())
                             : tr("no project is open");
        return false;
    }
    const Result<int> r = m_store->addClass(name, m_annotator);
    if (!r) {
        if (error)
            *error = r.error();
        return false;
    }
    m_classes = m_store->classes();
    updateQuickClasses();
    Q_EMIT classesChanged();
    return true;
}

bool ReviewSession::renameClass(int classId, const QString &name, QString *error)
{
    if (!m_store || m_store->isReadOnly()) {
        if (error)
            *error = m_store ? tr("the project is open read-only (%1)").arg(m_store->readOnlyReason())
                             : tr("no project is open");
        return false;
    }
    const Result<> r = m_store->renameClass(classId, name, m_annotator);
    if (!r) {
        if (error)
            *error = r.error();
        return false;
    }
    m_classes = m_store->classes();
    Q_EMIT classesChanged();
    return true;
}

bool ReviewSession::mergeClass(int from, int into, QString *error)
{
    if (!m_store || m_store->isReadOnly()) {
        if (error)
            *error = m_store ? tr("the project is open read-only (%1)").arg(m_store->readOnlyReason())
                             : tr("no project is open");
        return false;
    }
    const Result<qint64> r = m_store->mergeClass(from, into, m_annotator);
    if (!r) {
        if (error)
            *error = r.error();
        return false;
    }
    QVector<int> changed;
    for (int i = 0; i < count(); ++i)
        if (m_samples[std::size_t(i)].label == from) {
            m_samples[std::size_t(i)].label = into;
            changed.push_back(i);
        }
    // The merge is one batch of the log: the history (and so Ctrl+Z) is rebuilt from it.
    restoreHistory();
    Q_EMIT classesChanged();
    if (!changed.isEmpty()) {
        Q_EMIT decisionsWritten(int(changed.size()));
        Q_EMIT samplesChanged(changed);
    }
    return true;
}

bool ReviewSession::write(const std::vector<Decision> &decisions, QString *error, int reviewDelta)
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
        int &depth = m_depth[std::size_t(i)];
        depth = std::max(0, depth + reviewDelta);
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
    if (!write(decisions, error, 1))
        return false;
    m_undo->push(new DecisionCommand(this, std::move(changes), text));
    return true;
}

} // namespace labelscope::ui
