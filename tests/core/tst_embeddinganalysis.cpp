// Analysis on backbone embeddings (method embedding) and exported models as backbones: the
// exported TorchScript twin gives the in-memory network's logits; the kNN label signal on a
// constructed case; an analysis through an exported backbone, its cache reused by a second run
// (which extracts nothing); a bad backbone writes nothing; the export-model job.
#include "ml/analysis_p.h"
#include "base/projectstore.h"
#include "base/verdict.h"
#include "ml/backbone.h"
#include "ml/modelexport.h"
#include "ml/modelexport_p.h"

#include <QDir>
#include <QHash>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

using namespace labelscope;

namespace {

const QString kFashion = QStringLiteral("/usr/share/datasets/fashion-mnist");

Result<AnalysisResult> analyse(const AnalysisParams &params)
{
    JobContext context(QStringLiteral("analysis"), nullptr);
    return runAnalysis(params, context);
}

// Batch-norm statistics away from their initial 0 / 1, so that the export must carry them.
void randomiseBatchNorm(ClassifierImpl &net)
{
    torch::NoGradGuard noGrad;
    for (auto &b : net.named_buffers(true)) {
        if (b.key().find("running_mean") != std::string::npos)
            b.value().copy_(torch::randn_like(b.value()) * 0.1);
        else if (b.key().find("running_var") != std::string::npos)
            b.value().copy_(torch::rand_like(b.value()) + 0.5);
    }
    for (auto &p : net.named_parameters(true))
        if (p.key().find("bn") != std::string::npos && p.key().find("weight") != std::string::npos)
            p.value().copy_(torch::rand_like(p.value()) + 0.5);
}

} // namespace

class TestEmbeddingAnalysis final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QString path(const QString &name) const { return QDir(m_tmp.path()).filePath(name); }

    // A SmallCnn with random weights (Fashion-MNIST's 28 px, grey), exported: a cheap backbone.
    QString randomBackbone(const QString &name)
    {
        torch::manual_seed(11);
        auto net = makeClassifier(1, 28, 10, Architecture::SmallCnn);
        net->eval();
        const Result<> written = exportClassifier(*net, 1, 28, torch::tensor({0.29f}), torch::tensor({0.35f}), fashionMnistClasses(),
                                                  QStringLiteral("random small_cnn"), path(name));
        if (!written)
            qFatal("%s", qPrintable(written.error()));
        return path(name);
    }

private Q_SLOTS:
    void exportedLogitsEqualInMemory_data()
    {
        QTest::addColumn<int>("architecture");
        QTest::addColumn<int>("channels");
        QTest::addColumn<int>("side");
        QTest::newRow("small_cnn") << int(Architecture::SmallCnn) << 1 << 28;
        QTest::newRow("medium_cnn") << int(Architecture::MediumCnn) << 1 << 28;
        QTest::newRow("small_resnet") << int(Architecture::SmallResNet) << 3 << 32;
    }

    void exportedLogitsEqualInMemory()
    {
        QFETCH(int, architecture);
        QFETCH(int, channels);
        QFETCH(int, side);
        torch::manual_seed(7);
        auto net = makeClassifier(channels, side, 10, Architecture(architecture));
        randomiseBatchNorm(*net);
        net->eval();
        const QString file = path(QStringLiteral("export_%1.pt").arg(architecture));
        const auto mean = torch::full({channels}, 0.4f), sd = torch::full({channels}, 0.3f);
        const Result<> written = exportClassifier(*net, channels, side, mean, sd, fashionMnistClasses(), QStringLiteral("t"), file);
        QVERIFY2(written, qPrintable(written.error()));
        torch::jit::Module loaded = torch::jit::load(file.toStdString());
        const auto x = torch::randn({6, channels, side, side});
        torch::NoGradGuard noGrad;
        const auto want = net->forward(x);
        const auto got = loaded.run_method("logits", x).toTensor();
        QCOMPARE(got.sizes(), want.sizes());
        // The same operations on the same weights (convolution, batch norm from the running
        // statistics, max pooling, addmm): equal up to float32 rounding of reordered sums.
        // 1e-4 on logits of size ~1 is a thousand times that rounding and far below any change
        // a wrong weight or a missing layer would make.
        const double diff = (got - want).abs().max().item<double>();
        QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("max |exported - in-memory| = %1").arg(diff)));
        QVERIFY(torch::allclose(loaded.forward({x}).toTensor(), net->embed(x), 1e-4, 1e-4));
        // As a backbone: the sidecar's normalisation, embeddings of uint8 images.
        const auto b = Backbone::load(file, DeviceChoice::Cpu);
        QVERIFY2(b, qPrintable(b.error()));
        QCOMPARE(b.value()->sidecar().classes, fashionMnistClasses());
        QCOMPARE(b.value()->sidecar().embeddingDim, net->embeddingDim());
        // classify(e) is logits' last layer alone: the analysis applies it to cached embeddings.
        QVERIFY(b.value()->canClassify());
        QVERIFY(torch::allclose(b.value()->classify(net->embed(x)), want, 1e-4, 1e-4));
        const auto probs = backboneClassifierProbs(b.value().get(), fashionMnistClasses(), net->embed(x));
        QVERIFY(torch::allclose(probs, torch::softmax(want, 1), 1e-4, 1e-5));
        // Another task's classes, or no backbone: not used.
        QVERIFY(!backboneClassifierProbs(b.value().get(), QStringList{QStringLiteral("a"), QStringLiteral("b")}, net->embed(x)).defined());
        QVERIFY(!backboneClassifierProbs(nullptr, fashionMnistClasses(), net->embed(x)).defined());
        const auto images = torch::randint(0, 256, {3, channels, side, side}, torch::kUInt8);
        const auto normalised = (images.to(torch::kFloat) / 255.0 - mean.view({1, -1, 1, 1})) / sd.view({1, -1, 1, 1});
        QVERIFY(torch::allclose(b.value()->embed(images), net->embed(normalised), 1e-4, 1e-4));
        // An encoder (no classes) exported with its linear embedding (pretrain.h): the embedding
        // layer before the ReLU, negative values included; no logits.
        const QString encoder = path(QStringLiteral("encoder_%1.pt").arg(architecture));
        QVERIFY(exportClassifier(*net, channels, side, mean, sd, {}, QStringLiteral("e"), encoder, {}, true));
        const auto e = Backbone::load(encoder, DeviceChoice::Cpu);
        QVERIFY2(e, qPrintable(e.error()));
        QVERIFY(!e.value()->canClassify());
        const auto linear = net->linearEmbed(normalised);
        QVERIFY(linear.lt(0).any().item<bool>());
        QVERIFY(torch::allclose(e.value()->embed(images), linear, 1e-4, 1e-4));
    }

    void knnSignalOnConstructedCase()
    {
        // Three tight clusters of 20 points in 4-D, labelled by cluster; sample 5 (cluster 0)
        // carries label 2. Its neighbours all say 0; everyone else's agree with their label.
        torch::manual_seed(2);
        const auto centres = torch::eye(4).narrow(0, 0, 3) * 10.0;
        std::vector<int64_t> labels;
        std::vector<torch::Tensor> rows;
        for (int c = 0; c < 3; ++c)
            for (int i = 0; i < 20; ++i) {
                rows.push_back(centres[c] + torch::randn({4}) * 0.1);
                labels.push_back(c);
            }
        labels[5] = 2;
        const std::atomic_bool never{false};
        const auto p = knnLabelDistribution(torch::stack(rows), labels, 3, 5, 1, never);
        QCOMPARE(p.size(0), 60);
        QVERIFY(torch::allclose(p.sum(1), torch::ones({60}), 1e-5, 1e-5));
        // Smoothed counts: (count + 1/3) / (k + 1). Sample 5: 5 neighbours of class 0.
        QCOMPARE(p[5][0].item<float>(), (5.0f + 1.0f / 3) / 6.0f);
        QCOMPARE(p[5][2].item<float>(), (1.0f / 3) / 6.0f);
        // A clean sample of cluster 1: all neighbours agree.
        QCOMPARE(p[30][1].item<float>(), (5.0f + 1.0f / 3) / 6.0f);
        // A cluster-0 sample may count sample 5 (label 2) among its neighbours, at most once.
        QVERIFY(p[0][0].item<float>() >= (4.0f + 1.0f / 3) / 6.0f - 1e-6f);
    }

    void headWeightFitsTheBetterPredictor()
    {
        // 1,000 samples of 4 classes. A predictor that puts 0.7 on the given label and one that
        // is uniform: the fit gives the first all the weight, whichever side it is on. Two
        // predictors equally right on alternate halves: the likelihood peaks at the even mix.
        const int64_t n = 1000, k = 4;
        std::vector<int64_t> labels(static_cast<std::size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            labels[std::size_t(i)] = i % k;
        const auto y = torch::tensor(at::ArrayRef<int64_t>(labels), torch::kLong);
        const auto onehot = torch::one_hot(y, k).to(torch::kFloat);
        const auto good = onehot * 0.6f + 0.1f, uniform = torch::full({n, k}, 0.25f);
        QCOMPARE(fitHeadWeight(good, uniform, labels), 1.0);
        QCOMPARE(fitHeadWeight(uniform, good, labels), 0.0);
        const auto half = (torch::arange(n) % 2).to(torch::kFloat).unsqueeze(1);
        const auto wrongHalf = (1.0f - onehot) / 3.0f * 0.98f + onehot * 0.02f;
        const auto a = half * good + (1.0f - half) * wrongHalf, b = (1.0f - half) * good + half * wrongHalf;
        QCOMPARE(fitHeadWeight(a, b, labels), 0.5);
    }

    void classifierShareFollowsAgreement()
    {
        // 1,000 samples of 4 classes; the heads agree with the given labels on 80%.
        const int64_t n = 1000, k = 4;
        std::vector<int64_t> labels(static_cast<std::size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            labels[std::size_t(i)] = i % k;
        const auto y = torch::tensor(at::ArrayRef<int64_t>(labels), torch::kLong);
        const auto agreeOn = [&](double share) { // one-hot on the given label for the first share of samples, else the next class
            const auto keep = (torch::arange(n) < int64_t(share * n)).to(torch::kLong);
            return torch::one_hot(keep * y + (1 - keep) * ((y + 1) % k), k).to(torch::kFloat) * 0.7f + 0.075f;
        };
        const auto heads = agreeOn(0.8);
        QCOMPARE(classifierShare(agreeOn(0.9), heads, labels, int(k)), 0.5);  // agrees more: the even ensemble
        QCOMPARE(classifierShare(agreeOn(0.8), heads, labels, int(k)), 0.5);
        QCOMPARE(classifierShare(agreeOn(0.25), heads, labels, int(k)), 0.0); // chance: left out
        QVERIFY(std::abs(classifierShare(agreeOn(0.525), heads, labels, int(k)) - 0.25) < 1e-9); // half way above chance
    }

    void analysisOnEmbeddingsAndCache()
    {
        const QString backbone = randomBackbone(QStringLiteral("random.pt"));
        AnalysisParams params;
        params.dataSpec = kFashion;
        params.projectFile = path(QStringLiteral("emb.lsproj"));
        params.limit = 300; // 300 train + 300 test
        params.injectNoise = 0.2;
        params.method = AnalysisMethod::Embedding;
        params.backbone = backbone;
        params.epochs = 10;
        params.layouts = false;
        params.healthChecks = false; // issue 16's checks have their own tests
        params.device = DeviceChoice::Cpu;
        const auto first = analyse(params);
        QVERIFY2(first, qPrintable(first.error()));
        QCOMPARE(first->method, QStringLiteral("embedding"));
        QCOMPARE(first->samples, 300);
        QCOMPARE(first->embeddingsExtracted, 600); // every sample, the test split's too
        QCOMPARE(first->embeddingsReused, 0);
        QVERIFY(first->noise.available);
        QVERIFY(first->signals.contains(QStringLiteral("knn")));
        // Random conv features still rank wrong labels far better than chance (AUROC .5):
        // the kNN and the heads see the classes' structure. .7 is a loose floor (measured ~.8).
        QVERIFY2(first->noise.auroc > 0.7, qPrintable(QString::number(first->noise.auroc)));
        QVERIFY(first->testAccuracy > 0.3);
        {
            ProjectStore store;
            QVERIFY(store.open(params.projectFile));
            const auto runs = store.runs();
            QCOMPARE(runs.back().settings.value(QStringLiteral("backbone_name")).toString(), QStringLiteral("random small_cnn"));
            // The backbone lists the classes, but its random classifier agrees with the labels
            // about as often as chance (.1): it gets little or no share (0.5 at the heads' level).
            const double c = runs.back().settings.value(QStringLiteral("classifier_weight")).toDouble(-1);
            QVERIFY2(c >= 0.0 && c < 0.2, qPrintable(QString::number(c)));
            QVERIFY(runs.back().summary.contains(QStringLiteral("backbone")));
            QVERIFY(runs.back().summary.value(QStringLiteral("knn_seconds")).toDouble(-1) >= 0.0); // the kNN's share of "training"
            std::vector<qint64> ids;
            std::vector<float> data;
            int dim = 0;
            QVERIFY(store.embeddings(first->runId, &ids, &data, &dim));
            QCOMPARE(int(ids.size()), 600);
            QCOMPARE(dim, 128);
            QCOMPARE(int(store.scores(first->runId).size()), 300);
            // The out-of-sample agreement with the given labels, recomputed from the stored
            // pred_probs, is the one the run reports and stores.
            OutOfSamplePredProbs oos;
            QVERIFY(store.outOfSamplePredProbs(first->runId, &oos));
            QHash<qint64, int> given;
            for (const SampleRow &row : store.samples())
                given.insert(row.id, row.givenLabel);
            std::vector<int> labels;
            for (const qint64 id : oos.sampleIds)
                labels.push_back(given.value(id, -1));
            const double agreement = outOfSampleAgreement(labels, std::vector<double>(oos.probs.begin(), oos.probs.end()), oos.numClasses);
            QCOMPARE(first->outOfSampleAgreement, agreement);
            QCOMPARE(runs.back().summary.value(QStringLiteral("confident_learning")).toObject()
                         .value(QStringLiteral("out_of_sample_agreement")).toDouble(-1), agreement);
            // The overlapping classes it stores are those of its confident joint, calibrated with
            // the given labels of the samples it scored (find_overlapping_classes, the first 20).
            const QJsonObject cl = runs.back().summary.value(QStringLiteral("confident_learning")).toObject();
            std::vector<int64_t> joint, counts(std::size_t(oos.numClasses), 0);
            for (const QJsonValue &v : cl.value(QStringLiteral("confident_joint")).toArray())
                joint.push_back(v.toInteger());
            for (const int label : labels)
                ++counts[std::size_t(label)];
            const std::vector<OverlappingClasses> expected = findOverlappingClasses(
                calibrateConfidentJoint(joint, counts), oos.numClasses, AnalysisResult::kOverlappingClassesKept);
            const QJsonArray stored = cl.value(QStringLiteral("overlapping_classes")).toArray();
            QVERIFY(!expected.empty());
            QCOMPARE(stored.size(), qsizetype(expected.size()));
            for (std::size_t i = 0; i < expected.size(); ++i)
                QCOMPARE(stored[qsizetype(i)].toObject(), overlappingClassesToJson(expected[i]));
            // Random features, 10 classes, 20% noise: above chance (.1), below the clean share (.8).
            QVERIFY2(agreement > 0.2 && agreement < 0.8, qPrintable(QString::number(agreement)));
        }
        // Again: the project's cache answers, nothing is extracted; the same embeddings give the
        // same verdict (same seed).
        params.dataSpec.clear();
        const auto second = analyse(params);
        QVERIFY2(second, qPrintable(second.error()));
        QCOMPARE(second->embeddingsExtracted, 0);
        QCOMPARE(second->embeddingsReused, 600);
        QCOMPARE(second->hard, first->hard);
        QCOMPARE(second->noise.f1, first->noise.f1);
        // The logistic head runs too.
        params.head = EmbeddingHead::Logistic;
        const auto logistic = analyse(params);
        QVERIFY2(logistic, qPrintable(logistic.error()));
        QCOMPARE(logistic->model, QStringLiteral("logistic"));
        QCOMPARE(logistic->embeddingsExtracted, 0);
    }

    void badBackboneWritesNothing()
    {
        AnalysisParams params;
        params.dataSpec = kFashion;
        params.projectFile = path(QStringLiteral("never.lsproj"));
        params.limit = 50;
        params.method = AnalysisMethod::Embedding;
        params.backbone = path(QStringLiteral("missing.pt"));
        const auto r = analyse(params);
        QVERIFY(!r);
        QVERIFY2(r.error().contains(params.backbone), qPrintable(r.error()));
        QVERIFY(!QFileInfo::exists(params.projectFile));
        params.backbone.clear();
        const auto none = analyse(params);
        QVERIFY2(!none && none.error().contains(QLatin1String("--backbone")), qPrintable(none.error()));
        QVERIFY(!QFileInfo::exists(params.projectFile));
    }

    void exportModelJob()
    {
        AnalysisParams params;
        params.dataSpec = kFashion;
        params.projectFile = path(QStringLiteral("dp.lsproj"));
        params.limit = 200;
        params.method = AnalysisMethod::DataParameters;
        params.epochs = 1;
        params.layouts = false;
        params.healthChecks = false; // issue 16's checks have their own tests
        params.device = DeviceChoice::Cpu;
        const auto analysed = analyse(params);
        QVERIFY2(analysed, qPrintable(analysed.error()));
        ExportModelParams ep;
        ep.projectFile = params.projectFile;
        ep.outFile = path(QStringLiteral("model.pt"));
        ep.device = DeviceChoice::Cpu;
        JobContext context(QStringLiteral("export-model"), nullptr);
        const auto exported = runExportModel(ep, context);
        QVERIFY2(exported, qPrintable(exported.error()));
        QCOMPARE(exported->epochs, 1); // the run's settings
        QCOMPARE(exported->samples, 200);
        QCOMPARE(exported->model, analysed->model);
        const auto b = Backbone::load(ep.outFile, DeviceChoice::Cpu);
        QVERIFY2(b, qPrintable(b.error()));
        QCOMPARE(b.value()->sidecar().classes, fashionMnistClasses());
        QCOMPARE(b.value()->sidecar().inputSize, 28);
        // Mirror-image extraction is opt-in (backbonefile.h): not written.
        QVERIFY(!b.value()->sidecar().ttaHflip);
        // Refusals: an unknown run, an output folder that does not exist.
        ep.runId = 99;
        QVERIFY(!runExportModel(ep, context));
        ep.runId = 0;
        ep.outFile = path(QStringLiteral("no/such/folder/model.pt"));
        const auto noFolder = runExportModel(ep, context);
        QVERIFY2(!noFolder && noFolder.error().contains(QLatin1String("does not exist")), qPrintable(noFolder.error()));
    }
};

QTEST_GUILESS_MAIN(TestEmbeddingAnalysis)
#include "tst_embeddinganalysis.moc"
