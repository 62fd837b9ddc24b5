#include "analysis.h"

#include "base/categorizer.h"
#include "base/confidentlearning.h"
#include "base/kfold.h"
#include "base/verdict.h"
#include "base/metrics.h"
#include "base/noiseposterior.h"
#include "base/noise.h"
#include "runtime.h"
#include "tsne.h"
#include "trainer.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QScopeGuard>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

namespace labelscope {

QString resolveDevice(const QString &requested, QString *error)
{
    const bool cuda = torch::cuda::is_available();
    if (requested == QLatin1String("cuda")) {
        if (!cuda) {
            if (error)
                *error = QStringLiteral("--device cuda: this LibTorch build has no usable CUDA device "
                                        "(Debian's LibTorch is CPU-only; build Labelscope against a CUDA "
                                        "LibTorch with -DCMAKE_PREFIX_PATH, or use --device cpu)");
            return {};
        }
        return QStringLiteral("cuda");
    }
    if (requested == QLatin1String("cpu"))
        return QStringLiteral("cpu");
    if (requested == QLatin1String("auto") || requested.isEmpty())
        return cuda ? QStringLiteral("cuda") : QStringLiteral("cpu");
    if (error)
        *error = QStringLiteral("unknown device '%1' (use auto, cpu or cuda)").arg(requested);
    return {};
}

namespace {

int automaticEpochs(qint64 n, bool singleModel)
{
    // About 400k sample-passes, at most 30 epochs; at least 8 with K-fold (dynamics averaged over
    // K − 1 models), 12 for one model (60,000 Fashion-MNIST: F1 .947 → .952 in 4.4 min; RESULTS.md).
    if (n <= 0)
        return 1;
    return int(std::clamp<qint64>(400000 / n, singleModel ? 12 : 8, 30));
}

struct Prepared {
    Dataset dataset;
    std::vector<SampleRow> rows;
    std::vector<qint64> trainRows; // indices into rows
    std::vector<qint64> trainImage; // dataset index of each train row
    std::vector<qint64> testImage;
    std::vector<int> testLabels;
};

torch::Tensor allLabelsIndex(const std::vector<int64_t> &labels)
{
    return torch::tensor(at::ArrayRef<int64_t>(labels), torch::kLong).unsqueeze(1);
}

// [N, K] float32 softmax rows → row-major doubles renormalised to 1 (cleanlab's astype(float64)).
std::vector<double> rowsAsDouble(const torch::Tensor &probsTensor)
{
    const auto c = probsTensor.contiguous();
    const int64_t n = c.size(0), k = c.size(1);
    const float *p = c.data_ptr<float>();
    std::vector<double> probs(p, p + c.numel());
    for (int64_t i = 0; i < n; ++i) {
        double *row = probs.data() + i * k;
        const double sum = std::accumulate(row, row + k, 0.0);
        for (int64_t j = 0; j < k; ++j)
            row[j] = std::clamp(row[j] / sum, 0.0, 1.0);
    }
    return probs;
}

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

} // namespace

bool runAnalysis(const AnalysisParams &params, const std::atomic_bool &cancel,
                 const std::function<void(const AnalysisProgress &)> &progress,
                 AnalysisResult *result, QString *error)
{
    QElapsedTimer total;
    total.start();
    configureRuntime(params.threads);
    *result = AnalysisResult{};
    const QDateTime started = QDateTime::currentDateTimeUtc();

    // Wall seconds of each phase since the previous mark, for the summary.
    qint64 lastMark = 0;
    auto markPhase = [&](const QString &phase) {
        const qint64 now = total.elapsed();
        result->phaseSeconds[phase] = double(now - lastMark) / 1000.0;
        lastMark = now;
    };
    auto report = [&](const QString &phase, double fraction) {
        if (!progress)
            return;
        AnalysisProgress p;
        p.phase = phase;
        p.fraction = fraction;
        progress(p);
    };

    if (params.method != QLatin1String("all") && params.method != QLatin1String("data-parameters")
        && params.method != QLatin1String("confident-learning"))
        return fail(error, QStringLiteral("unknown method '%1' (use all, data-parameters or confident-learning)").arg(params.method));
    bool knownModel = false;
    architectureFromName(params.model, &knownModel);
    if (!knownModel)
        return fail(error, QStringLiteral("unknown model '%1' (use auto, small_cnn, medium_cnn or small_resnet)").arg(params.model));
    bool knownPrecision = false;
    precisionFromName(params.precision, &knownPrecision);
    if (!knownPrecision)
        return fail(error, QStringLiteral("unknown precision '%1' (use auto, fp32 or bf16)").arg(params.precision));
    if (params.method != QLatin1String("data-parameters") && (params.folds < 2 || params.folds > 20))
        return fail(error, QStringLiteral("folds must be between 2 and 20 (got %1)").arg(params.folds));
    {
        LabelIssuesOptions probe;
        probe.filterBy = params.filterBy;
        const LabelIssuesResult check = findLabelIssues({0, 1}, {1.0, 0.0, 0.0, 1.0}, 2, probe);
        if (!check.ok())
            return fail(error, check.error);
    }
    QString deviceError;
    const QString deviceName = resolveDevice(params.device, &deviceError);
    if (deviceName.isEmpty())
        return fail(error, deviceError);
    result->device = deviceName;
    if (precisionFromName(params.precision) == Precision::BFloat16 && deviceName != QLatin1String("cpu"))
        return fail(error, QStringLiteral("precision bf16 is implemented for the CPU only (device %1)").arg(deviceName));

    ProjectStore store;
    QString storeError;
    const bool created = !QFileInfo::exists(params.projectFile);
    if (!store.open(params.projectFile, &storeError))
        return fail(error, storeError);
    // A new project file that never received its samples (the dataset failed to load) is removed
    // again, so that a failed first analysis leaves nothing behind.
    const auto removeIfEmpty = qScopeGuard([&] {
        if (!created || store.sampleCount() > 0)
            return;
        store.close();
        for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
            QFile::remove(params.projectFile + suffix);
    });

    // Load the data: the project's own spec when it has samples, else params.dataSpec.
    const bool fresh = store.sampleCount() == 0;
    QString spec = store.meta(QStringLiteral("data_spec"));
    LoadOptions loadOptions;
    loadOptions.limit = params.limit;
    loadOptions.imageSize = params.imageSize;
    if (fresh) {
        if (params.dataSpec.isEmpty())
            return fail(error, QStringLiteral("%1: the project is empty; give a dataset (--data SPEC)").arg(params.projectFile));
        spec = params.dataSpec;
    } else {
        if (!params.dataSpec.isEmpty() && params.dataSpec != spec)
            return fail(error, QStringLiteral("%1 was made from '%2', not '%3'; use a new --project file")
                                   .arg(params.projectFile, spec, params.dataSpec));
        loadOptions.limit = store.meta(QStringLiteral("limit")).toLongLong();
        loadOptions.imageSize = store.meta(QStringLiteral("image_size")).toInt();
    }
    loadOptions.progress = [&](qint64 done, qint64 totalItems) {
        report(QStringLiteral("loading"), totalItems > 0 ? 0.05 * double(done) / double(totalItems) : 0.0);
        return !cancel.load();
    };
    report(QStringLiteral("loading"), 0.0);
    LoadResult loaded = loadDataset(spec, loadOptions);
    if (!loaded.ok())
        return fail(error, loaded.error);
    Dataset &dataset = loaded.dataset;
    result->skipped = dataset.skipped;
    if (dataset.classes.size() < 2)
        return fail(error, QStringLiteral("%1: found %2 class(es); label-noise analysis needs at least 2")
                               .arg(spec).arg(dataset.classes.size()));

    if (fresh) {
        report(QStringLiteral("importing"), 0.05);
        if (params.injectNoise > 0) {
            const auto kind = parseNoiseKind(params.noiseKind);
            if (!kind)
                return fail(error, QStringLiteral("unknown noise kind '%1' (use symmetric, swap or asymmetric)").arg(params.noiseKind));
            injectNoise(dataset, *kind, params.injectNoise, params.seed);
        }
        // One transaction: a kill leaves no import or the import with all its metadata.
        const QMap<QString, QString> meta{
            {QStringLiteral("data_spec"), spec},
            {QStringLiteral("limit"), QString::number(loadOptions.limit)},
            {QStringLiteral("image_size"), QString::number(loadOptions.imageSize)},
            {QStringLiteral("noise"), QStringLiteral("%1 %2 seed %3").arg(params.noiseKind).arg(params.injectNoise).arg(params.seed)}};
        if (!store.importDataset(dataset, meta, &storeError))
            return fail(error, storeError);
    }

    // Match the project's samples to the loaded images; train on labelled, kept, non-test ones.
    QHash<QString, qint64> imageOf;
    imageOf.reserve(qsizetype(dataset.samples.size()));
    for (std::size_t i = 0; i < dataset.samples.size(); ++i)
        imageOf.insert(sampleKey(dataset.samples[i]), qint64(i));
    const std::vector<SampleRow> rows = store.samples();
    const QStringList classes = store.classes();
    std::vector<int64_t> trainRow, trainImage, testImage;
    std::vector<int64_t> trainLabels, testLabels;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const SampleRow &row = rows[r];
        const auto it = imageOf.constFind(sampleKey(row.sample));
        if (it == imageOf.constEnd())
            continue; // skipped while loading (listed in result->skipped) or removed from disk
        if (row.sample.split == QLatin1String("test")) {
            const int truth = row.sample.trueLabel >= 0 ? row.sample.trueLabel : row.label;
            if (truth >= 0) {
                testImage.push_back(*it);
                testLabels.push_back(truth);
            }
        } else if (!row.excluded && row.label >= 0) {
            trainRow.push_back(qint64(r));
            trainImage.push_back(*it);
            trainLabels.push_back(row.label);
        }
    }
    const qint64 n = qint64(trainRow.size());
    if (n < 10)
        return fail(error, QStringLiteral("%1: only %2 labelled training samples; need at least 10").arg(spec).arg(n));

    auto gather = [&](const std::vector<int64_t> &idx) {
        auto all = torch::from_blob(dataset.pixels.data(),
                                    {qint64(dataset.samples.size()), dataset.channels, dataset.height, dataset.width},
                                    torch::kUInt8);
        return all.index_select(0, torch::from_blob(const_cast<int64_t *>(idx.data()), {int64_t(idx.size())}, torch::kLong)).clone();
    };

    markPhase(QStringLiteral("loading"));
    TrainerConfig config;
    config.epochs = params.epochs > 0 ? params.epochs : automaticEpochs(n, params.method == QLatin1String("data-parameters"));
    config.batchSize = params.batchSize;
    config.seed = params.seed;
    config.hflip = !looksLikeDigits(classes);
    config.dataParameters.learnClass = params.classParameters;
    // The paper's instance lr (0.2, with the batch-mean loss) suits ~100 epochs; over the few epochs
    // here σ hardly moved (clean .98, wrong 1.11 after 8 epochs on 20,000 Fashion-MNIST images).
    // With 4.0 σ separates (clean .75, wrong 4.8) and the final model ranks the wrong labels as
    // well or slightly better (AUROC .9941 vs .9935): RESULTS.md.
    config.dataParameters.instanceLr = 4.0;
    config.device = deviceName == QLatin1String("cuda") ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    config.precision = resolvePrecision(precisionFromName(params.precision), config.device);
    result->precision = precisionName(config.precision);
    config.architecture = resolveArchitecture(architectureFromName(params.model), int(dataset.channels),
                                              int(dataset.height), config.precision, config.device);
    result->model = architectureName(config.architecture);
    result->epochs = config.epochs;

    const bool useDp = params.method != QLatin1String("confident-learning");
    const bool useCl = params.method != QLatin1String("data-parameters");
    const int numClasses = int(classes.size());
    const std::vector<int> givenLabels(trainLabels.begin(), trainLabels.end());
    // K-fold when Confident Learning is wanted: fold f's model trains (with Data Parameters,
    // recording dynamics) on the other folds and predicts fold f out of sample.
    std::vector<int> fold;
    int folds = 1;
    if (useCl) {
        QString foldError;
        fold = stratifiedKFold(givenLabels, params.folds, params.seed, &foldError);
        if (fold.empty())
            return fail(error, QStringLiteral("%1: %2").arg(spec, foldError));
        folds = params.folds;
    }
    result->folds = useCl ? folds : 0;
    result->method = params.method;

    // Accumulated over the models that trained on each sample (1 model, or K − 1 of K).
    torch::Tensor sigmaSum, probSum, marginSum, predictedLast, inSampleProbSum, oosProbs, embeddings, testProbSum;
    torch::Tensor trainCount = torch::zeros({n});
    QString trainError;
    bool trained = true;
    try {
        const torch::Tensor allImages = gather(trainImage);
        const torch::Tensor allLabels = torch::tensor(at::ArrayRef<int64_t>(trainLabels), torch::kLong);
        TrainData test;
        if (!testImage.empty())
            test = TrainData{gather(testImage), torch::tensor(at::ArrayRef<int64_t>(testLabels), torch::kLong)};
        const qint64 trainPerModel = useCl ? n - n / folds : n;
        // Whole job = training passes plus evaluation passes (about a third of a training pass each).
        const double work = double(folds) * (double(trainPerModel) * config.epochs
                                             + (double(n) + double(testImage.size())) / 3.0);
        QElapsedTimer clock;
        clock.start();
        // Fold f's split: the samples it trains on and the held-out fold it predicts.
        std::vector<std::vector<int64_t>> inOf(static_cast<std::size_t>(folds)), outOf(static_cast<std::size_t>(folds));
        for (int f = 0; f < folds; ++f)
            for (qint64 i = 0; i < n; ++i)
                (useCl && fold[std::size_t(i)] == f ? outOf : inOf)[std::size_t(f)].push_back(i);
        // On CPU the K fold models can train side by side, the threads split among them. On the
        // quiet 2-core machine two workers of one thread and one model with two threads are
        // equally fast (20,000 images: 66 s vs 69 s), and at 60,000 the uneven end made workers
        // slower (731 s vs 687 s); under load workers won 1.8x (RESULTS.md, "fold workers").
        // Default: one worker per two threads from four threads up, else one.
        const int threads = torch::get_num_threads();
        const int automatic = threads >= 4 ? threads / 2 : 1;
        const int workers = config.device.is_cpu()
            ? std::clamp(params.foldWorkers > 0 ? params.foldWorkers : automatic, 1, folds)
            : 1;
        std::vector<TrainOutput> outputs(static_cast<std::size_t>(folds));
        std::vector<QString> foldErrors(static_cast<std::size_t>(folds));
        std::vector<double> doneOf(static_cast<std::size_t>(folds), 0.0);
        std::mutex progressMutex;
        QElapsedTimer throttle;
        throttle.start();
        const double perFoldEval = (double(n) + double(testImage.size())) / 3.0;
        auto trainFold = [&](int f) {
            const auto &in = inOf[std::size_t(f)], &out = outOf[std::size_t(f)];
            try {
                const auto inIdx = torch::tensor(at::ArrayRef<int64_t>(in), torch::kLong);
                TrainData train{allImages.index_select(0, inIdx), allLabels.index_select(0, inIdx)};
                TrainerConfig foldConfig = config;
                foldConfig.seed = params.seed + quint64(f);
                foldConfig.flipAveragePredictions = true;
                if (!out.empty())
                    foldConfig.predictImages = allImages.index_select(0, torch::tensor(at::ArrayRef<int64_t>(out), torch::kLong));
                return trainWithDataParameters(train, &test, numClasses, foldConfig, cancel,
                    [&](const TrainProgress &tp) {
                        if (!progress)
                            return;
                        const std::lock_guard<std::mutex> lock(progressMutex);
                        doneOf[std::size_t(f)] = tp.evaluating
                            ? double(in.size()) * config.epochs
                            : double(in.size()) * (tp.epoch - 1) + double(tp.batch) * config.batchSize;
                        if (throttle.elapsed() < 100 && tp.batch != tp.batches && !tp.evaluating)
                            return;
                        throttle.restart();
                        double done = 0.0;
                        for (int g = 0; g < folds; ++g)
                            done += doneOf[std::size_t(g)] + (doneOf[std::size_t(g)] >= double(inOf[std::size_t(g)].size()) * config.epochs ? perFoldEval : 0.0);
                        AnalysisProgress p;
                        p.phase = tp.evaluating ? QStringLiteral("scoring") : QStringLiteral("training");
                        p.fold = useCl ? f + 1 : 0;
                        p.folds = useCl ? folds : 0;
                        p.epoch = tp.epoch;
                        p.epochs = tp.epochs;
                        p.batch = tp.batch;
                        p.batches = tp.batches;
                        p.loss = tp.loss;
                        p.samplesPerSecond = tp.samplesPerSecond * workers;
                        p.fraction = 0.05 + 0.9 * std::min(1.0, done / work);
                        const double rate = done / std::max(1e-3, clock.elapsed() / 1000.0);
                        p.etaSeconds = rate > 0 && done > 0 ? (work - done) / rate : -1.0;
                        progress(p);
                    },
                    &outputs[std::size_t(f)], &foldErrors[std::size_t(f)]);
            } catch (const std::exception &e) {
                foldErrors[std::size_t(f)] = QStringLiteral("training failed: %1").arg(QString::fromLocal8Bit(e.what()).section(QLatin1Char('\n'), 0, 0));
                return false;
            }
        };
        if (workers <= 1) {
            for (int f = 0; f < folds && trained; ++f)
                trained = trainFold(f);
        } else {
            std::atomic_int next{0};
            std::atomic_bool failed{false};
            std::vector<std::thread> pool;
            for (int w = 0; w < workers; ++w)
                pool.emplace_back([&] {
                    // OpenMP's thread count is per thread: a new thread would use every core.
                    // Fixed for the whole fold, so that each fold is deterministic for its seed.
                    torch::set_num_threads(std::max(1, threads / workers));
                    for (int f = next++; f < folds && !failed.load(); f = next++)
                        if (!trainFold(f))
                            failed = true;
                });
            for (auto &t : pool)
                t.join();
            trained = !failed.load();
        }
        if (!trained) {
            for (const QString &e : foldErrors)
                if (!e.isEmpty() && (trainError.isEmpty() || trainError == QLatin1String("cancelled")))
                    trainError = e;
            if (trainError.isEmpty())
                trainError = QStringLiteral("cancelled");
        }
        // Accumulate in fold order (deterministic whatever order the workers finished in).
        for (int f = 0; f < folds && trained; ++f) {
            const auto &in = inOf[std::size_t(f)], &out = outOf[std::size_t(f)];
            const auto inIdx = torch::tensor(at::ArrayRef<int64_t>(in), torch::kLong);
            const auto outIdx = torch::tensor(at::ArrayRef<int64_t>(out), torch::kLong);
            TrainOutput &o = outputs[std::size_t(f)];
            if (params.foldObserver) {
                std::vector<qint64> trainedIds, predictedIds;
                for (int64_t i : in)
                    trainedIds.push_back(rows[std::size_t(trainRow[std::size_t(i)])].id);
                for (int64_t i : out)
                    predictedIds.push_back(rows[std::size_t(trainRow[std::size_t(i)])].id);
                params.foldObserver(f, trainedIds, predictedIds);
            }
            if (f == 0) {
                const int64_t e = o.epochs;
                sigmaSum = torch::zeros({n, e});
                probSum = torch::zeros({n, e});
                marginSum = torch::zeros({n, e});
                predictedLast = torch::zeros({n, e}, torch::kInt16);
                inSampleProbSum = torch::zeros({n, numClasses});
                oosProbs = torch::zeros({n, numClasses});
                // One model's feature space for every sample (fold 0: in-sample and held-out).
                embeddings = torch::zeros({n, o.embeddings.size(1)});
                embeddings.index_copy_(0, inIdx, o.embeddings);
                if (!out.empty())
                    embeddings.index_copy_(0, outIdx, o.predictEmbeddings);
            }
            sigmaSum.index_add_(0, inIdx, o.sigma);
            probSum.index_add_(0, inIdx, o.probGiven);
            marginSum.index_add_(0, inIdx, o.margin);
            predictedLast.index_copy_(0, inIdx, o.predicted);
            inSampleProbSum.index_add_(0, inIdx, o.predProbs);
            trainCount.index_add_(0, inIdx, torch::ones({int64_t(in.size())}));
            if (!out.empty())
                oosProbs.index_copy_(0, outIdx, o.predictProbs);
            if (o.testProbs.defined())
                testProbSum = testProbSum.defined() ? testProbSum + o.testProbs : o.testProbs.clone();
            o = TrainOutput(); // free as we go
        }
    } catch (const std::exception &e) {
        trained = false;
        trainError = QStringLiteral("training failed: %1").arg(QString::fromLocal8Bit(e.what()).section(QLatin1Char('\n'), 0, 0));
    }
    // A stopped run leaves a run row with its status and no results, so the project stays consistent.
    auto stopped = [&](const QString &reason) {
        RunRecord stoppedRun;
        stoppedRun.started = started;
        stoppedRun.finished = QDateTime::currentDateTimeUtc();
        stoppedRun.status = reason == QLatin1String("cancelled") ? QStringLiteral("cancelled") : QStringLiteral("failed");
        stoppedRun.summary = QJsonObject{{QStringLiteral("error"), reason}};
        store.saveRun(stoppedRun, nullptr);
        return fail(error, reason);
    };
    if (!trained)
        return stopped(trainError);

    // Dynamics (mean over the models that trained on each sample) → signals → verdict.
    markPhase(QStringLiteral("training"));
    report(QStringLiteral("scoring"), 0.95);
    const auto count = trainCount.clamp_min(1.0f);
    const auto perSample = count.unsqueeze(1);
    RunRecord run;
    run.started = started;
    Dynamics &dyn = run.dynamics;
    dyn.epochs = int(sigmaSum.size(1));
    dyn.sampleIds.resize(std::size_t(n));
    for (qint64 i = 0; i < n; ++i)
        dyn.sampleIds[std::size_t(i)] = rows[std::size_t(trainRow[std::size_t(i)])].id;
    auto copyOut = [](const torch::Tensor &t, auto &vec) {
        auto c = t.contiguous();
        using T = typename std::decay_t<decltype(vec)>::value_type;
        vec.assign(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
    };
    copyOut(sigmaSum / perSample, dyn.sigma);
    copyOut(probSum / perSample, dyn.probGiven);
    copyOut(marginSum / perSample, dyn.margin);
    copyOut(predictedLast, dyn.predicted);

    std::vector<DynamicsSummary> summaries = summarizeDynamics(dyn);
    const auto labelIndex = allLabelsIndex(trainLabels);
    const auto inSampleProbs = (inSampleProbSum / perSample).contiguous();
    {
        auto given = inSampleProbs.gather(1, labelIndex).squeeze(1).contiguous();
        const float *g = given.data_ptr<float>();
        for (qint64 i = 0; i < n; ++i)
            summaries[std::size_t(i)].finalProb = g[i];
    }
    const std::size_t nn = std::size_t(n);
    VerdictInputs verdict;
    verdict.givenLabels = givenLabels;
    std::vector<float> dpScore(nn), clScore;
    for (std::size_t i = 0; i < nn; ++i)
        dpScore[i] = dynamicsNoiseScore(summaries[i]);
    if (useDp)
        verdict.dpScore = dpScore;
    LabelIssuesResult issues;
    std::vector<bool> clIssue;
    if (useCl) {
        const auto oos = oosProbs.contiguous();
        const std::vector<double> probs = rowsAsDouble(oos);
        LabelIssuesOptions options;
        options.filterBy = params.filterBy;
        options.rankBy = QStringLiteral("self_confidence");
        issues = findLabelIssues(givenLabels, probs, numClasses, options);
        if (!issues.ok())
            return fail(error, QStringLiteral("find_label_issues: %1").arg(issues.error));
        clIssue.assign(nn, false);
        for (int64_t i : issues.indices)
            clIssue[std::size_t(i)] = true;
        clScore.resize(nn);
        for (std::size_t i = 0; i < nn; ++i)
            clScore[i] = float(1.0 - probs[i * std::size_t(numClasses) + std::size_t(givenLabels[i])]);
        verdict.clScore = clScore;
        verdict.clIssue = clIssue;
        run.predProbs.numClasses = numClasses;
        run.predProbs.sampleIds = dyn.sampleIds;
        run.predProbs.folds = fold;
        copyOut(oos, run.predProbs.probs);
        result->numLabelIssues = qint64(issues.indices.size());
        result->confidentJoint = issues.confidentJoint;
    }
    // Noise posterior from the models that trained on each sample (beat out-of-sample: RESULTS.md).
    const NoisePosterior noisePosterior = classConditionalNoisePosterior(
        givenLabels, rowsAsDouble(useDp ? inSampleProbs : oosProbs.contiguous()), numClasses);
    if (!noisePosterior.ok())
        return fail(error, QStringLiteral("noise posterior: %1").arg(noisePosterior.error));
    verdict.noisePosterior = noisePosterior.pWrong;
    result->noisePosteriorTemperature = noisePosterior.temperature;
    const Categorization cat = combineVerdict(verdict);
    // Suggested label: the most likely class of the out-of-sample model, else of the models that trained on it.
    const auto suggestFrom = useCl ? oosProbs.contiguous() : inSampleProbs;
    auto [predProb, predLabel] = inSampleProbs.max(1);
    auto [suggestProb, suggestLabel] = suggestFrom.max(1);
    auto predProbA = predProb.accessor<float, 1>();
    auto predLabelA = predLabel.accessor<int64_t, 1>();
    auto suggestProbA = suggestProb.accessor<float, 1>();
    auto suggestLabelA = suggestLabel.accessor<int64_t, 1>();

    std::vector<float> scoreVec(nn);
    std::vector<bool> wrong(nn), hardFlag(nn), flagged(nn);
    bool truthKnown = true;
    run.scores.resize(nn);
    for (qint64 i = 0; i < n; ++i) {
        const std::size_t u = std::size_t(i);
        const SampleRow &row = rows[std::size_t(trainRow[u])];
        SampleScore &s = run.scores[u];
        s.sampleId = row.id;
        s.noiseScore = cat.noiseScore[u];
        s.category = cat.category[u];
        s.sigma = summaries[u].finalSigma;
        s.meanProb = summaries[u].meanProb;
        s.stdProb = summaries[u].stdProb;
        s.meanMargin = summaries[u].meanMargin;
        s.predLabel = int(predLabelA[i]);
        s.predProb = predProbA[i];
        s.dpScore = dpScore[u];
        if (useCl) {
            s.clScore = clScore[u];
            s.clIssue = clIssue[u];
        }
        s.suggestedLabel = int(suggestLabelA[i]);
        s.suggestedProb = suggestProbA[i];
        switch (s.category) {
        case Category::Easy: ++result->easy; break;
        case Category::Hard: ++result->hard; break;
        default: ++result->needReview; break;
        }
        scoreVec[u] = s.noiseScore;
        truthKnown = truthKnown && row.sample.trueLabel >= 0;
        wrong[u] = row.sample.trueLabel >= 0 && row.sample.trueLabel != row.label;
        hardFlag[u] = s.category == Category::Hard;
        flagged[u] = s.category != Category::Easy;
    }
    result->samples = n;
    if (testProbSum.defined())
        result->testAccuracy = testProbSum.argmax(1).eq(torch::tensor(at::ArrayRef<int64_t>(testLabels), torch::kLong))
                                   .to(torch::kFloat64).mean().item<double>();

    if (truthKnown) {
        NoiseMetrics &m = result->noise;
        m.available = true;
        m.noisy = std::count(wrong.begin(), wrong.end(), true);
        m.auroc = auroc(scoreVec, wrong);
        const BinaryCounts c = binaryCounts(hardFlag, wrong);
        m.precision = c.precision();
        m.recall = c.recall();
        m.f1 = c.f1();
        m.hardRecall = c.recall();
        m.flaggedRecall = binaryCounts(flagged, wrong).recall();
        qint64 easyWrong = 0;
        for (qint64 i = 0; i < n; ++i)
            if (run.scores[std::size_t(i)].category == Category::Easy && wrong[std::size_t(i)])
                ++easyWrong;
        m.easyNoiseRate = result->easy ? double(easyWrong) / double(result->easy) : 0.0;
        // Each signal alone, to show what the combination adds.
        auto signalFigures = [&](const std::vector<float> &score, const std::vector<bool> &flags) {
            SignalMetrics sm;
            sm.auroc = auroc(score, wrong);
            const BinaryCounts bc = binaryCounts(flags, wrong);
            sm.precision = bc.precision();
            sm.recall = bc.recall();
            sm.f1 = bc.f1();
            return sm;
        };
        {
            const Categorization dpOnly = categorizeScores(dpScore, givenLabels);
            std::vector<bool> dpHard(nn);
            for (std::size_t i = 0; i < nn; ++i)
                dpHard[i] = dpOnly.category[i] == Category::Hard;
            result->signals[QStringLiteral("data_parameters")] = signalFigures(dpScore, dpHard);
        }
        if (useCl)
            result->signals[QStringLiteral("confident_learning")] = signalFigures(clScore, clIssue);
        std::vector<bool> noisePosteriorHard(nn);
        for (std::size_t i = 0; i < nn; ++i)
            noisePosteriorHard[i] = noisePosterior.pWrong[i] >= CategoryRule().noisePosteriorHard;
        result->signals[QStringLiteral("noise_posterior")] = signalFigures(noisePosterior.pWrong, noisePosteriorHard);
    }

    run.embeddingDim = int(embeddings.size(1));
    run.embeddingIds = dyn.sampleIds;
    copyOut(embeddings, run.embeddings);

    markPhase(QStringLiteral("scoring"));
    if (params.layouts) {
        // 2-D layouts for the scatter view: t-SNE of the embeddings and of the log σ trajectories.
        std::vector<float> logSigma(dyn.sigma.size());
        for (std::size_t i = 0; i < logSigma.size(); ++i)
            logSigma[i] = std::log(std::max(dyn.sigma[i], 1e-6f));
        const struct {
            QString kind, features;
            const std::vector<float> *data;
            int dim;
        } inputs[] = {{QStringLiteral("embedding"), QStringLiteral("embedding"), &run.embeddings, run.embeddingDim},
                      {QStringLiteral("trajectory"), QStringLiteral("log_sigma_per_epoch"), &logSigma, dyn.epochs}};
        int done = 0;
        for (const auto &in : inputs) {
            TsneParams tp;
            tp.seed = params.seed;
            tp.threads = torch::get_num_threads();
            tp.device = deviceName == QLatin1String("cuda") ? QStringLiteral("cuda") : QStringLiteral("cpu"); // the analysis' device
            const TsneResult t = computeTsne(in.data->data(), n, in.dim, tp, cancel, [&](const TsneProgress &p) {
                report(QStringLiteral("layout"), 0.95 + 0.04 * (done + (p.iterations ? double(p.iteration) / p.iterations : 0.0)) / 2.0);
            });
            if (cancel.load() || t.cancelled)
                return stopped(QStringLiteral("cancelled"));
            if (!t.ok())
                return fail(error, QStringLiteral("t-SNE of the %1: %2").arg(in.kind, t.error));
            Layout l;
            l.kind = in.kind;
            l.sampleIds = dyn.sampleIds;
            l.xy = t.layout;
            l.settings = QJsonObject{{QStringLiteral("method"), QStringLiteral("tsne")},
                                     {QStringLiteral("features"), in.features},
                                     {QStringLiteral("perplexity"), t.perplexity},
                                     {QStringLiteral("iterations"), t.iterations},
                                     {QStringLiteral("seed"), QString::number(params.seed)}};
            run.layouts.push_back(std::move(l));
            ++done;
        }
    }
    if (params.layouts)
        markPhase(QStringLiteral("layouts"));
    run.settings = QJsonObject{
        {QStringLiteral("data_spec"), spec},
        {QStringLiteral("epochs"), config.epochs},
        {QStringLiteral("batch_size"), config.batchSize},
        {QStringLiteral("lr"), config.lr},
        {QStringLiteral("seed"), QString::number(params.seed)},
        {QStringLiteral("device"), deviceName},
        {QStringLiteral("threads"), torch::get_num_threads()},
        {QStringLiteral("hflip"), config.hflip},
        {QStringLiteral("instance_lr"), config.dataParameters.instanceLr},
        {QStringLiteral("class_parameters"), config.dataParameters.learnClass},
        {QStringLiteral("model"), result->model},
        {QStringLiteral("precision"), result->precision},
        {QStringLiteral("noisy_fraction_estimate"), cat.noisyFraction},
        {QStringLiteral("method"), params.method},
        {QStringLiteral("folds"), useCl ? folds : 0},
        {QStringLiteral("filter_by"), useCl ? params.filterBy : QString()}};
    result->seconds = total.elapsed() / 1000.0;
    run.summary = result->toJson();
    run.finished = QDateTime::currentDateTimeUtc();
    report(QStringLiteral("saving"), 0.99);
    const qint64 runId = store.saveRun(run, &storeError);
    if (runId <= 0)
        return fail(error, storeError);
    result->runId = runId;
    markPhase(QStringLiteral("saving"));
    result->seconds = total.elapsed() / 1000.0;
    report(QStringLiteral("done"), 1.0);
    return true;
}

} // namespace labelscope
