#pragma once
// Data Parameters (Saxena, Tuzel, DeCoste, "Data Parameters: A New Family of Parameters for
// Learning a Differentiable Curriculum", NeurIPS 2019; reference code apple/ml-data-parameters).
//
// Each instance i (and optionally each class k) has a temperature σ, stored as log σ.
// σ_eff(i) = σ_class[y_i] + σ_inst[i] when both are learnt, else the one that is.
// The loss of a batch is mean_i CE(logits_i / σ_eff(i), y_i) plus, by hand on the rows of the
// current batch only, 0.5 · wd · Σ (log σ)² for each kind. The log σ rows are updated by a sparse
// SGD with momentum: only the rows present in the batch change value and momentum. After each step
// log σ is clamped to [log(1/20), log 20].
// A high learned σ_i means the model learned to ignore sample i: a sign of a wrong label.

#include <torch/torch.h>

namespace labelscope {

struct DataParametersConfig {
    bool learnInstance = true;
    bool learnClass = false;
    double instanceInit = 1.0;   ///< initial σ_inst (σ units, not log)
    double classInit = 1.0;      ///< initial σ_class
    double instanceLr = 0.2;
    double classLr = 0.1;
    double instanceWd = 0.0;     ///< weight decay on log σ_inst of the batch rows
    double classWd = 0.0;
    double momentum = 0.9;
    double minSigma = 1.0 / 20.0, maxSigma = 20.0;
};

/// One sparse-SGD-with-momentum step on the rows `rows` of param/buf (both [N], float, CPU or
/// the training device), as torch.optim.SGD(momentum) applied to a sparse gradient:
/// buf[r] = momentum · buf[r] + grad[r]; param[r] -= lr · buf[r]; then clamp param[r] to
/// [lo, hi]. grad is [R] aligned with rows [R] (int64, no duplicates). Rows not listed are
/// untouched. In place.
void sparseSgdStep(torch::Tensor &param, torch::Tensor &buf, const torch::Tensor &rows,
                   const torch::Tensor &grad, double lr, double momentum, double lo, double hi);

class DataParameters {
public:
    DataParameters(int64_t numInstances, int64_t numClasses, const DataParametersConfig &config,
                   torch::Device device);

    /// Leaf tensors for one batch: the log σ rows of the batch (requires grad). Call
    /// sigma() with them to get σ_eff [B], compute the loss (which should include
    /// weightDecay()), backward, then step().
    struct Batch {
        torch::Tensor indices;       ///< [B] int64 instance indices
        torch::Tensor targets;       ///< [B] int64 given labels
        torch::Tensor logSigmaInst;  ///< [B] leaf, requires grad (undefined if not learnt)
        torch::Tensor logSigmaClass; ///< [K] leaf, requires grad (undefined if not learnt)
    };
    Batch begin(const torch::Tensor &indices, const torch::Tensor &targets) const;
    /// σ_eff [B] for the batch (differentiable w.r.t. its leaves); all ones if nothing is learnt.
    torch::Tensor sigma(const Batch &batch) const;
    /// 0.5 · wd · Σ (log σ)² over the batch rows (instance) and the batch's classes (class).
    torch::Tensor weightDecay(const Batch &batch) const;
    /// Sparse momentum step for the rows of the batch (after backward), then clamp.
    void step(const Batch &batch);

    /// Current σ_inst of every instance [N] (CPU float), or ones if not learnt.
    torch::Tensor instanceSigma() const;
    /// Current σ_class [K] (CPU float), or ones if not learnt.
    torch::Tensor classSigma() const;
    const DataParametersConfig &config() const { return m_config; }

private:
    DataParametersConfig m_config;
    torch::Tensor m_logSigmaInst, m_bufInst;   // [N]
    torch::Tensor m_logSigmaClass, m_bufClass; // [K]
};

} // namespace labelscope
