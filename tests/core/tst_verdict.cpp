// The combined verdict of Data Parameters and Confident Learning (core/base/verdict.h).
#include "base/metrics.h"
#include "base/verdict.h"

#include <QtTest>

#include <random>

using namespace labelscope;

class TestVerdict final : public QObject {
    Q_OBJECT

    // Two noisy views of the same truth, as two detectors whose errors differ: in log-odds, a
    // sample's difficulty (shared) plus each detector's own noise, around -3 for clean labels and
    // +3 for wrong ones (the shape real noise scores have: tests/benchmarks/RESULTS.md).
    // 20% wrong labels, 4 classes of 1,000.
    struct Synthetic {
        std::vector<int> labels;
        std::vector<bool> wrong;
        std::vector<float> dp, cl;
    };
    static Synthetic make(unsigned seed)
    {
        Synthetic s;
        std::mt19937 rng(seed);
        std::normal_distribution<float> shared(0.f, 1.0f), own(0.f, 1.5f);
        auto sigmoid = [](float x) { return 1.f / (1.f + std::exp(-x)); };
        for (int i = 0; i < 4000; ++i) {
            const bool w = i % 5 == 0;
            s.labels.push_back(i % 4);
            s.wrong.push_back(w);
            const float base = (w ? 3.f : -3.f) + shared(rng);
            s.dp.push_back(sigmoid(base + own(rng)));
            s.cl.push_back(sigmoid(base + own(rng)));
        }
        return s;
    }

private Q_SLOTS:
    void combinationRanksBetterThanEachSignal()
    {
        const Synthetic s = make(7);
        VerdictInputs dpOnly{s.labels, s.dp, {}, {}, {}};
        VerdictInputs clOnly{s.labels, {}, s.cl, {}, {}};
        VerdictInputs both{s.labels, s.dp, s.cl, {}, {}};
        const double aDp = auroc(combineVerdict(dpOnly).noiseScore, s.wrong);
        const double aCl = auroc(combineVerdict(clOnly).noiseScore, s.wrong);
        const Categorization c = combineVerdict(both);
        const double aBoth = auroc(c.noiseScore, s.wrong);
        QVERIFY2(aBoth > std::max(aDp, aCl), qPrintable(QStringLiteral("%1 vs %2, %3").arg(aBoth).arg(aDp).arg(aCl)));
        // With one signal the score is that signal; with two, their mean.
        QCOMPARE(combineVerdict(dpOnly).noiseScore[3], s.dp[3]);
        QCOMPARE(c.noiseScore[3], (s.dp[3] + s.cl[3]) / 2);
        // The categories follow the score: hard samples are mostly the wrong ones, and the
        // combination's hard set is better (F1) than either signal's alone.
        auto hardF1 = [&](const Categorization &cat) {
            std::vector<bool> hard(s.labels.size());
            for (std::size_t i = 0; i < hard.size(); ++i)
                hard[i] = cat.category[i] == Category::Hard;
            return binaryCounts(hard, s.wrong).f1();
        };
        const double f1Both = hardF1(c), f1Dp = hardF1(combineVerdict(dpOnly)), f1Cl = hardF1(combineVerdict(clOnly));
        QVERIFY2(f1Both > std::max(f1Dp, f1Cl) && f1Both > 0.75,
                 qPrintable(QStringLiteral("%1 vs %2, %3").arg(f1Both).arg(f1Dp).arg(f1Cl)));
    }

    void confidentLearningFlagKeepsASampleOutOfEasy()
    {
        const Synthetic s = make(3);
        std::vector<bool> flags(s.labels.size(), false);
        const Categorization plain = combineVerdict({s.labels, s.dp, s.cl, {}, {}});
        std::size_t easyOne = 0;
        while (plain.category[easyOne] != Category::Easy)
            ++easyOne;
        flags[easyOne] = true;
        const Categorization flagged = combineVerdict({s.labels, s.dp, s.cl, flags, {}});
        QCOMPARE(flagged.category[easyOne], Category::NeedReview);
        for (std::size_t i = 0; i < flags.size(); ++i)
            if (i != easyOne)
                QCOMPARE(flagged.category[i], plain.category[i]);
    }

    void confidentLearningFlagMakesAnUncertainSampleHard()
    {
        const Synthetic s = make(5);
        const Categorization plain = combineVerdict({s.labels, s.dp, s.cl, {}, {}});
        const double bar = CategoryRule{}.clIssueHardPosterior;
        // One need-review sample above the bar, one below it: flagged, the first turns hard.
        std::size_t above = plain.posterior.size(), below = plain.posterior.size();
        for (std::size_t i = 0; i < plain.posterior.size(); ++i) {
            if (plain.category[i] != Category::NeedReview)
                continue;
            if (plain.posterior[i] >= bar && above == plain.posterior.size())
                above = i;
            if (plain.posterior[i] < bar && below == plain.posterior.size())
                below = i;
        }
        QVERIFY(above < plain.posterior.size() && below < plain.posterior.size());
        std::vector<bool> flags(s.labels.size(), false);
        flags[above] = flags[below] = true;
        const Categorization flagged = combineVerdict({s.labels, s.dp, s.cl, flags, {}});
        QCOMPARE(flagged.category[above], Category::Hard);
        QCOMPARE(flagged.category[below], Category::NeedReview);
        for (std::size_t i = 0; i < flags.size(); ++i)
            if (!flags[i])
                QCOMPARE(flagged.category[i], plain.category[i]);
    }

    void independentClassifierNarrowsTheSupportBand()
    {
        // Wrong labels get a noise posterior inside the support band (.3 <= w < .5), clean ones
        // a small one; the mixture of the two scores says hard for most wrong labels.
        const Synthetic s = make(11);
        VerdictInputs in{s.labels, s.dp, s.cl, {}, {}};
        for (std::size_t i = 0; i < s.labels.size(); ++i)
            in.noisePosterior.push_back(s.wrong[i] ? 0.3f + 0.19f * float(i % 7) / 6.f : 0.01f);
        const CategoryRule rule;
        auto hardCount = [&](double share, double *supportUsed) {
            VerdictInputs v = in;
            v.independentShare = share;
            const Categorization c = combineVerdict(v);
            // The documented bar: from the support threshold at share 0 to w's own at share .5.
            const double support = rule.noisePosteriorSupport
                + std::min(1.0, 2.0 * share) * (rule.noisePosteriorHard - rule.noisePosteriorSupport);
            *supportUsed = support;
            int hard = 0;
            for (std::size_t i = 0; i < s.labels.size(); ++i) {
                const bool expected = in.noisePosterior[i] >= rule.noisePosteriorHard
                    || (c.posterior[i] >= rule.hardPosterior && in.noisePosterior[i] >= support);
                if ((c.category[i] == Category::Hard) != expected)
                    return -1;
                hard += expected;
            }
            return hard;
        };
        double bar0 = 0, bar25 = 0, bar50 = 0, bar80 = 0;
        const int h0 = hardCount(0.0, &bar0), h25 = hardCount(0.25, &bar25), h50 = hardCount(0.5, &bar50),
                  h80 = hardCount(0.8, &bar80);
        QVERIFY2(h0 > 400 && h25 >= 0 && h50 >= 0 && h80 >= 0,
                 qPrintable(QStringLiteral("%1 %2 %3 %4").arg(h0).arg(h25).arg(h50).arg(h80)));
        // Every wrong label sits in the band: most are hard without a classifier, about half
        // (w >= .4) at a quarter share, none at an even share or above.
        QVERIFY2(h0 > h25 && h25 > 0 && h50 == 0 && h80 == 0,
                 qPrintable(QStringLiteral("%1 %2 %3 %4").arg(h0).arg(h25).arg(h50).arg(h80)));
        QCOMPARE(bar25, 0.5 * (rule.noisePosteriorSupport + rule.noisePosteriorHard));
    }

    // The agreement of out-of-sample argmax with the given labels, and the note below half.
    void outOfSampleAgreementAndTheWeakClassifierNote()
    {
        // 4 samples, 3 classes: argmax 0, 2, 1, 1 against given 0, 2, 2, 1 → 3 of 4.
        const std::vector<double> probs{.7, .2, .1, .1, .3, .6, .2, .5, .3, .3, .4, .3};
        QCOMPARE(outOfSampleAgreement({0, 2, 2, 1}, probs, 3), 0.75);
        QCOMPARE(outOfSampleAgreement({1, 0, 0, 0}, probs, 3), 0.0);
        QCOMPARE(outOfSampleAgreement({0, 2, 2}, probs, 3), -1.0); // sizes disagree
        QCOMPARE(outOfSampleAgreement({}, {}, 3), -1.0);
        for (const bool onBackbone : {false, true}) {
            QVERIFY(weakClassifierNote(0.75, onBackbone).isEmpty());
            QVERIFY(weakClassifierNote(kWeakClassifierAgreement, onBackbone).isEmpty());
            QVERIFY(weakClassifierNote(-1.0, onBackbone).isEmpty()); // unknown: nothing to say
        }
        // The advice fits the run: a run on a backbone is pointed at a stronger backbone or the
        // from-scratch method, a from-scratch run at its overlapping classes and at a backbone.
        const QString onBackbone = weakClassifierNote(0.312, true);
        QVERIFY2(onBackbone.contains(QLatin1String("31.2%")) && onBackbone.contains(QLatin1String("from-scratch")), qPrintable(onBackbone));
        const QString fromScratch = weakClassifierNote(0.312, false);
        QVERIFY2(fromScratch.contains(QLatin1String("31.2%")) && fromScratch.contains(QLatin1String("overlapping classes"))
                     && fromScratch.contains(QLatin1String("--backbone")) && !fromScratch.contains(QLatin1String("from-scratch")),
                 qPrintable(fromScratch));
    }

    void mismatchedSizesGiveNothing()
    {
        QVERIFY(combineVerdict({{0, 1}, {0.1f}, {}, {}, {}}).category.empty());
        QVERIFY(combineVerdict({{0, 1}, {}, {}, {}, {}}).category.empty());
    }
};

QTEST_GUILESS_MAIN(TestVerdict)
#include "tst_verdict.moc"
