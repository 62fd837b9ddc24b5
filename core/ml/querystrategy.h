#pragma once
// Active-learning query strategies: which unlabelled pool samples a person should label next.
//
// A QueryStrategy is one uncertainty measure combined with one diversity selector, so every
// combination runs through one interface and a new measure or selector is one class.
//
//  Uncertainty (higher score = more uncertain), on softmax probabilities p [M, K]:
//   - least_confidence: 1 − max_k p_k
//   - margin_based:     1 − (p_(1) − p_(2)) (the smallest margin p_(1) − p_(2) first)
//   - entropy_based:    −Σ_k p_k log p_k (natural log)
//   - random_sampling:  uniform random scores (seeded)
//   - bald:             mutual information H[E_t p_t] − E_t H[p_t] from T MC-dropout samples
//                       [T, M, K] (Houlsby et al. 2011; Gal, Islam, Ghahramani 2017)
//  Diversity, on penultimate-layer embeddings e [M, D]:
//   - pick_top_n: the N most uncertain
//   - iterative_proximity_sampling (SpaceML Active-Labeler): in steps of 10, the first step the
//     10 most uncertain; afterwards c = mean embedding of everything picked so far,
//     d_i = ‖c − e_i‖ min-max scaled over the pool to [−0.3, 0.3], score u_i + d_i, next top 10
//   - clustering_sampling (Active-Labeler): FAISS k-means on e; cluster c contributes its
//     ceil(n_c / M · N) most uncertain; trimmed (least uncertain picks dropped) or filled (most
//     uncertain remaining) to exactly N
//   - coreset: k-center greedy (Sener & Savarese, ICLR 2018) from the labelled embeddings
//     (FAISS exact L2 for the distances); ignores uncertainty
//   - random_sampling: N uniformly at random; ignores uncertainty
//   - ranked_batch (modAL, Cardoso et al. 2017): α = |U| / (|U| + |L|), score
//     α·(1 − 1/(1 + dist to the nearest labelled-or-picked)) + (1 − α)·u, picked greedily
//   - badge (Ash et al., ICLR 2020): k-means++ seeding on gradient embeddings
//     g_i = (p_i − onehot(argmax p_i)) ⊗ e_i; ignores the uncertainty measure
//
// Everything is CPU, float32, row-major. Nothing here keeps state between calls. Torch-free.
// Errors (shape mismatch, missing MC samples, N larger than the pool) are returned, never thrown.

#include "base/enumnames.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace labelscope {

/// The pool of M unlabelled candidates as the strategies see it.
struct QueryPool {
    int64_t size = 0;                     ///< M
    int numClasses = 0;                   ///< K
    std::vector<float> probs;             ///< [M, K] softmax probabilities of the current model
    int mcSamples = 0;                    ///< T (0 = none)
    std::vector<float> mcProbs;           ///< [T, M, K] MC-dropout softmax samples (BALD)
    int embeddingDim = 0;                 ///< D (0 = no embeddings)
    std::vector<float> embeddings;        ///< [M, D] penultimate-layer features
    std::vector<float> labelledEmbeddings; ///< [L, D] features of the labelled set (core-set, ranked batch)
    int64_t labelledCount() const { return embeddingDim > 0 ? int64_t(labelledEmbeddings.size()) / embeddingDim : 0; }
};

/// Options shared by the selectors.
struct QueryOptions {
    uint64_t seed = 1;
    int clusters = 10;        ///< k for clustering_sampling (capped at N and M)
    int proximityStep = 10;   ///< picks per step of iterative_proximity_sampling
    double proximityRange = 0.3; ///< d_i is scaled to [−range, range]
};

/// A batch chosen from the pool: indices into the pool (distinct, in pick order) and the
/// uncertainty score of each.
struct QuerySelection {
    std::vector<int64_t> indices;
    std::vector<float> scores;
};

/// An uncertainty measure: one score per pool sample, higher = ask for it sooner.
class UncertaintyMeasure {
public:
    virtual ~UncertaintyMeasure() = default;
    virtual QString name() const = 0;
    /// True if it needs QueryPool::mcProbs.
    virtual bool needsMcSamples() const { return false; }
    /// Scores [M]; false with *error on bad input.
    virtual bool scores(const QueryPool &pool, const QueryOptions &options,
                        std::vector<float> *out, QString *error) const = 0;
};

/// A diversity selector: chooses exactly n distinct pool indices from the uncertainty scores
/// (and, for most, the embeddings). Returns false with *error on bad input or "cancelled".
class DiversitySelector {
public:
    virtual ~DiversitySelector() = default;
    virtual QString name() const = 0;
    virtual bool needsEmbeddings() const { return true; }
    virtual bool select(const QueryPool &pool, const std::vector<float> &uncertainty, int64_t n,
                        const QueryOptions &options, const std::atomic_bool &cancel,
                        std::vector<int64_t> *picked, QString *error) const = 0;
};

/// The uncertainty measures (query_strategy) and diversity selectors, with their one name table
/// each (the names of the Active-Labeler style YAML config).
enum class Uncertainty { LeastConfidence, Margin, Entropy, Random, Bald };
inline constexpr EnumName<Uncertainty> kUncertaintyNames[] = {
    {Uncertainty::LeastConfidence, "least_confidence"}, {Uncertainty::Margin, "margin_based"},
    {Uncertainty::Entropy, "entropy_based"}, {Uncertainty::Random, "random_sampling"}, {Uncertainty::Bald, "bald"}};
enum class Diversity { PickTopN, IterativeProximity, Clustering, Random, CoreSet, RankedBatch, Badge };
inline constexpr EnumName<Diversity> kDiversityNames[] = {
    {Diversity::PickTopN, "pick_top_n"}, {Diversity::IterativeProximity, "iterative_proximity_sampling"},
    {Diversity::Clustering, "clustering_sampling"}, {Diversity::Random, "random_sampling"},
    {Diversity::CoreSet, "coreset"}, {Diversity::RankedBatch, "ranked_batch"}, {Diversity::Badge, "badge"}};

inline QStringList uncertaintyNames() { return enumNames(kUncertaintyNames); }
inline QStringList diversityNames() { return enumNames(kDiversityNames); }

/// The measure / selector named NAME (a kUncertaintyNames / kDiversityNames name), or nullptr.
std::unique_ptr<UncertaintyMeasure> makeUncertaintyMeasure(const QString &name);
std::unique_ptr<DiversitySelector> makeDiversitySelector(const QString &name);

/// One uncertainty measure and one diversity selector.
class QueryStrategy {
public:
    QueryStrategy(std::unique_ptr<UncertaintyMeasure> uncertainty,
                  std::unique_ptr<DiversitySelector> diversity);
    /// From names; false with *error naming the unknown one (and the valid names).
    static bool create(const QString &uncertainty, const QString &diversity,
                       std::unique_ptr<QueryStrategy> *out, QString *error);

    const UncertaintyMeasure &uncertainty() const { return *m_uncertainty; }
    const DiversitySelector &diversity() const { return *m_diversity; }

    /// Chooses min(n, M) samples. False with *error on bad input or cancel ("cancelled").
    bool select(const QueryPool &pool, int64_t n, const QueryOptions &options,
                const std::atomic_bool &cancel, QuerySelection *out, QString *error) const;

private:
    std::unique_ptr<UncertaintyMeasure> m_uncertainty;
    std::unique_ptr<DiversitySelector> m_diversity;
};

/// Checks the shapes of a pool; empty when consistent, else what is wrong.
QString checkQueryPool(const QueryPool &pool);

} // namespace labelscope
