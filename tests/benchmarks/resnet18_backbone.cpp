// Benchmark tool (not a CTest test): writes a ResNet-18-size TorchScript backbone with random
// weights (He et al. 2016: 7×7 stem, 4 stages of 2 basic blocks, 64-512 channels, global average
// pooling → [B, 512]), made with torch::jit::Module::define (no Python), and its sidecar
// (ImageNet mean/std, resize_center_crop). For timing extraction at 224 px:
//   resnet18_backbone OUT.pt [SIDE]
//   labelscope analyze --data SPEC --project P --backbone OUT.pt ...
#include "ml/backbonefile.h"

#include <QCoreApplication>
#include <QFile>
#include <QTextStream>

#include <torch/script.h>
#include <torch/torch.h>

#include <string>

using namespace labelscope;

namespace {

struct Builder {
    torch::jit::Module m{"ResNet18"};
    std::string body;
    int counter = 0;

    std::string conv(const std::string &x, int in, int out, int k, int stride, int pad)
    {
        const std::string name = "c" + std::to_string(counter++);
        m.register_parameter(name, torch::randn({out, in, k, k}) * std::sqrt(2.0 / (in * k * k)), false);
        const std::string s = std::to_string(stride), p = std::to_string(pad);
        return "torch.conv2d(" + x + ", self." + name + ", None, [" + s + ", " + s + "], [" + p + ", " + p + "])";
    }
    std::string bn(const std::string &x, int c)
    {
        const std::string name = "b" + std::to_string(counter++);
        m.register_parameter(name + "_w", torch::ones({c}), false);
        m.register_parameter(name + "_b", torch::zeros({c}), false);
        m.register_buffer(name + "_m", torch::zeros({c}));
        m.register_buffer(name + "_v", torch::ones({c}));
        return "torch.batch_norm(" + x + ", self." + name + "_w, self." + name + "_b, self." + name + "_m, self." + name
            + "_v, False, 0.1, 1e-05, False)";
    }
    void line(const std::string &text) { body += "    " + text + "\n"; }
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    QTextStream err(stderr);
    if (args.size() < 2) {
        err << "usage: resnet18_backbone OUT.pt [SIDE (default 224)]\n";
        return 2;
    }
    const QString out = args[1];
    const int side = args.size() > 2 ? args[2].toInt() : 224;
    torch::manual_seed(1);
    Builder b;
    b.line("h = torch.relu(" + b.bn(b.conv("x", 3, 64, 7, 2, 3), 64) + ")");
    b.line("h = torch.max_pool2d(h, [3, 3], [2, 2], [1, 1])");
    int in = 64;
    for (int stage = 0; stage < 4; ++stage) {
        const int width = 64 << stage;
        for (int block = 0; block < 2; ++block) {
            const int stride = stage > 0 && block == 0 ? 2 : 1;
            b.line("r = torch.relu(" + b.bn(b.conv("h", in, width, 3, stride, 1), width) + ")");
            b.line("r = " + b.bn(b.conv("r", width, width, 3, 1, 1), width));
            if (stride != 1 || in != width)
                b.line("h = torch.relu(r + " + b.bn(b.conv("h", in, width, 1, stride, 0), width) + ")");
            else
                b.line("h = torch.relu(r + h)");
            in = width;
        }
    }
    b.line("return torch.mean(h, [2, 3])");
    b.m.define("def forward(self, x: Tensor) -> Tensor:\n" + b.body);
    b.m.save(QFile::encodeName(out).toStdString());
    BackboneSidecar s;
    s.name = QStringLiteral("resnet18-random");
    s.inputSize = side;
    s.channels = 3;
    s.mean = {0.485, 0.456, 0.406};
    s.std = {0.229, 0.224, 0.225};
    s.embeddingDim = 512;
    s.resize = BackboneResize::ResizeCenterCrop;
    s.resizeSize = int(std::lround(side * 256.0 / 224.0));
    if (const Result<> w = writeBackboneSidecar(out, s); !w) {
        err << w.error() << "\n";
        return 1;
    }
    err << "wrote " << out << " and " << backboneSidecarPath(out) << "\n";
    return 0;
}
