#pragma once
// The enumerated options of analysis and training, each with its one name table (used by the
// command line, the analysis dialog, the JSON summary and the stored run settings). Free of
// LibTorch so that ui/ and app/ can include it.

#include "base/enumnames.h"

namespace labelscope {

/// How `analyze` finds wrong labels. All: K-fold training with Data Parameters; the verdict
/// combines the training dynamics with Confident Learning on the out-of-sample pred_probs.
/// DataParameters: one model on all samples, dynamics only (the fastest). ConfidentLearning:
/// K-fold, verdict from the out-of-sample pred_probs only. Embedding: no image network is
/// trained; a backbone (--backbone FILE.pt, core/ml/backbone.h) embeds the images and K-fold
/// heads on the embeddings (EmbeddingHead) give the dynamics and the out-of-sample pred_probs,
/// with a k-nearest-neighbour label signal; the same verdict as All.
enum class AnalysisMethod { All, DataParameters, ConfidentLearning, Embedding };
inline constexpr EnumName<AnalysisMethod> kAnalysisMethodNames[] = {
    {AnalysisMethod::All, "all"},
    {AnalysisMethod::DataParameters, "data-parameters"},
    {AnalysisMethod::ConfidentLearning, "confident-learning"},
    {AnalysisMethod::Embedding, "embedding"}};

/// The head the embedding method trains on backbone embeddings: multinomial logistic regression
/// (one linear layer) or a multilayer perceptron with one hidden layer (ReLU).
enum class EmbeddingHead { Logistic, Mlp };
inline constexpr EnumName<EmbeddingHead> kEmbeddingHeadNames[] = {
    {EmbeddingHead::Logistic, "logistic"}, {EmbeddingHead::Mlp, "mlp"}};

/// Where training runs. Auto: CUDA when LibTorch sees a GPU, else the CPU.
enum class DeviceChoice { Auto, Cpu, Cuda };
inline constexpr EnumName<DeviceChoice> kDeviceNames[] = {
    {DeviceChoice::Auto, "auto"}, {DeviceChoice::Cpu, "cpu"}, {DeviceChoice::Cuda, "cuda"}};

/// Which network is trained (core/ml/networks.h). Auto fits the input: see resolveArchitecture().
enum class Architecture { Auto, SmallCnn, MediumCnn, SmallResNet };
inline constexpr EnumName<Architecture> kArchitectureNames[] = {
    {Architecture::Auto, "auto"},
    {Architecture::SmallCnn, "small_cnn"},
    {Architecture::MediumCnn, "medium_cnn"},
    {Architecture::SmallResNet, "small_resnet"}};

/// Arithmetic of the training passes (core/ml/networks.h). BFloat16 is mixed precision with
/// LibTorch's CPU autocast; Auto is BFloat16 on a CPU with native bfloat16, else Float32.
enum class Precision { Auto, Float32, BFloat16 };
inline constexpr EnumName<Precision> kPrecisionNames[] = {
    {Precision::Auto, "auto"}, {Precision::Float32, "fp32"}, {Precision::BFloat16, "bf16"}};

} // namespace labelscope
