#pragma once
// Turns per-sample training dynamics into one continuous noise score and a category
// (easy / hard / need review). Torch-free; see docs in categorizer.cpp for the rule and how it
// was tuned.
//
// Signals (Dataset Cartography, Swayamdipta et al. 2020; AUM, Pleiss et al. 2020; Data
// Parameters, Saxena et al. 2019):
//   meanProb   = mean over epochs of p(given label)          (confidence)
//   stdProb    = its standard deviation over epochs           (variability)
//   meanMargin = mean over epochs of given logit − max other  (area under the margin)
//   finalSigma = learnt instance temperature after the last epoch

#include "category.h"
#include "projectstore.h"

#include <vector>

namespace labelscope {

struct DynamicsSummary {
    float meanProb = 0.f, stdProb = 0.f, meanMargin = 0.f, finalSigma = 1.f;
    float lateProb = 0.f; ///< mean p(given) over the last half of the epochs
    float finalProb = 0.f; ///< p(given) from the final model in evaluation mode (set by the caller)
};

/// Summaries of every row of DYNAMICS ([N, E] arrays); finalProb is left 0 for the caller.
/// E = 0 gives zeros.
std::vector<DynamicsSummary> summarizeDynamics(const Dynamics &dynamics);

/// Parameters of the category rule (defaults tuned on Fashion-MNIST train with injected
/// symmetric noise, checked on other splits and noise kinds: tests/benchmarks/RESULTS.md).
struct CategoryRule {
    /// A sample is hard when its posterior of being mislabelled is at least this.
    double hardPosterior = 0.5;
    /// A sample is easy when that posterior is at most this.
    double easyPosterior = 0.001;
    /// Classes with fewer samples than this use the mixture fitted on all samples.
    std::size_t minClassSize = 200;
    /// combineVerdict(): a sample flagged by find_label_issues is hard from this posterior up.
    double clIssueHardPosterior = 0.3;
    /// combineVerdict() with a class-conditional noise posterior P(wrong) (noiseposterior.h):
    /// hard when P(wrong) >= noisePosteriorHard, or when the score's posterior says hard and
    /// P(wrong) >= noisePosteriorSupport; easy when P(wrong) < noisePosteriorEasy (and
    /// find_label_issues did not flag the sample).
    double noisePosteriorHard = 0.5;
    double noisePosteriorSupport = 0.3;
    /// The support threshold when P(wrong) comes from the one model that trained on every sample
    /// (Data Parameters without K-fold): that model has fitted more of the wrong labels, so its
    /// P(wrong) runs lower on them (RESULTS.md, session 7).
    double noisePosteriorSupportSingleModel = 0.2;
    double noisePosteriorEasy = 0.05;
};

struct Categorization {
    std::vector<float> noiseScore;      ///< [N] in [0, 1], higher = more likely mislabelled
    std::vector<float> posterior;       ///< [N] estimated P(label wrong | score)
    std::vector<Category> category;     ///< [N]
    double noisyFraction = 0.0;         ///< mixture weight of the "mislabelled" component
};

/// Categorises N samples from a precomputed noise score ([N] in [0, 1], higher = more likely
/// mislabelled) with the same mixture rule as categorize(); noiseScore is copied into the result.
Categorization categorizeScores(const std::vector<float> &noiseScore,
                                const std::vector<int> &givenLabels = {}, const CategoryRule &rule = {});

/// The Data Parameters noise score of one sample: 1 − mean(meanProb, lateProb, finalProb).
float dynamicsNoiseScore(const DynamicsSummary &summary);

/// Scores and categorises N samples from their dynamics summaries. givenLabels ([N], or empty)
/// lets the mixture be fitted per given class (classes of at least rule.minClassSize samples).
Categorization categorize(const std::vector<DynamicsSummary> &summaries,
                          const std::vector<int> &givenLabels = {}, const CategoryRule &rule = {});

} // namespace labelscope
