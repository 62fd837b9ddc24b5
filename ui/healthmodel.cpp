#include "healthmodel.h"

#include "reviewsession.h"
#include "uicommon.h"

#include "health/healthproject.h"
#include "jobs/jobrunner.h"

#include <algorithm>

namespace labelscope::ui {

namespace {
const QString kJobName = QStringLiteral("health checks");
}

HealthModel::HealthModel(ReviewSession *session, QObject *parent) : QObject(parent), m_session(session)
{
    connect(m_session, &ReviewSession::reloaded, this, &HealthModel::reload);
}

void HealthModel::reload()
{
    m_has = false;
    m_report = HealthReport();
    m_note = tr("No dataset-health check yet: run the checks (or labelscope check / analyze).");
    ProjectStore *store = m_session->isOpen() ? m_session->store() : nullptr;
    if (store) {
        if (const std::optional<HealthRecord> record = store->latestHealth()) {
            std::vector<qint64> ids;
            std::vector<int> labels;
            std::vector<Sample> samples;
            for (const SampleRow &r : m_session->rows()) {
                ids.push_back(r.id);
                labels.push_back(r.label);
                Sample s = r.sample;
                s.label = r.label;
                samples.push_back(s);
            }
            m_report = healthReportFromRecord(*record, ids, labels);
            computeClassBalance(samples, m_session->classes(), record->summary.value(QStringLiteral("statistics")).toObject()
                                                                   .value(QStringLiteral("imbalance_threshold")).toDouble(0.1),
                                &m_report);
            m_has = true;
            const QString when = record->created.toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"));
            const qint64 embeddingRun = record->runId > 0
                ? record->runId
                : qint64(record->summary.value(QStringLiteral("embedding_run")).toDouble());
            m_note = m_report.column(IssueType::Outlier).computed && embeddingRun > 0
                ? tr("Checked %1; outlier scores from the embeddings of analysis run %2.").arg(when).arg(embeddingRun)
                : tr("Checked %1 without an analysis (no outlier scores: analyse the project first).").arg(when);
        } else if (!store->lastError().isEmpty() && store->lastError().contains(QLatin1String("health"))) {
            m_note = store->lastError();
        }
    }
    Q_EMIT changed();
}

std::vector<IssueType> HealthModel::computedTypes() const
{
    std::vector<IssueType> out;
    if (!m_has)
        return out;
    for (int t = 0; t < kIssueTypeCount; ++t) {
        const IssueType type = kIssueTypeNames[t].value;
        if (type != IssueType::Label && m_report.column(type).computed)
            out.push_back(type);
    }
    return out;
}

std::vector<std::uint8_t> HealthModel::mask(IssueType type) const
{
    const IssueColumn &c = m_report.column(type);
    if (!m_has || !c.computed)
        return std::vector<std::uint8_t>(std::size_t(m_session->count()), 0);
    return c.flag;
}

std::int64_t HealthModel::flaggedCount(IssueType type) const
{
    return m_has && m_report.column(type).computed ? m_report.column(type).flagged() : 0;
}

std::vector<int> HealthModel::flaggedByScore(IssueType type) const
{
    std::vector<int> out;
    const IssueColumn &c = m_report.column(type);
    if (!m_has || !c.computed)
        return out;
    for (std::size_t i = 0; i < c.flag.size(); ++i)
        if (c.flag[i])
            out.push_back(int(i));
    std::stable_sort(out.begin(), out.end(), [&](int a, int b) { return c.score[std::size_t(a)] < c.score[std::size_t(b)]; });
    return out;
}

std::vector<IssueType> HealthModel::issuesOf(int index) const
{
    std::vector<IssueType> out;
    if (!m_has || index < 0)
        return out;
    for (const IssueType type : computedTypes()) {
        const IssueColumn &c = m_report.column(type);
        if (std::size_t(index) < c.flag.size() && c.flag[std::size_t(index)])
            out.push_back(type);
    }
    return out;
}

std::vector<HealthModel::Set> HealthModel::duplicateSets() const
{
    std::vector<Set> out;
    for (const DuplicateSet &s : m_report.exactSets)
        out.push_back({true, s.leaks, s.members});
    for (const DuplicateSet &s : m_report.nearSets)
        out.push_back({false, s.leaks, s.members});
    return out;
}

QString HealthModel::issueLabel(IssueType type)
{
    switch (type) {
    case IssueType::Label: return tr("Wrong label");
    case IssueType::Outlier: return tr("Outlier");
    case IssueType::ExactDuplicate: return tr("Exact duplicate");
    case IssueType::NearDuplicate: return tr("Near duplicate");
    case IssueType::Dark: return tr("Dark");
    case IssueType::Light: return tr("Light");
    case IssueType::Blurry: return tr("Blurry");
    case IssueType::LowInformation: return tr("Low information");
    case IssueType::OddAspectRatio: return tr("Odd aspect ratio");
    case IssueType::OddSize: return tr("Odd size");
    case IssueType::Grayscale: return tr("Grayscale");
    case IssueType::Leakage: return tr("Leakage (train/test)");
    case IssueType::ClassImbalance: return tr("Class imbalance");
    }
    return QString();
}

QColor HealthModel::issueColor(IssueType type)
{
    switch (type) {
    case IssueType::Label: return categoryColor(Category::Hard);
    case IssueType::Outlier: return QColor(0x7b, 0x3f, 0xb5);         // violet
    case IssueType::ExactDuplicate: return QColor(0x00, 0x7c, 0x80);  // dark teal
    case IssueType::NearDuplicate: return QColor(0x2a, 0xb0, 0xb0);   // teal
    case IssueType::Leakage: return QColor(0xd0, 0x3c, 0xa0);         // magenta
    case IssueType::ClassImbalance: return QColor(0x55, 0x6b, 0x8d);  // slate
    case IssueType::Dark:
    case IssueType::Light:
    case IssueType::Blurry:
    case IssueType::LowInformation:
    case IssueType::OddAspectRatio:
    case IssueType::OddSize:
    case IssueType::Grayscale: return QColor(0xa0, 0x6c, 0xd5);        // light violet
    }
    return QColor();
}

bool HealthModel::isExcludeKind(IssueType type)
{
    return type != IssueType::Label && !isDuplicateKind(type) && type != IssueType::ClassImbalance;
}

bool HealthModel::isDuplicateKind(IssueType type)
{
    return type == IssueType::ExactDuplicate || type == IssueType::NearDuplicate || type == IssueType::Leakage;
}

void HealthModel::runChecks()
{
    if (m_running || !m_session->isOpen())
        return;
    if (m_session->isReadOnly()) {
        Q_EMIT checkFinished(tr("The project is open read-only (%1); the checks cannot be stored.").arg(m_session->readOnlyReason()));
        return;
    }
    m_running = true;
    Q_EMIT runningChanged(true);
    ProjectHealthParams params;
    params.projectFile = m_session->fileName();
    JobRunner *jobs = jobRunnerFor(this);
    connect(jobs, &JobRunner::progress, this, &HealthModel::onJobProgress, Qt::UniqueConnection);
    jobs->start<ProjectHealthResult>(
        kJobName,
        [params](JobContext &context) { return runProjectHealthChecks(params, context); },
        [this](Result<ProjectHealthResult> r) {
            m_running = false;
            Q_EMIT runningChanged(false);
            if (r)
                reload();
            Q_EMIT checkFinished(r ? QString() : r.isCancelled() ? QStringLiteral("cancelled") : r.error());
        });
}

void HealthModel::onJobProgress(const JobProgress &p)
{
    if (p.job != kJobName || !m_running)
        return;
    const QString text = p.detail.isEmpty() ? p.stage : QStringLiteral("%1: %2").arg(p.stage, p.detail);
    Q_EMIT progress(p.etaSeconds >= 0 ? tr("%1 (about %2 s left)").arg(text).arg(qint64(p.etaSeconds + 0.5)) : text, p.fraction);
}

void HealthModel::cancelChecks()
{
    if (m_running)
        jobRunnerFor(this)->cancel(kJobName);
}

} // namespace labelscope::ui
