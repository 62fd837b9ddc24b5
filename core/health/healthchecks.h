#pragma once
// The dataset-health job (issue 16; the job contract of core/jobs/job.h): image properties,
// exact and near duplicates, leakage and class balance on a loaded dataset, without training;
// outlier scores on the thumbnails or on an embedding given by the caller (the analysis'). One
// pass reads every sample's original image (loadSampleImage: IDX from its file, PNG/JPEG/BMP at
// their native size, a large JPEG reduced to at least HealthOptions::decodeMinSide) on worker threads; an image that cannot be read, or that OpenCV cannot
// measure, is listed in HealthReport::skipped with its file and reason and keeps score 1 / flag 0
// — never an error of the job.
//
//     std::atomic_bool cancel{false};
//     JobContext context(QStringLiteral("health checks"), &cancel, sink);
//     Result<HealthReport> r = runHealthChecks(dataset, HealthOptions(), context);
//     if (r) std::puts(QJsonDocument(r->toJson(10, &dataset.samples)).toJson().constData());
//
// Stages: "reading images" (0–60%: decoding and per-image measures, polled for cancel per
// image), "image properties", "exact duplicates", "near duplicates" (60–85%), "outliers"
// (85–100%, when an outlier embedding is given or thumbnailOutliers is set), then leakage and
// class balance. Memory: per image about 1–4 KB of fingerprint
// (the grey comparison image, at most 64×64) and 1 KB of thumbnail.

#include "base/dataset.h"
#include "base/result.h"
#include "health/duplicates.h"
#include "health/healthreport.h"
#include "health/imageproperties.h"
#include "health/knn.h"
#include "health/outliers.h"
#include "jobs/job.h"

namespace labelscope {

struct HealthOptions {
    ImagePropertyOptions properties;
    NearDuplicateOptions nearDuplicates;
    OutlierOptions outliers;
    /// Outlier scores on the thumbnail embedding when no outlierEmbedding is given (off by
    /// default: the thumbnail captures shape and brightness only, and the Datalab fence flags
    /// 7% of Fashion-MNIST on it; the analysis' embedding is the input meant for outliers).
    bool thumbnailOutliers = false;
    /// Optional [N, D] embeddings (not owned; must outlive the call): near-duplicate candidates
    /// and outlier scores use them instead of the thumbnails. Rows must equal the sample count.
    EmbeddingView nearDuplicateEmbedding;
    EmbeddingView outlierEmbedding;
    /// Optional [rows of outlierEmbedding]: the sample index of each row, when the embedding
    /// covers only some samples (the analysis embeds its training samples only). Empty: row i is
    /// sample i. Samples without a row keep outlier score 1, flag 0; labels come from the samples.
    std::vector<int> outlierRows;
    double imbalanceThreshold = 0.1; ///< Datalab's class_imbalance threshold (healthreport.h)
    int threads = 0;                 ///< image workers; 0 = QThread::idealThreadCount()
    /// A JPEG is decoded reduced, a HEIC as its thumbnail, to no less than this many pixels a side
    /// (decodeImageFile's minSide; 0 = every image whole). Sizes and aspect ratios are the images'
    /// own; the pixel measures of a 12-megapixel photo are taken at 1/8 (about 500 × 380): the
    /// comparison images are at most 64 px anyway, and brightness and entropy are statistics of
    /// the whole picture (RESULTS.md, session 22: the flags on camera-sized photos against whole
    /// decoding).
    int decodeMinSide = kMeasureMinSide;
};

/// Runs the health checks on DATASET (its samples, classes and splits; pixels are read again
/// from their files, a large JPEG reduced as decodeMinSide allows). Returns the report, "cancelled", or a failure that names the
/// cause (an embedding of the wrong shape, options out of range, an exception inside a library).
Result<HealthReport> runHealthChecks(const Dataset &dataset, const HealthOptions &options, JobContext &context);

} // namespace labelscope
