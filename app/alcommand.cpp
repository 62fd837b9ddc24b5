// `labelscope al-simulate` and `labelscope al-round`: active learning headless.

#include "commands.h"

#include "ml/activelearning.h"
#include "ml/alconfig.h"
#include "ml/querystrategy.h"
#include "ml/runtime.h"

#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <algorithm>
#include <atomic>
#include <memory>
#include <csignal>
#include <cstdio>
#include <map>
#include <random>

namespace labelscope::app {

namespace {

std::atomic_bool g_alCancel{false};

void onAlSignal(int)
{
    g_alCancel = true;
}

// Progress on stderr: one line per phase change and round.
AlProgressCallback stderrProgress(const QString &prefix)
{
    auto last = std::make_shared<QString>();
    return [prefix, last](const AlProgress &p) {
        const QString line = QStringLiteral("%1round %2/%3 %4, %5 labels%6")
                                 .arg(prefix).arg(p.round).arg(p.rounds - 1).arg(p.phase).arg(p.labels)
                                 .arg(p.lastAccuracy >= 0 ? QStringLiteral(", best test accuracy %1").arg(p.lastAccuracy, 0, 'f', 4) : QString());
        if (line != *last) {
            QTextStream(stderr) << line << '\n';
            *last = line;
        }
    };
}

bool parseCommon(QCommandLineParser &parser, const QStringList &arguments, const QString &name, int *exitCode)
{
    QTextStream err(stderr);
    if (!parser.parse(arguments)) {
        err << "labelscope " << name << ": " << parser.errorText() << "\nSee 'labelscope " << name << " --help'.\n";
        *exitCode = 2;
        return false;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText().replace(QStringLiteral("[options] ") + name, name + QStringLiteral(" [options]"));
        *exitCode = 0;
        return false;
    }
    return true;
}

bool deviceName(const QString &requested, QString *name, QString *error)
{
    if (requested == QLatin1String("cpu") || requested == QLatin1String("auto") || requested.isEmpty()) {
        *name = QStringLiteral("cpu");
        return true;
    }
    if (requested == QLatin1String("cuda")) {
        *error = QStringLiteral("--device cuda: this command runs on the CPU build (Debian's LibTorch is CPU-only)");
        return false;
    }
    *error = QStringLiteral("unknown device '%1' (use auto, cpu or cuda)").arg(requested);
    return false;
}

void writeCurvesCsv(QTextStream &out, const std::vector<AlCurve> &curves)
{
    out << "strategy,diversity_sampling,seed,round,labels,test_accuracy,pseudo_labels,pseudo_label_accuracy,pool_scored,train_seconds,score_seconds,select_seconds\n";
    for (const AlCurve &c : curves)
        for (const AlRoundRecord &r : c.rounds)
            out << c.strategy << ',' << c.diversity << ',' << c.seed << ',' << r.round << ',' << r.labels << ','
                << QString::number(r.testAccuracy, 'f', 4) << ',' << r.pseudoLabels << ','
                << QString::number(r.pseudoLabelAccuracy, 'f', 4) << ',' << r.poolScored << ','
                << QString::number(r.trainSeconds, 'f', 2) << ',' << QString::number(r.scoreSeconds, 'f', 2) << ','
                << QString::number(r.selectSeconds, 'f', 3) << '\n';
}

// Mean test accuracy over seeds at each number of labels (rounds line up across seeds).
QJsonArray summarise(const std::vector<AlCurve> &curves, const QString &strategy, const QString &diversity)
{
    std::map<int64_t, std::pair<double, int>> byLabels;
    for (const AlCurve &c : curves)
        if (c.strategy == strategy && c.diversity == diversity)
            for (const AlRoundRecord &r : c.rounds) {
                auto &e = byLabels[r.labels];
                e.first += r.testAccuracy;
                e.second += 1;
            }
    QJsonArray out;
    for (const auto &[labels, e] : byLabels)
        out.append(QJsonObject{{QStringLiteral("labels"), double(labels)},
                               {QStringLiteral("mean_test_accuracy"), e.first / e.second},
                               {QStringLiteral("seeds"), e.second}});
    return out;
}

} // namespace

int runAlSimulateCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Simulate active learning against an oracle that holds back the training labels: per round,\n"
        "train on the labels queried so far, score the unlabelled pool, pick the next batch with the\n"
        "configured strategy, query the oracle, and measure test accuracy. Writes the learning curve\n"
        "(labels used -> test accuracy, per round, per seed) as CSV and JSON.\n\n"
        "CONFIG is an Active-Labeler style YAML file (sections model, data, train, active_learner)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("al-simulate"), QStringLiteral("the command"));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Dataset SPEC (default: data.path of the config)."), QStringLiteral("SPEC"));
    const QCommandLineOption config(QStringLiteral("config"), QStringLiteral("YAML config file (default: built-in defaults)."), QStringLiteral("FILE"));
    const QCommandLineOption seeds(QStringLiteral("seeds"), QStringLiteral("Run N seeds (first seed, +1, ...)."), QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption firstSeed(QStringLiteral("seed"), QStringLiteral("First seed (overrides active_learner.seed)."), QStringLiteral("N"));
    const QCommandLineOption outDir(QStringLiteral("out"), QStringLiteral("Write curves.csv and curves.json into DIR."), QStringLiteral("DIR"));
    const QCommandLineOption compare(QStringLiteral("compare"), QStringLiteral("Also run the random baseline (and any --compare-with pairs) on the same seeds."));
    const QCommandLineOption compareWith(QStringLiteral("compare-with"), QStringLiteral("Comma list of strategy/diversity_sampling pairs to run beside the config's, e.g. entropy_based/coreset,bald/pick_top_n."), QStringLiteral("PAIRS"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("Load at most N samples per split."), QStringLiteral("N"), QStringLiteral("-1"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads (default: measured setting)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("auto, cpu or cuda (overrides model.device)."), QStringLiteral("DEVICE"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary as the last line on stdout."));
    const QCommandLineOption strategyOpt(QStringLiteral("strategy"), QStringLiteral("Uncertainty (overrides the config): %1.").arg(uncertaintyNames().join(QStringLiteral(", "))), QStringLiteral("NAME"));
    const QCommandLineOption diversityOpt(QStringLiteral("diversity"), QStringLiteral("Diversity sampling (overrides the config): %1.").arg(diversityNames().join(QStringLiteral(", "))), QStringLiteral("NAME"));
    parser.addOptions({data, config, seeds, firstSeed, outDir, compare, compareWith, limit, threads, device, json, strategyOpt, diversityOpt});
    int exitCode = 0;
    if (!parseCommon(parser, arguments, QStringLiteral("al-simulate"), &exitCode))
        return exitCode;
    QTextStream err(stderr);
    auto usageError = [&](const QString &m) {
        err << "labelscope al-simulate: " << m << '\n';
        return 2;
    };

    AlConfig cfg;
    QString error;
    if (parser.isSet(config) && !loadAlConfig(parser.value(config), &cfg, &error))
        return usageError(error);
    for (const QString &w : cfg.warnings)
        err << "warning: " << w << '\n';
    if (parser.isSet(strategyOpt))
        cfg.strategy = parser.value(strategyOpt);
    if (parser.isSet(diversityOpt))
        cfg.diversity = parser.value(diversityOpt);
    {
        std::unique_ptr<QueryStrategy> probe;
        if (!QueryStrategy::create(cfg.strategy, cfg.diversity, &probe, &error))
            return usageError(error);
    }
    const QString spec = parser.isSet(data) ? parser.value(data) : cfg.path;
    if (spec.isEmpty())
        return usageError(QStringLiteral("give a dataset: --data SPEC (or data.path in the config)"));
    bool ok = false;
    const int nSeeds = parser.value(seeds).toInt(&ok);
    if (!ok || nSeeds < 1)
        return usageError(QStringLiteral("--seeds expects a positive number, got '%1'").arg(parser.value(seeds)));
    if (parser.isSet(firstSeed)) {
        cfg.seed = parser.value(firstSeed).toULongLong(&ok);
        if (!ok)
            return usageError(QStringLiteral("--seed expects a non-negative number, got '%1'").arg(parser.value(firstSeed)));
    }
    const qint64 loadLimit = parser.value(limit).toLongLong(&ok);
    if (!ok)
        return usageError(QStringLiteral("--limit expects a number, got '%1'").arg(parser.value(limit)));
    const int nThreads = parser.value(threads).toInt(&ok);
    if (!ok || nThreads < 0)
        return usageError(QStringLiteral("--threads expects a number, got '%1'").arg(parser.value(threads)));
    QString dev;
    if (!deviceName(parser.isSet(device) ? parser.value(device) : cfg.device, &dev, &error))
        return usageError(error);

    std::vector<std::pair<QString, QString>> pairs{{cfg.strategy, cfg.diversity}};
    if (parser.isSet(compare) || parser.isSet(compareWith)) {
        QString list = parser.value(compareWith);
        if (parser.isSet(compare))
            list += QStringLiteral(",random_sampling/random_sampling");
        for (const QString &item : list.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QStringList parts = item.trimmed().split(QLatin1Char('/'));
            std::unique_ptr<QueryStrategy> probe;
            if (parts.size() != 2)
                return usageError(QStringLiteral("--compare: '%1' is not strategy/diversity_sampling").arg(item));
            if (!QueryStrategy::create(parts[0], parts[1], &probe, &error))
                return usageError(QStringLiteral("--compare: %1").arg(error));
            const std::pair<QString, QString> p{parts[0], parts[1]};
            if (std::find(pairs.begin(), pairs.end(), p) == pairs.end())
                pairs.push_back(p);
        }
    }

    std::signal(SIGINT, onAlSignal);
    std::signal(SIGTERM, onAlSignal);
    configureRuntime(nThreads);
    LoadOptions lo;
    lo.limit = loadLimit;
    lo.progress = [](qint64, qint64) { return !g_alCancel.load(); };
    err << "loading " << spec << "...\n" << Qt::flush;
    LoadResult loaded = loadDataset(spec, lo);
    if (!loaded.ok()) {
        err << "labelscope al-simulate: " << loaded.error << '\n';
        return 1;
    }
    if (!cfg.classes.isEmpty() && cfg.classes != loaded.dataset.classes)
        return usageError(QStringLiteral("data.classes in the config (%1) differ from the dataset's (%2)")
                              .arg(cfg.classes.join(QStringLiteral(", ")), loaded.dataset.classes.join(QStringLiteral(", "))));

    std::vector<AlCurve> curves;
    for (const auto &[strategy, diversity] : pairs) {
        for (int s = 0; s < nSeeds; ++s) {
            AlConfig run = cfg;
            run.strategy = strategy;
            run.diversity = diversity;
            const quint64 seed = cfg.seed + quint64(s);
            AlCurve curve;
            const bool done = runAlSimulation(loaded.dataset, run, seed, dev, g_alCancel,
                                              stderrProgress(QStringLiteral("[%1/%2 seed %3] ").arg(strategy, diversity).arg(seed)),
                                              &curve, &error);
            if (!done) {
                err << "labelscope al-simulate: " << error << '\n';
                return error == QLatin1String("cancelled") ? 130 : 1;
            }
            for (const AlRoundRecord &r : curve.rounds)
                err << QStringLiteral("%1/%2 seed %3 round %4: %5 labels -> test accuracy %6 (train %7 s, score %8 s, select %9 s, %10 pseudo-labels)")
                           .arg(strategy, diversity).arg(seed).arg(r.round).arg(r.labels).arg(r.testAccuracy, 0, 'f', 4)
                           .arg(r.trainSeconds, 0, 'f', 1).arg(r.scoreSeconds, 0, 'f', 1).arg(r.selectSeconds, 0, 'f', 2)
                           .arg(r.pseudoLabels) << '\n';
            err << "stopped: " << curve.stopReason << ", " << curve.oracleQueries << " labels, "
                << QString::number(curve.seconds, 'f', 0) << " s\n" << Qt::flush;
            curves.push_back(curve);
        }
    }

    QJsonArray curveArray, summary;
    for (const AlCurve &c : curves)
        curveArray.append(c.toJson());
    for (const auto &[strategy, diversity] : pairs)
        summary.append(QJsonObject{{QStringLiteral("strategy"), strategy}, {QStringLiteral("diversity_sampling"), diversity},
                                   {QStringLiteral("mean_curve"), summarise(curves, strategy, diversity)}});
    const QJsonObject doc{{QStringLiteral("data"), spec}, {QStringLiteral("config"), cfg.toJson()},
                          {QStringLiteral("seeds"), nSeeds}, {QStringLiteral("curves"), curveArray},
                          {QStringLiteral("summary"), summary}};
    if (parser.isSet(outDir)) {
        QDir dir;
        if (!dir.mkpath(parser.value(outDir))) {
            err << "labelscope al-simulate: cannot create " << parser.value(outDir) << '\n';
            return 1;
        }
        QFile csv(QDir(parser.value(outDir)).filePath(QStringLiteral("curves.csv")));
        QFile js(QDir(parser.value(outDir)).filePath(QStringLiteral("curves.json")));
        if (!csv.open(QIODevice::WriteOnly | QIODevice::Truncate) || !js.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            err << "labelscope al-simulate: cannot write into " << parser.value(outDir) << '\n';
            return 1;
        }
        QTextStream cs(&csv);
        writeCurvesCsv(cs, curves);
        js.write(QJsonDocument(doc).toJson(QJsonDocument::Indented));
        err << "written: " << csv.fileName() << ", " << js.fileName() << '\n';
    }
    if (parser.isSet(json)) {
        QTextStream(stdout) << QJsonDocument(doc).toJson(QJsonDocument::Compact) << '\n';
    } else if (!parser.isSet(outDir)) {
        QTextStream out(stdout);
        writeCurvesCsv(out, curves);
    }
    return 0;
}

int runAlRoundCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run one active-learning round on a project: train on its labelled samples, score the\n"
        "unlabelled ones, and queue the batch to label next (shown in the review window's labelling\n"
        "panel). With no labels yet, the batch is a cold start."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("al-round"), QStringLiteral("the command"));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Project file."), QStringLiteral("FILE"));
    const QCommandLineOption config(QStringLiteral("config"), QStringLiteral("YAML config file."), QStringLiteral("FILE"));
    const QCommandLineOption strategy(QStringLiteral("strategy"), QStringLiteral("Uncertainty (overrides the config): %1.").arg(uncertaintyNames().join(QStringLiteral(", "))), QStringLiteral("NAME"));
    const QCommandLineOption diversity(QStringLiteral("diversity"), QStringLiteral("Diversity sampling (overrides the config): %1.").arg(diversityNames().join(QStringLiteral(", "))), QStringLiteral("NAME"));
    const QCommandLineOption batch(QStringLiteral("batch"), QStringLiteral("Batch size (overrides num_labelled)."), QStringLiteral("N"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary as the last line on stdout."));
    parser.addOptions({project, config, strategy, diversity, batch, threads, json});
    int exitCode = 0;
    if (!parseCommon(parser, arguments, QStringLiteral("al-round"), &exitCode))
        return exitCode;
    QTextStream err(stderr);
    auto usageError = [&](const QString &m) {
        err << "labelscope al-round: " << m << '\n';
        return 2;
    };
    if (!parser.isSet(project))
        return usageError(QStringLiteral("--project FILE is required"));
    AlConfig cfg;
    QString error;
    if (parser.isSet(config) && !loadAlConfig(parser.value(config), &cfg, &error))
        return usageError(error);
    for (const QString &w : cfg.warnings)
        err << "warning: " << w << '\n';
    if (parser.isSet(strategy))
        cfg.strategy = parser.value(strategy);
    if (parser.isSet(diversity))
        cfg.diversity = parser.value(diversity);
    std::unique_ptr<QueryStrategy> probe;
    if (!QueryStrategy::create(cfg.strategy, cfg.diversity, &probe, &error))
        return usageError(error);
    bool ok = true;
    if (parser.isSet(batch)) {
        cfg.numLabelled = parser.value(batch).toInt(&ok);
        if (!ok || cfg.numLabelled < 1)
            return usageError(QStringLiteral("--batch expects a positive number, got '%1'").arg(parser.value(batch)));
    }
    const int nThreads = parser.value(threads).toInt(&ok);
    if (!ok || nThreads < 0)
        return usageError(QStringLiteral("--threads expects a number, got '%1'").arg(parser.value(threads)));
    QString dev;
    if (!deviceName(cfg.device, &dev, &error))
        return usageError(error);
    std::signal(SIGINT, onAlSignal);
    std::signal(SIGTERM, onAlSignal);
    configureRuntime(nThreads);
    AlProjectRound round;
    if (!runAlProjectRound(parser.value(project), cfg, dev, g_alCancel, stderrProgress(QString()), &round, &error)) {
        err << "labelscope al-round: " << error << '\n';
        return error == QLatin1String("cancelled") ? 130 : 1;
    }
    err << QStringLiteral("round %1: queued %2 of %3 unlabelled samples (%4 labelled)%5")
               .arg(round.roundId).arg(round.queued.size()).arg(round.pool).arg(round.labelled)
               .arg(round.validationAccuracy >= 0 ? QStringLiteral(", validation accuracy %1").arg(round.validationAccuracy, 0, 'f', 4) : QString())
        << '\n';
    if (parser.isSet(json)) {
        QJsonArray ids;
        for (qint64 id : round.queued)
            ids.append(double(id));
        QTextStream(stdout) << QJsonDocument(QJsonObject{{QStringLiteral("round"), double(round.roundId)},
                                                         {QStringLiteral("queued"), ids},
                                                         {QStringLiteral("labelled"), double(round.labelled)},
                                                         {QStringLiteral("pool"), double(round.pool)},
                                                         {QStringLiteral("validation_accuracy"), round.validationAccuracy}})
                                   .toJson(QJsonDocument::Compact)
                            << '\n';
    }
    return 0;
}

int runAlBenchCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Time the selection of every query strategy on a synthetic pool (Gaussian embeddings,\n"
        "Dirichlet-like softmax probabilities, a labelled set), as in one active-learning round."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("al-bench"), QStringLiteral("the command"));
    const QCommandLineOption poolSize(QStringLiteral("pool"), QStringLiteral("Pool size M."), QStringLiteral("M"), QStringLiteral("57000"));
    const QCommandLineOption dim(QStringLiteral("dim"), QStringLiteral("Embedding dimension D."), QStringLiteral("D"), QStringLiteral("128"));
    const QCommandLineOption classes(QStringLiteral("classes"), QStringLiteral("Classes K."), QStringLiteral("K"), QStringLiteral("10"));
    const QCommandLineOption labelled(QStringLiteral("labelled"), QStringLiteral("Labelled set size L."), QStringLiteral("L"), QStringLiteral("2500"));
    const QCommandLineOption batch(QStringLiteral("batch"), QStringLiteral("Batch size N."), QStringLiteral("N"), QStringLiteral("250"));
    const QCommandLineOption mc(QStringLiteral("mc"), QStringLiteral("MC-dropout samples for bald."), QStringLiteral("T"), QStringLiteral("10"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads."), QStringLiteral("N"), QStringLiteral("0"));
    parser.addOptions({poolSize, dim, classes, labelled, batch, mc, threads});
    int exitCode = 0;
    if (!parseCommon(parser, arguments, QStringLiteral("al-bench"), &exitCode))
        return exitCode;
    const int64_t m = parser.value(poolSize).toLongLong();
    const int d = parser.value(dim).toInt(), k = parser.value(classes).toInt(), t = parser.value(mc).toInt();
    const int64_t l = parser.value(labelled).toLongLong(), n = parser.value(batch).toLongLong();
    if (m < 1 || d < 1 || k < 2 || l < 0 || n < 1 || t < 2) {
        QTextStream(stderr) << "labelscope al-bench: sizes must be positive (K >= 2, T >= 2)\n";
        return 2;
    }
    configureRuntime(parser.value(threads).toInt());
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.f, 1.f);
    std::gamma_distribution<float> gamma(0.3f, 1.f);
    QueryPool pool;
    pool.size = m;
    pool.numClasses = k;
    pool.embeddingDim = d;
    auto probsInto = [&](std::vector<float> &v, int64_t rows) {
        v.resize(std::size_t(rows * k));
        for (int64_t i = 0; i < rows; ++i) {
            float s = 0;
            for (int c = 0; c < k; ++c)
                s += (v[std::size_t(i * k + c)] = gamma(rng) + 1e-6f);
            for (int c = 0; c < k; ++c)
                v[std::size_t(i * k + c)] /= s;
        }
    };
    probsInto(pool.probs, m);
    pool.embeddings.resize(std::size_t(m * d));
    for (float &x : pool.embeddings)
        x = std::max(0.f, normal(rng)); // ReLU features, as the penultimate layer gives
    pool.labelledEmbeddings.resize(std::size_t(l * d));
    for (float &x : pool.labelledEmbeddings)
        x = std::max(0.f, normal(rng));
    QTextStream out(stdout);
    out << QStringLiteral("pool %1 x %2, %3 classes, %4 labelled, batch %5, %6 threads\n")
               .arg(m).arg(d).arg(k).arg(l).arg(n).arg(parser.value(threads).toInt() > 0 ? parser.value(threads).toInt() : defaultThreadCount());
    std::atomic_bool noCancel{false};
    auto time = [&](const QString &u, const QString &div) {
        std::unique_ptr<QueryStrategy> s;
        QString error;
        QueryStrategy::create(u, div, &s, &error);
        QueryOptions o;
        QuerySelection sel;
        QElapsedTimer timer;
        timer.start();
        const bool ok = s->select(pool, n, o, noCancel, &sel, &error);
        const double seconds = timer.nsecsElapsed() / 1e9;
        out << QStringLiteral("%1 / %2: %3 s%4\n").arg(u, -16).arg(div, -28).arg(seconds, 0, 'f', 3)
                   .arg(ok ? QString() : QStringLiteral(" (failed: %1)").arg(error)) << Qt::flush;
    };
    for (const QString &u : {QStringLiteral("least_confidence"), QStringLiteral("margin_based"), QStringLiteral("entropy_based")})
        time(u, QStringLiteral("pick_top_n"));
    for (const QString &div : diversityNames())
        if (div != QLatin1String("pick_top_n"))
            time(QStringLiteral("margin_based"), div);
    pool.mcSamples = t;
    probsInto(pool.mcProbs, m * t);
    time(QStringLiteral("bald"), QStringLiteral("pick_top_n"));
    return 0;
}

static const CommandRegistration alBenchRegistration{
    "al-bench", "time every active-learning query strategy on a synthetic pool", runAlBenchCommand};
static const CommandRegistration alSimulateRegistration{
    "al-simulate", "simulate active learning against an oracle; learning curves as CSV/JSON", runAlSimulateCommand};
static const CommandRegistration alRoundRegistration{
    "al-round", "run one active-learning round on a project and queue the batch", runAlRoundCommand};

} // namespace labelscope::app
