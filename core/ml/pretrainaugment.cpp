// Self-supervised augmentations and losses (pretrain_p.h), written on LibTorch tensor operations:
// no C++ package offers batched random-resized-crop / colour-jitter views on tensors (torchvision's
// transforms are Python), and the per-sample affine crop is one grid_sample for the whole batch.
#include "pretrain_p.h"

#include <algorithm>
#include <cmath>

namespace labelscope {

namespace F = torch::nn::functional;

namespace {

torch::Tensor uniform(int64_t n, double lo, double hi, torch::Generator &gen)
{
    return torch::empty({n}, torch::kFloat64).uniform_(lo, hi, gen);
}

torch::Tensor bernoulli(int64_t n, double p, torch::Generator &gen)
{
    return torch::empty({n}, torch::kFloat64).uniform_(0.0, 1.0, gen).lt(p);
}

// ITU-R BT.601 luma of [B, 3, S, S] → [B, 1, S, S] (torchvision's rgb_to_grayscale).
torch::Tensor luma(const torch::Tensor &x)
{
    return (x.select(1, 0) * 0.299 + x.select(1, 1) * 0.587 + x.select(1, 2) * 0.114).unsqueeze(1);
}

// Blends x towards `toward` by factor f [B] (f = 1 keeps x): toward + f (x − toward), clamped.
torch::Tensor blend(const torch::Tensor &x, const torch::Tensor &toward, const torch::Tensor &f)
{
    return (toward + f.view({-1, 1, 1, 1}) * (x - toward)).clamp_(0.0, 1.0);
}

} // namespace

torch::Tensor sslAugment(const torch::Tensor &x, const SslAugmentOptions &options, torch::Generator &gen)
{
    torch::NoGradGuard noGrad;
    const int64_t b = x.size(0), c = x.size(1), s = x.size(2);
    const auto onDevice = [&](const torch::Tensor &t) { return t.to(x.device(), torch::kFloat32); };

    // Random resized crop and flip: one affine sampling grid per image. In grid_sample's
    // coordinates ([−1, 1] across the image) a crop of width w (a fraction of the side) centred
    // at cx is x_in = w·x_out + cx; a flip negates w.
    const auto area = uniform(b, options.minScale, 1.0, gen);
    const auto logRatio = uniform(b, std::log(3.0 / 4.0), std::log(4.0 / 3.0), gen);
    const auto ratio = logRatio.exp();
    const auto w = (area * ratio).sqrt().clamp_max(1.0), h = (area / ratio).sqrt().clamp_max(1.0);
    const auto cx = (uniform(b, -1.0, 1.0, gen) * (1.0 - w)), cy = (uniform(b, -1.0, 1.0, gen) * (1.0 - h));
    const auto flip = options.hflip ? 1.0 - 2.0 * bernoulli(b, 0.5, gen).to(torch::kFloat64) : torch::ones({b}, torch::kFloat64);
    auto theta = torch::zeros({b, 2, 3}, torch::kFloat64);
    theta.select(1, 0).select(1, 0).copy_(w * flip);
    theta.select(1, 0).select(1, 2).copy_(cx);
    theta.select(1, 1).select(1, 1).copy_(h);
    theta.select(1, 1).select(1, 2).copy_(cy);
    const auto grid = F::affine_grid(onDevice(theta), {b, c, s, s}, false);
    auto v = F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));

    // Colour jitter with p = 0.8: brightness, contrast (towards the image's mean grey),
    // saturation (towards its own grey; colour only).
    const auto jittered = onDevice(bernoulli(b, 0.8, gen).to(torch::kFloat64));
    const auto factor = [&](const torch::Tensor &draw) {
        // f where jittered, 1 elsewhere.
        return onDevice(draw) * jittered + (1.0 - jittered);
    };
    const double j = options.jitter;
    const auto brightness = factor(uniform(b, 1.0 - j, 1.0 + j, gen));
    const auto contrast = factor(uniform(b, 1.0 - j, 1.0 + j, gen));
    const auto saturation = factor(uniform(b, 1.0 - j, 1.0 + j, gen));
    v = (v * brightness.view({-1, 1, 1, 1})).clamp_(0.0, 1.0);
    const auto grey = c == 3 ? luma(v) : v;
    v = blend(v, grey.mean({1, 2, 3}, true).expand_as(v), contrast);
    if (c == 3 && options.colour) {
        v = blend(v, luma(v).expand_as(v), saturation);
        // Random grey with p = 0.2.
        const auto toGrey = onDevice(bernoulli(b, 0.2, gen).to(torch::kFloat64)).view({-1, 1, 1, 1});
        v = toGrey * luma(v).expand_as(v) + (1.0 - toGrey) * v;
    }

    if (options.blur) {
        // Gaussian blur with p = 0.5: separable, one kernel per image (σ = 0 rows are the identity).
        const int64_t k = std::max<int64_t>(3, (s / 10) | 1);
        const auto sigma = uniform(b, 0.1, 2.0, gen) * bernoulli(b, 0.5, gen).to(torch::kFloat64);
        const auto offsets = torch::arange(k, torch::kFloat64) - double(k / 2);
        auto kernel = (-(offsets * offsets).unsqueeze(0) / (2.0 * sigma.clamp_min(1e-3).pow(2)).unsqueeze(1)).exp();
        kernel = kernel / kernel.sum(1, true); // [B, k]; σ → 0 gives the unit impulse
        kernel = onDevice(kernel).repeat_interleave(c, 0);                       // [B·C, k]
        auto planes = v.reshape({1, b * c, s, s});
        planes = F::conv2d(F::pad(planes, F::PadFuncOptions({0, 0, k / 2, k / 2}).mode(torch::kReflect)),
                           kernel.view({b * c, 1, k, 1}), F::Conv2dFuncOptions().groups(b * c));
        planes = F::conv2d(F::pad(planes, F::PadFuncOptions({k / 2, k / 2, 0, 0}).mode(torch::kReflect)),
                           kernel.view({b * c, 1, 1, k}), F::Conv2dFuncOptions().groups(b * c));
        v = planes.view({b, c, s, s});
    }
    return v.contiguous();
}

torch::Tensor ntXentLoss(const torch::Tensor &z1, const torch::Tensor &z2, double temperature)
{
    const int64_t b = z1.size(0);
    const auto z = F::normalize(torch::cat({z1, z2}, 0), F::NormalizeFuncOptions().dim(1));
    auto similarity = torch::mm(z, z.t()) / temperature;
    // A view is never its own negative.
    similarity = similarity.masked_fill(torch::eye(2 * b, torch::TensorOptions().dtype(torch::kBool).device(z.device())), -1e9);
    const auto index = torch::arange(b, torch::TensorOptions().dtype(torch::kLong).device(z.device()));
    const auto positives = torch::cat({index + b, index}, 0);
    return F::cross_entropy(similarity, positives);
}

torch::Tensor negativeCosine(const torch::Tensor &p, const torch::Tensor &z)
{
    return -F::cosine_similarity(p, z.detach(), F::CosineSimilarityFuncOptions().dim(1)).mean();
}

double byolMomentum(double base, long long step, long long total)
{
    const double t = total > 0 ? std::clamp(double(step) / double(total), 0.0, 1.0) : 1.0;
    return 1.0 - (1.0 - base) * (std::cos(M_PI * t) + 1.0) / 2.0;
}

} // namespace labelscope
