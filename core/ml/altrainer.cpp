#include "jobs/job.h"
#include "altrainer.h"

#include "trainer.h"

#include <algorithm>
#include <cmath>

namespace labelscope {

namespace {

// Dropout modules in train mode, everything else (batch norm) in eval mode: MC dropout.
void setDropoutActive(torch::nn::Module &net, bool active)
{
    for (const auto &m : net.modules(/*include_self=*/false))
        if (m->as<torch::nn::DropoutImpl>())
            m->train(active);
}

// Exponential moving average of a network's floating-point parameters and buffers (mean teacher,
// Tarvainen & Valpola 2017), with the usual warm-up decay min(d, (1 + t) / (10 + t)).
class WeightAverage {
public:
    WeightAverage(torch::nn::Module &net, double decay) : m_decay(decay)
    {
        torch::NoGradGuard noGrad;
        for (auto &t : tensors(net))
            m_average.push_back(t.detach().clone());
    }
    void update(torch::nn::Module &net, int64_t step)
    {
        torch::NoGradGuard noGrad;
        const double d = std::min(m_decay, double(1 + step) / double(10 + step));
        auto live = tensors(net);
        for (std::size_t i = 0; i < live.size(); ++i) {
            if (live[i].is_floating_point())
                m_average[i].mul_(d).add_(live[i].detach(), 1.0 - d);
            else
                m_average[i].copy_(live[i]);
        }
    }
    void copyTo(torch::nn::Module &net) const
    {
        torch::NoGradGuard noGrad;
        auto live = tensors(net);
        for (std::size_t i = 0; i < live.size(); ++i)
            live[i].copy_(m_average[i]);
    }

private:
    static std::vector<torch::Tensor> tensors(torch::nn::Module &net)
    {
        auto all = net.parameters();
        for (auto &b : net.buffers())
            all.push_back(b);
        return all;
    }
    double m_decay;
    std::vector<torch::Tensor> m_average;
};

} // namespace

torch::Tensor strongAugmentBatch(const torch::Tensor &x, bool hflip, torch::Generator &gen)
{
    namespace F = torch::nn::functional;
    const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    const auto opts = x.options().dtype(torch::kFloat32);
    auto uniform = [&](double lo, double hi) { return torch::rand({b}, gen, opts).mul_(hi - lo).add_(lo); };
    const double deg = M_PI / 180.0;
    const auto angle = uniform(-15 * deg, 15 * deg), shear = uniform(-10 * deg, 10 * deg).tan_();
    const auto scale = uniform(0.85, 1.15);
    const auto flip = hflip ? torch::randint(0, 2, {b}, gen, opts).mul_(2).sub_(1) : torch::ones({b}, opts);
    const auto cs = angle.cos(), sn = angle.sin();
    // affine_grid's theta maps output to input coordinates: R(angle) · Shear · Flip / scale, plus a shift
    // of up to 12% of the side (0.24 in [-1, 1] units).
    const auto theta = torch::stack({torch::stack({cs * flip, cs * shear - sn, uniform(-0.24, 0.24) * scale}, 1),
                                     torch::stack({sn * flip, sn * shear + cs, uniform(-0.24, 0.24) * scale}, 1)},
                                    1)
                           .div_(scale.view({b, 1, 1}));
    const auto grid = F::affine_grid(theta, {b, c, h, w}, /*align_corners=*/false);
    auto out = F::grid_sample(x.to(torch::kFloat32), grid,
                              F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
    // Random erasing: one rectangle of 2-25% of the area, aspect 0.3-3.3, set to 0 (the channel mean).
    const auto area = uniform(0.02, 0.25) * double(h * w);
    const auto aspect = uniform(std::log(0.3), std::log(3.3)).exp_();
    const auto eh = (area * aspect).sqrt_().round_().clamp_(1, double(h));
    const auto ew = (area / aspect).sqrt_().round_().clamp_(1, double(w));
    const auto top = (torch::rand({b}, gen, opts) * (double(h) - eh + 1)).floor_();
    const auto left = (torch::rand({b}, gen, opts) * (double(w) - ew + 1)).floor_();
    const auto erase = torch::rand({b}, gen, opts).lt(0.5);
    const auto rows = torch::arange(h, opts).view({1, h, 1}), cols = torch::arange(w, opts).view({1, 1, w});
    const auto inside = rows.ge(top.view({b, 1, 1})) & rows.lt((top + eh).view({b, 1, 1}))
        & cols.ge(left.view({b, 1, 1})) & cols.lt((left + ew).view({b, 1, 1})) & erase.view({b, 1, 1});
    return out.masked_fill_(inside.unsqueeze(1), 0.0f);
}

namespace {

// A new model for images uint8 [N, C, H, W]: from INIT's weights and normalisation when
// fine-tuning, else randomly initialised (LibTorch's generator) and normalised with the
// images' own statistics.
AlModel freshModel(const torch::Tensor &images, int numClasses, Architecture architecture, const InitialWeights *init)
{
    AlModel m;
    if (init) {
        m.net = init->makeNetwork(numClasses);
        m.mean = init->mean;
        m.std = init->std;
        return m;
    }
    m.net = makeClassifier(int(images.size(1)), int(images.size(2)), numClasses, architecture);
    const Normaliser norm = channelStats(images);
    m.mean = norm.mean;
    m.std = norm.std;
    return m;
}

} // namespace

bool alTrain(AlModel *model, bool warm, const torch::Tensor &images, const torch::Tensor &labels,
             const torch::Tensor &pseudoImages, const torch::Tensor &pseudoLabels, int numClasses,
             const AlTrainConfig &config, const std::atomic_bool &cancel,
             const std::function<void(double)> &progress, QString *error, const torch::Tensor &unlabelledImages)
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
        if (!model->net || !warm)
            *model = freshModel(images, numClasses, config.architecture, config.init.get());
        auto &net = *model->net;
        net.to(config.device);
        net.train();
        model->tta = config.tta && config.hflip;
        std::unique_ptr<WeightAverage> average;
        if (config.emaDecay > 0)
            average = std::make_unique<WeightAverage>(net, config.emaDecay);

        // Two parameter groups: the body and the classification layer (fc). When fine-tuning
        // (config.init), the pretrained body learns at fineTuneLrScale × lr and the fresh fc
        // at lr (discriminative learning rates: a full rate erases what the weights knew).
        std::vector<torch::Tensor> body, fc;
        for (const auto &p : net.named_parameters(true))
            (p.key().rfind("fc.", 0) == 0 ? fc : body).push_back(p.value());
        const double bodyScale = config.init ? config.fineTuneLrScale : 1.0;
        auto groups = [&](const auto &options) { // [body, fc], each with its own copy of the options
            using Options = std::decay_t<decltype(options)>;
            std::vector<torch::optim::OptimizerParamGroup> g;
            g.emplace_back(body, std::make_unique<Options>(options));
            g.emplace_back(fc, std::make_unique<Options>(options));
            return g;
        };
        std::unique_ptr<torch::optim::Optimizer> optimiser;
        if (config.adam) {
            const auto options = torch::optim::AdamOptions(config.lr).weight_decay(config.weightDecay);
            optimiser = std::make_unique<torch::optim::Adam>(groups(options), options);
        } else {
            const auto options = torch::optim::SGDOptions(config.lr)
                                     .momentum(config.momentum)
                                     .nesterov(config.nesterov && config.momentum > 0)
                                     .weight_decay(config.weightDecay);
            optimiser = std::make_unique<torch::optim::SGD>(groups(options), options);
        }
        auto setLr = [&](double lr) {
            auto &groups = optimiser->param_groups();
            for (std::size_t g = 0; g < groups.size(); ++g) {
                const double groupLr = g == 0 ? lr * bodyScale : lr;
                if (config.adam)
                    static_cast<torch::optim::AdamOptions &>(groups[g].options()).lr(groupLr);
                else
                    static_cast<torch::optim::SGDOptions &>(groups[g].options()).lr(groupLr);
            }
        };

        const int64_t bs = std::min<int64_t>(config.batchSize, n);
        const int64_t batchesPerEpoch = (n + bs - 1) / bs;
        const int64_t steps = std::max<int64_t>(int64_t(config.minSteps), int64_t(config.epochs) * batchesPerEpoch);
        torch::Tensor perm = torch::randperm(n, gen, torch::kLong), ppPerm;
        int64_t cursor = 0, pcursor = 0;
        if (np > 0)
            ppPerm = torch::randperm(np, gen, torch::kLong);
        const int64_t nu = config.consistencyWeight > 0 && unlabelledImages.defined() ? unlabelledImages.size(0) : 0;
        const int64_t ub = std::min<int64_t>(nu, bs * std::max(1, config.unlabelledRatio));
        torch::Tensor uPerm = nu > 0 ? torch::randperm(nu, gen, torch::kLong) : torch::Tensor();
        int64_t ucursor = 0;
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
            auto x = normaliseImages(images.index_select(0, idx), model->mean, model->std);
            auto yb = labels.index_select(0, idx);
            if (config.augment)
                x = augmentBatch(x, config.cropPadding, config.hflip, gen);
            if (np > 0) {
                const int64_t pb = std::min(bs, np);
                if (pcursor + pb > np) {
                    ppPerm = torch::randperm(np, gen, torch::kLong);
                    pcursor = 0;
                }
                auto pidx = ppPerm.narrow(0, pcursor, pb);
                pcursor += pb;
                auto xp = normaliseImages(pseudoImages.index_select(0, pidx), model->mean, model->std);
                if (config.strongAugment)
                    xp = strongAugmentBatch(xp, config.hflip, gen);
                else if (config.augment)
                    xp = augmentBatch(xp, config.cropPadding, config.hflip, gen);
                x = torch::cat({x, xp});
                yb = torch::cat({yb, pseudoLabels.index_select(0, pidx)});
            }
            // FixMatch: the network's own labels for a weak view (no gradient), where confident,
            // are the targets of a strong view of the same images.
            torch::Tensor uTarget, uMask;
            const int64_t supervised = x.size(0);
            if (ub > 0) {
                if (ucursor + ub > nu) {
                    uPerm = torch::randperm(nu, gen, torch::kLong);
                    ucursor = 0;
                }
                auto xu = normaliseImages(unlabelledImages.index_select(0, uPerm.narrow(0, ucursor, ub)), model->mean,
                                          model->std);
                ucursor += ub;
                {
                    torch::NoGradGuard noGrad;
                    auto weak = config.augment ? augmentBatch(xu, config.cropPadding, config.hflip, gen) : xu;
                    auto [confidence, guess] = torch::softmax(net.forward(weak.to(config.device)), 1).max(1);
                    uMask = confidence.ge(config.consistencyThreshold).to(torch::kFloat32);
                    uTarget = guess;
                }
                x = torch::cat({x, strongAugmentBatch(xu, config.hflip, gen)});
            }
            auto logits = net.forward(x.to(config.device));
            auto loss = torch::nn::functional::cross_entropy(logits.narrow(0, 0, supervised), yb.to(config.device));
            if (ub > 0) {
                namespace F = torch::nn::functional;
                auto perSample = F::cross_entropy(logits.narrow(0, supervised, ub), uTarget,
                                                  F::CrossEntropyFuncOptions().reduction(torch::kNone));
                loss = loss + config.consistencyWeight * (perSample * uMask).mean();
            }
            optimiser->zero_grad();
            loss.backward();
            optimiser->step();
            if (average)
                average->update(net, step);
            if (progress && (step % 10 == 0 || step + 1 == steps))
                progress(double(step + 1) / double(steps));
        }
        if (average)
            average->copyTo(net);
        return true;
    } catch (...) {
        *error = QStringLiteral("training failed: %1").arg(exceptionMessage(std::current_exception()));
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
            if (probs) {
                auto p = torch::softmax(net.head(e), 1);
                if (model.tta)
                    p = p.add_(torch::softmax(net.forward(x.flip({3})), 1)).mul_(0.5f);
                ps.push_back(p.cpu());
            }
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
    } catch (...) {
        *error = QStringLiteral("prediction failed: %1").arg(exceptionMessage(std::current_exception()));
        return false;
    }
}

bool alUntrainedEmbeddings(const torch::Tensor &images, int numClasses, uint64_t seed, torch::Device device,
                           const std::atomic_bool &cancel, torch::Tensor *embeddings, QString *error,
                           const InitialWeights *init)
{
    torch::manual_seed(seed);
    AlModel model = freshModel(images, numClasses, Architecture::Auto, init);
    model.net->to(device);
    return alPredict(model, images, 0, device, cancel, nullptr, embeddings, nullptr, error);
}

} // namespace labelscope
