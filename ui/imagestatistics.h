#pragma once
// Image statistics per class for the statistics page: mean width and height, mean brightness
// (mean of the grey level, 0–255, grey = 0.299 R + 0.587 G + 0.114 B as in ITU-R BT.601), mean
// contrast (standard deviation of the grey level within an image, "RMS contrast"), and the share
// of colour images (an RGB image whose mean |R − G| + |G − B| exceeds 4 grey levels counts as
// colour; grey images stored as RGB do not). Computed on a sample of at most maxPerClass images
// per class, evenly spread over each class, decoded with core's loadSampleImage (any thread).

#include "base/dataset.h"

#include <QString>

#include <atomic>
#include <vector>

namespace labelscope::ui {

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
    bool cancelled = false;
    QString firstError;
};

/// Picks at most MAXPERCLASS indices of LABELS (values in 0..K-1; others ignored) per class,
/// evenly spaced in index order.
std::vector<int> sampleForImageStats(const std::vector<int> &labels, int numClasses, int maxPerClass);

/// Measures SAMPLES[i] as class LABELS[i] (both [M]). DONE counts measured images; CANCEL is
/// polled per image.
ImageStatsResult computeImageStats(const std::vector<Sample> &samples, const std::vector<int> &labels,
                                   int numClasses, const std::atomic_bool &cancel,
                                   std::atomic<qint64> *done = nullptr);

} // namespace labelscope::ui
