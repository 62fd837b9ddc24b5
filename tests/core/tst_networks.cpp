// Tests of the networks (core/ml/networks.h): our 2×2 max pooling against LibTorch's max_pool2d
// (values and gradients, ties, NaN, odd sizes, a real training batch), the network names, and that
// the small and medium CNNs give forward(x) == head(embed(x)); mixed precision (bfloat16
// pooling, trainingLogits, the precision names).

#include "ml/networks.h"

#include <ATen/autocast_mode.h>

#include <QTest>

#include <cmath>
#include <limits>

using namespace labelscope;
namespace F = torch::nn::functional;

class TestNetworks : public QObject {
    Q_OBJECT

    // Values and input gradient (for a random upstream gradient) of ours and of max_pool2d.
    static void compareWithMaxPool2d(const torch::Tensor &input, uint64_t seed)
    {
        auto a = input.clone().requires_grad_(true);
        auto b = input.clone().requires_grad_(true);
        auto ours = maxPool2x2(a);
        auto theirs = F::max_pool2d(b, F::MaxPool2dFuncOptions(2));
        QCOMPARE(ours.sizes().vec(), theirs.sizes().vec());
        QVERIFY(torch::equal(torch::isnan(ours), torch::isnan(theirs)));
        QVERIFY(torch::equal(torch::nan_to_num(ours), torch::nan_to_num(theirs)));
        auto gen = torch::make_generator<torch::CPUGeneratorImpl>(seed);
        auto upstream = torch::randn(ours.sizes(), gen);
        ours.backward(upstream);
        theirs.backward(upstream);
        QVERIFY(torch::equal(a.grad(), b.grad()));
    }

private Q_SLOTS:
    void maxPoolMatchesLibTorchOnRandomInput()
    {
        auto gen = torch::make_generator<torch::CPUGeneratorImpl>(3);
        compareWithMaxPool2d(torch::randn({4, 3, 8, 6}, gen), 1);
        compareWithMaxPool2d(torch::randn({128, 32, 28, 28}, gen), 2); // a small-CNN batch
    }

    void maxPoolTiesGoToTheFirstCellAsInLibTorch()
    {
        // Integers in 0..2: most windows hold ties; the gradient must go to the same cell.
        auto gen = torch::make_generator<torch::CPUGeneratorImpl>(5);
        compareWithMaxPool2d(torch::randint(0, 3, {2, 4, 10, 10}, gen).to(torch::kFloat), 3);
        compareWithMaxPool2d(torch::zeros({1, 1, 4, 4}), 4); // all equal
        // Hand case: window [[1, 5], [5, 2]] → 5, gradient to the top-right cell only.
        auto x = torch::tensor({1.f, 5.f, 5.f, 2.f}).reshape({1, 1, 2, 2}).requires_grad_(true);
        auto y = maxPool2x2(x);
        QCOMPARE(y.item<float>(), 5.f);
        y.sum().backward();
        QVERIFY(torch::equal(x.grad(), torch::tensor({0.f, 1.f, 0.f, 0.f}).reshape({1, 1, 2, 2})));
    }

    void maxPoolPropagatesNaN()
    {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        auto x = torch::tensor({1.f, nan, 3.f, 2.f, 4.f, 0.f, 1.f, 2.f}).reshape({1, 1, 2, 4});
        compareWithMaxPool2d(x, 6);
        QVERIFY(std::isnan(maxPool2x2(x).flatten()[0].item<float>()));
        QCOMPARE(maxPool2x2(x).flatten()[1].item<float>(), 3.f); // window [[3, 2], [1, 2]]
    }

    void maxPoolFallsBackForOddSidesAndOtherTypes()
    {
        auto gen = torch::make_generator<torch::CPUGeneratorImpl>(8);
        compareWithMaxPool2d(torch::randn({2, 2, 7, 9}, gen), 7); // max_pool2d floors: 3 × 4
        auto d = torch::randn({1, 2, 4, 4}, gen).to(torch::kDouble);
        QVERIFY(torch::equal(maxPool2x2(d), F::max_pool2d(d, F::MaxPool2dFuncOptions(2))));
    }

    void maxPoolOnANonContiguousInput()
    {
        auto gen = torch::make_generator<torch::CPUGeneratorImpl>(9);
        auto x = torch::randn({3, 2, 6, 8}, gen).transpose(2, 3); // [3, 2, 8, 6], strided
        QVERIFY(!x.is_contiguous());
        compareWithMaxPool2d(x, 10);
    }

    void maxPoolInBfloat16MatchesLibTorch()
    {
        // bfloat16 rounding makes ties common: the same winners and gradients as max_pool2d.
        auto gen = torch::make_generator<torch::CPUGeneratorImpl>(12);
        const auto x = torch::randn({16, 8, 12, 10}, gen).to(torch::kBFloat16);
        compareWithMaxPool2d(x, 13);
        compareWithMaxPool2d(torch::randint(0, 3, {2, 4, 6, 6}, gen).to(torch::kBFloat16), 14);
        QCOMPARE(maxPool2x2(x).scalar_type(), torch::kBFloat16);
    }

    void precisionNames()
    {
        QVERIFY(enumFromName(kPrecisionNames, QStringLiteral("bf16")) == Precision::BFloat16);
        QVERIFY(enumFromName(kPrecisionNames, QStringLiteral("fp32")) == Precision::Float32);
        QVERIFY(enumFromName(kPrecisionNames, QStringLiteral("auto")) == Precision::Auto);
        QVERIFY(!enumFromName(kPrecisionNames, QStringLiteral("fp16")));
        QCOMPARE(enumName(kPrecisionNames, Precision::BFloat16), QStringLiteral("bf16"));
        // Auto: bfloat16 only on a CPU with native support; never on CUDA (not measured there).
        QVERIFY(resolvePrecision(Precision::Auto, torch::kCPU)
                == (cpuHasNativeBf16() ? Precision::BFloat16 : Precision::Float32));
        QVERIFY(resolvePrecision(Precision::Auto, torch::Device(torch::kCUDA)) == Precision::Float32);
        QVERIFY(resolvePrecision(Precision::Float32, torch::kCPU) == Precision::Float32);
        qInfo("native bfloat16 on this CPU: %s", cpuHasNativeBf16() ? "yes" : "no");
    }

    void bfloat16TrainingLogitsAreFloatCloseAndTrainable()
    {
        auto gen = torch::make_generator<torch::CPUGeneratorImpl>(15);
        const auto x = torch::randn({32, 1, 28, 28}, gen);
        const auto y = torch::randint(0, 10, {32}, gen);
        for (Architecture a : {Architecture::SmallCnn, Architecture::MediumCnn, Architecture::SmallResNet}) {
            torch::manual_seed(2);
            auto net = makeClassifier(1, 28, 10, a);
            net->eval(); // no dropout: the two precisions see the same network
            torch::Tensor exact, mixed;
            {
                torch::NoGradGuard noGrad;
                exact = trainingLogits(*net, x, Precision::Float32);
                mixed = trainingLogits(*net, x, Precision::BFloat16);
            }
            QCOMPARE(mixed.scalar_type(), torch::kFloat);
            QVERIFY(!at::autocast::is_cpu_enabled()); // state restored after the pass
            // bfloat16 keeps 8 bits of mantissa: logits agree to a few percent of their range.
            const double range = exact.abs().max().item<double>();
            const double diff = (mixed - exact).abs().max().item<double>();
            qInfo("%d: largest logit difference %.4f of range %.4f", int(a), diff, range);
            QVERIFY2(diff < 0.05 * range + 1e-3, qPrintable(QStringLiteral("%1 vs %2").arg(diff).arg(range)));
            QVERIFY(diff > 0.0); // the mixed pass did compute in bfloat16
            // Gradients reach every parameter, in float32.
            net->train();
            auto loss = torch::nn::functional::cross_entropy(trainingLogits(*net, x, Precision::BFloat16), y);
            loss.backward();
            for (const auto &p : net->parameters()) {
                QVERIFY(p.grad().defined());
                QCOMPARE(p.grad().scalar_type(), torch::kFloat);
                QVERIFY(torch::isfinite(p.grad()).all().item<bool>());
            }
        }
    }

    void architectureNames()
    {
        QVERIFY(enumFromName(kArchitectureNames, QStringLiteral("medium_cnn")) == Architecture::MediumCnn);
        QVERIFY(enumFromName(kArchitectureNames, QStringLiteral("small_cnn")) == Architecture::SmallCnn);
        QVERIFY(enumFromName(kArchitectureNames, QStringLiteral("small_resnet")) == Architecture::SmallResNet);
        QVERIFY(enumFromName(kArchitectureNames, QStringLiteral("auto")) == Architecture::Auto);
        QVERIFY(!enumFromName(kArchitectureNames, QStringLiteral("resnet50")));
    }

    void autoArchitecture()
    {
        const torch::Device cpu(torch::kCPU), cuda(torch::kCUDA);
        QVERIFY(resolveArchitecture(Architecture::Auto, 1, 28, Precision::BFloat16, cpu) == Architecture::MediumCnn);
        QVERIFY(resolveArchitecture(Architecture::Auto, 1, 28, Precision::Float32, cpu) == Architecture::SmallCnn);
        QVERIFY(resolveArchitecture(Architecture::Auto, 1, 32, Precision::Float32, cuda) == Architecture::MediumCnn);
        QVERIFY(resolveArchitecture(Architecture::Auto, 3, 32, Precision::BFloat16, cpu) == Architecture::SmallResNet);
        QVERIFY(resolveArchitecture(Architecture::Auto, 1, 64, Precision::BFloat16, cpu) == Architecture::SmallResNet);
        QVERIFY(resolveArchitecture(Architecture::Auto, 1, 30, Precision::BFloat16, cpu) == Architecture::SmallResNet);
        QVERIFY(resolveArchitecture(Architecture::SmallCnn, 1, 28, Precision::BFloat16, cpu) == Architecture::SmallCnn);
        QCOMPARE(enumName(kArchitectureNames, Architecture::MediumCnn), QStringLiteral("medium_cnn"));
    }

    void cnnsGiveHeadOfEmbed()
    {
        torch::NoGradGuard noGrad;
        auto gen = torch::make_generator<torch::CPUGeneratorImpl>(11);
        const auto x = torch::randn({5, 1, 28, 28}, gen);
        for (Architecture a : {Architecture::SmallCnn, Architecture::MediumCnn}) {
            torch::manual_seed(1);
            auto net = makeClassifier(1, 28, 10, a);
            net->eval();
            const auto logits = net->forward(x);
            QCOMPARE(logits.sizes().vec(), (std::vector<int64_t>{5, 10}));
            QVERIFY(torch::allclose(logits, net->head(net->embed(x))));
        }
    }
};

QTEST_GUILESS_MAIN(TestNetworks)
#include "tst_networks.moc"
