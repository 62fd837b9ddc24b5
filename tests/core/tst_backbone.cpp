// Backbones (core/ml/backbone.h, backbonefile.h): TorchScript fixtures made here with
// torch::jit::Module::define (no Python), each load error naming the file and what differs,
// images prepared at the backbone's input size, and the extraction job's streaming output.
#include "base/imageprep.h"
#include "jobs/job.h"
#include "ml/backbone.h"
#include "ml/extraction.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

using namespace labelscope;

namespace {

// A linear backbone: forward(x) = flatten(x) · Wᵀ, W [dim, C·S·S].
torch::jit::Module linearModule(const torch::Tensor &weight)
{
    torch::jit::Module m("Fixture");
    m.register_parameter("w", weight, false);
    m.define(R"(
def forward(self, x: Tensor) -> Tensor:
    return torch.matmul(torch.flatten(x, 1), self.w.t())
)");
    return m;
}

BackboneSidecar sidecarFor(int channels, int side, int dim)
{
    BackboneSidecar s;
    s.name = QStringLiteral("fixture");
    s.inputSize = side;
    s.channels = channels;
    s.mean.assign(std::size_t(channels), 0.5);
    s.std.assign(std::size_t(channels), 0.25);
    s.embeddingDim = dim;
    return s;
}

QString writeFixture(const QDir &dir, const QString &name, const torch::jit::Module &m, const BackboneSidecar &s)
{
    const QString file = dir.filePath(name + QStringLiteral(".pt"));
    m.save(QFile::encodeName(file).toStdString());
    const Result<> written = writeBackboneSidecar(file, s);
    if (!written)
        qFatal("%s", qPrintable(written.error()));
    return file;
}

void writeText(const QString &file, const QByteArray &text)
{
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text);
}

} // namespace

class TestBackbone final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QDir dir() const { return QDir(m_tmp.path()); }

private Q_SLOTS:
    void loadsAndEmbeds()
    {
        torch::manual_seed(3);
        const auto w = torch::randn({4, 1 * 8 * 8});
        const QString file = writeFixture(dir(), QStringLiteral("lin"), linearModule(w), sidecarFor(1, 8, 4));
        QCOMPARE(backboneSidecarPath(file), dir().filePath(QStringLiteral("lin.json")));
        const auto b = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY2(b, qPrintable(b.error()));
        QCOMPARE(b.value()->sidecar().name, QStringLiteral("fixture"));
        const auto images = torch::randint(0, 256, {5, 1, 8, 8}, torch::kUInt8);
        const auto emb = b.value()->embed(images);
        QCOMPARE(emb.size(0), 5);
        QCOMPARE(emb.size(1), 4);
        // (x / 255 − 0.5) / 0.25, then the linear map: the same numbers by hand (float32 sums of
        // 64 terms of size ~2·|w|: 1e-4 absolute is far above their rounding).
        const auto x = (images.to(torch::kFloat) / 255.0 - 0.5) / 0.25;
        const auto expected = torch::matmul(x.flatten(1), w.t());
        QVERIFY(torch::allclose(emb, expected, 1e-4, 1e-4));
    }

    void ttaAveragesTheMirrorImage()
    {
        torch::manual_seed(4);
        const auto w = torch::randn({4, 1 * 8 * 8});
        BackboneSidecar s = sidecarFor(1, 8, 4);
        s.ttaHflip = true;
        const QString file = writeFixture(dir(), QStringLiteral("tta"), linearModule(w), s);
        const auto b = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY2(b, qPrintable(b.error()));
        QVERIFY(b.value()->sidecar().ttaHflip);
        const auto images = torch::randint(0, 256, {3, 1, 8, 8}, torch::kUInt8);
        const auto x = (images.to(torch::kFloat) / 255.0 - 0.5) / 0.25;
        const auto plain = torch::matmul(x.flatten(1), w.t()), mirrored = torch::matmul(x.flip({3}).flatten(1), w.t());
        // Same tolerance as loadsAndEmbeds; the mirror's embedding differs by far more (|w|·|x| ~ 10).
        QVERIFY(!torch::allclose(plain, mirrored, 1e-2, 1e-2));
        QVERIFY(torch::allclose(b.value()->embed(images), (plain + mirrored) / 2, 1e-4, 1e-4));
        // The cache key tells the two apart; without the field the key is the one of before.
        s.ttaHflip = false;
        QVERIFY(backboneCacheKey(QStringLiteral("ab"), s) != backboneCacheKey(QStringLiteral("ab"), b.value()->sidecar()));
        QVERIFY(!backboneCacheKey(QStringLiteral("ab"), s).contains(QLatin1String("tta")));
        // Written and read back.
        const auto again = readBackboneSidecar(file);
        QVERIFY2(again && again.value().ttaHflip, again ? "" : qPrintable(again.error()));
    }

    void sidecarErrorsNameTheFileAndField()
    {
        const auto w = torch::randn({4, 64});
        const QString file = writeFixture(dir(), QStringLiteral("side"), linearModule(w), sidecarFor(1, 8, 4));
        const QString json = backboneSidecarPath(file);
        // Missing.
        QVERIFY(QFile::remove(json));
        auto r = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY(!r);
        QVERIFY2(r.error().contains(json) && r.error().contains(QLatin1String("missing")), qPrintable(r.error()));
        // Not JSON.
        writeText(json, "{ \"name\": ");
        r = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY2(!r && r.error().contains(json) && r.error().contains(QLatin1String("not valid JSON")), qPrintable(r.error()));
        // A required field missing.
        writeText(json, R"({"name": "x", "input_size": 8, "channels": 1, "mean": [0.5], "std": [0.25]})");
        r = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY2(!r && r.error().contains(QLatin1String("missing \"embedding_dim\"")), qPrintable(r.error()));
        // mean of the wrong length.
        writeText(json, R"({"name": "x", "input_size": 8, "channels": 1, "mean": [0.5, 0.5, 0.5], "std": [0.25], "embedding_dim": 4})");
        r = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY2(!r && r.error().contains(QLatin1String("\"mean\" has 3 value(s), \"channels\" is 1")), qPrintable(r.error()));
        // A zero std, an unknown resize rule.
        writeText(json, R"({"name": "x", "input_size": 8, "channels": 1, "mean": [0.5], "std": [0], "embedding_dim": 4})");
        r = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY2(!r && r.error().contains(QLatin1String("\"std\"")), qPrintable(r.error()));
        writeText(json, R"({"name": "x", "input_size": 8, "channels": 1, "mean": [0.5], "std": [0.2], "embedding_dim": 4, "resize": "squash"})");
        r = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY2(!r && r.error().contains(QLatin1String("\"resize\"")), qPrintable(r.error()));
        writeText(json, R"({"name": "x", "input_size": 8, "channels": 1, "mean": [0.5], "std": [0.2], "embedding_dim": 4, "tta": "rotate"})");
        r = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY2(!r && r.error().contains(json) && r.error().contains(QLatin1String("\"tta\"")), qPrintable(r.error()));
    }

    void notTorchScript()
    {
        const QString file = dir().filePath(QStringLiteral("junk.pt"));
        writeText(file, QByteArray(4096, 'x'));
        QVERIFY(writeBackboneSidecar(file, sidecarFor(1, 8, 4)));
        const auto r = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY(!r);
        QVERIFY2(r.error().startsWith(file) && r.error().contains(QLatin1String("not a TorchScript module")), qPrintable(r.error()));
        const auto none = Backbone::load(dir().filePath(QStringLiteral("absent.pt")), DeviceChoice::Cpu);
        QVERIFY2(!none && none.error().contains(QLatin1String("no such backbone file")), qPrintable(none.error()));
    }

    void wrongOutputShape()
    {
        // The module returns 4 values, the sidecar promises 6.
        const QString file = writeFixture(dir(), QStringLiteral("shape"), linearModule(torch::randn({4, 64})), sidecarFor(1, 8, 6));
        const auto r = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY(!r);
        QVERIFY2(r.error().contains(QLatin1String("returns [2, 4]")) && r.error().contains(QLatin1String("[2, 6]")), qPrintable(r.error()));
        // A module that returns a tuple instead of a tensor.
        torch::jit::Module m("Tuple");
        m.define(R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    return (x, x)
)");
        const QString tuple = writeFixture(dir(), QStringLiteral("tuple"), m, sidecarFor(1, 8, 4));
        const auto t = Backbone::load(tuple, DeviceChoice::Cpu);
        QVERIFY2(!t && t.error().contains(QLatin1String("not a tensor")), qPrintable(t.error()));
    }

    void channelMismatch()
    {
        // A convolution over 3 channels; the sidecar says 1.
        torch::jit::Module m("Conv");
        m.register_parameter("w", torch::randn({4, 3, 3, 3}), false);
        m.define(R"(
def forward(self, x: Tensor) -> Tensor:
    return torch.mean(torch.conv2d(x, self.w), [2, 3])
)");
        const QString file = writeFixture(dir(), QStringLiteral("conv"), m, sidecarFor(1, 8, 4));
        const auto r = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY(!r);
        QVERIFY2(r.error().startsWith(file) && r.error().contains(QLatin1String("1 channel(s)"))
                     && r.error().contains(QLatin1String("refuses")),
                 qPrintable(r.error()));
        // With the right sidecar it loads.
        const QString good = writeFixture(dir(), QStringLiteral("conv3"), m, sidecarFor(3, 8, 4));
        QVERIFY(Backbone::load(good, DeviceChoice::Cpu));
    }

    void colourImagesAtInputSize()
    {
        // A 64×48 colour image: red left half, blue right half.
        cv::Mat img(48, 64, CV_8UC3, cv::Scalar(255, 0, 0)); // BGR: blue
        img(cv::Rect(0, 0, 32, 48)).setTo(cv::Scalar(0, 0, 255)); // red left
        const QString file = dir().filePath(QStringLiteral("c.png"));
        QVERIFY(cv::imwrite(file.toStdString(), img));
        Sample s;
        s.source = QStringLiteral("folder");
        s.path = file;
        ImagePrep prep;
        prep.side = 40;
        prep.channels = 3;
        std::vector<std::uint8_t> out(3 * 40 * 40);
        QString error;
        QVERIFY2(prepareSampleImage(s, prep, out.data(), &error), qPrintable(error));
        // RGB planes at 40×40 (not the 32-px table): left column red, right column blue.
        auto at = [&](int c, int y, int x) { return int(out[std::size_t(c * 1600 + y * 40 + x)]); };
        QCOMPARE(at(0, 20, 2), 255);
        QCOMPARE(at(2, 20, 2), 0);
        QCOMPARE(at(0, 20, 37), 0);
        QCOMPARE(at(2, 20, 37), 255);
        // Center crop: shorter side (48) to 44, width to 59, the central 40² keeps both halves.
        prep.centerCrop = true;
        prep.resizeSize = 44;
        QVERIFY2(prepareSampleImage(s, prep, out.data(), &error), qPrintable(error));
        QCOMPARE(at(0, 20, 1), 255);
        QCOMPARE(at(2, 20, 38), 255);
        // A colour image refused by a grey backbone, naming the file.
        prep.channels = 1;
        prep.centerCrop = false;
        QVERIFY(!prepareSampleImage(s, prep, out.data(), &error));
        QVERIFY2(error.contains(file) && error.contains(QLatin1String("grey")), qPrintable(error));
        // A grey image given to a 3-channel backbone: replicated.
        cv::Mat grey(20, 20, CV_8UC1, cv::Scalar(77));
        const QString gfile = dir().filePath(QStringLiteral("g.png"));
        QVERIFY(cv::imwrite(gfile.toStdString(), grey));
        s.path = gfile;
        prep.channels = 3;
        QVERIFY2(prepareSampleImage(s, prep, out.data(), &error), qPrintable(error));
        QCOMPARE(at(0, 5, 5), 77);
        QCOMPARE(at(1, 5, 5), 77);
        QCOMPARE(at(2, 39, 39), 77);
    }

    void extractionStreamsAndSkips()
    {
        // 30 images (one unreadable) through a linear backbone over 3 channels at 16 px.
        torch::manual_seed(5);
        const auto w = torch::randn({3, 3 * 16 * 16});
        const QString file = writeFixture(dir(), QStringLiteral("ex"), linearModule(w), sidecarFor(3, 16, 3));
        auto b = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY2(b, qPrintable(b.error()));
        std::vector<Sample> samples;
        for (int i = 0; i < 30; ++i) {
            Sample s;
            s.source = QStringLiteral("folder");
            s.path = dir().filePath(QStringLiteral("e%1.png").arg(i));
            if (i != 17) {
                cv::Mat img(24 + i, 20, CV_8UC3, cv::Scalar(i * 8, 255 - i * 8, 100));
                QVERIFY(cv::imwrite(s.path.toStdString(), img));
            }
            samples.push_back(s);
        }
        std::vector<double> fractions;
        JobContext context(QStringLiteral("extraction"), nullptr, [&](const JobProgress &p) { fractions.push_back(p.fraction); });
        context.stage(QStringLiteral("extracting"), 0.0, 1.0);
        ExtractionOptions options;
        options.batchSize = 7; // several batches, the last one short
        const auto r = extractEmbeddings(*b.value(), samples, options, context);
        QVERIFY2(r, qPrintable(r.error()));
        QCOMPARE(r->embeddings.size(0), 30);
        QCOMPARE(r->embeddings.size(1), 3);
        QCOMPARE(int(r->skipped.size()), 1);
        QVERIFY(!r->ok[17]);
        QVERIFY(r->skipped[0].file.endsWith(QLatin1String("e17.png")));
        // Each row equals the backbone on that image alone (batching changes nothing beyond
        // float rounding of 768-term sums).
        ImagePrep prep;
        prep.side = 16;
        prep.channels = 3;
        for (int i : {0, 6, 7, 29}) {
            auto one = torch::zeros({1, 3, 16, 16}, torch::kUInt8);
            QString error;
            QVERIFY(prepareSampleImage(samples[std::size_t(i)], prep, one.data_ptr<std::uint8_t>(), &error));
            QVERIFY(torch::allclose(r->embeddings[i], b.value()->embed(one)[0], 1e-4, 1e-3));
        }
        QVERIFY(!fractions.empty());
        QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
        // Cancelled before the start: cancelled, nothing else.
        std::atomic_bool cancel{true};
        JobContext cancelled(QStringLiteral("extraction"), &cancel);
        QVERIFY(extractEmbeddings(*b.value(), samples, options, cancelled).isCancelled());
    }
};

QTEST_GUILESS_MAIN(TestBackbone)
#include "tst_backbone.moc"
