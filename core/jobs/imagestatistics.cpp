#include "imagestatistics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace labelscope {

std::vector<int> sampleForImageStats(const std::vector<int> &labels, int numClasses, int maxPerClass)
{
    std::vector<std::vector<int>> byClass(std::size_t(std::max(0, numClasses)));
    for (int i = 0; i < int(labels.size()); ++i)
        if (labels[std::size_t(i)] >= 0 && labels[std::size_t(i)] < numClasses)
            byClass[std::size_t(labels[std::size_t(i)])].push_back(i);
    std::vector<int> picked;
    for (const std::vector<int> &members : byClass) {
        const std::size_t n = members.size();
        const std::size_t take = std::min<std::size_t>(n, std::size_t(std::max(0, maxPerClass)));
        for (std::size_t j = 0; j < take; ++j)
            picked.push_back(members[j * n / take]);
    }
    std::sort(picked.begin(), picked.end());
    return picked;
}

Result<ImageStatsResult> computeImageStats(const std::vector<Sample> &samples, const std::vector<int> &labels,
                                           int numClasses, JobContext &context)
{
    ImageStatsResult result;
    result.perClass.assign(std::size_t(std::max(0, numClasses)), {});
    std::vector<double> colour(result.perClass.size(), 0.0);
    DecodedImage img;
    for (std::size_t i = 0; i < samples.size() && i < labels.size(); ++i) {
        if (context.isCancelled())
            return Result<ImageStatsResult>::cancelled();
        context.progress(double(i) / double(samples.size()), QStringLiteral("%1 of %2 images").arg(i).arg(samples.size()));
        const int k = labels[i];
        if (k < 0 || k >= numClasses)
            continue;
        ClassImageStats &s = result.perClass[std::size_t(k)];
        QString error;
        if (!loadSampleImage(samples[i], &img, &error, kMeasureMinSide) || img.width <= 0 || img.height <= 0
            || (img.channels != 1 && img.channels != 3)) {
            ++s.failed;
            if (result.firstError.isEmpty())
                result.firstError = error;
            continue;
        }
        const std::size_t pixels = std::size_t(img.width) * std::size_t(img.height);
        double sum = 0, sumSq = 0, chroma = 0;
        const std::uint8_t *p = img.pixels.data();
        for (std::size_t q = 0; q < pixels; ++q) {
            double grey;
            if (img.channels == 3) {
                const int r = p[3 * q], g = p[3 * q + 1], b = p[3 * q + 2];
                grey = 0.299 * r + 0.587 * g + 0.114 * b;
                chroma += std::abs(r - g) + std::abs(g - b);
            } else {
                grey = p[q];
            }
            sum += grey;
            sumSq += grey * grey;
        }
        const double mean = sum / double(pixels);
        const double var = std::max(0.0, sumSq / double(pixels) - mean * mean);
        ++s.images;
        s.meanWidth += img.sourceWidth();
        s.meanHeight += img.sourceHeight();
        s.meanBrightness += mean;
        s.meanContrast += std::sqrt(var);
        if (img.channels == 3 && chroma / double(pixels) > 4.0)
            colour[std::size_t(k)] += 1.0;
    }
    for (std::size_t k = 0; k < result.perClass.size(); ++k) {
        ClassImageStats &s = result.perClass[k];
        if (s.images == 0)
            continue;
        const double n = double(s.images);
        s.meanWidth /= n;
        s.meanHeight /= n;
        s.meanBrightness /= n;
        s.meanContrast /= n;
        s.colourShare = colour[k] / n;
    }
    return std::move(result);
}

} // namespace labelscope
