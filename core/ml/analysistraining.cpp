// The training stage of the analysis job (analysis_p.h): one model on every sample, or K fold
// models, each learning Data Parameters on the other folds (recording their dynamics) and
// predicting its own fold out of sample; the results are summed per sample in fold order.
#include "analysis_p.h"

#include "base/kfold.h"

#include <QElapsedTimer>

#include <algorithm>
#include <mutex>
#include <thread>

namespace labelscope {

namespace {

torch::Tensor gatherImages(const Dataset &dataset, const std::vector<int64_t> &idx)
{
    auto all = torch::from_blob(const_cast<std::uint8_t *>(dataset.pixels.data()),
                                {qint64(dataset.samples.size()), dataset.channels, dataset.height, dataset.width},
                                torch::kUInt8);
    return all.index_select(0, torch::from_blob(const_cast<int64_t *>(idx.data()), {int64_t(idx.size())}, torch::kLong)).clone();
}

torch::Tensor indexTensor(const std::vector<int64_t> &idx)
{
    return torch::tensor(at::ArrayRef<int64_t>(idx), torch::kLong);
}

} // namespace

Result<TrainedModels> trainAnalysisModels(const AnalysisData &data, const TrainerConfig &config,
                                          const AnalysisParams &params, JobContext &context)
{
    const qint64 n = data.n();
    const bool useCl = params.method != AnalysisMethod::DataParameters;
    const int numClasses = int(data.classes.size());
    TrainedModels trained;
    // K-fold when Confident Learning is wanted: fold f's model trains (with Data Parameters,
    // recording dynamics) on the other folds and predicts fold f out of sample.
    if (useCl) {
        QString foldError;
        const std::vector<int> givenLabels(data.trainLabels.begin(), data.trainLabels.end());
        trained.fold = stratifiedKFold(givenLabels, params.folds, params.seed, &foldError);
        if (trained.fold.empty())
            return Result<TrainedModels>::failure(QStringLiteral("%1: %2").arg(data.spec, foldError));
        trained.folds = params.folds;
    }
    const int folds = trained.folds;
    trained.trainCount = torch::zeros({n});

    const torch::Tensor allImages = gatherImages(data.dataset, data.trainImage);
    const torch::Tensor allLabels = indexTensor(data.trainLabels);
    TrainData test;
    if (!data.testImage.empty())
        test = TrainData{gatherImages(data.dataset, data.testImage), indexTensor(data.testLabels)};
    const qint64 trainPerModel = useCl ? n - n / folds : n;
    // Whole job = training passes plus evaluation passes (about a third of a training pass each).
    const double perFoldEval = (double(n) + double(data.testImage.size())) / 3.0;
    const double work = double(folds) * (double(trainPerModel) * config.epochs + perFoldEval);
    QElapsedTimer clock;
    clock.start();
    // Fold f's split: the samples it trains on and the held-out fold it predicts.
    std::vector<std::vector<int64_t>> inOf(static_cast<std::size_t>(folds)), outOf(static_cast<std::size_t>(folds));
    for (int f = 0; f < folds; ++f)
        for (qint64 i = 0; i < n; ++i)
            (useCl && trained.fold[std::size_t(i)] == f ? outOf : inOf)[std::size_t(f)].push_back(i);
    // On CPU the K fold models can train side by side, the threads split among them. On the
    // quiet 2-core machine two workers of one thread and one model with two threads are
    // equally fast (20,000 images: 66 s vs 69 s), and at 60,000 the uneven end made workers
    // slower (731 s vs 687 s); under load workers won 1.8x (RESULTS.md, "fold workers").
    // Default: one worker per two threads from four threads up, else one.
    const int threads = torch::get_num_threads();
    const int automatic = threads >= 4 ? threads / 2 : 1;
    const int workers = config.device.is_cpu() ? std::clamp(params.foldWorkers > 0 ? params.foldWorkers : automatic, 1, folds) : 1;
    std::vector<TrainOutput> outputs(static_cast<std::size_t>(folds));
    std::vector<QString> foldErrors(static_cast<std::size_t>(folds));
    std::vector<double> doneOf(static_cast<std::size_t>(folds), 0.0);
    std::mutex progressMutex;
    context.stage(QStringLiteral("training"), 0.05, 0.95);
    auto trainFold = [&](int f) {
        const auto &in = inOf[std::size_t(f)], &out = outOf[std::size_t(f)];
        // The job's exception boundary is on the calling thread; a fold worker catches its own.
        try {
            const auto inIdx = indexTensor(in);
            TrainData train{allImages.index_select(0, inIdx), allLabels.index_select(0, inIdx)};
            TrainerConfig foldConfig = config;
            foldConfig.seed = params.seed + quint64(f);
            foldConfig.flipAveragePredictions = true;
            if (!out.empty())
                foldConfig.predictImages = allImages.index_select(0, indexTensor(out));
            return trainWithDataParameters(
                train, &test, numClasses, foldConfig, context.cancelFlag(),
                [&](const TrainProgress &tp) {
                    double done = 0.0;
                    {
                        const std::lock_guard<std::mutex> lock(progressMutex);
                        doneOf[std::size_t(f)] = tp.evaluating ? double(in.size()) * config.epochs
                                                               : double(in.size()) * (tp.epoch - 1) + double(tp.batch) * config.batchSize;
                        for (int g = 0; g < folds; ++g)
                            done += doneOf[std::size_t(g)]
                                + (doneOf[std::size_t(g)] >= double(inOf[std::size_t(g)].size()) * config.epochs ? perFoldEval : 0.0);
                    }
                    QString detail = useCl ? QStringLiteral("fold %1/%2 ").arg(f + 1).arg(folds) : QString();
                    detail += tp.evaluating ? QStringLiteral("evaluating")
                                            : QStringLiteral("epoch %1/%2 batch %3/%4 loss %5 %6 samples/s")
                                                  .arg(tp.epoch).arg(tp.epochs).arg(tp.batch).arg(tp.batches)
                                                  .arg(tp.loss, 0, 'f', 4).arg(int(tp.samplesPerSecond * workers));
                    const double rate = done / std::max(1e-3, double(clock.elapsed()) / 1000.0);
                    context.progress(std::min(1.0, done / work), detail, rate > 0 && done > 0 ? (work - done) / rate : -1.0);
                },
                &outputs[std::size_t(f)], &foldErrors[std::size_t(f)]);
        } catch (...) {
            foldErrors[std::size_t(f)] = QStringLiteral("training failed: %1").arg(exceptionMessage(std::current_exception()));
            return false;
        }
    };
    bool ok = true;
    if (workers <= 1) {
        for (int f = 0; f < folds && ok; ++f)
            ok = trainFold(f);
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
        ok = !failed.load();
    }
    if (!ok) {
        if (context.isCancelled())
            return Result<TrainedModels>::cancelled();
        for (const QString &e : foldErrors)
            if (!e.isEmpty() && e != QLatin1String("cancelled"))
                return Result<TrainedModels>::failure(e);
        return Result<TrainedModels>::cancelled();
    }

    // Accumulate in fold order (deterministic whatever order the workers finished in).
    for (int f = 0; f < folds; ++f) {
        const auto &in = inOf[std::size_t(f)], &out = outOf[std::size_t(f)];
        const auto inIdx = indexTensor(in);
        const auto outIdx = indexTensor(out);
        TrainOutput &o = outputs[std::size_t(f)];
        if (params.foldObserver) {
            std::vector<qint64> trainedIds, predictedIds;
            for (int64_t i : in)
                trainedIds.push_back(data.rows[std::size_t(data.trainRow[std::size_t(i)])].id);
            for (int64_t i : out)
                predictedIds.push_back(data.rows[std::size_t(data.trainRow[std::size_t(i)])].id);
            params.foldObserver(f, trainedIds, predictedIds);
        }
        if (f == 0) {
            const int64_t e = o.epochs;
            trained.sigmaSum = torch::zeros({n, e});
            trained.probSum = torch::zeros({n, e});
            trained.marginSum = torch::zeros({n, e});
            trained.predictedLast = torch::zeros({n, e}, torch::kInt16);
            trained.inSampleProbSum = torch::zeros({n, numClasses});
            trained.oosProbs = torch::zeros({n, numClasses});
            // One model's feature space for every sample (fold 0: in-sample and held-out).
            trained.embeddings = torch::zeros({n, o.embeddings.size(1)});
            trained.embeddings.index_copy_(0, inIdx, o.embeddings);
            if (!out.empty())
                trained.embeddings.index_copy_(0, outIdx, o.predictEmbeddings);
        }
        trained.sigmaSum.index_add_(0, inIdx, o.sigma);
        trained.probSum.index_add_(0, inIdx, o.probGiven);
        trained.marginSum.index_add_(0, inIdx, o.margin);
        trained.predictedLast.index_copy_(0, inIdx, o.predicted);
        trained.inSampleProbSum.index_add_(0, inIdx, o.predProbs);
        trained.trainCount.index_add_(0, inIdx, torch::ones({int64_t(in.size())}));
        if (!out.empty())
            trained.oosProbs.index_copy_(0, outIdx, o.predictProbs);
        if (o.testProbs.defined())
            trained.testProbSum = trained.testProbSum.defined() ? trained.testProbSum + o.testProbs : o.testProbs.clone();
        o = TrainOutput(); // free as we go
    }
    return std::move(trained);
}

} // namespace labelscope
