// A Labelscope-made backbone's weights as the starting point of a network (finetune.h).
#include "finetune.h"

#include "backbone.h"
#include "modelexport_p.h"
#include "networks.h"

#include <QStringList>

#include <map>
#include <stdexcept>

namespace labelscope {

namespace {

// The weights a network is initialised with: every parameter and buffer but the classification
// layer's and BatchNorm's step counters, by the network's names.
std::vector<std::pair<std::string, torch::Tensor>> bodyTensors(ClassifierImpl &net)
{
    std::vector<std::pair<std::string, torch::Tensor>> out;
    auto keep = [](const std::string &name) {
        return name.rfind("fc.", 0) != 0 && name.find("num_batches_tracked") == std::string::npos;
    };
    for (const auto &p : net.named_parameters(true))
        if (keep(p.key()))
            out.emplace_back(p.key(), p.value());
    for (const auto &b : net.named_buffers(true))
        if (keep(b.key()))
            out.emplace_back(b.key(), b.value());
    return out;
}

// The module's tensors but the classification layer's, by attribute name (scriptAttributeName).
std::map<std::string, torch::Tensor> moduleBodyTensors(const torch::jit::Module &module)
{
    std::map<std::string, torch::Tensor> out;
    auto add = [&](const std::string &name, const torch::Tensor &t) {
        if (name.rfind("fc_", 0) != 0)
            out.emplace(name, t.detach().to(torch::kCPU, torch::kFloat32));
    };
    for (const auto &p : module.named_parameters(false))
        add(p.name, p.value);
    for (const auto &b : module.named_buffers(false))
        add(b.name, b.value);
    return out;
}

} // namespace

std::shared_ptr<ClassifierImpl> InitialWeights::makeNetwork(int numClasses) const
{
    auto net = makeClassifier(channels, side, numClasses, architecture);
    torch::NoGradGuard noGrad;
    std::map<std::string, torch::Tensor> target;
    for (auto &[name, t] : bodyTensors(*net))
        target.emplace(name, t);
    for (const auto &[name, t] : tensors)
        target.at(name).copy_(t);
    return net;
}

Result<std::shared_ptr<const InitialWeights>> loadInitialWeights(const QString &backboneFile, int channels, int height,
                                                                 int width)
{
    using R = Result<std::shared_ptr<const InitialWeights>>;
    // The sidecar, the TorchScript file and a probe batch, checked as for any backbone.
    Result<std::shared_ptr<Backbone>> backbone = Backbone::load(backboneFile, DeviceChoice::Cpu);
    if (!backbone)
        return R::from(backbone);
    const BackboneSidecar &s = backbone.value()->sidecar();
    if (s.channels != channels)
        return R::failure(QStringLiteral("%1: the backbone takes %2 channel(s), the dataset's images have %3")
                              .arg(backboneFile).arg(s.channels).arg(channels));
    if (height != width || s.inputSize != height)
        return R::failure(QStringLiteral("%1: fine-tuning trains on the dataset's %2×%3 images, the backbone takes %4×%4 "
                                         "(input_size): pretrain it with --image-size %2, or use it as frozen features")
                              .arg(backboneFile).arg(width).arg(height).arg(s.inputSize));
    const std::map<std::string, torch::Tensor> found = moduleBodyTensors(backbone.value()->module());
    QStringList tried;
    for (const Architecture a : {Architecture::SmallCnn, Architecture::MediumCnn, Architecture::SmallResNet}) {
        std::shared_ptr<ClassifierImpl> net;
        try {
            net = makeClassifier(channels, height, 2, a);
        } catch (const std::invalid_argument &) {
            continue; // this network cannot take this side
        }
        tried << enumName(kArchitectureNames, a);
        const auto body = bodyTensors(*net);
        if (body.size() != found.size())
            continue;
        auto w = std::make_shared<InitialWeights>();
        for (const auto &[name, t] : body) {
            const auto it = found.find(scriptAttributeName(name));
            if (it == found.end() || !it->second.sizes().equals(t.sizes()))
                break;
            w->tensors.emplace_back(name, it->second.clone());
        }
        if (w->tensors.size() != body.size())
            continue;
        w->file = backbone.value()->file();
        w->name = s.name;
        w->architecture = a;
        w->channels = channels;
        w->side = height;
        w->mean = torch::tensor(std::vector<float>(s.mean.begin(), s.mean.end()));
        w->std = torch::tensor(std::vector<float>(s.std.begin(), s.std.end()));
        return R(std::shared_ptr<const InitialWeights>(std::move(w)));
    }
    return R::failure(QStringLiteral("%1: fine-tuning needs a network Labelscope made (labelscope pretrain or export-model); "
                                     "this module's weights match none of %2 for %3×%4 images. Use it as frozen "
                                     "features (--backbone without --fine-tune)")
                          .arg(backboneFile, tried.join(QStringLiteral(", "))).arg(width).arg(height));
}

} // namespace labelscope
