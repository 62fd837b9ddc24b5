#include "duplicates.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QThread>

#include <opencv2/core.hpp>
#include <opencv2/img_hash.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <bitset>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <thread>

namespace labelscope {

namespace {

constexpr int kCompareMaxSide = 64;
constexpr int kCentredSide = 32;
constexpr double kForegroundMargin = 16.0; // grey levels above the background that count as object

/// The grey image reduced (INTER_AREA) so that its longer side is at most MAXSIDE.
cv::Mat reduced(const cv::Mat &grey, int maxSide)
{
    const int longer = std::max(grey.cols, grey.rows);
    if (longer <= maxSide)
        return grey;
    const double ratio = double(longer) / maxSide;
    cv::Mat out;
    cv::resize(grey, out, cv::Size(std::max(1, int(grey.cols / ratio)), std::max(1, int(grey.rows / ratio))), 0, 0,
               cv::INTER_AREA);
    return out;
}

/// The median of channel C of IMAGE's border pixels (element type T, any channel count).
template <typename T>
double borderMedian(const cv::Mat &image, int c)
{
    const int w = image.cols, h = image.rows, channels = image.channels();
    const auto at = [&](int y, int x) { return float(image.ptr<T>(y)[x * channels + c]); };
    thread_local std::vector<float> border;
    border.clear();
    for (int x = 0; x < w; ++x) {
        border.push_back(at(0, x));
        border.push_back(at(h - 1, x));
    }
    for (int y = 1; y < h - 1; ++y) {
        border.push_back(at(y, 0));
        border.push_back(at(y, w - 1));
    }
    std::nth_element(border.begin(), border.begin() + std::ptrdiff_t(border.size() / 2), border.end());
    return border[border.size() / 2];
}

/// The centroid of IMAGE's (float) foreground: pixels more than kForegroundMargin grey levels
/// from the background (the border's median), weighted by that excess. False when there is no
/// foreground. (Plain loops: this runs twice per image on tiny images, where OpenCV's
/// temporaries cost more than the arithmetic.)
bool foregroundCentroid(const cv::Mat &image, double *cx, double *cy, double *background)
{
    const int w = image.cols, h = image.rows;
    *background = borderMedian<float>(image, 0);
    double m00 = 0.0, m10 = 0.0, m01 = 0.0;
    for (int y = 0; y < h; ++y) {
        const float *row = image.ptr<float>(y);
        for (int x = 0; x < w; ++x) {
            const double weight = std::abs(row[x] - *background) - kForegroundMargin;
            if (weight > 0.0) {
                m00 += weight;
                m10 += weight * x;
                m01 += weight * y;
            }
        }
    }
    if (m00 <= 1e-6)
        return false;
    *cx = m10 / m00;
    *cy = m01 / m00;
    return true;
}

/// Sets FP's foreground chromaticity from RGB (uint8, 3 channels): the chromaticity of the mean
/// colour of the pixels unlike the border, each weighted by how far (L1 over R, G, B) it lies
/// from the border's median colour beyond 3 × kForegroundMargin levels. A small object's colour
/// barely moves the whole image's mean, so three blue bars and three yellow ones on two greyish
/// backgrounds had the same colour balance; their foregrounds do not. No such pixel: the
/// whole image's chromaticity.
void setForegroundChromaticity(const cv::Mat &rgb, ImageFingerprint *fp)
{
    fp->foregroundR = fp->chromaR;
    fp->foregroundG = fp->chromaG;
    const int w = rgb.cols, h = rgb.rows;
    if (w < 3 || h < 3)
        return;
    const double background[3] = {borderMedian<std::uint8_t>(rgb, 0), borderMedian<std::uint8_t>(rgb, 1),
                                  borderMedian<std::uint8_t>(rgb, 2)};
    double sum[3] = {0.0, 0.0, 0.0}, weights = 0.0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const cv::Vec3b p = rgb.at<cv::Vec3b>(y, x);
            const double weight = std::abs(p[0] - background[0]) + std::abs(p[1] - background[1])
                                  + std::abs(p[2] - background[2]) - 3.0 * kForegroundMargin;
            if (weight <= 0.0)
                continue;
            for (int c = 0; c < 3; ++c)
                sum[c] += weight * p[c];
            weights += weight;
        }
    const double total = sum[0] + sum[1] + sum[2];
    if (weights <= 0.0 || total <= 0.0)
        return;
    fp->foregroundR = float(sum[0] / total);
    fp->foregroundG = float(sum[1] / total);
}

/// IMAGE (float) translated so that the centroid of its foreground lies at the centre, by
/// bilinear interpolation with the background outside: a copy shifted by a few pixels maps onto
/// nearly the same thumbnail and pHash. (A plain loop: cv::warpAffine's dispatch costs more than
/// the 32×32 interpolation.)
cv::Mat centred(const cv::Mat &image)
{
    double cx = 0, cy = 0, background = 0;
    if (!foregroundCentroid(image, &cx, &cy, &background))
        return image;
    const int w = image.cols, h = image.rows;
    const double tx = (w - 1) / 2.0 - cx, ty = (h - 1) / 2.0 - cy;
    cv::Mat out(h, w, CV_32F);
    const float bg = float(background);
    auto at = [&](int x, int y) { return x < 0 || y < 0 || x >= w || y >= h ? bg : image.at<float>(y, x); };
    // One translation for every pixel: the same integer offset and the same weights.
    const int ix = int(std::floor(-tx)), iy = int(std::floor(-ty));
    const float fx = float(-tx - ix), fy = float(-ty - iy);
    for (int y = 0; y < h; ++y) {
        float *row = out.ptr<float>(y);
        for (int x = 0; x < w; ++x) {
            const float top = at(x + ix, y + iy) * (1 - fx) + at(x + ix + 1, y + iy) * fx;
            const float bottom = at(x + ix, y + iy + 1) * (1 - fx) + at(x + ix + 1, y + iy + 1) * fx;
            row[x] = top * (1 - fy) + bottom * fy;
        }
    }
    return out;
}

struct DisjointSets {
    std::vector<int> parent;
    explicit DisjointSets(int n) : parent(std::size_t(n)) { std::iota(parent.begin(), parent.end(), 0); }
    int find(int x)
    {
        while (parent[std::size_t(x)] != x) {
            parent[std::size_t(x)] = parent[std::size_t(parent[std::size_t(x)])];
            x = parent[std::size_t(x)];
        }
        return x;
    }
    void unite(int a, int b)
    {
        a = find(a);
        b = find(b);
        if (a != b)
            parent[std::size_t(std::max(a, b))] = std::min(a, b); // the smaller index is the root
    }
};

struct BestShift {
    int dx = 0, dy = 0;
    double correlation = -2.0; ///< -2: no shift left an overlap of 2×2 pixels
};

/// The shift among SHIFTS whose overlaps of A and B (a(x) against b(x − d)) correlate best; ties
/// go to the smaller (dy, dx). The sums of a, a², b, b² over any overlap come from integral
/// images; only the cross term is summed per shift (integers: exact).
BestShift bestShift(const cv::Mat &ma, const cv::Mat &mb, const std::vector<std::pair<int, int>> &shifts)
{
    const int w = ma.cols, h = ma.rows;
    thread_local std::vector<std::int32_t> ia, iaa, ib, ibb;
    auto integral = [](const cv::Mat &m, std::vector<std::int32_t> &sum, std::vector<std::int32_t> &sq) {
        const int iw = m.cols + 1;
        sum.assign(std::size_t(iw) * std::size_t(m.rows + 1), 0);
        sq.assign(sum.size(), 0);
        for (int y = 0; y < m.rows; ++y) {
            const std::uint8_t *p = m.ptr<std::uint8_t>(y);
            std::int32_t row = 0, rowSq = 0;
            for (int x = 0; x < m.cols; ++x) {
                row += p[x];
                rowSq += std::int32_t(p[x]) * p[x];
                sum[std::size_t(y + 1) * iw + std::size_t(x + 1)] = sum[std::size_t(y) * iw + std::size_t(x + 1)] + row;
                sq[std::size_t(y + 1) * iw + std::size_t(x + 1)] = sq[std::size_t(y) * iw + std::size_t(x + 1)] + rowSq;
            }
        }
    };
    integral(ma, ia, iaa);
    integral(mb, ib, ibb);
    auto rect = [w](const std::vector<std::int32_t> &s, int x0, int y0, int x1, int y1) {
        const std::size_t iw = std::size_t(w + 1);
        return double(s[std::size_t(y1) * iw + std::size_t(x1)]) - s[std::size_t(y0) * iw + std::size_t(x1)]
               - s[std::size_t(y1) * iw + std::size_t(x0)] + s[std::size_t(y0) * iw + std::size_t(x0)];
    };
    BestShift best;
    for (const auto &[dx, dy] : shifts) {
        const int x0 = std::max(0, dx), x1 = std::min(w, w + dx), y0 = std::max(0, dy), y1 = std::min(h, h + dy);
        if (x1 - x0 < 2 || y1 - y0 < 2)
            continue;
        std::int64_t sab = 0;
        for (int y = y0; y < y1; ++y) {
            const std::uint8_t *pa = ma.ptr<std::uint8_t>(y) + x0;
            const std::uint8_t *pb = mb.ptr<std::uint8_t>(y - dy) + (x0 - dx);
            std::int32_t row = 0; // at most 64 products of 255²: no overflow
            for (int x = 0; x < x1 - x0; ++x)
                row += std::int32_t(pa[x]) * std::int32_t(pb[x]);
            sab += row;
        }
        const double sa = rect(ia, x0, y0, x1, y1), saa = rect(iaa, x0, y0, x1, y1);
        const double sb = rect(ib, x0 - dx, y0 - dy, x1 - dx, y1 - dy), sbb = rect(ibb, x0 - dx, y0 - dy, x1 - dx, y1 - dy);
        const double count = double(x1 - x0) * double(y1 - y0);
        const double va = saa - sa * sa / count, vb = sbb - sb * sb / count;
        const double cab = double(sab) - sa * sb / count;
        const double corr = va > 0.0 && vb > 0.0 ? cab / std::sqrt(va * vb) : (va == 0.0 && vb == 0.0 ? 1.0 : 0.0);
        if (corr > best.correlation + 1e-12
            || (corr > best.correlation - 1e-12 && std::pair{dy, dx} < std::pair{best.dy, best.dx})) {
            best.correlation = std::max(best.correlation, corr);
            best.dx = dx;
            best.dy = dy;
        }
    }
    return best;
}

} // namespace

bool fingerprintImage(const DecodedImage &image, ImageFingerprint *fingerprint, float *thumbnail)
{
    if (image.width <= 0 || image.height <= 0 || (image.channels != 1 && image.channels != 3)
        || image.pixels.size() != std::size_t(image.width) * std::size_t(image.height) * std::size_t(image.channels))
        return false;
    try {
        ImageFingerprint fp;
        const cv::Mat pixels(image.height, image.width, image.channels == 1 ? CV_8UC1 : CV_8UC3,
                             const_cast<std::uint8_t *>(image.pixels.data()));
        cv::Mat grey;
        bool greyInRgb = false;
        if (image.channels == 3) {
            cv::cvtColor(pixels, grey, cv::COLOR_RGB2GRAY);
            greyInRgb = true;
            const std::uint8_t *p = image.pixels.data();
            for (std::size_t i = 0, n = image.pixels.size(); i < n && greyInRgb; i += 3)
                greyInRgb = p[i] == p[i + 1] && p[i + 1] == p[i + 2];
        } else {
            grey = pixels;
        }
        if (!grey.isContinuous())
            grey = grey.clone();
        if (image.channels == 3 && !greyInRgb) {
            const cv::Scalar m = cv::mean(pixels); // R̄, Ḡ, B̄
            const double sum = m[0] + m[1] + m[2];
            fp.colour = true;
            if (sum > 0) {
                fp.chromaR = float(m[0] / sum);
                fp.chromaG = float(m[1] / sum);
            }
            setForegroundChromaticity(reduced(pixels, kCompareMaxSide), &fp);
        }

        QCryptographicHash hash(QCryptographicHash::Blake2b_160);
        const int channels = greyInRgb ? 1 : image.channels;
        QByteArray header = QByteArray::number(image.width) + 'x' + QByteArray::number(image.height) + 'x'
                            + QByteArray::number(channels) + ':';
        if (image.fullWidth > 0) // decoded reduced: equal only to the same reduction of the same size
            header += "of " + QByteArray::number(image.fullWidth) + 'x' + QByteArray::number(image.fullHeight) + ':';
        hash.addData(header);
        if (greyInRgb)
            hash.addData(QByteArrayView(reinterpret_cast<const char *>(grey.data), qsizetype(grey.total())));
        else
            hash.addData(QByteArrayView(reinterpret_cast<const char *>(image.pixels.data()), qsizetype(image.pixels.size())));
        const QByteArray digest = hash.result();
        std::copy_n(reinterpret_cast<const std::uint8_t *>(digest.constData()),
                    std::min<qsizetype>(digest.size(), qsizetype(fp.pixelHash.size())), fp.pixelHash.begin());

        cv::Mat compare = reduced(grey, kCompareMaxSide);
        if (!compare.isContinuous())
            compare = compare.clone();
        fp.compareWidth = compare.cols;
        fp.compareHeight = compare.rows;
        fp.compare.assign(compare.data, compare.data + compare.total());
        cv::Scalar mean, sd;
        cv::meanStdDev(compare, mean, sd);
        fp.flat = sd[0] < 1.0;

        cv::Mat square, f;
        cv::resize(compare, square, cv::Size(kCentredSide, kCentredSide), 0, 0, cv::INTER_AREA);
        square.convertTo(f, CV_32F);
        const cv::Mat c = centred(f);
        cv::Mat c8;
        c.convertTo(c8, CV_8U);
        cv::Mat phash;
        thread_local const cv::Ptr<cv::img_hash::PHash> hasher = cv::img_hash::PHash::create();
        hasher->compute(c8, phash);
        for (int i = 0; i < 8 && i < int(phash.total()); ++i)
            fp.perceptualHash |= std::uint64_t(phash.data[i]) << (8 * i);

        cv::Mat t;
        cv::resize(c, t, cv::Size(kThumbnailSide, kThumbnailSide), 0, 0, cv::INTER_AREA);
        t -= cv::mean(t)[0];
        const double norm = cv::norm(t);
        for (int i = 0; i < kThumbnailDim; ++i)
            thumbnail[i] = fp.flat || norm <= 1e-6 ? 0.0f : float(t.at<float>(i / kThumbnailSide, i % kThumbnailSide) / norm);
        *fingerprint = std::move(fp);
        return true;
    } catch (...) {
        return false;
    }
}

namespace {

/// L1 distance of two chromaticities given by their R and G parts: the three sum to 1, so the
/// blue one's difference is −(ΔR + ΔG).
double chromaticityL1(float r1, float g1, float r2, float g2)
{
    const double dr = double(r1) - double(r2), dg = double(g1) - double(g2);
    return std::abs(dr) + std::abs(dg) + std::abs(dr + dg);
}

} // namespace

double foregroundChromaticityDistance(const ImageFingerprint &a, const ImageFingerprint &b)
{
    return a.colour && b.colour ? chromaticityL1(a.foregroundR, a.foregroundG, b.foregroundR, b.foregroundG) : 0.0;
}

double chromaticityDistance(const ImageFingerprint &a, const ImageFingerprint &b)
{
    return a.colour && b.colour ? chromaticityL1(a.chromaR, a.chromaG, b.chromaR, b.chromaG) : 0.0;
}

int hammingDistance(std::uint64_t a, std::uint64_t b)
{
    return int(std::bitset<64>(a ^ b).count());
}

double alignedResidual(const ImageFingerprint &a, const ImageFingerprint &b, int maxShift, double minCorrelation)
{
    constexpr double kFail = 255.0;
    if (a.compare.empty() || b.compare.empty())
        return kFail;
    cv::Mat ma(a.compareHeight, a.compareWidth, CV_8U, const_cast<std::uint8_t *>(a.compare.data()));
    cv::Mat mb(b.compareHeight, b.compareWidth, CV_8U, const_cast<std::uint8_t *>(b.compare.data()));
    try {
        if (ma.size() != mb.size()) {
            cv::Mat resized;
            if (ma.total() > mb.total()) {
                cv::resize(ma, resized, mb.size(), 0, 0, cv::INTER_AREA);
                ma = resized;
            } else {
                cv::resize(mb, resized, ma.size(), 0, 0, cv::INTER_AREA);
                mb = resized;
            }
        }
    } catch (...) {
        return kFail;
    }
    const int w = ma.cols, h = ma.rows;
    const int s = std::max({0, maxShift, int(std::lround(0.05 * std::max(w, h)))});
    // Coarse to fine: every shift within ±ceil(s/2) at half size, then the 3×3 around twice the
    // best one at full size (18 products of overlaps instead of 25 on 28 px, 25 instead of 49 on
    // 64 px); images under 16 px try every shift within ±s.
    std::vector<std::pair<int, int>> shifts;
    auto addRange = [&](int cx, int cy, int radius, int limit) {
        for (int dy = cy - radius; dy <= cy + radius; ++dy)
            for (int dx = cx - radius; dx <= cx + radius; ++dx)
                if (std::abs(dx) <= limit && std::abs(dy) <= limit)
                    shifts.emplace_back(dx, dy);
    };
    if (std::min(w, h) >= 16) {
        // Half size by 2×2 means (a trailing odd row or column is dropped).
        thread_local std::vector<std::uint8_t> halfA, halfB;
        auto halve = [&](const cv::Mat &m, std::vector<std::uint8_t> &buffer) {
            buffer.resize(std::size_t(w / 2) * std::size_t(h / 2));
            for (int y = 0; y < h / 2; ++y) {
                const std::uint8_t *r0 = m.ptr<std::uint8_t>(2 * y), *r1 = m.ptr<std::uint8_t>(2 * y + 1);
                for (int x = 0; x < w / 2; ++x)
                    buffer[std::size_t(y) * std::size_t(w / 2) + std::size_t(x)] =
                        std::uint8_t((r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1] + 2) / 4);
            }
            return cv::Mat(h / 2, w / 2, CV_8U, buffer.data());
        };
        const cv::Mat ha = halve(ma, halfA), hb = halve(mb, halfB);
        const int hs = (s + 1) / 2;
        addRange(0, 0, hs, hs);
        const BestShift coarse = bestShift(ha, hb, shifts);
        shifts.clear();
        addRange(2 * coarse.dx, 2 * coarse.dy, 1, s);
    } else {
        addRange(0, 0, s, s);
    }
    const BestShift best = bestShift(ma, mb, shifts);
    const double bestCorr = best.correlation;
    const int bestX = best.dx, bestY = best.dy;
    if (bestCorr < minCorrelation)
        return kFail;
    const int x0 = std::max(0, bestX), x1 = std::min(w, w + bestX), y0 = std::max(0, bestY), y1 = std::min(h, h + bestY);
    const int ow = x1 - x0, oh = y1 - y0;
    if (ow * oh < 4)
        return kFail;
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (int y = y0; y < y1; ++y) {
        const std::uint8_t *pa = ma.ptr<std::uint8_t>(y) + x0;
        const std::uint8_t *pb = mb.ptr<std::uint8_t>(y - bestY) + (x0 - bestX);
        for (int x = 0; x < ow; ++x) {
            sa += pa[x];
            sb += pb[x];
            saa += double(pa[x]) * pa[x];
            sbb += double(pb[x]) * pb[x];
            sab += double(pa[x]) * pb[x];
        }
    }
    const double count = double(ow) * double(oh);
    const double meanA = sa / count, meanB = sb / count;
    const double varA = saa / count - meanA * meanA, varB = sbb / count - meanB * meanB;
    const double cov = sab / count - meanA * meanB;
    // Each overlap fitted to the other by gain and offset (least squares), |target − fit|
    // averaged over 3×3 windows (edges replicated); the larger of the two directions, so that a
    // dark copy of a bright image is measured in the bright image's grey levels, not squeezed
    // into its own small range.
    thread_local std::vector<float> diff, across;
    diff.resize(std::size_t(ow) * std::size_t(oh));
    across.resize(diff.size());
    auto residual = [&](bool aIsTarget) {
        const double gain = aIsTarget ? (varB > 1e-9 ? cov / varB : 0.0) : (varA > 1e-9 ? cov / varA : 0.0);
        const double targetMean = aIsTarget ? meanA : meanB, sourceMean = aIsTarget ? meanB : meanA;
        for (int y = 0; y < oh; ++y) {
            const std::uint8_t *pa = ma.ptr<std::uint8_t>(y + y0) + x0;
            const std::uint8_t *pb = mb.ptr<std::uint8_t>(y + y0 - bestY) + (x0 - bestX);
            const std::uint8_t *target = aIsTarget ? pa : pb, *source = aIsTarget ? pb : pa;
            float *row = diff.data() + std::size_t(y) * std::size_t(ow);
            for (int x = 0; x < ow; ++x)
                row[x] = float(std::abs(target[x] - (gain * (source[x] - sourceMean) + targetMean)));
        }
        // 3×3 window sums, separably: along rows, then down columns (edges replicated).
        for (int y = 0; y < oh; ++y) {
            float *row = diff.data() + std::size_t(y) * std::size_t(ow);
            float *out = across.data() + std::size_t(y) * std::size_t(ow);
            for (int x = 0; x < ow; ++x)
                out[x] = row[std::max(0, x - 1)] + row[x] + row[std::min(ow - 1, x + 1)];
        }
        float worst = 0.0f;
        for (int y = 0; y < oh; ++y) {
            const float *up = across.data() + std::size_t(std::max(0, y - 1)) * std::size_t(ow);
            const float *mid = across.data() + std::size_t(y) * std::size_t(ow);
            const float *down = across.data() + std::size_t(std::min(oh - 1, y + 1)) * std::size_t(ow);
            for (int x = 0; x < ow; ++x)
                worst = std::max(worst, up[x] + mid[x] + down[x]);
        }
        return double(worst) / 9.0;
    };
    return std::max(residual(true), residual(false));
}

std::vector<std::vector<int>> connectedSets(int n, const std::vector<std::pair<int, int>> &pairs,
                                           const std::function<bool(int, int)> &compatible)
{
    DisjointSets sets(std::max(0, n));
    // With COMPATIBLE, each root's members, to test a merge against (without it, none are kept).
    std::map<int, std::vector<int>> membersOf;
    for (const auto &[a, b] : pairs) {
        if (a < 0 || b < 0 || a >= n || b >= n)
            continue;
        const int ra = sets.find(a), rb = sets.find(b);
        if (ra == rb)
            continue;
        if (compatible) {
            std::vector<int> &ma = membersOf[ra], &mb = membersOf[rb];
            if (ma.empty())
                ma.push_back(ra);
            if (mb.empty())
                mb.push_back(rb);
            const bool ok = std::all_of(ma.begin(), ma.end(), [&](int x) {
                return std::all_of(mb.begin(), mb.end(), [&](int y) { return compatible(x, y); });
            });
            if (!ok)
                continue;
            std::vector<int> merged = std::move(ma);
            merged.insert(merged.end(), mb.begin(), mb.end());
            membersOf.erase(ra);
            membersOf.erase(rb);
            sets.unite(ra, rb);
            membersOf[sets.find(ra)] = std::move(merged);
        } else {
            sets.unite(ra, rb);
        }
    }
    std::map<int, std::vector<int>> byRoot; // roots are the smallest members: ordered output
    for (int i = 0; i < n; ++i)
        byRoot[sets.find(i)].push_back(i);
    std::vector<std::vector<int>> out;
    for (auto &[root, members] : byRoot)
        if (members.size() >= 2)
            out.push_back(std::move(members));
    return out;
}

std::vector<DuplicateSet> exactDuplicateSets(const std::vector<ImageFingerprint> &fingerprints,
                                             const std::vector<std::uint8_t> &measured)
{
    std::map<std::array<std::uint8_t, 20>, std::vector<int>> byHash;
    for (std::size_t i = 0; i < fingerprints.size(); ++i)
        if (i < measured.size() && measured[i])
            byHash[fingerprints[i].pixelHash].push_back(int(i));
    std::vector<DuplicateSet> out;
    for (auto &[hash, members] : byHash)
        if (members.size() >= 2)
            out.push_back({std::move(members), false});
    std::sort(out.begin(), out.end(),
              [](const DuplicateSet &a, const DuplicateSet &b) { return a.members.front() < b.members.front(); });
    return out;
}

Result<NearDuplicateResult> findNearDuplicates(const EmbeddingView &embedding,
                                               const std::vector<ImageFingerprint> &fingerprints,
                                               const std::vector<std::uint8_t> &eligible,
                                               const std::vector<DuplicateSet> &exactSets,
                                               const NearDuplicateOptions &options, JobContext &context)
{
    using R = Result<NearDuplicateResult>;
    const int n = int(fingerprints.size());
    if (embedding.rows != n || int(eligible.size()) != n)
        return R::failure(QStringLiteral("near duplicates: %1 embedding rows and %2 eligibility flags for %3 images")
                              .arg(embedding.rows).arg(eligible.size()).arg(n));
    NearDuplicateResult result;
    result.score.assign(std::size_t(n), 1.0f);
    std::vector<int> representative(static_cast<std::size_t>(n));
    std::iota(representative.begin(), representative.end(), 0);
    std::vector<const DuplicateSet *> exactOf(static_cast<std::size_t>(n), nullptr);
    for (const DuplicateSet &set : exactSets)
        for (const int m : set.members)
            if (m >= 0 && m < n) {
                representative[std::size_t(m)] = set.members.front();
                exactOf[std::size_t(m)] = &set;
            }
    std::vector<int> rows;
    for (int i = 0; i < n; ++i)
        if (eligible[std::size_t(i)] && representative[std::size_t(i)] == i)
            rows.push_back(i);
    if (rows.size() < 2)
        return R(std::move(result));

    QElapsedTimer clock;
    clock.start();
    const int k = std::max(1, std::min(options.k, int(rows.size()) - 1));
    // The search reports into the first half of the caller's stage, the confirmation the second.
    JobContext search(context.jobName(), &context.cancelFlag(),
                      [&context](const JobProgress &p) { context.progress(0.5 * p.fraction, p.detail); });
    Result<KnnGraph> knn = cosineKnn(embedding, &rows, k, options.knn, search);
    if (!knn)
        return R::from(knn);
    const KnnGraph &g = knn.value();
    result.searchSeconds = double(clock.restart()) / 1000.0;
    std::vector<double> nearest;
    for (std::size_t r = 0; r < rows.size(); ++r)
        if (g.ids[r * std::size_t(k)] >= 0)
            nearest.push_back(g.distance[r * std::size_t(k)]);
    std::vector<double> sorted = nearest;
    std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(sorted.size() / 2), sorted.end());
    result.medianDistance = std::max(sorted.empty() ? 0.0 : sorted[sorted.size() / 2], 1e-12);
    result.candidateDistance = options.candidateFactor * result.medianDistance;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const double d = g.ids[r * std::size_t(k)] >= 0 ? g.distance[r * std::size_t(k)] : 2.0;
        result.score[std::size_t(rows[r])] = d < 1e-7 ? 0.0f : float(1.0 - std::exp(-d / result.medianDistance));
    }
    for (int i = 0; i < n; ++i) // an exact copy has a neighbour at distance 0 (Datalab: score 0)
        if (eligible[std::size_t(i)] && exactOf[std::size_t(i)])
            result.score[std::size_t(i)] = 0.0f;

    std::vector<std::pair<int, int>> candidates;
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (int j = 0; j < k; ++j) {
            const std::int64_t other = g.ids[r * std::size_t(k) + std::size_t(j)];
            if (other >= 0 && g.distance[r * std::size_t(k) + std::size_t(j)] < result.candidateDistance)
                candidates.emplace_back(std::min(int(r), int(other)), std::max(int(r), int(other)));
        }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    result.candidatePairs = std::int64_t(candidates.size());

    // Confirmation on worker threads (each pair independent; the result does not depend on
    // the thread count). Cancel is polled per 256 pairs.
    std::vector<std::uint8_t> verdict(candidates.size(), 0); // 1 pHash passed, 2 confirmed
    std::vector<double> residualOf(candidates.size(), 0.0);  // step 3's residual of a confirmed pair
    // Step 4: the whole images' colour balance and their foregrounds'.
    const auto sameColourBalance = [&](const ImageFingerprint &a, const ImageFingerprint &b) {
        return chromaticityDistance(a, b) <= options.maxChromaticityDistance
               && foregroundChromaticityDistance(a, b) <= options.maxForegroundChromaticityDistance;
    };
    std::atomic<std::size_t> next{0};
    auto work = [&]() {
        constexpr std::size_t chunk = 256;
        for (;;) {
            const std::size_t begin = next.fetch_add(chunk);
            if (begin >= candidates.size() || context.isCancelled())
                return;
            for (std::size_t c = begin; c < std::min(candidates.size(), begin + chunk); ++c) {
                const ImageFingerprint &a = fingerprints[std::size_t(rows[std::size_t(candidates[c].first)])];
                const ImageFingerprint &b = fingerprints[std::size_t(rows[std::size_t(candidates[c].second)])];
                if (hammingDistance(a.perceptualHash, b.perceptualHash) > options.hammingRadius)
                    continue;
                // Step 4 (two numbers) before step 3 (a search over shifts): the same verdict, less work.
                verdict[c] = 1;
                if (sameColourBalance(a, b)) {
                    residualOf[c] = alignedResidual(a, b, options.maxShift, options.minCorrelation);
                    if (residualOf[c] <= options.maxResidual)
                        verdict[c] = 2;
                }
            }
            const std::size_t finished = std::min(candidates.size(), begin + chunk);
            context.progress(0.5 + 0.5 * double(finished) / double(candidates.size()),
                             QStringLiteral("%1 of %2 candidate pairs").arg(finished).arg(candidates.size()));
        }
    };
    const int threads = std::max(1, options.threads > 0 ? options.threads : QThread::idealThreadCount());
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t)
        workers.emplace_back(work);
    work();
    for (std::thread &w : workers)
        w.join();
    if (context.isCancelled())
        return R::cancelled();
    std::vector<std::size_t> confirmedAt;
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        result.hashPassed += verdict[c] ? 1 : 0;
        if (verdict[c] == 2)
            confirmedAt.push_back(c);
    }
    // The closest pairs join first (ties in candidate order: the same sets for any thread count).
    std::stable_sort(confirmedAt.begin(), confirmedAt.end(),
                     [&](std::size_t x, std::size_t y) { return residualOf[x] < residualOf[y]; });
    std::vector<std::pair<int, int>> confirmed;
    for (const std::size_t c : confirmedAt)
        confirmed.push_back(candidates[c]);
    result.confirmedPairs = std::int64_t(confirmed.size());
    result.confirmSeconds = double(clock.elapsed()) / 1000.0;

    // A set never holds two colour images of different colour balance, even through a grey
    // image that matches both (step 4 holds inside a set, not only along its pairs).
    const auto compatible = [&](int x, int y) {
        return sameColourBalance(fingerprints[std::size_t(rows[std::size_t(x)])],
                                 fingerprints[std::size_t(rows[std::size_t(y)])]);
    };
    const bool anyColour = std::any_of(rows.begin(), rows.end(),
                                       [&](int r) { return fingerprints[std::size_t(r)].colour; });
    for (const std::vector<int> &component :
         connectedSets(int(rows.size()), confirmed, anyColour ? std::function<bool(int, int)>(compatible) : nullptr)) {
        DuplicateSet set;
        for (const int r : component) {
            const int sample = rows[std::size_t(r)];
            if (const DuplicateSet *exact = exactOf[std::size_t(sample)])
                set.members.insert(set.members.end(), exact->members.begin(), exact->members.end());
            else
                set.members.push_back(sample);
        }
        std::sort(set.members.begin(), set.members.end());
        result.sets.push_back(std::move(set));
    }
    std::sort(result.sets.begin(), result.sets.end(),
              [](const DuplicateSet &a, const DuplicateSet &b) { return a.members.front() < b.members.front(); });
    return R(std::move(result));
}

} // namespace labelscope
