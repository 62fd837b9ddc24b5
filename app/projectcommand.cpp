// `labelscope project ACTION`: looking after a project itself.
//   project info --project FILE|URL          what the project holds (samples, classes, data, runs)
//   project set-data --project FILE|URL --data SPEC
//                                            re-point the project at its data after it moved
//   project copy SRC DST                     copy a project between SQLite files and PostgreSQL
//                                            (issue 18), losing nothing

#include "cli.h"
#include "commands.h"

#include "base/projectstore.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace labelscope::app {

namespace {

int copyProject(Cli &cli, const QString &source, const QString &destination, bool json)
{
    const Result<ProjectCopyStats> copied = cli.run<ProjectCopyStats>(QStringLiteral("copy"), [&](JobContext &context) {
        context.stage(QStringLiteral("copying"), 0.0, 1.0);
        return ProjectStore::copyProject(source, destination, [&](qint64 done, qint64 total) {
            context.progress(total > 0 ? double(done) / double(total) : 1.0,
                             QStringLiteral("%1 of %2 rows").arg(done).arg(total));
            return !context.isCancelled();
        });
    });
    if (!copied)
        return cli.fail(copied);
    qint64 rows = 0;
    QJsonObject tables;
    for (auto it = copied->rows.begin(); it != copied->rows.end(); ++it) {
        rows += it.value();
        tables.insert(it.key(), it.value());
    }
    cli.err() << "copied " << copied->source << " to " << copied->destination << ": " << rows << " rows ("
              << copied->rows.value(QStringLiteral("samples")) << " samples, "
              << copied->rows.value(QStringLiteral("label_events")) << " label events, "
              << copied->rows.value(QStringLiteral("runs")) << " runs)\n";
    if (json)
        QTextStream(stdout) << QJsonDocument(QJsonObject{{QStringLiteral("source"), copied->source},
                                                         {QStringLiteral("destination"), copied->destination},
                                                         {QStringLiteral("rows"), tables}})
                                   .toJson(QJsonDocument::Compact)
                            << '\n';
    return ExitOk;
}

int runProjectCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("project"), QStringLiteral(
        "Look after a project. ACTION is one of:\n"
        "  info      what the project holds: samples, classes, its data, runs, read-only or not\n"
        "  set-data  re-point the project at its data after the data moved: --data SPEC is loaded\n"
        "            and must hold the project's samples (same count, same files relative to the\n"
        "            data's folder); then the project reads its images from there.\n"
        "  copy      copy the project SRC to DST, a new file or a new PostgreSQL project\n"
        "            (postgresql://[USER@]HOST[:PORT]/DB?project=NAME), losing nothing: events,\n"
        "            runs, scores, dynamics, embeddings, layouts, rounds, health checks.\n\n"
        "A project is a file (SQLite) or a PostgreSQL URL; passwords come from libpq (~/.pgpass,\n"
        "PGPASSFILE, PGPASSWORD or a service file), never from the URL.\n\n"
        "Usage: labelscope project info|set-data --project FILE|URL [--data SPEC] [--json]\n"
        "       labelscope project copy SRC DST [--json]"));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Project file or PostgreSQL URL."), QStringLiteral("FILE|URL"));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("The data's new place (set-data)."), QStringLiteral("SPEC"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary on stdout."));
    cli.addOptions({project, data, json});
    cli.addPositional(QStringLiteral("action"), QStringLiteral("info, set-data or copy"));
    if (const auto exit = cli.parse(arguments))
        return *exit;
    const QStringList rest = cli.positionalArguments().mid(1);
    const QString action = rest.value(0);
    if (action == QLatin1String("copy")) {
        if (rest.size() != 3)
            cli.usageProblem(QStringLiteral("copy takes two projects: labelscope project copy SRC DST"));
        if (cli.isSet(project) || cli.isSet(data))
            cli.usageProblem(QStringLiteral("copy takes SRC and DST as arguments, not --project or --data"));
        if (const auto exit = cli.usageErrors())
            return *exit;
        return copyProject(cli, rest.at(1), rest.at(2), cli.isSet(json));
    }
    if (action != QLatin1String("info") && action != QLatin1String("set-data"))
        cli.usageProblem(action.isEmpty() ? QStringLiteral("give an ACTION: info, set-data or copy")
                                          : QStringLiteral("unknown action '%1' (use info, set-data or copy)").arg(action));
    else if (rest.size() > 1)
        cli.usageProblem(QStringLiteral("unexpected argument '%1'").arg(rest.at(1)));
    if (!cli.isSet(project))
        cli.usageProblem(QStringLiteral("--project FILE|URL is required"));
    if (action == QLatin1String("set-data") && !cli.isSet(data))
        cli.usageProblem(QStringLiteral("--data SPEC is required for set-data"));
    if (const auto exit = cli.usageErrors())
        return *exit;

    const QString file = cli.value(project);
    ProjectStore store;
    QString error;
    if (!store.openExisting(file, &error))
        return cli.fail(error);
    if (action == QLatin1String("set-data")) {
        const QString before = store.meta(QStringLiteral("data_spec"));
        const Result<> moved = cli.run<std::monostate>(QStringLiteral("set-data"), [&](JobContext &context) {
            context.stage(QStringLiteral("loading"), 0.0, 1.0);
            context.progress(0.0, cli.value(data));
            return store.setDataSpec(cli.value(data));
        });
        if (!moved)
            return cli.fail(moved);
        cli.err() << "project " << file << " now reads its data from " << store.meta(QStringLiteral("data_spec"))
                  << " (was " << before << ")\n";
    }
    const std::optional<RunInfo> run = store.latestRun();
    const qint64 samples = store.sampleCount();
    const QStringList classes = store.classes();
    const qint64 runs = qint64(store.runs().size());
    // A damaged project reads as 0 samples or no runs: say what failed instead.
    if (!store.lastError().isEmpty())
        return cli.fail(store.lastError());
    const QJsonObject info{{QStringLiteral("project"), file},
                           {QStringLiteral("samples"), samples},
                           {QStringLiteral("classes"), QJsonValue::fromVariant(classes)},
                           {QStringLiteral("data_spec"), store.meta(QStringLiteral("data_spec"))},
                           {QStringLiteral("runs"), runs},
                           {QStringLiteral("latest_run"), run ? run->id : 0},
                           {QStringLiteral("read_only"), store.isReadOnly()},
                           {QStringLiteral("read_only_reason"), store.readOnlyReason()}};
    if (action == QLatin1String("info")) {
        QTextStream &err = cli.err();
        err << file << ": " << samples << " samples, " << classes.size() << " classes, data "
            << store.meta(QStringLiteral("data_spec")) << ", " << runs << " runs";
        if (store.isReadOnly())
            err << ", read-only (" << store.readOnlyReason() << ")";
        err << '\n';
    }
    if (cli.isSet(json))
        QTextStream(stdout) << QJsonDocument(info).toJson(QJsonDocument::Compact) << '\n';
    return ExitOk;
}

} // namespace

static const CommandRegistration projectRegistration{
    "project", "project info, re-point a project at its moved data (set-data), copy a project (SQLite ⇄ PostgreSQL)",
    runProjectCommand};

} // namespace labelscope::app
