#pragma once
// Active-learning loops: a simulation against an Oracle that holds back the true labels (to
// compare strategies honestly and measure label efficiency), and one interactive round on a
// project whose batch is queued in the store (al_rounds / al_queue).
//
// Simulation, per seed: the train split's labels go into an Oracle; the learner sees only the
// labels it queried. Cold start (round 0): `initial_labelled` samples chosen without labels —
// random_sampling; stratified_random (random within FAISS k-means clusters of an untrained
// network's embeddings, quota per cluster); or kmeans (the sample nearest each centroid). Each
// round: train (from scratch or warm-started; augmentation; optional pseudo-labels of confident
// pool predictions), evaluate on the test split, stop on budget / target accuracy / plateau /
// iterations, score a random `limit` subset of the pool, select `num_labelled` with the
// QueryStrategy (querystrategy.h), query the oracle. With `preindex` the first queried batch is
// the nearest unlabelled neighbours (FAISS) of the labelled seed, as in SpaceML Active-Labeler.
//
// The learner is a CNN on the pixels, or, with AlConfig::backbone, a head (logistic or MLP,
// AlConfig::head) on the backbone's embeddings (allearner.h): the embeddings are made once and
// serve every round (and, in a simulation, every seed); the query strategies get the head's
// pred_probs and the backbone's embeddings (diversity, core-set, cold start). For BALD the head
// trains with dropout and gives MC-dropout samples.
//
// Long work: jobs of core/jobs/job.h (cancellable within a second, progress, errors returned).
// Torch-free header (ui/ may include it).

#include "alconfig.h"
#include "backbonejobs.h"
#include "base/dataset.h"
#include "base/result.h"
#include "jobs/job.h"

#include <QJsonObject>
#include <QString>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace labelscope {

/// One point of a learning curve: the model trained on `labels` labels and its test accuracy.
struct AlRoundRecord {
    int round = 0;             ///< 0 = the cold-start model
    int64_t labels = 0;        ///< oracle queries so far (labels used to train this model)
    double testAccuracy = -1;  ///< on the test split (fraction); -1 when there is none
    int64_t pseudoLabels = 0;  ///< pseudo-labelled pool samples mixed into training
    double pseudoLabelAccuracy = -1; ///< their accuracy, measured after the fact (simulation only)
    int64_t poolScored = 0;    ///< pool samples scored for the next batch (0 on the last round)
    double trainSeconds = 0, scoreSeconds = 0, selectSeconds = 0;
};

/// The learning curve of one simulated run.
struct AlCurve {
    QString strategy, diversity;
    quint64 seed = 1;
    std::vector<AlRoundRecord> rounds;
    QString stopReason;        ///< "iterations", "budget", "target accuracy", "plateau", "pool exhausted"
    int64_t oracleQueries = 0;
    double seconds = 0;
    QJsonObject toJson() const;
};

struct AlProgress {
    int round = 0, rounds = 0;
    QString phase;             ///< "cold start", "training", "scoring", "selecting", "evaluating"
    double fraction = 0;       ///< of the phase
    int64_t labels = 0;
    double lastAccuracy = -1;
};

using AlProgressCallback = std::function<void(const AlProgress &)>;

/// The simulation job (core/jobs/job.h): one simulated active-learning run on `data` (train
/// split = pool with labels held by the oracle; test split = evaluation) with config.seed
/// replaced by `seed`. `device` is "cpu" or "cuda". Stages: the phases of each round.
/// With config.backbone, EMBEDDINGS are the backbone's embeddings of data.samples (row i for
/// samples[i]; embedSamples(), made once and shared by the seeds); samples without one are left
/// out of pool and test. When EMBEDDINGS is null they are extracted here first.
Result<AlCurve> runAlSimulation(const Dataset &data, const AlConfig &config, quint64 seed, const QString &device,
                                JobContext &context, const EmbeddingTable *embeddings = nullptr);

/// Result of one interactive round on a project.
struct AlProjectRound {
    qint64 roundId = 0;            ///< al_rounds id
    std::vector<qint64> queued;    ///< sample ids queued, in order
    std::vector<float> scores;     ///< their uncertainty
    int64_t labelled = 0;          ///< labelled training samples used
    int64_t pool = 0;              ///< unlabelled pool size
    double validationAccuracy = -1; ///< on the project's labelled test split, -1 if none
    int64_t scored = 0;            ///< pool samples scored (the `limit` subset; 0 on a cold start)
    // With config.backbone (else empty / 0):
    QString backboneName;          ///< the sidecar's name
    qint64 embeddingsReused = 0;   ///< embeddings taken from the project's cache
    qint64 embeddingsExtracted = 0; ///< run through the backbone now (0 when the cache had them all)
    double extractionSeconds = 0;
};

/// One round on a project: trains on its labelled, non-excluded, non-test samples, scores the
/// unlabelled ones, selects config.numLabelled with the configured strategy and writes the round
/// and its queue (al_rounds, al_queue), then the uncertainty of every scored pool sample
/// (al_scores; ProjectStore::saveAlScores). With no labelled samples, the batch is a cold start
/// (no pool is scored). With config.backbone the embeddings come from the project's cache
/// (embedProject(): a second round extracts nothing) and the dataset's pixels are not read; a
/// bad backbone fails the round before anything is written. The job of core/jobs/job.h. When another round queued some of the same
/// samples meanwhile, the store refuses the round (ProjectStore::saveAlRound): run it again.
Result<AlProjectRound> runAlProjectRound(const QString &projectFile, const AlConfig &config, const QString &device,
                                         JobContext &context);

} // namespace labelscope
