#pragma once
// Internal to core/ml (and its tests): a trained network of networks.h as a TorchScript module
// (modelexport.h explains the methods). Includes LibTorch.

#include "base/result.h"
#include "networks.h"

#include <QJsonObject>
#include <QStringList>
#include <torch/script.h>

#include <algorithm>
#include <string>

namespace labelscope {

/// The module attribute that holds a network's parameter or buffer NAME ("conv1.weight" →
/// "conv1_weight"): how scriptClassifier() registers them and finetune.cpp finds them again.
inline std::string scriptAttributeName(std::string name)
{
    std::replace(name.begin(), name.end(), '.', '_');
    return name;
}

/// The network's TorchScript twin: its parameters and batch-norm statistics copied (to the CPU)
/// into a torch::jit::Module with methods embed, forward (= embed) and, with withLogits, logits
/// and classify (modelexport.h); evaluation mode. embed is net.embed (ReLU), or with
/// linearEmbedding net.linearEmbed (a self-supervised encoder's; no logits then). Throws
/// (std::invalid_argument for a network type it does not know or logits with linearEmbedding,
/// c10::Error).
torch::jit::Module scriptClassifier(ClassifierImpl &net, bool withLogits = true, bool linearEmbedding = false);

/// Writes scriptClassifier(net) to OUTFILE (via a temporary beside it, renamed on success) and
/// its sidecar: name, input_size = side, channels, mean and std ([C] tensors, pixel units),
/// embedding_dim, resize "stretch", classes, provenance. Without classes (an encoder, pretrain.h)
/// the module has no logits method; with linearEmbedding (an encoder only) its embeddings are
/// net.linearEmbed's. Errors name the file.
Result<> exportClassifier(ClassifierImpl &net, int channels, int side, const torch::Tensor &mean,
                          const torch::Tensor &std, const QStringList &classes, const QString &name,
                          const QString &outFile, const QJsonObject &provenance = {}, bool linearEmbedding = false);

} // namespace labelscope
