// The training stage of the embedding method (analysis_p.h, trainEmbeddingHeads): K-fold heads
// on backbone embeddings, each learning Data Parameters on the other folds (recording the same
// per-epoch dynamics as the image networks) and predicting its own fold out of sample; and a
// k-nearest-neighbour label signal. The results are summed per sample in fold order, in the
// TrainedModels form that scoreAnalysis (analysisscoring.cpp) turns into the verdict.
//
// Heads (embeddinghead.h, shared with active learning): multinomial logistic regression or an
// MLP with one hidden layer, on embeddings standardised per dimension (mean and std of the
// training samples: no labels used). Adam (lr 3e-3, L2 1e-4), cosine decay, batches of 512, one thread
// (the ops are small: OpenMP's synchronisation cost more than it gave on 2 cores). The
// per-epoch dynamics (p(given), margin, prediction) are read after each epoch from one pass over
// the fold's training samples: heads see no augmentation, so this is the training pass's view
// without the within-epoch updates, at a fraction of the per-batch bookkeeping's cost.
// kNN: cosine similarity (inner product of L2-normalised standardised embeddings) in FAISS,
// exact (IndexFlatIP) up to 20,000 samples, IVF above; each sample's distribution is the
// neighbours' given labels (itself excluded), smoothed by one pseudo-count spread over the
// classes: p_knn[c] = (count_c + 1/K) / (k + 1) (cf. cleanlab's kNN-based label quality,
// Northcutt et al.; Zhu et al. 2022, "Detecting corrupted labels without training a model").
// The two out-of-sample distributions are mixed by the weight that maximises the likelihood of
// the given labels (fitHeadWeight: stacking on a one-parameter grid).
#include "analysis_p.h"
#include "embeddinghead.h"

#include "base/kfold.h"

#include "backbone.h"

#include <QElapsedTimer>

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <omp.h>

#include <algorithm>
#include <cmath>

namespace labelscope {

namespace {

constexpr int64_t kKnnFlatLimit = 20000;
// The backbone classifier's largest share in the out-of-sample pred_probs (classifierShare).
constexpr double kBackboneClassifierShare = 0.5;

torch::Tensor indexTensor(const std::vector<int64_t> &idx)
{
    return torch::tensor(at::ArrayRef<int64_t>(idx), torch::kLong);
}

struct OmpThreads {
    int previous = omp_get_max_threads();
    explicit OmpThreads(int n) { omp_set_num_threads(n); }
    ~OmpThreads() { omp_set_num_threads(previous); }
};

} // namespace

/// Label distribution of each row's k nearest neighbours (itself excluded) [n, K]; empty
/// tensor when cancelled. Exposed for tests through analysis_p.h's trainEmbeddingHeads only.
torch::Tensor knnLabelDistribution(const torch::Tensor &x, const std::vector<int64_t> &labels, int numClasses, int k,
                                   quint64 seed, const std::atomic_bool &cancel, int threads)
{
    const int64_t n = x.size(0), d = x.size(1);
    k = int(std::min<int64_t>(k, n - 1));
    auto unit = x.to(torch::kFloat32);
    unit = (unit / unit.norm(2, 1, true).clamp_min(1e-12)).contiguous();
    const float *data = unit.data_ptr<float>();
    // FAISS's OpenMP threads: the analysis's thread count. The IVF's k-means, adding and search
    // at 70,000 × 128 took 9.3 s on one thread and 5.1 s on two here (knn_bench, RESULTS.md
    // session 13); nothing else runs meanwhile (the heads are done).
    const OmpThreads omp(std::max(1, threads));
    faiss::IndexFlatIP flat(d);
    std::unique_ptr<faiss::IndexIVFFlat> ivf;
    faiss::Index *index = &flat;
    if (n > kKnnFlatLimit) {
        const int lists = std::max(1, int(4 * std::sqrt(double(n))));
        ivf = std::make_unique<faiss::IndexIVFFlat>(&flat, size_t(d), size_t(lists), faiss::METRIC_INNER_PRODUCT);
        ivf->cp.seed = int(seed & 0x7fffffff);
        ivf->cp.niter = 10;
        ivf->cp.max_points_per_centroid = 64;
        ivf->train(n, data);
        ivf->nprobe = size_t(std::min(lists, 16));
        index = ivf.get();
    }
    index->add(n, data);
    auto counts = torch::full({n, numClasses}, 1.0f / float(numClasses));
    float *c = counts.data_ptr<float>();
    std::vector<float> dist;
    std::vector<faiss::Index::idx_t> nn;
    const int64_t chunk = 2048;
    for (int64_t s = 0; s < n; s += chunk) {
        if (cancel.load())
            return {};
        const int64_t m = std::min(chunk, n - s);
        dist.resize(std::size_t(m * (k + 1)));
        nn.resize(std::size_t(m * (k + 1)));
        index->search(m, data + s * d, k + 1, dist.data(), nn.data());
        for (int64_t q = 0; q < m; ++q) {
            const int64_t self = s + q;
            int used = 0;
            for (int j = 0; j <= k && used < k; ++j) {
                const auto r = nn[std::size_t(q * (k + 1) + j)];
                if (r < 0 || r == self)
                    continue;
                c[self * numClasses + labels[std::size_t(r)]] += 1.0f;
                ++used;
            }
        }
    }
    return counts / counts.sum(1, true);
}

double fitHeadWeight(const torch::Tensor &head, const torch::Tensor &knn, const std::vector<int64_t> &labels)
{
    const auto y = indexTensor(labels).unsqueeze(1);
    const auto ph = head.to(torch::kFloat64).gather(1, y).squeeze(1), pk = knn.to(torch::kFloat64).gather(1, y).squeeze(1);
    double best = -std::numeric_limits<double>::infinity(), w = 1.0;
    for (int g = 20; g >= 0; --g) {
        const double v = g / 20.0;
        const double ll = (v * ph + (1.0 - v) * pk).clamp_min(1e-12).log().sum().item<double>();
        if (ll > best) {
            best = ll;
            w = v;
        }
    }
    return w;
}

double classifierShare(const torch::Tensor &classifier, const torch::Tensor &heads, const std::vector<int64_t> &labels,
                       int numClasses)
{
    const auto y = indexTensor(labels);
    const double chance = 1.0 / numClasses;
    const double accClassifier = classifier.argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();
    const double accHeads = heads.argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();
    if (accHeads <= chance)
        return accClassifier > chance ? kBackboneClassifierShare : 0.0;
    return kBackboneClassifierShare * std::clamp((accClassifier - chance) / (accHeads - chance), 0.0, 1.0);
}

torch::Tensor backboneClassifierProbs(Backbone *backbone, const QStringList &classes, const torch::Tensor &rawX)
{
    if (!backbone || !backbone->canClassify() || backbone->sidecar().classes != classes)
        return {};
    const int64_t n = rawX.size(0), chunk = 4096;
    std::vector<torch::Tensor> parts;
    for (int64_t s = 0; s < n; s += chunk)
        parts.push_back(torch::softmax(backbone->classify(rawX.narrow(0, s, std::min(chunk, n - s))), 1));
    return parts.empty() ? torch::empty({0, int64_t(classes.size())}) : torch::cat(parts);
}

Result<TrainedModels> trainEmbeddingHeads(const AnalysisData &data, const torch::Tensor &trainX, const torch::Tensor &testX,
                                          const AnalysisParams &params, int epochs, const torch::Device &device,
                                          Backbone *backbone, JobContext &context)
{
    using R = Result<TrainedModels>;
    const int64_t n = data.n();
    const int numClasses = int(data.classes.size());
    TrainedModels trained;
    const ScopedTorchThreads oneThread(1);
    const int threads = oneThread.previous(); // the kNN's OpenMP threads
    QString foldError;
    const std::vector<int> givenLabels(data.trainLabels.begin(), data.trainLabels.end());
    trained.fold = stratifiedKFold(givenLabels, params.folds, params.seed, &foldError);
    if (trained.fold.empty())
        return R::failure(QStringLiteral("%1: %2").arg(data.spec, foldError));
    const int folds = params.folds;
    trained.folds = folds;
    // Standardised per dimension with the training samples' statistics (no labels involved).
    const EmbeddingStandardiser standardiser = EmbeddingStandardiser::fit(trainX);
    const torch::Tensor x = standardiser.apply(trainX);
    const torch::Tensor tx = testX.defined() && testX.size(0) > 0 ? standardiser.apply(testX) : torch::Tensor();
    const torch::Tensor labels = indexTensor(data.trainLabels);

    trained.trainCount = torch::zeros({n});
    trained.sigmaSum = torch::zeros({n, epochs});
    trained.probSum = torch::zeros({n, epochs});
    trained.marginSum = torch::zeros({n, epochs});
    trained.predictedLast = torch::zeros({n, epochs}, torch::kInt16);
    trained.inSampleProbSum = torch::zeros({n, numClasses});
    trained.oosProbs = torch::zeros({n, numClasses});
    context.stage(QStringLiteral("training"), 0.6, 0.95);
    QElapsedTimer clock;
    clock.start();
    const int64_t trainPerFold = n - n / folds;
    const double work = double(folds) * double(trainPerFold) * epochs;
    double done = 0.0;
    DataParametersConfig dpConfig;
    dpConfig.instanceLr = 4.0; // as the image networks' (analysis.cpp)
    for (int f = 0; f < folds; ++f) {
        std::vector<int64_t> in, out;
        for (int64_t i = 0; i < n; ++i)
            (trained.fold[std::size_t(i)] == f ? out : in).push_back(i);
        const auto inIdx = indexTensor(in), outIdx = indexTensor(out);
        const auto xi = x.index_select(0, inIdx), yi = labels.index_select(0, inIdx);
        const int64_t m = xi.size(0);
        DataParameters dataParameters(m, numClasses, dpConfig, device);
        EmbeddingHeadConfig headConfig;
        headConfig.kind = params.head;
        headConfig.epochs = epochs;
        headConfig.seed = params.seed + quint64(f); // initial weights: deterministic per fold
        headConfig.shuffleSeed = params.seed * 0x9E3779B97F4A7C15ULL + quint64(f);
        headConfig.device = device;
        const auto xiDev = xi.to(device), yiDev = yi.to(device);
        auto sigma = torch::ones({m, epochs}), prob = torch::zeros({m, epochs}), margin = torch::zeros({m, epochs});
        auto predicted = torch::zeros({m, epochs}, torch::kInt16);
        Result<torch::nn::Sequential> fitted = trainEmbeddingHead(
            xiDev, yiDev, numClasses, headConfig, &dataParameters, context.cancelFlag(), [&](int e, torch::nn::Sequential &head) {
                sigma.select(1, e).copy_(dataParameters.instanceSigma());
                {
                    // This epoch's dynamics of every training sample of the fold.
                    torch::NoGradGuard noGrad;
                    const auto l = head->forward(xiDev);
                    const auto y = yiDev.unsqueeze(1);
                    const auto given = l.gather(1, y).squeeze(1);
                    const auto others = l.scatter(1, y, -std::numeric_limits<float>::infinity());
                    prob.select(1, e).copy_(torch::softmax(l, 1).gather(1, y).squeeze(1).cpu());
                    margin.select(1, e).copy_((given - std::get<0>(others.max(1))).cpu());
                    predicted.select(1, e).copy_(l.argmax(1).to(torch::kInt16).cpu());
                }
                done += double(m);
                const double rate = done / std::max(1e-3, clock.elapsed() / 1000.0);
                context.progress(done / work,
                                 QStringLiteral("fold %1/%2 epoch %3/%4 %5 samples/s").arg(f + 1).arg(folds).arg(e + 1).arg(epochs).arg(int(rate)),
                                 rate > 0 ? (work - done) / rate : -1.0);
            });
        if (!fitted)
            return R::from(fitted);
        torch::nn::Sequential head = fitted.value();
        trained.sigmaSum.index_add_(0, inIdx, sigma);
        trained.probSum.index_add_(0, inIdx, prob);
        trained.marginSum.index_add_(0, inIdx, margin);
        trained.predictedLast.index_copy_(0, inIdx, predicted);
        trained.inSampleProbSum.index_add_(0, inIdx, predictEmbeddingHead(head, xi, device));
        trained.trainCount.index_add_(0, inIdx, torch::ones({m}));
        if (!out.empty())
            trained.oosProbs.index_copy_(0, outIdx, predictEmbeddingHead(head, x.index_select(0, outIdx), device));
        if (tx.defined()) {
            const auto p = predictEmbeddingHead(head, tx, device);
            trained.testProbSum = trained.testProbSum.defined() ? trained.testProbSum + p : p;
        }
    }
    // The neighbours' labels: an out-of-sample signal by construction (the sample's own label is
    // never counted), mixed with the heads' distributions by the weight that predicts the given
    // labels best. With a strong backbone the head is the better predictor and a fixed 50/50 mix
    // let the weaker kNN signal dilute it (RESULTS.md, session 12: weights .75–.85 fitted, AUROC
    // and F1 of hard up on both noises and two seeds).
    context.progress(1.0, QStringLiteral("k-nearest neighbours"));
    QElapsedTimer knnClock;
    knnClock.start();
    trained.knnProbs = knnLabelDistribution(x, data.trainLabels, numClasses, params.knnNeighbours, params.seed, context.cancelFlag(),
                                            threads);
    trained.knnSeconds = knnClock.elapsed() / 1000.0;
    if (!trained.knnProbs.defined())
        return R::cancelled();
    const double w = fitHeadWeight(trained.oosProbs, trained.knnProbs, data.trainLabels);
    trained.headWeight = w;
    const auto counts = trained.trainCount.unsqueeze(1);
    torch::Tensor oos = w * trained.oosProbs + (1.0 - w) * trained.knnProbs;
    torch::Tensor inSample = w * trained.inSampleProbSum + (1.0 - w) * trained.knnProbs * counts;
    // A backbone that is a classifier of these classes (export-model) predicts every sample out
    // of sample too, from other data with its own labels: up to an even ensemble with the mixture
    // above (classifierShare). Not fitted by the given labels' likelihood: it rewards the predictor
    // that learned their noise, and gave the classifier no weight where it helps (RESULTS.md,
    // session 13).
    const torch::Tensor classifier = backboneClassifierProbs(backbone, data.classes, trainX);
    if (classifier.defined()) {
        const double c = classifierShare(classifier, oos, data.trainLabels, numClasses);
        trained.classifierWeight = c;
        oos = (1.0 - c) * oos + c * classifier;
        inSample = (1.0 - c) * inSample + c * classifier * counts;
    }
    trained.oosProbs = oos;
    trained.inSampleProbSum = inSample;
    trained.embeddings = trainX;
    return std::move(trained);
}

} // namespace labelscope
