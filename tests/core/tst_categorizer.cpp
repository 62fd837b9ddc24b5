// Tests of the noise score and categories (core/base/categorizer.h): summaries of hand-made
// dynamics, the score formula, the categories on synthetic training dynamics (seeded) with 15%
// wrong labels and on a clean set, the posterior's monotonicity, edge cases.

#include "base/categorizer.h"
#include "base/metrics.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using namespace labelscope;

namespace {

/// Training dynamics of a synthetic run, with the truth.
struct Synthetic {
    Dynamics dynamics;
    std::vector<float> finalProb; ///< [N] p(given) of the final model
    std::vector<bool> wrong;      ///< [N] label is wrong
};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// Beta(a, b) from two gamma draws.
double beta(std::mt19937 &rng, double a, double b)
{
    std::gamma_distribution<double> ga(a, 1.0), gb(b, 1.0);
    const double x = ga(rng), y = gb(rng);
    return x / (x + y);
}

/// N samples of a 10-class problem over E epochs; `wrongFraction` of them (exactly, at random
/// positions) have a wrong label.
///  - clean: the logit of p(given) rises from l0 ~ N(.5, .8) towards lEnd ~ N(3.5, 1)
///    (p ≈ .97) along 1 − e^(−epoch/2.5), with N(0, .4) jitter per epoch; 5% of the clean
///    samples are ambiguous (lEnd ~ N(.5, 1): p ≈ .6); final model: sigmoid(lEnd + .3 ± .4).
///  - wrong: p(given) = b + .01·epoch ± .05 with b ~ Beta(3, 12) per sample (≈ .1–.3); final
///    model ~ Beta(2, 10); 10% are memorised late instead: p rises from ≈.15 to ≈.7 over the
///    second half, final ~ Beta(6, 4). These overlap the ambiguous clean ones.
///  - margin = logit(p) ± .3; σ falls slowly for clean samples and rises for wrong ones;
///    predicted = the given label when p > .5, else another class.
Synthetic makeDynamics(int n, int epochs, double wrongFraction, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<double> gauss(0.0, 1.0);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    Synthetic s;
    Dynamics &d = s.dynamics;
    d.epochs = epochs;
    d.sampleIds.resize(std::size_t(n));
    d.sigma.resize(std::size_t(n) * epochs);
    d.probGiven.resize(std::size_t(n) * epochs);
    d.margin.resize(std::size_t(n) * epochs);
    d.predicted.resize(std::size_t(n) * epochs);
    s.finalProb.resize(std::size_t(n));
    s.wrong.assign(std::size_t(n), false);

    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    const int nWrong = int(std::lround(wrongFraction * n));
    for (int k = 0; k < nWrong; ++k)
        s.wrong[std::size_t(order[std::size_t(k)])] = true;

    const double norm = 1.0 - std::exp(-epochs / 2.5);
    for (int i = 0; i < n; ++i) {
        d.sampleIds[std::size_t(i)] = 1000 + i;
        const int label = i % 10;
        const bool wrong = s.wrong[std::size_t(i)];
        const bool ambiguous = !wrong && unif(rng) < 0.05;
        const bool memorised = wrong && unif(rng) < 0.10;
        const double l0 = 0.5 + 0.8 * gauss(rng);
        const double lEnd = ambiguous ? 0.5 + gauss(rng) : 3.5 + gauss(rng);
        const double base = beta(rng, 3, 12);
        for (int e = 0; e < epochs; ++e) {
            double p;
            if (!wrong) {
                const double l = l0 + (lEnd - l0) * (1.0 - std::exp(-(e + 1) / 2.5)) / norm + 0.4 * gauss(rng);
                p = sigmoid(l);
            } else if (!memorised) {
                p = base + 0.01 * e + 0.05 * gauss(rng);
            } else {
                const double t = std::max(0.0, (e + 1.0 - epochs / 2.0) / (epochs / 2.0));
                p = 0.15 + 0.55 * t + 0.05 * gauss(rng);
            }
            p = std::clamp(p, 0.001, 0.999);
            const std::size_t at = std::size_t(i) * epochs + e;
            d.probGiven[at] = float(p);
            d.margin[at] = float(std::log(p / (1 - p)) + 0.3 * gauss(rng));
            d.sigma[at] = float(std::exp((wrong ? 0.15 : -0.05) * (e + 1) + 0.05 * gauss(rng)));
            d.predicted[at] = qint16(p > 0.5 ? label : (label + 1 + e % 9) % 10);
        }
        double fp;
        if (!wrong)
            fp = sigmoid(lEnd + 0.3 + 0.4 * gauss(rng));
        else
            fp = memorised ? beta(rng, 6, 4) : beta(rng, 2, 10);
        s.finalProb[std::size_t(i)] = float(fp);
    }
    return s;
}

std::vector<DynamicsSummary> summariesOf(const Synthetic &s)
{
    auto sum = summarizeDynamics(s.dynamics);
    for (std::size_t i = 0; i < sum.size(); ++i)
        sum[i].finalProb = s.finalProb[i];
    return sum;
}

Dynamics handDynamics(int epochs, const QList<float> &prob, const QList<float> &margin,
                      const QList<float> &sigma)
{
    Dynamics d;
    d.epochs = epochs;
    const int n = epochs > 0 ? int(prob.size()) / epochs : 0;
    for (int i = 0; i < n; ++i)
        d.sampleIds.push_back(i + 1);
    d.probGiven.assign(prob.begin(), prob.end());
    d.margin.assign(margin.begin(), margin.end());
    d.sigma.assign(sigma.begin(), sigma.end());
    d.predicted.assign(prob.size(), 0);
    return d;
}

DynamicsSummary summary(float meanProb, float lateProb, float finalProb)
{
    DynamicsSummary s;
    s.meanProb = meanProb;
    s.lateProb = lateProb;
    s.finalProb = finalProb;
    return s;
}

struct Counts {
    int easy = 0, hard = 0, review = 0, unknown = 0;
    int wrongEasy = 0, wrongHard = 0;
};

Counts countCategories(const Categorization &c, const std::vector<bool> &wrong)
{
    Counts k;
    for (std::size_t i = 0; i < c.category.size(); ++i) {
        const bool w = !wrong.empty() && wrong[i];
        switch (c.category[i]) {
        case Category::Easy: ++k.easy; k.wrongEasy += w; break;
        case Category::Hard: ++k.hard; k.wrongHard += w; break;
        case Category::NeedReview: ++k.review; break;
        default: ++k.unknown; break;
        }
    }
    return k;
}

QString describe(const Categorization &c, const Counts &k, const std::vector<bool> &wrong)
{
    const int nWrong = int(std::count(wrong.begin(), wrong.end(), true));
    return QStringLiteral("easy %1 (wrong %2), hard %3 (wrong %4 of %5), review %6, noisyFraction %7")
        .arg(k.easy).arg(k.wrongEasy).arg(k.hard).arg(k.wrongHard).arg(nWrong).arg(k.review)
        .arg(c.noisyFraction, 0, 'f', 4);
}

} // namespace

class TestCategorizer final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // summarizeDynamics
    void summarize_data();
    void summarize();
    void summarizeEmpty();
    // categorize
    void noiseScoreFormula_data();
    void noiseScoreFormula();
    void syntheticNoisyRun();
    void posteriorMonotone_data();
    void posteriorMonotone();
    void ruleThresholds_data();
    void ruleThresholds();
    void cleanDataset();
    void perfectSamples_data();
    void perfectSamples();
    void tinyAndDegenerateInputs();
    void perClassMixture();
    void emptyInput();
    void deterministic();
};

// ---- summarizeDynamics --------------------------------------------------------------------

void TestCategorizer::summarize_data()
{
    QTest::addColumn<int>("epochs");
    QTest::addColumn<QList<float>>("prob");    // [N, E]
    QTest::addColumn<QList<float>>("margin");  // [N, E]
    QTest::addColumn<QList<float>>("sigma");   // [N, E] or empty
    QTest::addColumn<QList<float>>("expected"); // per sample: mean, std, late, meanMargin, finalSigma

    // Sample 0: p = .1 .3 .5 .7: mean .4; E[p²] = (.01 + .09 + .25 + .49)/4 = .21, std =
    //   √(.21 − .16) = √.05 = .223607 (population); late = epochs 2, 3 = (.5 + .7)/2 = .6;
    //   margin −1 0 1 2 → .5; σ 1 1.2 1.4 1.6 → final 1.6.
    // Sample 1: p = .9 constant: mean .9, std 0, late .9; margin 3 → 3; σ .5 .5 .5 .4 → .4.
    QTest::newRow("2 samples, 4 epochs")
        << 4 << QList<float>{.1f, .3f, .5f, .7f, .9f, .9f, .9f, .9f}
        << QList<float>{-1.f, 0.f, 1.f, 2.f, 3.f, 3.f, 3.f, 3.f}
        << QList<float>{1.f, 1.2f, 1.4f, 1.6f, .5f, .5f, .5f, .4f}
        << QList<float>{.4f, .223607f, .6f, .5f, 1.6f, .9f, 0.f, .9f, 3.f, .4f};
    // Odd E = 3: the late half starts at epoch 3/2 = 1: late = (.8 + .6)/2 = .7.
    // p = .2 .8 .6: mean 1.6/3 = .533333; E[p²] = (.04 + .64 + .36)/3 = .346667,
    //   std = √(.346667 − .284444) = √.062222 = .249444; margin −2 2 3 → 1; σ 2 3 5 → 5.
    QTest::newRow("odd epochs")
        << 3 << QList<float>{.2f, .8f, .6f} << QList<float>{-2.f, 2.f, 3.f} << QList<float>{2.f, 3.f, 5.f}
        << QList<float>{.533333f, .249444f, .7f, 1.f, 5.f};
    // One epoch: late = that epoch; std 0. No σ recorded: finalSigma 1.
    QTest::newRow("one epoch, no sigma")
        << 1 << QList<float>{.25f, .75f} << QList<float>{-1.f, 1.5f} << QList<float>{}
        << QList<float>{.25f, 0.f, .25f, -1.f, 1.f, .75f, 0.f, .75f, 1.5f, 1.f};
}

void TestCategorizer::summarize()
{
    QFETCH(int, epochs);
    QFETCH(QList<float>, prob);
    QFETCH(QList<float>, margin);
    QFETCH(QList<float>, sigma);
    QFETCH(QList<float>, expected);

    const auto out = summarizeDynamics(handDynamics(epochs, prob, margin, sigma));
    QCOMPARE(int(out.size()), int(expected.size()) / 5);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const float *e = expected.constData() + 5 * i;
        const DynamicsSummary &s = out[i];
        QVERIFY2(std::abs(s.meanProb - e[0]) < 1e-5f, qPrintable(QString::number(s.meanProb)));
        QVERIFY2(std::abs(s.stdProb - e[1]) < 1e-4f, qPrintable(QString::number(s.stdProb)));
        QVERIFY2(std::abs(s.lateProb - e[2]) < 1e-5f, qPrintable(QString::number(s.lateProb)));
        QVERIFY2(std::abs(s.meanMargin - e[3]) < 1e-5f, qPrintable(QString::number(s.meanMargin)));
        QCOMPARE(s.finalSigma, e[4]);
        QCOMPARE(s.finalProb, 0.f); // left to the caller
    }
}

void TestCategorizer::summarizeEmpty()
{
    QVERIFY(summarizeDynamics(Dynamics{}).empty());
    // Samples but no epochs: one zero summary per sample (finalSigma keeps its default 1).
    Dynamics d;
    d.sampleIds = {7, 8};
    const auto out = summarizeDynamics(d);
    QCOMPARE(out.size(), std::size_t(2));
    for (const auto &s : out) {
        QCOMPARE(s.meanProb, 0.f);
        QCOMPARE(s.stdProb, 0.f);
        QCOMPARE(s.lateProb, 0.f);
        QCOMPARE(s.meanMargin, 0.f);
        QCOMPARE(s.finalSigma, 1.f);
    }
}

// ---- categorize ---------------------------------------------------------------------------

void TestCategorizer::noiseScoreFormula_data()
{
    QTest::addColumn<float>("meanProb");
    QTest::addColumn<float>("lateProb");
    QTest::addColumn<float>("finalProb");
    QTest::addColumn<float>("score");

    // s = 1 − (meanProb + lateProb + finalProb)/3, clamped to [0, 1].
    QTest::newRow("learnt") << .6f << .9f << .9f << .2f;          // 1 − 2.4/3
    QTest::newRow("never learnt") << .1f << .1f << .1f << .9f;    // 1 − .3/3
    QTest::newRow("perfect") << 1.f << 1.f << 1.f << 0.f;
    QTest::newRow("zero") << 0.f << 0.f << 0.f << 1.f;
    QTest::newRow("final only") << 0.f << 0.f << .75f << .75f;     // 1 − .25
    QTest::newRow("above 1 clamps") << 1.5f << 1.5f << 1.5f << 0.f;
    QTest::newRow("below 0 clamps") << -.5f << -.5f << -.5f << 1.f;
}

void TestCategorizer::noiseScoreFormula()
{
    QFETCH(float, meanProb);
    QFETCH(float, lateProb);
    QFETCH(float, finalProb);
    QFETCH(float, score);
    // Among other samples so that the mixture has something to fit; only the score is checked.
    std::vector<DynamicsSummary> in{summary(meanProb, lateProb, finalProb), summary(.9f, .95f, .97f),
                                    summary(.2f, .2f, .1f), summary(.8f, .9f, .9f)};
    const auto c = categorize(in);
    QCOMPARE(c.noiseScore.size(), in.size());
    QVERIFY2(std::abs(c.noiseScore[0] - score) < 1e-6f, qPrintable(QString::number(c.noiseScore[0])));
    QVERIFY(std::abs(c.noiseScore[1] - (1.f - (.9f + .95f + .97f) / 3.f)) < 1e-6f);
}

void TestCategorizer::syntheticNoisyRun()
{
    const auto syn = makeDynamics(5000, 8, 0.15, 20240611u);
    const int nWrong = int(std::count(syn.wrong.begin(), syn.wrong.end(), true));
    QCOMPARE(nWrong, 750);
    const auto c = categorize(summariesOf(syn));
    QCOMPARE(c.noiseScore.size(), std::size_t(5000));
    QCOMPARE(c.posterior.size(), std::size_t(5000));
    QCOMPARE(c.category.size(), std::size_t(5000));

    double meanWrong = 0, meanClean = 0;
    for (std::size_t i = 0; i < 5000; ++i) {
        QVERIFY(c.noiseScore[i] >= 0.f && c.noiseScore[i] <= 1.f);
        QVERIFY(c.posterior[i] >= 0.f && c.posterior[i] <= 1.f);
        (syn.wrong[i] ? meanWrong : meanClean) += c.noiseScore[i];
    }
    meanWrong /= nWrong;
    meanClean /= 5000 - nWrong;
    QVERIFY2(meanWrong > meanClean + 0.4, qPrintable(QStringLiteral("mean score wrong %1, clean %2")
                                                         .arg(meanWrong).arg(meanClean)));
    const double a = labelscope::auroc(c.noiseScore, syn.wrong);
    QVERIFY2(a > 0.95, qPrintable(QStringLiteral("AUROC %1").arg(a)));

    const Counts k = countCategories(c, syn.wrong);
    const QString info = describe(c, k, syn.wrong);
    qInfo("%s, AUROC %.4f", qPrintable(info), a);
    QCOMPARE(k.unknown, 0);
    QCOMPARE(k.easy + k.hard + k.review, 5000);
    // Most wrong labels are found: at least 80% of them are hard (the 10% memorised late and
    // the overlap with ambiguous clean samples may be missed).
    QVERIFY2(k.wrongHard >= 0.8 * nWrong, qPrintable(info));
    // Hard is mostly wrong labels (the 5% ambiguous clean samples may land there).
    QVERIFY2(k.wrongHard >= 0.7 * k.hard, qPrintable(info));
    // Few wrong labels hide among the easy ones.
    QVERIFY2(k.easy > 0 && k.wrongEasy < 0.02 * k.easy, qPrintable(info));
    // Most clean samples are easy; need review stays a minority.
    QVERIFY2(k.easy >= 0.6 * (5000 - nWrong), qPrintable(info));
    QVERIFY2(k.review <= 0.25 * 5000, qPrintable(info));
    // The mixture weight estimates the noise rate.
    QVERIFY2(std::abs(c.noisyFraction - 0.15) <= 0.05, qPrintable(info));
}

void TestCategorizer::posteriorMonotone_data()
{
    QTest::addColumn<double>("wrongFraction");
    QTest::addColumn<uint>("seed");
    QTest::newRow("15%") << 0.15 << 1u;
    QTest::newRow("40%") << 0.40 << 2u;
    QTest::newRow("3%") << 0.03 << 3u;
    QTest::newRow("clean") << 0.0 << 4u;
}

void TestCategorizer::posteriorMonotone()
{
    QFETCH(double, wrongFraction);
    QFETCH(uint, seed);
    const auto syn = makeDynamics(3000, 8, wrongFraction, seed);
    const auto c = categorize(summariesOf(syn));
    std::vector<std::size_t> order(c.noiseScore.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return c.noiseScore[a] < c.noiseScore[b]; });
    for (std::size_t k = 1; k < order.size(); ++k) {
        const std::size_t a = order[k - 1], b = order[k];
        if (c.noiseScore[a] == c.noiseScore[b])
            continue;
        QVERIFY2(c.posterior[b] >= c.posterior[a],
                 qPrintable(QStringLiteral("score %1 → posterior %2, score %3 → posterior %4")
                                .arg(c.noiseScore[a]).arg(c.posterior[a]).arg(c.noiseScore[b])
                                .arg(c.posterior[b])));
    }
    // Hence the categories are ordered too: every easy score is below every hard score.
    float maxEasy = -1.f, minHard = 2.f;
    for (std::size_t i = 0; i < c.category.size(); ++i) {
        if (c.category[i] == Category::Easy)
            maxEasy = std::max(maxEasy, c.noiseScore[i]);
        if (c.category[i] == Category::Hard)
            minHard = std::min(minHard, c.noiseScore[i]);
    }
    QVERIFY(maxEasy < minHard);
}

void TestCategorizer::ruleThresholds_data()
{
    QTest::addColumn<double>("hardPosterior");
    QTest::addColumn<double>("easyPosterior");
    QTest::newRow("default") << 0.5 << 0.001;
    QTest::newRow("strict easy") << 0.5 << 1e-6;
    QTest::newRow("loose") << 0.9 << 0.1;
    QTest::newRow("all hard") << 0.0 << -1.0;
    QTest::newRow("all easy") << 2.0 << 1.0;
}

void TestCategorizer::ruleThresholds()
{
    QFETCH(double, hardPosterior);
    QFETCH(double, easyPosterior);
    const auto syn = makeDynamics(2000, 6, 0.2, 77u);
    CategoryRule rule;
    rule.hardPosterior = hardPosterior;
    rule.easyPosterior = easyPosterior;
    const auto c = categorize(summariesOf(syn), {}, rule);
    const auto ref = categorize(summariesOf(syn)); // default rule: same scores and posterior
    for (std::size_t i = 0; i < c.category.size(); ++i) {
        QCOMPARE(c.posterior[i], ref.posterior[i]);
        const double p = c.posterior[i];
        const Category expected = p >= hardPosterior ? Category::Hard
            : p <= easyPosterior ? Category::Easy : Category::NeedReview;
        QCOMPARE(int(c.category[i]), int(expected));
    }
    const Counts k = countCategories(c, {});
    if (hardPosterior <= 0.0)
        QCOMPARE(k.hard, 2000);
    if (hardPosterior > 1.0 && easyPosterior >= 1.0)
        QCOMPARE(k.easy, 2000);
}

void TestCategorizer::cleanDataset()
{
    // No wrong labels and every sample confident (no ambiguous ones): p(given) rises to ≈ .97.
    std::mt19937 rng(99u);
    std::normal_distribution<double> gauss(0.0, 1.0);
    const int n = 4000, epochs = 8;
    Dynamics d;
    d.epochs = epochs;
    std::vector<float> finalProb(n);
    for (int i = 0; i < n; ++i) {
        d.sampleIds.push_back(i);
        const double l0 = 0.5 + 0.8 * gauss(rng), lEnd = 3.5 + 0.7 * gauss(rng);
        for (int e = 0; e < epochs; ++e) {
            const double l = l0 + (lEnd - l0) * (e + 1.0) / epochs + 0.3 * gauss(rng);
            const double p = sigmoid(l);
            d.probGiven.push_back(float(p));
            d.margin.push_back(float(l));
            d.sigma.push_back(float(std::exp(-0.05 * (e + 1))));
            d.predicted.push_back(qint16(i % 10));
        }
        finalProb[std::size_t(i)] = float(sigmoid(lEnd + 0.3 + 0.3 * gauss(rng)));
    }
    auto s = summarizeDynamics(d);
    for (int i = 0; i < n; ++i)
        s[std::size_t(i)].finalProb = finalProb[std::size_t(i)];
    const auto c = categorize(s);
    const Counts k = countCategories(c, {});
    const QString info = QStringLiteral("easy %1, hard %2, review %3 of %4, noisyFraction %5")
                             .arg(k.easy).arg(k.hard).arg(k.review).arg(n).arg(c.noisyFraction);
    qInfo("%s", qPrintable(info));
    // Known bug (reported): with no wrong labels the two-Gaussian EM still splits the single,
    // skewed clean bump in log-odds into two overlapping components (here weights ≈ .81 / .19,
    // means −2.62 / −2.37, sd ≈ .5 each), and every sample gets a posterior of .01–.5: all
    // "need review", none easy. The clean halves of real Fashion-MNIST runs do the same
    // (/tmp/bench/fm20: 48,000 clean samples → 17,499 hard + 30,501 need review). When this is
    // fixed the expected failure turns into an XPASS, which fails: then remove the line below.
    QVERIFY2(k.easy >= 0.95 * n, qPrintable(info));
    QVERIFY2(k.hard <= 0.02 * n, qPrintable(info));
}

void TestCategorizer::perfectSamples_data()
{
    QTest::addColumn<double>("wrongSpread");
    QTest::addColumn<int>("perfect");
    QTest::newRow("narrow wrong, none") << 0.8 << 0;
    QTest::newRow("narrow wrong, one perfect") << 0.8 << 1;
    QTest::newRow("narrow wrong, five perfect") << 0.8 << 5;
    QTest::newRow("wide wrong, none") << 1.2 << 0;
    QTest::newRow("wide wrong, one perfect") << 1.2 << 1;
    QTest::newRow("wide wrong, five perfect") << 1.2 << 5;
}

void TestCategorizer::perfectSamples()
{
    // Scores drawn directly in log-odds: 3,400 clean ~ N(−3, .6) (s ≈ .05), 600 wrong (15%)
    // ~ N(3, wrongSpread) (s ≈ .95; on Fashion-MNIST the wrong labels sat at 3.6, variance .4), plus a few samples learnt
    // perfectly (p(given) = 1 everywhere: score 0, log-odds at the clamp, −9.2), which real
    // runs have (float softmax saturates). The perfect samples must not be hard, and must not
    // change the others' categories.
    // Regression: the posterior was made monotone by a running maximum from the lowest score.
    // When the upper (wrong) component is the wider, its tail gives a far-low sample a high
    // posterior, which was spread to every sample: one perfect sample made all 4,001 samples
    // hard (and the clean half of /tmp/bench/fm20, 48,000 samples, all hard).
    QFETCH(double, wrongSpread);
    QFETCH(int, perfect);
    std::mt19937 rng(3u);
    std::normal_distribution<double> gauss(0.0, 1.0);
    std::vector<DynamicsSummary> in;
    std::vector<bool> wrong;
    for (int i = 0; i < 4000; ++i) {
        const bool w = i % 20 < 3; // 15%
        const double s = sigmoid(w ? 3.0 + wrongSpread * gauss(rng) : -3.0 + 0.6 * gauss(rng));
        in.push_back(summary(float(1 - s), float(1 - s), float(1 - s)));
        wrong.push_back(w);
    }
    for (int i = 0; i < perfect; ++i) {
        in.push_back(summary(1.f, 1.f, 1.f));
        wrong.push_back(false);
    }
    const auto c = categorize(in);
    const Counts k = countCategories(c, wrong);
    const QString info = describe(c, k, wrong);
    qInfo("%s", qPrintable(info));
    for (int i = 0; i < perfect; ++i) {
        QCOMPARE(c.noiseScore[4000 + std::size_t(i)], 0.f);
        QVERIFY(c.category[4000 + std::size_t(i)] != Category::Hard);
    }
    const int cleanHard = k.hard - k.wrongHard;
    QVERIFY2(cleanHard <= 0.03 * 3400, qPrintable(info));
    QVERIFY2(k.wrongHard >= 0.8 * 600, qPrintable(info));
    QVERIFY2(std::abs(c.noisyFraction - 0.15) <= 0.05, qPrintable(info));
    // Far-low outliers must not widen the wrong-label component into the clean bump (its
    // variance is capped): most clean samples stay easy.
    QVERIFY2(k.easy >= 0.5 * 3400, qPrintable(info));
}

void TestCategorizer::tinyAndDegenerateInputs()
{
    // One sample, two samples: valid output, no NaN.
    for (const auto &in : {std::vector<DynamicsSummary>{summary(.5f, .5f, .5f)},
                           std::vector<DynamicsSummary>{summary(.9f, .9f, .9f), summary(.1f, .1f, .1f)}}) {
        const auto c = categorize(in);
        QCOMPARE(c.posterior.size(), in.size());
        QCOMPARE(c.category.size(), in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            QVERIFY(c.posterior[i] >= 0.f && c.posterior[i] <= 1.f);
            QVERIFY(c.category[i] != Category::Unknown);
        }
        QVERIFY(c.noisyFraction >= 0.0 && c.noisyFraction <= 1.0);
    }
    // All samples identical (here all perfect): one posterior for all, and the mixture weight
    // reported as noisyFraction is that of the component whose posterior is reported (at equal
    // means it used to report the other one's: posterior .2 but noisyFraction .8).
    const std::vector<DynamicsSummary> same(500, summary(1.f, 1.f, 1.f));
    const auto c = categorize(same);
    for (std::size_t i = 1; i < same.size(); ++i)
        QCOMPARE(c.posterior[i], c.posterior[0]);
    QVERIFY2(std::abs(c.noisyFraction - double(c.posterior[0])) < 1e-6,
             qPrintable(QStringLiteral("noisyFraction %1, posterior %2").arg(c.noisyFraction).arg(c.posterior[0])));
}

void TestCategorizer::emptyInput()
{
    const auto c = categorize({});
    QVERIFY(c.noiseScore.empty());
    QVERIFY(c.posterior.empty());
    QVERIFY(c.category.empty());
    QCOMPARE(c.noisyFraction, 0.0);
}

void TestCategorizer::deterministic()
{
    const auto syn = makeDynamics(1500, 8, 0.15, 5u);
    const auto a = categorize(summariesOf(syn)), b = categorize(summariesOf(syn));
    QCOMPARE(a.noiseScore, b.noiseScore);
    QCOMPARE(a.posterior, b.posterior);
    QVERIFY(a.category == b.category);
    QCOMPARE(a.noisyFraction, b.noisyFraction);
    // The generator is seeded: same seed, same data.
    const auto syn2 = makeDynamics(1500, 8, 0.15, 5u);
    QCOMPARE(syn2.dynamics.probGiven, syn.dynamics.probGiven);
}

// Class-conditional noise: class 0 is hard to learn but clean (its scores sit higher than class
// 1's), class 1 has 15% wrong labels at a moderate score. Fitted per class, the wrong labels of
// class 1 are found and class 0's hard-but-correct samples are not called hard.
void TestCategorizer::perClassMixture()
{
    std::mt19937 rng(11u);
    std::normal_distribution<double> gauss(0.0, 1.0);
    std::vector<DynamicsSummary> in;
    std::vector<int> labels;
    std::vector<bool> wrong;
    for (int i = 0; i < 3000; ++i) { // class 0: clean, hard (log-odds ~ N(-0.5, 0.8))
        const double s = sigmoid(-0.5 + 0.8 * gauss(rng));
        in.push_back(summary(float(1 - s), float(1 - s), float(1 - s)));
        labels.push_back(0);
        wrong.push_back(false);
    }
    for (int i = 0; i < 3000; ++i) { // class 1: easy, 15% wrong at log-odds ~ N(2.5, 0.5)
        const bool w = i % 20 < 3;
        const double s = sigmoid(w ? 2.5 + 0.5 * gauss(rng) : -3.0 + 0.6 * gauss(rng));
        in.push_back(summary(float(1 - s), float(1 - s), float(1 - s)));
        labels.push_back(1);
        wrong.push_back(w);
    }
    const auto perClass = categorize(in, labels);
    int hard0 = 0, wrongHard = 0, cleanHard1 = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const bool hard = perClass.category[i] == Category::Hard;
        if (labels[i] == 0)
            hard0 += hard;
        else if (wrong[i])
            wrongHard += hard;
        else
            cleanHard1 += hard;
    }
    qInfo("per class: class-0 hard %d of 3000; class-1 wrong hard %d of 450, clean hard %d", hard0, wrongHard, cleanHard1);
    QVERIFY(wrongHard >= 0.9 * 450);
    QVERIFY(cleanHard1 <= 0.01 * 2550);
    QVERIFY(hard0 <= 0.05 * 3000);
    // Classes below minClassSize use the global fit: with a huge minimum, the result is the
    // global one.
    CategoryRule global;
    global.minClassSize = 1000000;
    const auto g1 = categorize(in, labels, global);
    const auto g2 = categorize(in);
    QCOMPARE(g1.posterior, g2.posterior);
    // The per-class posterior never falls below the global one (the larger of the two is kept).
    for (std::size_t i = 0; i < in.size(); ++i)
        QVERIFY(perClass.posterior[i] >= g2.posterior[i]);
}

QTEST_GUILESS_MAIN(TestCategorizer)
#include "tst_categorizer.moc"
