#pragma once
// A head on backbone embeddings: multinomial logistic regression (Linear D → K) or an MLP with
// one hidden layer (Linear D → 256, ReLU, Linear 256 → K), trained on embeddings standardised per
// dimension. Adam (lr 3e-3, L2 1e-4), cosine decay to 0, batches of 512. The learner of the
// embedding analysis (analysisheads.cpp: K-fold heads with Data Parameters) and of active
// learning on a backbone (alheadlearner.cpp: one head per round on the labelled embeddings).
// Internal to core (includes LibTorch); ui/ never includes it.

#include "dataparameters.h"
#include "options.h"

#include "base/result.h"

#include <torch/torch.h>

#include <atomic>
#include <functional>

namespace labelscope {

/// LibTorch's intra-op thread count set to N for a scope and restored after it. The heads' ops
/// are small: one thread is faster than OpenMP's synchronisation (RESULTS.md, embedding analysis).
class ScopedTorchThreads {
public:
    explicit ScopedTorchThreads(int n) : m_previous(torch::get_num_threads()) { torch::set_num_threads(n); }
    ~ScopedTorchThreads() { torch::set_num_threads(m_previous); }
    ScopedTorchThreads(const ScopedTorchThreads &) = delete;
    ScopedTorchThreads &operator=(const ScopedTorchThreads &) = delete;
    /// The count before the scope (what the caller was configured with).
    int previous() const { return m_previous; }

private:
    int m_previous;
};

/// Per-dimension standardisation (x − mean) / std with the statistics of some rows (no labels
/// involved); std clamped to ≥ 1e-6 so that constant dimensions stay finite.
struct EmbeddingStandardiser {
    torch::Tensor mean, sd; ///< [1, D]
    /// The statistics of x [N, D] (N ≥ 1; one row gives std 1e-6: its dimensions are constant).
    static EmbeddingStandardiser fit(const torch::Tensor &x);
    /// (x − mean) / std, contiguous [M, D].
    torch::Tensor apply(const torch::Tensor &x) const;
};

struct EmbeddingHeadConfig {
    EmbeddingHead kind = EmbeddingHead::Mlp;
    int epochs = 30;         ///< passes over the training rows
    int64_t minSteps = 0;    ///< at least this many optimiser steps: epochs raised (small labelled sets)
    quint64 seed = 1;        ///< initial weights (torch::manual_seed)
    quint64 shuffleSeed = 1; ///< batch order (a CPU generator of its own)
    torch::Device device = torch::kCPU;
    /// Dropout rate (0 = none): on the hidden layer of the MLP, on the input of the logistic
    /// head. Trained with it, the head gives MC-dropout samples (Gal & Ghahramani 2016) for BALD.
    double dropout = 0.0;
};

/// A new head of KIND for embeddings of DIM dimensions and CLASSES classes (random initial
/// weights from LibTorch's global generator); with DROPOUT > 0 a Dropout module as
/// EmbeddingHeadConfig::dropout says.
torch::nn::Sequential makeEmbeddingHead(EmbeddingHead kind, int64_t dim, int64_t classes, double dropout = 0.0);

/// Epochs trainEmbeddingHead() runs for M rows: config.epochs, raised so that the steps reach
/// config.minSteps.
int embeddingHeadEpochs(const EmbeddingHeadConfig &config, int64_t m);

/// Trains a fresh head on x [M, D] (float32, standardised; CPU or config.device) and labels y [M]
/// (int64 in [0, classes)). With DATAPARAMETERS (M instances, on config.device) the loss is
/// theirs, CE(logits / σ_i, y) + their weight decay, and their σ rows step with the head; without
/// it, plain softmax cross-entropy. AFTEREPOCH(epoch, head) runs after each epoch (may be empty;
/// the head is in train mode, no-grad is up to it). Cancellation is polled per batch:
/// Result::cancelled(). LibTorch's exceptions propagate (callers run inside a job boundary).
Result<torch::nn::Sequential> trainEmbeddingHead(const torch::Tensor &x, const torch::Tensor &y, int64_t classes,
                                                 const EmbeddingHeadConfig &config, DataParameters *dataParameters,
                                                 const std::atomic_bool &cancel,
                                                 const std::function<void(int, torch::nn::Sequential &)> &afterEpoch = {});

/// softmax(head(x)) [M, K] float32 on the CPU, for x [M, D] (CPU or device), in eval mode under
/// no-grad, in chunks of 4096 rows.
torch::Tensor predictEmbeddingHead(torch::nn::Sequential &head, const torch::Tensor &x, const torch::Device &device);

/// SAMPLES MC-dropout predictions [T, M, K] float32 on the CPU for x [M, D]: softmax(head(x))
/// with the head's dropout active (train mode; the head has no batch norm), under no-grad; the
/// head is left in eval mode. Masks come from LibTorch's global generator. A head without
/// dropout gives T equal samples.
torch::Tensor mcPredictEmbeddingHead(torch::nn::Sequential &head, const torch::Tensor &x, int samples,
                                     const torch::Device &device);

} // namespace labelscope
