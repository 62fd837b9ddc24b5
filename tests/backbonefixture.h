#pragma once
// Test fixture shared by the backbone tests of active learning and t-SNE (core and command line):
// a tiny SmallCnn trained for a few epochs on Fashion-MNIST training images that the tests'
// subsets do not use, exported as TorchScript + sidecar (modelexport_p.h) — the way a user's
// `labelscope export-model` file reaches --backbone. No Python involved.

#include "base/dataset.h"
#include "ml/activelearning.h"
#include "ml/backbonefile.h"
#include "ml/modelexport_p.h"
#include "ml/networks.h"

#include <QFile>
#include <QString>

namespace labelscope::testing {

/// runAlSimulation on the CPU in a job context of its own; TABLE: embeddings made beforehand, or
/// null (the job makes them when the config has a backbone to embed with).
inline Result<AlCurve> simulateOnCpu(const Dataset &data, const AlConfig &config, quint64 seed,
                                     const EmbeddingTable *table = nullptr)
{
    JobContext context(QStringLiteral("al-simulate"), nullptr);
    return runAlSimulation(data, config, seed, QStringLiteral("cpu"), context, table);
}

/// Trains the fixture network on the Fashion-MNIST training images [skip, skip + count) and
/// writes it to FILE (with FILE's .json sidecar). Returns an empty string or the error.
inline QString writeTrainedBackbone(const QString &file, int skip = 300, int count = 1500, int epochs = 3)
{
    LoadOptions options;
    options.limit = skip + count;
    LoadResult loaded = loadDataset(QStringLiteral("fashion-mnist"), options);
    if (!loaded.ok())
        return loaded.error;
    const Dataset &d = loaded.dataset;
    std::vector<int64_t> rows, labels;
    int seen = 0;
    for (std::size_t i = 0; i < d.samples.size(); ++i)
        if (d.samples[i].split != QLatin1String("test") && seen++ >= skip) {
            rows.push_back(int64_t(i));
            labels.push_back(d.samples[i].label);
        }
    const auto all = torch::from_blob(const_cast<std::uint8_t *>(d.pixels.data()),
                                      {int64_t(d.samples.size()), int64_t(d.channels), int64_t(d.height), int64_t(d.width)}, torch::kUInt8);
    const auto mean = torch::tensor({0.29f}), sd = torch::tensor({0.35f});
    const auto x = (all.index_select(0, torch::tensor(rows)).to(torch::kFloat32) / 255.0 - 0.29) / 0.35;
    const auto y = torch::tensor(labels);
    torch::manual_seed(5);
    auto net = makeClassifier(1, 28, 10, Architecture::SmallCnn);
    torch::optim::Adam optimiser(net->parameters(), torch::optim::AdamOptions(2e-3));
    const int64_t n = x.size(0), batch = 64;
    for (int e = 0; e < epochs; ++e) {
        net->train();
        const auto perm = torch::randperm(n);
        for (int64_t b = 0; b < n; b += batch) {
            const auto idx = perm.narrow(0, b, std::min(batch, n - b));
            const auto loss = torch::nn::functional::cross_entropy(net->forward(x.index_select(0, idx)), y.index_select(0, idx));
            optimiser.zero_grad();
            loss.backward();
            optimiser.step();
        }
    }
    net->eval();
    const Result<> written = exportClassifier(*net, 1, 28, mean, sd, fashionMnistClasses(), QStringLiteral("fixture small_cnn"), file);
    return written ? QString() : written.error();
}

/// Writes a broken copy of the backbone GOOD to BAD (and its sidecar beside it), by DAMAGE:
/// "missing" (nothing written), "nosidecar", "junk" (the .pt is not TorchScript), "dim" (the
/// sidecar says 64-d, the module returns 128), "channels" (the sidecar says RGB, the module
/// convolves one channel). Returns an empty string, or what failed.
inline QString writeDamagedBackbone(const QString &good, const QString &bad, const QString &damage)
{
    if (damage == QLatin1String("missing"))
        return {};
    if (!QFile::copy(good, bad) || !QFile::copy(backboneSidecarPath(good), backboneSidecarPath(bad)))
        return QStringLiteral("cannot copy %1 to %2").arg(good, bad);
    Result<BackboneSidecar> sidecar = readBackboneSidecar(good);
    if (!sidecar)
        return sidecar.error();
    if (damage == QLatin1String("nosidecar"))
        return QFile::remove(backboneSidecarPath(bad)) ? QString() : QStringLiteral("cannot remove the sidecar");
    if (damage == QLatin1String("junk")) {
        QFile f(bad);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return f.errorString();
        f.write(QByteArray(2048, 'x'));
        return {};
    }
    if (damage == QLatin1String("dim")) {
        sidecar->embeddingDim = 64; // the module returns 128
    } else if (damage == QLatin1String("channels")) {
        sidecar->channels = 3; // the module convolves one channel
        sidecar->mean.assign(3, 0.3);
        sidecar->std.assign(3, 0.35);
    } else {
        return QStringLiteral("unknown damage %1").arg(damage);
    }
    const Result<> written = writeBackboneSidecar(bad, sidecar.value());
    return written ? QString() : written.error();
}

} // namespace labelscope::testing
