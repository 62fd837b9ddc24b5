#include "commands.h"

#include "ml/analysis.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QTextStream>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace labelscope::app {

namespace {

std::atomic_bool g_cancel{false};

void onSignal(int)
{
    g_cancel = true;
}

QString formatSeconds(double s)
{
    if (s < 0)
        return QStringLiteral("?");
    const int t = int(s + 0.5);
    return t >= 60 ? QStringLiteral("%1m%2s").arg(t / 60).arg(t % 60, 2, 10, QLatin1Char('0'))
                   : QStringLiteral("%1s").arg(t);
}

} // namespace

int runAnalyzeCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Analyse a dataset for label noise: train small networks with Data Parameters in K folds,\n"
        "record the training dynamics of every sample, predict every sample with the fold model\n"
        "that never saw it (out-of-sample pred_probs for Confident Learning), sort samples into\n"
        "easy / hard / need review with a suggested label, and write everything into a project\n"
        "file that the review window opens.\n\n"
        "SPEC is 'fashion-mnist' (or 'mnist'), a folder of IDX files, an ImageFolder root\n"
        "(root/<class>/<image>) or a CSV manifest (path,label[,split]).\n"
        "If the project exists, its samples and current labels are analysed again."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("analyze"), QStringLiteral("the command"));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Dataset to import (new project)."), QStringLiteral("SPEC"));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Project file to create or update."), QStringLiteral("FILE"));
    const QCommandLineOption noise(QStringLiteral("inject-noise"), QStringLiteral("Corrupt this fraction of labels at import, for experiments (0-1)."), QStringLiteral("RATE"), QStringLiteral("0"));
    const QCommandLineOption kind(QStringLiteral("noise-kind"), QStringLiteral("symmetric, swap or asymmetric."), QStringLiteral("KIND"), QStringLiteral("symmetric"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Random seed."), QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Training epochs (default: automatic)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("Use at most N samples per split."), QStringLiteral("N"), QStringLiteral("-1"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("auto, cpu or cuda."), QStringLiteral("DEVICE"), QStringLiteral("auto"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads (default: measured setting)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption classParams(QStringLiteral("class-parameters"), QStringLiteral("Also learn per-class temperatures."));
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral(
        "Network: auto (grey images up to 32 px: medium_cnn when training runs in bf16 or on CUDA,\n"
        "else small_cnn; otherwise small_resnet), small_cnn, medium_cnn or small_resnet."), QStringLiteral("NAME"), QStringLiteral("auto"));
    const QCommandLineOption precision(QStringLiteral("precision"), QStringLiteral(
        "Training arithmetic: auto (bf16 mixed precision on a CPU with native bfloat16, else fp32),\n"
        "fp32 or bf16."), QStringLiteral("P"), QStringLiteral("auto"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary as the last line on stdout."));
    const QCommandLineOption method(QStringLiteral("method"), QStringLiteral(
        "all (K-fold training with Data Parameters; verdict from the training dynamics and Confident\n"
        "Learning on out-of-sample pred_probs), data-parameters (one model, dynamics only; fastest)\n"
        "or confident-learning (K-fold, out-of-sample pred_probs only)."), QStringLiteral("METHOD"), QStringLiteral("all"));
    const QCommandLineOption folds(QStringLiteral("folds"), QStringLiteral("K of the stratified K-fold (default 4)."), QStringLiteral("K"), QStringLiteral("4"));
    const QCommandLineOption filterBy(QStringLiteral("filter-by"), QStringLiteral(
        "find_label_issues filter_by: prune_by_noise_rate (default), prune_by_class, both,\n"
        "confident_learning, predicted_neq_given, low_self_confidence, low_normalized_margin."), QStringLiteral("M"), QStringLiteral("prune_by_noise_rate"));
    const QCommandLineOption noLayouts(QStringLiteral("no-layouts"), QStringLiteral("Skip the 2-D t-SNE layouts of the scatter view."));
    const QCommandLineOption foldWorkers(QStringLiteral("fold-workers"),
        QStringLiteral("Fold models trained at once on CPU, the threads split among them\n(default 0: one per two threads from 4 threads up, else 1;\n2 on a busy 2-core machine was 1.8x faster)."),
        QStringLiteral("N"), QStringLiteral("0"));
    parser.addOptions({data, project, noise, kind, seed, epochs, limit, device, threads, classParams, model, precision, method, folds, foldWorkers, filterBy, noLayouts, json});

    QTextStream err(stderr);
    if (!parser.parse(arguments)) {
        err << "labelscope analyze: " << parser.errorText() << "\nSee 'labelscope analyze --help'.\n";
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText().replace(QLatin1String("[options] analyze"), QLatin1String("analyze [options]"));
        return 0;
    }
    if (!parser.isSet(project)) {
        err << "labelscope analyze: --project FILE is required (the project file to create or update).\n";
        return 2;
    }

    AnalysisParams params;
    params.dataSpec = parser.value(data);
    params.projectFile = parser.value(project);
    bool ok = true;
    auto number = [&](const QCommandLineOption &o, auto convert) {
        bool good = false;
        auto v = convert(parser.value(o), &good);
        if (!good) {
            err << "labelscope analyze: --" << o.names().first() << " expects a number, got '" << parser.value(o) << "'.\n";
            ok = false;
        }
        return v;
    };
    params.injectNoise = number(noise, [](const QString &s, bool *g) { return s.toDouble(g); });
    params.seed = number(seed, [](const QString &s, bool *g) { return s.toULongLong(g); });
    params.epochs = number(epochs, [](const QString &s, bool *g) { return s.toInt(g); });
    params.limit = number(limit, [](const QString &s, bool *g) { return s.toLongLong(g); });
    params.threads = number(threads, [](const QString &s, bool *g) { return s.toInt(g); });
    params.noiseKind = parser.value(kind);
    params.device = parser.value(device);
    params.classParameters = parser.isSet(classParams);
    params.method = parser.value(method);
    params.model = parser.value(model);
    params.precision = parser.value(precision);
    params.folds = number(folds, [](const QString &s, bool *g) { return s.toInt(g); });
    params.foldWorkers = number(foldWorkers, [](const QString &s, bool *g) { return s.toInt(g); });
    params.filterBy = parser.value(filterBy);
    params.layouts = !parser.isSet(noLayouts);
    if (!ok)
        return 2;
    if (params.injectNoise < 0 || params.injectNoise > 1) {
        err << "labelscope analyze: --inject-noise must be between 0 and 1 (a fraction), got " << params.injectNoise << ".\n";
        return 2;
    }

    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    const bool tty = isatty(fileno(stderr));
    QString lastPhase;
    int lastEpoch = -1, lastFold = -1;
    AnalysisResult result;
    QString error;
    const bool done = runAnalysis(params, g_cancel, [&](const AnalysisProgress &p) {
        QString line = QStringLiteral("[%1%] %2").arg(int(p.fraction * 100), 3).arg(p.phase);
        if (p.folds > 0 && (p.phase == QLatin1String("training") || p.phase == QLatin1String("scoring")))
            line += QStringLiteral(" fold %1/%2").arg(p.fold).arg(p.folds);
        if (p.phase == QLatin1String("training"))
            line += QStringLiteral(" epoch %1/%2 batch %3/%4 loss %5 %6 samples/s ETA %7")
                        .arg(p.epoch).arg(p.epochs).arg(p.batch).arg(p.batches)
                        .arg(p.loss, 0, 'f', 4).arg(int(p.samplesPerSecond)).arg(formatSeconds(p.etaSeconds));
        if (tty) {
            err << '\r' << line.leftJustified(100) << Qt::flush;
        } else if (p.phase != lastPhase || p.epoch != lastEpoch || p.fold != lastFold) {
            // One line per phase and epoch when stderr is a file or pipe.
            err << line << '\n' << Qt::flush;
        }
        lastPhase = p.phase;
        lastEpoch = p.epoch;
        lastFold = p.fold;
    }, &result, &error);
    if (tty)
        err << '\n';

    for (const auto &s : result.skipped)
        err << "skipped: " << s.file << (s.location.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(s.location))
            << ": " << s.reason << '\n';
    if (!done) {
        err << "labelscope analyze: " << error << '\n';
        return error == QLatin1String("cancelled") ? 130 : 1;
    }
    err << QStringLiteral("analysed %1 samples in %2 on %3: %4 easy, %5 hard, %6 need review")
               .arg(result.samples).arg(formatSeconds(result.seconds), result.device)
               .arg(result.easy).arg(result.hard).arg(result.needReview) << '\n';
    if (result.noise.available)
        err << QStringLiteral("noise detection: AUROC %1, hard precision %2 recall %3 F1 %4, easy noise rate %5")
                   .arg(result.noise.auroc, 0, 'f', 4).arg(result.noise.precision, 0, 'f', 3)
                   .arg(result.noise.recall, 0, 'f', 3).arg(result.noise.f1, 0, 'f', 3)
                   .arg(result.noise.easyNoiseRate, 0, 'f', 4) << '\n';
    for (auto it = result.signals.constBegin(); it != result.signals.constEnd(); ++it)
        err << QStringLiteral("  %1 alone: AUROC %2, precision %3 recall %4 F1 %5")
                   .arg(it.key()).arg(it->auroc, 0, 'f', 4).arg(it->precision, 0, 'f', 3)
                   .arg(it->recall, 0, 'f', 3).arg(it->f1, 0, 'f', 3) << '\n';
    if (result.numLabelIssues >= 0)
        err << QStringLiteral("find_label_issues (%1, %2-fold out-of-sample pred_probs): %3 label issues")
                   .arg(params.filterBy).arg(result.folds).arg(result.numLabelIssues) << '\n';
    if (result.testAccuracy >= 0)
        err << QStringLiteral("test accuracy: %1").arg(result.testAccuracy, 0, 'f', 4) << '\n';
    err << "project written: " << params.projectFile << "  (open it with: labelscope open " << params.projectFile << ")\n";
    err.flush();
    if (parser.isSet(json))
        QTextStream(stdout) << QJsonDocument(result.toJson()).toJson(QJsonDocument::Compact) << '\n';
    return 0;
}

} // namespace labelscope::app
