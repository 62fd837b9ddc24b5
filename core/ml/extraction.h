#pragma once
// Embedding extraction: every sample's image decoded at the backbone's input size (imageprep.h)
// on worker threads and run through the backbone (backbone.h) batch by batch, streaming: only
// the [N, D] float32 embeddings are kept. And the project cache of those embeddings.
// Internal to core (includes LibTorch).

#include "backbone.h"

#include "base/dataset.h"
#include "base/projectstore.h"
#include "jobs/job.h"

#include <vector>

namespace labelscope {

struct ExtractionOptions {
    /// Images per forward pass; 0 = automatic: starts at 8, then sized so that one batch takes
    /// about half a second (cancellation within a second) within the memory bound below.
    int batchSize = 0;
    /// Bytes the float input batch times kActivationFactor may take (the bound on the batch size).
    qint64 memoryBudget = qint64(1) << 30;
    /// Threads decoding images; 0 = half the cores (at least 1), the rest run the backbone.
    int decodeThreads = 0;
};

struct ExtractionResult {
    torch::Tensor embeddings;         ///< [N, D] float32 CPU, row i for samples[i] (zeros where !ok)
    std::vector<bool> ok;             ///< [N] false for images that could not be read
    std::vector<SkippedItem> skipped; ///< one per unreadable image (file, reason)
    double seconds = 0.0;
    double imagesPerSecond = 0.0;
    int batchSize = 0;                ///< the last batch size used
};

/// Extracts the embeddings of SAMPLES. Progress: context.progress() inside the caller's stage
/// (detail "N of M images, R images/s", ETA from the rate). Cancellation is polled per image
/// while decoding and per batch: Result::cancelled() within about a second. An image that
/// cannot be read is skipped (ok[i] false, listed); a LibTorch failure fails the job; a batch
/// that runs out of memory is retried at half the size (down to 1).
Result<ExtractionResult> extractEmbeddings(Backbone &backbone, const std::vector<Sample> &samples,
                                           const ExtractionOptions &options, JobContext &context);

/// Embeddings of the project's samples ROWS for BACKBONE: those already stored by an earlier
/// run with the same backbone cache key (settings "backbone_key", backboneCacheKey()) are
/// reused, the rest extracted. embeddings row i belongs to rows[i]. The runs searched are the
/// analyses (status "done") and the embedding caches of saveBackboneEmbeddings() (status
/// "embeddings"), the newest first.
struct BackboneEmbeddings {
    torch::Tensor embeddings;         ///< [N, D] float32
    std::vector<bool> ok;             ///< [N]
    std::vector<SkippedItem> skipped;
    QString key;                      ///< backboneCacheKey()
    QString sha256;                   ///< of the backbone file
    qint64 reused = 0, extracted = 0;
    qint64 cacheRun = 0;              ///< the run reused from, 0 = none
    double extractionSeconds = 0.0, imagesPerSecond = 0.0;
};
Result<BackboneEmbeddings> backboneEmbeddings(const ProjectStore &store, Backbone &backbone,
                                              const std::vector<SampleRow> &rows,
                                              const ExtractionOptions &options, JobContext &context);

/// The status of a run that holds only backbone embeddings (no scores): never the run the
/// window shows (ProjectStore::latestRun() is the newest "done" one).
inline QString embeddingsRunStatus() { return QStringLiteral("embeddings"); }

/// Stores the embeddings EMB of ROWS (as backboneEmbeddings() returned them for BACKBONE) in
/// the project as a run of status embeddingsRunStatus() whose settings carry the cache key, so
/// that later rounds, layouts and analyses with the same backbone reuse them. Every row with an
/// embedding is stored (one run answers a whole later request). Nothing is written when nothing
/// was extracted (emb.extracted == 0): returns 0. PURPOSE names the command in the run's
/// summary ("al-round", "tsne"). Errors: the store's (read-only project, disk full, ...).
Result<qint64> saveBackboneEmbeddings(ProjectStore &store, const Backbone &backbone, const std::vector<SampleRow> &rows,
                                      const BackboneEmbeddings &emb, const QString &purpose);

} // namespace labelscope
