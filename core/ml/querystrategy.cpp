#include "jobs/job.h"
#include "querystrategy.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <faiss/utils/distances.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace labelscope {

namespace {

const QString kCancelled = QStringLiteral("cancelled");

// Indices of the n largest values (ties by lower index), in descending order of value.
std::vector<int64_t> topIndices(const std::vector<float> &v, int64_t n, const std::vector<char> *exclude = nullptr)
{
    std::vector<int64_t> idx;
    idx.reserve(v.size());
    for (int64_t i = 0; i < int64_t(v.size()); ++i)
        if (!exclude || !(*exclude)[i])
            idx.push_back(i);
    n = std::min<int64_t>(n, int64_t(idx.size()));
    auto greater = [&](int64_t a, int64_t b) { return v[a] > v[b] || (v[a] == v[b] && a < b); };
    std::partial_sort(idx.begin(), idx.begin() + n, idx.end(), greater);
    idx.resize(n);
    return idx;
}

// Squared L2 distances from one vector c to every pool row, ‖e_i‖² − 2 e_i·c + ‖c‖², with the
// matrix-vector product through LibTorch (OpenBLAS: vectorised, threaded). The greedy selectors
// (core-set, ranked batch, BADGE, iterative proximity) make one such pass per pick; FAISS's
// per-vector loop (fvec_L2sqr_ny, built without AVX in Debian) was 2-3x slower on a 57,000 x 128
// pool (tests/benchmarks/RESULTS.md, "Active learning").
class PoolDistances {
public:
    explicit PoolDistances(const QueryPool &pool) : m_d(pool.embeddingDim)
    {
        m_e = torch::from_blob(const_cast<float *>(pool.embeddings.data()), {pool.size, int64_t(m_d)});
        m_norms = m_e.pow(2).sum(1);
    }
    torch::Tensor to(const float *c) const
    {
        auto cv = torch::from_blob(const_cast<float *>(c), {int64_t(m_d)});
        return (m_norms - 2.0f * torch::mv(m_e, cv) + cv.dot(cv)).clamp_min_(0.0f);
    }
    torch::Tensor toRow(int64_t row) const { return to(m_e[row].data_ptr<float>()); }

private:
    int m_d;
    torch::Tensor m_e, m_norms;
};

// ---- uncertainty measures -------------------------------------------------------------------

class LeastConfidence final : public UncertaintyMeasure {
public:
    QString name() const override { return QStringLiteral("least_confidence"); }
    bool scores(const QueryPool &pool, const QueryOptions &, std::vector<float> *out, QString *) const override
    {
        const int k = pool.numClasses;
        out->resize(pool.size);
        for (int64_t i = 0; i < pool.size; ++i) {
            const float *p = pool.probs.data() + i * k;
            (*out)[i] = 1.0f - *std::max_element(p, p + k);
        }
        return true;
    }
};

class Margin final : public UncertaintyMeasure {
public:
    QString name() const override { return QStringLiteral("margin_based"); }
    bool scores(const QueryPool &pool, const QueryOptions &, std::vector<float> *out, QString *) const override
    {
        const int k = pool.numClasses;
        out->resize(pool.size);
        for (int64_t i = 0; i < pool.size; ++i) {
            const float *p = pool.probs.data() + i * k;
            float first = -1.f, second = -1.f;
            for (int c = 0; c < k; ++c) {
                if (p[c] > first) {
                    second = first;
                    first = p[c];
                } else if (p[c] > second) {
                    second = p[c];
                }
            }
            (*out)[i] = 1.0f - (first - second);
        }
        return true;
    }
};

double entropyOf(const float *p, int k)
{
    double h = 0.0;
    for (int c = 0; c < k; ++c)
        if (p[c] > 0.f)
            h -= double(p[c]) * std::log(double(p[c]));
    return h;
}

class Entropy final : public UncertaintyMeasure {
public:
    QString name() const override { return QStringLiteral("entropy_based"); }
    bool scores(const QueryPool &pool, const QueryOptions &, std::vector<float> *out, QString *) const override
    {
        out->resize(pool.size);
        for (int64_t i = 0; i < pool.size; ++i)
            (*out)[i] = float(entropyOf(pool.probs.data() + i * pool.numClasses, pool.numClasses));
        return true;
    }
};

class RandomScores final : public UncertaintyMeasure {
public:
    QString name() const override { return QStringLiteral("random_sampling"); }
    bool scores(const QueryPool &pool, const QueryOptions &options, std::vector<float> *out, QString *) const override
    {
        std::mt19937_64 rng(options.seed * 0x9E3779B97F4A7C15ULL + 17);
        std::uniform_real_distribution<float> uniform(0.f, 1.f);
        out->resize(pool.size);
        for (auto &s : *out)
            s = uniform(rng);
        return true;
    }
};

class Bald final : public UncertaintyMeasure {
public:
    QString name() const override { return QStringLiteral("bald"); }
    bool needsMcSamples() const override { return true; }
    bool scores(const QueryPool &pool, const QueryOptions &, std::vector<float> *out, QString *error) const override
    {
        const int t = pool.mcSamples, k = pool.numClasses;
        if (t < 2) {
            *error = QStringLiteral("bald needs at least 2 MC-dropout samples, got %1").arg(t);
            return false;
        }
        out->resize(pool.size);
        std::vector<float> mean(k);
        for (int64_t i = 0; i < pool.size; ++i) {
            std::fill(mean.begin(), mean.end(), 0.f);
            double expectedEntropy = 0.0;
            for (int s = 0; s < t; ++s) {
                const float *p = pool.mcProbs.data() + (int64_t(s) * pool.size + i) * k;
                for (int c = 0; c < k; ++c)
                    mean[c] += p[c] / float(t);
                expectedEntropy += entropyOf(p, k) / t;
            }
            (*out)[i] = float(std::max(0.0, entropyOf(mean.data(), k) - expectedEntropy));
        }
        return true;
    }
};

// ---- diversity selectors --------------------------------------------------------------------

class PickTopN final : public DiversitySelector {
public:
    QString name() const override { return QStringLiteral("pick_top_n"); }
    bool needsEmbeddings() const override { return false; }
    bool select(const QueryPool &, const std::vector<float> &u, int64_t n, const QueryOptions &,
                const std::atomic_bool &, std::vector<int64_t> *picked, QString *) const override
    {
        *picked = topIndices(u, n);
        return true;
    }
};

class RandomSelection final : public DiversitySelector {
public:
    QString name() const override { return QStringLiteral("random_sampling"); }
    bool needsEmbeddings() const override { return false; }
    bool select(const QueryPool &pool, const std::vector<float> &, int64_t n, const QueryOptions &options,
                const std::atomic_bool &, std::vector<int64_t> *picked, QString *) const override
    {
        std::vector<int64_t> idx(pool.size);
        std::iota(idx.begin(), idx.end(), 0);
        std::mt19937_64 rng(options.seed * 0xBF58476D1CE4E5B9ULL + 3);
        // Partial Fisher-Yates: the first n are a uniform sample.
        for (int64_t i = 0; i < n; ++i) {
            std::uniform_int_distribution<int64_t> pick(i, pool.size - 1);
            std::swap(idx[i], idx[pick(rng)]);
        }
        idx.resize(n);
        *picked = std::move(idx);
        return true;
    }
};

// Active-Labeler's iterative proximity rule (spaceml-org/Active-Labeler, diversity sampling).
class IterativeProximity final : public DiversitySelector {
public:
    QString name() const override { return QStringLiteral("iterative_proximity_sampling"); }
    bool select(const QueryPool &pool, const std::vector<float> &u, int64_t n, const QueryOptions &options,
                const std::atomic_bool &cancel, std::vector<int64_t> *picked, QString *) const override
    {
        const int d = pool.embeddingDim;
        const int64_t m = pool.size;
        const int64_t step = std::max(1, options.proximityStep);
        std::vector<char> taken(m, 0);
        picked->clear();
        std::vector<double> sum(d, 0.0);
        std::vector<float> centre(d), dist(m), score(m);
        const PoolDistances distances(pool);
        while (int64_t(picked->size()) < n) {
            if (cancel.load())
                return false;
            std::vector<int64_t> next;
            const int64_t want = std::min(step, n - int64_t(picked->size()));
            if (picked->empty()) {
                next = topIndices(u, want);
            } else {
                for (int j = 0; j < d; ++j)
                    centre[j] = float(sum[j] / double(picked->size()));
                const auto dt = distances.to(centre.data()).contiguous();
                std::copy(dt.data_ptr<float>(), dt.data_ptr<float>() + m, dist.begin());
                float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
                for (int64_t i = 0; i < m; ++i) {
                    dist[i] = std::sqrt(dist[i]);
                    lo = std::min(lo, dist[i]);
                    hi = std::max(hi, dist[i]);
                }
                const double range = options.proximityRange;
                for (int64_t i = 0; i < m; ++i) {
                    const double scaled = hi > lo ? (dist[i] - lo) / (hi - lo) : 0.5;
                    score[i] = u[i] + float(-range + 2.0 * range * scaled);
                }
                next = topIndices(score, want, &taken);
            }
            for (int64_t i : next) {
                taken[i] = 1;
                picked->push_back(i);
                const float *e = pool.embeddings.data() + i * d;
                for (int j = 0; j < d; ++j)
                    sum[j] += e[j];
            }
        }
        return true;
    }
};

class Clustering final : public DiversitySelector {
public:
    QString name() const override { return QStringLiteral("clustering_sampling"); }
    bool select(const QueryPool &pool, const std::vector<float> &u, int64_t n, const QueryOptions &options,
                const std::atomic_bool &cancel, std::vector<int64_t> *picked, QString *error) const override
    {
        const int d = pool.embeddingDim;
        const int64_t m = pool.size;
        const int64_t k = std::max<int64_t>(1, std::min<int64_t>({int64_t(options.clusters), n, m}));
        std::vector<int64_t> assign(m, 0);
        if (k > 1) {
            faiss::ClusteringParameters cp;
            cp.niter = 20;
            cp.seed = int(options.seed & 0x7fffffff);
            cp.verbose = false;
            cp.min_points_per_centroid = 1; // small pools are fine; no FAISS warning
            faiss::Clustering clustering(d, size_t(k), cp);
            faiss::IndexFlatL2 index(d);
            clustering.train(m, pool.embeddings.data(), index);
            if (cancel.load())
                return false;
            std::vector<float> dist(m);
            index.search(m, pool.embeddings.data(), 1, dist.data(), assign.data());
        }
        // Each cluster's members, most uncertain first.
        std::vector<std::vector<int64_t>> members(k);
        for (int64_t i = 0; i < m; ++i)
            members[assign[i]].push_back(i);
        auto moreUncertain = [&](int64_t a, int64_t b) { return u[a] > u[b] || (u[a] == u[b] && a < b); };
        std::vector<int64_t> chosen;
        std::vector<char> taken(m, 0);
        for (auto &c : members) {
            std::sort(c.begin(), c.end(), moreUncertain);
            const auto quota = int64_t(std::ceil(double(c.size()) / double(m) * double(n) - 1e-9));
            for (int64_t j = 0; j < std::min<int64_t>(quota, int64_t(c.size())); ++j) {
                chosen.push_back(c[j]);
                taken[c[j]] = 1;
            }
        }
        std::sort(chosen.begin(), chosen.end(), moreUncertain);
        if (int64_t(chosen.size()) > n) {
            chosen.resize(n); // the ceilings overshoot: drop the least uncertain picks
        } else if (int64_t(chosen.size()) < n) {
            for (int64_t i : topIndices(u, n - int64_t(chosen.size()), &taken))
                chosen.push_back(i);
        }
        *picked = std::move(chosen);
        (void)error;
        return true;
    }
};

// Minimum squared L2 distance of every pool row to a set of centres: ‖x‖² + ‖c‖² − 2 x·cᵀ in
// blocks of pool rows, one OpenBLAS sgemm each (LibTorch addmm). FAISS's exact IndexFlatL2 does
// the same products but its OpenMP loops spin against OpenBLAS's threads (see tsne.cpp); this was
// 1.8x faster for 57,000 x 2,500 x 128 (tests/benchmarks/RESULTS.md, "Active learning").
void nearestDistances(const QueryPool &pool, const float *centres, int64_t count, std::vector<float> *minDist)
{
    const int64_t d = pool.embeddingDim;
    minDist->assign(pool.size, std::numeric_limits<float>::max());
    if (count == 0 || pool.size == 0)
        return;
    torch::NoGradGuard noGrad;
    const auto c = torch::from_blob(const_cast<float *>(centres), {count, d});
    const auto cNorms = c.pow(2).sum(1).unsqueeze(0); // [1, count]
    const auto x = torch::from_blob(const_cast<float *>(pool.embeddings.data()), {pool.size, d});
    auto out = torch::from_blob(minDist->data(), {pool.size});
    const int64_t block = std::max<int64_t>(256, (int64_t(1) << 24) / std::max<int64_t>(count, 1));
    for (int64_t start = 0; start < pool.size; start += block) {
        const auto xb = x.narrow(0, start, std::min(block, pool.size - start));
        const auto dist = torch::addmm(cNorms, xb, c.t(), /*beta=*/1.0, /*alpha=*/-2.0).add_(xb.pow(2).sum(1, true));
        out.narrow(0, start, xb.size(0)).copy_(std::get<0>(dist.min(1)).clamp_min_(0.0f));
    }
}

void updateDistances(const PoolDistances &distances, int64_t centre, std::vector<float> *minDist)
{
    auto md = torch::from_blob(minDist->data(), {int64_t(minDist->size())});
    md.copy_(torch::minimum(md, distances.toRow(centre)));
}

class CoreSet final : public DiversitySelector {
public:
    QString name() const override { return QStringLiteral("coreset"); }
    bool select(const QueryPool &pool, const std::vector<float> &u, int64_t n, const QueryOptions &,
                const std::atomic_bool &cancel, std::vector<int64_t> *picked, QString *) const override
    {
        std::vector<float> minDist;
        const PoolDistances distances(pool);
        nearestDistances(pool, pool.labelledEmbeddings.data(), pool.labelledCount(), &minDist);
        picked->clear();
        std::vector<char> taken(pool.size, 0);
        for (int64_t j = 0; j < n; ++j) {
            if (cancel.load())
                return false;
            int64_t best = -1;
            if (pool.labelledCount() == 0 && j == 0) {
                best = topIndices(u, 1).front(); // no centre yet: start from the most uncertain
            } else {
                float bestDist = -1.f;
                for (int64_t i = 0; i < pool.size; ++i)
                    if (!taken[i] && minDist[i] > bestDist) {
                        bestDist = minDist[i];
                        best = i;
                    }
            }
            taken[best] = 1;
            picked->push_back(best);
            updateDistances(distances, best, &minDist);
        }
        return true;
    }
};

// modAL's ranked batch (modAL.batch.ranked_batch / select_instance), Euclidean metric.
class RankedBatch final : public DiversitySelector {
public:
    QString name() const override { return QStringLiteral("ranked_batch"); }
    bool select(const QueryPool &pool, const std::vector<float> &u, int64_t n, const QueryOptions &,
                const std::atomic_bool &cancel, std::vector<int64_t> *picked, QString *) const override
    {
        std::vector<float> minDist;
        const PoolDistances distances(pool);
        int64_t labelled = pool.labelledCount();
        nearestDistances(pool, pool.labelledEmbeddings.data(), labelled, &minDist);
        picked->clear();
        std::vector<char> taken(pool.size, 0);
        for (int64_t j = 0; j < n; ++j) {
            if (cancel.load())
                return false;
            int64_t best = -1;
            if (labelled == 0) {
                best = topIndices(u, 1, &taken).front(); // modAL: the most uncertain when nothing is labelled
            } else {
                const int64_t unlabelled = pool.size - j;
                const double alpha = double(unlabelled) / double(unlabelled + labelled);
                double bestScore = -std::numeric_limits<double>::max();
                for (int64_t i = 0; i < pool.size; ++i) {
                    if (taken[i])
                        continue;
                    const double similarity = 1.0 / (1.0 + std::sqrt(double(minDist[i])));
                    const double s = alpha * (1.0 - similarity) + (1.0 - alpha) * double(u[i]);
                    if (s > bestScore) {
                        bestScore = s;
                        best = i;
                    }
                }
            }
            taken[best] = 1;
            picked->push_back(best);
            ++labelled;
            updateDistances(distances, best, &minDist);
        }
        return true;
    }
};

// BADGE: k-means++ seeding on gradient embeddings g_i = a_i ⊗ e_i with a_i = p_i − onehot(ŷ_i).
// Own code: ‖g_i − g_j‖² = ‖a_i‖²‖e_i‖² + ‖a_j‖²‖e_j‖² − 2⟨a_i,a_j⟩⟨e_i,e_j⟩, so the K·D
// gradient embeddings are never materialised (one centre update costs O(M·(K + D))).
class Badge final : public DiversitySelector {
public:
    QString name() const override { return QStringLiteral("badge"); }
    bool select(const QueryPool &pool, const std::vector<float> &, int64_t n, const QueryOptions &options,
                const std::atomic_bool &cancel, std::vector<int64_t> *picked, QString *) const override
    {
        const int64_t m = pool.size;
        const int k = pool.numClasses, d = pool.embeddingDim;
        // a_i = p_i − onehot(argmax p_i) [M, K]; e_i [M, D]; ‖g_i‖² = ‖a_i‖² ‖e_i‖².
        auto p = torch::from_blob(const_cast<float *>(pool.probs.data()), {m, int64_t(k)});
        auto a = p.clone();
        a.scatter_add_(1, p.argmax(1, true), torch::full({m, 1}, -1.0f));
        auto e = torch::from_blob(const_cast<float *>(pool.embeddings.data()), {m, int64_t(d)});
        const auto norm2 = (a.pow(2).sum(1) * e.pow(2).sum(1)).contiguous();
        auto minDist = torch::full({m}, std::numeric_limits<float>::max());
        std::vector<char> taken(m, 0);
        std::mt19937_64 rng(options.seed * 0x94D049BB133111EBULL + 5);
        picked->clear();
        auto addCentre = [&](int64_t c) {
            taken[c] = 1;
            picked->push_back(c);
            auto dist = (norm2 + norm2[c] - 2.0f * torch::mv(a, a[c]) * torch::mv(e, e[c])).clamp_min_(0.0f);
            minDist = torch::minimum(minDist, dist);
        };
        // The reference implementation starts from the largest gradient norm.
        addCentre(norm2.argmax().item<int64_t>());
        while (int64_t(picked->size()) < n) {
            if (cancel.load())
                return false;
            const auto md = minDist.contiguous();
            const float *w = md.data_ptr<float>();
            double total = 0.0;
            for (int64_t i = 0; i < m; ++i)
                if (!taken[i])
                    total += w[i];
            int64_t next = -1;
            if (total > 0.0) {
                std::uniform_real_distribution<double> uniform(0.0, total);
                double r = uniform(rng);
                for (int64_t i = 0; i < m; ++i) {
                    if (taken[i] || w[i] <= 0.0f)
                        continue;
                    next = i;
                    r -= w[i];
                    if (r <= 0.0)
                        break;
                }
            }
            if (next < 0) { // every remaining point coincides with a centre: take any
                for (int64_t i = 0; i < m && next < 0; ++i)
                    if (!taken[i])
                        next = i;
            }
            addCentre(next);
        }
        return true;
    }
};

} // namespace

std::unique_ptr<UncertaintyMeasure> makeUncertaintyMeasure(const QString &name)
{
    const std::optional<Uncertainty> kind = enumFromName(kUncertaintyNames, name);
    if (!kind)
        return nullptr;
    switch (*kind) {
    case Uncertainty::LeastConfidence: return std::make_unique<LeastConfidence>();
    case Uncertainty::Margin: return std::make_unique<Margin>();
    case Uncertainty::Entropy: return std::make_unique<Entropy>();
    case Uncertainty::Random: return std::make_unique<RandomScores>();
    case Uncertainty::Bald: return std::make_unique<Bald>();
    }
    return nullptr;
}

std::unique_ptr<DiversitySelector> makeDiversitySelector(const QString &name)
{
    const std::optional<Diversity> kind = enumFromName(kDiversityNames, name);
    if (!kind)
        return nullptr;
    switch (*kind) {
    case Diversity::PickTopN: return std::make_unique<PickTopN>();
    case Diversity::IterativeProximity: return std::make_unique<IterativeProximity>();
    case Diversity::Clustering: return std::make_unique<Clustering>();
    case Diversity::Random: return std::make_unique<RandomSelection>();
    case Diversity::CoreSet: return std::make_unique<CoreSet>();
    case Diversity::RankedBatch: return std::make_unique<RankedBatch>();
    case Diversity::Badge: return std::make_unique<Badge>();
    }
    return nullptr;
}

QString checkQueryPool(const QueryPool &pool)
{
    if (pool.size < 0 || pool.numClasses < 1)
        return QStringLiteral("pool of %1 samples with %2 classes").arg(pool.size).arg(pool.numClasses);
    const auto m = std::size_t(pool.size), k = std::size_t(pool.numClasses);
    if (pool.probs.size() != m * k)
        return QStringLiteral("probs hold %1 values, expected [%2, %3]").arg(pool.probs.size()).arg(m).arg(k);
    if (pool.mcSamples < 0 || pool.mcProbs.size() != std::size_t(pool.mcSamples) * m * k)
        return QStringLiteral("MC samples hold %1 values, expected [%2, %3, %4]")
            .arg(pool.mcProbs.size()).arg(pool.mcSamples).arg(m).arg(k);
    if (pool.embeddingDim < 0)
        return QStringLiteral("embedding dimension %1").arg(pool.embeddingDim);
    if (pool.embeddingDim > 0) {
        const auto d = std::size_t(pool.embeddingDim);
        if (pool.embeddings.size() != m * d)
            return QStringLiteral("embeddings hold %1 values, expected [%2, %3]").arg(pool.embeddings.size()).arg(m).arg(d);
        if (pool.labelledEmbeddings.size() % d != 0)
            return QStringLiteral("labelled embeddings hold %1 values, not a multiple of %2")
                .arg(pool.labelledEmbeddings.size()).arg(d);
    } else if (!pool.embeddings.empty() || !pool.labelledEmbeddings.empty()) {
        return QStringLiteral("embeddings given with dimension 0");
    }
    return QString();
}

QueryStrategy::QueryStrategy(std::unique_ptr<UncertaintyMeasure> uncertainty,
                             std::unique_ptr<DiversitySelector> diversity)
    : m_uncertainty(std::move(uncertainty)), m_diversity(std::move(diversity))
{
}

bool QueryStrategy::create(const QString &uncertainty, const QString &diversity,
                           std::unique_ptr<QueryStrategy> *out, QString *error)
{
    auto u = makeUncertaintyMeasure(uncertainty);
    if (!u) {
        *error = unknownNameError(kUncertaintyNames, QStringLiteral("strategy"), uncertainty);
        return false;
    }
    auto d = makeDiversitySelector(diversity);
    if (!d) {
        *error = unknownNameError(kDiversityNames, QStringLiteral("diversity_sampling"), diversity);
        return false;
    }
    *out = std::make_unique<QueryStrategy>(std::move(u), std::move(d));
    return true;
}

bool QueryStrategy::select(const QueryPool &pool, int64_t n, const QueryOptions &options,
                           const std::atomic_bool &cancel, QuerySelection *out, QString *error) const
{
    const QString problem = checkQueryPool(pool);
    if (!problem.isEmpty()) {
        *error = problem;
        return false;
    }
    if (n < 0) {
        *error = QStringLiteral("batch size %1").arg(n);
        return false;
    }
    if (m_diversity->needsEmbeddings() && pool.embeddingDim == 0 && pool.size > 0) {
        *error = QStringLiteral("%1 needs embeddings of the pool").arg(m_diversity->name());
        return false;
    }
    if (m_uncertainty->needsMcSamples() && pool.mcSamples == 0 && pool.size > 0) {
        *error = QStringLiteral("%1 needs MC-dropout samples of the pool").arg(m_uncertainty->name());
        return false;
    }
    n = std::min(n, pool.size);
    out->indices.clear();
    out->scores.clear();
    if (n == 0)
        return true;
    std::vector<float> u;
    if (!m_uncertainty->scores(pool, options, &u, error))
        return false;
    if (cancel.load()) {
        *error = kCancelled;
        return false;
    }
    try {
        if (!m_diversity->select(pool, u, n, options, cancel, &out->indices, error)) {
            if (error->isEmpty())
                *error = kCancelled;
            return false;
        }
    } catch (...) { // FAISS throws FaissException
        *error = QStringLiteral("%1: %2").arg(m_diversity->name(), exceptionMessage(std::current_exception()));
        return false;
    }
    out->scores.reserve(out->indices.size());
    for (int64_t i : out->indices)
        out->scores.push_back(u[i]);
    return true;
}

} // namespace labelscope
