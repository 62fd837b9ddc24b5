// The pretrain job (pretrain.h): self-supervised SimCLR / BYOL / SimSiam on the images alone,
// resumable, exported as a TorchScript backbone (modelexport_p.h).
#include "pretrain.h"
#include "pretrain_p.h"

#include "analysis.h"
#include "backbonefile.h"
#include "modelexport_p.h"
#include "networks.h"
#include "runtime.h"
#include "trainer.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <optional>

namespace labelscope {

namespace nn = torch::nn;

namespace {

constexpr int kProjectionDim = 128;
constexpr int kHiddenDim = 512;
constexpr double kByolBaseMomentum = 0.99;

// The images pretrained on: uint8 [N, C, S, S] at the encoder's side, and what identifies them.
struct PretrainImages {
    torch::Tensor images;
    QString fingerprint; ///< SHA-1 of the spec, the split and every sample's key
    bool hflip = true;
    std::vector<SkippedItem> skipped;
};

Result<PretrainImages> loadPretrainImages(const PretrainParams &params, JobContext &context)
{
    using R = Result<PretrainImages>;
    context.stage(QStringLiteral("loading"), 0.0, 0.05);
    LoadOptions options;
    options.limit = params.limit;
    options.imageSize = params.imageSize > 0 ? params.imageSize : 32;
    options.progress = [&](qint64 done, qint64 total) {
        context.progress(total > 0 ? double(done) / double(total) : 0.0, QStringLiteral("%1 of %2 images").arg(done).arg(total));
        return !context.isCancelled();
    };
    LoadResult loaded = loadDataset(params.dataSpec, options);
    if (context.isCancelled())
        return R::cancelled();
    if (!loaded.ok())
        return R::failure(loaded.error);
    Dataset &d = loaded.dataset;
    std::vector<int64_t> chosen;
    QCryptographicHash hash(QCryptographicHash::Sha1);
    hash.addData(canonicalDataSpec(params.dataSpec).toUtf8());
    hash.addData(enumName(kPretrainSplitNames, params.split).toUtf8());
    for (std::size_t i = 0; i < d.samples.size(); ++i) {
        const bool test = d.samples[i].split == QLatin1String("test");
        if (params.split == PretrainSplit::All || (params.split == PretrainSplit::Test) == test) {
            chosen.push_back(int64_t(i));
            hash.addData(sampleKey(d.samples[i]).toUtf8());
        }
    }
    if (chosen.size() < 2)
        return R::failure(QStringLiteral("%1: %2 readable image(s) in the %3 split; pretraining needs at least 2")
                              .arg(params.dataSpec).arg(chosen.size()).arg(enumName(kPretrainSplitNames, params.split)));
    PretrainImages out;
    auto all = torch::from_blob(d.pixels.data(), {qint64(d.samples.size()), d.channels, d.height, d.width}, torch::kUInt8);
    out.images = all.index_select(0, torch::tensor(at::ArrayRef<int64_t>(chosen), torch::kLong)).clone();
    const int side = params.imageSize > 0 ? params.imageSize : int(d.height);
    if (d.height != side || d.width != side) {
        // IDX images keep their native size at loading: brought to the requested side here.
        auto resized = torch::empty({out.images.size(0), d.channels, side, side}, torch::kUInt8);
        const bool shrink = side < d.height;
        for (int64_t at = 0; at < out.images.size(0); at += 4096) {
            const int64_t n = std::min<int64_t>(4096, out.images.size(0) - at);
            auto f = out.images.narrow(0, at, n).to(torch::kFloat32);
            auto opts = torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{side, side});
            f = shrink ? torch::nn::functional::interpolate(f, opts.mode(torch::kArea))
                       : torch::nn::functional::interpolate(f, opts.mode(torch::kBilinear).align_corners(false));
            resized.narrow(0, at, n).copy_(f.round_().clamp_(0, 255).to(torch::kUInt8));
        }
        out.images = resized;
    }
    out.fingerprint = QString::fromLatin1(hash.result().toHex());
    out.hflip = !looksLikeDigits(d.classes);
    out.skipped = std::move(d.skipped);
    return out;
}

int automaticEpochs(int64_t n)
{
    // About 1.5 million augmented pairs (SimCLR's CIFAR runs see 50,000 × 500–1,000; a CPU cannot),
    // 5..200 epochs: 25 epochs of 60,000 images, 150 of 10,000.
    return int(std::clamp<int64_t>(1500000 / std::max<int64_t>(n, 1), 5, 200));
}

constexpr double kDefaultLr = 1e-3; // Adam's, for the three methods

nn::Sequential makeMlp(int in, int hidden, int out, bool lastBatchNorm)
{
    nn::Sequential mlp(nn::Linear(in, hidden), nn::BatchNorm1d(hidden), nn::ReLU(), nn::Linear(hidden, out));
    if (lastBatchNorm)
        mlp->push_back(nn::BatchNorm1d(nn::BatchNorm1dOptions(out).affine(false)));
    return mlp;
}

// Copies every parameter and buffer of `from` into `to` (same architecture), or moves `to`
// towards `from` by 1 − momentum (BYOL's target update) when momentum is given.
void copyInto(nn::Module &to, const nn::Module &from, std::optional<double> momentum = std::nullopt)
{
    torch::NoGradGuard noGrad;
    const auto src = from.named_parameters(true), dst = to.named_parameters(true);
    for (const auto &p : src) {
        auto &d = dst[p.key()];
        if (momentum)
            d.mul_(*momentum).add_(p.value(), 1.0 - *momentum);
        else
            d.copy_(p.value());
    }
    const auto srcB = from.named_buffers(true), dstB = to.named_buffers(true);
    for (const auto &b : srcB)
        dstB[b.key()].copy_(b.value());
}

// The settings a checkpoint must share with the run that resumes it.
QJsonObject checkpointSettings(const PretrainParams &params, const QString &model, int side, int channels, int epochs,
                               int batch, double lr, const QString &fingerprint)
{
    return QJsonObject{{QStringLiteral("method"), enumName(kPretrainMethodNames, params.method)},
                       {QStringLiteral("model"), model},
                       {QStringLiteral("image_size"), side},
                       {QStringLiteral("channels"), channels},
                       {QStringLiteral("epochs"), epochs},
                       {QStringLiteral("batch_size"), batch},
                       {QStringLiteral("lr"), lr},
                       {QStringLiteral("temperature"), params.temperature},
                       {QStringLiteral("seed"), QString::number(params.seed)},
                       {QStringLiteral("data"), fingerprint},
                       // What the projector reads: the embedding layer before its ReLU. Checkpoints of
                       // earlier builds (after it) lack the key and are refused, not mixed.
                       {QStringLiteral("embedding"), QStringLiteral("linear")}};
}

// Everything a run trains; saved in and restored from the checkpoint.
struct SslModels {
    std::shared_ptr<ClassifierImpl> encoder, targetEncoder;
    nn::Sequential projector{nullptr}, predictor{nullptr}, targetProjector{nullptr};

    std::vector<std::pair<std::string, nn::Module *>> modules()
    {
        std::vector<std::pair<std::string, nn::Module *>> m{{"encoder", encoder.get()}, {"projector", projector.get()}};
        if (predictor)
            m.emplace_back("predictor", predictor.get());
        if (targetEncoder) {
            m.emplace_back("target_encoder", targetEncoder.get());
            m.emplace_back("target_projector", targetProjector.get());
        }
        return m;
    }
    std::vector<torch::Tensor> trainable() const
    {
        std::vector<torch::Tensor> p;
        for (const auto &kv : encoder->named_parameters(true))
            if (kv.key().rfind("fc.", 0) != 0) // the classifier layer of the network is not used
                p.push_back(kv.value());
        for (const auto &t : projector->parameters())
            p.push_back(t);
        if (predictor)
            for (const auto &t : predictor->parameters())
                p.push_back(t);
        return p;
    }
    void train()
    {
        for (auto &m : modules())
            m.second->train();
        // Dropout of the encoder's embedding layer stays off: it is a classifier's regulariser,
        // and two views must differ by their augmentations only.
        for (auto &m : encoder->named_modules())
            if (m.key() == "dropout")
                m.value()->eval();
        if (targetEncoder) {
            targetEncoder->eval();
            targetProjector->eval();
        }
    }
};

struct CheckpointState {
    int epoch = 0;          ///< the epoch in progress
    int64_t step = 0;       ///< steps of it done
    double lossSum = 0.0;   ///< of the epoch so far
    int64_t lossSteps = 0;
};

Result<> saveCheckpoint(const QString &file, SslModels &models, torch::optim::Optimizer &optimiser,
                        const QJsonObject &settings, const CheckpointState &state, const torch::Tensor &mean,
                        const torch::Tensor &std)
{
    QJsonObject meta = settings;
    meta.insert(QStringLiteral("epoch"), state.epoch);
    meta.insert(QStringLiteral("step"), qint64(state.step));
    meta.insert(QStringLiteral("loss_sum"), state.lossSum);
    meta.insert(QStringLiteral("loss_steps"), qint64(state.lossSteps));
    const QString temporary = file + QStringLiteral(".part");
    try {
        torch::serialize::OutputArchive archive;
        archive.write("meta", c10::IValue(QJsonDocument(meta).toJson(QJsonDocument::Compact).toStdString()));
        for (auto &m : models.modules()) {
            torch::serialize::OutputArchive sub;
            m.second->save(sub);
            archive.write(m.first, sub);
        }
        torch::serialize::OutputArchive opt;
        optimiser.save(opt);
        archive.write("optimiser", opt);
        archive.write("norm_mean", mean.cpu());
        archive.write("norm_std", std.cpu());
        archive.save_to(QFile::encodeName(temporary).toStdString());
    } catch (...) {
        QFile::remove(temporary);
        return Result<>::failure(QStringLiteral("%1: cannot write the checkpoint: %2").arg(file, exceptionMessage(std::current_exception())));
    }
    QFile::remove(file);
    if (!QFile::rename(temporary, file)) {
        QFile::remove(temporary);
        return Result<>::failure(QStringLiteral("%1: cannot write the checkpoint (rename from %2 failed)").arg(file, temporary));
    }
    return {};
}

// Reads the checkpoint's settings only (to compare them before anything is built).
Result<QJsonObject> readCheckpointMeta(const QString &file)
{
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(QFile::encodeName(file).toStdString());
        c10::IValue meta;
        archive.read("meta", meta);
        const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(meta.toStringRef()));
        if (!doc.isObject())
            return Result<QJsonObject>::failure(QStringLiteral("%1: not a Labelscope pretraining checkpoint").arg(file));
        return doc.object();
    } catch (...) {
        return Result<QJsonObject>::failure(QStringLiteral("%1: not a readable pretraining checkpoint (%2); remove it or pass --restart")
                                                .arg(file, exceptionMessage(std::current_exception())));
    }
}

Result<> loadCheckpoint(const QString &file, SslModels &models, torch::optim::Optimizer &optimiser, torch::Device device,
                        torch::Tensor *mean, torch::Tensor *std)
{
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(QFile::encodeName(file).toStdString(), device);
        for (auto &m : models.modules()) {
            torch::serialize::InputArchive sub;
            archive.read(m.first, sub);
            m.second->load(sub);
        }
        torch::serialize::InputArchive opt;
        archive.read("optimiser", opt);
        optimiser.load(opt);
        archive.read("norm_mean", *mean);
        archive.read("norm_std", *std);
    } catch (...) {
        return Result<>::failure(QStringLiteral("%1: cannot read the checkpoint: %2").arg(file, exceptionMessage(std::current_exception())));
    }
    return {};
}

// What differs between a checkpoint's settings and a run's, but the number of epochs (a resumed
// run may be lengthened or shortened: pretrainLearningRate's anchor).
QString settingsDifference(const QJsonObject &stored, const QJsonObject &wanted)
{
    QStringList differences;
    for (auto it = wanted.begin(); it != wanted.end(); ++it) {
        if (it.key() == QLatin1String("epochs"))
            continue;
        const QJsonValue s = stored.value(it.key());
        if (s != it.value())
            differences << (it.key() == QLatin1String("data")
                                ? QStringLiteral("other images")
                                : QStringLiteral("%1 %2, now %3").arg(it.key(), s.toVariant().toString(), it.value().toVariant().toString()));
    }
    return differences.join(QStringLiteral("; "));
}

} // namespace

double pretrainLearningRate(double lr, long long step, long long total, long long anchorStep, double anchorLr)
{
    if (anchorStep >= 0 && step >= anchorStep)
        return anchorLr * 0.5 * (1.0 + std::cos(M_PI * double(step - anchorStep) / double(std::max(1LL, total - anchorStep))));
    const long long warmup = std::max(1LL, total / 50);
    if (step < warmup)
        return lr * double(step + 1) / double(warmup);
    return lr * 0.5 * (1.0 + std::cos(M_PI * double(step - warmup) / double(std::max(1LL, total - warmup))));
}

Result<PretrainResult> runPretrain(const PretrainParams &params, JobContext &context)
{
    using R = Result<PretrainResult>;
    QElapsedTimer clock;
    clock.start();
    if (Result<> writable = checkBackboneOutFile(params.outFile); !writable)
        return R::from(writable);
    const QFileInfo outInfo(params.outFile);
    if (params.batchSize < 16 || params.batchSize > 4096)
        return R::failure(QStringLiteral("batch size %1: must be 16..4096").arg(params.batchSize));
    const Result<QString> deviceName = resolveDevice(params.device);
    if (!deviceName)
        return R::from(deviceName);
    const torch::Device device = deviceName.value() == QLatin1String("cuda") ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    configureRuntime(params.threads);
    const QString checkpointFile = params.checkpointFile.isEmpty() ? outInfo.absoluteFilePath() + QStringLiteral(".ckpt")
                                                                   : params.checkpointFile;

    Result<PretrainImages> loaded = loadPretrainImages(params, context);
    if (!loaded)
        return R::from(loaded);
    PretrainImages &data = loaded.value();
    const int64_t n = data.images.size(0);
    const int channels = int(data.images.size(1)), side = int(data.images.size(2));
    const Architecture architecture = resolveArchitecture(params.model, channels, side, Precision::Float32, device);
    if ((architecture == Architecture::SmallCnn || architecture == Architecture::MediumCnn) && side % 4 != 0)
        return R::failure(QStringLiteral("--model %1 needs an image side divisible by 4 (the images are %2 px); give --image-size or another model")
                              .arg(enumName(kArchitectureNames, architecture)).arg(side));
    // A checkpoint to resume; its number of epochs when none is given (a resumed run may change it).
    std::optional<QJsonObject> storedMeta;
    if (!params.restart && QFileInfo::exists(checkpointFile)) {
        Result<QJsonObject> meta = readCheckpointMeta(checkpointFile);
        if (!meta)
            return R::from(meta);
        storedMeta = std::move(meta.value());
    }
    const int storedEpochs = storedMeta ? storedMeta->value(QStringLiteral("epochs")).toInt() : 0;
    const int epochs = params.epochs > 0 ? params.epochs : storedEpochs > 0 ? storedEpochs : automaticEpochs(n);
    const int batch = int(std::min<int64_t>(params.batchSize, n));
    const int64_t stepsPerEpoch = std::max<int64_t>(1, n / batch); // the last partial batch is dropped
    const int64_t totalSteps = stepsPerEpoch * epochs;
    const double lr = params.lr > 0 ? params.lr : kDefaultLr;
    const QString modelName = enumName(kArchitectureNames, architecture);
    QJsonObject settings = checkpointSettings(params, modelName, side, channels, epochs, batch, lr, data.fingerprint);

    // The networks (weights drawn from the seed), the optimiser, the normalisation.
    SslModels models;
    torch::manual_seed(params.seed);
    models.encoder = makeClassifier(channels, side, 1, architecture);
    const bool byol = params.method == PretrainMethod::Byol, simsiam = params.method == PretrainMethod::SimSiam;
    models.projector = makeMlp(models.encoder->embeddingDim(), kHiddenDim, kProjectionDim, simsiam);
    if (byol || simsiam)
        models.predictor = makeMlp(kProjectionDim, simsiam ? kHiddenDim / 4 : kHiddenDim, kProjectionDim, false);
    if (byol) {
        models.targetEncoder = makeClassifier(channels, side, 1, architecture);
        models.targetProjector = makeMlp(models.encoder->embeddingDim(), kHiddenDim, kProjectionDim, false);
        copyInto(*models.targetEncoder, *models.encoder);
        copyInto(*models.targetProjector, *models.projector);
        for (auto &p : models.targetEncoder->parameters())
            p.set_requires_grad(false);
        for (auto &p : models.targetProjector->parameters())
            p.set_requires_grad(false);
    }
    for (auto &m : models.modules())
        m.second->to(device);
    torch::optim::Adam optimiser(models.trainable(), torch::optim::AdamOptions(lr).weight_decay(1e-6));
    const Normaliser norm = channelStats(data.images);
    torch::Tensor mean = norm.mean, std = norm.std;

    PretrainResult result;
    CheckpointState state;
    long long anchorStep = -1; // pretrainLearningRate's anchor, once a resumed run changed its length
    double anchorLr = 0.0;
    if (storedMeta) {
        const QJsonObject &stored = *storedMeta;
        if (storedEpochs <= 0)
            return R::failure(QStringLiteral("%1: not a Labelscope pretraining checkpoint (no number of epochs); remove it or pass --restart")
                                  .arg(checkpointFile));
        if (const QString diff = settingsDifference(stored, settings); !diff.isEmpty())
            return R::failure(QStringLiteral("%1: a checkpoint of other settings (%2); give the same settings to resume it, "
                                             "or --restart to replace it").arg(checkpointFile, diff));
        if (Result<> read = loadCheckpoint(checkpointFile, models, optimiser, device, &mean, &std); !read)
            return R::from(read);
        state.epoch = stored.value(QStringLiteral("epoch")).toInt();
        state.step = stored.value(QStringLiteral("step")).toInteger();
        state.lossSum = stored.value(QStringLiteral("loss_sum")).toDouble();
        state.lossSteps = stored.value(QStringLiteral("loss_steps")).toInteger();
        result.resumedFromEpoch = state.epoch;
        anchorStep = stored.value(QStringLiteral("schedule_anchor_step")).toInteger(-1);
        anchorLr = stored.value(QStringLiteral("schedule_anchor_lr")).toDouble();
        if (storedEpochs != epochs) {
            // Lengthened or shortened: the cosine goes on from the rate the run has now to 0 at
            // the new end (a run still warming up takes the new length's schedule whole).
            if (state.epoch >= epochs)
                return R::failure(QStringLiteral("%1: the checkpoint is in epoch %2 of %3; --epochs %4 would end before it "
                                                 "(give more than %5 epochs, or --restart)")
                                      .arg(checkpointFile).arg(state.epoch + 1).arg(storedEpochs).arg(epochs).arg(state.epoch));
            const long long now = (long long)state.epoch * stepsPerEpoch + state.step;
            const long long storedTotal = (long long)storedEpochs * stepsPerEpoch;
            if (anchorStep >= 0 || now >= std::max(1LL, storedTotal / 50)) {
                anchorLr = pretrainLearningRate(lr, now, storedTotal, anchorStep, anchorLr);
                anchorStep = now;
            }
        }
        if (anchorStep >= 0) {
            settings.insert(QStringLiteral("schedule_anchor_step"), qint64(anchorStep));
            settings.insert(QStringLiteral("schedule_anchor_lr"), anchorLr);
        }
    }
    const auto meanDev = mean.to(device).view({1, -1, 1, 1}), stdDev = std.to(device).view({1, -1, 1, 1});

    SslAugmentOptions augment;
    augment.hflip = data.hflip;
    augment.minScale = side <= 32 ? 0.3 : 0.2;
    augment.colour = channels == 3;
    augment.blur = side >= 64;
    // The projector reads the embedding layer before its ReLU (networks.h linearEmbed), and that
    // is what the encoder exports.
    const auto forwardProjection = [&](const torch::Tensor &v) { return models.projector->forward(models.encoder->linearEmbed(v)); };

    context.stage(QStringLiteral("pretraining"), 0.05, 0.97);
    QElapsedTimer rate, sinceCheckpoint;
    rate.start();
    sinceCheckpoint.start();
    int64_t stepsThisRun = 0;
    double lastEpochLoss = state.lossSteps > 0 ? state.lossSum / double(state.lossSteps) : 0.0;
    const auto checkpoint = [&]() { return saveCheckpoint(checkpointFile, models, optimiser, settings, state, mean, std); };
    for (; state.epoch < epochs; ++state.epoch, state.step = 0, state.lossSum = 0.0, state.lossSteps = 0) {
        // The batches of an epoch and the views of a step depend only on (seed, epoch, step).
        auto epochGen = torch::make_generator<torch::CPUGeneratorImpl>(params.seed * 1000003ULL + quint64(state.epoch));
        const auto order = torch::randperm(n, epochGen, torch::kLong);
        models.train();
        const int64_t epochFirstStep = state.step; // 0, or where a resumed run picks the epoch up
        for (; state.step < stepsPerEpoch; ++state.step) {
            if (context.isCancelled()) {
                if (Result<> saved = checkpoint(); !saved)
                    return R::from(saved);
                return R::cancelled();
            }
            const int64_t globalStep = int64_t(state.epoch) * stepsPerEpoch + state.step;
            const double stepLr = pretrainLearningRate(lr, globalStep, totalSteps, anchorStep, anchorLr);
            for (auto &group : optimiser.param_groups())
                static_cast<torch::optim::AdamOptions &>(group.options()).lr(stepLr);

            auto gen = torch::make_generator<torch::CPUGeneratorImpl>((params.seed * 1000003ULL + quint64(state.epoch)) * 1000003ULL + quint64(state.step));
            const auto index = order.narrow(0, state.step * batch, batch);
            const auto x = data.images.index_select(0, index).to(device).to(torch::kFloat32).div_(255.0f);
            const auto v1 = (sslAugment(x, augment, gen) - meanDev) / stdDev;
            const auto v2 = (sslAugment(x, augment, gen) - meanDev) / stdDev;
            torch::Tensor loss;
            if (params.method == PretrainMethod::SimClr) {
                loss = ntXentLoss(forwardProjection(v1), forwardProjection(v2), params.temperature);
            } else {
                const auto z1 = forwardProjection(v1), z2 = forwardProjection(v2);
                const auto p1 = models.predictor->forward(z1), p2 = models.predictor->forward(z2);
                if (simsiam) {
                    loss = 0.5 * (negativeCosine(p1, z2) + negativeCosine(p2, z1));
                } else {
                    torch::Tensor t1, t2;
                    {
                        torch::NoGradGuard noGrad;
                        t1 = models.targetProjector->forward(models.targetEncoder->linearEmbed(v1));
                        t2 = models.targetProjector->forward(models.targetEncoder->linearEmbed(v2));
                    }
                    // BYOL: 2 − 2·cos(p, z'), symmetrised.
                    loss = 4.0 + 2.0 * (negativeCosine(p1, t2) + negativeCosine(p2, t1));
                }
            }
            optimiser.zero_grad();
            loss.backward();
            optimiser.step();
            if (byol) {
                const double momentum = byolMomentum(kByolBaseMomentum, globalStep, totalSteps);
                copyInto(*models.targetEncoder, *models.encoder, momentum);
                copyInto(*models.targetProjector, *models.projector, momentum);
            }
            const double lossValue = loss.item<double>();
            if (!std::isfinite(lossValue))
                return R::failure(QStringLiteral("pretraining diverged at epoch %1 step %2 (loss %3); try a smaller --lr")
                                      .arg(state.epoch + 1).arg(state.step + 1).arg(lossValue));
            state.lossSum += lossValue;
            ++state.lossSteps;
            ++stepsThisRun;
            const double seconds = rate.elapsed() / 1000.0;
            const double imagesPerSecond = seconds > 0 ? double(stepsThisRun * batch) / seconds : 0.0;
            const int64_t remaining = totalSteps - globalStep - 1;
            context.progress(double(globalStep + 1) / double(totalSteps),
                             QStringLiteral("epoch %1/%2, loss %3, %4 images/s").arg(state.epoch + 1).arg(epochs)
                                 .arg(state.lossSum / double(state.lossSteps), 0, 'f', 4).arg(imagesPerSecond, 0, 'f', 0),
                             imagesPerSecond > 0 ? double(remaining * batch) / imagesPerSecond : -1.0,
                             state.step == epochFirstStep); // each epoch is reported, however fast its steps
            result.imagesPerSecond = imagesPerSecond;
            if (sinceCheckpoint.elapsed() > params.checkpointSeconds * 1000.0 && state.step + 1 < stepsPerEpoch) {
                CheckpointState next = state;
                ++next.step;
                if (Result<> saved = saveCheckpoint(checkpointFile, models, optimiser, settings, next, mean, std); !saved)
                    return R::from(saved);
                sinceCheckpoint.restart();
            }
        }
        lastEpochLoss = state.lossSteps > 0 ? state.lossSum / double(state.lossSteps) : lastEpochLoss;
        if (state.epoch + 1 < epochs) {
            CheckpointState next;
            next.epoch = state.epoch + 1;
            if (Result<> saved = saveCheckpoint(checkpointFile, models, optimiser, settings, next, mean, std); !saved)
                return R::from(saved);
            sinceCheckpoint.restart();
        }
    }

    context.stage(QStringLiteral("exporting"), 0.97, 1.0);
    models.encoder->eval();
    const QString name = QStringLiteral("%1 %2 encoder, %3 px, %4 epochs on %5 images")
                             .arg(enumName(kPretrainMethodNames, params.method), modelName).arg(side).arg(epochs).arg(n);
    QJsonObject provenance = settings;
    provenance.insert(QStringLiteral("trained_by"), QStringLiteral("labelscope pretrain"));
    provenance.insert(QStringLiteral("data_spec"), canonicalDataSpec(params.dataSpec));
    provenance.insert(QStringLiteral("images"), qint64(n));
    provenance.insert(QStringLiteral("final_loss"), lastEpochLoss);
    if (Result<> written = exportClassifier(*models.encoder, channels, side, mean, std, {}, name, params.outFile, provenance, true); !written)
        return R::from(written);
    QFile::remove(checkpointFile);
    result.outFile = outInfo.absoluteFilePath();
    result.sidecarFile = backboneSidecarPath(result.outFile);
    result.model = modelName;
    result.images = n;
    result.skipped = std::move(data.skipped);
    result.epochs = epochs;
    result.finalLoss = lastEpochLoss;
    result.seconds = clock.elapsed() / 1000.0;
    context.progress(1.0);
    return result;
}

} // namespace labelscope
