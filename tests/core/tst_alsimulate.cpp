// Tests of the active-learning loop (core/ml/activelearning.h), the oracle (core/ml/oracle.h) and
// the store's al_rounds / al_queue API, on a small Fashion-MNIST subset.

#include "base/projectstore.h"
#include "alprojectfixture.h"
#include "ml/activelearning.h"
#include "ml/altrainer.h"
#include "ml/oracle.h"
#include "ml/runtime.h"
#include "ml/trainer.h"

#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace labelscope;
using labelscope::testing::projectRound;

namespace {

// The simulation job on this thread with a plain cancel flag, in the out-parameter form the checks use.
bool simulate(const Dataset &data, const AlConfig &config, quint64 seed, const std::atomic_bool &cancel, AlCurve *out,
              QString *error)
{
    JobContext context(QStringLiteral("al-simulate"), &cancel);
    Result<AlCurve> r = runAlSimulation(data, config, seed, QStringLiteral("cpu"), context);
    *error = r.error();
    if (r)
        *out = std::move(r).value();
    return r.ok();
}

// A small, quick configuration: 50 cold-start labels, batches of 100.
AlConfig smallConfig()
{
    AlConfig c;
    c.epochs = 2;
    c.minSteps = 150;
    c.batchSize = 32;
    c.lr = 0.02;
    c.initialLabelled = 50;
    c.numLabelled = 100;
    c.iterations = 2;
    c.coldStart = QStringLiteral("random_sampling");
    c.strategy = QStringLiteral("margin_based");
    c.diversity = QStringLiteral("pick_top_n");
    return c;
}

} // namespace

class TestAlSimulate final : public QObject {
    Q_OBJECT

    Dataset m_data;

private Q_SLOTS:
    void initTestCase()
    {
        configureRuntime(1); // one thread: no OpenMP spinning when the machine is shared
        LoadOptions o;
        o.limit = 800;
        LoadResult r = loadDataset(QStringLiteral("fashion-mnist"), o);
        QVERIFY2(r.ok(), qPrintable(r.error));
        m_data = std::move(r.dataset);
    }

    void oracleRevealsOnlyQueried()
    {
        Oracle oracle({3, 1, 4, 1, 5});
        QCOMPARE(oracle.size(), int64_t(5));
        QCOMPARE(oracle.queries(), int64_t(0));
        for (int64_t i = 0; i < 5; ++i)
            QVERIFY(!oracle.isRevealed(i));
        QCOMPARE(oracle.query(2), 4);
        QVERIFY(oracle.isRevealed(2));
        QVERIFY(!oracle.isRevealed(1));
        QCOMPARE(oracle.queries(), int64_t(1));
        QCOMPARE(oracle.query(2), 4); // asked again: not charged again
        QCOMPARE(oracle.queries(), int64_t(1));
        QCOMPARE(oracle.query(7), -2); // out of range reveals nothing
        QCOMPARE(oracle.query(-1), -2);
        QCOMPARE(oracle.queries(), int64_t(1));
        QCOMPARE(oracle.audit({0, 1}, {3, 2}), 0.5);
        QCOMPARE(oracle.queries(), int64_t(1));
        QVERIFY(!oracle.isRevealed(0));
    }

    void curveRises()
    {
        std::atomic_bool cancel{false};
        AlCurve curve;
        QString error;
        AlConfig c = smallConfig();
        c.initialLabelled = 100;
        c.numLabelled = 200;
        QVERIFY2(simulate(m_data, c, 1, cancel, &curve, &error), qPrintable(error));
        QCOMPARE(int(curve.rounds.size()), 3);
        QCOMPARE(curve.stopReason, QStringLiteral("iterations"));
        // Labels used: 100, 300, 500; every one through the oracle.
        QCOMPARE(curve.rounds[0].labels, int64_t(100));
        QCOMPARE(curve.rounds[1].labels, int64_t(300));
        QCOMPARE(curve.rounds[2].labels, int64_t(500));
        QCOMPARE(curve.oracleQueries, int64_t(500));
        for (const AlRoundRecord &r : curve.rounds)
            QVERIFY(r.testAccuracy > 0.1 && r.testAccuracy <= 1.0);
        qInfo("curve: %d labels %.3f, %d labels %.3f, %d labels %.3f", int(curve.rounds[0].labels),
              curve.rounds[0].testAccuracy, int(curve.rounds[1].labels), curve.rounds[1].testAccuracy,
              int(curve.rounds[2].labels), curve.rounds[2].testAccuracy);
        QVERIFY(curve.rounds[2].testAccuracy > curve.rounds[0].testAccuracy + 0.03);
        QCOMPARE(curve.rounds[0].poolScored, int64_t(800 - 100));
    }

    // Pseudo-labels from the whole unlabelled pool (not only the scored `limit` subset), with the
    // strong augmentation, the weight average and mirror averaging switched on.
    void pseudoLabelScopeAndTrainingOptions()
    {
        std::atomic_bool cancel{false};
        AlConfig c = smallConfig();
        c.iterations = 1;
        c.limit = 150;
        c.pseudoLabelThreshold = 0.5;
        AlCurve scored, pool;
        QString error;
        QVERIFY2(simulate(m_data, c, 1, cancel, &scored, &error), qPrintable(error));
        c.pseudoLabelScope = QStringLiteral("pool");
        c.strongAugment = true;
        c.emaDecay = 0.99;
        c.tta = true;
        QVERIFY2(simulate(m_data, c, 1, cancel, &pool, &error), qPrintable(error));
        QCOMPARE(int(scored.rounds.size()), 2);
        QCOMPARE(int(pool.rounds.size()), 2);
        // Scored scope: at most the 150 scored minus the 100 just queried; pool scope: the other
        // 650 unlabelled images are all candidates, and a model at > 50% accuracy is confident on many.
        QVERIFY(scored.rounds[1].pseudoLabels > 0 && scored.rounds[1].pseudoLabels <= 50);
        QVERIFY2(pool.rounds[1].pseudoLabels > 50, qPrintable(QString::number(pool.rounds[1].pseudoLabels)));
        QVERIFY(pool.rounds[1].pseudoLabelAccuracy > 0.5);
        QVERIFY(pool.rounds[1].testAccuracy > 0.5);
    }

    // FixMatch (AlTrainConfig::consistencyWeight): the network trains a strong view of each
    // unlabelled image on its own confident label for a weak view, so its class for a strongly
    // augmented unlabelled image agrees with its class for the image far more often than a
    // network's that never saw them, and it is no less accurate on them.
    void consistencyTrainsOnTheUnlabelledImages()
    {
        std::vector<int64_t> labelled, unlabelled, perClass(10, 0);
        for (int64_t i = 0; i < int64_t(m_data.samples.size()); ++i) {
            const Sample &s = m_data.samples[std::size_t(i)];
            if (s.split != QLatin1String("train"))
                continue;
            if (perClass[std::size_t(s.label)] < 4) { // 40 labels, 4 a class
                ++perClass[std::size_t(s.label)];
                labelled.push_back(i);
            } else {
                unlabelled.push_back(i);
            }
        }
        QCOMPARE(int(labelled.size()), 40);
        QVERIFY(unlabelled.size() >= 700);
        auto all = torch::from_blob(m_data.pixels.data(), {int64_t(m_data.samples.size()), 1, 28, 28}, torch::kUInt8);
        auto rows = [](const std::vector<int64_t> &v) { return torch::tensor(at::ArrayRef<int64_t>(v), torch::kLong); };
        auto labelsOf = [&](const std::vector<int64_t> &v) {
            std::vector<int64_t> y;
            for (int64_t i : v)
                y.push_back(m_data.samples[std::size_t(i)].label);
            return rows(y);
        };
        const auto images = all.index_select(0, rows(labelled)), labels = labelsOf(labelled);
        const auto pool = all.index_select(0, rows(unlabelled)), poolTruth = labelsOf(unlabelled);
        AlTrainConfig c;
        c.architecture = Architecture::SmallCnn;
        c.minSteps = 300;
        c.batchSize = 32;
        c.lr = 0.02;
        c.consistencyThreshold = 0.8;
        for (quint64 seed : {1, 2}) {
            c.seed = seed;
            double agreement[2], accuracy[2];
            for (int withPool : {0, 1}) {
                c.consistencyWeight = withPool ? 1.0 : 0.0;
                AlModel model;
                QString error;
                QVERIFY2(alTrain(&model, false, images, labels, {}, {}, 10, c, std::atomic_bool(false), {}, &error, pool),
                         qPrintable(error));
                torch::Tensor probs;
                QVERIFY2(alPredict(model, pool, 0, torch::kCPU, std::atomic_bool(false), &probs, nullptr, nullptr, &error),
                         qPrintable(error));
                const auto guess = probs.argmax(1);
                accuracy[withPool] = guess.eq(poolTruth).to(torch::kFloat32).mean().item<double>();
                torch::NoGradGuard noGrad;
                model.net->eval();
                auto gen = torch::make_generator<torch::CPUGeneratorImpl>(seed + 100); // the same views for both networks
                const auto strong = strongAugmentBatch(normaliseImages(pool, model.mean, model.std), c.hflip, gen);
                agreement[withPool] = model.net->forward(strong).argmax(1).eq(guess).to(torch::kFloat32).mean().item<double>();
            }
            qInfo("seed %llu: on the %d unlabelled images, class of a strong view = class of the image %.3f without "
                  "them, %.3f with the consistency loss; accuracy %.3f, %.3f",
                  seed, int(unlabelled.size()), agreement[0], agreement[1], accuracy[0], accuracy[1]);
            QVERIFY2(agreement[1] > agreement[0] + 0.05, qPrintable(QStringLiteral("%1 vs %2").arg(agreement[1]).arg(agreement[0])));
            QVERIFY2(accuracy[1] > accuracy[0] - 0.03, qPrintable(QStringLiteral("%1 vs %2").arg(accuracy[1]).arg(accuracy[0])));
        }
    }

    void strongAugmentation()
    {
        auto x = torch::randn({64, 1, 28, 28});
        auto g1 = torch::make_generator<torch::CPUGeneratorImpl>(7), g2 = torch::make_generator<torch::CPUGeneratorImpl>(7);
        const auto a = strongAugmentBatch(x, true, g1), b = strongAugmentBatch(x, true, g2);
        QCOMPARE(a.sizes(), x.sizes());
        QVERIFY(torch::equal(a, b)); // deterministic for a generator seed
        QVERIFY(!torch::allclose(a, x));
        // Random erasing zeroes a rectangle in about half of the images; the affine map keeps
        // most of the content (correlation with the input well above zero on average).
        const auto zeroShare = a.eq(0).to(torch::kFloat32).mean().item<double>();
        QVERIFY2(zeroShare > 0.01 && zeroShare < 0.5, qPrintable(QString::number(zeroShare)));
        const auto ones = torch::ones({8, 1, 28, 28});
        const auto c = strongAugmentBatch(ones, false, g1);
        QVERIFY(c.sum().item<double>() > 0.5 * ones.sum().item<double>());
    }

    // Every architecture the config names gives [B, 128] embeddings and [B, K] logits, and
    // forward(x) == head(embed(x)); small_cnn / medium_cnn refuse a side not divisible by 4.
    void architectures()
    {
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({3, 1, 28, 28});
        for (Architecture a : {Architecture::Auto, Architecture::SmallCnn, Architecture::MediumCnn, Architecture::SmallResNet}) {
            auto net = makeClassifier(1, 28, 10, a);
            net->eval();
            const auto e = net->embed(x);
            QCOMPARE(e.sizes(), (torch::IntArrayRef{3, 128}));
            QVERIFY(torch::allclose(net->forward(x), net->head(e)));
            QCOMPARE(net->forward(x).sizes(), (torch::IntArrayRef{3, 10}));
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeClassifier(1, 30, 10, Architecture::MediumCnn));
        // The medium network has more parameters than the small one and fewer than the ResNet's compute.
        auto count = [](const std::shared_ptr<ClassifierImpl> &net) {
            int64_t n = 0;
            for (const auto &p : net->parameters())
                n += p.numel();
            return n;
        };
        QVERIFY(count(makeClassifier(1, 28, 10, Architecture::MediumCnn)) > count(makeClassifier(1, 28, 10, Architecture::SmallCnn)));
    }

    void stoppingRules()
    {
        std::atomic_bool cancel{false};
        QString error;
        AlConfig c = smallConfig();
        c.minSteps = 20;
        c.budget = 120; // 50 + 70: the second batch is cut to the budget
        AlCurve curve;
        QVERIFY2(simulate(m_data, c, 2, cancel, &curve, &error), qPrintable(error));
        QCOMPARE(curve.stopReason, QStringLiteral("budget"));
        QCOMPARE(curve.oracleQueries, int64_t(120));
        QCOMPARE(curve.rounds.back().labels, int64_t(120));

        c = smallConfig();
        c.minSteps = 20;
        c.targetAccuracy = 0.05;
        QVERIFY2(simulate(m_data, c, 2, cancel, &curve, &error), qPrintable(error));
        QCOMPARE(curve.stopReason, QStringLiteral("target accuracy"));
        QCOMPARE(int(curve.rounds.size()), 1);
    }

    void limitScoresSubsetAndCancel()
    {
        std::atomic_bool cancel{false};
        QString error;
        AlConfig c = smallConfig();
        c.minSteps = 20;
        c.iterations = 1;
        c.limit = 300;
        c.diversity = QStringLiteral("clustering_sampling");
        c.coldStart = QStringLiteral("stratified_random");
        AlCurve curve;
        QVERIFY2(simulate(m_data, c, 3, cancel, &curve, &error), qPrintable(error));
        QCOMPARE(curve.rounds[0].poolScored, int64_t(300));
        QCOMPARE(curve.oracleQueries, int64_t(150));

        cancel = true;
        QVERIFY(!simulate(m_data, c, 3, cancel, &curve, &error));
        QCOMPARE(error, QStringLiteral("cancelled"));
    }

    void storeRoundsAndProjectRound()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("al.lsproj"));
        // A project of 300 + 300 Fashion-MNIST images whose train labels are hidden except 40.
        const QString made = testing::makeActiveLearningProject(file, 300, 40);
        QVERIFY2(made.isEmpty(), qPrintable(made));
        {
            ProjectStore store;
            QString error;
            QVERIFY2(store.open(file, &error), qPrintable(error));

            // Store API round trip; an unknown sample id is refused as a whole.
            AlRoundInfo info;
            info.strategy = QStringLiteral("margin_based");
            info.diversity = QStringLiteral("pick_top_n");
            info.batchSize = 2;
            QVERIFY(store.saveAlRound(info, {{999999, 0, 0.5f}}, &error) == 0);
            QVERIFY(error.contains(QLatin1String("999999")));
            QVERIFY(store.alRounds().empty());
        }
        {
            // A round without names (a caller that left them unset) is stored with empty names.
            QTemporaryDir other;
            ProjectStore store;
            QString error;
            QVERIFY2(store.open(other.filePath(QStringLiteral("unnamed.lsproj")), &error), qPrintable(error));
            AlRoundInfo unnamed;
            unnamed.batchSize = 1;
            QVERIFY2(store.saveAlRound(unnamed, {}, &error) > 0, qPrintable(error));
            QCOMPARE(store.alRounds().size(), std::size_t(1));
            QVERIFY(store.alRounds().front().diversity.isEmpty());
        }
        AlConfig c = smallConfig();
        c.minSteps = 20;
        c.numLabelled = 25;
        std::atomic_bool cancel{false};
        AlProjectRound round;
        QString error;
        QVERIFY2(projectRound(file, c, cancel, &round, &error), qPrintable(error));
        QCOMPARE(round.labelled, int64_t(40));
        QCOMPARE(round.pool, int64_t(260));
        QCOMPARE(int(round.queued.size()), 25);
        QVERIFY(round.validationAccuracy > 0.1);

        ProjectStore store;
        QVERIFY(store.open(file, &error));
        const auto rounds = store.alRounds();
        QCOMPARE(int(rounds.size()), 1);
        QCOMPARE(rounds[0].id, round.roundId);
        QCOMPARE(rounds[0].strategy, QStringLiteral("margin_based"));
        QCOMPARE(rounds[0].batchSize, 25);
        QCOMPARE(rounds[0].labelled, qint64(40));
        const auto queue = store.alQueue(round.roundId);
        QCOMPARE(int(queue.size()), 25);
        std::set<qint64> first;
        for (int i = 0; i < 25; ++i) {
            QCOMPARE(queue[i].position, i);
            QCOMPARE(queue[i].sampleId, round.queued[i]);
            const auto s = store.sample(queue[i].sampleId);
            QVERIFY(s && s->label < 0 && s->sample.split != QLatin1String("test"));
            first.insert(queue[i].sampleId);
        }
        store.close();
        // A second round does not queue samples still waiting in the first.
        AlProjectRound second;
        QVERIFY2(projectRound(file, c, cancel, &second, &error), qPrintable(error));
        QCOMPARE(second.pool, int64_t(260 - 25));
        for (qint64 id : second.queued)
            QVERIFY(!first.count(id));
    }
};

QTEST_GUILESS_MAIN(TestAlSimulate)
#include "tst_alsimulate.moc"
