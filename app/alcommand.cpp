// `labelscope al-simulate` and `labelscope al-round`: active learning headless.

#include "cli.h"
#include "commands.h"

#include "base/savefile.h"
#include "ml/activelearning.h"
#include "ml/alconfig.h"
#include "ml/backbonejobs.h"
#include "ml/querystrategy.h"
#include "ml/runtime.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <random>

namespace labelscope::app {

namespace {

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

// With a backbone, three more columns: its name, the head, and the (once per process) extraction time.
void writeCurvesCsv(QTextStream &out, const std::vector<AlCurve> &curves, const EmbeddingTable *backbone, const QString &head)
{
    out << "strategy,diversity_sampling,seed,round,labels,test_accuracy,pseudo_labels,pseudo_label_accuracy,pool_scored,train_seconds,score_seconds,select_seconds";
    out << (backbone ? ",backbone,head,extraction_seconds\n" : "\n");
    QString extra;
    if (backbone) {
        QString name = backbone->backboneName;
        name.replace(QLatin1Char('"'), QLatin1String("\"\""));
        extra = QStringLiteral(",\"%1\",%2,%3").arg(name, head).arg(backbone->extractionSeconds, 0, 'f', 2);
    }
    for (const AlCurve &c : curves)
        for (const AlRoundRecord &r : c.rounds)
            out << c.strategy << ',' << c.diversity << ',' << c.seed << ',' << r.round << ',' << r.labels << ','
                << QString::number(r.testAccuracy, 'f', 4) << ',' << r.pseudoLabels << ','
                << QString::number(r.pseudoLabelAccuracy, 'f', 4) << ',' << r.poolScored << ','
                << QString::number(r.trainSeconds, 'f', 2) << ',' << QString::number(r.scoreSeconds, 'f', 2) << ','
                << QString::number(r.selectSeconds, 'f', 3) << extra << '\n';
}

QJsonObject backboneJson(const EmbeddingTable &t, const QString &head)
{
    return {{QStringLiteral("file"), t.backboneFile}, {QStringLiteral("name"), t.backboneName},
            {QStringLiteral("head"), head}, {QStringLiteral("embedding_dim"), t.dim},
            {QStringLiteral("device"), t.device}, {QStringLiteral("extracted"), double(t.extracted)},
            {QStringLiteral("reused"), double(t.reused)}, {QStringLiteral("skipped"), double(t.skipped.size())},
            {QStringLiteral("extraction_seconds"), t.extractionSeconds},
            {QStringLiteral("images_per_second"), t.imagesPerSecond}};
}

// --backbone / --head / --fine-tune over the config's model.backbone / model.head /
// model.fine_tune; their checks.
void backboneOptions(Cli &cli, const QCommandLineOption &backbone, const QCommandLineOption &head,
                     const QCommandLineOption &fineTune, AlConfig *cfg)
{
    if (cli.isSet(backbone))
        cfg->backbone = cli.value(backbone);
    if (cli.isSet(fineTune)) {
        cfg->fineTune = true;
        if (cfg->backbone.isEmpty())
            cli.usageProblem(QStringLiteral("--fine-tune needs a backbone (--backbone FILE.pt or model.backbone in the config)"));
    }
    if (cli.isSet(head)) {
        cfg->head = enumName(kEmbeddingHeadNames, cli.choice(head, kEmbeddingHeadNames));
        if (cfg->backbone.isEmpty())
            cli.usageProblem(QStringLiteral("--head needs a backbone (--backbone FILE.pt or model.backbone in the config)"));
        else if (cfg->fineTune)
            cli.usageProblem(QStringLiteral("--head is the head on frozen embeddings; fine-tuning trains the backbone's own network"));
    }
}

QCommandLineOption backboneOption()
{
    return QCommandLineOption(QStringLiteral("backbone"), QStringLiteral(
        "TorchScript backbone FILE.pt with its sidecar FILE.json (overrides model.backbone): the learner is\n"
        "a head on its embeddings (extracted once) instead of a CNN on the pixels."), QStringLiteral("FILE.pt"));
}

QCommandLineOption fineTuneOption()
{
    return QCommandLineOption(QStringLiteral("fine-tune"), QStringLiteral(
        "With --backbone: train the backbone's whole network on the labels (a fresh classification\n"
        "layer) instead of a head on its frozen embeddings. The backbone must be one Labelscope made\n"
        "(labelscope pretrain or export-model) at the dataset's image size (overrides model.fine_tune)."));
}

QCommandLineOption headOption()
{
    return QCommandLineOption(QStringLiteral("head"), QStringLiteral("Head on the backbone's embeddings: %1 (default mlp; overrides model.head).")
                                                          .arg(enumNameList(kEmbeddingHeadNames)), QStringLiteral("HEAD"), QStringLiteral("mlp"));
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
    Cli cli(QStringLiteral("al-simulate"), QStringLiteral(
        "Simulate active learning against an oracle that holds back the training labels: per round,\n"
        "train on the labels queried so far, score the unlabelled pool, pick the next batch with the\n"
        "configured strategy, query the oracle, and measure test accuracy. Writes the learning curve\n"
        "(labels used -> test accuracy, per round, per seed) as CSV and JSON.\n\n"
        "CONFIG is an Active-Labeler style YAML file (sections model, data, train, active_learner)."));
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
    const QCommandLineOption backbone = backboneOption(), head = headOption(), fineTune = fineTuneOption();
    cli.addOptions({data, config, seeds, firstSeed, outDir, compare, compareWith, limit, threads, device, json, strategyOpt, diversityOpt,
                    backbone, head, fineTune});
    if (const auto exit = cli.parse(arguments))
        return *exit;

    AlConfig cfg;
    QString error;
    if (cli.isSet(config) && !loadAlConfig(cli.value(config), &cfg, &error))
        return cli.fail(error, ExitUsage);
    for (const QString &w : cfg.warnings)
        cli.err() << "warning: " << w << '\n';
    if (cli.isSet(strategyOpt))
        cfg.strategy = cli.value(strategyOpt);
    if (cli.isSet(diversityOpt))
        cfg.diversity = cli.value(diversityOpt);
    backboneOptions(cli, backbone, head, fineTune, &cfg);
    {
        std::unique_ptr<QueryStrategy> probe;
        if (!QueryStrategy::create(cfg.strategy, cfg.diversity, &probe, &error))
            cli.usageProblem(error);
    }
    const QString spec = cli.isSet(data) ? cli.value(data) : cfg.path;
    if (spec.isEmpty())
        cli.usageProblem(QStringLiteral("give a dataset: --data SPEC (or data.path in the config)"));
    const int nSeeds = int(cli.integer(seeds, 1, 1000));
    if (cli.isSet(firstSeed))
        cfg.seed = cli.unsignedInteger(firstSeed);
    const qint64 loadLimit = cli.integer(limit, -1);
    const int nThreads = int(cli.integer(threads, 0, 1024));
    QString dev;
    if (!deviceName(cli.isSet(device) ? cli.value(device) : cfg.device, &dev, &error))
        cli.usageProblem(error);

    std::vector<std::pair<QString, QString>> pairs{{cfg.strategy, cfg.diversity}};
    if (cli.isSet(compare) || cli.isSet(compareWith)) {
        QString list = cli.value(compareWith);
        if (cli.isSet(compare))
            list += QStringLiteral(",random_sampling/random_sampling");
        for (const QString &item : list.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QStringList parts = item.trimmed().split(QLatin1Char('/'));
            std::unique_ptr<QueryStrategy> probe;
            if (parts.size() != 2) {
                cli.usageProblem(QStringLiteral("--compare: '%1' is not strategy/diversity_sampling").arg(item));
                continue;
            }
            if (!QueryStrategy::create(parts[0], parts[1], &probe, &error)) {
                cli.usageProblem(QStringLiteral("--compare: %1").arg(error));
                continue;
            }
            const std::pair<QString, QString> p{parts[0], parts[1]};
            if (std::find(pairs.begin(), pairs.end(), p) == pairs.end())
                pairs.push_back(p);
        }
    }
    if (const auto exit = cli.usageErrors())
        return *exit;

    // The output folder first: a read-only or mistyped place is told before the simulation runs.
    if (cli.isSet(outDir))
        if (const Result<> made = makeFolder(cli.value(outDir)); !made)
            return cli.fail(made.error());
    configureRuntime(nThreads);
    std::optional<EmbeddingTable> embeddings;
    const Result<std::vector<AlCurve>> run = cli.run<std::vector<AlCurve>>(QStringLiteral("al-simulate"), [&](JobContext &context) {
        using R = Result<std::vector<AlCurve>>;
        const double start = cfg.usesEmbeddings() ? 0.1 : 0.01; // the share of loading (and extraction)
        LoadOptions lo;
        lo.limit = loadLimit;
        lo.progress = [&](qint64, qint64) { return !context.isCancelled(); };
        context.stage(QStringLiteral("loading"), 0.0, 0.01);
        context.progress(0.0, spec);
        LoadResult loaded = loadDataset(spec, lo);
        if (!loaded.ok())
            return context.isCancelled() ? R::cancelled() : R::failure(loaded.error);
        if (!cfg.classes.isEmpty() && cfg.classes != loaded.dataset.classes)
            return R::failure(QStringLiteral("data.classes in the config (%1) differ from the dataset's (%2)")
                                  .arg(cfg.classes.join(QStringLiteral(", ")), loaded.dataset.classes.join(QStringLiteral(", "))));
        if (cfg.usesEmbeddings()) {
            // Once for every strategy and seed: the rounds train heads on these.
            context.stage(QStringLiteral("extracting embeddings"), 0.01, start);
            Result<EmbeddingTable> made = embedSamples(cfg.backbone, dev == QLatin1String("cuda") ? DeviceChoice::Cuda : DeviceChoice::Cpu,
                                                       loaded.dataset.samples, context);
            if (!made)
                return R::from(made);
            embeddings = std::move(made).value();
            QTextStream &err = cli.err();
            for (const SkippedItem &s : embeddings->skipped)
                printSkipped(err, s);
            err << QStringLiteral("backbone %1: %2 embeddings [%3] extracted in %4 on %5 (%6 images/s); learner: %7 head")
                       .arg(embeddings->backboneName).arg(embeddings->extracted).arg(embeddings->dim)
                       .arg(formatSeconds(embeddings->extractionSeconds), embeddings->device)
                       .arg(embeddings->imagesPerSecond, 0, 'f', 0).arg(cfg.head) << '\n' << Qt::flush;
        }
        std::vector<AlCurve> curves;
        const double runs = double(pairs.size()) * nSeeds;
        for (const auto &[strategy, diversity] : pairs) {
            for (int s = 0; s < nSeeds; ++s) {
                AlConfig runConfig = cfg;
                runConfig.strategy = strategy;
                runConfig.diversity = diversity;
                const quint64 seed = cfg.seed + quint64(s);
                const QString name = QStringLiteral("%1/%2 seed %3").arg(strategy, diversity).arg(seed);
                context.stage(name, start + (1 - start) * double(curves.size()) / runs, start + (1 - start) * double(curves.size() + 1) / runs);
                JobContext one = context.nested(name);
                Result<AlCurve> curve = runAlSimulation(loaded.dataset, runConfig, seed, dev, one, embeddings ? &*embeddings : nullptr);
                if (!curve)
                    return R::from(curve);
                QTextStream &err = cli.err();
                for (const AlRoundRecord &r : curve->rounds)
                    err << QStringLiteral("%1 round %2: %3 labels -> test accuracy %4 (train %5 s, score %6 s, select %7 s, %8 pseudo-labels)")
                               .arg(name).arg(r.round).arg(r.labels).arg(r.testAccuracy, 0, 'f', 4)
                               .arg(r.trainSeconds, 0, 'f', 1).arg(r.scoreSeconds, 0, 'f', 1).arg(r.selectSeconds, 0, 'f', 2)
                               .arg(r.pseudoLabels) << '\n';
                err << "stopped: " << curve->stopReason << ", " << curve->oracleQueries << " labels, "
                    << QString::number(curve->seconds, 'f', 0) << " s\n" << Qt::flush;
                curves.push_back(std::move(curve).value());
            }
        }
        return R(std::move(curves));
    });
    if (!run)
        return cli.fail(run);
    const std::vector<AlCurve> &curves = run.value();

    QJsonArray curveArray, summary;
    for (const AlCurve &c : curves)
        curveArray.append(c.toJson());
    for (const auto &[strategy, diversity] : pairs)
        summary.append(QJsonObject{{QStringLiteral("strategy"), strategy}, {QStringLiteral("diversity_sampling"), diversity},
                                   {QStringLiteral("mean_curve"), summarise(curves, strategy, diversity)}});
    QJsonObject doc{{QStringLiteral("data"), spec}, {QStringLiteral("config"), cfg.toJson()},
                    {QStringLiteral("seeds"), nSeeds}, {QStringLiteral("curves"), curveArray},
                    {QStringLiteral("summary"), summary}};
    if (embeddings)
        doc.insert(QStringLiteral("backbone"), backboneJson(*embeddings, cfg.head));
    QString csvText;
    {
        QTextStream cs(&csvText);
        writeCurvesCsv(cs, curves, embeddings ? &*embeddings : nullptr, cfg.head);
    }
    if (cli.isSet(outDir)) {
        const QDir dir(cli.value(outDir));
        const QString csvFile = dir.filePath(QStringLiteral("curves.csv")), jsonFile = dir.filePath(QStringLiteral("curves.json"));
        if (const Result<> written = writeFileAtomically(csvFile, csvText.toUtf8()); !written)
            return cli.fail(written.error());
        if (const Result<> written = writeFileAtomically(jsonFile, QJsonDocument(doc).toJson(QJsonDocument::Indented)); !written)
            return cli.fail(written.error());
        cli.err() << "written: " << csvFile << ", " << jsonFile << '\n';
    }
    if (cli.isSet(json))
        QTextStream(stdout) << QJsonDocument(doc).toJson(QJsonDocument::Compact) << '\n';
    else if (!cli.isSet(outDir))
        QTextStream(stdout) << csvText;
    return ExitOk;
}

int runAlRoundCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("al-round"), QStringLiteral(
        "Run one active-learning round on a project: train on its labelled samples, score the\n"
        "unlabelled ones, and queue the batch to label next (shown in the review window's labelling\n"
        "panel). With no labels yet, the batch is a cold start."));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Project file."), QStringLiteral("FILE"));
    const QCommandLineOption config(QStringLiteral("config"), QStringLiteral("YAML config file."), QStringLiteral("FILE"));
    const QCommandLineOption strategy(QStringLiteral("strategy"), QStringLiteral("Uncertainty (overrides the config): %1.").arg(uncertaintyNames().join(QStringLiteral(", "))), QStringLiteral("NAME"));
    const QCommandLineOption diversity(QStringLiteral("diversity"), QStringLiteral("Diversity sampling (overrides the config): %1.").arg(diversityNames().join(QStringLiteral(", "))), QStringLiteral("NAME"));
    const QCommandLineOption batch(QStringLiteral("batch"), QStringLiteral("Batch size (overrides num_labelled)."), QStringLiteral("N"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary as the last line on stdout."));
    const QCommandLineOption backbone = backboneOption(), head = headOption(), fineTune = fineTuneOption();
    cli.addOptions({project, config, strategy, diversity, batch, threads, json, backbone, head, fineTune});
    if (const auto exit = cli.parse(arguments, {project}))
        return *exit;
    AlConfig cfg;
    QString error;
    if (cli.isSet(config) && !loadAlConfig(cli.value(config), &cfg, &error))
        return cli.fail(error, ExitUsage);
    for (const QString &w : cfg.warnings)
        cli.err() << "warning: " << w << '\n';
    if (cli.isSet(strategy))
        cfg.strategy = cli.value(strategy);
    if (cli.isSet(diversity))
        cfg.diversity = cli.value(diversity);
    backboneOptions(cli, backbone, head, fineTune, &cfg);
    std::unique_ptr<QueryStrategy> probe;
    if (!QueryStrategy::create(cfg.strategy, cfg.diversity, &probe, &error))
        cli.usageProblem(error);
    if (cli.isSet(batch))
        cfg.numLabelled = int(cli.integer(batch, 1, 1000000));
    const int nThreads = int(cli.integer(threads, 0, 1024));
    QString dev;
    if (!deviceName(cfg.device, &dev, &error))
        cli.usageProblem(error);
    if (const auto exit = cli.usageErrors())
        return *exit;
    configureRuntime(nThreads);
    const Result<AlProjectRound> run = cli.run<AlProjectRound>(QStringLiteral("active-learning round"), [&](JobContext &context) {
        return runAlProjectRound(cli.value(project), cfg, dev, context);
    });
    if (!run)
        return cli.fail(run);
    const AlProjectRound &round = run.value();
    cli.err() << QStringLiteral("round %1: queued %2 of %3 unlabelled samples (%4 labelled)%5")
                     .arg(round.roundId).arg(round.queued.size()).arg(round.pool).arg(round.labelled)
                     .arg(round.validationAccuracy >= 0 ? QStringLiteral(", validation accuracy %1").arg(round.validationAccuracy, 0, 'f', 4) : QString())
              << '\n';
    if (cfg.fineTune)
        cli.err() << QStringLiteral("fine-tuned the network of backbone %1").arg(cfg.backbone) << '\n';
    else if (!cfg.backbone.isEmpty())
        cli.err() << QStringLiteral("backbone %1 (%2 head): %3 embeddings reused from the project, %4 extracted in %5")
                         .arg(round.backboneName, cfg.head).arg(round.embeddingsReused).arg(round.embeddingsExtracted)
                         .arg(formatSeconds(round.extractionSeconds)) << '\n';
    if (cli.isSet(json)) {
        QJsonArray ids;
        for (qint64 id : round.queued)
            ids.append(double(id));
        QJsonObject summary{{QStringLiteral("round"), double(round.roundId)},
                            {QStringLiteral("queued"), ids},
                            {QStringLiteral("labelled"), double(round.labelled)},
                            {QStringLiteral("pool"), double(round.pool)},
                            {QStringLiteral("validation_accuracy"), round.validationAccuracy}};
        if (cfg.fineTune)
            summary.insert(QStringLiteral("backbone"), QJsonObject{{QStringLiteral("file"), cfg.backbone},
                                                                  {QStringLiteral("fine_tune"), true}});
        else if (!cfg.backbone.isEmpty())
            summary.insert(QStringLiteral("backbone"), QJsonObject{{QStringLiteral("file"), cfg.backbone},
                                                                  {QStringLiteral("name"), round.backboneName},
                                                                  {QStringLiteral("head"), cfg.head},
                                                                  {QStringLiteral("reused"), double(round.embeddingsReused)},
                                                                  {QStringLiteral("extracted"), double(round.embeddingsExtracted)},
                                                                  {QStringLiteral("extraction_seconds"), round.extractionSeconds}});
        QTextStream(stdout) << QJsonDocument(summary).toJson(QJsonDocument::Compact) << '\n';
    }
    return ExitOk;
}

int runAlBenchCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("al-bench"), QStringLiteral(
        "Time the selection of every query strategy on a synthetic pool (Gaussian embeddings,\n"
        "Dirichlet-like softmax probabilities, a labelled set), as in one active-learning round."));
    const QCommandLineOption poolSize(QStringLiteral("pool"), QStringLiteral("Pool size M."), QStringLiteral("M"), QStringLiteral("57000"));
    const QCommandLineOption dim(QStringLiteral("dim"), QStringLiteral("Embedding dimension D."), QStringLiteral("D"), QStringLiteral("128"));
    const QCommandLineOption classes(QStringLiteral("classes"), QStringLiteral("Classes K."), QStringLiteral("K"), QStringLiteral("10"));
    const QCommandLineOption labelled(QStringLiteral("labelled"), QStringLiteral("Labelled set size L."), QStringLiteral("L"), QStringLiteral("2500"));
    const QCommandLineOption batch(QStringLiteral("batch"), QStringLiteral("Batch size N."), QStringLiteral("N"), QStringLiteral("250"));
    const QCommandLineOption mc(QStringLiteral("mc"), QStringLiteral("MC-dropout samples for bald."), QStringLiteral("T"), QStringLiteral("10"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads."), QStringLiteral("N"), QStringLiteral("0"));
    cli.addOptions({poolSize, dim, classes, labelled, batch, mc, threads});
    if (const auto exit = cli.parse(arguments))
        return *exit;
    // Bounded so that the synthetic pool fits in memory (M x D floats, M x K x T for bald).
    const int64_t m = cli.integer(poolSize, 1, 10000000);
    const int d = int(cli.integer(dim, 1, 4096)), k = int(cli.integer(classes, 2, 1000)), t = int(cli.integer(mc, 2, 100));
    const int64_t l = cli.integer(labelled, 0, 1000000), n = cli.integer(batch, 1, 1000000);
    const int nThreads = int(cli.integer(threads, 0, 1024));
    if (const auto exit = cli.usageErrors())
        return *exit;
    if (double(m) * d + double(m) * k * t > 2e9)
        return cli.fail(QStringLiteral("the synthetic pool (M x D + M x K x T = %1 floats) is too large; lower --pool, --dim or --mc").arg(double(m) * d + double(m) * k * t), ExitUsage);
    configureRuntime(nThreads);
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
               .arg(m).arg(d).arg(k).arg(l).arg(n).arg(nThreads > 0 ? nThreads : defaultThreadCount());
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
