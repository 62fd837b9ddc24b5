#pragma once
// Backbone embeddings for the commands that are not the analysis (al-simulate, al-round, tsne):
// a backbone file (backbone.h) loaded, checked and run over a dataset's samples or over a
// project's samples (with the project's cache, extraction.h), returned as plain float arrays.
// Torch-free header (app/ and ui/ may include it); the work runs in core/ml/backbonejobs.cpp.

#include "options.h"

#include "base/dataset.h"
#include "base/result.h"
#include "jobs/job.h"

#include <QString>

#include <vector>

namespace labelscope {

/// The embeddings of N samples through one backbone.
struct EmbeddingTable {
    QString backboneFile, backboneName; ///< the .pt file and its sidecar's "name"
    QString device;                     ///< "cpu" or "cuda": where the backbone ran
    int dim = 0;                        ///< D, the sidecar's embedding_dim
    std::vector<float> values;          ///< [N, D] float32 row-major; zeros where !ok
    std::vector<bool> ok;               ///< [N] false: the image could not be read (listed in skipped)
    std::vector<qint64> sampleIds;      ///< [N] embedProject(): the project's sample id of each row
    std::vector<SkippedItem> skipped;
    qint64 reused = 0;                  ///< rows taken from the project's cache
    qint64 extracted = 0;               ///< rows run through the backbone now
    double extractionSeconds = 0.0, imagesPerSecond = 0.0;
    qint64 savedRun = 0;                ///< embedProject(): the cache run written (0 = none needed)
    QString cacheWarning;               ///< embedProject(): why newly extracted rows could not be cached, or ""
    qint64 rows() const { return qint64(ok.size()); }
    const float *row(qint64 i) const { return values.data() + i * dim; }
};

/// Loads BACKBONEFILE (Backbone::load: sidecar, TorchScript, probe batch; errors name the file
/// and what differs) on DEVICE and extracts the embedding of every sample of SAMPLES, row i for
/// samples[i], decoding each image from its file at the backbone's input size (IDX samples from
/// their file and offset). Progress inside the caller's stage; cancellable within a second.
Result<EmbeddingTable> embedSamples(const QString &backboneFile, DeviceChoice device, const std::vector<Sample> &samples,
                                    JobContext &context);

/// The same for every sample of the existing project PROJECTFILE (row i for the i-th of
/// ProjectStore::samples(), i.e. by sample id; excluded samples included): embeddings stored by
/// an earlier run with the same backbone and preprocessing are reused, the rest extracted and
/// then stored in the project as a run of status "embeddings" (saveBackboneEmbeddings(),
/// extraction.h), so that the next analysis, round or layout extracts nothing; a project that
/// cannot be written (read-only, disk full) only loses the cache (cacheWarning). The backbone is
/// loaded and checked before the project is opened: a bad one writes nothing.
Result<EmbeddingTable> embedProject(const QString &backboneFile, DeviceChoice device, const QString &projectFile,
                                    JobContext &context);

} // namespace labelscope
