// The analysis job (analysis.h): checks the options, opens the project, then runs the stages of
// analysis_p.h — loading, training, scoring, layouts — and saves the run in one write.
#include "analysis_p.h"
#include "health/healthproject.h"

#include "base/confidentlearning.h"
#include "extraction.h"
#include "runtime.h"
#include "tsne.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>

#include <algorithm>
#include <cmath>

namespace labelscope {

Result<QString> resolveDevice(DeviceChoice choice)
{
    const bool cuda = torch::cuda::is_available();
    switch (choice) {
    case DeviceChoice::Cuda:
        if (!cuda)
            return Result<QString>::failure(QStringLiteral(
                "--device cuda: this LibTorch build has no usable CUDA device (Debian's LibTorch is CPU-only; "
                "build Labelscope against a CUDA LibTorch with -DCMAKE_PREFIX_PATH, or use --device cpu)"));
        return QStringLiteral("cuda");
    case DeviceChoice::Cpu:
        return QStringLiteral("cpu");
    case DeviceChoice::Auto:
        break;
    }
    return cuda ? QStringLiteral("cuda") : QStringLiteral("cpu");
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

int automaticHeadEpochs(qint64 n)
{
    // Heads on embeddings: about 300k sample-passes, 8 to 30 epochs (10,000 samples: 30; 60,000:
    // 8, which gave the same F1 of hard as 30, .924, in half the time: RESULTS.md, session 12).
    if (n <= 0)
        return 1;
    return int(std::clamp<qint64>(300000 / n, 8, 30));
}

// Everything that can be refused before the project is touched.
Result<> checkParams(const AnalysisParams &params)
{
    if (!(params.injectNoise >= 0.0 && params.injectNoise <= 1.0))
        return Result<>::failure(QStringLiteral("the injected noise rate must be between 0 and 1 (got %1)").arg(params.injectNoise));
    if (params.method != AnalysisMethod::DataParameters && (params.folds < 2 || params.folds > 20))
        return Result<>::failure(QStringLiteral("folds must be between 2 and 20 (got %1)").arg(params.folds));
    if (params.epochs < 0 || params.epochs > 1000)
        return Result<>::failure(QStringLiteral("epochs must be between 1 and 1000, or 0 for automatic (got %1)").arg(params.epochs));
    if (params.batchSize < 1 || params.batchSize > 65536)
        return Result<>::failure(QStringLiteral("batch size must be between 1 and 65536 (got %1)").arg(params.batchSize));
    if (params.imageSize < 8 || params.imageSize > 1024)
        return Result<>::failure(QStringLiteral("image size must be between 8 and 1024 (got %1)").arg(params.imageSize));
    if (params.threads < 0 || params.foldWorkers < 0)
        return Result<>::failure(QStringLiteral("threads and fold workers must not be negative"));
    if (params.method == AnalysisMethod::Embedding && params.backbone.isEmpty())
        return Result<>::failure(QStringLiteral("method embedding needs a backbone (--backbone FILE.pt)"));
    if (params.method != AnalysisMethod::Embedding && !params.backbone.isEmpty())
        return Result<>::failure(QStringLiteral("a backbone is used by method embedding only (give --method embedding)"));
    if (params.knnNeighbours < 1 || params.knnNeighbours > 100)
        return Result<>::failure(QStringLiteral("k of the neighbours must be between 1 and 100 (got %1)").arg(params.knnNeighbours));
    return {};
}

// The layout stage: t-SNE of the embeddings and of the log σ trajectories, for the scatter view.
Result<> computeAnalysisLayouts(RunRecord &run, const AnalysisParams &params, const QString &deviceName,
                                JobContext &context)
{
    const Dynamics &dyn = run.dynamics;
    const int64_t n = int64_t(dyn.sampleIds.size());
    std::vector<float> logSigma(dyn.sigma.size());
    for (std::size_t i = 0; i < logSigma.size(); ++i)
        logSigma[i] = std::log(std::max(dyn.sigma[i], 1e-6f));
    const struct {
        QString kind, features;
        const std::vector<float> *data;
        int dim;
    } inputs[] = {{QStringLiteral("embedding"), QStringLiteral("embedding"), &run.embeddings, run.embeddingDim},
                  {QStringLiteral("trajectory"), QStringLiteral("log_sigma_per_epoch"), &logSigma, dyn.epochs}};
    context.stage(QStringLiteral("layout"), 0.95, 0.99);
    int done = 0;
    for (const auto &in : inputs) {
        TsneParams tp;
        tp.seed = params.seed;
        tp.threads = torch::get_num_threads();
        tp.device = deviceName == QLatin1String("cuda") ? TsneDevice::Cuda : TsneDevice::Cpu; // the analysis' device
        const TsneResult t = computeTsne(in.data->data(), n, in.dim, tp, context.cancelFlag(), [&](const TsneProgress &p) {
            context.progress((done + (p.iterations ? double(p.iteration) / p.iterations : 0.0)) / 2.0,
                             QStringLiteral("t-SNE of the %1").arg(in.kind));
        });
        if (context.isCancelled() || t.cancelled)
            return Result<>::cancelled();
        if (!t.ok())
            return Result<>::failure(QStringLiteral("t-SNE of the %1: %2").arg(in.kind, t.error));
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
    return {};
}

} // namespace

// The loading stage: the project's own spec when it has samples (its stored limit and image
// size), else params.dataSpec, imported into the new project with any injected noise.
Result<AnalysisData> loadAnalysisData(ProjectStore &store, const AnalysisParams &params, JobContext &context,
                                      bool pixels)
{
    using R = Result<AnalysisData>;
    AnalysisData data;
    const bool fresh = store.sampleCount() == 0;
    data.spec = store.meta(QStringLiteral("data_spec"));
    LoadOptions loadOptions;
    loadOptions.limit = params.limit;
    loadOptions.imageSize = params.imageSize;
    if (fresh) {
        if (params.dataSpec.isEmpty())
            return R::failure(QStringLiteral("%1: the project is empty; give a dataset (--data SPEC)").arg(params.projectFile));
        data.spec = params.dataSpec;
    } else {
        // The stored spec is canonical (absolute paths, keywords kept): compare like with like.
        if (!params.dataSpec.isEmpty() && canonicalDataSpec(params.dataSpec) != data.spec)
            return R::failure(QStringLiteral("%1 was made from '%2', not '%3'; use a new --project file")
                                  .arg(params.projectFile, data.spec, params.dataSpec));
        loadOptions = store.importLoadOptions(); // read as the import did
    }
    context.stage(QStringLiteral("loading"), 0.0, 0.05);
    if (!pixels && !fresh) {
        // The images are read by the extraction (or come from the cache): match every sample.
        data.rows = store.samples();
        data.classes = store.classes();
        data.dataset.classes = data.classes;
        for (std::size_t r = 0; r < data.rows.size(); ++r) {
            const SampleRow &row = data.rows[r];
            if (row.sample.split == QLatin1String("test")) {
                const int truth = row.sample.trueLabel >= 0 ? row.sample.trueLabel : row.label;
                if (truth >= 0) {
                    data.testRow.push_back(qint64(r));
                    data.testImage.push_back(-1);
                    data.testLabels.push_back(truth);
                }
            } else if (!row.excluded && row.label >= 0) {
                data.trainRow.push_back(qint64(r));
                data.trainImage.push_back(-1);
                data.trainLabels.push_back(row.label);
            }
        }
        if (data.classes.size() < 2)
            return R::failure(QStringLiteral("%1: %2 class(es); label-noise analysis needs at least 2").arg(params.projectFile).arg(data.classes.size()));
        if (data.n() < 10)
            return R::failure(QStringLiteral("%1: only %2 labelled training samples; need at least 10").arg(params.projectFile).arg(data.n()));
        return std::move(data);
    }
    loadOptions.progress = [&](qint64 done, qint64 total) {
        context.progress(total > 0 ? double(done) / double(total) : 0.0,
                         QStringLiteral("%1 of %2 images").arg(done).arg(total));
        return !context.isCancelled();
    };
    LoadResult loaded = loadDataset(data.spec, loadOptions);
    if (!loaded.ok())
        return loaded.error == QLatin1String("cancelled") ? R::cancelled() : R::failure(loaded.error);
    data.dataset = std::move(loaded.dataset);
    Dataset &dataset = data.dataset;
    if (dataset.classes.size() < 2)
        return R::failure(QStringLiteral("%1: found %2 class(es); label-noise analysis needs at least 2")
                              .arg(data.spec).arg(dataset.classes.size()));

    if (fresh) {
        if (params.injectNoise > 0)
            injectNoise(dataset, params.noiseKind, params.injectNoise, params.seed);
        // One transaction: a kill leaves no import, or the import with all its metadata.
        const QMap<QString, QString> meta{
            {QStringLiteral("data_spec"), data.spec},
            {QStringLiteral("limit"), QString::number(loadOptions.limit)},
            {QStringLiteral("limit_order"), limitOrderName(loadOptions.limitOrder)},
            {QStringLiteral("image_size"), QString::number(loadOptions.imageSize)},
            {QStringLiteral("noise"), QStringLiteral("%1 %2 seed %3").arg(noiseKindName(params.noiseKind)).arg(params.injectNoise).arg(params.seed)}};
        QString storeError;
        if (!store.importDataset(dataset, meta, &storeError))
            return R::failure(storeError);
    }
    if (!pixels)
        std::vector<std::uint8_t>().swap(dataset.pixels); // only the embeddings stay in memory

    // Match the project's samples to the loaded images; train on labelled, kept, non-test ones.
    QHash<QString, qint64> imageOf;
    imageOf.reserve(qsizetype(dataset.samples.size()));
    for (std::size_t i = 0; i < dataset.samples.size(); ++i)
        imageOf.insert(sampleKey(dataset.samples[i]), qint64(i));
    data.rows = store.samples();
    data.classes = store.classes();
    for (std::size_t r = 0; r < data.rows.size(); ++r) {
        const SampleRow &row = data.rows[r];
        const auto it = imageOf.constFind(sampleKey(row.sample));
        if (it == imageOf.constEnd())
            continue; // skipped while loading (listed in the result's skipped) or removed from disk
        if (row.sample.split == QLatin1String("test")) {
            const int truth = row.sample.trueLabel >= 0 ? row.sample.trueLabel : row.label;
            if (truth >= 0) {
                data.testRow.push_back(qint64(r));
                data.testImage.push_back(*it);
                data.testLabels.push_back(truth);
            }
        } else if (!row.excluded && row.label >= 0) {
            data.trainRow.push_back(qint64(r));
            data.trainImage.push_back(*it);
            data.trainLabels.push_back(row.label);
        }
    }
    if (data.n() < 10)
        return R::failure(QStringLiteral("%1: only %2 labelled training samples; need at least 10").arg(data.spec).arg(data.n()));
    return std::move(data);
}

Result<AnalysisResult> runAnalysis(const AnalysisParams &params, JobContext &context)
{
    using R = Result<AnalysisResult>;
    QElapsedTimer total;
    total.start();
    if (Result<> checked = checkParams(params); !checked)
        return R::from(checked);
    const Result<QString> deviceName = resolveDevice(params.device);
    if (!deviceName)
        return R::from(deviceName);
    if (params.precision == Precision::BFloat16 && deviceName.value() != QLatin1String("cpu"))
        return R::failure(QStringLiteral("precision bf16 is implemented for the CPU only (device %1)").arg(deviceName.value()));
    configureRuntime(params.threads);
    AnalysisOutput out;
    AnalysisResult &result = out.result;
    result.device = deviceName.value();
    result.method = enumName(kAnalysisMethodNames, params.method);
    const QDateTime started = QDateTime::currentDateTimeUtc();

    // Wall seconds of each phase since the previous mark, for the summary.
    qint64 lastMark = 0;
    auto markPhase = [&](const QString &phase) {
        const qint64 now = total.elapsed();
        result.phaseSeconds[phase] = double(now - lastMark) / 1000.0;
        lastMark = now;
    };

    // The backbone is loaded and checked before the project is touched: a bad one writes nothing.
    const bool embedding = params.method == AnalysisMethod::Embedding;
    std::shared_ptr<Backbone> backbone;
    if (embedding) {
        context.stage(QStringLiteral("loading"), 0.0, 0.01);
        Result<std::shared_ptr<Backbone>> loadedBackbone = [&] {
            try {
                return Backbone::load(params.backbone, params.device);
            } catch (...) {
                return Result<std::shared_ptr<Backbone>>::failure(
                    QStringLiteral("%1: %2").arg(params.backbone, exceptionMessage(std::current_exception())));
            }
        }();
        if (!loadedBackbone)
            return R::from(loadedBackbone);
        backbone = loadedBackbone.value();
        result.backboneName = backbone->sidecar().name;
        result.backboneFile = backbone->file();
    }

    ProjectStore store;
    QString storeError;
    // A new project file that never received its samples (the dataset failed to load) is removed
    // again, so that a failed first analysis leaves nothing behind.
    const NewProjectCleanup cleanup(store, params.projectFile);
    if (!store.open(params.projectFile, &storeError))
        return R::failure(storeError);

    Result<AnalysisData> loaded = loadAnalysisData(store, params, context, !embedding);
    if (!loaded)
        return R::from(loaded);
    markPhase(QStringLiteral("loading"));
    AnalysisData &data = loaded.value();

    // A stopped run leaves a run row with its status and no results, so the project stays consistent.
    auto stopped = [&](const R &reason) {
        RunRecord stoppedRun;
        stoppedRun.started = started;
        stoppedRun.finished = QDateTime::currentDateTimeUtc();
        stoppedRun.status = reason.isCancelled() ? QStringLiteral("cancelled") : QStringLiteral("failed");
        stoppedRun.summary = QJsonObject{{QStringLiteral("error"), reason.error()}};
        store.saveRun(stoppedRun, nullptr);
        return reason;
    };

    // Method Embedding: every project sample's embedding, from the project's cache or extracted.
    BackboneEmbeddings cached;
    torch::Tensor trainX, testX;
    if (embedding) {
        context.stage(QStringLiteral("extracting"), 0.05, 0.6);
        Result<BackboneEmbeddings> got = [&] {
            try {
                return backboneEmbeddings(store, *backbone, data.rows, ExtractionOptions(), context);
            } catch (...) {
                return Result<BackboneEmbeddings>::failure(QStringLiteral("extracting embeddings with %1: %2")
                                                               .arg(params.backbone, exceptionMessage(std::current_exception())));
            }
        }();
        if (!got)
            return stopped(R::from(got));
        cached = std::move(got.value());
        // Samples whose image could not be read leave the analysis (listed as skipped).
        auto keep = [&](std::vector<int64_t> &rowIdx, std::vector<int64_t> &image, std::vector<int64_t> &labels) {
            std::size_t w = 0;
            for (std::size_t i = 0; i < rowIdx.size(); ++i)
                if (cached.ok[std::size_t(rowIdx[i])]) {
                    rowIdx[w] = rowIdx[i];
                    image[w] = image[i];
                    labels[w] = labels[i];
                    ++w;
                }
            rowIdx.resize(w);
            image.resize(w);
            labels.resize(w);
        };
        keep(data.trainRow, data.trainImage, data.trainLabels);
        keep(data.testRow, data.testImage, data.testLabels);
        data.dataset.skipped.insert(data.dataset.skipped.end(), cached.skipped.begin(), cached.skipped.end());
        if (data.n() < 10)
            return stopped(R::failure(QStringLiteral("%1: only %2 training samples could be embedded; need at least 10")
                                          .arg(params.projectFile).arg(data.n())));
        trainX = cached.embeddings.index_select(0, torch::tensor(at::ArrayRef<int64_t>(data.trainRow), torch::kLong));
        if (!data.testRow.empty())
            testX = cached.embeddings.index_select(0, torch::tensor(at::ArrayRef<int64_t>(data.testRow), torch::kLong));
        result.backboneSha256 = cached.sha256;
        result.embeddingDim = int(cached.embeddings.size(1));
        result.embeddingsCachedFromRun = cached.reused > 0 ? cached.cacheRun : 0;
        result.embeddingsReused = cached.reused;
        result.embeddingsExtracted = cached.extracted;
        result.extractionSeconds = cached.extractionSeconds;
        result.extractionImagesPerSecond = cached.imagesPerSecond;
        markPhase(QStringLiteral("extracting"));
    }

    TrainerConfig config;
    if (embedding)
        config.epochs = params.epochs > 0 ? params.epochs : automaticHeadEpochs(data.n());
    else
        config.epochs = params.epochs > 0 ? params.epochs : automaticEpochs(data.n(), params.method == AnalysisMethod::DataParameters);
    config.batchSize = params.batchSize;
    config.seed = params.seed;
    config.hflip = !looksLikeDigits(data.classes);
    config.dataParameters.learnClass = params.classParameters;
    // The paper's instance lr (0.2, with the batch-mean loss) suits ~100 epochs; over the few epochs
    // here σ hardly moved (clean .98, wrong 1.11 after 8 epochs on 20,000 Fashion-MNIST images).
    // With 4.0 σ separates (clean .75, wrong 4.8) and the final model ranks the wrong labels as
    // well or slightly better (AUROC .9941 vs .9935): RESULTS.md.
    config.dataParameters.instanceLr = 4.0;
    config.device = deviceName.value() == QLatin1String("cuda") ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    config.precision = embedding ? Precision::Float32 : resolvePrecision(params.precision, config.device);
    result.precision = enumName(kPrecisionNames, config.precision);
    if (embedding) {
        result.model = enumName(kEmbeddingHeadNames, params.head);
    } else {
        config.architecture = resolveArchitecture(params.model, int(data.dataset.channels), int(data.dataset.height),
                                                  config.precision, config.device);
        result.model = enumName(kArchitectureNames, config.architecture);
    }
    result.epochs = config.epochs;
    result.skipped = data.dataset.skipped;
    result.folds = params.method != AnalysisMethod::DataParameters ? params.folds : 0;

    RunRecord &run = out.run;
    run.started = started;
    {
        const Result<TrainedModels> trained = [&] {
            try {
                if (embedding)
                    return trainEmbeddingHeads(data, trainX, testX, params, config.epochs, config.device, backbone.get(), context);
                return trainAnalysisModels(data, config, params, context);
            } catch (...) {
                return Result<TrainedModels>::failure(QStringLiteral("training failed: %1").arg(exceptionMessage(std::current_exception())));
            }
        }();
        if (!trained)
            return stopped(R::from(trained));
        markPhase(QStringLiteral("training"));
        context.stage(QStringLiteral("scoring"), 0.95, 0.95);
        if (Result<> scored = scoreAnalysis(data, trained.value(), params, &out); !scored)
            return R::from(scored);
    } // the models' tensors are freed here
    markPhase(QStringLiteral("scoring"));
    if (params.layouts) {
        if (Result<> laid = computeAnalysisLayouts(run, params, deviceName.value(), context); !laid)
            return laid.isCancelled() ? stopped(R::cancelled()) : R::from(laid);
        markPhase(QStringLiteral("layouts"));
    }
    const bool useCl = params.method != AnalysisMethod::DataParameters;
    const QJsonObject settings{
        {QStringLiteral("data_spec"), data.spec},
        {QStringLiteral("epochs"), config.epochs},
        {QStringLiteral("batch_size"), config.batchSize},
        {QStringLiteral("lr"), config.lr},
        {QStringLiteral("seed"), QString::number(params.seed)},
        {QStringLiteral("device"), deviceName.value()},
        {QStringLiteral("threads"), torch::get_num_threads()},
        {QStringLiteral("hflip"), config.hflip},
        {QStringLiteral("instance_lr"), config.dataParameters.instanceLr},
        {QStringLiteral("class_parameters"), config.dataParameters.learnClass},
        {QStringLiteral("model"), result.model},
        {QStringLiteral("precision"), result.precision},
        {QStringLiteral("method"), result.method},
        {QStringLiteral("folds"), result.folds},
        {QStringLiteral("filter_by"), useCl ? enumName(kFilterByNames, params.filterBy) : QString()}};
    for (auto it = settings.begin(); it != settings.end(); ++it)
        run.settings.insert(it.key(), it.value());
    if (embedding) {
        // The run stores the backbone embedding of every sample that has one (the test split's,
        // excluded and unlabelled samples' too): the project's cache under "backbone_key".
        run.settings.insert(QStringLiteral("backbone_key"), cached.key);
        run.settings.insert(QStringLiteral("backbone_sha256"), cached.sha256);
        run.settings.insert(QStringLiteral("backbone_file"), backbone->file());
        run.settings.insert(QStringLiteral("backbone_name"), backbone->sidecar().name);
        run.settings.insert(QStringLiteral("backbone_sidecar"), backbone->sidecar().toJson());
        run.settings.insert(QStringLiteral("head"), enumName(kEmbeddingHeadNames, params.head));
        run.settings.insert(QStringLiteral("knn_neighbours"), params.knnNeighbours);
        run.settings.insert(QStringLiteral("embeddings_cached_from_run"), cached.cacheRun);
        std::vector<int64_t> kept;
        run.embeddingIds.clear();
        for (std::size_t r = 0; r < data.rows.size(); ++r)
            if (cached.ok[r]) {
                kept.push_back(int64_t(r));
                run.embeddingIds.push_back(data.rows[r].id);
            }
        const auto all = cached.embeddings.index_select(0, torch::tensor(at::ArrayRef<int64_t>(kept), torch::kLong)).contiguous();
        run.embeddings.assign(all.data_ptr<float>(), all.data_ptr<float>() + all.numel());
        run.embeddingDim = int(all.size(1));
    }
    result.seconds = total.elapsed() / 1000.0;
    run.summary = result.toJson();
    run.finished = QDateTime::currentDateTimeUtc();
    context.stage(QStringLiteral("saving"), 0.99, 1.0);
    const qint64 runId = store.saveRun(run, &storeError);
    if (runId <= 0)
        return R::failure(storeError);
    result.runId = runId;
    markPhase(QStringLiteral("saving"));
    if (params.healthChecks) {
        // Dataset health (issue 16) with the outlier score from this run's embeddings, stored as
        // the run's check. A failure is reported, not fatal: the run is saved.
        context.stage(QStringLiteral("health checks"), 0.995, 1.0);
        const Result<ProjectHealthResult> health =
            checkProjectSamples(store, RunEmbedding{runId, &run.embeddingIds, &run.embeddings, run.embeddingDim}, runId,
                                params.threads, context);
        if (health.isCancelled())
            return R::cancelled();
        result.health = health ? health->report.toJson(5, &health->samples)
                               : QJsonObject{{QStringLiteral("error"), health.error()}};
        markPhase(QStringLiteral("health checks"));
    }
    result.seconds = total.elapsed() / 1000.0;
    context.progress(1.0);
    return std::move(out.result);
}

} // namespace labelscope
