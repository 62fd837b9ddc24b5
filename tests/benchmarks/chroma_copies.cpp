// The colour bounds of the near-duplicate check (core/health/duplicates.h step 4; RESULTS.md
// "Session 19", "Session 20", "Session 21"), measured with the check's own fingerprints
// (fingerprintImage): the whole image's chromaticity distance and the foreground's, for
//  - the colour pairs in NEARSETS (one set a line, tab-separated image paths: the sets
//    `labelscope check` found; pairs with a grey image counted apart), and how many pass each
//    bound;
//  - planted copies (noise σ 8, a crop of 5% a side, JPEG at quality 50, a gain of .6, half
//    size, the crop saved as JPEG at quality 70) of the first 400 colour images among those sets
//    and IMAGES, or with --smooth N of N generated pictures of another kind: a smooth random
//    colour field with a few ellipses of random colour and noise, no plain background.
//
//   build/tests/chroma_copies NEARSETS.txt [IMAGES...]
//   build/tests/chroma_copies --smooth N
#include "health/duplicates.h"

#include <opencv2/opencv.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

using namespace labelscope;

namespace {

ImageFingerprint fingerprint(const cv::Mat &bgr)
{
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    DecodedImage image;
    image.width = rgb.cols;
    image.height = rgb.rows;
    image.channels = 3;
    image.pixels.assign(rgb.data, rgb.data + rgb.total() * 3);
    ImageFingerprint fp;
    std::vector<float> thumbnail(kThumbnailDim);
    fingerprintImage(image, &fp, thumbnail.data());
    return fp;
}
std::pair<double, double> dist(const cv::Mat &a, const cv::Mat &b)
{
    const ImageFingerprint x = fingerprint(a), y = fingerprint(b);
    return {chromaticityDistance(x, y), foregroundChromaticityDistance(x, y)};
}
bool grey(const cv::Mat &m) { std::vector<cv::Mat> c; cv::split(m, c); return cv::countNonZero(c[0] != c[1]) == 0 && cv::countNonZero(c[1] != c[2]) == 0; }
cv::Mat jpeg(const cv::Mat &m, int q) { std::vector<uchar> buf; cv::imencode(".jpg", m, buf, {cv::IMWRITE_JPEG_QUALITY, q}); return cv::imdecode(buf, cv::IMREAD_COLOR); }
cv::Mat smoothPicture(std::mt19937 &rng)
{
    std::uniform_int_distribution<int> side(64, 220), level(0, 255);
    cv::Mat field(4, 4, CV_8UC3);
    for (int i = 0; i < 16; ++i) field.at<cv::Vec3b>(i / 4, i % 4) = cv::Vec3b(level(rng), level(rng), level(rng));
    cv::Mat out;
    cv::resize(field, out, {side(rng), side(rng)}, 0, 0, cv::INTER_CUBIC);
    for (int e = 0; e < 4; ++e) {
        std::uniform_int_distribution<int> cx(0, out.cols - 1), cy(0, out.rows - 1), r(4, std::max(5, out.cols / 4));
        cv::ellipse(out, {cx(rng), cy(rng)}, {r(rng), r(rng)}, level(rng), 0, 360, cv::Scalar(level(rng), level(rng), level(rng)), cv::FILLED);
    }
    cv::Mat n(out.size(), CV_16SC3), o16;
    cv::randn(n, 0, 6);
    out.convertTo(o16, CV_16SC3);
    cv::add(o16, n, o16);
    o16.convertTo(out, CV_8UC3);
    return out;
}
double q(std::vector<double> v, double f) { std::sort(v.begin(), v.end()); return v.empty() ? 0.0 : v[std::min(v.size() - 1, size_t(f * v.size()))]; }
double maxOf(const std::vector<double> &v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) { std::fprintf(stderr, "usage: chroma_copies NEARSETS.txt [IMAGES...] | --smooth N\n"); return 2; }
    const NearDuplicateOptions bounds;
    std::vector<cv::Mat> originals;
    std::mt19937 rng(1);
    if (std::strcmp(argv[1], "--smooth") == 0) {
        for (int i = 0, n = argc > 2 ? std::atoi(argv[2]) : 400; i < n; ++i) originals.push_back(smoothPicture(rng));
    } else {
        std::ifstream in(argv[1]);
        std::string line;
        std::vector<std::string> all;
        std::vector<double> whole, fore;
        int greyPairs = 0, passWhole = 0, passBoth = 0;
        while (std::getline(in, line)) {
            std::stringstream ss(line); std::string p; std::vector<std::string> ps;
            while (std::getline(ss, p, '\t')) ps.push_back(p);
            for (size_t i = 1; i < ps.size(); ++i) {
                const cv::Mat a = cv::imread(ps[0], cv::IMREAD_COLOR), b = cv::imread(ps[i], cv::IMREAD_COLOR);
                if (a.empty() || b.empty()) continue;
                if (grey(a) || grey(b)) { ++greyPairs; continue; }
                const auto [w, f] = dist(a, b);
                whole.push_back(w); fore.push_back(f);
                passWhole += w <= bounds.maxChromaticityDistance;
                passBoth += w <= bounds.maxChromaticityDistance && f <= bounds.maxForegroundChromaticityDistance;
            }
            all.insert(all.end(), ps.begin(), ps.end());
        }
        std::printf("flagged colour pairs %zu (grey involved %d): whole p10 %.4f p50 %.4f; foreground p10 %.4f p50 %.4f; "
                    "within the whole bound %.2f: %d, and the foreground bound %.2f: %d\n", whole.size(), greyPairs,
                    q(whole, .1), q(whole, .5), q(fore, .1), q(fore, .5), bounds.maxChromaticityDistance, passWhole,
                    bounds.maxForegroundChromaticityDistance, passBoth);
        std::sort(fore.begin(), fore.end());
        std::printf("foreground distances of the flagged pairs:");
        for (const double f : fore)
            std::printf(" %.3f", f);
        std::printf("\n");
        for (int k = 2; k < argc; ++k) all.push_back(argv[k]);
        for (size_t i = 0; i < all.size() && originals.size() < 400; ++i) {
            cv::Mat full = cv::imread(all[i], cv::IMREAD_COLOR);
            if (!full.empty() && !grey(full)) originals.push_back(full);
        }
    }
    const char *names[] = {"noise 8", "crop 5%", "jpeg 50", "gain .6", "half size", "crop 5% + jpeg 70"};
    std::vector<double> whole[6], fore[6];
    for (const cv::Mat &full : originals) {
        cv::Mat n(full.size(), CV_16SC3), f16, noisy;
        cv::randn(n, 0, 8);
        full.convertTo(f16, CV_16SC3);
        cv::add(f16, n, f16);
        f16.convertTo(noisy, CV_8UC3);
        const int dx = std::max(1, full.cols / 20), dy = std::max(1, full.rows / 20);
        const cv::Mat crop = full(cv::Rect(dx, dy, full.cols - 2 * dx, full.rows - 2 * dy)).clone();
        cv::Mat dark, half;
        full.convertTo(dark, -1, 0.6, 0);
        cv::resize(full, half, {}, 0.5, 0.5, cv::INTER_AREA);
        const cv::Mat copies[6] = {noisy, crop, jpeg(full, 50), dark, half, jpeg(crop, 70)};
        for (int k = 0; k < 6; ++k) {
            const auto [w, f] = dist(full, copies[k]);
            whole[k].push_back(w);
            fore[k].push_back(f);
        }
    }
    std::printf("copies of %zu colour pictures:\n", originals.size());
    for (int k = 0; k < 6; ++k)
        std::printf("  %-18s whole p50 %.4f p99 %.4f max %.4f | foreground p50 %.4f p99 %.4f max %.4f\n", names[k],
                    q(whole[k], .5), q(whole[k], .99), maxOf(whole[k]), q(fore[k], .5), q(fore[k], .99), maxOf(fore[k]));
}
