// A trained network as TorchScript (modelexport_p.h) and the export-model job (modelexport.h).
#include "modelexport.h"
#include "modelexport_p.h"

#include "analysis_p.h"
#include "backbonefile.h"
#include "base/projectlocation.h"
#include "runtime.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace labelscope {

namespace {

// TorchScript source snippets over the registered attributes (names: module path with '_').
std::string conv(const std::string &x, const std::string &name, int stride, int padding)
{
    const std::string s = std::to_string(stride), p = std::to_string(padding);
    return "torch.conv2d(" + x + ", self." + name + "_weight, None, [" + s + ", " + s + "], [" + p + ", " + p + "])";
}

std::string bn(const std::string &x, const std::string &name)
{
    // torch.nn.BatchNorm2d in eval mode: the running statistics, LibTorch's defaults (eps 1e-5).
    return "torch.batch_norm(" + x + ", self." + name + "_weight, self." + name + "_bias, self." + name
        + "_running_mean, self." + name + "_running_var, False, 0.1, 1e-05, False)";
}

std::string linear(const std::string &x, const std::string &name)
{
    return "torch.addmm(self." + name + "_bias, " + x + ", self." + name + "_weight.t())";
}

std::string pool(const std::string &x)
{
    return "torch.max_pool2d(" + x + ", [2, 2], [2, 2])";
}

std::string embedSource(ClassifierImpl &net, const std::set<std::string> &names, bool linearEmbedding)
{
    std::string body;
    if (dynamic_cast<SmallCnnImpl *>(&net) || dynamic_cast<MediumCnnImpl *>(&net)) {
        body += "        h = torch.relu(" + pool(bn(conv("x", "conv1", 1, 1), "bn1")) + ")\n";
        body += "        h = torch.relu(" + pool(bn(conv("h", "conv2", 1, 1), "bn2")) + ")\n";
        if (dynamic_cast<MediumCnnImpl *>(&net))
            body += "        h = torch.relu(" + bn(conv("h", "conv3", 1, 1), "bn3") + ")\n";
        body += "        h = torch.flatten(h, 1)\n";
    } else if (dynamic_cast<SmallResNetImpl *>(&net)) {
        body += "        h = torch.relu(" + bn(conv("x", "stem", 1, 1), "stem_bn") + ")\n";
        for (int s = 0; s < 3; ++s) {
            const std::string p = "block" + std::to_string(s) + "_";
            const int stride = s == 0 ? 1 : 2;
            const bool shortcut = names.count(p + "shortcut_weight") > 0;
            body += "        r = torch.relu(" + bn(conv("h", p + "conv1", stride, 1), p + "bn1") + ")\n";
            body += "        r = " + bn(conv("r", p + "conv2", 1, 1), p + "bn2") + "\n";
            body += shortcut ? "        h = torch.relu(r + " + bn(conv("h", p + "shortcut", stride, 0), p + "bn_shortcut") + ")\n"
                             : std::string("        h = torch.relu(r + h)\n");
        }
        body += "        h = torch.mean(h, [2, 3])\n"; // adaptive_avg_pool2d(h, 1).flatten(1)
    } else {
        throw std::invalid_argument("export: unknown network type");
    }
    body += linearEmbedding ? "        return " + linear("h", "fc1") + "\n" : "        return torch.relu(" + linear("h", "fc1") + ")\n";
    return "    def embed(self, x: Tensor) -> Tensor:\n" + body;
}

} // namespace

torch::jit::Module scriptClassifier(ClassifierImpl &net, bool withLogits, bool linearEmbedding)
{
    if (withLogits && linearEmbedding)
        throw std::invalid_argument("export: the classification layer reads the ReLU embedding, not the linear one");
    torch::NoGradGuard noGrad;
    torch::jit::Module m("LabelscopeClassifier");
    std::set<std::string> names;
    for (const auto &p : net.named_parameters(true)) {
        const std::string name = scriptAttributeName(p.key());
        m.register_parameter(name, p.value().detach().to(torch::kCPU, torch::kFloat32).clone(), false);
        names.insert(name);
    }
    for (const auto &b : net.named_buffers(true)) {
        if (b.key().find("num_batches_tracked") != std::string::npos)
            continue;
        const std::string name = scriptAttributeName(b.key());
        m.register_buffer(name, b.value().detach().to(torch::kCPU, torch::kFloat32).clone());
        names.insert(name);
    }
    std::string source = embedSource(net, names, linearEmbedding)
        + "    def forward(self, x: Tensor) -> Tensor:\n"
          "        return self.embed(x)\n";
    if (withLogits)
        source += "    def logits(self, x: Tensor) -> Tensor:\n"
                  "        return " + linear("self.embed(x)", "fc") + "\n"
                  "    def classify(self, e: Tensor) -> Tensor:\n"
                  "        return " + linear("e", "fc") + "\n";
    // define() takes the methods at the left margin.
    std::string dedented;
    for (std::size_t at = 0; at < source.size();) {
        const std::size_t end = source.find('\n', at);
        const std::string line = source.substr(at, end - at);
        dedented += (line.rfind("    ", 0) == 0 ? line.substr(4) : line) + "\n";
        at = end == std::string::npos ? source.size() : end + 1;
    }
    m.define(dedented);
    m.eval();
    return m;
}

Result<> exportClassifier(ClassifierImpl &net, int channels, int side, const torch::Tensor &mean,
                          const torch::Tensor &std, const QStringList &classes, const QString &name,
                          const QString &outFile, const QJsonObject &provenance, bool linearEmbedding)
{
    BackboneSidecar s;
    s.name = name;
    s.inputSize = side;
    s.channels = channels;
    const auto m = mean.to(torch::kCPU, torch::kDouble).contiguous(), d = std.to(torch::kCPU, torch::kDouble).contiguous();
    s.mean.assign(m.data_ptr<double>(), m.data_ptr<double>() + m.numel());
    s.std.assign(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
    s.embeddingDim = net.embeddingDim();
    s.resize = BackboneResize::Stretch;
    s.classes = classes;
    s.provenance = provenance;
    if (Result<> checked = checkBackboneSidecar(s, backboneSidecarPath(outFile)); !checked)
        return checked;
    const QFileInfo fi(outFile);
    if (fi.isDir())
        return Result<>::failure(QStringLiteral("%1: is a folder").arg(outFile));
    if (!QFileInfo(fi.absolutePath()).isDir())
        return Result<>::failure(QStringLiteral("%1: the folder %2 does not exist").arg(outFile, fi.absolutePath()));
    const QString temporary = fi.absoluteFilePath() + QStringLiteral(".part");
    try {
        torch::jit::Module module = scriptClassifier(net, !classes.isEmpty(), linearEmbedding);
        module.save(QFile::encodeName(temporary).toStdString());
    } catch (...) {
        QFile::remove(temporary);
        return Result<>::failure(QStringLiteral("%1: cannot write the TorchScript module: %2")
                                     .arg(outFile, exceptionMessage(std::current_exception())));
    }
    if (QFile::exists(fi.absoluteFilePath()) && !QFile::remove(fi.absoluteFilePath())) {
        QFile::remove(temporary);
        return Result<>::failure(QStringLiteral("%1: cannot replace the existing file").arg(outFile));
    }
    if (!QFile::rename(temporary, fi.absoluteFilePath())) {
        QFile::remove(temporary);
        return Result<>::failure(QStringLiteral("%1: cannot write (rename from %2 failed)").arg(outFile, temporary));
    }
    return writeBackboneSidecar(fi.absoluteFilePath(), s);
}

Result<ExportModelResult> runExportModel(const ExportModelParams &params, JobContext &context)
{
    using R = Result<ExportModelResult>;
    QElapsedTimer clock;
    clock.start();
    if (Result<> writable = checkBackboneOutFile(params.outFile); !writable)
        return R::from(writable);
    const QFileInfo outInfo(params.outFile);
    if (!ProjectLocation::isUrl(params.projectFile) && !QFileInfo::exists(params.projectFile))
        return R::failure(QStringLiteral("%1: no such project").arg(params.projectFile));
    const Result<QString> deviceName = resolveDevice(params.device);
    if (!deviceName)
        return R::from(deviceName);
    configureRuntime(params.threads);
    ProjectStore store;
    QString error;
    if (!store.open(params.projectFile, &error))
        return R::failure(error);
    if (store.sampleCount() == 0)
        return R::failure(QStringLiteral("%1: the project is empty; analyse a dataset first").arg(params.projectFile));
    // The run whose settings are used.
    QJsonObject settings;
    qint64 runId = params.runId;
    {
        const std::vector<RunInfo> runs = store.runs();
        const RunInfo *chosen = nullptr;
        for (auto it = runs.crbegin(); it != runs.crend(); ++it)
            if (runId > 0 ? it->id == runId : it->status == QLatin1String("done")) {
                chosen = &*it;
                break;
            }
        if (runId > 0 && !chosen)
            return R::failure(QStringLiteral("%1: no run %2").arg(params.projectFile).arg(runId));
        if (chosen) {
            settings = chosen->settings;
            runId = chosen->id;
        }
    }
    if (settings.value(QStringLiteral("method")).toString() == enumName(kAnalysisMethodNames, AnalysisMethod::Embedding))
        return R::failure(QStringLiteral("%1: run %2 analysed backbone embeddings and trained no image network; "
                                         "give a run of another method (--run R)").arg(params.projectFile).arg(runId));
    AnalysisParams loadParams;
    loadParams.projectFile = params.projectFile;
    Result<AnalysisData> loaded = loadAnalysisData(store, loadParams, context, true);
    if (!loaded)
        return R::from(loaded);
    const AnalysisData &data = loaded.value();

    TrainerConfig config;
    config.epochs = params.epochs > 0 ? params.epochs : settings.value(QStringLiteral("epochs")).toInt(0);
    if (config.epochs <= 0)
        config.epochs = int(std::clamp<qint64>(400000 / std::max<qint64>(data.n(), 1), 12, 30)); // analysis.cpp's single-model rule
    config.batchSize = settings.value(QStringLiteral("batch_size")).toInt(128);
    config.lr = settings.value(QStringLiteral("lr")).toDouble(config.lr);
    config.seed = settings.value(QStringLiteral("seed")).toString(QStringLiteral("1")).toULongLong();
    config.hflip = settings.contains(QStringLiteral("hflip")) ? settings.value(QStringLiteral("hflip")).toBool()
                                                              : !looksLikeDigits(data.classes);
    config.dataParameters.instanceLr = settings.value(QStringLiteral("instance_lr")).toDouble(4.0);
    config.dataParameters.learnClass = settings.value(QStringLiteral("class_parameters")).toBool(false);
    config.device = deviceName.value() == QLatin1String("cuda") ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    config.precision = resolvePrecision(enumFromName(kPrecisionNames, settings.value(QStringLiteral("precision")).toString())
                                            .value_or(Precision::Auto),
                                        config.device);
    const Architecture wanted = enumFromName(kArchitectureNames, settings.value(QStringLiteral("model")).toString()).value_or(Architecture::Auto);
    config.architecture = resolveArchitecture(wanted, int(data.dataset.channels), int(data.dataset.height), config.precision, config.device);

    auto gather = [&](const std::vector<int64_t> &idx) {
        auto all = torch::from_blob(const_cast<std::uint8_t *>(data.dataset.pixels.data()),
                                    {qint64(data.dataset.samples.size()), data.dataset.channels, data.dataset.height, data.dataset.width},
                                    torch::kUInt8);
        return all.index_select(0, torch::tensor(at::ArrayRef<int64_t>(idx), torch::kLong)).clone();
    };
    TrainData train{gather(data.trainImage), torch::tensor(at::ArrayRef<int64_t>(data.trainLabels), torch::kLong)};
    TrainData test;
    if (!data.testImage.empty())
        test = TrainData{gather(data.testImage), torch::tensor(at::ArrayRef<int64_t>(data.testLabels), torch::kLong)};
    context.stage(QStringLiteral("training"), 0.05, 0.95);
    TrainOutput out;
    QString trainError;
    const bool trained = trainWithDataParameters(
        train, &test, int(data.classes.size()), config, context.cancelFlag(),
        [&](const TrainProgress &tp) {
            context.progress(tp.evaluating ? 1.0 : (double(tp.epoch - 1) + double(tp.batch) / double(std::max<int64_t>(tp.batches, 1))) / tp.epochs,
                             tp.evaluating ? QStringLiteral("evaluating")
                                           : QStringLiteral("epoch %1/%2 batch %3/%4 loss %5").arg(tp.epoch).arg(tp.epochs).arg(tp.batch)
                                                 .arg(tp.batches).arg(tp.loss, 0, 'f', 4));
        },
        &out, &trainError);
    if (!trained)
        return trainError == QLatin1String("cancelled") ? R::cancelled() : R::failure(trainError);
    context.stage(QStringLiteral("exporting"), 0.95, 1.0);
    ExportModelResult result;
    result.model = enumName(kArchitectureNames, config.architecture);
    const QString name = QStringLiteral("%1 of %2%3").arg(result.model, QFileInfo(params.projectFile).fileName(),
                                                          runId > 0 ? QStringLiteral(" run %1").arg(runId) : QString());
    if (Result<> written = exportClassifier(*out.model, int(data.dataset.channels), int(data.dataset.height), out.normMean,
                                            out.normStd, data.classes, name, params.outFile);
        !written)
        return R::from(written);
    result.outFile = outInfo.absoluteFilePath();
    result.sidecarFile = backboneSidecarPath(result.outFile);
    result.samples = data.n();
    result.epochs = config.epochs;
    result.testAccuracy = out.testAccuracy;
    result.seconds = clock.elapsed() / 1000.0;
    context.progress(1.0);
    return result;
}

} // namespace labelscope
