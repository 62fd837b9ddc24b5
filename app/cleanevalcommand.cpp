// `labelscope clean-eval`: how much label errors hurt a model and what cleaning recovers.
#include "commands.h"

#include "base/projectstore.h"
#include "ml/cleaneval.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTextStream>

#include <atomic>
#include <csignal>

namespace labelscope::app {

namespace {

std::atomic_bool g_cancelCleanEval{false};

void onSignal(int)
{
    g_cancelCleanEval = true;
}

int runCleanEvalCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Measure what label errors cost and what cleaning recovers. For each noise rate and seed:\n"
        "inject noise into the training labels, flag samples with Labelscope's analysis, then train\n"
        "a fresh model on (a) the noisy labels, (b) without the flagged samples, (c) with the\n"
        "flagged samples relabelled to the suggestion, (d) only the easy samples, (e) the true\n"
        "labels, and report each one's accuracy on the clean test split (mean and spread over seeds).\n"
        "SPEC must have a test split (e.g. fashion-mnist)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("clean-eval"), QStringLiteral("the command"));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Dataset spec."), QStringLiteral("SPEC"));
    const QCommandLineOption noise(QStringLiteral("inject-noise"), QStringLiteral("Noise rate(s), comma-separated (e.g. 0.2 or 0,0.2,0.4)."), QStringLiteral("RATES"), QStringLiteral("0.2"));
    const QCommandLineOption sweep(QStringLiteral("sweep"), QStringLiteral("Rates 0, 0.1, 0.2, 0.3, 0.4 (overrides --inject-noise)."));
    const QCommandLineOption kind(QStringLiteral("noise-kind"), QStringLiteral("symmetric, swap or asymmetric."), QStringLiteral("KIND"), QStringLiteral("symmetric"));
    const QCommandLineOption seeds(QStringLiteral("seeds"), QStringLiteral("Seeds per rate (1..N)."), QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("At most N samples per split."), QStringLiteral("N"), QStringLiteral("-1"));
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Epochs per model (default: automatic)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption method(QStringLiteral("method"), QStringLiteral("Analysis method that flags samples: all, data-parameters, confident-learning."), QStringLiteral("METHOD"), QStringLiteral("all"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("auto, cpu or cuda."), QStringLiteral("DEVICE"), QStringLiteral("auto"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Write the results as JSON to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Also store the results in this existing project (its report page shows them)."), QStringLiteral("FILE"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print the results as one JSON line on stdout."));
    parser.addOptions({data, noise, sweep, kind, seeds, limit, epochs, method, threads, device, out, project, json});

    QTextStream err(stderr);
    if (!parser.parse(arguments)) {
        err << "labelscope clean-eval: " << parser.errorText() << "\nSee 'labelscope clean-eval --help'.\n";
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText().replace(QLatin1String("[options] clean-eval"), QLatin1String("clean-eval [options]"));
        return 0;
    }
    if (!parser.isSet(data)) {
        err << "labelscope clean-eval: --data SPEC is required (e.g. --data fashion-mnist).\n";
        return 2;
    }
    CleanEvalParams params;
    params.dataSpec = parser.value(data);
    params.noiseKind = parser.value(kind);
    params.method = parser.value(method);
    params.device = parser.value(device);
    params.rates.clear();
    if (parser.isSet(sweep)) {
        params.rates = {0.0, 0.1, 0.2, 0.3, 0.4};
    } else {
        for (const QString &r : parser.value(noise).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            bool ok = false;
            const double v = r.trimmed().toDouble(&ok);
            if (!ok || v < 0 || v >= 1) {
                err << "labelscope clean-eval: --inject-noise expects rates in [0, 1), got '" << r << "'.\n";
                return 2;
            }
            params.rates.push_back(v);
        }
    }
    bool ok1 = false, ok2 = false, ok3 = false, ok4 = false;
    params.seeds = parser.value(seeds).toInt(&ok1);
    params.limit = parser.value(limit).toLongLong(&ok2);
    params.epochs = parser.value(epochs).toInt(&ok3);
    params.threads = parser.value(threads).toInt(&ok4);
    if (!ok1 || !ok2 || !ok3 || !ok4 || params.seeds < 1) {
        err << "labelscope clean-eval: --seeds, --limit, --epochs and --threads expect integers (seeds >= 1).\n";
        return 2;
    }
    ProjectStore store;
    if (parser.isSet(project)) {
        QString e;
        if (!store.open(parser.value(project), &e)) {
            err << "labelscope clean-eval: " << e << '\n';
            return 1;
        }
    }

    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    QElapsedTimer timer;
    timer.start();
    QJsonObject result;
    QString error;
    QString last;
    const bool done = runCleanEval(params, g_cancelCleanEval, [&](const CleanEvalProgress &p) {
        const QString line = QStringLiteral("[%1%] rate %2 seed %3: %4").arg(int(p.fraction * 100), 3).arg(p.rate).arg(p.seed).arg(p.stage);
        if (line != last)
            err << line << '\n' << Qt::flush;
        last = line;
    }, &result, &error);
    if (!done) {
        err << "labelscope clean-eval: " << error << '\n';
        return error == QLatin1String("cancelled") ? 130 : 1;
    }
    result[QStringLiteral("seconds")] = std::round(timer.elapsed() / 100.0) / 10.0;

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
    if (parser.isSet(out)) {
        QSaveFile f(parser.value(out));
        if (!f.open(QIODevice::WriteOnly) || f.write(text + '\n') < 0 || !f.commit()) {
            err << "labelscope clean-eval: " << parser.value(out) << ": cannot write: " << f.errorString() << '\n';
            return 1;
        }
    }
    if (store.isOpen()) {
        QString e;
        if (!store.setMeta(QStringLiteral("clean_eval"), QString::fromUtf8(text), &e)) {
            err << "labelscope clean-eval: " << e << '\n';
            return 1;
        }
    }
    if (parser.isSet(json))
        QTextStream(stdout) << text << '\n';
    return 0;
}

} // namespace

static const CommandRegistration cleanEvalRegistration{
    "clean-eval", "accuracy after training on noisy, cleaned, relabelled and true labels", runCleanEvalCommand};

} // namespace labelscope::app
