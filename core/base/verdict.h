#pragma once
// One verdict per sample from both label-noise signals Labelscope computes:
//  - Data Parameters / training dynamics (Saxena et al. 2019; Dataset Cartography, Swayamdipta
//    et al. 2020): dpScore = 1 − mean(mean p(given), late p(given), final p(given)) from models
//    that trained on the sample;
//  - Confident Learning (Northcutt et al. 2021, cleanlab's find_label_issues) on out-of-sample
//    pred_probs: clScore = 1 − self_confidence (p(given) from a model that never saw the sample)
//    and clIssue = flagged by find_label_issues;
//  - the class-conditional noise posterior (noiseposterior.h): P(label wrong) under the noise
//    matrix that Confident Learning's confident joint estimates, computed by analysis.cpp from
//    the probabilities of the models that trained on the sample.
// The rule (measured on injected noise in tests/benchmarks/RESULTS.md) is documented in
// verdict.cpp. Torch-free.

#include "categorizer.h"

#include <QString>

#include <vector>

namespace labelscope {

struct VerdictInputs {
    std::vector<int> givenLabels;  ///< [N]
    std::vector<float> dpScore;    ///< [N] in [0, 1], or empty when Data Parameters did not run
    std::vector<float> clScore;    ///< [N] in [0, 1], or empty when Confident Learning did not run
    std::vector<bool> clIssue;     ///< [N], or empty (with clScore)
    std::vector<float> noisePosterior;  ///< [N] in [0, 1], or empty (classConditionalNoisePosterior)
    /// Share in [0, 1] of the noise posterior's probabilities that come from a model which never
    /// saw the given labels (a backbone's own classifier, trained on other data); 0 when every
    /// model behind them trained on these labels. The support band narrows as it grows
    /// (verdict.cpp).
    double independentShare = 0.0;
};

/// Combines the available signals into one noise score per sample and a category. With one
/// signal only, it is categorize()'s mixture rule on that signal (and CL flags keep a sample out
/// of easy). Sizes must agree (else an empty result).
Categorization combineVerdict(const VerdictInputs &inputs, const CategoryRule &rule = {});

/// Below this share of agreement between out-of-sample pred_probs (argmax) and the given labels,
/// the classifier is too weak for its disagreements to mean label errors: it disagrees with more
/// labels than any plausible noise rate (label noise past 50% would leave the majority label
/// wrong, which no label-error method can undo), so most flags are samples it cannot tell apart.
constexpr double kWeakClassifierAgreement = 0.5;

/// Share of samples whose out-of-sample predicted class (argmax of PREDPROBS [N, K], row-major)
/// is their given label (GIVENLABELS [N]); -1 when N is 0 or the sizes disagree.
double outOfSampleAgreement(const std::vector<int> &givenLabels, const std::vector<double> &predProbs, int numClasses);

/// A sentence for the user when AGREEMENT (outOfSampleAgreement) is below
/// kWeakClassifierAgreement: the flags are unreliable and what to try, which depends on whether
/// the run classified a backbone's embeddings (ONBACKBONE) or trained from the pixels; empty
/// otherwise (and for an unknown agreement, < 0).
QString weakClassifierNote(double agreement, bool onBackbone);

} // namespace labelscope
