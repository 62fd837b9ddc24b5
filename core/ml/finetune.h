#pragma once
// Fine-tuning a backbone that Labelscope made (`labelscope pretrain`, `labelscope export-model`):
// the TorchScript module's weights, matched by name and shape to one of Labelscope's networks
// (networks.h), initialise the network that a learner then trains on the pixels, every layer
// included; the classification layer (fc) starts fresh for the task's classes. This is the
// field's standard use of a self-supervised encoder with few labels (SimCLR, Chen et al. 2020,
// §4 "semi-supervised": fine-tune the whole network on the labelled subset).
// A foreign backbone (a ResNet or CLIP tower from Python) is not one of Labelscope's networks:
// it is refused with the reason, and stays usable as frozen features (--backbone without
// fine-tuning). Internal to core (includes LibTorch).

#include "base/result.h"
#include "options.h"

#include <QString>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace labelscope {

class ClassifierImpl;

/// A Labelscope network's weights read from a backbone file, without its classification layer.
struct InitialWeights {
    QString file;                     ///< the backbone file (absolute path)
    QString name;                     ///< the sidecar's name
    Architecture architecture = Architecture::Auto; ///< the network the weights belong to (never Auto)
    int channels = 0, side = 0;       ///< the input the network was made for [C, side, side]
    /// Parameters and buffers by the network's own names ("conv1.weight", "bn1.running_mean"),
    /// CPU float32; the classification layer (fc.*) is not among them.
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    torch::Tensor mean, std;          ///< [C] the sidecar's input normalisation, pixel units in [0, 1]

    /// A fresh network of this architecture for NUMCLASSES classes with these weights copied in
    /// (fc initialised as usual, by LibTorch's generator). Throws c10::Error on a shape mismatch
    /// (not possible for a loaded InitialWeights).
    std::shared_ptr<ClassifierImpl> makeNetwork(int numClasses) const;
};

/// Reads BACKBONEFILE (TorchScript) and its sidecar (backbonefile.h) and matches the module's
/// weights to Labelscope's networks for images [CHANNELS, HEIGHT, WIDTH] (the dataset the
/// network will be trained on). Errors name the file: a missing or malformed sidecar, a file that
/// is not TorchScript, a sidecar whose channels or input_size differ from the images ("…: the
/// backbone takes 32×32 pixels, the dataset's images are 28×28: pretrain with --image-size 28"),
/// a module whose weights are none of Labelscope's networks.
Result<std::shared_ptr<const InitialWeights>> loadInitialWeights(const QString &backboneFile, int channels, int height,
                                                                 int width);

} // namespace labelscope
