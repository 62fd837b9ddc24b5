// The scoring stage of the analysis job (analysis_p.h): the summed dynamics become per-sample
// means, the signals (Data Parameters score, Confident Learning on the out-of-sample pred_probs,
// the class-conditional noise posterior) become one verdict per sample, and — where the true
// labels are known (injected noise) — detection figures of the verdict and of each signal alone.
#include "analysis_p.h"

#include "base/categorizer.h"
#include "base/confidentlearning.h"
#include "base/metrics.h"
#include "base/noiseposterior.h"
#include "base/verdict.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace labelscope {

namespace {

// [N, K] float32 softmax rows → row-major doubles renormalised to 1 (cleanlab's astype(float64)).
std::vector<double> rowsAsDouble(const torch::Tensor &probsTensor)
{
    const auto c = probsTensor.contiguous();
    const int64_t n = c.size(0), k = c.size(1);
    const float *p = c.data_ptr<float>();
    std::vector<double> probs(p, p + c.numel());
    for (int64_t i = 0; i < n; ++i) {
        double *row = probs.data() + i * k;
        const double sum = std::accumulate(row, row + k, 0.0);
        for (int64_t j = 0; j < k; ++j)
            row[j] = std::clamp(row[j] / sum, 0.0, 1.0);
    }
    return probs;
}

template <class Vector>
void copyOut(const torch::Tensor &t, Vector &vec)
{
    auto c = t.contiguous();
    using T = typename Vector::value_type;
    vec.assign(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}

// Detection figures of the verdict and of each signal alone, against the known wrong labels.
void noiseMetrics(const std::vector<bool> &wrong, const std::vector<float> &scoreVec, const RunRecord &run,
                  const std::vector<float> &dpScore, const std::vector<int> &givenLabels,
                  const std::vector<float> &clScore, const std::vector<bool> &clIssue,
                  const std::vector<float> &pWrong, AnalysisResult *result)
{
    const std::size_t nn = wrong.size();
    std::vector<bool> hardFlag(nn), flagged(nn);
    for (std::size_t i = 0; i < nn; ++i) {
        hardFlag[i] = run.scores[i].category == Category::Hard;
        flagged[i] = run.scores[i].category != Category::Easy;
    }
    NoiseMetrics &m = result->noise;
    m.available = true;
    m.noisy = std::count(wrong.begin(), wrong.end(), true);
    m.auroc = auroc(scoreVec, wrong);
    const BinaryCounts c = binaryCounts(hardFlag, wrong);
    m.precision = c.precision();
    m.recall = c.recall();
    m.f1 = c.f1();
    m.hardRecall = c.recall();
    m.flaggedRecall = binaryCounts(flagged, wrong).recall();
    qint64 easyWrong = 0;
    for (std::size_t i = 0; i < nn; ++i)
        if (run.scores[i].category == Category::Easy && wrong[i])
            ++easyWrong;
    m.easyNoiseRate = result->easy ? double(easyWrong) / double(result->easy) : 0.0;
    // Each signal alone, to show what the combination adds.
    auto signalFigures = [&](const std::vector<float> &score, const std::vector<bool> &flags) {
        SignalMetrics sm;
        sm.auroc = auroc(score, wrong);
        const BinaryCounts bc = binaryCounts(flags, wrong);
        sm.precision = bc.precision();
        sm.recall = bc.recall();
        sm.f1 = bc.f1();
        return sm;
    };
    {
        const Categorization dpOnly = categorizeScores(dpScore, givenLabels);
        std::vector<bool> dpHard(nn);
        for (std::size_t i = 0; i < nn; ++i)
            dpHard[i] = dpOnly.category[i] == Category::Hard;
        result->signals[QStringLiteral("data_parameters")] = signalFigures(dpScore, dpHard);
    }
    if (!clScore.empty())
        result->signals[QStringLiteral("confident_learning")] = signalFigures(clScore, clIssue);
    std::vector<bool> noisePosteriorHard(nn);
    for (std::size_t i = 0; i < nn; ++i)
        noisePosteriorHard[i] = pWrong[i] >= CategoryRule().noisePosteriorHard;
    result->signals[QStringLiteral("noise_posterior")] = signalFigures(pWrong, noisePosteriorHard);
}

} // namespace

Result<> scoreAnalysis(const AnalysisData &data, const TrainedModels &trained, const AnalysisParams &params,
                       AnalysisOutput *out)
{
    const qint64 n = data.n();
    const std::size_t nn = std::size_t(n);
    const int numClasses = int(data.classes.size());
    const bool useDp = params.method != AnalysisMethod::ConfidentLearning;
    const bool useCl = params.method != AnalysisMethod::DataParameters;
    RunRecord &run = out->run;
    AnalysisResult *result = &out->result;
    result->knnSeconds = trained.knnSeconds;
    const std::vector<int> givenLabels(data.trainLabels.begin(), data.trainLabels.end());

    // Dynamics (mean over the models that trained on each sample) → signals → verdict.
    const auto count = trained.trainCount.clamp_min(1.0f);
    const auto perSample = count.unsqueeze(1);
    Dynamics &dyn = run.dynamics;
    dyn.epochs = int(trained.sigmaSum.size(1));
    dyn.sampleIds.resize(nn);
    for (qint64 i = 0; i < n; ++i)
        dyn.sampleIds[std::size_t(i)] = data.rows[std::size_t(data.trainRow[std::size_t(i)])].id;
    copyOut(trained.sigmaSum / perSample, dyn.sigma);
    copyOut(trained.probSum / perSample, dyn.probGiven);
    copyOut(trained.marginSum / perSample, dyn.margin);
    copyOut(trained.predictedLast, dyn.predicted);

    std::vector<DynamicsSummary> summaries = summarizeDynamics(dyn);
    const auto labelIndex = torch::tensor(at::ArrayRef<int64_t>(data.trainLabels), torch::kLong).unsqueeze(1);
    const auto inSampleProbs = (trained.inSampleProbSum / perSample).contiguous();
    {
        auto given = inSampleProbs.gather(1, labelIndex).squeeze(1).contiguous();
        const float *g = given.data_ptr<float>();
        for (qint64 i = 0; i < n; ++i)
            summaries[std::size_t(i)].finalProb = g[i];
    }
    VerdictInputs verdict;
    verdict.givenLabels = givenLabels;
    std::vector<float> dpScore(nn), clScore;
    for (std::size_t i = 0; i < nn; ++i)
        dpScore[i] = dynamicsNoiseScore(summaries[i]);
    if (useDp)
        verdict.dpScore = dpScore;
    std::vector<bool> clIssue;
    if (useCl) {
        const auto oos = trained.oosProbs.contiguous();
        const std::vector<double> probs = rowsAsDouble(oos);
        LabelIssuesOptions options;
        options.filterBy = params.filterBy;
        options.rankBy = LabelQualityScore::SelfConfidence;
        const LabelIssuesResult issues = findLabelIssues(givenLabels, probs, numClasses, options);
        if (!issues.ok())
            return Result<>::failure(QStringLiteral("find_label_issues: %1").arg(issues.error));
        clIssue.assign(nn, false);
        for (int64_t i : issues.indices)
            clIssue[std::size_t(i)] = true;
        clScore.resize(nn);
        for (std::size_t i = 0; i < nn; ++i)
            clScore[i] = float(1.0 - probs[i * std::size_t(numClasses) + std::size_t(givenLabels[i])]);
        verdict.clScore = clScore;
        verdict.clIssue = clIssue;
        run.predProbs.numClasses = numClasses;
        run.predProbs.sampleIds = dyn.sampleIds;
        run.predProbs.folds = trained.fold;
        copyOut(oos, run.predProbs.probs);
        result->numLabelIssues = qint64(issues.indices.size());
        result->outOfSampleAgreement = outOfSampleAgreement(givenLabels, probs, numClasses);
        result->confidentJoint = issues.confidentJoint;
        result->overlappingClasses =
            findOverlappingClasses(issues.calibratedJoint, numClasses, AnalysisResult::kOverlappingClassesKept);
        result->classNames = data.classes;
    }
    // Noise posterior from the models that trained on each sample (beat out-of-sample: RESULTS.md).
    const NoisePosterior noisePosterior = classConditionalNoisePosterior(
        givenLabels, rowsAsDouble(useDp ? inSampleProbs : trained.oosProbs.contiguous()), numClasses);
    if (!noisePosterior.ok())
        return Result<>::failure(QStringLiteral("noise posterior: %1").arg(noisePosterior.error));
    verdict.noisePosterior = noisePosterior.pWrong;
    verdict.independentShare = std::max(0.0, trained.classifierWeight);
    result->noisePosteriorTemperature = noisePosterior.temperature;
    const Categorization cat = combineVerdict(verdict);
    run.settings.insert(QStringLiteral("noisy_fraction_estimate"), cat.noisyFraction);
    if (trained.headWeight >= 0.0)
        run.settings.insert(QStringLiteral("head_weight"), trained.headWeight);
    if (trained.classifierWeight >= 0.0)
        run.settings.insert(QStringLiteral("classifier_weight"), trained.classifierWeight);
    // Suggested label: the most likely class of the out-of-sample model, else of the models that trained on it.
    const auto suggestFrom = useCl ? trained.oosProbs.contiguous() : inSampleProbs;
    auto [predProb, predLabel] = inSampleProbs.max(1);
    auto [suggestProb, suggestLabel] = suggestFrom.max(1);
    auto predProbA = predProb.accessor<float, 1>();
    auto predLabelA = predLabel.accessor<int64_t, 1>();
    auto suggestProbA = suggestProb.accessor<float, 1>();
    auto suggestLabelA = suggestLabel.accessor<int64_t, 1>();

    std::vector<float> scoreVec(nn);
    std::vector<bool> wrong(nn);
    bool truthKnown = true;
    run.scores.resize(nn);
    for (qint64 i = 0; i < n; ++i) {
        const std::size_t u = std::size_t(i);
        const SampleRow &row = data.rows[std::size_t(data.trainRow[u])];
        SampleScore &s = run.scores[u];
        s.sampleId = row.id;
        s.noiseScore = cat.noiseScore[u];
        s.category = cat.category[u];
        s.sigma = summaries[u].finalSigma;
        s.meanProb = summaries[u].meanProb;
        s.stdProb = summaries[u].stdProb;
        s.meanMargin = summaries[u].meanMargin;
        s.predLabel = int(predLabelA[i]);
        s.predProb = predProbA[i];
        s.dpScore = dpScore[u];
        if (useCl) {
            s.clScore = clScore[u];
            s.clIssue = clIssue[u];
        }
        s.suggestedLabel = int(suggestLabelA[i]);
        s.suggestedProb = suggestProbA[i];
        switch (s.category) {
        case Category::Easy: ++result->easy; break;
        case Category::Hard: ++result->hard; break;
        default: ++result->needReview; break;
        }
        scoreVec[u] = s.noiseScore;
        truthKnown = truthKnown && row.sample.trueLabel >= 0;
        wrong[u] = row.sample.trueLabel >= 0 && row.sample.trueLabel != row.label;
    }
    result->samples = n;
    if (trained.testProbSum.defined())
        result->testAccuracy = trained.testProbSum.argmax(1)
                                   .eq(torch::tensor(at::ArrayRef<int64_t>(data.testLabels), torch::kLong))
                                   .to(torch::kFloat64).mean().item<double>();
    if (truthKnown)
        noiseMetrics(wrong, scoreVec, run, dpScore, givenLabels, clScore, clIssue, noisePosterior.pWrong, result);
    if (truthKnown && trained.knnProbs.defined()) {
        // The neighbours' labels alone: score 1 − p_knn(given), flagged when under half agree.
        const auto agree = trained.knnProbs.gather(1, labelIndex).squeeze(1).contiguous();
        const float *a = agree.data_ptr<float>();
        std::vector<float> knnScore(nn);
        std::vector<bool> knnFlag(nn);
        for (std::size_t i = 0; i < nn; ++i) {
            knnScore[i] = 1.0f - a[i];
            knnFlag[i] = a[i] < 0.5f;
        }
        SignalMetrics sm;
        sm.auroc = auroc(knnScore, wrong);
        const BinaryCounts bc = binaryCounts(knnFlag, wrong);
        sm.precision = bc.precision();
        sm.recall = bc.recall();
        sm.f1 = bc.f1();
        result->signals[QStringLiteral("knn")] = sm;
    }

    run.embeddingDim = int(trained.embeddings.size(1));
    run.embeddingIds = dyn.sampleIds;
    copyOut(trained.embeddings, run.embeddings);
    return {};
}

} // namespace labelscope
