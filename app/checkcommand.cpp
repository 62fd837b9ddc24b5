// `labelscope check`: the dataset-health checks without training (issue 16; core/health):
// image properties, exact and near duplicates, leakage across splits, class balance, and the
// outlier score when the project holds an analysis with embeddings. Stored in the project.

#include "cli.h"
#include "commands.h"

#include "health/healthproject.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace labelscope::app {

namespace {

QString sampleName(const ProjectHealthResult &r, int i)
{
    const Sample &s = r.samples[std::size_t(i)];
    const QString where = s.offset >= 0 ? QStringLiteral("%1#%2").arg(s.split.isEmpty() ? QStringLiteral("?") : s.split).arg(s.offset)
                                        : s.path;
    return QStringLiteral("%1 (%2)").arg(where, r.classes.value(s.label, QStringLiteral("unlabelled")));
}

int runCheckCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("check"), QStringLiteral(
        "Dataset health without training: dark, light, blurry, low-information, odd-size,\n"
        "odd-aspect-ratio and grayscale images (CleanVision's rules), exact duplicates (hash of the\n"
        "decoded pixels), near duplicates (nearest neighbours confirmed by a perceptual hash and an\n"
        "aligned pixel residual, reported as sets), leakage (a duplicate set spanning train and\n"
        "test) and class imbalance; outliers too when the project holds an analysis (kNN distances\n"
        "in its embeddings). The result is stored in the project for the window.\n\n"
        "SPEC as for analyze; it is imported into a new or empty project (no label noise)."));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Dataset to import (new project)."), QStringLiteral("SPEC"));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Project file to create or update."), QStringLiteral("FILE"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("Image workers (default: all cores)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption top(QStringLiteral("top"), QStringLiteral("Examples per issue type in the summary (default 5)."), QStringLiteral("N"), QStringLiteral("5"));
    const QCommandLineOption noOutliers(QStringLiteral("no-outliers"), QStringLiteral("Skip the outlier score even when an analysis exists."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral(
        "Print a JSON summary on stdout: counts per issue type, per class, the top examples,\n"
        "duplicate sets, and the files of a new import that were not read (not_imported)."));
    cli.addOptions({data, project, threads, top, noOutliers, json});
    if (const auto exit = cli.parse(arguments, {project}))
        return *exit;
    ProjectHealthParams params;
    params.projectFile = cli.value(project);
    params.dataSpec = cli.value(data);
    params.threads = int(cli.integer(threads, 0, 1024));
    params.runEmbeddings = !cli.isSet(noOutliers);
    const int topExamples = int(cli.integer(top, 0, 10000));
    if (const auto exit = cli.usageErrors())
        return *exit;

    const Result<ProjectHealthResult> run = cli.run<ProjectHealthResult>(QStringLiteral("check"), [&](JobContext &context) {
        return runProjectHealthChecks(params, context);
    });
    if (!run)
        return cli.fail(run);
    const ProjectHealthResult &r = run.value();
    const HealthReport &report = r.report;
    QTextStream &err = cli.err();
    for (const SkippedItem &s : r.importSkipped)
        printSkipped(err, s);
    for (const HealthSkipped &s : report.skipped)
        printSkipped(err, s.item);
    err << QStringLiteral("checked %1 samples in %2 (%3 skipped)").arg(report.samples).arg(formatSeconds(report.seconds)).arg(report.skipped.size());
    if (!r.importSkipped.empty())
        err << QStringLiteral("; %1 files not imported (listed above)").arg(r.importSkipped.size());
    err << '\n';
    for (int t = 0; t < kIssueTypeCount; ++t) {
        const IssueColumn &c = report.columns[std::size_t(t)];
        if (!c.computed)
            continue;
        err << QStringLiteral("  %1: %2").arg(QLatin1String(kIssueTypeNames[t].name), -17).arg(c.flagged());
        // The worst few, by score.
        std::vector<int> flagged;
        for (std::size_t i = 0; i < c.flag.size(); ++i)
            if (c.flag[i])
                flagged.push_back(int(i));
        std::stable_sort(flagged.begin(), flagged.end(), [&](int a, int b) { return c.score[std::size_t(a)] < c.score[std::size_t(b)]; });
        for (std::size_t e = 0; e < flagged.size() && int(e) < std::min(topExamples, 3); ++e)
            err << (e == 0 ? QStringLiteral("  e.g. ") : QStringLiteral(", ")) << sampleName(r, flagged[e]);
        err << '\n';
    }
    auto describeSets = [&](const char *what, const std::vector<DuplicateSet> &sets) {
        qint64 leaking = 0;
        for (const DuplicateSet &s : sets)
            leaking += s.leaks ? 1 : 0;
        err << QStringLiteral("%1 duplicate sets: %2 (%3 across train and test)").arg(QLatin1String(what)).arg(sets.size()).arg(leaking) << '\n';
        for (std::size_t s = 0; s < sets.size() && int(s) < std::min(topExamples, 3); ++s) {
            err << "   ";
            for (const int m : sets[s].members)
                err << ' ' << sampleName(r, m);
            err << '\n';
        }
    };
    describeSets("exact", report.exactSets);
    describeSets("near", report.nearSets);
    for (const ClassBalance &b : report.classes)
        if (b.flagged)
            err << QStringLiteral("class imbalance: %1 has %2 samples (%3% of the labelled data)")
                       .arg(b.name).arg(b.count).arg(100.0 * b.share, 0, 'f', 2) << '\n';
    if (!report.column(IssueType::Outlier).computed)
        err << (params.runEmbeddings ? "outliers: not scored (run labelscope analyze on the project first)\n"
                                     : "outliers: not scored (--no-outliers)\n");
    else
        err << QStringLiteral("outliers scored on the embeddings of analysis run %1").arg(r.embeddingRunId) << '\n';
    err << "stored in " << params.projectFile << " (health check " << r.checkId << ")\n";
    err.flush();
    if (cli.isSet(json)) {
        QJsonObject summary = report.toJson(topExamples, &r.samples);
        summary.insert(QStringLiteral("project"), params.projectFile);
        summary.insert(QStringLiteral("check_id"), r.checkId);
        QJsonArray notImported;
        for (const SkippedItem &s : r.importSkipped)
            notImported.append(s.toJson());
        summary.insert(QStringLiteral("not_imported"), notImported);
        if (r.embeddingRunId > 0)
            summary.insert(QStringLiteral("embedding_run"), r.embeddingRunId); // as stored
        QTextStream(stdout) << QJsonDocument(summary).toJson(QJsonDocument::Compact) << '\n';
    }
    return ExitOk;
}

} // namespace

static const CommandRegistration checkRegistration{
    "check", "Dataset health without training: duplicates, leakage, image problems, class balance", runCheckCommand};

} // namespace labelscope::app
