// The head on embeddings (embeddinghead.h). The training loop was analysisheads.cpp's; it is
// shared so that the analysis and active learning train the same head the same way.
#include "embeddinghead.h"

#include <QScopeGuard>

#include <algorithm>
#include <cmath>

namespace labelscope {

namespace {

constexpr int kHidden = 256;
constexpr int64_t kBatch = 512;
constexpr double kLr = 3e-3, kWeightDecay = 1e-4;

// softmax(head(x)) [M, K] on the CPU, in chunks of 4096 rows moved to DEVICE (no-grad and the
// head's mode are the caller's).
torch::Tensor softmaxInChunks(torch::nn::Sequential &head, const torch::Tensor &x, const torch::Device &device)
{
    std::vector<torch::Tensor> parts;
    for (int64_t s = 0; s < x.size(0); s += 4096)
        parts.push_back(torch::softmax(head->forward(x.narrow(0, s, std::min<int64_t>(4096, x.size(0) - s)).to(device)), 1).cpu());
    return parts.empty() ? torch::zeros({0, 0}) : torch::cat(parts);
}

} // namespace

EmbeddingStandardiser EmbeddingStandardiser::fit(const torch::Tensor &x)
{
    EmbeddingStandardiser s;
    const auto f = x.to(torch::kFloat32);
    s.mean = f.mean(0, true);
    s.sd = f.size(0) > 1 ? f.std(0, true, true).clamp_min(1e-6) : torch::full_like(s.mean, 1e-6);
    return s;
}

torch::Tensor EmbeddingStandardiser::apply(const torch::Tensor &x) const
{
    return ((x.to(torch::kFloat32) - mean) / sd).contiguous();
}

torch::nn::Sequential makeEmbeddingHead(EmbeddingHead kind, int64_t dim, int64_t classes, double dropout)
{
    torch::nn::Sequential head;
    if (kind == EmbeddingHead::Logistic) {
        if (dropout > 0.0)
            head->push_back(torch::nn::Dropout(dropout));
        head->push_back(torch::nn::Linear(dim, classes));
        return head;
    }
    head->push_back(torch::nn::Linear(dim, kHidden));
    head->push_back(torch::nn::ReLU());
    if (dropout > 0.0)
        head->push_back(torch::nn::Dropout(dropout));
    head->push_back(torch::nn::Linear(kHidden, classes));
    return head;
}

int embeddingHeadEpochs(const EmbeddingHeadConfig &config, int64_t m)
{
    const int64_t batches = std::max<int64_t>(1, (m + kBatch - 1) / kBatch);
    return int(std::max<int64_t>(config.epochs, (config.minSteps + batches - 1) / batches));
}

Result<torch::nn::Sequential> trainEmbeddingHead(const torch::Tensor &x, const torch::Tensor &y, int64_t classes,
                                                 const EmbeddingHeadConfig &config, DataParameters *dataParameters,
                                                 const std::atomic_bool &cancel,
                                                 const std::function<void(int, torch::nn::Sequential &)> &afterEpoch)
{
    using R = Result<torch::nn::Sequential>;
    const torch::Device device = config.device;
    const int64_t m = x.size(0);
    torch::manual_seed(config.seed); // initial weights: deterministic per seed
    torch::nn::Sequential head = makeEmbeddingHead(config.kind, x.size(1), classes, config.dropout);
    head->to(device);
    torch::optim::Adam optimiser(head->parameters(), torch::optim::AdamOptions(kLr).weight_decay(kWeightDecay));
    auto gen = torch::make_generator<torch::CPUGeneratorImpl>(config.shuffleSeed);
    const int64_t batches = (m + kBatch - 1) / kBatch;
    const int epochs = embeddingHeadEpochs(config, m);
    const int64_t totalSteps = batches * epochs;
    const auto xDev = x.to(device), yDev = y.to(device);
    for (int e = 0; e < epochs; ++e) {
        head->train();
        const auto perm = torch::randperm(m, gen, torch::kLong);
        for (int64_t b = 0; b < batches; ++b) {
            if (cancel.load())
                return R::cancelled();
            const int64_t step = int64_t(e) * batches + b;
            const double lr = 0.5 * kLr * (1.0 + std::cos(M_PI * double(step) / double(totalSteps)));
            for (auto &group : optimiser.param_groups())
                static_cast<torch::optim::AdamOptions &>(group.options()).lr(lr);
            const auto idxDev = perm.narrow(0, b * kBatch, std::min<int64_t>(kBatch, m - b * kBatch)).to(device);
            const auto target = yDev.index_select(0, idxDev);
            const auto logits = head->forward(xDev.index_select(0, idxDev));
            if (dataParameters) {
                auto dp = dataParameters->begin(idxDev, target);
                const auto s = dataParameters->sigma(dp);
                auto loss = torch::nn::functional::cross_entropy(logits / s.unsqueeze(1), target) + dataParameters->weightDecay(dp);
                optimiser.zero_grad();
                loss.backward();
                optimiser.step();
                dataParameters->step(dp);
            } else {
                auto loss = torch::nn::functional::cross_entropy(logits, target);
                optimiser.zero_grad();
                loss.backward();
                optimiser.step();
            }
        }
        if (afterEpoch)
            afterEpoch(e, head);
    }
    return R(std::move(head));
}

torch::Tensor predictEmbeddingHead(torch::nn::Sequential &head, const torch::Tensor &x, const torch::Device &device)
{
    torch::NoGradGuard noGrad;
    head->eval();
    return softmaxInChunks(head, x, device);
}

torch::Tensor mcPredictEmbeddingHead(torch::nn::Sequential &head, const torch::Tensor &x, int samples,
                                     const torch::Device &device)
{
    torch::NoGradGuard noGrad;
    head->train(); // dropout on; the head has no batch norm whose statistics this would move
    const auto restore = qScopeGuard([&] { head->eval(); });
    std::vector<torch::Tensor> draws;
    const auto xDev = x.to(device);
    for (int t = 0; t < samples; ++t)
        draws.push_back(softmaxInChunks(head, xDev, device));
    return draws.empty() ? torch::zeros({0, 0, 0}) : torch::stack(draws).contiguous();
}

} // namespace labelscope
