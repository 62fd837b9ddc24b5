#include "imageproperties.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <exception>

namespace labelscope {

namespace {

constexpr int kBlurMaxSide = 64; // CleanVision's MAX_RESOLUTION_FOR_BLURRY_DETECTION

/// np.percentile (linear interpolation between the closest ranks) of the values a histogram
/// counts, bin b standing for the value b / (bins − 1).
double histogramPercentile(const std::vector<std::uint64_t> &hist, std::uint64_t total, double percent)
{
    if (total == 0)
        return 0.0;
    const double rank = percent / 100.0 * double(total - 1);
    const auto lo = std::uint64_t(std::floor(rank)), hi = std::uint64_t(std::ceil(rank));
    auto valueAt = [&](std::uint64_t r) {
        std::uint64_t seen = 0;
        for (std::size_t b = 0; b < hist.size(); ++b) {
            seen += hist[b];
            if (seen > r)
                return double(b) / double(hist.size() - 1);
        }
        return 1.0;
    };
    const double vlo = valueAt(lo), vhi = hi == lo ? vlo : valueAt(hi);
    return vlo + (vhi - vlo) * (rank - double(lo));
}

/// np.percentile of VALUES (copied; linear interpolation).
double percentile(std::vector<double> values, double percent)
{
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const double rank = percent / 100.0 * double(values.size() - 1);
    const auto lo = std::size_t(std::floor(rank)), hi = std::size_t(std::ceil(rank));
    return values[lo] + (values[hi] - values[lo]) * (rank - double(lo));
}

double median(std::vector<double> values)
{
    return percentile(std::move(values), 50.0);
}

} // namespace

bool measureImage(const DecodedImage &image, ImageMeasures *out)
{
    if (image.width <= 0 || image.height <= 0 || (image.channels != 1 && image.channels != 3)
        || image.pixels.size() != std::size_t(image.width) * std::size_t(image.height) * std::size_t(image.channels))
        return false;
    try {
        ImageMeasures m;
        m.width = image.sourceWidth(); // the image's own size, also when decoded reduced
        m.height = image.sourceHeight();
        m.channels = image.channels;
        const cv::Mat pixels(image.height, image.width, image.channels == 1 ? CV_8UC1 : CV_8UC3,
                             const_cast<std::uint8_t *>(image.pixels.data()));
        cv::Mat grey;
        const std::size_t count = std::size_t(image.width) * std::size_t(image.height);

        // Brightness percentiles: exact grey levels, or colour brightness in 1/1023 steps.
        std::vector<std::uint64_t> brightness(image.channels == 1 ? 256 : 1024, 0);
        if (image.channels == 1) {
            grey = pixels;
            for (std::size_t i = 0; i < count; ++i)
                ++brightness[image.pixels[i]];
        } else {
            cv::cvtColor(pixels, grey, cv::COLOR_RGB2GRAY);
            const std::uint8_t *p = image.pixels.data();
            double chroma = 0.0;
            for (std::size_t i = 0; i < count; ++i, p += 3) {
                const double r = p[0], g = p[1], b = p[2];
                const double v = std::sqrt(0.241 * r * r + 0.691 * g * g + 0.068 * b * b) / 255.0;
                ++brightness[std::size_t(std::lround(std::min(1.0, v) * 1023.0))];
                chroma += std::abs(p[0] - p[1]) + std::abs(p[1] - p[2]);
            }
            m.chroma = float(chroma / double(count));
        }
        m.brightnessP99 = float(histogramPercentile(brightness, count, 99.0));
        m.brightnessP5 = float(histogramPercentile(brightness, count, 5.0));

        std::vector<std::uint64_t> levels(256, 0);
        if (!grey.isContinuous())
            grey = grey.clone();
        for (std::size_t i = 0; i < count; ++i)
            ++levels[grey.data[i]];
        double entropy = 0.0;
        for (const std::uint64_t c : levels) {
            if (c == 0)
                continue;
            const double p = double(c) / double(count);
            entropy -= p * std::log2(p);
        }
        m.entropy = float(entropy);

        cv::Mat small = grey;
        const int longer = std::max(grey.cols, grey.rows);
        if (longer > kBlurMaxSide) {
            const double ratio = double(longer) / kBlurMaxSide;
            cv::resize(grey, small, cv::Size(std::max(1, int(grey.cols / ratio)), std::max(1, int(grey.rows / ratio))), 0, 0,
                       cv::INTER_AREA);
        }
        // Contrast and the 3×3 8-neighbour Laplacian (edges replicated), in plain loops: on
        // small images OpenCV's temporaries cost more than the arithmetic.
        if (!small.isContinuous())
            small = small.clone();
        const int w = small.cols, h = small.rows;
        double sum = 0.0, sumSq = 0.0;
        for (int i = 0; i < w * h; ++i) {
            sum += small.data[i];
            sumSq += double(small.data[i]) * small.data[i];
        }
        const double pixelsSmall = double(w) * double(h);
        const double mean = sum / pixelsSmall;
        const double sd = std::sqrt(std::max(0.0, sumSq / pixelsSmall - mean * mean));
        m.contrast = float(sd);
        if (sd >= 1.0) {
            double lSum = 0.0, lSq = 0.0;
            for (int y = 0; y < h; ++y) {
                const std::uint8_t *rows[3] = {small.ptr<std::uint8_t>(std::max(0, y - 1)), small.ptr<std::uint8_t>(y),
                                               small.ptr<std::uint8_t>(std::min(h - 1, y + 1))};
                for (int x = 0; x < w; ++x) {
                    const int xl = std::max(0, x - 1), xr = std::min(w - 1, x + 1);
                    int neighbours = 0;
                    for (const std::uint8_t *r : rows)
                        neighbours += r[xl] + r[x] + r[xr];
                    const double lap = 9.0 * rows[1][x] - neighbours; // 8·centre − the 8 neighbours
                    lSum += lap;
                    lSq += lap * lap;
                }
            }
            const double lMean = lSum / pixelsSmall;
            m.sharpness = float(std::sqrt(std::max(0.0, lSq / pixelsSmall - lMean * lMean)) / sd);
        }
        *out = m;
        return true;
    } catch (...) {
        return false; // cv::Exception or bad_alloc: the caller lists the image as skipped
    }
}

void scoreImageProperties(const std::vector<ImageMeasures> &measures, const std::vector<std::uint8_t> &measured,
                          const ImagePropertyOptions &options, HealthReport *report)
{
    const std::size_t n = measures.size();
    auto &dark = report->column(IssueType::Dark);
    auto &light = report->column(IssueType::Light);
    auto &lowInfo = report->column(IssueType::LowInformation);
    auto &blurry = report->column(IssueType::Blurry);
    auto &aspect = report->column(IssueType::OddAspectRatio);
    auto &size = report->column(IssueType::OddSize);
    auto &grayscale = report->column(IssueType::Grayscale);
    dark.reset(n, options.darkThreshold);
    light.reset(n, options.lightThreshold);
    lowInfo.reset(n, options.lowInformationThreshold);
    blurry.reset(n, options.blurryThreshold);
    aspect.reset(n, options.oddAspectRatioThreshold);
    grayscale.reset(n, options.grayscaleThreshold);

    std::vector<double> sharpness, entropy, area;
    std::size_t count = 0, grey = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!measured[i])
            continue;
        const ImageMeasures &m = measures[i];
        ++count;
        if (m.sharpness >= 0.0f)
            sharpness.push_back(m.sharpness);
        entropy.push_back(m.entropy);
        area.push_back(std::sqrt(double(m.width)) * std::sqrt(double(m.height)));
        if (std::min(1.0, m.chroma / 4.0) < options.grayscaleThreshold)
            ++grey;
    }
    HealthStatistics &stats = report->statistics;
    stats.medianSharpness = median(sharpness);
    stats.medianEntropy = median(entropy);
    stats.grayscaleShare = count ? double(grey) / double(count) : 0.0;
    const double entropyRef = std::max(1.0, stats.medianEntropy);

    // odd_size: CleanVision's SizeProperty (IQR fences; threshold 0.5, or 1.0 when all sizes agree).
    const double q1 = percentile(area, 25.0), q3 = percentile(area, 75.0);
    const double lo = q1 - options.oddSizeIqrFactor * (q3 - q1), hi = q3 + options.oddSizeIqrFactor * (q3 - q1);
    const double mid = (lo + hi) / 2.0, gap = hi - lo;
    const double sizeNorm = gap > 0.0 ? gap : std::max(mid, 1e-9);
    size.reset(n, gap > 0.0 ? 0.5 : 1.0);
    stats.sizeLow = lo;
    stats.sizeHigh = hi;
    const bool flagGrey = stats.grayscaleShare < options.grayscaleMaxShare;

    auto set = [](IssueColumn &column, std::size_t i, double score) {
        column.score[i] = float(std::clamp(score, 0.0, 1.0));
        column.flag[i] = column.score[i] < column.threshold ? 1 : 0;
    };
    for (std::size_t i = 0; i < n; ++i) {
        if (!measured[i])
            continue;
        const ImageMeasures &m = measures[i];
        set(dark, i, m.brightnessP99);
        set(light, i, 1.0 - m.brightnessP5);
        set(lowInfo, i, m.entropy / entropyRef);
        set(blurry, i, m.sharpness < 0.0f || stats.medianSharpness <= 0.0 ? 1.0 : m.sharpness / stats.medianSharpness);
        set(aspect, i, std::min(double(m.width) / m.height, double(m.height) / m.width));
        const double a = std::sqrt(double(m.width)) * std::sqrt(double(m.height));
        set(size, i, 1.0 - std::clamp(std::abs(a - mid) / sizeNorm, 0.0, 1.0));
        grayscale.score[i] = float(std::min(1.0, m.chroma / 4.0));
        grayscale.flag[i] = flagGrey && grayscale.score[i] < grayscale.threshold ? 1 : 0;
    }
}

} // namespace labelscope
