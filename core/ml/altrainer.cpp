#include "altrainer.h"

#include "trainer.h"

#include <algorithm>
#include <cmath>

namespace labelscope {

namespace {

void channelStats(const torch::Tensor &images, torch::Tensor *mean, torch::Tensor *std)
{
    auto sample = images.narrow(0, 0, std::min<int64_t>(images.size(0), 10000)).to(torch::kFloat32).div_(255.0f);
    *mean = sample.mean({0, 2, 3});
    *std = sample.std({0, 2, 3}).clamp_min(1e-3);
}

// Dropout modules in train mode, everything else (batch norm) in eval mode: MC dropout.
void setDropoutActive(torch::nn::Module &net, bool active)
{
    for (const auto &m : net.modules(/*include_self=*/false))
        if (m->as<torch::nn::DropoutImpl>())
            m->train(active);
}

} // namespace

bool alTrain(AlModel *model, bool warm, const torch::Tensor &images, const torch::Tensor &labels,
             const torch::Tensor &pseudoImages, const torch::Tensor &pseudoLabels, int numClasses,
             const AlTrainConfig &config, const std::atomic_bool &cancel,
             const std::function<void(double)> &progress, QString *error)
{
    try {
        const int64_t n = images.size(0);
        if (n == 0) {
            *error = QStringLiteral("no labelled samples to train on");
            return false;
        }
        const int64_t np = pseudoImages.defined() ? pseudoImages.size(0) : 0;
        torch::manual_seed(config.seed);
        auto gen = torch::make_generator<torch::CPUGeneratorImpl>(config.seed);
        if (!model->net || !warm) {
            model->net = makeClassifier(int(images.size(1)), int(images.size(2)), numClasses);
            channelStats(images, &model->mean, &model->std);
        }
        auto &net = *model->net;
        net.to(config.device);
        net.train();

        std::unique_ptr<torch::optim::Optimizer> optimiser;
        if (config.adam)
            optimiser = std::make_unique<torch::optim::Adam>(
                net.parameters(), torch::optim::AdamOptions(config.lr).weight_decay(config.weightDecay));
        else
            optimiser = std::make_unique<torch::optim::SGD>(
                net.parameters(), torch::optim::SGDOptions(config.lr)
                                      .momentum(config.momentum)
                                      .nesterov(config.nesterov && config.momentum > 0)
                                      .weight_decay(config.weightDecay));
        auto setLr = [&](double lr) {
            for (auto &group : optimiser->param_groups()) {
                if (config.adam)
                    static_cast<torch::optim::AdamOptions &>(group.options()).lr(lr);
                else
                    static_cast<torch::optim::SGDOptions &>(group.options()).lr(lr);
            }
        };

        const int64_t bs = std::min<int64_t>(config.batchSize, n);
        const int64_t batchesPerEpoch = (n + bs - 1) / bs;
        const int64_t steps = std::max<int64_t>(int64_t(config.minSteps), int64_t(config.epochs) * batchesPerEpoch);
        torch::Tensor perm = torch::randperm(n, gen, torch::kLong), ppPerm;
        int64_t cursor = 0, pcursor = 0;
        if (np > 0)
            ppPerm = torch::randperm(np, gen, torch::kLong);
        for (int64_t step = 0; step < steps; ++step) {
            if (cancel.load()) {
                *error = QStringLiteral("cancelled");
                return false;
            }
            setLr(0.5 * config.lr * (1.0 + std::cos(M_PI * double(step) / double(steps))));
            if (cursor + bs > n) {
                perm = torch::randperm(n, gen, torch::kLong);
                cursor = 0;
            }
            auto idx = perm.narrow(0, cursor, bs);
            cursor += bs;
            auto xb = images.index_select(0, idx);
            auto yb = labels.index_select(0, idx);
            if (np > 0) {
                const int64_t pb = std::min(bs, np);
                if (pcursor + pb > np) {
                    ppPerm = torch::randperm(np, gen, torch::kLong);
                    pcursor = 0;
                }
                auto pidx = ppPerm.narrow(0, pcursor, pb);
                pcursor += pb;
                xb = torch::cat({xb, pseudoImages.index_select(0, pidx)});
                yb = torch::cat({yb, pseudoLabels.index_select(0, pidx)});
            }
            auto x = normaliseImages(xb, model->mean, model->std);
            if (config.augment)
                x = augmentBatch(x, config.cropPadding, config.hflip, gen);
            auto logits = net.forward(x.to(config.device));
            auto loss = torch::nn::functional::cross_entropy(logits, yb.to(config.device));
            optimiser->zero_grad();
            loss.backward();
            optimiser->step();
            if (progress && (step % 10 == 0 || step + 1 == steps))
                progress(double(step + 1) / double(steps));
        }
        return true;
    } catch (const std::exception &e) {
        *error = QStringLiteral("training failed: %1").arg(QString::fromUtf8(e.what()));
        return false;
    }
}

bool alPredict(AlModel &model, const torch::Tensor &images, int mcSamples, torch::Device device,
               const std::atomic_bool &cancel, torch::Tensor *probs, torch::Tensor *embeddings,
               torch::Tensor *mcProbs, QString *error)
{
    try {
        torch::NoGradGuard noGrad;
        auto &net = *model.net;
        net.eval();
        const int64_t m = images.size(0), bs = 512;
        std::vector<torch::Tensor> ps, es, mcs;
        const bool mc = mcProbs && mcSamples > 1;
        for (int64_t start = 0; start < m; start += bs) {
            if (cancel.load()) {
                *error = QStringLiteral("cancelled");
                return false;
            }
            auto x = normaliseImages(images.narrow(0, start, std::min(bs, m - start)), model.mean, model.std).to(device);
            auto e = net.embed(x);
            if (embeddings)
                es.push_back(e.cpu());
            if (probs)
                ps.push_back(torch::softmax(net.head(e), 1).cpu());
            if (mc) {
                setDropoutActive(net, true);
                std::vector<torch::Tensor> samples;
                for (int t = 0; t < mcSamples; ++t)
                    samples.push_back(torch::softmax(net.forward(x), 1).cpu());
                setDropoutActive(net, false);
                mcs.push_back(torch::stack(samples)); // [T, b, K]
            }
        }
        if (probs)
            *probs = ps.empty() ? torch::empty({0, 0}) : torch::cat(ps);
        if (embeddings)
            *embeddings = es.empty() ? torch::empty({0, 0}) : torch::cat(es);
        if (mc)
            *mcProbs = mcs.empty() ? torch::empty({0, 0, 0}) : torch::cat(mcs, 1).contiguous();
        return true;
    } catch (const std::exception &e) {
        *error = QStringLiteral("prediction failed: %1").arg(QString::fromUtf8(e.what()));
        return false;
    }
}

bool alUntrainedEmbeddings(const torch::Tensor &images, int numClasses, uint64_t seed, torch::Device device,
                           const std::atomic_bool &cancel, torch::Tensor *embeddings, QString *error)
{
    torch::manual_seed(seed);
    AlModel model;
    model.net = makeClassifier(int(images.size(1)), int(images.size(2)), numClasses);
    model.net->to(device);
    channelStats(images, &model.mean, &model.std);
    return alPredict(model, images, 0, device, cancel, nullptr, embeddings, nullptr, error);
}

} // namespace labelscope
