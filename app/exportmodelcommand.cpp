// `labelscope export-model`: the project's classifier as TorchScript + sidecar (core/ml/modelexport.h).

#include "cli.h"
#include "commands.h"

#include "ml/modelexport.h"

namespace labelscope::app {

int runExportModelCommand(const QStringList &arguments);

int runExportModelCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("export-model"), QStringLiteral(
        "Write the project's classifier as a TorchScript module FILE.pt with its sidecar FILE.json\n"
        "(name, input_size, channels, mean, std, embedding_dim, classes). The module's forward(x)\n"
        "returns the penultimate-layer embeddings (use it as --backbone of analyze), logits(x) the\n"
        "class scores; x = (pixel / 255 - mean) / std. Python: torch.jit.load('FILE.pt').\n"
        "A project's runs do not keep their networks: the network of run R (default: the newest)\n"
        "is trained again with R's settings on every labelled, kept training sample's current label."));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Project file."), QStringLiteral("FILE"));
    const QCommandLineOption run(QStringLiteral("run"), QStringLiteral("Run whose settings are used (default: the newest done run)."), QStringLiteral("R"), QStringLiteral("0"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Output TorchScript file (FILE.pt; the sidecar goes beside it)."), QStringLiteral("FILE.pt"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("%1.").arg(enumNameList(kDeviceNames)), QStringLiteral("DEVICE"), QStringLiteral("auto"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads (default: measured setting)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Training epochs (default 0: the run's)."), QStringLiteral("N"), QStringLiteral("0"));
    cli.addOptions({project, run, out, device, threads, epochs});
    if (const auto exit = cli.parse(arguments, {project, out}))
        return *exit;
    ExportModelParams params;
    params.projectFile = cli.value(project);
    params.runId = cli.integer(run, 0);
    params.outFile = cli.value(out);
    params.device = cli.choice(device, kDeviceNames);
    params.threads = int(cli.integer(threads, 0, 1024));
    params.epochs = int(cli.integer(epochs, 0, 1000));
    if (const auto exit = cli.usageErrors())
        return *exit;
    const Result<ExportModelResult> done = cli.run<ExportModelResult>(QStringLiteral("export-model"), [&](JobContext &context) {
        return runExportModel(params, context);
    });
    if (!done)
        return cli.fail(done);
    const ExportModelResult &r = done.value();
    cli.err() << QStringLiteral("exported %1 (trained on %2 samples, %3 epochs%4) in %5: %6 and %7")
                     .arg(r.model).arg(r.samples).arg(r.epochs)
                     .arg(r.testAccuracy >= 0 ? QStringLiteral(", test accuracy %1").arg(r.testAccuracy, 0, 'f', 4) : QString())
                     .arg(formatSeconds(r.seconds), r.outFile, r.sidecarFile) << '\n';
    cli.err().flush();
    return ExitOk;
}

static const CommandRegistration exportModelRegistration{
    "export-model", "the project's classifier as TorchScript + sidecar (a backbone for --backbone)", runExportModelCommand};

} // namespace labelscope::app
