#pragma once
// The probability that a sample's given label is wrong under a class-conditional noise model
// estimated from predicted probabilities. Torch-free.
//
// Method (our own composition of standard pieces):
//  1. Temperature scaling (Guo et al., ICML 2017): one temperature τ for all rows, fitted by
//     minimising the mean negative log-likelihood of the given labels; q = softmax(log p / τ).
//  2. Noise matrix from Confident Learning (Northcutt et al., JAIR 2021; cleanlab's
//     estimate_joint): the calibrated confident joint Q[given][true] of q, normalised per
//     column into T[i][j] = P(given = i | true = j).
//  3. Per-sample clean posterior π by inverting q = T π (the forward noise model of Patrini et
//     al., CVPR 2017), clipped at 1e-6 and renormalised.
//  4. Bayes: P(label wrong | x, given = i) = 1 − T[i][i] π_i / Σ_j T[i][j] π_j.
// Under symmetric noise T is flat off the diagonal and this ranks like 1 − p(given); under
// class-conditional (asymmetric) noise it asks "could the likely true class have produced this
// label?", which one score per sample cannot. analysis.cpp feeds it the probabilities of the
// Data Parameters models that trained on each sample (mean over them), which measured better
// than the out-of-sample ones; on 20% asymmetric Fashion-MNIST noise the threshold 0.5 gives
// F1 .85 against .80 for find_label_issues (tests/benchmarks/RESULTS.md, session 6).
// Limit: Confident Learning counts confusion between look-alike classes as noise too; when
// most images are ambiguous (tst_noiseposterior) the matrix overstates those pairs.

#include <QString>

#include <cstdint>
#include <vector>

namespace labelscope {

struct NoisePosterior {
    std::vector<float> pWrong;        ///< [N] P(given label wrong | x), in [0, 1]
    std::vector<double> noiseMatrix;  ///< [K*K] row-major T[given][true], columns sum to 1
    double temperature = 1.0;         ///< fitted τ
    QString error;                    ///< non-empty on invalid input (other fields then empty)
    bool ok() const { return error.isEmpty(); }
};

/// Computes the class-conditional noise posterior of every sample.
/// - `labels`: [N] given labels in 0..numClasses-1.
/// - `predProbs`: [N, K] row-major predicted probabilities (rows sum to 1).
/// Errors (as findLabelIssues: fewer than 2 classes, shape, a label out of range, NaN or a
/// probability outside [0, 1]) come back in result.error, with nothing computed.
NoisePosterior classConditionalNoisePosterior(const std::vector<int> &labels,
                                              const std::vector<double> &predProbs, int numClasses);

} // namespace labelscope
