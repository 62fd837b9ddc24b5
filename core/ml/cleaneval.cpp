#include "cleaneval.h"

#include "analysis.h"
#include "base/dataset.h"
#include "base/projectstore.h"
#include "runtime.h"
#include "trainer.h"

#include <QDir>
#include <QHash>
#include <QJsonArray>
#include <QTemporaryDir>

#include <torch/torch.h>

#include <cmath>
#include <memory>

namespace labelscope {

const std::vector<QString> &cleanEvalVariants()
{
    static const std::vector<QString> names = {
        QStringLiteral("noisy"), QStringLiteral("removed"), QStringLiteral("relabelled"),
        QStringLiteral("easy_only"), QStringLiteral("true_labels")};
    return names;
}

Result<QJsonObject> runCleanEval(const CleanEvalParams &params, JobContext &context)
{
    using R = Result<QJsonObject>;
    if (params.rates.empty() || params.seeds < 1)
        return R::failure(QStringLiteral("clean-eval needs at least one noise rate and one seed"));
    for (double r : params.rates)
        if (!(r >= 0.0 && r < 1.0))
            return R::failure(QStringLiteral("noise rate %1 is not in [0, 1)").arg(r));
    configureRuntime(params.threads);
    const Result<QString> deviceName = resolveDevice(params.device);
    if (!deviceName)
        return R::from(deviceName);

    LoadOptions options;
    options.limit = params.limit;
    options.progress = [&](qint64, qint64) { return !context.isCancelled(); };
    context.stage(QStringLiteral("loading"), 0.0, 0.02);
    LoadResult loaded = loadDataset(params.dataSpec, options);
    if (!loaded.ok())
        return context.isCancelled() ? R::cancelled() : R::failure(loaded.error);
    const Dataset &dataset = loaded.dataset;
    QHash<QString, qint64> imageOf;
    bool hasTest = false;
    for (std::size_t i = 0; i < dataset.samples.size(); ++i) {
        imageOf.insert(sampleKey(dataset.samples[i]), qint64(i));
        hasTest = hasTest || dataset.samples[i].split == QLatin1String("test");
    }
    if (!hasTest)
        return R::failure(QStringLiteral("%1 has no test split; clean-eval measures accuracy on it").arg(params.dataSpec));

    std::unique_ptr<QTemporaryDir> tmp;
    QString workDir = params.workDir;
    if (workDir.isEmpty()) {
        tmp = std::make_unique<QTemporaryDir>();
        if (!tmp->isValid())
            return R::failure(QStringLiteral("cannot create a temporary directory: %1").arg(tmp->errorString()));
        workDir = tmp->path();
    }
    QDir().mkpath(workDir);

    const auto all = torch::from_blob(const_cast<uint8_t *>(dataset.pixels.data()),
                                      {qint64(dataset.samples.size()), dataset.channels, dataset.height, dataset.width},
                                      torch::kUInt8);
    auto gather = [&](const std::vector<int64_t> &idx) {
        return all.index_select(0, torch::tensor(at::ArrayRef<int64_t>(idx), torch::kLong)).clone();
    };
    const int numClasses = int(dataset.classes.size());
    const int variants = int(cleanEvalVariants().size());
    const double steps = double(params.rates.size()) * params.seeds * (1 + variants);
    double stepsDone = 0;
    // Each step (an analysis or a variant's model) is one stage of equal share.
    auto report = [&](const QString &stage, double rate, int seed) {
        context.stage(stage, 0.02 + 0.98 * stepsDone / steps, 0.02 + 0.98 * (stepsDone + 1) / steps);
        context.progress(0.0, QStringLiteral("rate %1 seed %2").arg(rate).arg(seed));
    };

    QJsonArray rateResults;
    for (double rate : params.rates) {
        std::map<QString, std::vector<double>> accuracy;
        std::map<QString, std::vector<int>> skipped; // variant → seeds with too few samples
        double flaggedSum = 0, precisionSum = 0;
        for (int seed = 1; seed <= params.seeds; ++seed) {
            // 1. The analysis flags samples (its own project, noise injected at import).
            report(QStringLiteral("analysis"), rate, seed);
            AnalysisParams ap;
            ap.dataSpec = params.dataSpec;
            ap.projectFile = QDir(workDir).filePath(QStringLiteral("clean-eval-%1-%2.lsproj").arg(rate).arg(seed));
            QFile::remove(ap.projectFile);
            ap.injectNoise = rate;
            ap.noiseKind = params.noiseKind;
            ap.seed = quint64(seed);
            ap.epochs = params.epochs;
            ap.limit = params.limit;
            ap.device = params.device;
            ap.threads = params.threads;
            ap.method = params.method;
            ap.layouts = false;
            JobContext analysis = context.nested(QStringLiteral("analysis"));
            const Result<AnalysisResult> analysed = runAnalysis(ap, analysis);
            if (!analysed)
                return R::from(analysed);
            const AnalysisResult &ar = analysed.value();
            ++stepsDone;
            ProjectStore store;
            QString storeError;
            if (!store.open(ap.projectFile, &storeError))
                return R::failure(storeError);
            const std::vector<SampleScore> scores = store.scores(ar.runId);
            QHash<qint64, const SampleScore *> scoreOf;
            for (const SampleScore &s : scores)
                scoreOf.insert(s.sampleId, &s);

            // 2. Label sets of the variants, over the same training images.
            std::map<QString, std::pair<std::vector<int64_t>, std::vector<int64_t>>> sets; // images, labels
            std::vector<int64_t> testImages, testLabels;
            qint64 flagged = 0, flaggedWrong = 0;
            for (const SampleRow &row : store.samples()) {
                const auto it = imageOf.constFind(sampleKey(row.sample));
                if (it == imageOf.constEnd())
                    continue;
                // Without injected noise (rate 0) the given label is the true one.
                const int truth = row.sample.trueLabel >= 0 ? row.sample.trueLabel : row.givenLabel;
                if (row.sample.split == QLatin1String("test")) {
                    if (truth >= 0) {
                        testImages.push_back(*it);
                        testLabels.push_back(truth);
                    }
                    continue;
                }
                const SampleScore *s = scoreOf.value(row.id, nullptr);
                if (!s || truth < 0 || row.givenLabel < 0)
                    continue;
                const bool hard = s->category == Category::Hard;
                flagged += hard;
                flaggedWrong += hard && row.givenLabel != truth;
                auto add = [&](const QString &v, int label) {
                    sets[v].first.push_back(*it);
                    sets[v].second.push_back(label);
                };
                add(QStringLiteral("noisy"), row.givenLabel);
                if (!hard)
                    add(QStringLiteral("removed"), row.givenLabel);
                add(QStringLiteral("relabelled"), hard && s->suggestedLabel >= 0 ? s->suggestedLabel : row.givenLabel);
                if (s->category == Category::Easy)
                    add(QStringLiteral("easy_only"), row.givenLabel);
                add(QStringLiteral("true_labels"), truth);
            }
            flaggedSum += double(flagged);
            precisionSum += flagged ? double(flaggedWrong) / double(flagged) : 0.0;
            store.close();
            QFile::remove(ap.projectFile);

            // 3. One fresh model per variant (plain cross-entropy, same recipe and seed).
            TrainData test{gather(testImages), torch::tensor(at::ArrayRef<int64_t>(testLabels), torch::kLong)};
            for (const QString &v : cleanEvalVariants()) {
                report(v, rate, seed);
                const auto &[images, labels] = sets[v];
                if (images.size() < 10) {
                    // Nothing sensible to train (e.g. no easy samples after a very short
                    // analysis): the variant is left out of this seed's figures, not fatal.
                    skipped[v].push_back(seed);
                    ++stepsDone;
                    continue;
                }
                TrainerConfig config;
                config.epochs = ar.epochs;
                config.seed = quint64(seed);
                config.hflip = !looksLikeDigits(dataset.classes);
                config.dataParameters.learnInstance = false;
                config.dataParameters.learnClass = false;
                config.device = deviceName.value() == QLatin1String("cuda") ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
                TrainData train{gather(images), torch::tensor(at::ArrayRef<int64_t>(labels), torch::kLong)};
                TrainOutput out;
                QString trainError;
                if (!trainWithDataParameters(train, &test, numClasses, config, context.cancelFlag(),
                                             [&](const TrainProgress &p) {
                                                 context.progress(p.evaluating ? 1.0 : (p.epoch - 1 + double(p.batch) / std::max<int64_t>(1, p.batches)) / p.epochs,
                                                                  QStringLiteral("rate %1 seed %2 epoch %3/%4").arg(rate).arg(seed).arg(p.epoch).arg(p.epochs));
                                             },
                                             &out, &trainError))
                    return trainError == QLatin1String("cancelled") ? R::cancelled() : R::failure(trainError);
                accuracy[v].push_back(out.testAccuracy);
                ++stepsDone;
            }
        }
        QJsonObject variantsJson;
        for (const QString &v : cleanEvalVariants()) {
            const std::vector<double> &runs = accuracy[v];
            if (runs.empty()) {
                variantsJson[v] = QJsonObject{{QStringLiteral("skipped"), QStringLiteral("fewer than 10 samples")}};
                continue;
            }
            double mean = 0, var = 0;
            for (double a : runs)
                mean += a / double(runs.size());
            for (double a : runs)
                var += (a - mean) * (a - mean);
            const double stdev = runs.size() > 1 ? std::sqrt(var / double(runs.size() - 1)) : 0.0;
            QJsonArray runsJson;
            for (double a : runs)
                runsJson.append(a);
            QJsonObject o{{QStringLiteral("mean"), mean}, {QStringLiteral("std"), stdev},
                          {QStringLiteral("runs"), runsJson}};
            if (!skipped[v].empty())
                o[QStringLiteral("skipped_seeds")] = qint64(skipped[v].size());
            variantsJson[v] = o;
        }
        rateResults.append(QJsonObject{{QStringLiteral("rate"), rate},
                                       {QStringLiteral("flagged"), flaggedSum / params.seeds},
                                       {QStringLiteral("flag_precision"), precisionSum / params.seeds},
                                       {QStringLiteral("variants"), variantsJson}});
    }
    return QJsonObject{{QStringLiteral("data"), params.dataSpec},
                       {QStringLiteral("noise_kind"), noiseKindName(params.noiseKind)},
                       {QStringLiteral("seeds"), params.seeds},
                       {QStringLiteral("limit"), params.limit},
                       {QStringLiteral("method"), enumName(kAnalysisMethodNames, params.method)},
                       {QStringLiteral("rates"), rateResults}};
}

} // namespace labelscope
