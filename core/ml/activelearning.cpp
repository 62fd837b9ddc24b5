#include "jobs/job.h"
#include "activelearning.h"

#include "allearner.h"
#include "oracle.h"
#include "querystrategy.h"
#include "base/projectstore.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <random>

namespace labelscope {

namespace {

const QString kCancelled = QStringLiteral("cancelled");

bool fail(QString *error, const QString &message)
{
    *error = message;
    return false;
}

std::vector<float> toVector(const torch::Tensor &t)
{
    auto c = t.to(torch::kFloat32).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

double accuracy(const torch::Tensor &probs, const torch::Tensor &labels)
{
    return probs.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
}

// Cold start: `n` of the learner's `items` chosen without labels, as indices into items.
bool coldStart(const AlConfig &config, AlLearner &learner, const std::vector<int64_t> &items, int numClasses, int64_t n,
               quint64 seed, const std::atomic_bool &cancel, std::vector<int64_t> *picks, QString *error)
{
    const int64_t m = int64_t(items.size());
    n = std::min(n, m);
    picks->clear();
    if (n <= 0)
        return true;
    QueryPool pool;
    pool.size = m;
    pool.numClasses = 1;
    pool.probs.assign(std::size_t(m), 1.0f);
    QueryOptions options;
    options.seed = seed;
    std::unique_ptr<QueryStrategy> strategy;
    if (config.coldStart == QLatin1String("random_sampling")) {
        QueryStrategy::create(QStringLiteral("random_sampling"), QStringLiteral("random_sampling"), &strategy, error);
    } else {
        torch::Tensor emb;
        if (!learner.coldStartEmbeddings(items, seed, cancel, &emb, error))
            return false;
        pool.embeddingDim = int(emb.size(1));
        pool.embeddings = toVector(emb);
        if (config.coldStart == QLatin1String("kmeans")) {
            // One FAISS k-means centroid per label; the pool sample nearest each centroid.
            const int d = pool.embeddingDim;
            faiss::ClusteringParameters cp;
            cp.niter = 15;
            cp.seed = int(seed & 0x7fffffff);
            cp.min_points_per_centroid = 1;
            faiss::Clustering clustering(d, size_t(n), cp);
            faiss::IndexFlatL2 index(d);
            try {
                clustering.train(m, pool.embeddings.data(), index);
            } catch (...) {
                return fail(error, QStringLiteral("cold-start k-means: %1").arg(exceptionMessage(std::current_exception())));
            }
            faiss::IndexFlatL2 points(d);
            points.add(m, pool.embeddings.data());
            const int64_t probe = 8;
            std::vector<float> dist(std::size_t(n * probe));
            std::vector<faiss::Index::idx_t> nearest(std::size_t(n * probe));
            points.search(n, clustering.centroids.data(), probe, dist.data(), nearest.data());
            std::vector<char> taken(std::size_t(m), 0);
            for (int64_t c = 0; c < n; ++c)
                for (int64_t j = 0; j < probe; ++j) {
                    const auto i = nearest[std::size_t(c * probe + j)];
                    if (i >= 0 && !taken[std::size_t(i)]) {
                        taken[std::size_t(i)] = 1;
                        picks->push_back(i);
                        break;
                    }
                }
            std::mt19937_64 rng(seed);
            while (int64_t(picks->size()) < n) { // centroids that shared their neighbours: random fill
                const int64_t i = std::uniform_int_distribution<int64_t>(0, m - 1)(rng);
                if (!taken[std::size_t(i)]) {
                    taken[std::size_t(i)] = 1;
                    picks->push_back(i);
                }
            }
            return true;
        }
        // stratified_random: random within k-means clusters, quota per cluster.
        options.clusters = std::max(config.clusters, 2 * numClasses);
        QueryStrategy::create(QStringLiteral("random_sampling"), QStringLiteral("clustering_sampling"), &strategy, error);
    }
    QuerySelection selection;
    if (!strategy->select(pool, n, options, cancel, &selection, error))
        return false;
    *picks = selection.indices;
    return true;
}

// Active-Labeler's preindex: the nearest unlabelled neighbours of the labelled samples, taken
// round-robin (1st neighbour of every labelled sample, then the 2nd, ...) until n are chosen.
std::vector<int64_t> preindexNeighbours(const QueryPool &pool, int64_t n)
{
    const int d = pool.embeddingDim;
    const int64_t l = pool.labelledCount();
    std::vector<int64_t> out;
    if (l == 0 || d == 0)
        return out;
    faiss::IndexFlatL2 index(d);
    index.add(pool.size, pool.embeddings.data());
    const int64_t k = std::min<int64_t>(pool.size, (n + l - 1) / l + 4);
    std::vector<float> dist(std::size_t(l * k));
    std::vector<faiss::Index::idx_t> nn(std::size_t(l * k));
    index.search(l, pool.labelledEmbeddings.data(), k, dist.data(), nn.data());
    std::vector<char> taken(std::size_t(pool.size), 0);
    for (int64_t j = 0; j < k && int64_t(out.size()) < n; ++j)
        for (int64_t a = 0; a < l && int64_t(out.size()) < n; ++a) {
            const auto i = nn[std::size_t(a * k + j)];
            if (i >= 0 && !taken[std::size_t(i)]) {
                taken[std::size_t(i)] = 1;
                out.push_back(i);
            }
        }
    return out;
}

} // namespace

QJsonObject AlCurve::toJson() const
{
    QJsonArray rs;
    for (const AlRoundRecord &r : rounds)
        rs.append(QJsonObject{{QStringLiteral("round"), r.round}, {QStringLiteral("labels"), double(r.labels)},
                              {QStringLiteral("test_accuracy"), r.testAccuracy},
                              {QStringLiteral("pseudo_labels"), double(r.pseudoLabels)},
                              {QStringLiteral("pseudo_label_accuracy"), r.pseudoLabelAccuracy},
                              {QStringLiteral("pool_scored"), double(r.poolScored)},
                              {QStringLiteral("train_seconds"), r.trainSeconds},
                              {QStringLiteral("score_seconds"), r.scoreSeconds},
                              {QStringLiteral("select_seconds"), r.selectSeconds}});
    return {{QStringLiteral("strategy"), strategy}, {QStringLiteral("diversity_sampling"), diversity},
            {QStringLiteral("seed"), double(seed)}, {QStringLiteral("rounds"), rs},
            {QStringLiteral("stop_reason"), stopReason}, {QStringLiteral("oracle_queries"), double(oracleQueries)},
            {QStringLiteral("seconds"), seconds}};
}

namespace {

// The simulation behind runAlSimulation(): *out holds the rounds done so far.
bool simulateRun(const Dataset &data, const AlConfig &config, quint64 seed, const QString &device,
                 const EmbeddingTable *table, const std::atomic_bool &cancel, const AlProgressCallback &progress,
                 AlCurve *out, QString *error)
{
    QElapsedTimer total;
    total.start();
    *out = AlCurve();
    out->strategy = config.strategy;
    out->diversity = config.diversity;
    out->seed = seed;
    std::unique_ptr<QueryStrategy> strategy;
    if (!QueryStrategy::create(config.strategy, config.diversity, &strategy, error))
        return false;
    const int k = config.numClasses > 0 ? config.numClasses : int(data.classes.size());
    if (k < 2)
        return fail(error, QStringLiteral("%1: %2 classes; active learning needs at least 2").arg(data.spec).arg(k));
    if (table && table->rows() != qint64(data.samples.size()))
        return fail(error, QStringLiteral("%1: %2 embeddings for %3 samples").arg(data.spec).arg(table->rows()).arg(data.samples.size()));

    // The pool (train split) with its true labels, which go into the oracle and nowhere else;
    // the test split for evaluation.
    std::vector<int64_t> poolImage, testImage;
    std::vector<int> truth;
    std::vector<int64_t> testLabels;
    for (std::size_t i = 0; i < data.samples.size(); ++i) {
        const Sample &s = data.samples[i];
        const int t = s.trueLabel >= 0 ? s.trueLabel : s.label;
        if (table && !table->ok[i])
            continue; // no embedding (its image could not be read)
        if (t >= k)
            return fail(error, QStringLiteral("%1: sample %2 has label %3, but there are %4 classes").arg(data.spec).arg(i).arg(t).arg(k));
        if (s.split == QLatin1String("test")) {
            if (t >= 0) {
                testImage.push_back(int64_t(i));
                testLabels.push_back(t);
            }
        } else if (t >= 0) {
            poolImage.push_back(int64_t(i));
            truth.push_back(t);
        }
    }
    if (poolImage.empty())
        return fail(error, QStringLiteral("%1: no labelled training samples to simulate with").arg(data.spec));
    Oracle oracle(std::move(truth));
    const int64_t m = int64_t(poolImage.size());
    const torch::Device dev = device == QLatin1String("cuda") ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    std::mt19937_64 rng(seed * 0x2545F4914F6CDD1DULL + 1);
    // The learner sees dataset rows; the loop below works with pool indices.
    Result<std::unique_ptr<AlLearner>> made = makeLearner(data, table, config, k, seed, dev);
    if (!made)
        return fail(error, made.error());
    const std::unique_ptr<AlLearner> learner = std::move(made).value();
    auto items = [&](const std::vector<int64_t> &poolIdx) {
        std::vector<int64_t> r(poolIdx.size());
        for (std::size_t j = 0; j < poolIdx.size(); ++j)
            r[j] = poolImage[std::size_t(poolIdx[j])];
        return r;
    };
    const torch::Tensor testY = torch::tensor(at::ArrayRef<int64_t>(testLabels), torch::kLong);

    const int rounds = config.iterations + 1;
    auto report = [&](int round, const QString &phase, double fraction, double lastAcc) {
        if (progress)
            progress(AlProgress{round, rounds, phase, fraction, oracle.queries(), lastAcc});
    };

    // Labelled set: pool indices and the labels the oracle revealed.
    std::vector<int64_t> labelled;
    std::vector<int64_t> labels;
    std::vector<char> isLabelled(std::size_t(m), 0);
    auto queryAll = [&](const std::vector<int64_t> &picks) {
        for (int64_t p : picks) {
            if (isLabelled[std::size_t(p)])
                continue;
            isLabelled[std::size_t(p)] = 1;
            labelled.push_back(p);
            labels.push_back(oracle.query(p));
        }
    };
    auto budgetLeft = [&]() {
        return config.budget > 0 ? std::max<int64_t>(0, config.budget - oracle.queries()) : std::numeric_limits<int64_t>::max();
    };

    report(0, QStringLiteral("cold start"), 0, -1);
    {
        std::vector<int64_t> picks;
        const int64_t n0 = std::min<int64_t>(std::max(1, config.initialLabelled), budgetLeft());
        if (!coldStart(config, *learner, poolImage, k, n0, seed, cancel, &picks, error))
            return false;
        queryAll(picks);
    }

    std::vector<int64_t> pseudoIdx, pseudoY;
    double best = -1;
    int sinceBest = 0;
    for (int round = 0;; ++round) {
        AlRoundRecord rec;
        rec.round = round;
        rec.labels = oracle.queries();
        QElapsedTimer timer;
        timer.start();
        // Train.
        const std::vector<int64_t> labelledItems = items(labelled);
        rec.pseudoLabels = int64_t(pseudoIdx.size());
        if (!pseudoIdx.empty()) {
            const std::vector<int> guesses(pseudoY.begin(), pseudoY.end());
            rec.pseudoLabelAccuracy = oracle.audit(pseudoIdx, guesses);
        }
        // The pool not yet labelled: FixMatch's unlabelled images (the learner keeps them only
        // with train.consistency_weight > 0) and, below, the candidates to score.
        std::vector<int64_t> unlabelled;
        for (int64_t i = 0; i < m; ++i)
            if (!isLabelled[std::size_t(i)])
                unlabelled.push_back(i);
        learner->setUnlabelled(items(unlabelled));
        if (!learner->train(labelledItems, labels, items(pseudoIdx), pseudoY, seed * 1000 + quint64(round), cancel,
                            [&](double f) { report(round, QStringLiteral("training"), f, best); }, error))
            return false;
        rec.trainSeconds = timer.elapsed() / 1000.0;
        // Evaluate.
        if (!testImage.empty()) {
            report(round, QStringLiteral("evaluating"), 0, best);
            torch::Tensor probs;
            if (!learner->predict(testImage, 0, cancel, &probs, nullptr, nullptr, error))
                return false;
            rec.testAccuracy = accuracy(probs, testY);
        }
        // Stop?
        const bool improved = rec.testAccuracy > best + config.plateauDelta;
        if (rec.testAccuracy > best)
            best = rec.testAccuracy;
        sinceBest = improved ? 0 : sinceBest + 1;
        QString stop;
        if (config.targetAccuracy > 0 && rec.testAccuracy >= config.targetAccuracy)
            stop = QStringLiteral("target accuracy");
        else if (config.budget > 0 && budgetLeft() == 0)
            stop = QStringLiteral("budget");
        else if (round >= config.iterations)
            stop = QStringLiteral("iterations");
        else if (config.plateauRounds > 0 && round > 0 && sinceBest >= config.plateauRounds)
            stop = QStringLiteral("plateau");
        else if (int64_t(labelled.size()) >= m)
            stop = QStringLiteral("pool exhausted");
        if (!stop.isEmpty()) {
            out->rounds.push_back(rec);
            out->stopReason = stop;
            break;
        }

        // Score a random `limit` subset of the unlabelled pool.
        timer.restart();
        report(round, QStringLiteral("scoring"), 0, best);
        std::vector<int64_t> candidates = std::move(unlabelled);
        if (config.limit > 0 && int64_t(candidates.size()) > config.limit) {
            for (int64_t i = 0; i < config.limit; ++i)
                std::swap(candidates[std::size_t(i)],
                          candidates[std::size_t(std::uniform_int_distribution<int64_t>(i, int64_t(candidates.size()) - 1)(rng))]);
            candidates.resize(std::size_t(config.limit));
        }
        QueryPool pool;
        pool.size = int64_t(candidates.size());
        pool.numClasses = k;
        {
            torch::Tensor probs, emb, mc, lemb;
            const int t = strategy->uncertainty().needsMcSamples() ? config.mcSamples : 0;
            if (!learner->predict(items(candidates), t, cancel, &probs, &emb, t > 1 ? &mc : nullptr, error))
                return false;
            if (!learner->predict(labelledItems, 0, cancel, nullptr, &lemb, nullptr, error))
                return false;
            pool.probs = toVector(probs);
            pool.embeddingDim = int(emb.size(1));
            pool.embeddings = toVector(emb);
            pool.labelledEmbeddings = toVector(lemb);
            if (t > 1) {
                pool.mcSamples = t;
                pool.mcProbs = toVector(mc);
            }
        }
        rec.poolScored = pool.size;
        rec.scoreSeconds = timer.elapsed() / 1000.0;

        // Select and query.
        timer.restart();
        report(round, QStringLiteral("selecting"), 0, best);
        const int64_t n = std::min<int64_t>(config.numLabelled, budgetLeft());
        std::vector<int64_t> chosen;
        if (config.preindex && round == 0) {
            chosen = preindexNeighbours(pool, n);
        } else {
            QueryOptions options;
            options.seed = seed * 7919 + quint64(round);
            options.clusters = config.clusters;
            QuerySelection selection;
            if (!strategy->select(pool, n, options, cancel, &selection, error))
                return false;
            chosen = selection.indices;
        }
        rec.selectSeconds = timer.elapsed() / 1000.0;
        std::vector<int64_t> picks;
        std::vector<char> picked(std::size_t(pool.size), 0);
        for (int64_t c : chosen) {
            picks.push_back(candidates[std::size_t(c)]);
            picked[std::size_t(c)] = 1;
        }
        queryAll(picks);

        // Pseudo-labels for the next round: confident predictions on the scored (or the whole)
        // still unlabelled pool.
        pseudoIdx.clear();
        pseudoY.clear();
        if (config.pseudoLabelThreshold > 0) {
            std::vector<int64_t> rows;    // pool indices of the pseudo-label candidates
            std::vector<float> rowProbs;  // [rows, K]
            if (config.pseudoLabelScope == QLatin1String("pool") && int64_t(candidates.size()) + int64_t(labelled.size()) < m) {
                for (int64_t i = 0; i < m; ++i)
                    if (!isLabelled[std::size_t(i)])
                        rows.push_back(i);
                torch::Tensor probs;
                if (!learner->predict(items(rows), 0, cancel, &probs, nullptr, nullptr, error))
                    return false;
                rowProbs = toVector(probs);
            } else {
                for (int64_t i = 0; i < pool.size; ++i)
                    if (!picked[std::size_t(i)]) {
                        rows.push_back(candidates[std::size_t(i)]);
                        rowProbs.insert(rowProbs.end(), pool.probs.begin() + i * k, pool.probs.begin() + (i + 1) * k);
                    }
            }
            std::vector<std::pair<float, int64_t>> confident; // (confidence, row)
            for (int64_t r = 0; r < int64_t(rows.size()); ++r) {
                const float *p = rowProbs.data() + r * k;
                const float top = *std::max_element(p, p + k);
                if (top >= config.pseudoLabelThreshold)
                    confident.push_back({top, r});
            }
            std::sort(confident.begin(), confident.end(), std::greater<>());
            if (config.pseudoLabelMax > 0 && int64_t(confident.size()) > config.pseudoLabelMax)
                confident.resize(std::size_t(config.pseudoLabelMax));
            for (const auto &[conf, r] : confident) {
                const float *p = rowProbs.data() + r * k;
                pseudoIdx.push_back(rows[std::size_t(r)]);
                pseudoY.push_back(std::max_element(p, p + k) - p);
            }
        }
        out->rounds.push_back(rec);
    }
    out->oracleQueries = oracle.queries();
    out->seconds = total.elapsed() / 1000.0;
    return true;
}

// The round behind runAlProjectRound().
bool projectRound(const QString &projectFile, const AlConfig &config, const QString &device, const EmbeddingTable *table,
                  const std::atomic_bool &cancel, const AlProgressCallback &progress, AlProjectRound *out, QString *error)
{
    const QDateTime started = QDateTime::currentDateTimeUtc();
    *out = AlProjectRound();
    std::unique_ptr<QueryStrategy> strategy;
    if (!QueryStrategy::create(config.strategy, config.diversity, &strategy, error))
        return false;
    ProjectStore store;
    if (!store.openExisting(projectFile, error))
        return false;
    if (store.sampleCount() == 0 && !store.lastError().isEmpty())
        return fail(error, store.lastError()); // a damaged project, not an empty one
    if (store.sampleCount() == 0)
        return fail(error, QStringLiteral("%1: the project has no samples (create it with 'labelscope analyze --data SPEC --project FILE')").arg(projectFile));
    // The learner's items: the dataset's images (CNN), or the rows of the backbone's embeddings.
    QHash<QString, int64_t> imageOf; // CNN: sampleKey → dataset row
    QHash<qint64, int64_t> rowOf;    // head: sample id → embedding row (those with an embedding)
    LoadResult loaded;
    if (table) {
        for (std::size_t i = 0; i < table->sampleIds.size(); ++i)
            if (table->ok[i])
                rowOf.insert(table->sampleIds[i], int64_t(i));
    } else {
        const QString spec = store.meta(QStringLiteral("data_spec"));
        LoadOptions options = store.importLoadOptions();
        options.progress = [&](qint64, qint64) { return !cancel.load(); };
        if (progress)
            progress(AlProgress{0, 1, QStringLiteral("loading"), 0, 0, -1});
        loaded = loadDataset(spec, options);
        if (!loaded.ok())
            return fail(error, loaded.error);
        for (std::size_t i = 0; i < loaded.dataset.samples.size(); ++i)
            imageOf.insert(sampleKey(loaded.dataset.samples[i]), int64_t(i));
    }
    const QStringList classes = store.classes();
    const int k = int(classes.size());
    if (k < 2)
        return fail(error, QStringLiteral("%1: %2 classes; active learning needs at least 2").arg(projectFile).arg(k));

    // Samples already waiting in an earlier round's queue and still unlabelled are not asked again.
    QSet<qint64> waiting;
    for (const AlRoundInfo &r : store.alRounds())
        for (const AlQueueItem &q : store.alQueue(r.id))
            waiting.insert(q.sampleId);
    std::vector<int64_t> trainImage, poolImage, testImage;
    std::vector<int64_t> trainY, testY;
    std::vector<qint64> poolIds;
    for (const SampleRow &row : store.samples()) {
        const int64_t item = table ? rowOf.value(row.id, -1) : imageOf.value(sampleKey(row.sample), -1);
        if (item < 0 || row.excluded)
            continue;
        if (row.sample.split == QLatin1String("test")) {
            if (row.label >= 0) {
                testImage.push_back(item);
                testY.push_back(row.label);
            }
        } else if (row.label >= 0) {
            trainImage.push_back(item);
            trainY.push_back(row.label);
        } else if (!waiting.contains(row.id)) {
            poolImage.push_back(item);
            poolIds.push_back(row.id);
        }
    }
    out->labelled = int64_t(trainImage.size());
    out->pool = int64_t(poolImage.size());
    if (poolImage.empty())
        return fail(error, QStringLiteral("%1: no unlabelled samples left to queue").arg(projectFile));
    const torch::Device dev = device == QLatin1String("cuda") ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    Result<std::unique_ptr<AlLearner>> made = makeLearner(loaded.dataset, table, config, k, config.seed, dev);
    if (!made)
        return fail(error, made.error());
    const std::unique_ptr<AlLearner> learner = std::move(made).value();
    const int64_t n = std::min<int64_t>(config.numLabelled, int64_t(poolImage.size()));
    std::vector<int64_t> chosen;
    std::vector<float> scores;
    std::vector<qint64> scoredIds;    // pool samples scored this round (the `limit` subset)
    std::vector<float> scoredUncertainty;
    try {
        if (trainImage.size() < 2) {
            // Nothing to learn from yet: a cold-start batch.
            if (!coldStart(config, *learner, poolImage, k, n, config.seed, cancel, &chosen, error))
                return false;
            scores.assign(chosen.size(), 0.f);
        } else {
            learner->setUnlabelled(poolImage);
            if (!learner->train(trainImage, trainY, {}, {}, config.seed, cancel,
                                [&](double f) { if (progress) progress(AlProgress{0, 1, QStringLiteral("training"), f, out->labelled, -1}); },
                                error))
                return false;
            if (!testImage.empty()) {
                torch::Tensor probs;
                if (!learner->predict(testImage, 0, cancel, &probs, nullptr, nullptr, error))
                    return false;
                out->validationAccuracy = accuracy(probs, torch::tensor(at::ArrayRef<int64_t>(testY), torch::kLong));
            }
            if (progress)
                progress(AlProgress{0, 1, QStringLiteral("scoring"), 0, out->labelled, out->validationAccuracy});
            std::vector<int64_t> candidates(poolImage.size());
            std::iota(candidates.begin(), candidates.end(), 0);
            std::mt19937_64 rng(config.seed);
            if (config.limit > 0 && int64_t(candidates.size()) > config.limit) {
                std::shuffle(candidates.begin(), candidates.end(), rng);
                candidates.resize(std::size_t(config.limit));
            }
            QueryPool pool;
            pool.size = int64_t(candidates.size());
            pool.numClasses = k;
            torch::Tensor probs, emb, mc, lemb;
            const int t = strategy->uncertainty().needsMcSamples() ? config.mcSamples : 0;
            std::vector<int64_t> candidateItems;
            for (int64_t c : candidates)
                candidateItems.push_back(poolImage[std::size_t(c)]);
            if (!learner->predict(candidateItems, t, cancel, &probs, &emb, t > 1 ? &mc : nullptr, error)
                || !learner->predict(trainImage, 0, cancel, nullptr, &lemb, nullptr, error))
                return false;
            pool.probs = toVector(probs);
            pool.embeddingDim = int(emb.size(1));
            pool.embeddings = toVector(emb);
            pool.labelledEmbeddings = toVector(lemb);
            if (t > 1) {
                pool.mcSamples = t;
                pool.mcProbs = toVector(mc);
            }
            QueryOptions qo;
            qo.seed = config.seed;
            qo.clusters = config.clusters;
            QuerySelection selection;
            if (!strategy->select(pool, n, qo, cancel, &selection, error))
                return false;
            for (std::size_t j = 0; j < selection.indices.size(); ++j) {
                chosen.push_back(candidates[std::size_t(selection.indices[j])]);
                scores.push_back(selection.scores[j]);
            }
            // The uncertainty of the whole scored pool, kept with the round (the gallery's
            // "pool by uncertainty"); the same measure and seed as the selection used.
            if (!strategy->uncertainty().scores(pool, qo, &scoredUncertainty, error))
                return false;
            scoredIds.reserve(candidates.size());
            for (int64_t c : candidates)
                scoredIds.push_back(poolIds[std::size_t(c)]);
            if (scoredUncertainty.size() != scoredIds.size())
                return fail(error, QStringLiteral("%1: %2 uncertainty scores for %3 scored pool samples")
                                       .arg(projectFile).arg(scoredUncertainty.size()).arg(scoredIds.size()));
        }
    } catch (...) {
        return fail(error, exceptionMessage(std::current_exception()));
    }

    AlRoundInfo info;
    info.started = started;
    info.finished = QDateTime::currentDateTimeUtc();
    info.strategy = trainImage.size() < 2 ? QStringLiteral("cold_start:") + config.coldStart : config.strategy;
    info.diversity = config.diversity;
    info.batchSize = int(chosen.size());
    info.labelled = out->labelled;
    info.valAccuracy = out->validationAccuracy;
    info.settings = config.toJson();
    std::vector<AlQueueItem> queue;
    for (std::size_t j = 0; j < chosen.size(); ++j) {
        const qint64 id = poolIds[std::size_t(chosen[j])];
        queue.push_back({id, int(j), scores[j]});
        out->queued.push_back(id);
        out->scores.push_back(scores[j]);
    }
    out->roundId = store.saveAlRound(info, queue, error);
    if (out->roundId <= 0)
        return false;
    // Right after the round (its own transaction): a failure here leaves a round without pool
    // scores, which the gallery shows as an empty pool.
    if (!scoredIds.empty() && !store.saveAlScores(out->roundId, scoredIds, scoredUncertainty, error))
        return false;
    out->scored = int64_t(scoredIds.size());
    return true;
}

// The job's progress from the loops' AlProgress: each phase of each round is a stage of its own
// share of the job; the detail says which round and how many labels.
AlProgressCallback progressInto(JobContext &context)
{
    auto last = std::make_shared<std::pair<int, QString>>(-1, QString());
    return [&context, last](const AlProgress &p) {
        const int rounds = std::max(1, p.rounds);
        if (p.round != last->first || p.phase != last->second) {
            context.stage(p.phase, double(p.round) / rounds, double(p.round + 1) / rounds);
            *last = {p.round, p.phase};
        }
        QString detail = p.rounds > 1 ? QStringLiteral("round %1/%2, ").arg(p.round).arg(p.rounds - 1) : QString();
        detail += QStringLiteral("%1 labels").arg(p.labels);
        if (p.lastAccuracy >= 0)
            detail += QStringLiteral(", test accuracy %1").arg(p.lastAccuracy, 0, 'f', 4);
        context.progress(p.fraction, detail);
    };
}

DeviceChoice backboneDevice(const QString &device)
{
    return device == QLatin1String("cuda") ? DeviceChoice::Cuda : DeviceChoice::Cpu;
}

template <class T>
Result<T> outcome(bool ok, T &&value, const QString &error, const JobContext &context)
{
    if (ok)
        return Result<T>(std::move(value));
    return error == QLatin1String("cancelled") || context.isCancelled() ? Result<T>::cancelled() : Result<T>::failure(error);
}

} // namespace

Result<AlCurve> runAlSimulation(const Dataset &data, const AlConfig &config, quint64 seed, const QString &device,
                                JobContext &context, const EmbeddingTable *embeddings)
{
    std::optional<EmbeddingTable> own;
    if (config.usesEmbeddings() && !embeddings) {
        context.stage(QStringLiteral("extracting embeddings"), 0.0, 1.0);
        Result<EmbeddingTable> made = embedSamples(config.backbone, backboneDevice(device), data.samples, context);
        if (!made)
            return Result<AlCurve>::from(made);
        own = std::move(made).value();
        embeddings = &*own;
    }
    AlCurve curve;
    QString error;
    const bool ok = simulateRun(data, config, seed, device, config.usesEmbeddings() ? embeddings : nullptr,
                                context.cancelFlag(), progressInto(context), &curve, &error);
    return outcome(ok, std::move(curve), error, context);
}

Result<AlProjectRound> runAlProjectRound(const QString &projectFile, const AlConfig &config, const QString &device,
                                         JobContext &context)
{
    AlProjectRound round;
    std::optional<EmbeddingTable> table;
    if (config.usesEmbeddings()) {
        context.stage(QStringLiteral("embeddings"), 0.0, 1.0);
        Result<EmbeddingTable> made = embedProject(config.backbone, backboneDevice(device), projectFile, context);
        if (!made)
            return Result<AlProjectRound>::from(made);
        table = std::move(made).value();
    }
    QString error;
    const bool ok = projectRound(projectFile, config, device, table ? &*table : nullptr, context.cancelFlag(),
                                 progressInto(context), &round, &error);
    if (table) {
        round.backboneName = table->backboneName;
        round.embeddingsReused = table->reused;
        round.embeddingsExtracted = table->extracted;
        round.extractionSeconds = table->extractionSeconds;
    }
    return outcome(ok, std::move(round), error, context);
}

} // namespace labelscope
