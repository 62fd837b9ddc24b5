#pragma once
// Trains a classifier with Data Parameters (see dataparameters.h) and records training dynamics
// of every sample at every epoch (Dataset Cartography, Swayamdipta et al. 2020; Area Under the
// Margin, Pleiss et al. 2020): the probability of the given label, the margin (given logit minus
// the largest other logit) and the predicted class, all from the training pass of that epoch,
// and σ_i after the epoch. After training, one evaluation pass gives the penultimate-layer
// embedding, pred_probs and predicted class of every sample, and the accuracy on a test set.
// Internal to core (includes LibTorch).

#include "dataparameters.h"
#include "networks.h"

#include <QString>
#include <torch/torch.h>

#include <atomic>
#include <functional>

namespace labelscope {

struct TrainerConfig {
    int epochs = 8;
    int batchSize = 128;
    double lr = 0.05;            ///< SGD (Nesterov momentum 0.9), cosine decay to 0
    double momentum = 0.9;
    double weightDecay = 5e-4;
    bool augment = true;         ///< random crop with padding (and flip if hflip)
    int cropPadding = 2;         ///< pixels of zero padding before the random crop
    bool hflip = true;           ///< random horizontal flip (off for digits, text, ...)
    quint64 seed = 1;
    DataParametersConfig dataParameters;
    Architecture architecture = Architecture::Auto; ///< network (networks.h)
    Precision precision = Precision::Auto; ///< of the training passes (networks.h)
    torch::Device device = torch::kCPU;
    /// Optional images uint8 [M, C, H, W] (CPU) that the network does not train on: after
    /// training, the final model (eval mode) predicts them into TrainOutput::predictProbs and
    /// predictEmbeddings. Used for out-of-sample pred_probs (K-fold) and for scoring an
    /// active-learning pool.
    torch::Tensor predictImages;
    /// predictProbs averaged over each image and its mirror image (test-time augmentation;
    /// only with hflip).
    bool flipAveragePredictions = false;
};

/// Images uint8 [N, C, H, W] (CPU) and labels int64 [N] in 0..K-1.
struct TrainData {
    torch::Tensor images;
    torch::Tensor labels;
};

struct TrainProgress {
    int epoch = 0, epochs = 0;   ///< 1-based
    int64_t batch = 0, batches = 0;
    double loss = 0.0;           ///< running mean of the epoch's loss
    double samplesPerSecond = 0.0;
    bool evaluating = false;     ///< in the final evaluation pass
};

/// Results; per-epoch tensors are CPU [N, E]; others CPU [N] or [N, D] / [N, K].
struct TrainOutput {
    int epochs = 0;
    torch::Tensor sigma, probGiven, margin, predicted; // [N, E] float, float, float, int16
    torch::Tensor embeddings;  ///< [N, D] float, final model, eval mode
    torch::Tensor predProbs;   ///< [N, K] float (softmax of the final model, eval mode)
    double testAccuracy = -1;  ///< on the test data, -1 if none
    torch::Tensor testProbs;   ///< [T, K] softmax on the test data, undefined if none
    torch::Tensor predictProbs;      ///< [M, K] for TrainerConfig::predictImages, else undefined
    torch::Tensor predictEmbeddings; ///< [M, D] for TrainerConfig::predictImages, else undefined
    /// The trained network (eval mode, on the training device) and the per-channel normalisation
    /// it was trained with ([C] each, pixel units in [0, 1]): for exporting it (modelexport.h).
    std::shared_ptr<ClassifierImpl> model;
    torch::Tensor normMean, normStd;
};

/// Trains on `train` (and scores `test` if it is given and non-empty). Returns false with
/// *error = "cancelled" if cancel becomes true (checked every batch), or another message if
/// LibTorch fails. progress may be empty.
bool trainWithDataParameters(const TrainData &train, const TrainData *test, int numClasses,
                             const TrainerConfig &config, const std::atomic_bool &cancel,
                             const std::function<void(const TrainProgress &)> &progress,
                             TrainOutput *out, QString *error);

/// Per-channel mean and standard deviation ([C] each, pixel units in [0, 1]; std at least 1e-3)
/// of uint8 images [N, C, H, W], from the first 10,000 (enough for normalisation).
struct Normaliser {
    torch::Tensor mean, std;
};
Normaliser channelStats(const torch::Tensor &images);

/// Normalises uint8 images [B, C, H, W] to float with per-channel mean/std ([C] each).
torch::Tensor normaliseImages(const torch::Tensor &images, const torch::Tensor &mean,
                              const torch::Tensor &std);

/// Random crop after zero padding and optional horizontal flip, per sample, drawn from gen.
torch::Tensor augmentBatch(const torch::Tensor &x, int padding, bool hflip, torch::Generator &gen);

} // namespace labelscope
