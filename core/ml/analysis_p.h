#pragma once
// Internal to core/ml: the stages of the analysis job (analysis.h) and what passes between them.
// runAnalysis (analysis.cpp) runs them in order:
//   loadAnalysisData    (analysis.cpp)          dataset + project → the samples to train on
//   trainAnalysisModels (analysistraining.cpp)  one model, or K fold models → summed dynamics
//   scoreAnalysis       (analysisscoring.cpp)   signals → verdict → per-sample scores, metrics
//   computeAnalysisLayouts (analysis.cpp)       2-D t-SNE layouts for the scatter view
// then saves the run. Includes LibTorch.

#include "analysis.h"
#include "trainer.h"

#include <torch/torch.h>

#include <vector>

namespace labelscope {

class Backbone;

/// The samples the analysis trains on, matched between the loaded dataset and the project.
struct AnalysisData {
    QString spec;                         ///< the data spec the dataset was loaded from
    Dataset dataset;                      ///< pixels of every loaded sample
    std::vector<SampleRow> rows;          ///< the project's samples, by id
    QStringList classes;
    std::vector<int64_t> trainRow;        ///< [n] index into rows of each training sample
    std::vector<int64_t> trainImage;      ///< [n] its index in dataset
    std::vector<int64_t> trainLabels;     ///< [n] its current label
    std::vector<int64_t> testImage, testLabels; ///< the test split (true labels where known)
    std::vector<int64_t> testRow;         ///< [T] index into rows of each test sample
    qint64 n() const { return qint64(trainRow.size()); }
};

/// Training dynamics and probabilities summed over the models that trained on each sample.
struct TrainedModels {
    int folds = 1;                        ///< K, or 1 for one model on everything
    std::vector<int> fold;                ///< [n] fold of each sample (K-fold only)
    torch::Tensor trainCount;             ///< [n] models that trained on each sample
    torch::Tensor sigmaSum, probSum, marginSum; ///< [n, E]
    torch::Tensor predictedLast;          ///< [n, E] int16, from the last model that trained on it
    torch::Tensor inSampleProbSum;        ///< [n, K]
    torch::Tensor oosProbs;               ///< [n, K] out-of-sample pred_probs (K-fold only)
    torch::Tensor embeddings;             ///< [n, D] penultimate-layer features of fold 0's model
    torch::Tensor testProbSum;            ///< [T, K] or undefined
    /// Method Embedding: the k-nearest-neighbour label distribution of each sample (itself
    /// excluded; analysisheads.cpp) [n, K], or undefined.
    torch::Tensor knnProbs;
    double headWeight = -1.0;             ///< embedding method: the heads' share against the kNN signal (fitHeadWeight), -1 otherwise
    double knnSeconds = -1.0;             ///< embedding method: wall time of the k-nearest-neighbour signal
    double classifierWeight = -1.0;       ///< embedding method: the backbone classifier's share, -1 when it has none
};

/// The run being built and the job's summary.
struct AnalysisOutput {
    RunRecord run;
    AnalysisResult result;
};

/// The loading stage (analysis.cpp): the project's own spec when it has samples, else
/// params.dataSpec imported into the new project (with any injected noise). With pixels false
/// (method Embedding) an existing project's images are not read at all (data.dataset holds no
/// pixels; every project sample is matched) and a new project's are freed after the import.
Result<AnalysisData> loadAnalysisData(ProjectStore &store, const AnalysisParams &params, JobContext &context,
                                      bool pixels);

Result<TrainedModels> trainAnalysisModels(const AnalysisData &data, const TrainerConfig &config,
                                          const AnalysisParams &params, JobContext &context);

/// Method Embedding (analysisheads.cpp): K-fold heads (params.head) trained with Data
/// Parameters on the embeddings trainX [n, D] of data's training samples (recording their
/// dynamics), predicting their held-out fold and testX [T, D] (may be undefined); and the
/// k-nearest-neighbour label distribution (FAISS) of every training sample; and, when the
/// BACKBONE (that made trainX; may be null) is a classifier of the dataset's classes, its own
/// class probabilities. Out-of-sample pred_probs: w × the heads' + (1 − w) × the neighbours'
/// distribution, w = fitHeadWeight(); with a backbone classifier, (1 − c) × that + c × the
/// classifier's, c = classifierShare().
Result<TrainedModels> trainEmbeddingHeads(const AnalysisData &data, const torch::Tensor &trainX, const torch::Tensor &testX,
                                          const AnalysisParams &params, int epochs, const torch::Device &device,
                                          Backbone *backbone, JobContext &context);

/// The k-nearest-neighbour label distribution (analysisheads.cpp) of every row of x [n, D]:
/// cosine neighbours in FAISS on THREADS OpenMP threads, the row itself excluded, [n, K] rows
/// summing to 1. Undefined when cancel was set.
torch::Tensor knnLabelDistribution(const torch::Tensor &x, const std::vector<int64_t> &labels, int numClasses, int k,
                                   quint64 seed, const std::atomic_bool &cancel, int threads = 1);

/// The weight w in [0, 1] (steps of 0.05; ties: the larger w) of the mixture w × head + (1 − w) × knn
/// of two out-of-sample distributions [n, K] that best predicts the given labels [n]: the
/// largest Σ log(w head[i, y_i] + (1 − w) knn[i, y_i]) (stacking by log-likelihood).
double fitHeadWeight(const torch::Tensor &head, const torch::Tensor &knn, const std::vector<int64_t> &labels);

/// The class probabilities [n, K] of raw embeddings rawX [n, D] by BACKBONE's own classifier
/// (Backbone::classify) when its sidecar lists exactly CLASSES (in order); undefined otherwise
/// (no backbone, another task, an encoder without classes). Throws as Backbone::classify.
torch::Tensor backboneClassifierProbs(Backbone *backbone, const QStringList &classes, const torch::Tensor &rawX);

/// The backbone classifier's share c in the mixture (1 − c) × heads + c × classifier, both
/// [n, K] out of sample: 0.5 (an even ensemble) scaled by how far the classifier's agreement
/// with the given labels is above chance (1/K), relative to the heads': 0.5 when it agrees as
/// often as the heads or more, 0 at chance (a classifier of other data that does not fit).
double classifierShare(const torch::Tensor &classifier, const torch::Tensor &heads, const std::vector<int64_t> &labels,
                       int numClasses);

/// Fills out->run (dynamics, scores, pred_probs, embeddings) and out->result (categories,
/// Confident Learning, noise metrics when true labels are known).
Result<> scoreAnalysis(const AnalysisData &data, const TrainedModels &trained, const AnalysisParams &params,
                       AnalysisOutput *out);

} // namespace labelscope
