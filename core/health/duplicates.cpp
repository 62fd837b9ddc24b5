#include "duplicates.h"

#include <QCryptographicHash>

#include <opencv2/core.hpp>
#include <opencv2/img_hash.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <bitset>
#include <cmath>
#include <map>
#include <numeric>

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

/// IMAGE (float, square) translated so that the centroid of its foreground lies at the centre:
/// a copy shifted by a few pixels maps onto nearly the same thumbnail and pHash.
cv::Mat centred(const cv::Mat &image)
{
    std::vector<float> border;
    const int w = image.cols, h = image.rows;
    for (int x = 0; x < w; ++x) {
        border.push_back(image.at<float>(0, x));
        border.push_back(image.at<float>(h - 1, x));
    }
    for (int y = 1; y < h - 1; ++y) {
        border.push_back(image.at<float>(y, 0));
        border.push_back(image.at<float>(y, w - 1));
    }
    std::nth_element(border.begin(), border.begin() + std::ptrdiff_t(border.size() / 2), border.end());
    const double background = border[border.size() / 2];
    cv::Mat weight = cv::abs(image - background) - kForegroundMargin;
    weight = cv::max(weight, 0.0);
    const cv::Moments m = cv::moments(weight);
    if (m.m00 <= 1e-6)
        return image;
    const double tx = (w - 1) / 2.0 - m.m10 / m.m00, ty = (h - 1) / 2.0 - m.m01 / m.m00;
    const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, tx, 0, 1, ty);
    cv::Mat out;
    cv::warpAffine(image, out, shift, image.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(background));
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

        QCryptographicHash hash(QCryptographicHash::Blake2b_160);
        const int channels = greyInRgb ? 1 : image.channels;
        const QByteArray header = QByteArray::number(image.width) + 'x' + QByteArray::number(image.height) + 'x'
                                  + QByteArray::number(channels) + ':';
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
        cv::img_hash::pHash(c8, phash);
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

int hammingDistance(std::uint64_t a, std::uint64_t b)
{
    return int(std::bitset<64>(a ^ b).count());
}

double alignedResidual(const ImageFingerprint &a, const ImageFingerprint &b, int maxShift)
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
    const int s = std::max(0, maxShift);
    // Best shift by the correlation of the overlaps (integer sums: exact and vectorised).
    double bestCorr = -2.0;
    int bestX = 0, bestY = 0;
    for (int dy = -s; dy <= s; ++dy) {
        for (int dx = -s; dx <= s; ++dx) {
            const int x0 = std::max(0, dx), x1 = std::min(w, w + dx), y0 = std::max(0, dy), y1 = std::min(h, h + dy);
            if (x1 - x0 < 2 || y1 - y0 < 2)
                continue;
            std::int64_t sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
            for (int y = y0; y < y1; ++y) {
                const std::uint8_t *pa = ma.ptr<std::uint8_t>(y) + x0;
                const std::uint8_t *pb = mb.ptr<std::uint8_t>(y - dy) + (x0 - dx);
                std::int32_t ra = 0, rb = 0, raa = 0, rbb = 0, rab = 0; // one row: no overflow
                for (int x = 0; x < x1 - x0; ++x) {
                    const std::int32_t va = pa[x], vb = pb[x];
                    ra += va;
                    rb += vb;
                    raa += va * va;
                    rbb += vb * vb;
                    rab += va * vb;
                }
                sa += ra;
                sb += rb;
                saa += raa;
                sbb += rbb;
                sab += rab;
            }
            const double count = double(x1 - x0) * double(y1 - y0);
            const double va = double(saa) - double(sa) * double(sa) / count;
            const double vb = double(sbb) - double(sb) * double(sb) / count;
            const double cab = double(sab) - double(sa) * double(sb) / count;
            const double corr = va > 0.0 && vb > 0.0 ? cab / std::sqrt(va * vb) : (va == 0.0 && vb == 0.0 ? 1.0 : 0.0);
            if (corr > bestCorr + 1e-12) {
                bestCorr = corr;
                bestX = dx;
                bestY = dy;
            }
        }
    }
    if (bestCorr < -1.5)
        return kFail;
    const int x0 = std::max(0, bestX), x1 = std::min(w, w + bestX), y0 = std::max(0, bestY), y1 = std::min(h, h + bestY);
    const int ow = x1 - x0, oh = y1 - y0;
    if (ow * oh < 4)
        return kFail;
    // Gain and offset of b fitted to a over the overlap (least squares), then 3×3 window means.
    double sa = 0, sb = 0, sbb = 0, sab = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
            const double va = ma.at<std::uint8_t>(y, x), vb = mb.at<std::uint8_t>(y - bestY, x - bestX);
            sa += va;
            sb += vb;
            sbb += vb * vb;
            sab += va * vb;
        }
    const double count = double(ow) * double(oh);
    const double varB = sbb - sb * sb / count;
    const double gain = varB > 1e-9 ? (sab - sa * sb / count) / varB : 0.0;
    const double offset = (sa - gain * sb) / count;
    cv::Mat diff(oh, ow, CV_32F);
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x)
            diff.at<float>(y, x) = float(std::abs(ma.at<std::uint8_t>(y + y0, x + x0)
                                                  - (gain * mb.at<std::uint8_t>(y + y0 - bestY, x + x0 - bestX) + offset)));
    cv::Mat windows;
    cv::blur(diff, windows, cv::Size(std::min(3, ow), std::min(3, oh)), cv::Point(-1, -1), cv::BORDER_REPLICATE);
    double maxValue = 0.0;
    cv::minMaxLoc(windows, nullptr, &maxValue);
    return maxValue;
}

std::vector<std::vector<int>> connectedSets(int n, const std::vector<std::pair<int, int>> &pairs)
{
    DisjointSets sets(std::max(0, n));
    for (const auto &[a, b] : pairs)
        if (a >= 0 && b >= 0 && a < n && b < n)
            sets.unite(a, b);
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

    const int k = std::max(1, std::min(options.k, int(rows.size()) - 1));
    Result<KnnGraph> knn = cosineKnn(embedding, &rows, k, options.knn, context);
    if (!knn)
        return R::from(knn);
    const KnnGraph &g = knn.value();
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

    std::vector<std::pair<int, int>> confirmed;
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        if (c % 1024 == 0 && context.isCancelled())
            return R::cancelled();
        const ImageFingerprint &a = fingerprints[std::size_t(rows[std::size_t(candidates[c].first)])];
        const ImageFingerprint &b = fingerprints[std::size_t(rows[std::size_t(candidates[c].second)])];
        if (hammingDistance(a.perceptualHash, b.perceptualHash) > options.hammingRadius)
            continue;
        ++result.hashPassed;
        if (alignedResidual(a, b, options.maxShift) <= options.maxResidual)
            confirmed.push_back(candidates[c]);
    }
    result.confirmedPairs = std::int64_t(confirmed.size());

    for (const std::vector<int> &component : connectedSets(int(rows.size()), confirmed)) {
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
