// Tests of the networks (core/ml/networks.h): our 2×2 max pooling against LibTorch's max_pool2d
// (values and gradients, ties, NaN, odd sizes, a real training batch), the network names, and that
// the small and medium CNNs give forward(x) == head(embed(x)).

#include "ml/networks.h"

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

    void architectureNames()
    {
        bool ok = false;
        QVERIFY(architectureFromName(QStringLiteral("medium_cnn"), &ok) == Architecture::MediumCnn && ok);
        QVERIFY(architectureFromName(QStringLiteral("small_cnn"), &ok) == Architecture::SmallCnn && ok);
        QVERIFY(architectureFromName(QStringLiteral("small_resnet"), &ok) == Architecture::SmallResNet && ok);
        QVERIFY(architectureFromName(QStringLiteral("auto"), &ok) == Architecture::Auto && ok);
        QVERIFY(architectureFromName(QString(), &ok) == Architecture::Auto && ok);
        architectureFromName(QStringLiteral("resnet50"), &ok);
        QVERIFY(!ok);
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
