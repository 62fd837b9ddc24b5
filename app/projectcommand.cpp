// `labelscope project ACTION`: looking after a project file itself.
//   project info --project FILE              what the project holds (samples, classes, data, runs)
//   project set-data --project FILE --data SPEC
//                                            re-point the project at its data after it moved

#include "cli.h"
#include "commands.h"

#include "base/projectstore.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace labelscope::app {

namespace {

int runProjectCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("project"), QStringLiteral(
        "Look after a project file. ACTION is one of:\n"
        "  info      what the project holds: samples, classes, its data, runs, read-only or not\n"
        "  set-data  re-point the project at its data after the data moved: --data SPEC is loaded\n"
        "            and must hold the project's samples (same count, same files relative to the\n"
        "            data's folder); then the project reads its images from there.\n\n"
        "Usage: labelscope project ACTION --project FILE [--data SPEC] [--json]"));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Project file."), QStringLiteral("FILE"));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("The data's new place (set-data)."), QStringLiteral("SPEC"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary on stdout."));
    cli.addOptions({project, data, json});
    cli.addPositional(QStringLiteral("action"), QStringLiteral("info or set-data"));
    if (const auto exit = cli.parse(arguments, {project}))
        return *exit;
    const QStringList rest = cli.positionalArguments().mid(1);
    const QString action = rest.value(0);
    if (action != QLatin1String("info") && action != QLatin1String("set-data"))
        cli.usageProblem(action.isEmpty() ? QStringLiteral("give an ACTION: info or set-data")
                                          : QStringLiteral("unknown action '%1' (use info or set-data)").arg(action));
    else if (rest.size() > 1)
        cli.usageProblem(QStringLiteral("unexpected argument '%1'").arg(rest.at(1)));
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
    "project", "project info, or re-point a project at its moved data (set-data)", runProjectCommand};

} // namespace labelscope::app
