#pragma once
// The learner of an active-learning round (activelearning.cpp), behind one interface so that the
// loops (simulation and project round) are written once:
//  - the CNN learner trains a network on the pixels (altrainer.h: alTrain / alPredict);
//  - the head learner trains a head (embeddinghead.h: logistic or MLP) on a backbone's
//    embeddings, made once and reused by every round and seed (AlConfig::backbone).
// A learner addresses its samples by item index: a row of the Dataset (CNN) or of the embedding
// table (head). Internal to core (includes LibTorch).

#include "alconfig.h"
#include "backbonejobs.h"

#include "base/dataset.h"
#include "base/result.h"
#include "finetune.h"

#include <QString>
#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace labelscope {

class AlLearner {
public:
    virtual ~AlLearner() = default;
    /// True if predict() can give MC-dropout samples (BALD).
    virtual bool hasMcDropout() const = 0;
    /// Trains the round's model on ITEMS with LABELS (int64 class indices) plus optional
    /// pseudo-labelled items; SEED makes the round deterministic. progress(fraction) may be empty.
    /// False with *error ("cancelled" or the failure).
    virtual bool train(const std::vector<int64_t> &items, const std::vector<int64_t> &labels,
                       const std::vector<int64_t> &pseudoItems, const std::vector<int64_t> &pseudoLabels, quint64 seed,
                       const std::atomic_bool &cancel, const std::function<void(double)> &progress, QString *error) = 0;
    /// The pool's unlabelled ITEMS for the next train() calls: the CNN learner trains on them with
    /// FixMatch's consistency loss when train.consistency_weight > 0; other learners ignore them.
    virtual void setUnlabelled(const std::vector<int64_t> &items) { (void)items; }
    /// The trained model's softmax probs [M, K], the embeddings the diversity selectors use
    /// [M, D] and, with mcSamples > 1, MC-dropout probs [T, M, K] of ITEMS (CPU float; any
    /// output may be null). False with *error.
    virtual bool predict(const std::vector<int64_t> &items, int mcSamples, const std::atomic_bool &cancel,
                         torch::Tensor *probs, torch::Tensor *embeddings, torch::Tensor *mcProbs, QString *error) = 0;
    /// Label-free features [M, D] of ITEMS for the cold start (k-means, stratified random).
    virtual bool coldStartEmbeddings(const std::vector<int64_t> &items, quint64 seed, const std::atomic_bool &cancel,
                                     torch::Tensor *embeddings, QString *error) = 0;
};

/// The CNN learner on DATA's pixels (items = indices into data.samples): alTrain with the
/// config's train section (warm-started from the previous round with train.warm_start),
/// alPredict for the scores (penultimate-layer embeddings, MC dropout).
/// With INIT (finetune.h) every round's fresh network starts from those weights instead of a
/// random initialisation, and the cold start's features are the pretrained network's.
std::unique_ptr<AlLearner> makeCnnLearner(const Dataset &data, const AlConfig &config, int numClasses, quint64 seed,
                                          torch::Device device, std::shared_ptr<const InitialWeights> init = nullptr);

/// The head learner on TABLE's embeddings (items = its rows; rows without an embedding must not
/// be given). Each round trains a fresh head (config.head; embeddinghead.h) on the labelled and
/// pseudo-labelled rows, standardised with the statistics of every row that has an embedding (no
/// labels involved); epochs from train.epochs, at least train.min_steps steps. The embeddings the
/// diversity selectors and the cold start see are the backbone's own. With query_strategy bald
/// the head trains with dropout (.25) and gives MC-dropout samples; otherwise it has none.
/// TABLE must outlive the learner.
std::unique_ptr<AlLearner> makeHeadLearner(const EmbeddingTable &table, const AlConfig &config, int numClasses,
                                           torch::Device device);

/// The learner a config asks for: the head learner on TABLE when given; else the CNN learner,
/// initialised from model.backbone's weights when model.fine_tune (loadInitialWeights: its
/// errors name the file). TABLE may be null; it and DATA must outlive the learner.
Result<std::unique_ptr<AlLearner>> makeLearner(const Dataset &data, const EmbeddingTable *table, const AlConfig &config,
                                               int numClasses, quint64 seed, torch::Device device);

} // namespace labelscope
