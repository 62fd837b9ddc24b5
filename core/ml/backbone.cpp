// Loading and running a TorchScript backbone (backbone.h).
#include "backbone.h"

#include "analysis.h"
#include "jobs/job.h"

#include <QFileInfo>

#include <stdexcept>

namespace labelscope {

namespace {

// A TorchScript error's message for a person: the most telling line (LibTorch's messages carry
// the serialized code's traceback after it).
QString shortMessage(std::exception_ptr e)
{
    const QString full = exceptionMessage(e);
    const QStringList lines = full.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    // The runtime error of a scripted call ends with "RuntimeError: <what>"; prefer that line.
    for (auto it = lines.crbegin(); it != lines.crend(); ++it)
        if (it->contains(QLatin1String("Error:")))
            return it->trimmed();
    return lines.isEmpty() ? full : lines.first().trimmed();
}

QString shapeText(const torch::Tensor &t)
{
    QStringList dims;
    for (int64_t d : t.sizes())
        dims << QString::number(d);
    return QLatin1Char('[') + dims.join(QStringLiteral(", ")) + QLatin1Char(']');
}

} // namespace

Result<std::shared_ptr<Backbone>> Backbone::load(const QString &file, DeviceChoice choice)
{
    using R = Result<std::shared_ptr<Backbone>>;
    const QFileInfo fi(file);
    if (!fi.exists())
        return R::failure(QStringLiteral("%1: no such backbone file").arg(file));
    if (!fi.isFile())
        return R::failure(QStringLiteral("%1: not a regular file").arg(file));
    Result<BackboneSidecar> sidecar = readBackboneSidecar(file);
    if (!sidecar)
        return R::from(sidecar);
    const Result<QString> deviceName = resolveDevice(choice);
    if (!deviceName)
        return R::from(deviceName);
    std::shared_ptr<Backbone> b(new Backbone);
    b->m_file = fi.absoluteFilePath();
    b->m_sidecar = sidecar.value();
    b->m_device = deviceName.value() == QLatin1String("cuda") ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    try {
        b->m_module = torch::jit::load(QFile::encodeName(b->m_file).toStdString(), b->m_device);
    } catch (...) {
        return R::failure(QStringLiteral("%1: not a TorchScript module (torch.jit.save / torch::jit::Module::save): %2")
                              .arg(file, shortMessage(std::current_exception())));
    }
    b->m_module.eval();
    const BackboneSidecar &s = b->m_sidecar;
    auto channelStats = [&](const std::vector<double> &v) {
        return torch::tensor(std::vector<float>(v.begin(), v.end())).view({1, -1, 1, 1}).to(b->m_device);
    };
    b->m_mean = channelStats(s.mean);
    b->m_std = channelStats(s.std);
    // The probe: two zero images of the sidecar's shape must give [2, embedding_dim].
    torch::jit::IValue output;
    try {
        if (!b->m_module.find_method("forward"))
            return R::failure(QStringLiteral("%1: the TorchScript module has no forward() method").arg(file));
        torch::NoGradGuard noGrad;
        output = b->m_module.forward({torch::zeros({2, s.channels, s.inputSize, s.inputSize}, torch::TensorOptions(b->m_device))});
    } catch (...) {
        return R::failure(QStringLiteral("%1: the module refuses the input its sidecar %2 describes (%3 channel(s), %4×%4 "
                                         "pixels: a batch [2, %3, %4, %4]): %5")
                              .arg(file, backboneSidecarPath(file)).arg(s.channels).arg(s.inputSize)
                              .arg(shortMessage(std::current_exception())));
    }
    if (!output.isTensor())
        return R::failure(QStringLiteral("%1: forward() returns a %2, not a tensor [B, embedding_dim]")
                              .arg(file, QString::fromStdString(output.tagKind())));
    const torch::Tensor out = output.toTensor();
    if (out.dim() != 2 || out.size(0) != 2 || out.size(1) != s.embeddingDim)
        return R::failure(QStringLiteral("%1: forward() of a batch [2, %2, %3, %3] returns %4; the sidecar %5 says [2, %6] "
                                         "(embedding_dim %6)")
                              .arg(file).arg(s.channels).arg(s.inputSize).arg(shapeText(out), backboneSidecarPath(file))
                              .arg(s.embeddingDim));
    if (!out.is_floating_point())
        return R::failure(QStringLiteral("%1: forward() returns integers; embeddings must be floating point").arg(file));
    return R(std::move(b));
}

torch::Tensor Backbone::embed(const torch::Tensor &images)
{
    const BackboneSidecar &s = m_sidecar;
    if (images.dim() != 4 || images.size(1) != s.channels || images.size(2) != s.inputSize || images.size(3) != s.inputSize)
        throw std::invalid_argument("backbone input must be [B, " + std::to_string(s.channels) + ", "
                                    + std::to_string(s.inputSize) + ", " + std::to_string(s.inputSize) + "]");
    const std::lock_guard<std::mutex> lock(m_mutex);
    torch::NoGradGuard noGrad;
    auto x = images.to(m_device).to(torch::kFloat32).div_(255.0f).sub_(m_mean).div_(m_std);
    auto run = [&](const torch::Tensor &input) {
        const torch::jit::IValue output = m_module.forward({input});
        if (!output.isTensor())
            throw std::runtime_error("backbone forward() did not return a tensor");
        auto out = output.toTensor();
        if (out.dim() != 2 || out.size(0) != images.size(0) || out.size(1) != s.embeddingDim)
            throw std::runtime_error("backbone forward() returned " + shapeText(out).toStdString() + ", expected ["
                                     + std::to_string(images.size(0)) + ", " + std::to_string(s.embeddingDim) + "]");
        return out.to(torch::kFloat32);
    };
    auto out = run(x);
    if (s.ttaHflip) // test-time augmentation: the mean over the image and its mirror image
        out = out.add(run(x.flip({3}))).mul_(0.5f);
    return out.to(torch::kCPU).contiguous();
}

bool Backbone::canClassify() const
{
    return !m_sidecar.classes.isEmpty() && m_module.find_method("classify").has_value();
}

torch::Tensor Backbone::classify(const torch::Tensor &embeddings)
{
    if (!canClassify())
        throw std::logic_error(m_file.toStdString() + ": the backbone is not a classifier (no classes or no classify method)");
    const int64_t k = m_sidecar.classes.size();
    const std::lock_guard<std::mutex> lock(m_mutex);
    torch::NoGradGuard noGrad;
    const torch::jit::IValue output = m_module.run_method("classify", embeddings.to(m_device).to(torch::kFloat32));
    if (!output.isTensor())
        throw std::runtime_error(m_file.toStdString() + ": classify() did not return a tensor");
    auto out = output.toTensor();
    if (out.dim() != 2 || out.size(0) != embeddings.size(0) || out.size(1) != k)
        throw std::runtime_error(m_file.toStdString() + ": classify() returned " + shapeText(out).toStdString() + ", expected ["
                                 + std::to_string(embeddings.size(0)) + ", " + std::to_string(k) + "] (the sidecar's classes)");
    return out.to(torch::kCPU, torch::kFloat32).contiguous();
}

} // namespace labelscope
