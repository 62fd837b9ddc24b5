// The learners of active learning (allearner.h): a CNN on pixels, a head on backbone embeddings.
#include "allearner.h"

#include "altrainer.h"
#include "embeddinghead.h"
#include "querystrategy.h"

namespace labelscope {

namespace {

constexpr double kMcDropout = 0.25; // networks.cpp: the CNNs' dropout before their embedding layer

torch::Tensor indexTensor(const std::vector<int64_t> &idx)
{
    return torch::tensor(at::ArrayRef<int64_t>(idx), torch::kLong);
}

AlTrainConfig cnnTrainConfig(const AlConfig &c, quint64 seed, torch::Device device)
{
    AlTrainConfig t;
    t.epochs = c.epochs;
    t.minSteps = c.minSteps;
    t.batchSize = c.batchSize;
    t.adam = c.optimizer == QLatin1String("Adam");
    t.lr = c.lr;
    t.momentum = c.momentum;
    t.weightDecay = c.weightDecay;
    t.nesterov = c.nesterov;
    t.augment = c.augment;
    t.hflip = c.hflip;
    t.strongAugment = c.strongAugment;
    t.consistencyWeight = c.consistencyWeight;
    t.unlabelledRatio = c.unlabelledRatio;
    t.consistencyThreshold = c.consistencyThreshold;
    t.emaDecay = c.emaDecay;
    t.tta = c.tta;
    t.fineTuneLrScale = c.fineTuneLrScale;
    t.architecture = enumFromName(kArchitectureNames, c.model).value_or(Architecture::Auto);
    t.seed = seed;
    t.device = device;
    return t;
}

class CnnLearner final : public AlLearner {
public:
    CnnLearner(const Dataset &data, const AlConfig &config, int numClasses, quint64 seed, torch::Device device,
               std::shared_ptr<const InitialWeights> init)
        : m_data(data), m_config(cnnTrainConfig(config, seed, device)), m_warm(config.warmStart), m_classes(numClasses)
    {
        m_config.init = std::move(init);
    }

    bool hasMcDropout() const override { return true; }

    void setUnlabelled(const std::vector<int64_t> &items) override
    {
        m_unlabelled = m_config.consistencyWeight > 0 && !items.empty() ? gather(items) : torch::Tensor();
    }

    bool train(const std::vector<int64_t> &items, const std::vector<int64_t> &labels, const std::vector<int64_t> &pseudoItems,
               const std::vector<int64_t> &pseudoLabels, quint64 seed, const std::atomic_bool &cancel,
               const std::function<void(double)> &progress, QString *error) override
    {
        AlTrainConfig c = m_config;
        c.seed = seed;
        torch::Tensor pseudoImages, pseudoY;
        if (!pseudoItems.empty()) {
            pseudoImages = gather(pseudoItems);
            pseudoY = indexTensor(pseudoLabels);
        }
        return alTrain(&m_model, m_warm, gather(items), indexTensor(labels), pseudoImages, pseudoY, m_classes, c, cancel,
                       progress, error, m_unlabelled);
    }

    bool predict(const std::vector<int64_t> &items, int mcSamples, const std::atomic_bool &cancel, torch::Tensor *probs,
                 torch::Tensor *embeddings, torch::Tensor *mcProbs, QString *error) override
    {
        return alPredict(m_model, gather(items), mcSamples, m_config.device, cancel, probs, embeddings, mcProbs, error);
    }

    bool coldStartEmbeddings(const std::vector<int64_t> &items, quint64 seed, const std::atomic_bool &cancel,
                             torch::Tensor *embeddings, QString *error) override
    {
        return alUntrainedEmbeddings(gather(items), m_classes, seed, m_config.device, cancel, embeddings, error,
                                     m_config.init.get());
    }

private:
    // Images uint8 [M, C, H, W] of the dataset's samples ITEMS.
    torch::Tensor gather(const std::vector<int64_t> &items) const
    {
        const Dataset &d = m_data;
        auto all = torch::from_blob(const_cast<std::uint8_t *>(d.pixels.data()),
                                    {int64_t(d.samples.size()), d.channels, d.height, d.width}, torch::kUInt8);
        return all.index_select(0, indexTensor(items));
    }

    const Dataset &m_data;
    AlTrainConfig m_config;
    bool m_warm = false;
    int m_classes = 0;
    AlModel m_model;
    torch::Tensor m_unlabelled; ///< uint8 [U, C, H, W]: setUnlabelled's images (undefined = none)
};

class HeadLearner final : public AlLearner {
public:
    HeadLearner(const EmbeddingTable &table, const AlConfig &config, int numClasses, torch::Device device)
        : m_classes(numClasses), m_device(device)
    {
        m_config.kind = enumFromName(kEmbeddingHeadNames, config.head).value_or(EmbeddingHead::Mlp);
        m_config.epochs = config.epochs;
        m_config.minSteps = config.minSteps;
        m_config.device = device;
        // BALD's MC-dropout samples need a head trained with dropout; the other strategies keep
        // the head without it (their measured curves, RESULTS.md). The CNNs' rate.
        if (enumFromName(kUncertaintyNames, config.strategy) == Uncertainty::Bald)
            m_config.dropout = kMcDropout;
        // A view of the table (no copy); the learner never writes to it.
        m_raw = torch::from_blob(const_cast<float *>(table.values.data()), {table.rows(), int64_t(table.dim)}, torch::kFloat32);
        std::vector<int64_t> withEmbedding;
        for (int64_t i = 0; i < table.rows(); ++i)
            if (table.ok[std::size_t(i)])
                withEmbedding.push_back(i);
        const EmbeddingStandardiser s = EmbeddingStandardiser::fit(m_raw.index_select(0, indexTensor(withEmbedding)));
        m_x = s.apply(m_raw);
    }

    bool hasMcDropout() const override { return m_config.dropout > 0.0; }

    bool train(const std::vector<int64_t> &items, const std::vector<int64_t> &labels, const std::vector<int64_t> &pseudoItems,
               const std::vector<int64_t> &pseudoLabels, quint64 seed, const std::atomic_bool &cancel,
               const std::function<void(double)> &progress, QString *error) override
    {
        std::vector<int64_t> rows = items, y = labels;
        rows.insert(rows.end(), pseudoItems.begin(), pseudoItems.end());
        y.insert(y.end(), pseudoLabels.begin(), pseudoLabels.end());
        EmbeddingHeadConfig c = m_config;
        c.seed = seed;
        c.shuffleSeed = seed * 0x9E3779B97F4A7C15ULL + 1;
        const int epochs = embeddingHeadEpochs(c, int64_t(rows.size()));
        const ScopedTorchThreads oneThread(1);
        Result<torch::nn::Sequential> head = trainEmbeddingHead(
            m_x.index_select(0, indexTensor(rows)), indexTensor(y), m_classes, c, nullptr, cancel,
            [&](int e, torch::nn::Sequential &) {
                if (progress)
                    progress(double(e + 1) / epochs);
            });
        if (!head) {
            *error = head.error();
            return false;
        }
        m_head = head.value();
        return true;
    }

    bool predict(const std::vector<int64_t> &items, int mcSamples, const std::atomic_bool &cancel, torch::Tensor *probs,
                 torch::Tensor *embeddings, torch::Tensor *mcProbs, QString *error) override
    {
        if ((mcSamples > 1 || mcProbs) && !hasMcDropout()) {
            *error = QStringLiteral("the head on backbone embeddings was trained without dropout (query_strategy is not "
                                    "bald): no MC-dropout samples");
            return false;
        }
        if (cancel.load()) {
            *error = QStringLiteral("cancelled");
            return false;
        }
        if (m_head.is_empty()) {
            *error = QStringLiteral("the head has not been trained");
            return false;
        }
        const auto index = indexTensor(items);
        if (probs)
            *probs = predictEmbeddingHead(m_head, m_x.index_select(0, index), m_device);
        if (embeddings)
            *embeddings = m_raw.index_select(0, index);
        if (mcProbs && mcSamples > 1) {
            const ScopedTorchThreads oneThread(1);
            *mcProbs = mcPredictEmbeddingHead(m_head, m_x.index_select(0, index), mcSamples, m_device);
        }
        return true;
    }

    bool coldStartEmbeddings(const std::vector<int64_t> &items, quint64, const std::atomic_bool &, torch::Tensor *embeddings,
                             QString *) override
    {
        *embeddings = m_raw.index_select(0, indexTensor(items));
        return true;
    }

private:
    EmbeddingHeadConfig m_config;
    int m_classes = 0;
    torch::Device m_device;
    torch::Tensor m_raw; ///< [N, D] the backbone's embeddings (a view of the table)
    torch::Tensor m_x;   ///< [N, D] standardised
    torch::nn::Sequential m_head{nullptr};
};

} // namespace

std::unique_ptr<AlLearner> makeCnnLearner(const Dataset &data, const AlConfig &config, int numClasses, quint64 seed,
                                          torch::Device device, std::shared_ptr<const InitialWeights> init)
{
    return std::make_unique<CnnLearner>(data, config, numClasses, seed, device, std::move(init));
}

std::unique_ptr<AlLearner> makeHeadLearner(const EmbeddingTable &table, const AlConfig &config, int numClasses,
                                           torch::Device device)
{
    return std::make_unique<HeadLearner>(table, config, numClasses, device);
}

Result<std::unique_ptr<AlLearner>> makeLearner(const Dataset &data, const EmbeddingTable *table, const AlConfig &config,
                                               int numClasses, quint64 seed, torch::Device device)
{
    using R = Result<std::unique_ptr<AlLearner>>;
    if (table)
        return R(makeHeadLearner(*table, config, numClasses, device));
    std::shared_ptr<const InitialWeights> init;
    if (config.fineTune) {
        Result<std::shared_ptr<const InitialWeights>> loaded =
            loadInitialWeights(config.backbone, data.channels, data.height, data.width);
        if (!loaded)
            return R::from(loaded);
        init = loaded.value();
        const QString network = enumName(kArchitectureNames, init->architecture);
        if (config.model != QLatin1String("auto") && config.model != network)
            return R::failure(QStringLiteral("%1: the backbone is a %2; model.model asks for %3 (fine-tuning trains the "
                                             "backbone's own network: leave model.model at auto or set it to %2)")
                                  .arg(config.backbone, network, config.model));
    }
    return R(makeCnnLearner(data, config, numClasses, seed, device, std::move(init)));
}

} // namespace labelscope
