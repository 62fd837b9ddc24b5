#include "trainer.h"
#include "networks.h"

#include <QElapsedTimer>

#include <cmath>
#include <mutex>

namespace labelscope {

Normaliser channelStats(const torch::Tensor &images)
{
    // Per-channel statistics on up to 10,000 images: enough for normalisation.
    auto sample = images.narrow(0, 0, std::min<int64_t>(images.size(0), 10000)).to(torch::kFloat32).div_(255.0f);
    auto mean = sample.mean({0, 2, 3});
    auto std = sample.std({0, 2, 3}).clamp_min(1e-3);
    return {mean, std};
}

torch::Tensor normaliseImages(const torch::Tensor &images, const torch::Tensor &mean,
                              const torch::Tensor &std)
{
    auto x = images.to(torch::kFloat32).div_(255.0f);
    return x.sub_(mean.view({1, -1, 1, 1})).div_(std.view({1, -1, 1, 1}));
}

torch::Tensor augmentBatch(const torch::Tensor &x, int padding, bool hflip, torch::Generator &gen)
{
    const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
    auto out = torch::empty_like(x);
    auto padded = padding > 0
        ? torch::constant_pad_nd(x, {padding, padding, padding, padding}, 0.0)
        : x;
    auto shifts = torch::randint(0, 2 * padding + 1, {b, 2}, gen, torch::kLong);
    auto flips = torch::randint(0, 2, {b}, gen, torch::kLong);
    auto s = shifts.accessor<int64_t, 2>();
    auto f = flips.accessor<int64_t, 1>();
    for (int64_t i = 0; i < b; ++i) {
        auto crop = padded[i].narrow(1, s[i][0], h).narrow(2, s[i][1], w);
        if (hflip && f[i])
            crop = crop.flip({2});
        out[i].copy_(crop);
    }
    return out;
}

namespace {


// Evaluation pass: embeddings and softmax probabilities of all images, eval mode. With
// flipAverage the probabilities are the mean over the image and its mirror image (test-time
// augmentation; the embeddings stay those of the image).
void evaluate(ClassifierImpl &net, const torch::Tensor &images, const Normaliser &norm,
              torch::Device device, const std::atomic_bool &cancel, torch::Tensor *embeddings,
              torch::Tensor *probs, bool flipAverage = false)
{
    torch::NoGradGuard noGrad;
    net.eval();
    const int64_t n = images.size(0), bs = 256;
    std::vector<torch::Tensor> embs, ps;
    for (int64_t start = 0; start < n && !cancel.load(); start += bs) {
        auto x = normaliseImages(images.narrow(0, start, std::min(bs, n - start)), norm.mean, norm.std).to(device);
        auto e = net.embed(x);
        embs.push_back(e.cpu());
        auto p = torch::softmax(net.head(e), 1);
        if (flipAverage)
            p = p.add_(torch::softmax(net.head(net.embed(x.flip({3}))), 1)).mul_(0.5);
        ps.push_back(p.cpu());
    }
    if (cancel.load())
        return;
    *embeddings = torch::cat(embs);
    *probs = torch::cat(ps);
}

} // namespace

bool trainWithDataParameters(const TrainData &train, const TrainData *test, int numClasses,
                             const TrainerConfig &config, const std::atomic_bool &cancel,
                             const std::function<void(const TrainProgress &)> &progress,
                             TrainOutput *out, QString *error)
{
    const int64_t n = train.images.size(0);
    const int channels = int(train.images.size(1));
    const int side = int(train.images.size(2));
    const int epochs = config.epochs;
    const torch::Device device = config.device;
    const Precision precision = resolvePrecision(config.precision, device);

    auto gen = torch::make_generator<torch::CPUGeneratorImpl>(config.seed);
    std::shared_ptr<ClassifierImpl> net;
    {
        // Weight initialisation draws from LibTorch's global generator: one network at a time,
        // so that fold models trained in parallel (analysis.cpp) stay deterministic for a seed.
        static std::mutex initMutex;
        const std::lock_guard<std::mutex> lock(initMutex);
        torch::manual_seed(config.seed);
        net = makeClassifier(channels, side, numClasses, config.architecture);
    }
    if (device.is_cpu())
        net->setDropoutGenerator(torch::make_generator<torch::CPUGeneratorImpl>(config.seed * 0x9E3779B97F4A7C15ULL + 1));
    net->to(device);
    const Normaliser norm = channelStats(train.images);

    torch::optim::SGD optimiser(net->parameters(),
                                torch::optim::SGDOptions(config.lr)
                                    .momentum(config.momentum)
                                    .nesterov(true)
                                    .weight_decay(config.weightDecay));
    DataParameters dataParameters(n, numClasses, config.dataParameters, device);

    out->epochs = epochs;
    out->sigma = torch::ones({n, epochs});
    out->probGiven = torch::zeros({n, epochs});
    out->margin = torch::zeros({n, epochs});
    out->predicted = torch::zeros({n, epochs}, torch::kInt16);

    const int64_t batches = (n + config.batchSize - 1) / config.batchSize;
    const int64_t totalSteps = batches * epochs;
    const auto labelsDev = train.labels.to(device);
    QElapsedTimer timer;
    timer.start();
    int64_t seen = 0;

    for (int epoch = 0; epoch < epochs; ++epoch) {
        net->train();
        auto perm = torch::randperm(n, gen, torch::kLong);
        double lossSum = 0.0;
        int64_t lossCount = 0;
        for (int64_t b = 0; b < batches; ++b) {
            if (cancel.load()) {
                *error = QStringLiteral("cancelled");
                return false;
            }
            const int64_t step = int64_t(epoch) * batches + b;
            const double lr = 0.5 * config.lr * (1.0 + std::cos(M_PI * double(step) / double(totalSteps)));
            for (auto &group : optimiser.param_groups())
                static_cast<torch::optim::SGDOptions &>(group.options()).lr(lr);

            auto idx = perm.narrow(0, b * config.batchSize, std::min<int64_t>(config.batchSize, n - b * config.batchSize));
            auto x = normaliseImages(train.images.index_select(0, idx), norm.mean, norm.std);
            if (config.augment)
                x = augmentBatch(x, config.cropPadding, config.hflip, gen);
            x = x.to(device);
            auto idxDev = idx.to(device);
            auto y = labelsDev.index_select(0, idxDev);

            auto dp = dataParameters.begin(idxDev, y);
            auto logits = trainingLogits(*net, x, precision);
            auto sigma = dataParameters.sigma(dp);
            auto loss = torch::nn::functional::cross_entropy(logits / sigma.unsqueeze(1), y)
                + dataParameters.weightDecay(dp);

            optimiser.zero_grad();
            loss.backward();
            optimiser.step();
            dataParameters.step(dp);

            {
                // Training dynamics of this batch, from the unscaled logits of this pass.
                torch::NoGradGuard noGrad;
                auto l = logits.detach();
                auto given = l.gather(1, y.unsqueeze(1)).squeeze(1);
                auto others = l.scatter(1, y.unsqueeze(1), -std::numeric_limits<float>::infinity());
                auto margin = given - std::get<0>(others.max(1));
                auto prob = torch::softmax(l, 1).gather(1, y.unsqueeze(1)).squeeze(1);
                auto pred = l.argmax(1);
                out->probGiven.select(1, epoch).index_copy_(0, idx, prob.cpu());
                out->margin.select(1, epoch).index_copy_(0, idx, margin.cpu());
                out->predicted.select(1, epoch).index_copy_(0, idx, pred.to(torch::kInt16).cpu());
            }
            lossSum += loss.item<double>() * idx.size(0);
            lossCount += idx.size(0);
            seen += idx.size(0);
            if (progress) {
                TrainProgress p;
                p.epoch = epoch + 1;
                p.epochs = epochs;
                p.batch = b + 1;
                p.batches = batches;
                p.loss = lossSum / double(lossCount);
                p.samplesPerSecond = double(seen) / std::max(1e-3, timer.elapsed() / 1000.0);
                progress(p);
            }
        }
        // σ_eff of every sample after this epoch.
        auto sigmaInst = dataParameters.instanceSigma();
        auto sigmaClass = dataParameters.classSigma();
        torch::Tensor s = sigmaInst.defined() ? sigmaInst.clone() : torch::zeros({n});
        if (sigmaClass.defined())
            s += sigmaClass.index_select(0, train.labels);
        if (!sigmaInst.defined() && !sigmaClass.defined())
            s.fill_(1.0f);
        out->sigma.select(1, epoch).copy_(s);
    }

    if (progress) {
        TrainProgress p;
        p.epoch = p.epochs = epochs;
        p.evaluating = true;
        progress(p);
    }
    evaluate(*net, train.images, norm, device, cancel, &out->embeddings, &out->predProbs);
    if (cancel.load()) {
        *error = QStringLiteral("cancelled");
        return false;
    }
    if (test && test->images.defined() && test->images.size(0) > 0) {
        torch::Tensor emb, probs;
        evaluate(*net, test->images, norm, device, cancel, &emb, &probs);
        if (cancel.load()) {
            *error = QStringLiteral("cancelled");
            return false;
        }
        out->testAccuracy = probs.argmax(1).eq(test->labels).to(torch::kFloat64).mean().item<double>();
        out->testProbs = probs;
    }
    if (config.predictImages.defined() && config.predictImages.size(0) > 0) {
        evaluate(*net, config.predictImages, norm, device, cancel, &out->predictEmbeddings, &out->predictProbs,
                 config.hflip && config.flipAveragePredictions);
        if (cancel.load()) {
            *error = QStringLiteral("cancelled");
            return false;
        }
    }
    net->eval();
    out->model = net;
    out->normMean = norm.mean;
    out->normStd = norm.std;
    return true;
}

} // namespace labelscope
