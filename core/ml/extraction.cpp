// Embedding extraction and its project cache (extraction.h).
#include "extraction.h"

#include "base/imageprep.h"

#include <QElapsedTimer>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>
#include <unordered_map>

namespace labelscope {

namespace {

// Inference keeps a few activation maps of the input's size per image alive at once; this bound
// on the float input times the factor keeps a batch of 224-px RGB images to about 100 within the
// default 1 GiB budget.
constexpr qint64 kActivationFactor = 16;
// One batch should take about this long, so that cancellation (polled per batch) answers
// within a second.
constexpr double kTargetBatchSeconds = 0.5;

// Decodes samples [begin, end) into a uint8 batch [end - begin, C, S, S] on `threads` threads
// (interleaved), polling the cancel flag per image. Unreadable images stay zero, ok[i] false.
struct DecodedBatch {
    torch::Tensor images;
    std::vector<char> ok;
    std::vector<QString> errors;
};

DecodedBatch decodeBatch(const std::vector<Sample> &samples, std::size_t begin, std::size_t end, const ImagePrep &prep,
                         int threads, const std::atomic_bool &cancel)
{
    DecodedBatch b;
    const std::size_t n = end - begin;
    b.images = torch::zeros({int64_t(n), prep.channels, prep.side, prep.side}, torch::kUInt8);
    b.ok.assign(n, 0);
    b.errors.resize(n);
    const std::size_t bytes = std::size_t(prep.channels) * std::size_t(prep.side) * std::size_t(prep.side);
    std::uint8_t *base = b.images.data_ptr<std::uint8_t>();
    auto work = [&](std::size_t t, std::size_t stride) {
        for (std::size_t i = t; i < n && !cancel.load(std::memory_order_relaxed); i += stride)
            b.ok[i] = prepareSampleImage(samples[begin + i], prep, base + i * bytes, &b.errors[i]) ? 1 : 0;
    };
    const std::size_t t = std::size_t(std::clamp(threads, 1, int(std::max<std::size_t>(n, 1))));
    std::vector<std::thread> pool;
    for (std::size_t w = 1; w < t; ++w)
        pool.emplace_back(work, w, t);
    work(0, t);
    for (auto &th : pool)
        th.join();
    return b;
}

bool isOutOfMemory(const c10::Error &e)
{
    return QString::fromLocal8Bit(e.what_without_backtrace()).contains(QLatin1String("out of memory"), Qt::CaseInsensitive);
}

} // namespace

Result<ExtractionResult> extractEmbeddings(Backbone &backbone, const std::vector<Sample> &samples,
                                           const ExtractionOptions &options, JobContext &context)
{
    using R = Result<ExtractionResult>;
    const BackboneSidecar &s = backbone.sidecar();
    ImagePrep prep;
    prep.side = s.inputSize;
    prep.channels = s.channels;
    prep.centerCrop = s.resize == BackboneResize::ResizeCenterCrop;
    prep.resizeSize = s.resizeSize;
    const std::size_t n = samples.size();
    ExtractionResult out;
    out.embeddings = torch::zeros({int64_t(n), s.embeddingDim});
    out.ok.assign(n, false);
    const qint64 perImage = qint64(s.channels) * s.inputSize * s.inputSize * 4 * kActivationFactor;
    const int memoryCap = int(std::clamp<qint64>(options.memoryBudget / std::max<qint64>(perImage, 1), 1, 1024));
    int batch = options.batchSize > 0 ? std::min(options.batchSize, memoryCap) : std::min(8, memoryCap);
    const int decodeThreads = options.decodeThreads > 0 ? options.decodeThreads : std::max(1, QThread::idealThreadCount() / 2);
    const std::atomic_bool &cancel = context.cancelFlag();
    QElapsedTimer clock;
    clock.start();
    std::size_t done = 0;
    // Pipeline: the next batch decodes on worker threads while the backbone runs this one.
    std::future<DecodedBatch> next;
    auto startDecode = [&](std::size_t from, int size) {
        const std::size_t to = std::min(n, from + std::size_t(size));
        return std::async(std::launch::async, [&samples, from, to, prep, decodeThreads, &cancel] {
            return decodeBatch(samples, from, to, prep, decodeThreads, cancel);
        });
    };
    if (n > 0)
        next = startDecode(0, batch);
    while (done < n) {
        DecodedBatch current = next.get();
        if (context.isCancelled())
            return R::cancelled();
        const std::size_t count = std::size_t(current.images.size(0));
        const std::size_t after = done + count;
        QElapsedTimer batchClock;
        batchClock.start();
        torch::Tensor emb;
        // Decoding of the next batch starts once this one's size is known to fit.
        bool started = false;
        for (int64_t from = 0; from < int64_t(count);) {
            const int64_t size = std::min<int64_t>(batch, int64_t(count) - from);
            try {
                const torch::Tensor part = backbone.embed(current.images.narrow(0, from, size));
                if (!started && after < n) {
                    next = startDecode(after, batch);
                    started = true;
                }
                out.embeddings.narrow(0, int64_t(done) + from, size).copy_(part);
                from += size;
            } catch (const c10::Error &e) {
                if (!isOutOfMemory(e) || batch <= 1)
                    throw;
                batch = std::max(1, batch / 2); // retry this part at half the size
            }
            if (context.isCancelled()) {
                if (started)
                    next.wait();
                return R::cancelled();
            }
        }
        if (!started && after < n)
            next = startDecode(after, batch);
        for (std::size_t i = 0; i < count; ++i) {
            out.ok[done + i] = current.ok[i] != 0;
            if (!current.ok[i]) {
                const Sample &sample = samples[done + i];
                out.skipped.push_back({sample.path, sample.offset >= 0 ? QStringLiteral("image %1").arg(sample.offset) : QString(),
                                       current.errors[i]});
            }
        }
        done = after;
        // Size the next batches from this one's time per image (after the first, which warms up).
        if (options.batchSize <= 0 && count > 0) {
            const double perImageSeconds = std::max(1e-6, batchClock.elapsed() / 1000.0 / double(count));
            batch = std::clamp(int(kTargetBatchSeconds / perImageSeconds), 1, std::min(256, memoryCap));
        }
        const double seconds = std::max(1e-3, clock.elapsed() / 1000.0);
        const double rate = double(done) / seconds;
        context.progress(double(done) / double(n),
                         QStringLiteral("%1 of %2 images, %3 images/s").arg(done).arg(n).arg(rate, 0, 'f', 0),
                         rate > 0 ? double(n - done) / rate : -1.0);
    }
    out.seconds = clock.elapsed() / 1000.0;
    out.imagesPerSecond = out.seconds > 0 ? double(n) / out.seconds : 0.0;
    out.batchSize = batch;
    return std::move(out);
}

Result<BackboneEmbeddings> backboneEmbeddings(const ProjectStore &store, Backbone &backbone,
                                              const std::vector<SampleRow> &rows,
                                              const ExtractionOptions &options, JobContext &context)
{
    using R = Result<BackboneEmbeddings>;
    BackboneEmbeddings out;
    const Result<QString> sha = fileSha256(backbone.file());
    if (!sha)
        return R::from(sha);
    out.sha256 = sha.value();
    out.key = backboneCacheKey(out.sha256, backbone.sidecar());
    const int dim = backbone.sidecar().embeddingDim;
    const std::size_t n = rows.size();
    out.embeddings = torch::zeros({int64_t(n), dim});
    out.ok.assign(n, false);
    // The newest finished run made with this backbone and preprocessing.
    const std::vector<RunInfo> runs = store.runs();
    for (auto it = runs.crbegin(); it != runs.crend(); ++it) {
        if ((it->status != QLatin1String("done") && it->status != embeddingsRunStatus())
            || it->settings.value(QStringLiteral("backbone_key")).toString() != out.key)
            continue;
        std::vector<qint64> ids;
        std::vector<float> data;
        int storedDim = 0;
        if (!store.embeddings(it->id, &ids, &data, &storedDim))
            return R::failure(store.lastError());
        if (storedDim != dim)
            continue;
        std::unordered_map<qint64, std::size_t> rowOf;
        rowOf.reserve(ids.size());
        for (std::size_t r = 0; r < ids.size(); ++r)
            rowOf.emplace(ids[r], r);
        float *dst = out.embeddings.data_ptr<float>();
        for (std::size_t i = 0; i < n; ++i) {
            const auto f = rowOf.find(rows[i].id);
            if (f == rowOf.end())
                continue;
            std::copy_n(data.data() + f->second * std::size_t(dim), dim, dst + i * std::size_t(dim));
            out.ok[i] = true;
            ++out.reused;
        }
        out.cacheRun = it->id;
        break;
    }
    std::vector<Sample> missing;
    std::vector<std::size_t> missingRow;
    for (std::size_t i = 0; i < n; ++i)
        if (!out.ok[i]) {
            missing.push_back(rows[i].sample);
            missingRow.push_back(i);
        }
    if (!missing.empty()) {
        Result<ExtractionResult> extracted = extractEmbeddings(backbone, missing, options, context);
        if (!extracted)
            return R::from(extracted);
        ExtractionResult &e = extracted.value();
        out.embeddings.index_copy_(0, torch::tensor(std::vector<int64_t>(missingRow.begin(), missingRow.end()), torch::kLong),
                                   e.embeddings);
        for (std::size_t j = 0; j < missing.size(); ++j) {
            out.ok[missingRow[j]] = e.ok[j];
            out.extracted += e.ok[j] ? 1 : 0;
        }
        out.skipped = std::move(e.skipped);
        out.extractionSeconds = e.seconds;
        out.imagesPerSecond = e.imagesPerSecond;
    }
    return std::move(out);
}

Result<qint64> saveBackboneEmbeddings(ProjectStore &store, const Backbone &backbone, const std::vector<SampleRow> &rows,
                                      const BackboneEmbeddings &emb, const QString &purpose)
{
    if (emb.extracted == 0)
        return qint64(0);
    RunRecord run;
    run.started = run.finished = QDateTime::currentDateTimeUtc();
    run.status = embeddingsRunStatus();
    run.settings.insert(QStringLiteral("backbone_key"), emb.key);
    run.settings.insert(QStringLiteral("backbone_sha256"), emb.sha256);
    run.settings.insert(QStringLiteral("backbone_file"), backbone.file());
    run.settings.insert(QStringLiteral("backbone_name"), backbone.sidecar().name);
    run.settings.insert(QStringLiteral("backbone_sidecar"), backbone.sidecar().toJson());
    run.settings.insert(QStringLiteral("purpose"), purpose);
    const int dim = int(emb.embeddings.size(1));
    const auto values = emb.embeddings.contiguous();
    const float *src = values.data_ptr<float>();
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (emb.ok[i]) {
            run.embeddingIds.push_back(rows[i].id);
            run.embeddings.insert(run.embeddings.end(), src + i * std::size_t(dim), src + (i + 1) * std::size_t(dim));
        }
    run.embeddingDim = dim;
    run.summary = QJsonObject{{QStringLiteral("embeddings"), double(run.embeddingIds.size())},
                              {QStringLiteral("extracted"), double(emb.extracted)},
                              {QStringLiteral("reused"), double(emb.reused)},
                              {QStringLiteral("extraction_seconds"), emb.extractionSeconds}};
    QString error;
    const qint64 id = store.saveRun(run, &error);
    if (id <= 0)
        return Result<qint64>::failure(error);
    return id;
}

} // namespace labelscope
