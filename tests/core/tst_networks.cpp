// Tests of the networks and the training step's own kernels (core/ml/networks.h, trainer.h): our
// 2×2 max pooling against LibTorch's max_pool2d (values and gradients, ties, NaN, odd sizes, a
// real training batch), the crop-and-flip augmentation against the same crop done with tensor
// ops, the network names, and that the small and medium CNNs give forward(x) == head(embed(x)).

#include "ml/networks.h"
#include "ml/trainer.h"

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

    // The loop in augmentBatch against the tensor-op version it replaced, same random draws.
    void augmentationMatchesTensorOps()
    {
        auto reference = [](const torch::Tensor &x, int padding, bool hflip, torch::Generator &gen) {
            const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
            auto shifts = torch::randint(0, 2 * padding + 1, {b, 2}, gen, torch::kLong);
            auto flips = torch::randint(0, 2, {b}, gen, torch::kLong);
            auto padded = torch::constant_pad_nd(x, {padding, padding, padding, padding}, 0.0);
            auto out = torch::empty_like(x);
            for (int64_t i = 0; i < b; ++i) {
                auto crop = padded[i].narrow(1, shifts[i][0].item<int64_t>(), h).narrow(2, shifts[i][1].item<int64_t>(), w);
                if (hflip && flips[i].item<int64_t>())
                    crop = crop.flip({2});
                out[i].copy_(crop);
            }
            return out;
        };
        auto data = torch::make_generator<torch::CPUGeneratorImpl>(12);
        for (int padding : {0, 2, 4})
            for (bool hflip : {false, true})
                for (const auto &x : {torch::randn({64, 1, 28, 28}, data), torch::randn({9, 3, 12, 10}, data),
                                      torch::randn({5, 2, 6, 6}, data).to(torch::kDouble)}) {
                    auto g1 = torch::make_generator<torch::CPUGeneratorImpl>(100 + padding);
                    auto g2 = torch::make_generator<torch::CPUGeneratorImpl>(100 + padding);
                    QVERIFY(torch::equal(augmentBatch(x, padding, hflip, g1), reference(x, padding, hflip, g2)));
                }
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
