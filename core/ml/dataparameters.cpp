#include "dataparameters.h"

#include <cmath>

namespace labelscope {

void sparseSgdStep(torch::Tensor &param, torch::Tensor &buf, const torch::Tensor &rows,
                   const torch::Tensor &grad, double lr, double momentum, double lo, double hi)
{
    torch::NoGradGuard noGrad;
    auto b = buf.index_select(0, rows).mul_(momentum).add_(grad);
    buf.index_copy_(0, rows, b);
    auto p = param.index_select(0, rows).sub_(b, lr).clamp_(lo, hi);
    param.index_copy_(0, rows, p);
}

DataParameters::DataParameters(int64_t numInstances, int64_t numClasses,
                               const DataParametersConfig &config, torch::Device device)
    : m_config(config)
{
    auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    if (config.learnInstance) {
        m_logSigmaInst = torch::full({numInstances}, std::log(config.instanceInit), opts);
        m_bufInst = torch::zeros({numInstances}, opts);
    }
    if (config.learnClass) {
        m_logSigmaClass = torch::full({numClasses}, std::log(config.classInit), opts);
        m_bufClass = torch::zeros({numClasses}, opts);
    }
}

DataParameters::Batch DataParameters::begin(const torch::Tensor &indices, const torch::Tensor &targets) const
{
    Batch b;
    b.indices = indices;
    b.targets = targets;
    if (m_config.learnInstance)
        b.logSigmaInst = m_logSigmaInst.index_select(0, indices).detach().requires_grad_(true);
    if (m_config.learnClass)
        b.logSigmaClass = m_logSigmaClass.detach().clone().requires_grad_(true);
    return b;
}

torch::Tensor DataParameters::sigma(const Batch &batch) const
{
    torch::Tensor s;
    if (batch.logSigmaInst.defined())
        s = batch.logSigmaInst.exp();
    if (batch.logSigmaClass.defined()) {
        auto c = batch.logSigmaClass.exp().index_select(0, batch.targets);
        s = s.defined() ? s + c : c;
    }
    if (!s.defined())
        s = torch::ones({batch.indices.size(0)}, batch.indices.options().dtype(torch::kFloat32));
    return s;
}

torch::Tensor DataParameters::weightDecay(const Batch &batch) const
{
    auto total = torch::zeros({}, torch::TensorOptions().device(batch.indices.device()));
    if (batch.logSigmaInst.defined() && m_config.instanceWd > 0)
        total = total + 0.5 * m_config.instanceWd * batch.logSigmaInst.pow(2).sum();
    if (batch.logSigmaClass.defined() && m_config.classWd > 0) {
        auto present = std::get<0>(torch::_unique(batch.targets));
        total = total + 0.5 * m_config.classWd * batch.logSigmaClass.index_select(0, present).pow(2).sum();
    }
    return total;
}

void DataParameters::step(const Batch &batch)
{
    const double lo = std::log(m_config.minSigma), hi = std::log(m_config.maxSigma);
    if (batch.logSigmaInst.defined() && batch.logSigmaInst.grad().defined())
        sparseSgdStep(m_logSigmaInst, m_bufInst, batch.indices, batch.logSigmaInst.grad(),
                      m_config.instanceLr, m_config.momentum, lo, hi);
    if (batch.logSigmaClass.defined() && batch.logSigmaClass.grad().defined()) {
        // Only the classes of this batch have a gradient; the others keep value and momentum.
        auto present = std::get<0>(torch::_unique(batch.targets));
        sparseSgdStep(m_logSigmaClass, m_bufClass, present,
                      batch.logSigmaClass.grad().index_select(0, present),
                      m_config.classLr, m_config.momentum, lo, hi);
    }
}

torch::Tensor DataParameters::instanceSigma() const
{
    return m_logSigmaInst.defined() ? m_logSigmaInst.exp().cpu() : torch::Tensor();
}

torch::Tensor DataParameters::classSigma() const
{
    return m_logSigmaClass.defined() ? m_logSigmaClass.exp().cpu() : torch::Tensor();
}

} // namespace labelscope
