#pragma once
// A backbone: a TorchScript module (torch::jit::load) that maps a normalised float batch
// [B, C, H, W] to embeddings [B, D], with its JSON sidecar (backbonefile.h). This is how an
// ImageNet ResNet, a DINOv2 or a CLIP image tower exported from Python (torch.jit.script or
// torch.jit.trace, then .save) — or a classifier exported by `labelscope export-model` —
// reaches Labelscope. Internal to core (includes LibTorch); app/ may include it, ui/ must not.

#include "backbonefile.h"
#include "options.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <memory>
#include <mutex>

namespace labelscope {

class Backbone {
public:
    /// Loads FILE and its sidecar onto DEVICE (Auto: CUDA when LibTorch sees a GPU, else the CPU)
    /// and checks them against each other with a probe batch of two zero images
    /// [2, channels, input_size, input_size]. Errors name the file and what differs: a missing or
    /// malformed sidecar (readBackboneSidecar), a file that is not TorchScript, a module that
    /// refuses the sidecar's input (e.g. another number of channels), an output that is not a
    /// tensor [2, embedding_dim] of floating point.
    static Result<std::shared_ptr<Backbone>> load(const QString &file, DeviceChoice device = DeviceChoice::Auto);

    const QString &file() const { return m_file; }
    const BackboneSidecar &sidecar() const { return m_sidecar; }
    QString deviceName() const { return m_device.is_cuda() ? QStringLiteral("cuda") : QStringLiteral("cpu"); }
    const torch::Device &device() const { return m_device; }

    /// Embeddings [B, D] float32 on the CPU of images uint8 [B, C, S, S] (C, S = the sidecar's
    /// channels and input_size; CPU): normalised ((x / 255 − mean) / std), run through forward()
    /// under no-grad in eval mode on the backbone's device. Throws (c10::Error, std::bad_alloc,
    /// or std::runtime_error for a wrong output shape) — callers run it inside a job boundary.
    /// Thread-safe (one forward at a time).
    torch::Tensor embed(const torch::Tensor &images);

    /// True when the backbone is a classifier: its sidecar lists classes and its module has a
    /// classify(e) method (written by `labelscope export-model`, modelexport.h).
    bool canClassify() const;
    /// Class scores (logits) [B, K] float32 on the CPU, K = the sidecar's classes, of embeddings
    /// [B, D] this backbone made (classify(e)). Throws like embed(), and std::logic_error when
    /// !canClassify(). Thread-safe.
    torch::Tensor classify(const torch::Tensor &embeddings);

    /// The TorchScript module itself (its parameters and buffers: finetune.h), on device().
    const torch::jit::Module &module() const { return m_module; }

private:
    Backbone() = default;
    QString m_file;
    BackboneSidecar m_sidecar;
    torch::Device m_device{torch::kCPU};
    torch::jit::Module m_module;
    torch::Tensor m_mean, m_std; ///< [1, C, 1, 1] on the device
    std::mutex m_mutex;
};

} // namespace labelscope
