#include "healthproject.h"

#include "health/healthchecks.h"

#include <QFile>
#include <QHash>

#include <algorithm>
#include <optional>

namespace labelscope {

Result<ProjectHealthResult> checkProjectSamples(ProjectStore &store, const RunEmbedding &embedding, qint64 recordRunId,
                                                int threads, JobContext &context)
{
    using R = Result<ProjectHealthResult>;
    return runJob<ProjectHealthResult>(context, [&](JobContext &c) -> R {
        QString error;
        ProjectHealthResult out;
        Dataset dataset;
        dataset.spec = store.meta(QStringLiteral("data_spec"));
        dataset.classes = store.classes();
        out.classes = dataset.classes;
        for (const SampleRow &row : store.samples()) {
            Sample s = row.sample;
            s.label = row.label;
            dataset.samples.push_back(s);
            out.sampleIds.push_back(row.id);
        }
        out.samples = dataset.samples;

        HealthOptions options;
        options.threads = threads;
        if (embedding.runId > 0 && embedding.ids && embedding.data && embedding.dim > 0 && embedding.ids->size() >= 2
            && embedding.data->size() == embedding.ids->size() * std::size_t(embedding.dim)) {
            QHash<qint64, int> index;
            index.reserve(qsizetype(out.sampleIds.size()));
            for (std::size_t i = 0; i < out.sampleIds.size(); ++i)
                index.insert(out.sampleIds[i], int(i));
            for (const qint64 id : *embedding.ids)
                options.outlierRows.push_back(index.value(id, -1));
            if (std::find(options.outlierRows.begin(), options.outlierRows.end(), -1) == options.outlierRows.end()) {
                options.outlierEmbedding = {embedding.data->data(), std::int64_t(embedding.ids->size()), embedding.dim};
                out.embeddingRunId = embedding.runId;
            } else {
                options.outlierRows.clear(); // embeddings of samples the project no longer has
            }
        }
        // The checks' own stage ("near duplicates") goes into the detail of the caller's stage.
        JobContext checks(c.jobName(), &c.cancelFlag(), [&c](const JobProgress &p) {
            c.progress(0.97 * p.fraction, p.detail.isEmpty() || p.stage.isEmpty() ? p.stage + p.detail
                                                                                   : QStringLiteral("%1, %2").arg(p.stage, p.detail));
        });
        Result<HealthReport> report = runHealthChecks(dataset, options, checks);
        if (!report)
            return R::from(report);
        out.report = std::move(report.value());
        c.progress(0.97, QStringLiteral("saving"));
        HealthRecord record = healthRecord(out.report, out.sampleIds, recordRunId, 20, &out.samples);
        if (out.embeddingRunId > 0)
            record.summary.insert(QStringLiteral("embedding_run"), out.embeddingRunId);
        out.checkId = store.saveHealth(record, &error);
        if (out.checkId <= 0)
            return R::failure(error);
        return R(std::move(out));
    });
}

Result<ProjectHealthResult> runProjectHealthChecks(const ProjectHealthParams &params, JobContext &context)
{
    return runJob<ProjectHealthResult>(context, [&](JobContext &c) -> Result<ProjectHealthResult> {
        using R = Result<ProjectHealthResult>;
        ProjectStore store;
        QString error;
        const NewProjectCleanup cleanup(store, params.projectFile);
        if (!store.open(params.projectFile, &error))
            return R::failure(error);
        if (store.isReadOnly())
            return R::failure(QStringLiteral("%1 is read-only (%2); the checks could not be stored")
                                  .arg(params.projectFile, store.readOnlyReason()));
        std::vector<SkippedItem> importSkipped;
        if (store.sampleCount() == 0) {
            if (params.dataSpec.isEmpty())
                return R::failure(QStringLiteral("%1: the project is empty; give a dataset (--data SPEC)").arg(params.projectFile));
            c.stage(QStringLiteral("loading"), 0.0, 0.1);
            LoadOptions options;
            options.progress = [&](qint64 done, qint64 total) {
                c.progress(total > 0 ? double(done) / double(total) : 0.0, QStringLiteral("%1 of %2 images").arg(done).arg(total));
                return !c.isCancelled();
            };
            LoadResult loaded = loadDataset(params.dataSpec, options);
            if (!loaded.ok())
                return loaded.error == QLatin1String("cancelled") ? R::cancelled() : R::failure(loaded.error);
            const QMap<QString, QString> meta{{QStringLiteral("data_spec"), params.dataSpec},
                                              {QStringLiteral("limit"), QString::number(options.limit)},
                                              {QStringLiteral("limit_order"), limitOrderName(options.limitOrder)},
                                              {QStringLiteral("image_size"), QString::number(options.imageSize)}};
            if (!store.importDataset(loaded.dataset, meta, &error))
                return R::failure(error);
            importSkipped = std::move(loaded.dataset.skipped);
        } else if (!params.dataSpec.isEmpty()
                   && canonicalDataSpec(params.dataSpec) != store.meta(QStringLiteral("data_spec"))) {
            return R::failure(QStringLiteral("%1 was made from '%2', not '%3'; use a new --project file")
                                  .arg(params.projectFile, store.meta(QStringLiteral("data_spec")), params.dataSpec));
        }

        std::vector<float> embedding;
        std::vector<qint64> embeddedIds;
        int dim = 0;
        qint64 runId = 0;
        if (params.runEmbeddings)
            if (const std::optional<RunInfo> run = store.latestRun();
                run && store.embeddings(run->id, &embeddedIds, &embedding, &dim) && dim > 0 && embeddedIds.size() >= 2)
                runId = run->id;
        c.stage(QStringLiteral("health checks"), 0.1, 1.0);
        Result<ProjectHealthResult> out =
            checkProjectSamples(store, runId > 0 ? RunEmbedding{runId, &embeddedIds, &embedding, dim} : RunEmbedding{},
                                0, params.threads, c);
        if (out)
            out.value().importSkipped = std::move(importSkipped);
        return out;
    });
}

HealthRecord healthRecord(const HealthReport &report, const std::vector<qint64> &sampleIds, qint64 runId, int topExamples,
                          const std::vector<Sample> *samples)
{
    HealthRecord r;
    r.runId = runId;
    r.created = QDateTime::currentDateTimeUtc();
    r.summary = report.toJson(topExamples, samples);
    for (int t = 0; t < kIssueTypeCount; ++t) {
        const IssueType type = kIssueTypeNames[t].value;
        StoredIssueColumn c;
        c.type = QString::fromLatin1(kIssueTypeNames[t].name);
        if (type == IssueType::ClassImbalance) {
            if (report.classes.empty())
                continue;
            c.threshold = report.statistics.imbalanceThreshold;
            for (std::size_t i = 0; i < sampleIds.size() && i < report.labels.size(); ++i) {
                const int label = report.labels[i];
                if (label < 0 || std::size_t(label) >= report.classes.size())
                    continue;
                c.sampleIds.push_back(sampleIds[i]);
                c.score.push_back(float(report.classes[std::size_t(label)].score));
                c.flag.push_back(report.classes[std::size_t(label)].flagged ? 1 : 0);
            }
        } else {
            const IssueColumn &col = report.column(type);
            if (!col.computed || col.score.size() != sampleIds.size())
                continue;
            c.threshold = col.threshold;
            c.sampleIds = sampleIds;
            c.score = col.score;
            c.flag = col.flag;
        }
        r.columns.push_back(std::move(c));
    }
    auto addSets = [&](const std::vector<DuplicateSet> &sets, const QString &kind) {
        for (const DuplicateSet &s : sets) {
            StoredDuplicateSet stored;
            stored.kind = kind;
            stored.leaks = s.leaks;
            for (const int m : s.members)
                if (m >= 0 && std::size_t(m) < sampleIds.size())
                    stored.sampleIds.push_back(sampleIds[std::size_t(m)]);
            r.sets.push_back(std::move(stored));
        }
    };
    addSets(report.exactSets, QStringLiteral("exact"));
    addSets(report.nearSets, QStringLiteral("near"));
    return r;
}

HealthReport healthReportFromRecord(const HealthRecord &record, const std::vector<qint64> &sampleIds,
                                    const std::vector<int> &labels)
{
    HealthReport report;
    const std::size_t n = sampleIds.size();
    report.samples = std::int64_t(n);
    report.labels = labels.size() == n ? labels : std::vector<int>(n, -1);
    report.measured.assign(n, 1);
    QHash<qint64, int> index;
    index.reserve(qsizetype(n));
    for (std::size_t i = 0; i < n; ++i)
        index.insert(sampleIds[i], int(i));
    for (const StoredIssueColumn &c : record.columns) {
        const std::optional<IssueType> type = enumFromName(kIssueTypeNames, c.type);
        if (!type)
            continue; // a type of a newer build
        IssueColumn &col = report.column(*type);
        col.reset(n, c.threshold);
        for (std::size_t j = 0; j < c.sampleIds.size(); ++j) {
            const int i = index.value(c.sampleIds[j], -1);
            if (i < 0)
                continue;
            col.score[std::size_t(i)] = c.score[j];
            col.flag[std::size_t(i)] = c.flag[j];
        }
    }
    for (const StoredDuplicateSet &s : record.sets) {
        DuplicateSet set;
        set.leaks = s.leaks;
        for (const qint64 id : s.sampleIds)
            if (const int i = index.value(id, -1); i >= 0)
                set.members.push_back(i);
        if (set.members.size() < 2)
            continue;
        std::sort(set.members.begin(), set.members.end());
        (s.kind == QLatin1String("exact") ? report.exactSets : report.nearSets).push_back(std::move(set));
    }
    report.seconds = record.summary.value(QStringLiteral("seconds")).toDouble();
    return report;
}

} // namespace labelscope
