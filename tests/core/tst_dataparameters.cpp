// Tests of Data Parameters (core/ml/dataparameters.h; Saxena et al., NeurIPS 2019): the sparse
// SGD-with-momentum step, the leaves of a batch, σ_eff, the weight decay on the batch rows, the
// autograd gradient of the tempered cross-entropy against the hand formula, the first step, class
// parameters, and a toy run in which a sample whose label contradicts its logits gets a high σ.
//
// The gradient, derived by hand. Let s = log σ and u = z / σ = z·e^(−s) (z the logits of one
// sample, y its label, B the batch size, p = softmax(u)). Then
//   CE(u, y) = −u_y + log Σ_k e^(u_k),   ∂CE/∂u_k = p_k − δ_ky,   ∂u_k/∂s = −z_k·e^(−s) = −u_k,
//   ∂CE/∂s = Σ_k (p_k − δ_ky)(−u_k) = u_y − Σ_k p_k u_k = (1/σ)·(z_y − Σ_k p_k z_k),
// and for the batch mean: ∂L/∂(log σ_i) = +(1/B)·(1/σ_i)·(z_y − Σ_k p_k z_k).
// The sign is +: a sample whose given label scores above the softmax-weighted mean logit
// (learnt) has a positive gradient, so SGD lowers its σ; a sample whose label scores below it
// (not learnt, often mislabelled) has a negative gradient and its σ rises, as in the paper.
// With respect to σ itself: ∂L/∂σ_i = (1/B)·(1/σ_i²)·(z_y − Σ_k p_k z_k).

#include "ml/dataparameters.h"

#include <QTest>

#include <cmath>
#include <vector>

using namespace labelscope;

namespace {

const double kLogLo = std::log(1.0 / 20.0); // −2.995732
const double kLogHi = std::log(20.0);       //  2.995732

torch::Tensor floats(const QList<float> &v)
{
    return torch::tensor(std::vector<float>(v.begin(), v.end()), torch::kFloat32);
}

torch::Tensor longs(const QList<qint64> &v)
{
    std::vector<int64_t> w(v.begin(), v.end());
    return torch::tensor(w, torch::kLong).reshape({int64_t(w.size())});
}

torch::Tensor longs(std::initializer_list<int64_t> v)
{
    return longs(QList<qint64>(v.begin(), v.end()));
}

torch::Tensor logitRows(const std::vector<std::vector<float>> &rows)
{
    const int64_t b = int64_t(rows.size()), k = int64_t(rows.front().size());
    auto t = torch::empty({b, k}, torch::kFloat32);
    for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < k; ++j)
            t[i][j] = rows[std::size_t(i)][std::size_t(j)];
    return t;
}

/// The hand formula above, in doubles: ∂ mean_B CE(z/σ, y) / ∂ log σ for one sample.
double handGradLogSigma(const std::vector<float> &z, int y, double sigma, int batch)
{
    double m = -1e300;
    for (float v : z)
        m = std::max(m, double(v) / sigma);
    double norm = 0;
    for (float v : z)
        norm += std::exp(double(v) / sigma - m);
    double expectedZ = 0;
    for (float v : z)
        expectedZ += std::exp(double(v) / sigma - m) / norm * double(v);
    return (1.0 / batch) * (1.0 / sigma) * (double(z[std::size_t(y)]) - expectedZ);
}

void compareTensor(const torch::Tensor &actual, const std::vector<double> &expected, double tol,
                   const char *what)
{
    const auto a = actual.detach().cpu().to(torch::kFloat64).contiguous();
    QCOMPARE(a.numel(), int64_t(expected.size()));
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const double v = a.data_ptr<double>()[i];
        if (std::abs(v - expected[i]) > tol)
            QFAIL(qPrintable(QStringLiteral("%1[%2] = %3, expected %4")
                                 .arg(QLatin1String(what)).arg(i).arg(v, 0, 'g', 9)
                                 .arg(expected[i], 0, 'g', 9)));
    }
}

DataParametersConfig instanceOnly(double init, double lr = 0.2, double wd = 0.0)
{
    DataParametersConfig c;
    c.learnInstance = true;
    c.learnClass = false;
    c.instanceInit = init;
    c.instanceLr = lr;
    c.instanceWd = wd;
    c.momentum = 0.9;
    return c;
}

// The two samples used by the gradient tests: 3 classes, σ = 2 for both.
//   sample a: z = [2, 1, 0], y = 0 (label = argmax: learnt)
//     u = z/2 = [1, .5, 0], p = [.506480, .307196, .186324], Σ p z = 1.320157
//     ∂L/∂log σ = (1/2)(1/2)(2 − 1.320157) = +0.169961
//   sample b: z = [.5, 1.5, −1], y = 2 (label = argmin: not learnt)
//     u = [.25, .75, −.5], p = [.320401, .528252, .151347], Σ p z = 0.801232
//     ∂L/∂log σ = (1/2)(1/2)(−1 − 0.801232) = −0.450308
const std::vector<float> kZa{2.f, 1.f, 0.f}, kZb{0.5f, 1.5f, -1.f};
const int kYa = 0, kYb = 2;

} // namespace

class TestDataParameters final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sparseSgdStep_data();
    void sparseSgdStep();
    void sparseSgdStepAccumulatesMomentum();
    void instanceBegin();
    void instanceWeightDecay();
    void instanceGradientAndFirstStep();
    void classParameters();
    void nothingLearnt();
    void inconsistentLabelGetsHighSigma();
};

void TestDataParameters::sparseSgdStep_data()
{
    QTest::addColumn<QList<float>>("param");
    QTest::addColumn<QList<float>>("buf");
    QTest::addColumn<QList<qint64>>("rows");
    QTest::addColumn<QList<float>>("grad");
    QTest::addColumn<double>("lr");
    QTest::addColumn<double>("momentum");
    QTest::addColumn<QList<float>>("expectedParam");
    QTest::addColumn<QList<float>>("expectedBuf");

    // Row 1: buf = .9·.2 + .5 = .68, p = .5 − .1·.68 = .432.
    // Row 3: buf = .9·.4 − 1 = −.64, p = 1 − .1·(−.64) = 1.064. Rows 0, 2, 4 keep value and buf.
    QTest::newRow("two rows with momentum")
        << QList<float>{0.f, .5f, -.5f, 1.f, 2.f} << QList<float>{.1f, .2f, .3f, .4f, .5f}
        << QList<qint64>{1, 3} << QList<float>{.5f, -1.f} << 0.1 << 0.9
        << QList<float>{0.f, .432f, -.5f, 1.064f, 2.f} << QList<float>{.1f, .68f, .3f, -.64f, .5f};
    // Rows given out of order, gradient aligned with them: row 2 gets .3, row 0 gets −.2.
    // Row 2: buf = .5·1 + .3 = .8, p = 0 − .5·.8 = −.4. Row 0: buf = .5·(−1) − .2 = −.7,
    // p = 1 + .35 = 1.35. Row 1 untouched.
    QTest::newRow("unsorted rows")
        << QList<float>{1.f, 7.f, 0.f} << QList<float>{-1.f, 3.f, 1.f}
        << QList<qint64>{2, 0} << QList<float>{.3f, -.2f} << 0.5 << 0.5
        << QList<float>{1.35f, 7.f, -.4f} << QList<float>{-.7f, 3.f, .8f};
    // No momentum: the old buffer is forgotten on listed rows: buf = 0·5 + 2 = 2, p = 1 − .5·2 = 0.
    // Row 0 is not listed: even with momentum 0 it keeps its buffer 5 (a dense step would zero it).
    QTest::newRow("momentum zero")
        << QList<float>{0.f, 1.f} << QList<float>{5.f, 5.f}
        << QList<qint64>{1} << QList<float>{2.f} << 0.5 << 0.0
        << QList<float>{0.f, 0.f} << QList<float>{5.f, 2.f};
    // Clamp: 2.9 − .1·(−5) = 3.4 → log 20 = 2.995732; −2.9 − .1·5 = −3.4 → log(1/20).
    // The buffer keeps the unclamped momentum (as torch.optim.SGD followed by a clamp).
    QTest::newRow("clamp both ends")
        << QList<float>{2.9f, -2.9f, 0.f} << QList<float>{0.f, 0.f, 0.f}
        << QList<qint64>{0, 1} << QList<float>{-5.f, 5.f} << 0.1 << 0.9
        << QList<float>{float(kLogHi), float(kLogLo), 0.f} << QList<float>{-5.f, 5.f, 0.f};
    // A listed row already beyond the range is pulled back by the clamp even with zero gradient.
    QTest::newRow("clamp out-of-range row")
        << QList<float>{5.f, -5.f} << QList<float>{0.f, 0.f}
        << QList<qint64>{0} << QList<float>{0.f} << 0.1 << 0.9
        << QList<float>{float(kLogHi), -5.f} << QList<float>{0.f, 0.f};
    QTest::newRow("no rows")
        << QList<float>{1.f, 2.f} << QList<float>{3.f, 4.f}
        << QList<qint64>{} << QList<float>{} << 0.1 << 0.9
        << QList<float>{1.f, 2.f} << QList<float>{3.f, 4.f};
}

void TestDataParameters::sparseSgdStep()
{
    QFETCH(QList<float>, param);
    QFETCH(QList<float>, buf);
    QFETCH(QList<qint64>, rows);
    QFETCH(QList<float>, grad);
    QFETCH(double, lr);
    QFETCH(double, momentum);
    QFETCH(QList<float>, expectedParam);
    QFETCH(QList<float>, expectedBuf);

    auto p = floats(param), b = floats(buf);
    const auto pData = p.data_ptr<float>(), bData = b.data_ptr<float>();
    labelscope::sparseSgdStep(p, b, longs(rows), floats(grad), lr, momentum, kLogLo, kLogHi);
    // In place: the same storage, updated.
    QCOMPARE(p.data_ptr<float>(), pData);
    QCOMPARE(b.data_ptr<float>(), bData);
    compareTensor(p, std::vector<double>(expectedParam.begin(), expectedParam.end()), 1e-6, "param");
    compareTensor(b, std::vector<double>(expectedBuf.begin(), expectedBuf.end()), 1e-6, "buf");
}

void TestDataParameters::sparseSgdStepAccumulatesMomentum()
{
    // lr .1, momentum .9, param = buf = 0 on 3 rows.
    // Step 1, rows {0}, g = 1:      buf0 = 1,                 p0 = −.1
    // Step 2, rows {0, 2}, g = (.5, 2):
    //   row 0: buf0 = .9·1 + .5 = 1.4, p0 = −.1 − .14 = −.24  (a plain SGD step would give −.15)
    //   row 2: buf2 = 0 + 2 = 2,       p2 = −.2
    // Step 3, rows {2}, g = −1: buf2 = .9·2 − 1 = .8, p2 = −.2 − .08 = −.28; row 0 keeps −.24, 1.4.
    // Row 1 is never listed: 0, 0.
    auto p = torch::zeros({3}), b = torch::zeros({3});
    labelscope::sparseSgdStep(p, b, longs({0}), floats({1.f}), 0.1, 0.9, kLogLo, kLogHi);
    compareTensor(p, {-0.1, 0, 0}, 1e-6, "param after step 1");
    compareTensor(b, {1, 0, 0}, 1e-6, "buf after step 1");
    labelscope::sparseSgdStep(p, b, longs({0, 2}), floats({.5f, 2.f}), 0.1, 0.9, kLogLo, kLogHi);
    compareTensor(p, {-0.24, 0, -0.2}, 1e-6, "param after step 2");
    compareTensor(b, {1.4, 0, 2}, 1e-6, "buf after step 2");
    labelscope::sparseSgdStep(p, b, longs({2}), floats({-1.f}), 0.1, 0.9, kLogLo, kLogHi);
    compareTensor(p, {-0.24, 0, -0.28}, 1e-6, "param after step 3");
    compareTensor(b, {1.4, 0, 0.8}, 1e-6, "buf after step 3");
}

void TestDataParameters::instanceBegin()
{
    DataParameters dp(5, 3, instanceOnly(2.0), torch::kCPU);
    const auto batch = dp.begin(longs({4, 1}), longs({2, 0}));
    QVERIFY(batch.logSigmaInst.defined());
    QVERIFY(!batch.logSigmaClass.defined());
    QVERIFY(batch.logSigmaInst.is_leaf());
    QVERIFY(batch.logSigmaInst.requires_grad());
    compareTensor(batch.logSigmaInst, {std::log(2.0), std::log(2.0)}, 1e-6, "leaf"); // .693147
    const auto s = dp.sigma(batch);
    compareTensor(s, {2.0, 2.0}, 1e-6, "sigma");
    QVERIFY(s.requires_grad());
    compareTensor(dp.instanceSigma(), {2, 2, 2, 2, 2}, 1e-6, "instanceSigma");
    QVERIFY(!dp.classSigma().defined());

    // The leaves are copies: changing them does not touch the stored parameters.
    {
        torch::NoGradGuard g;
        batch.logSigmaInst.fill_(0.f);
    }
    compareTensor(dp.instanceSigma(), {2, 2, 2, 2, 2}, 1e-6, "instanceSigma after leaf edit");
}

void TestDataParameters::instanceWeightDecay()
{
    // No decay configured: exactly 0.
    {
        DataParameters dp(4, 3, instanceOnly(2.0), torch::kCPU);
        QCOMPARE(dp.weightDecay(dp.begin(longs({0, 1}), longs({0, 0}))).item<double>(), 0.0);
    }
    const double wd = 0.1, lr = 0.2, l2 = std::log(2.0);
    DataParameters dp(4, 3, instanceOnly(2.0, lr, wd), torch::kCPU);
    // Batch {1, 3}: 0.5 · .1 · 2 · (log 2)² = 0.048045 (over all 4 rows it would be 0.096091).
    auto batch = dp.begin(longs({1, 3}), longs({0, 2}));
    auto decay = dp.weightDecay(batch);
    QVERIFY(std::abs(decay.item<double>() - 0.5 * wd * 2 * l2 * l2) < 1e-6);
    QVERIFY(std::abs(decay.item<double>() - 0.048045) < 1e-6);
    // Its gradient is wd · log σ = .0693147 on each batch leaf.
    decay.backward();
    compareTensor(batch.logSigmaInst.grad(), {wd * l2, wd * l2}, 1e-6, "decay grad");
    // Step on the decay alone: rows 1, 3 become log 2 − .2 · .0693147 = 0.679284; 0, 2 stay.
    dp.step(batch);
    const double moved = l2 - lr * wd * l2;
    compareTensor(dp.instanceSigma(), {2.0, std::exp(moved), 2.0, std::exp(moved)}, 1e-5, "sigma");
    // Batch {0, 1}: rows now differ: 0.5 · .1 · ((log 2)² + 0.679284²) = 0.05 · 0.941880 = 0.047094.
    auto batch2 = dp.begin(longs({0, 1}), longs({1, 1}));
    QVERIFY(std::abs(dp.weightDecay(batch2).item<double>() - 0.5 * wd * (l2 * l2 + moved * moved)) < 1e-6);
    QVERIFY(std::abs(dp.weightDecay(batch2).item<double>() - 0.047094) < 1e-5);
}

void TestDataParameters::instanceGradientAndFirstStep()
{
    // 4 instances, σ = 2 everywhere; the batch is instances {1, 3} = samples a, b above.
    const double lr = 0.2;
    DataParameters dp(4, 3, instanceOnly(2.0, lr), torch::kCPU);
    auto batch = dp.begin(longs({1, 3}), longs({kYa, kYb}));
    const auto logits = logitRows({kZa, kZb});
    const auto sigma = dp.sigma(batch);
    const auto loss = torch::nn::functional::cross_entropy(logits / sigma.unsqueeze(1), batch.targets)
        + dp.weightDecay(batch); // wd = 0: adds nothing
    // Loss = mean(0.680270, 1.888182) = 1.284226 (−log p_y of each sample, p as above).
    QVERIFY(std::abs(loss.item<double>() - 0.5 * (0.680270 + 1.888182)) < 1e-5);
    loss.backward();

    const double ga = handGradLogSigma(kZa, kYa, 2.0, 2), gb = handGradLogSigma(kZb, kYb, 2.0, 2);
    // The hand formula itself, against the numbers worked out above.
    QVERIFY(std::abs(ga - 0.169961) < 1e-6);
    QVERIFY(std::abs(gb - (-0.450308)) < 1e-6);
    QVERIFY(ga > 0); // learnt label: σ will fall
    QVERIFY(gb < 0); // contradicted label: σ will rise
    compareTensor(batch.logSigmaInst.grad(), {ga, gb}, 1e-5, "autograd vs hand");

    // First step (zero momentum buffer): log σ ← log σ − lr · g.
    //   a: .693147 − .2·.169961 = 0.659155 (σ 1.933158); b: .693147 + .2·.450308 = 0.783209 (σ 2.188483)
    dp.step(batch);
    const double l2 = std::log(2.0);
    compareTensor(dp.instanceSigma(),
                  {2.0, std::exp(l2 - lr * ga), 2.0, std::exp(l2 - lr * gb)}, 1e-5, "after step");
    compareTensor(dp.instanceSigma(), {2.0, 1.933158, 2.0, 2.188483}, 1e-5, "after step (numbers)");
    // A second begin() sees the new values as leaves.
    auto again = dp.begin(longs({3, 0}), longs({0, 0}));
    compareTensor(again.logSigmaInst, {l2 - lr * gb, l2}, 1e-6, "leaves after step");
}

void TestDataParameters::classParameters()
{
    // σ_inst = .5 for 4 instances, σ_class = 1.5 for 3 classes: σ_eff = 2 for every sample,
    // so samples a, b give the same ∂L/∂σ_eff = g/σ_eff (g = ∂L/∂log σ_eff from above):
    //   a (class 0): .169961/2 = .084980;  b (class 2): −.450308/2 = −.225154.
    // By the chain rule (∂σ_eff/∂log σ_x = σ_x):
    //   ∂L/∂log σ_inst[i]  = ∂L/∂σ_eff_i · .5   → a: .042490, b: −.112577
    //   ∂L/∂log σ_class[c] = Σ_{i: y_i = c} ∂L/∂σ_eff_i · 1.5 → class 0: .127471, 1: 0, 2: −.337731
    DataParametersConfig cfg;
    cfg.learnInstance = true;
    cfg.learnClass = true;
    cfg.instanceInit = 0.5;
    cfg.classInit = 1.5;
    cfg.instanceLr = 0.2;
    cfg.classLr = 0.1;
    cfg.instanceWd = 0.0;
    cfg.classWd = 0.01;
    cfg.momentum = 0.9;
    const double ilr = cfg.instanceLr, clr = cfg.classLr, m = cfg.momentum;
    DataParameters dp(4, 3, cfg, torch::kCPU);
    const double li = std::log(0.5), lc = std::log(1.5);

    auto batch = dp.begin(longs({0, 2}), longs({kYa, kYb}));
    QVERIFY(batch.logSigmaClass.defined());
    QVERIFY(batch.logSigmaClass.is_leaf());
    compareTensor(batch.logSigmaClass, {lc, lc, lc}, 1e-6, "class leaves");
    compareTensor(dp.sigma(batch), {2.0, 2.0}, 1e-6, "sigma_eff");
    // Class decay over the classes of the batch only (0 and 2, not 1):
    // 0.5 · .01 · 2 · (log 1.5)² = .01 · 0.164402 = 0.00164402.
    const auto decay = dp.weightDecay(batch);
    QVERIFY(std::abs(decay.item<double>() - 0.5 * 0.01 * 2 * lc * lc) < 1e-7);

    const auto ce = torch::nn::functional::cross_entropy(
        logitRows({kZa, kZb}) / dp.sigma(batch).unsqueeze(1), batch.targets);
    ce.backward(); // without the decay, to compare with the hand gradient
    const double ga = handGradLogSigma(kZa, kYa, 2.0, 2) / 2.0;
    const double gb = handGradLogSigma(kZb, kYb, 2.0, 2) / 2.0;
    compareTensor(batch.logSigmaInst.grad(), {ga * 0.5, gb * 0.5}, 1e-5, "instance grad");
    compareTensor(batch.logSigmaInst.grad(), {0.042490, -0.112577}, 1e-5, "instance grad (numbers)");
    compareTensor(batch.logSigmaClass.grad(), {ga * 1.5, 0.0, gb * 1.5}, 1e-5, "class grad");
    compareTensor(batch.logSigmaClass.grad(), {0.127471, 0.0, -0.337731}, 1e-5, "class grad (numbers)");

    // Step 1: classes 0, 2 and instances 0, 2 move by −lr · g; class 1, instances 1, 3 do not.
    const double gc0 = ga * 1.5, gc2 = gb * 1.5, gi0 = ga * 0.5;
    dp.step(batch);
    const double c0 = lc - clr * gc0, c2 = lc - clr * gc2, i0 = li - ilr * gi0;
    compareTensor(dp.classSigma(), {std::exp(c0), 1.5, std::exp(c2)}, 1e-5, "class after step 1");
    compareTensor(dp.instanceSigma(), {std::exp(i0), 0.5, std::exp(li - ilr * gb * 0.5), 0.5}, 1e-5,
                  "instances after step 1");

    // Step 2: only class 1 (instances 1, 3). Classes 0 and 2 keep their value (a dense momentum
    // step would move them by −lr·m·buf even with a zero gradient).
    {
        auto b2 = dp.begin(longs({1, 3}), longs({1, 1}));
        const auto l = torch::nn::functional::cross_entropy(
            logitRows({{0.f, 1.f, 2.f}, {1.f, 3.f, 0.f}}) / dp.sigma(b2).unsqueeze(1), b2.targets);
        l.backward();
        QCOMPARE(b2.logSigmaClass.grad()[0].item<float>(), 0.f);
        QCOMPARE(b2.logSigmaClass.grad()[2].item<float>(), 0.f);
        QVERIFY(b2.logSigmaClass.grad()[1].item<float>() != 0.f);
        const double g1 = b2.logSigmaClass.grad()[1].item<double>();
        dp.step(b2);
        compareTensor(dp.classSigma(), {std::exp(c0), std::exp(lc - clr * g1), std::exp(c2)}, 1e-5,
                      "class after step 2");
        QCOMPARE(dp.instanceSigma()[0].item<float>(), float(std::exp(i0)));
    }

    // Step 3: class 0 and instance 0 again. Their momentum buffers still hold the step-1
    // gradients (not decayed by step 2): new = old − lr · (m · g_step1 + g_step3).
    auto b3 = dp.begin(longs({0}), longs({0}));
    QCOMPARE(b3.logSigmaClass.numel(), int64_t(3)); // all classes are leaves, whatever the batch
    QVERIFY(std::abs(b3.logSigmaClass[0].item<double>() - c0) < 1e-6);
    QVERIFY(std::abs(b3.logSigmaClass[2].item<double>() - c2) < 1e-6);
    const auto l3 = torch::nn::functional::cross_entropy(
        logitRows({{0.f, 2.f, 1.f}}) / dp.sigma(b3).unsqueeze(1), b3.targets);
    l3.backward();
    const double g3c = b3.logSigmaClass.grad()[0].item<double>();
    const double g3i = b3.logSigmaInst.grad()[0].item<double>();
    QVERIFY(g3c < 0 && g3i < 0); // label 0 is the argmin of [0, 2, 1]: σ should rise
    const auto classBefore = dp.classSigma();
    dp.step(b3);
    const auto classAfter = dp.classSigma();
    QVERIFY(std::abs(std::log(classAfter[0].item<double>()) - (c0 - clr * (m * gc0 + g3c))) < 1e-5);
    QVERIFY(std::abs(std::log(dp.instanceSigma()[0].item<double>()) - (i0 - ilr * (m * gi0 + g3i))) < 1e-5);
    // Classes 1, 2 are absent from step 3: unchanged.
    QCOMPARE(classAfter[1].item<float>(), classBefore[1].item<float>());
    QCOMPARE(classAfter[2].item<float>(), classBefore[2].item<float>());
}

void TestDataParameters::nothingLearnt()
{
    DataParametersConfig cfg;
    cfg.learnInstance = false;
    cfg.learnClass = false;
    cfg.instanceWd = cfg.classWd = 1.0;
    DataParameters dp(3, 2, cfg, torch::kCPU);
    auto batch = dp.begin(longs({0, 2}), longs({1, 0}));
    QVERIFY(!batch.logSigmaInst.defined());
    QVERIFY(!batch.logSigmaClass.defined());
    compareTensor(dp.sigma(batch), {1.0, 1.0}, 0.0, "sigma");
    QCOMPARE(dp.weightDecay(batch).item<double>(), 0.0);
    dp.step(batch); // nothing to do, must not throw
    QVERIFY(!dp.instanceSigma().defined());
    QVERIFY(!dp.classSigma().defined());
}

void TestDataParameters::inconsistentLabelGetsHighSigma()
{
    // 8 samples, 3 classes, fixed logits (no model): sample i has label i % 3 and logits that
    // favour it (3 on the label, small distinct values elsewhere), except sample 5 whose label
    // (2) is the class its logits rank last. Mini-batches alternate {0..3} and {4..7}, 200 steps,
    // defaults of the paper's CIFAR set-up (init 1, lr .2, momentum .9, wd 0).
    const int n = 8, k = 3, noisy = 5;
    std::vector<std::vector<float>> z(n, std::vector<float>(k));
    std::vector<int64_t> y(n);
    for (int i = 0; i < n; ++i) {
        y[i] = i % k;
        for (int c = 0; c < k; ++c)
            z[i][c] = (c == y[i] ? 3.f : 0.f) + 0.1f * float((i + c) % 3);
    }
    z[noisy] = {3.f, 0.5f, 0.f}; // y = 2 has the lowest logit
    QCOMPARE(y[noisy], int64_t(2));

    DataParameters dp(n, k, instanceOnly(1.0, 0.2), torch::kCPU);
    const float lo = 1.f / 20.f, hi = 20.f, tol = 1e-4f;
    for (int stepNo = 0; stepNo < 200; ++stepNo) {
        const int first = (stepNo % 2) * 4;
        auto idx = longs({first, first + 1, first + 2, first + 3});
        auto tgt = torch::tensor(std::vector<int64_t>(y.begin() + first, y.begin() + first + 4), torch::kLong);
        auto batch = dp.begin(idx, tgt);
        std::vector<std::vector<float>> rows(z.begin() + first, z.begin() + first + 4);
        auto loss = torch::nn::functional::cross_entropy(logitRows(rows) / dp.sigma(batch).unsqueeze(1), tgt)
            + dp.weightDecay(batch);
        loss.backward();
        dp.step(batch);
        const auto s = dp.instanceSigma();
        QVERIFY2(s.min().item<float>() >= lo * (1 - tol) && s.max().item<float>() <= hi * (1 + tol),
                 qPrintable(QStringLiteral("step %1: σ out of [1/20, 20]").arg(stepNo)));
        QVERIFY(torch::isfinite(s).all().item<bool>());
    }
    const auto s = dp.instanceSigma();
    const float noisySigma = s[noisy].item<float>();
    float maxClean = 0.f;
    for (int i = 0; i < n; ++i)
        if (i != noisy) {
            maxClean = std::max(maxClean, s[i].item<float>());
            QVERIFY2(s[i].item<float>() < 1.f, qPrintable(QStringLiteral("clean σ_%1 = %2 did not fall")
                                                             .arg(i).arg(s[i].item<float>())));
        }
    qInfo("after 200 steps: σ of the contradicted sample %.3f, largest clean σ %.3f, smallest %.3f",
          double(noisySigma), double(maxClean), s.min().item<double>());
    QVERIFY2(noisySigma > maxClean,
             qPrintable(QStringLiteral("noisy σ %1 <= clean max %2").arg(noisySigma).arg(maxClean)));
    QVERIFY2(noisySigma > 5.f, qPrintable(QStringLiteral("noisy σ %1 did not rise").arg(noisySigma)));
}

QTEST_GUILESS_MAIN(TestDataParameters)
#include "tst_dataparameters.moc"
