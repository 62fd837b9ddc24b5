#pragma once
// The active-learning round's classifier: a small training loop of its own (plain softmax
// cross-entropy, SGD with Nesterov momentum or Adam, cosine learning rate, random-crop/flip
// augmentation) that, unlike trainWithDataParameters(), keeps the model so that a round can be
// warm-started from the previous one and the pool can be scored with MC dropout (BALD).
// Optional pseudo-labelled pool samples (Lee 2013) are mixed into every batch: B labelled plus
// up to B pseudo-labelled images per step. Optional unlabelled images train with FixMatch's
// consistency loss (Sohn et al. 2020): each step the network labels mu·B of them from a weak view
// (crop + flip, no gradient); those it labels with max prob ≥ tau are trained, with that label, on
// a strong view (strongAugmentBatch), weighted by consistencyWeight.
// Internal to core (includes LibTorch); ui/ never includes it.

#include "finetune.h"
#include "networks.h"

#include <QString>
#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <memory>

namespace labelscope {

struct AlTrainConfig {
    int epochs = 30;          ///< passes over the labelled set
    int minSteps = 400;       ///< at least this many steps (small labelled sets)
    int batchSize = 64;
    bool adam = false;        ///< Adam instead of SGD
    double lr = 0.05, momentum = 0.9, weightDecay = 5e-4;
    bool nesterov = true;
    bool augment = true;
    int cropPadding = 2;
    bool hflip = true;
    bool strongAugment = false; ///< pseudo-labelled images get strongAugmentBatch() (Noisy Student / FixMatch's strong view)
    /// FixMatch (Sohn et al., NeurIPS 2020): > 0 adds this weight × the consistency loss on
    /// unlabelled images (alTrain's unlabelledImages); 0 = off.
    double consistencyWeight = 0.0;
    int unlabelledRatio = 3;            ///< FixMatch's mu: unlabelled images per labelled one in a step
    double consistencyThreshold = 0.95; ///< FixMatch's tau: a weak view's max prob must reach this to count
    double emaDecay = 0.0;      ///< > 0: the model kept is the exponential moving average of the weights (mean teacher)
    bool tta = false;           ///< predictions average the image and its mirror (needs hflip)
    Architecture architecture = Architecture::Auto;
    /// Fine-tuning (finetune.h): a fresh model starts from these weights (their architecture,
    /// their normalisation) instead of a random initialisation; null = from scratch.
    std::shared_ptr<const InitialWeights> init;
    /// With init: the pretrained layers learn at this share of lr (the fresh fc at lr).
    double fineTuneLrScale = 0.1;
    uint64_t seed = 1;
    torch::Device device = torch::kCPU;
};

/// A trained network with its input normalisation. Empty (net == nullptr) before the first round.
struct AlModel {
    std::shared_ptr<ClassifierImpl> net;
    torch::Tensor mean, std; ///< [C] per-channel statistics of the first training set
    bool tta = false;        ///< alPredict averages softmax(x) and softmax(mirror(x)); embeddings stay those of x
};

/// Strong augmentation of a normalised batch x [B, C, H, W] (float): a random affine map
/// (rotation ±15°, scale 0.85-1.15, shear ±10°, shift ±12% of the side; bilinear, zero = mean
/// padding), a horizontal flip (if hflip) and random erasing of one rectangle (probability 0.5,
/// 2-25% of the area, Zhong et al. 2020). Own code on LibTorch ops (affine_grid, grid_sample).
torch::Tensor strongAugmentBatch(const torch::Tensor &x, bool hflip, torch::Generator &gen);

/// Trains model (from scratch when model->net is null or !warm, else continuing) on images uint8
/// [N, C, H, W] with labels int64 [N], plus optional pseudo-labelled images/labels (undefined or
/// empty = none) and, with config.consistencyWeight > 0, unlabelled images uint8 [U, C, H, W]
/// for the consistency loss (undefined or empty = none). progress(fraction in [0, 1]) may be
/// empty. False with *error ("cancelled" or LibTorch's message).
bool alTrain(AlModel *model, bool warm, const torch::Tensor &images, const torch::Tensor &labels,
             const torch::Tensor &pseudoImages, const torch::Tensor &pseudoLabels, int numClasses,
             const AlTrainConfig &config, const std::atomic_bool &cancel,
             const std::function<void(double)> &progress, QString *error,
             const torch::Tensor &unlabelledImages = torch::Tensor());

/// Predicts images uint8 [M, C, H, W] in eval mode: probs [M, K] and embeddings [M, D] (CPU
/// float). With mcSamples > 1 also mcProbs [T, M, K] from T passes with dropout active (batch
/// norm stays in eval mode). Any output pointer may be null. False with *error.
bool alPredict(AlModel &model, const torch::Tensor &images, int mcSamples, torch::Device device,
               const std::atomic_bool &cancel, torch::Tensor *probs, torch::Tensor *embeddings,
               torch::Tensor *mcProbs, QString *error);

/// Embeddings [M, D] of an untrained network: a cold-start feature space that needs no labels.
/// Randomly initialised (seeded), normalised with the images' own statistics; or, with INIT, the
/// pretrained weights and their normalisation.
bool alUntrainedEmbeddings(const torch::Tensor &images, int numClasses, uint64_t seed, torch::Device device,
                           const std::atomic_bool &cancel, torch::Tensor *embeddings, QString *error,
                           const InitialWeights *init = nullptr);

} // namespace labelscope
