// `labelscope clean-eval`: how much label errors hurt a model and what cleaning recovers.
#include "cli.h"
#include "commands.h"

#include "base/projectstore.h"
#include "base/savefile.h"
#include "ml/cleaneval.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <cmath>


namespace labelscope::app {

namespace {

int runCleanEvalCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("clean-eval"), QStringLiteral(
        "Measure what label errors cost and what cleaning recovers. For each noise rate and seed:\n"
        "inject noise into the training labels, flag samples with Labelscope's analysis, then train\n"
        "a fresh model on (a) the noisy labels, (b) without the flagged samples, (c) with the\n"
        "flagged samples relabelled to the suggestion, (d) only the easy samples, (e) the true\n"
        "labels, and report each one's accuracy on the clean test split (mean and spread over seeds).\n"
        "SPEC must have a test split (e.g. fashion-mnist)."));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Dataset spec."), QStringLiteral("SPEC"));
    const QCommandLineOption noise(QStringLiteral("inject-noise"), QStringLiteral("Noise rate(s), comma-separated (e.g. 0.2 or 0,0.2,0.4)."), QStringLiteral("RATES"), QStringLiteral("0.2"));
    const QCommandLineOption sweep(QStringLiteral("sweep"), QStringLiteral("Rates 0, 0.1, 0.2, 0.3, 0.4 (overrides --inject-noise)."));
    const QCommandLineOption kind(QStringLiteral("noise-kind"), QStringLiteral("%1.").arg(enumNameList(kNoiseKindNames)), QStringLiteral("KIND"), QStringLiteral("symmetric"));
    const QCommandLineOption seeds(QStringLiteral("seeds"), QStringLiteral("Seeds per rate (1..N)."), QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("At most N samples per split."), QStringLiteral("N"), QStringLiteral("-1"));
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Epochs per model (default: automatic)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption method(QStringLiteral("method"), QStringLiteral("Analysis method that flags samples: %1.").arg(enumNameList(kAnalysisMethodNames)), QStringLiteral("METHOD"), QStringLiteral("all"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("%1.").arg(enumNameList(kDeviceNames)), QStringLiteral("DEVICE"), QStringLiteral("auto"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Write the results as JSON to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Also store the results in this existing project (its report page shows them)."), QStringLiteral("FILE"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print the results as one JSON line on stdout."));
    cli.addOptions({data, noise, sweep, kind, seeds, limit, epochs, method, threads, device, out, project, json});
    if (const auto exit = cli.parse(arguments, {data}))
        return *exit;
    CleanEvalParams params;
    params.dataSpec = cli.value(data);
    params.noiseKind = cli.choice(kind, kNoiseKindNames);
    params.method = cli.choice(method, kAnalysisMethodNames);
    params.device = cli.choice(device, kDeviceNames);
    params.rates.clear();
    if (cli.isSet(sweep)) {
        params.rates = {0.0, 0.1, 0.2, 0.3, 0.4};
    } else {
        for (const QString &r : cli.value(noise).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            bool ok = false;
            const double v = r.trimmed().toDouble(&ok);
            if (!ok || !(v >= 0 && v < 1))
                cli.usageProblem(QStringLiteral("--inject-noise expects rates in [0, 1), got '%1'").arg(r));
            params.rates.push_back(v);
        }
        if (params.rates.empty())
            cli.usageProblem(QStringLiteral("--inject-noise expects one or more rates in [0, 1), got '%1'").arg(cli.value(noise)));
    }
    params.seeds = int(cli.integer(seeds, 1, 1000));
    params.limit = cli.integer(limit, -1);
    params.epochs = int(cli.integer(epochs, 0, 1000));
    params.threads = int(cli.integer(threads, 0, 1024));
    if (const auto exit = cli.usageErrors())
        return *exit;
    ProjectStore store;
    if (cli.isSet(project)) {
        QString e;
        if (!store.openExisting(cli.value(project), &e))
            return cli.fail(e);
    }
    double seconds = 0;
    const Result<QJsonObject> run = cli.run<QJsonObject>(QStringLiteral("clean-eval"), [&](JobContext &context) {
        Result<QJsonObject> r = runCleanEval(params, context);
        seconds = context.elapsedSeconds();
        return r;
    });
    if (!run)
        return cli.fail(run);
    QJsonObject result = run.value();
    QTextStream &err = cli.err();
    result[QStringLiteral("seconds")] = std::round(seconds * 10.0) / 10.0;
    // A short table on stderr.
    err << QStringLiteral("%1  %2").arg(QStringLiteral("rate"), -6).arg(QStringLiteral("flagged (precision)"), -22);
    for (const QString &v : cleanEvalVariants())
        err << QStringLiteral("%1").arg(v, -14);
    err << '\n';
    for (const QJsonValue &rv : result.value(QStringLiteral("rates")).toArray()) {
        const QJsonObject r = rv.toObject();
        err << QStringLiteral("%1  %2").arg(r.value(QStringLiteral("rate")).toDouble(), -6)
                   .arg(QStringLiteral("%1 (%2)").arg(qint64(r.value(QStringLiteral("flagged")).toDouble()))
                            .arg(r.value(QStringLiteral("flag_precision")).toDouble(), 0, 'f', 3), -22);
        const QJsonObject vs = r.value(QStringLiteral("variants")).toObject();
        for (const QString &v : cleanEvalVariants()) {
            const QJsonObject o = vs.value(v).toObject();
            if (!o.contains(QStringLiteral("mean"))) {
                err << QStringLiteral("-").leftJustified(14);
                continue;
            }
            err << QStringLiteral("%1±%2").arg(o.value(QStringLiteral("mean")).toDouble(), 0, 'f', 4)
                       .arg(o.value(QStringLiteral("std")).toDouble(), 0, 'f', 4).leftJustified(14);
        }
        err << '\n';
    }
    err.flush();
    const QByteArray text = QJsonDocument(result).toJson(QJsonDocument::Compact);
    if (cli.isSet(out))
        if (const Result<> written = writeFileAtomically(cli.value(out), text + '\n'); !written)
            return cli.fail(written.error());
    if (store.isOpen()) {
        QString e;
        if (!store.setMeta(QStringLiteral("clean_eval"), QString::fromUtf8(text), &e))
            return cli.fail(e);
    }
    if (cli.isSet(json))
        QTextStream(stdout) << text << '\n';
    return ExitOk;
}

} // namespace

static const CommandRegistration cleanEvalRegistration{
    "clean-eval", "accuracy after training on noisy, cleaned, relabelled and true labels", runCleanEvalCommand};

} // namespace labelscope::app
