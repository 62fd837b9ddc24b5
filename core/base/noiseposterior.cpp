#include "noiseposterior.h"

#include "confidentlearning.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>

namespace labelscope {

namespace {

constexpr double kLogFloor = -27.6;   // log(1e-12): a softmax output of 0 in float32
constexpr double kMinClean = 1e-6;    // floor of the deconvolved clean posterior

// Mean negative log-likelihood of the given labels under softmax(logP / tau).
double temperedNll(const std::vector<double> &logP, const std::vector<int> &labels, int k, double tau)
{
    const std::size_t n = labels.size();
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double *row = logP.data() + i * std::size_t(k);
        double mx = row[0];
        for (int j = 1; j < k; ++j)
            mx = std::max(mx, row[j]);
        double sum = 0.0;
        for (int j = 0; j < k; ++j)
            sum += std::exp((row[j] - mx) / tau);
        total += (mx - row[labels[i]]) / tau + std::log(sum);
    }
    return total / double(std::max<std::size_t>(n, 1));
}

// Golden-section search of log τ in [log 1/4, log 4]: the NLL is unimodal in τ.
double fitTemperature(const std::vector<double> &logP, const std::vector<int> &labels, int k)
{
    const double phi = (std::sqrt(5.0) - 1.0) / 2.0;
    double a = std::log(0.25), b = std::log(4.0);
    double c = b - phi * (b - a), d = a + phi * (b - a);
    double fc = temperedNll(logP, labels, k, std::exp(c)), fd = temperedNll(logP, labels, k, std::exp(d));
    for (int it = 0; it < 30; ++it) {
        if (fc <= fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = temperedNll(logP, labels, k, std::exp(c));
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = temperedNll(logP, labels, k, std::exp(d));
        }
    }
    return std::exp((a + b) / 2.0);
}

} // namespace

NoisePosterior classConditionalNoisePosterior(const std::vector<int> &labels,
                                              const std::vector<double> &predProbs, int numClasses)
{
    NoisePosterior out;
    const int k = numClasses;
    const std::size_t n = labels.size();
    out.error = labelIssuesInputError(labels, predProbs, numClasses);
    if (!out.ok())
        return out;
    std::vector<double> logP(predProbs.size());
    for (std::size_t i = 0; i < predProbs.size(); ++i)
        logP[i] = predProbs[i] > 0.0 ? std::max(std::log(predProbs[i]), kLogFloor) : kLogFloor;
    out.temperature = fitTemperature(logP, labels, k);

    std::vector<double> q(predProbs.size());
    for (std::size_t i = 0; i < n; ++i) {
        const double *row = logP.data() + i * std::size_t(k);
        double *qi = q.data() + i * std::size_t(k);
        const double mx = *std::max_element(row, row + k);
        double sum = 0.0;
        for (int j = 0; j < k; ++j)
            sum += (qi[j] = std::exp((row[j] - mx) / out.temperature));
        for (int j = 0; j < k; ++j)
            qi[j] /= sum;
    }

    LabelIssuesOptions options;
    options.filterBy = FilterBy::ConfidentLearning;
    const LabelIssuesResult cl = findLabelIssues(labels, q, numClasses, options);
    if (!cl.ok()) {
        out.error = cl.error;
        return out;
    }
    // T[i][j] = Q[i][j] / Σ_i Q[i][j]; a class never guessed keeps an identity column.
    cv::Mat t(k, k, CV_64F, cv::Scalar(0.0));
    for (int j = 0; j < k; ++j) {
        double col = 0.0;
        for (int i = 0; i < k; ++i)
            col += double(cl.calibratedJoint[std::size_t(i * k + j)]);
        for (int i = 0; i < k; ++i)
            t.at<double>(i, j) = col > 0.0 ? double(cl.calibratedJoint[std::size_t(i * k + j)]) / col
                                           : (i == j ? 1.0 : 0.0);
    }
    cv::Mat tInv;
    cv::invert(t, tInv, cv::DECOMP_SVD); // pseudo-inverse: T may be singular

    out.noiseMatrix.assign(std::size_t(k * k), 0.0);
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < k; ++j)
            out.noiseMatrix[std::size_t(i * k + j)] = t.at<double>(i, j);
    out.pWrong.assign(n, 0.0f);
    std::vector<double> clean(static_cast<std::size_t>(k));
    for (std::size_t i = 0; i < n; ++i) {
        const double *qi = q.data() + i * std::size_t(k);
        double sum = 0.0;
        for (int j = 0; j < k; ++j) {
            double v = 0.0;
            for (int m = 0; m < k; ++m)
                v += tInv.at<double>(j, m) * qi[m];
            clean[std::size_t(j)] = std::max(v, kMinClean);
            sum += clean[std::size_t(j)];
        }
        const int y = labels[i];
        double given = 0.0, all = 0.0;
        for (int j = 0; j < k; ++j) {
            const double term = t.at<double>(y, j) * clean[std::size_t(j)] / sum;
            all += term;
            if (j == y)
                given = term;
        }
        out.pWrong[i] = all > 0.0 ? float(std::clamp(1.0 - given / all, 0.0, 1.0)) : 0.0f;
    }
    return out;
}

} // namespace labelscope
