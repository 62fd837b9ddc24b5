#pragma once
// Internal to core/ml (and its tests): the augmentations and losses of self-supervised
// pretraining (pretrain.h explains the methods and their sources). Includes LibTorch.

#include <torch/torch.h>

namespace labelscope {

struct SslAugmentOptions {
    bool hflip = true;        ///< random horizontal flip, p = 0.5
    double minScale = 0.2;    ///< random resized crop: area fraction in [minScale, 1]
    bool colour = true;       ///< colour images: saturation jitter and random grey (p = 0.2)
    double jitter = 0.4;      ///< brightness / contrast (/ saturation) factors in [1 − j, 1 + j], p = 0.8
    bool blur = false;        ///< Gaussian blur, p = 0.5, σ in [0.1, 2] px, kernel ≈ a tenth of the side
};

/// One augmented view of each image of x [B, C, S, S] float in [0, 1] (on any device): random
/// resized crop to S (bilinear; aspect ratio [3/4, 4/3]), flip, colour jitter, grey, blur, in that
/// order; returns [B, C, S, S] in [0, 1] on x's device. Random numbers come from `gen` (a CPU
/// generator): the same generator state gives the same views.
torch::Tensor sslAugment(const torch::Tensor &x, const SslAugmentOptions &options, torch::Generator &gen);

/// SimCLR's NT-Xent loss (Chen et al. 2020) of projections z1, z2 [B, d] of two views of the same
/// B images: cross-entropy of each view's cosine similarities / τ against the 2B − 1 others, the
/// other view of its image being the positive. Scalar.
torch::Tensor ntXentLoss(const torch::Tensor &z1, const torch::Tensor &z2, double temperature);

/// Negative cosine similarity of the predictions p [B, d] with the targets z [B, d], the targets
/// detached (SimSiam's D(p, stopgrad(z)); BYOL's 2 − 2·cos is 2 + 2 × this). Mean over B, in [−1, 1].
torch::Tensor negativeCosine(const torch::Tensor &p, const torch::Tensor &z);

/// The learning rate of step `step` of `total`: linear warm-up over the first 2% of the steps
/// (SimCLR's schedule, Chen et al. 2020), then cosine to 0 at `total`. A run resumed with another
/// number of epochs is anchored where it was: from `anchorStep` on, a cosine from `anchorLr` (the
/// rate the old schedule had there) to 0 at the new `total`; anchorStep < 0 = no anchor.
double pretrainLearningRate(double lr, long long step, long long total, long long anchorStep = -1, double anchorLr = 0.0);

/// BYOL's target momentum at step `step` of `total`: 1 − (1 − base)(cos(π step / total) + 1) / 2.
double byolMomentum(double base, long long step, long long total);

} // namespace labelscope
