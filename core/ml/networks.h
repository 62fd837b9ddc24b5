#pragma once
// Networks used by the trainer (LibTorch). Internal to core: ui/ never includes this header.
//  - SmallCnn: for small grey images (≤ 32×32, e.g. 28×28 Fashion-MNIST): two conv blocks
//    (32, 64 channels, batch norm, ReLU, 2×2 max-pool), a 128-d fully connected embedding, a
//    linear classifier.
//  - SmallResNet: for RGB (or larger) inputs resized to a set side: a ResNet-style stem and three
//    stages of one basic residual block each (32, 64, 128 channels), global average pooling,
//    a 128-d embedding, a linear classifier (cf. He et al. 2016).
// Both return logits [B, K] from forward() and the penultimate-layer embedding [B, D] from
// embed(); forward(x) == head(embed(x)).

#include "options.h"

#include <QString>
#include <torch/torch.h>

#include <memory>

namespace labelscope {

class ClassifierImpl : public torch::nn::Module {
public:
    ~ClassifierImpl() override = default;
    /// Penultimate-layer features [B, embeddingDim()] of a normalised batch [B, C, H, W]:
    /// ReLU(linearEmbed(x)).
    torch::Tensor embed(const torch::Tensor &x) { return torch::relu(linearEmbed(x)); }
    /// The embedding layer's output before its ReLU, [B, embeddingDim()]. Self-supervised
    /// pretraining (pretrain.h) trains and exports this: through the ReLU a unit that turns
    /// negative on every image gets no gradient again (measured: SimCLR lost a third of the 128
    /// units, BYOL all of them, a collapse).
    virtual torch::Tensor linearEmbed(const torch::Tensor &x) = 0;
    /// Logits [B, K] from features.
    torch::Tensor head(const torch::Tensor &features) { return m_fc->forward(features); }
    torch::Tensor forward(const torch::Tensor &x) { return head(embed(x)); }
    int embeddingDim() const { return m_embeddingDim; }
    /// Dropout masks drawn from `generator` (a CPU generator, for CPU nets) instead of LibTorch's
    /// global one, so that several networks can train at once in one process and each stays
    /// deterministic for its seed. Not owned beyond a reference count.
    void setDropoutGenerator(torch::Generator generator) { m_dropoutGenerator = std::move(generator); }

protected:
    ClassifierImpl(int embeddingDim, int numClasses);
    /// Inverted dropout with rate p when `active`, from m_dropoutGenerator when set.
    torch::Tensor dropout(const torch::Tensor &x, double p, bool active);
    torch::nn::Linear m_fc{nullptr};
    int m_embeddingDim;
    torch::Generator m_dropoutGenerator;
};

class SmallCnnImpl : public ClassifierImpl {
public:
    SmallCnnImpl(int channels, int side, int numClasses);
    torch::Tensor linearEmbed(const torch::Tensor &x) override;

private:
    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr};
    torch::nn::BatchNorm2d m_bn1{nullptr}, m_bn2{nullptr};
    torch::nn::Linear m_fc1{nullptr};
    torch::nn::Dropout m_dropout{nullptr};
};

/// Three conv blocks (32, 64, 128 channels at full, half and quarter resolution, batch norm,
/// ReLU; 2×2 max-pool after the first two), dropout, a 128-d embedding: about twice SmallCnn's
/// compute and a fourth of SmallResNet's, for grey images with a side divisible by 4.
class MediumCnnImpl : public ClassifierImpl {
public:
    MediumCnnImpl(int channels, int side, int numClasses);
    torch::Tensor linearEmbed(const torch::Tensor &x) override;

private:
    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr}, m_conv3{nullptr};
    torch::nn::BatchNorm2d m_bn1{nullptr}, m_bn2{nullptr}, m_bn3{nullptr};
    torch::nn::Linear m_fc1{nullptr};
    torch::nn::Dropout m_dropout{nullptr};
};

class SmallResNetImpl : public ClassifierImpl {
public:
    SmallResNetImpl(int channels, int numClasses);
    torch::Tensor linearEmbed(const torch::Tensor &x) override;

private:
    struct Block {
        torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
        torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bnShortcut{nullptr};
    };
    torch::Tensor block(Block &b, const torch::Tensor &x);
    torch::nn::Conv2d m_stem{nullptr};
    torch::nn::BatchNorm2d m_stemBn{nullptr};
    std::vector<Block> m_blocks;
    torch::nn::Linear m_fc1{nullptr};
};

/// 2×2 max pooling with stride 2, the same values and gradients as
/// torch::nn::functional::max_pool2d(x, 2) (first maximum in row-major window order wins; NaN
/// propagates). x: [B, C, H, W]. On CPU float tensors with even H and W it runs our own loop:
/// LibTorch 1.13's CPU max_pool2d_with_indices was the costliest op of a training step here
/// (10 ms of 46 per batch of 128 in the small CNN; RESULTS.md, "Training step"); otherwise it
/// calls max_pool2d.
torch::Tensor maxPool2x2(const torch::Tensor &x);

// Architecture and Precision, with their name tables, are in options.h.

/// True when this CPU has native bfloat16 dot products (AVX512-BF16 or AMX-BF16).
bool cpuHasNativeBf16();

/// Auto resolved for `device`: BFloat16 on a CPU with native bfloat16, Float32 otherwise
/// (CUDA included: mixed precision there is not measured yet).
Precision resolvePrecision(Precision precision, const torch::Device &device);

/// Logits [B, K] (float32) of a training pass of `net` on a normalised batch x [B, C, H, W], the
/// body under autocast when precision is BFloat16 (resolved, not Auto).
torch::Tensor trainingLogits(ClassifierImpl &net, const torch::Tensor &x, Precision precision);

/// The network `analyze` trains for Auto: for grey images with a side up to 32 divisible by 4,
/// MediumCnn when training runs in bfloat16 or on CUDA (where it fits the 10-minute K = 4 budget
/// and ranks wrong labels better: RESULTS.md, "Mixed precision"), else SmallCnn; SmallResNet
/// for colour or larger images. Anything but Auto is returned unchanged.
Architecture resolveArchitecture(Architecture architecture, int channels, int side, Precision precision,
                                 const torch::Device &device);

/// Builds the network. Throws std::invalid_argument if SmallCnn or MediumCnn is asked for a side
/// that is not a multiple of 4.
std::shared_ptr<ClassifierImpl> makeClassifier(int channels, int side, int numClasses,
                                               Architecture architecture = Architecture::Auto);

} // namespace labelscope
