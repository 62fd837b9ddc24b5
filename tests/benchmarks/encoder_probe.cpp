// How well backbones separate Fashion-MNIST's classes without their labels being trained into
// them: for each TorchScript backbone given (FILE.pt + sidecar), the embeddings of the first N
// test images (default 2,000), then
//   - kNN accuracy: leave-one-out, cosine, k = 10, majority vote;
//   - linear probe: multinomial logistic regression (Adam, 300 full-batch steps) on the
//     standardised embeddings of the first half, accuracy on the second half (the field's
//     "linear evaluation" of a self-supervised representation);
// and the same two on the raw pixels for reference; with signs of collapse (dead dimensions, the
// spread of the normalised embeddings).
// Usage: encoder_probe [--images N] FILE.pt [FILE.pt ...]
#include "base/dataset.h"
#include "ml/backbone.h"

#include <cstdio>
#include <cstring>

using namespace labelscope;

namespace {

double knnAccuracy(const torch::Tensor &x, const torch::Tensor &labels)
{
    const auto z = torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(1));
    auto similarity = torch::mm(z, z.t());
    similarity.fill_diagonal_(-2.0);
    const auto neighbours = std::get<1>(similarity.topk(10, 1));
    const auto votes = torch::zeros({x.size(0), 10}).scatter_add_(
        1, labels.index_select(0, neighbours.flatten()).view({x.size(0), 10}), torch::ones({x.size(0), 10}));
    return votes.argmax(1).eq(labels).to(torch::kDouble).mean().item<double>();
}

double linearProbe(torch::Tensor x, const torch::Tensor &labels)
{
    x = (x - x.mean(0)) / (x.std(0) + 1e-6);
    const int64_t half = x.size(0) / 2;
    torch::manual_seed(3);
    torch::nn::Linear probe(x.size(1), 10);
    torch::optim::Adam optimiser(probe->parameters(), torch::optim::AdamOptions(1e-2).weight_decay(1e-4));
    for (int step = 0; step < 300; ++step) {
        optimiser.zero_grad();
        torch::nn::functional::cross_entropy(probe->forward(x.narrow(0, 0, half)), labels.narrow(0, 0, half)).backward();
        optimiser.step();
    }
    torch::NoGradGuard noGrad;
    return probe->forward(x.narrow(0, half, x.size(0) - half)).argmax(1).eq(labels.narrow(0, half, x.size(0) - half))
        .to(torch::kDouble).mean().item<double>();
}

} // namespace

int main(int argc, char **argv)
{
    at::set_num_threads(1);
    qint64 count = 2000;
    int first = 1;
    if (argc > 2 && std::strcmp(argv[1], "--images") == 0) {
        count = std::atoll(argv[2]);
        first = 3;
    }
    LoadOptions options;
    options.limit = count;
    LoadResult loaded = loadDataset(QStringLiteral("fashion-mnist"), options);
    if (!loaded.ok()) {
        std::fprintf(stderr, "%s\n", qPrintable(loaded.error));
        return 1;
    }
    const Dataset &d = loaded.dataset;
    std::vector<int64_t> index, labels;
    for (std::size_t i = 0; i < d.samples.size(); ++i)
        if (d.samples[i].split == QLatin1String("test")) {
            index.push_back(int64_t(i));
            labels.push_back(d.samples[i].label);
        }
    auto all = torch::from_blob(const_cast<std::uint8_t *>(d.pixels.data()), {qint64(d.samples.size()), d.channels, d.height, d.width}, torch::kUInt8);
    const auto images = all.index_select(0, torch::tensor(index)).clone();
    const auto y = torch::tensor(labels);
    const auto pixels = images.to(torch::kFloat32).view({images.size(0), -1});
    std::printf("%-40s kNN %.4f  linear probe %.4f  (%lld test images)\n", "pixels", knnAccuracy(pixels, y), linearProbe(pixels, y),
                static_cast<long long>(images.size(0)));
    for (int a = first; a < argc; ++a) {
        auto backbone = Backbone::load(QString::fromLocal8Bit(argv[a]), DeviceChoice::Cpu);
        if (!backbone) {
            std::fprintf(stderr, "%s\n", qPrintable(backbone.error()));
            return 1;
        }
        const auto e = backbone.value()->embed(images);
        // Collapse signs: dimensions that are 0 on every image (dead ReLUs), and the mean spread
        // of the L2-normalised embeddings across images (0 when all images map to one direction).
        const auto dead = e.abs().amax(0).eq(0).sum().item<int64_t>();
        const auto z = torch::nn::functional::normalize(e, torch::nn::functional::NormalizeFuncOptions().dim(1));
        std::printf("%-40s kNN %.4f  linear probe %.4f  (dead dimensions %lld of %lld, spread %.4f)\n", argv[a],
                    knnAccuracy(e, y), linearProbe(e, y), static_cast<long long>(dead), static_cast<long long>(e.size(1)),
                    z.std(0).mean().item<double>());
    }
    return 0;
}
