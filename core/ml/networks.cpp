#include "networks.h"

#include <stdexcept>
#include <string>

namespace labelscope {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

ClassifierImpl::ClassifierImpl(int embeddingDim, int numClasses) : m_embeddingDim(embeddingDim)
{
    m_fc = register_module("fc", nn::Linear(embeddingDim, numClasses));
}

torch::Tensor ClassifierImpl::dropout(const torch::Tensor &x, double p, bool active)
{
    if (!active || p <= 0.0)
        return x;
    if (!m_dropoutGenerator.defined())
        return torch::nn::functional::dropout(x, torch::nn::functional::DropoutFuncOptions().p(p).training(true));
    auto keep = torch::empty_like(x).bernoulli_(1.0 - p, m_dropoutGenerator);
    return x * keep.div_(1.0 - p);
}

SmallCnnImpl::SmallCnnImpl(int channels, int side, int numClasses) : ClassifierImpl(128, numClasses)
{
    m_conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(channels, 32, 3).padding(1).bias(false)));
    m_bn1 = register_module("bn1", nn::BatchNorm2d(32));
    m_conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1).bias(false)));
    m_bn2 = register_module("bn2", nn::BatchNorm2d(64));
    const int pooled = side / 4;
    m_fc1 = register_module("fc1", nn::Linear(64 * pooled * pooled, m_embeddingDim));
    m_dropout = register_module("dropout", nn::Dropout(0.25));
}

torch::Tensor SmallCnnImpl::embed(const torch::Tensor &x)
{
    auto h = F::max_pool2d(torch::relu(m_bn1->forward(m_conv1->forward(x))), F::MaxPool2dFuncOptions(2));
    h = F::max_pool2d(torch::relu(m_bn2->forward(m_conv2->forward(h))), F::MaxPool2dFuncOptions(2));
    // The Dropout module holds the rate and the train/eval flag (MC dropout switches it alone).
    h = dropout(h.flatten(1), m_dropout->options.p(), m_dropout->is_training());
    return torch::relu(m_fc1->forward(h));
}

MediumCnnImpl::MediumCnnImpl(int channels, int side, int numClasses) : ClassifierImpl(128, numClasses)
{
    m_conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(channels, 32, 3).padding(1).bias(false)));
    m_bn1 = register_module("bn1", nn::BatchNorm2d(32));
    m_conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1).bias(false)));
    m_bn2 = register_module("bn2", nn::BatchNorm2d(64));
    m_conv3 = register_module("conv3", nn::Conv2d(nn::Conv2dOptions(64, 128, 3).padding(1).bias(false)));
    m_bn3 = register_module("bn3", nn::BatchNorm2d(128));
    const int pooled = side / 4;
    m_fc1 = register_module("fc1", nn::Linear(128 * pooled * pooled, m_embeddingDim));
    m_dropout = register_module("dropout", nn::Dropout(0.25));
}

torch::Tensor MediumCnnImpl::embed(const torch::Tensor &x)
{
    auto h = F::max_pool2d(torch::relu(m_bn1->forward(m_conv1->forward(x))), F::MaxPool2dFuncOptions(2));
    h = F::max_pool2d(torch::relu(m_bn2->forward(m_conv2->forward(h))), F::MaxPool2dFuncOptions(2));
    h = torch::relu(m_bn3->forward(m_conv3->forward(h)));
    h = dropout(h.flatten(1), m_dropout->options.p(), m_dropout->is_training());
    return torch::relu(m_fc1->forward(h));
}

SmallResNetImpl::SmallResNetImpl(int channels, int numClasses) : ClassifierImpl(128, numClasses)
{
    m_stem = register_module("stem", nn::Conv2d(nn::Conv2dOptions(channels, 32, 3).padding(1).bias(false)));
    m_stemBn = register_module("stem_bn", nn::BatchNorm2d(32));
    const int widths[] = {32, 64, 128};
    int in = 32;
    for (int s = 0; s < 3; ++s) {
        const int out = widths[s];
        const int stride = s == 0 ? 1 : 2;
        Block b;
        const std::string p = "block" + std::to_string(s) + "_";
        b.conv1 = register_module(p + "conv1", nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
        b.bn1 = register_module(p + "bn1", nn::BatchNorm2d(out));
        b.conv2 = register_module(p + "conv2", nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1).bias(false)));
        b.bn2 = register_module(p + "bn2", nn::BatchNorm2d(out));
        if (stride != 1 || in != out) {
            b.shortcut = register_module(p + "shortcut", nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)));
            b.bnShortcut = register_module(p + "bn_shortcut", nn::BatchNorm2d(out));
        }
        m_blocks.push_back(b);
        in = out;
    }
    m_fc1 = register_module("fc1", nn::Linear(128, m_embeddingDim));
}

torch::Tensor SmallResNetImpl::block(Block &b, const torch::Tensor &x)
{
    auto h = torch::relu(b.bn1->forward(b.conv1->forward(x)));
    h = b.bn2->forward(b.conv2->forward(h));
    auto s = b.shortcut ? b.bnShortcut->forward(b.shortcut->forward(x)) : x;
    return torch::relu(h + s);
}

torch::Tensor SmallResNetImpl::embed(const torch::Tensor &x)
{
    auto h = torch::relu(m_stemBn->forward(m_stem->forward(x)));
    for (auto &b : m_blocks)
        h = block(b, h);
    h = F::adaptive_avg_pool2d(h, F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1);
    return torch::relu(m_fc1->forward(h));
}

std::shared_ptr<ClassifierImpl> makeClassifier(int channels, int side, int numClasses, Architecture architecture)
{
    if (architecture == Architecture::SmallCnn) {
        if (side % 4 != 0)
            throw std::invalid_argument("small_cnn needs an image side divisible by 4, got " + std::to_string(side));
        return std::make_shared<SmallCnnImpl>(channels, side, numClasses);
    }
    if (architecture == Architecture::MediumCnn) {
        if (side % 4 != 0)
            throw std::invalid_argument("medium_cnn needs an image side divisible by 4, got " + std::to_string(side));
        return std::make_shared<MediumCnnImpl>(channels, side, numClasses);
    }
    if (architecture == Architecture::SmallResNet)
        return std::make_shared<SmallResNetImpl>(channels, numClasses);
    if (channels == 1 && side <= 32 && side % 4 == 0)
        return std::make_shared<SmallCnnImpl>(channels, side, numClasses);
    return std::make_shared<SmallResNetImpl>(channels, numClasses);
}

} // namespace labelscope
