// Backbone embeddings for al-simulate, al-round and tsne (backbonejobs.h).
#include "backbonejobs.h"

#include "extraction.h"

#include "base/projectstore.h"

#include <algorithm>

namespace labelscope {

namespace {

// Backbone::load inside an exception boundary: LibTorch may throw on its way in.
Result<std::shared_ptr<Backbone>> loadBackbone(const QString &file, DeviceChoice device)
{
    try {
        return Backbone::load(file, device);
    } catch (...) {
        return Result<std::shared_ptr<Backbone>>::failure(QStringLiteral("%1: %2").arg(file, exceptionMessage(std::current_exception())));
    }
}

EmbeddingTable tableOf(const Backbone &backbone, const torch::Tensor &embeddings, std::vector<bool> ok)
{
    EmbeddingTable t;
    t.backboneFile = backbone.file();
    t.backboneName = backbone.sidecar().name;
    t.device = backbone.deviceName();
    t.dim = int(embeddings.size(1));
    const auto values = embeddings.to(torch::kFloat32).contiguous();
    t.values.assign(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
    t.ok = std::move(ok);
    return t;
}

} // namespace

Result<EmbeddingTable> embedSamples(const QString &backboneFile, DeviceChoice device, const std::vector<Sample> &samples,
                                    JobContext &context)
{
    using R = Result<EmbeddingTable>;
    Result<std::shared_ptr<Backbone>> backbone = loadBackbone(backboneFile, device);
    if (!backbone)
        return R::from(backbone);
    Result<ExtractionResult> extracted = extractEmbeddings(*backbone.value(), samples, ExtractionOptions(), context);
    if (!extracted)
        return R::from(extracted);
    ExtractionResult &e = extracted.value();
    EmbeddingTable t = tableOf(*backbone.value(), e.embeddings, std::move(e.ok));
    t.skipped = std::move(e.skipped);
    t.extracted = qint64(std::count(t.ok.begin(), t.ok.end(), true));
    t.extractionSeconds = e.seconds;
    t.imagesPerSecond = e.imagesPerSecond;
    return R(std::move(t));
}

Result<EmbeddingTable> embedProject(const QString &backboneFile, DeviceChoice device, const QString &projectFile,
                                    JobContext &context)
{
    using R = Result<EmbeddingTable>;
    Result<std::shared_ptr<Backbone>> backbone = loadBackbone(backboneFile, device);
    if (!backbone)
        return R::from(backbone);
    ProjectStore store;
    QString error;
    if (!store.openExisting(projectFile, &error))
        return R::failure(error);
    const std::vector<SampleRow> rows = store.samples();
    if (rows.empty())
        return R::failure(store.lastError().isEmpty() ? QStringLiteral("%1: the project has no samples").arg(projectFile)
                                                      : store.lastError());
    Result<BackboneEmbeddings> got = backboneEmbeddings(store, *backbone.value(), rows, ExtractionOptions(), context);
    if (!got)
        return R::from(got);
    BackboneEmbeddings &b = got.value();
    // The cache is a saving, not the result: a project that cannot be written (opened read-only,
    // disk full) still gets its embeddings, with a warning.
    qint64 savedRun = 0;
    QString cacheWarning;
    if (b.extracted > 0 && store.isReadOnly()) {
        cacheWarning = QStringLiteral("%1 is read-only: the embeddings were not cached in it").arg(projectFile);
    } else if (const Result<qint64> saved = saveBackboneEmbeddings(store, *backbone.value(), rows, b, context.jobName()); !saved) {
        cacheWarning = QStringLiteral("%1: the embeddings were not cached: %2").arg(projectFile, saved.error());
    } else {
        savedRun = saved.value();
    }
    EmbeddingTable t = tableOf(*backbone.value(), b.embeddings, std::move(b.ok));
    t.skipped = std::move(b.skipped);
    t.reused = b.reused;
    t.extracted = b.extracted;
    t.extractionSeconds = b.extractionSeconds;
    t.imagesPerSecond = b.imagesPerSecond;
    t.savedRun = savedRun;
    t.cacheWarning = cacheWarning;
    t.sampleIds.reserve(rows.size());
    for (const SampleRow &row : rows)
        t.sampleIds.push_back(row.id);
    return R(std::move(t));
}

} // namespace labelscope
