#pragma once
// Image statistics per class for the statistics page: mean width and height, mean brightness
// (mean of the grey level, 0–255, grey = 0.299 R + 0.587 G + 0.114 B as in ITU-R BT.601), mean
// contrast (standard deviation of the grey level within an image, "RMS contrast"), and the share
// of colour images (an RGB image whose mean |R − G| + |G − B| exceeds 4 grey levels counts as
// colour; grey images stored as RGB do not). Computed on a sample of at most maxPerClass images
// per class, evenly spread over each class, decoded with core's loadSampleImage (any thread; a
// large JPEG reduced to at least kMeasureMinSide a side: sizes are the images' own, brightness,
// contrast and colour are taken on the reduced pixels).

#include "base/dataset.h"
#include "base/result.h"
#include "jobs/job.h"

#include <QString>

#include <atomic>
#include <vector>

namespace labelscope {

struct ClassImageStats {
    qint64 images = 0;        ///< images measured
    qint64 failed = 0;        ///< images that could not be read
    double meanWidth = 0, meanHeight = 0;
    double meanBrightness = 0; ///< 0–255
    double meanContrast = 0;   ///< 0–255
    double colourShare = 0;    ///< 0–1
};

struct ImageStatsResult {
    std::vector<ClassImageStats> perClass; ///< [K]
    QString firstError;                    ///< why the first unreadable image failed ("" if none)
};

/// Picks at most MAXPERCLASS indices of LABELS (values in 0..K-1; others ignored) per class,
/// evenly spaced in index order.
std::vector<int> sampleForImageStats(const std::vector<int> &labels, int numClasses, int maxPerClass);

/// The image-statistics job (core/jobs/job.h): measures SAMPLES[i] as class LABELS[i] (both
/// [M]); progress "N of M images"; cancellation polled per image. An unreadable image is counted
/// in its class's `failed`, not an error of the job.
Result<ImageStatsResult> computeImageStats(const std::vector<Sample> &samples, const std::vector<int> &labels,
                                           int numClasses, JobContext &context);

} // namespace labelscope
