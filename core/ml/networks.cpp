#include "networks.h"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace labelscope {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

template <typename T>
void maxPool2x2Forward(const T *in, T *o, uint8_t *a, int64_t planes, int64_t h, int64_t w)
{
    const int64_t oh = h / 2, ow = w / 2;
    at::parallel_for(0, planes, 16, [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) {
            const T *ip = in + p * h * w;
            T *op = o + p * oh * ow;
            uint8_t *ap = a + p * oh * ow;
            for (int64_t r = 0; r < oh; ++r) {
                const T *r0 = ip + 2 * r * w, *r1 = r0 + w;
                for (int64_t c = 0; c < ow; ++c) {
                    const float v[4] = {float(r0[2 * c]), float(r0[2 * c + 1]), float(r1[2 * c]), float(r1[2 * c + 1])};
                    // max_pool2d's rule: a later cell wins only if greater, or if it is NaN.
                    uint8_t k = 0;
                    for (uint8_t j = 1; j < 4; ++j)
                        if (v[j] > v[k] || std::isnan(v[j]))
                            k = j;
                    op[r * ow + c] = T(v[k]);
                    ap[r * ow + c] = k;
                }
            }
        }
    });
}

template <typename T>
void maxPool2x2Backward(const T *gp, const uint8_t *a, T *gi, int64_t planes, int64_t h, int64_t w)
{
    const int64_t oh = h / 2, ow = w / 2;
    at::parallel_for(0, planes, 16, [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p)
            for (int64_t r = 0; r < oh; ++r)
                for (int64_t c = 0; c < ow; ++c) {
                    const int64_t i = p * oh * ow + r * ow + c;
                    gi[p * h * w + (2 * r + a[i] / 2) * w + 2 * c + a[i] % 2] = gp[i];
                }
    });
}

// Forward keeps which of the four window cells won (0..3, row-major) for the backward pass.
// float32, and bfloat16 for mixed-precision training (trainingLogits).
class MaxPool2x2Function : public torch::autograd::Function<MaxPool2x2Function> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &input)
    {
        const auto x = input.contiguous();
        const int64_t h = x.size(2), w = x.size(3), planes = x.size(0) * x.size(1);
        auto out = torch::empty({x.size(0), x.size(1), h / 2, w / 2}, x.options());
        auto arg = torch::empty({x.size(0), x.size(1), h / 2, w / 2}, x.options().dtype(torch::kUInt8));
        if (x.scalar_type() == torch::kBFloat16)
            maxPool2x2Forward(x.data_ptr<at::BFloat16>(), out.data_ptr<at::BFloat16>(), arg.data_ptr<uint8_t>(), planes, h, w);
        else
            maxPool2x2Forward(x.data_ptr<float>(), out.data_ptr<float>(), arg.data_ptr<uint8_t>(), planes, h, w);
        ctx->save_for_backward({arg});
        ctx->saved_data["h"] = h;
        ctx->saved_data["w"] = w;
        return out;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                   torch::autograd::variable_list gradOutputs)
    {
        const auto arg = ctx->get_saved_variables()[0];
        const int64_t h = ctx->saved_data["h"].toInt(), w = ctx->saved_data["w"].toInt();
        const auto g = gradOutputs[0].contiguous();
        const int64_t planes = g.size(0) * g.size(1);
        auto gradIn = torch::zeros({g.size(0), g.size(1), h, w}, g.options());
        if (g.scalar_type() == torch::kBFloat16)
            maxPool2x2Backward(g.data_ptr<at::BFloat16>(), arg.data_ptr<uint8_t>(), gradIn.data_ptr<at::BFloat16>(), planes, h, w);
        else
            maxPool2x2Backward(g.data_ptr<float>(), arg.data_ptr<uint8_t>(), gradIn.data_ptr<float>(), planes, h, w);
        return {gradIn};
    }
};

} // namespace

torch::Tensor maxPool2x2(const torch::Tensor &x)
{
    const bool supported = x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kBFloat16;
    if (x.dim() != 4 || !x.device().is_cpu() || !supported || x.size(2) % 2 || x.size(3) % 2)
        return F::max_pool2d(x, F::MaxPool2dFuncOptions(2));
    return MaxPool2x2Function::apply(x);
}

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
    // uniform_ < keep rate: the same Bernoulli mask, 2.7x faster than bernoulli_ with a generator
    // on the CPU here (1.7 vs 4.6 ms for 128 x 3136).
    // The mask is drawn in float32 whatever x's type (bfloat16 under mixed precision), so that
    // both precisions draw the same masks from the same generator.
    auto keep = torch::empty(x.sizes(), x.options().dtype(torch::kFloat)).uniform_(0.0, 1.0, m_dropoutGenerator).lt_(1.0 - p);
    return x * keep.div_(1.0 - p).to(x.scalar_type());
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

torch::Tensor SmallCnnImpl::linearEmbed(const torch::Tensor &x)
{
    // ReLU after the pooling: the same values and gradients as before it (max and ReLU commute),
    // on a quarter of the elements.
    auto h = torch::relu(maxPool2x2(m_bn1->forward(m_conv1->forward(x))));
    h = torch::relu(maxPool2x2(m_bn2->forward(m_conv2->forward(h))));
    // The Dropout module holds the rate and the train/eval flag (MC dropout switches it alone).
    h = dropout(h.flatten(1), m_dropout->options.p(), m_dropout->is_training());
    return m_fc1->forward(h);
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

torch::Tensor MediumCnnImpl::linearEmbed(const torch::Tensor &x)
{
    // ReLU after the pooling: the same values and gradients as before it (max and ReLU commute),
    // on a quarter of the elements.
    auto h = torch::relu(maxPool2x2(m_bn1->forward(m_conv1->forward(x))));
    h = torch::relu(maxPool2x2(m_bn2->forward(m_conv2->forward(h))));
    h = torch::relu(m_bn3->forward(m_conv3->forward(h)));
    h = dropout(h.flatten(1), m_dropout->options.p(), m_dropout->is_training());
    return m_fc1->forward(h);
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

torch::Tensor SmallResNetImpl::linearEmbed(const torch::Tensor &x)
{
    auto h = torch::relu(m_stemBn->forward(m_stem->forward(x)));
    for (auto &b : m_blocks)
        h = block(b, h);
    h = F::adaptive_avg_pool2d(h, F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1);
    return m_fc1->forward(h);
}

Architecture resolveArchitecture(Architecture architecture, int channels, int side, Precision precision,
                                 const torch::Device &device)
{
    if (architecture != Architecture::Auto)
        return architecture;
    if (channels != 1 || side > 32 || side % 4 != 0)
        return Architecture::SmallResNet;
    return precision == Precision::BFloat16 || device.is_cuda() ? Architecture::MediumCnn : Architecture::SmallCnn;
}

bool cpuHasNativeBf16()
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
#else
    return false;
#endif
}

Precision resolvePrecision(Precision precision, const torch::Device &device)
{
    if (precision != Precision::Auto)
        return precision;
    return device.is_cpu() && cpuHasNativeBf16() ? Precision::BFloat16 : Precision::Float32;
}

namespace {

// CPU autocast to bfloat16 for one forward pass, as Python's torch.autocast("cpu"): state
// restored and the cache of cast weights dropped on exit (they change at every optimiser step).
class CpuAutocastBf16 {
public:
    CpuAutocastBf16()
        : m_enabled(at::autocast::is_cpu_enabled()), m_dtype(at::autocast::get_autocast_cpu_dtype())
    {
        at::autocast::set_cpu_enabled(true);
        at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        at::autocast::increment_nesting();
    }
    ~CpuAutocastBf16()
    {
        if (at::autocast::decrement_nesting() == 0)
            at::autocast::clear_cache();
        at::autocast::set_cpu_enabled(m_enabled);
        at::autocast::set_autocast_cpu_dtype(m_dtype);
    }
    CpuAutocastBf16(const CpuAutocastBf16 &) = delete;
    CpuAutocastBf16 &operator=(const CpuAutocastBf16 &) = delete;

private:
    bool m_enabled;
    at::ScalarType m_dtype;
};

} // namespace

torch::Tensor trainingLogits(ClassifierImpl &net, const torch::Tensor &x, Precision precision)
{
    if (precision != Precision::BFloat16)
        return net.forward(x);
    torch::Tensor features;
    {
        const CpuAutocastBf16 autocast;
        features = net.embed(x);
    }
    return net.head(features.to(torch::kFloat));
}

std::shared_ptr<ClassifierImpl> makeClassifier(int channels, int side, int numClasses, Architecture architecture)
{
    architecture = resolveArchitecture(architecture, channels, side, Precision::Float32, torch::kCPU);
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
    return std::make_shared<SmallResNetImpl>(channels, numClasses);
}

} // namespace labelscope
