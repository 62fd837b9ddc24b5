#include "verdict.h"

#include <algorithm>

namespace labelscope {

// Rule:
//   posterior P(wrong | s) from the per-class two-component mixture of categorizeScores() on
//   s = mean of the available scores (dpScore, clScore);
//   with a class-conditional noise posterior w (noisePosterior):
//     hard when w >= rule.noisePosteriorHard (0.5), or when the posterior >= rule.hardPosterior
//     and w >= rule.noisePosteriorSupport (0.3; noisePosteriorSupportSingleModel, 0.2, with Data
//     Parameters alone, where w comes from one model that trained on every sample and has fitted
//     more of the wrong labels); the support bar rises linearly from there to noisePosteriorHard
//     as in.independentShare goes from 0 to 0.5 (an even ensemble with a classifier of other
//     data: no band); easy when w < rule.noisePosteriorEasy (0.05) and
//     find_label_issues did not flag the sample; noise score = mean(dpScore, w) (w alone without
//     dynamics);
//   without it: hard when the posterior >= rule.hardPosterior, or when find_label_issues flagged
//     the sample and the posterior >= rule.clIssueHardPosterior (0.3); easy when the posterior
//     <= rule.easyPosterior and find_label_issues did not flag it; noise score = s.
//   need review otherwise.
// Why: one score per sample cannot tell "a Shirt labelled T-shirt" (a flip the noise matrix
// makes likely) from "a Pullover labelled T-shirt" (a model error the noise matrix rules out);
// w can, while the score's mixture finds more of the flips when noise is spread evenly. And w is
// a probability from a fitted noise model, where the mixture's tail posterior (the old easy
// bar, <= 0.001) moved with small changes of the scores. Measured on 60,000 Fashion-MNIST
// (tests/benchmarks/RESULTS.md, session 6): F1 of hard at 20% asymmetric .767 → .853, at 20%
// symmetric .947 → .949; wrong labels among easy .19–.30% with need review 8–12%.
// The support band makes up for a posterior that is too low: models that trained on the given
// labels have fitted part of the wrong ones, so their p(given) is high and w small (no labels
// anywhere, session 14: 53% of the samples at .3 <= w < .4 and 76% at .4 <= w < .5 are wrong;
// the band lifts F1 of hard from .90 to .93). A classifier that learned other images' labels did
// not fit these, and with an even share of it w is too high instead (24–31% wrong in the band),
// so the band only costs precision: F1 of hard .887 → .897 and .921 → .929 on four audits
// (RESULTS.md, session 15).
// Averaging the dynamics with a second signal ranks better than either alone because their
// errors differ (figures in RESULTS.md).
Categorization combineVerdict(const VerdictInputs &in, const CategoryRule &rule)
{
    const std::size_t n = in.givenLabels.size();
    const bool dp = !in.dpScore.empty(), cl = !in.clScore.empty();
    if ((dp && in.dpScore.size() != n) || (cl && in.clScore.size() != n)
        || (!in.clIssue.empty() && in.clIssue.size() != n)
        || (!in.noisePosterior.empty() && in.noisePosterior.size() != n) || (!dp && !cl))
        return {};
    std::vector<float> score(n);
    for (std::size_t i = 0; i < n; ++i) {
        double s = 0.0;
        int k = 0;
        if (dp) {
            s += in.dpScore[i];
            ++k;
        }
        if (cl) {
            s += in.clScore[i];
            ++k;
        }
        score[i] = float(s / k);
    }
    Categorization c = categorizeScores(score, in.givenLabels, rule);
    const bool pair = !in.noisePosterior.empty();
    const double ownSupport = dp && !cl ? rule.noisePosteriorSupportSingleModel : rule.noisePosteriorSupport;
    const double independent = std::clamp(2.0 * in.independentShare, 0.0, 1.0);
    const double support = ownSupport + independent * (rule.noisePosteriorHard - ownSupport);
    for (std::size_t i = 0; i < n; ++i) {
        const bool issue = !in.clIssue.empty() && in.clIssue[i];
        const double post = c.posterior[i];
        if (pair) {
            const float w = in.noisePosterior[i];
            c.noiseScore[i] = dp ? 0.5f * (in.dpScore[i] + w) : w;
            if (w >= rule.noisePosteriorHard || (post >= rule.hardPosterior && w >= support))
                c.category[i] = Category::Hard;
            else if (w < rule.noisePosteriorEasy && !issue)
                c.category[i] = Category::Easy;
            else
                c.category[i] = Category::NeedReview;
        } else if (issue) {
            if (post >= rule.clIssueHardPosterior)
                c.category[i] = Category::Hard;
            else if (c.category[i] == Category::Easy)
                c.category[i] = Category::NeedReview;
        }
    }
    return c;
}

double outOfSampleAgreement(const std::vector<int> &givenLabels, const std::vector<double> &predProbs, int numClasses)
{
    const std::size_t n = givenLabels.size(), k = std::size_t(std::max(numClasses, 0));
    if (n == 0 || k == 0 || predProbs.size() != n * k)
        return -1.0;
    std::size_t agree = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double *row = predProbs.data() + i * k;
        agree += std::size_t(std::max_element(row, row + k) - row) == std::size_t(givenLabels[i]) ? 1 : 0;
    }
    return double(agree) / double(n);
}

QString weakClassifierNote(double agreement, bool onBackbone)
{
    if (agreement < 0.0 || agreement >= kWeakClassifierAgreement)
        return QString();
    const QString weak = QStringLiteral("the out-of-sample classifier agrees with only %1% of the given labels, so most "
                                        "flags are samples it cannot tell apart rather than label errors; ")
                             .arg(100.0 * agreement, 0, 'f', 1);
    if (onBackbone)
        return weak + QStringLiteral("a stronger backbone (a pretrained model, or longer self-supervised pretraining) "
                                     "or the from-scratch method should flag fewer and better");
    return weak + QStringLiteral("the classes it confuses most are listed as overlapping classes (merge them, or "
                                 "label more images of each), and a backbone pretrained on related images "
                                 "(--backbone) may tell them apart");
}

} // namespace labelscope
