// Exact and near duplicates (core/health/duplicates.h) on constructed cases: an exact copy, a
// copy with one changed pixel, a JPEG re-encode, a shifted copy, a shifted crop of a larger
// picture, a noisy copy, among 300 Fashion-MNIST images; sets transitive and stable; exact
// copies inside near sets; any embedding as the candidate source; a colour variant of a picture
// is not its near duplicate, nor is the same layout with a small object of another colour.

#include "healthtestutil.h"
#include "health/duplicates.h"

#include <QtTest>

#include <algorithm>
#include <random>

using namespace labelscope;
using namespace healthtest;

namespace {

struct Corpus {
    std::vector<cv::Mat> images;
    std::vector<ImageFingerprint> fingerprints;
    std::vector<float> thumbnails;
    std::vector<std::uint8_t> eligible;

    int add(const cv::Mat &m)
    {
        images.push_back(m);
        return int(images.size()) - 1;
    }
    bool fingerprint()
    {
        fingerprints.assign(images.size(), {});
        thumbnails.assign(images.size() * kThumbnailDim, 0.0f);
        eligible.assign(images.size(), 0);
        for (std::size_t i = 0; i < images.size(); ++i) {
            if (!fingerprintImage(decoded(images[i]), &fingerprints[i], thumbnails.data() + i * kThumbnailDim))
                return false;
            eligible[i] = fingerprints[i].flat ? 0 : 1;
        }
        return true;
    }
    EmbeddingView view() const { return {thumbnails.data(), std::int64_t(images.size()), kThumbnailDim}; }
};

/// The set (index into SETS) holding sample I, or -1.
int setOf(const std::vector<DuplicateSet> &sets, int i)
{
    for (std::size_t s = 0; s < sets.size(); ++s)
        if (std::binary_search(sets[s].members.begin(), sets[s].members.end(), i))
            return int(s);
    return -1;
}

} // namespace

class TestHealthDuplicates final : public QObject
{
    Q_OBJECT

private:
    std::vector<cv::Mat> m_fashion;

private Q_SLOTS:
    void initTestCase()
    {
        m_fashion = fashionImages(300);
        if (m_fashion.size() < 300)
            QSKIP("Fashion-MNIST is not installed (/usr/share/datasets/fashion-mnist)");
    }

    void pixelHash()
    {
        const cv::Mat a = m_fashion[3];
        ImageFingerprint fa, fb, fc, fd;
        std::vector<float> t(kThumbnailDim);
        QVERIFY(fingerprintImage(decoded(a), &fa, t.data()));
        QVERIFY(fingerprintImage(decoded(a.clone()), &fb, t.data()));
        QVERIFY(fa.pixelHash == fb.pixelHash);
        cv::Mat changed = a.clone();
        changed.at<uchar>(14, 14) ^= 1; // one grey level in one pixel
        QVERIFY(fingerprintImage(decoded(changed), &fc, t.data()));
        QVERIFY(fa.pixelHash != fc.pixelHash);
        // The same picture stored as RGB with three equal channels hashes as grey.
        cv::Mat rgb;
        cv::cvtColor(a, rgb, cv::COLOR_GRAY2RGB);
        QVERIFY(fingerprintImage(decoded(rgb), &fd, t.data()));
        QVERIFY(fa.pixelHash == fd.pixelHash);
        // Same bytes, other shape: not the same image.
        ImageFingerprint fe;
        QVERIFY(fingerprintImage(decoded(a.reshape(1, 14)), &fe, t.data()));
        QVERIFY(fa.pixelHash != fe.pixelHash);
    }

    void alignedResidualOfCopies()
    {
        ImageFingerprint a, b;
        std::vector<float> t(kThumbnailDim);
        const cv::Mat img = m_fashion[7];
        QVERIFY(fingerprintImage(decoded(img), &a, t.data()));
        // A whole-pixel shift is found exactly: the overlaps are identical.
        QVERIFY(fingerprintImage(decoded(shifted(img, 2, -1)), &b, t.data()));
        QCOMPARE(alignedResidual(a, b, 2), 0.0);
        // Darker copy: gain and offset are fitted, so the residual is rounding only.
        cv::Mat darker;
        img.convertTo(darker, CV_8U, 0.5, 10);
        QVERIFY(fingerprintImage(decoded(darker), &b, t.data()));
        QVERIFY2(alignedResidual(a, b, 2) < 3.0, "gain/offset not fitted");
        // Another garment of the same class is far above the 32-level bound.
        QVERIFY(fingerprintImage(decoded(m_fashion[8]), &b, t.data()));
        QVERIFY(alignedResidual(a, b, 2) > 32.0);
    }

    void connectedSetsAreTransitiveAndStable()
    {
        std::vector<std::pair<int, int>> edges = {{5, 3}, {3, 9}, {1, 2}, {9, 7}, {12, 11}, {7, 5}};
        const std::vector<std::vector<int>> expected = {{1, 2}, {3, 5, 7, 9}, {11, 12}};
        QCOMPARE(connectedSets(13, edges), expected);
        std::mt19937 rng(4);
        for (int round = 0; round < 20; ++round) {
            std::shuffle(edges.begin(), edges.end(), rng);
            for (auto &e : edges)
                if (rng() % 2)
                    std::swap(e.first, e.second);
            QCOMPARE(connectedSets(13, edges), expected);
        }
        QVERIFY(connectedSets(4, {}).empty());
        QVERIFY(connectedSets(3, {{0, 7}, {-1, 2}}).empty()); // out-of-range edges are ignored
    }

    // With a compatibility test, an edge that would put two incompatible nodes in one set is
    // passed over, also when they would meet through a third node; the first edges win.
    void connectedSetsKeepIncompatibleNodesApart()
    {
        const auto apart = [](int x, int y) { return !((x == 0 && y == 2) || (x == 2 && y == 0)); };
        using Sets = std::vector<std::vector<int>>;
        QCOMPARE(connectedSets(4, {{0, 1}, {1, 2}, {2, 3}}, apart), (Sets{{0, 1}, {2, 3}}));
        QCOMPARE(connectedSets(4, {{2, 1}, {0, 1}, {2, 3}}, apart), (Sets{{1, 2, 3}}));
        QCOMPARE(connectedSets(4, {{0, 1}, {2, 3}, {3, 1}}, apart), (Sets{{0, 1}, {2, 3}}));
        QCOMPARE(connectedSets(4, {{0, 1}, {1, 2}, {2, 3}}), (Sets{{0, 1, 2, 3}})); // without the test
        QCOMPARE(connectedSets(4, {{0, 1}, {1, 3}, {3, 0}}, apart), (Sets{{0, 1, 3}}));
    }

    void constructedDuplicates()
    {
        Corpus c;
        for (const cv::Mat &m : m_fashion)
            c.add(m);
        cv::Mat onePixel = m_fashion[10].clone();
        onePixel.at<uchar>(5, 20) = uchar(255 - onePixel.at<uchar>(5, 20));
        const int pixel = c.add(onePixel);
        const int jpeg = c.add(jpegCopy(m_fashion[20], 60));
        const int shift = c.add(shifted(m_fashion[30], 2, -1));
        cv::Mat noisy, noise(28, 28, CV_32F), f;
        cv::theRNG().state = 7;
        cv::randn(noise, 0.0, 6.0);
        m_fashion[40].convertTo(f, CV_32F);
        cv::Mat(f + noise).convertTo(noisy, CV_8U);
        const int noise6 = c.add(noisy);
        const int exact = c.add(m_fashion[50].clone());
        // An exact copy and a JPEG copy of one image: one exact set, one near set of three.
        const int exact70 = c.add(m_fashion[70].clone());
        const int jpeg70 = c.add(jpegCopy(m_fashion[70], 80));
        // Two 64×64 crops of a larger colour picture (shapes on a gradient), 3 px right and 2 px
        // down of each other: a 3 px shift is within 5% of the 64 px side.
        cv::Mat scene(96, 96, CV_8UC3);
        for (int y = 0; y < 96; ++y)
            for (int x = 0; x < 96; ++x)
                scene.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(40 + x), uchar(60 + y / 2), uchar(90));
        cv::circle(scene, cv::Point(40, 45), 14, cv::Scalar(230, 40, 30), cv::FILLED, cv::LINE_AA);
        cv::rectangle(scene, cv::Rect(55, 20, 20, 35), cv::Scalar(20, 200, 60), cv::FILLED);
        cv::line(scene, cv::Point(15, 80), cv::Point(85, 60), cv::Scalar(250, 250, 250), 3, cv::LINE_AA);
        const int cropA = c.add(scene(cv::Rect(10, 10, 64, 64)).clone());
        const int cropB = c.add(scene(cv::Rect(13, 12, 64, 64)).clone());
        QVERIFY(c.fingerprint());
        const std::vector<std::uint8_t> measured(c.images.size(), 1);
        const std::vector<DuplicateSet> exactSets = exactDuplicateSets(c.fingerprints, measured);
        QCOMPARE(int(exactSets.size()), 2);
        QCOMPARE(exactSets[0].members, (std::vector<int>{50, exact}));
        QCOMPARE(exactSets[1].members, (std::vector<int>{70, exact70}));

        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("test"), &cancel);
        NearDuplicateOptions options;
        options.threads = 2;
        const Result<NearDuplicateResult> r = findNearDuplicates(c.view(), c.fingerprints, c.eligible, exactSets, options, context);
        QVERIFY2(r.ok(), qPrintable(r.error()));
        const std::vector<DuplicateSet> &sets = r->sets;
        for (const auto &[original, copy] : std::vector<std::pair<int, int>>{
                 {10, pixel}, {20, jpeg}, {30, shift}, {40, noise6}, {70, jpeg70}, {cropA, cropB}}) {
            const int s = setOf(sets, original);
            QVERIFY2(s >= 0 && s == setOf(sets, copy), qPrintable(QStringLiteral("%1 and %2 not in one set").arg(original).arg(copy)));
        }
        QCOMPARE(sets[std::size_t(setOf(sets, 70))].members, (std::vector<int>{70, exact70, jpeg70}));
        QCOMPARE(setOf(sets, 50), -1); // an exact pair alone is not a near set
        // Nothing else: the 300 garments are not near duplicates of each other.
        QCOMPARE(int(sets.size()), 6);
        for (std::size_t s = 1; s < sets.size(); ++s)
            QVERIFY(sets[s - 1].members.front() < sets[s].members.front());
        QCOMPARE(r->score[std::size_t(exact)], 0.0f); // Datalab: an exact copy scores 0
        QVERIFY(r->score[std::size_t(jpeg)] < 0.2f);
        QVERIFY(r->medianDistance > 0.0);

        // One worker gives the same sets.
        options.threads = 1;
        const Result<NearDuplicateResult> single = findNearDuplicates(c.view(), c.fingerprints, c.eligible, exactSets, options, context);
        QVERIFY(single.ok());
        QCOMPARE(int(single->sets.size()), int(sets.size()));
        for (std::size_t s = 0; s < sets.size(); ++s)
            QCOMPARE(single->sets[s].members, sets[s].members);
    }

    // Step 4: the same picture in other colours (its luma kept, its chroma mirrored) passes the
    // grey steps but is not a near duplicate; a JPEG copy of it is.
    void colourVariantsAreNotNearDuplicates()
    {
        cv::Mat scene(64, 64, CV_8UC3);
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x)
                scene.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(150 + x / 2), uchar(110 + y / 3), uchar(90)); // RGB
        cv::circle(scene, cv::Point(28, 30), 13, cv::Scalar(200, 70, 60), cv::FILLED, cv::LINE_AA);
        cv::rectangle(scene, cv::Rect(40, 12, 14, 26), cv::Scalar(70, 160, 90), cv::FILLED);
        // Luma kept, chroma mirrored about neutral (YCrCb: Cr, Cb → 256 − Cr, 256 − Cb).
        cv::Mat ycc, mirrored;
        cv::cvtColor(scene, ycc, cv::COLOR_RGB2YCrCb);
        std::vector<cv::Mat> planes;
        cv::split(ycc, planes);
        planes[1] = 256 - planes[1];
        planes[2] = 256 - planes[2];
        cv::merge(planes, ycc);
        cv::cvtColor(ycc, mirrored, cv::COLOR_YCrCb2RGB);
        cv::Mat grey;
        cv::cvtColor(scene, grey, cv::COLOR_RGB2GRAY);
        const cv::Mat copy = jpegCopyRgb(scene, 70);

        Corpus c{m_fashion}; // images: the Fashion-MNIST ones first
        const int original = c.add(scene), variant = c.add(mirrored), jpeg = c.add(copy);
        QVERIFY(c.fingerprint());
        ImageFingerprint greyCopy;
        std::vector<float> thumbnail(kThumbnailDim);
        QVERIFY(fingerprintImage(decoded(grey), &greyCopy, thumbnail.data()));
        const auto fp = [&](int i) { return c.fingerprints[std::size_t(i)]; };
        // The grey steps cannot tell the variant from the picture...
        QVERIFY2(alignedResidual(fp(original), fp(variant), 2, 0.9) < 8.0, qPrintable(QString::number(alignedResidual(fp(original), fp(variant), 2, 0.9))));
        QVERIFY(hammingDistance(fp(original).perceptualHash, fp(variant).perceptualHash) <= 14);
        // ...the colour balance can: far above the bound for the variant, well under it for the copy.
        QVERIFY2(chromaticityDistance(fp(original), fp(variant)) > 0.1, qPrintable(QString::number(chromaticityDistance(fp(original), fp(variant)))));
        QVERIFY2(chromaticityDistance(fp(original), fp(jpeg)) < 0.02, qPrintable(QString::number(chromaticityDistance(fp(original), fp(jpeg)))));
        QCOMPARE(chromaticityDistance(fp(original), greyCopy), 0.0); // a grey copy is left to steps 1–3

        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("test"), &cancel);
        NearDuplicateOptions options;
        options.threads = 2;
        const std::vector<std::uint8_t> measured(c.images.size(), 1);
        const Result<NearDuplicateResult> r =
            findNearDuplicates(c.view(), c.fingerprints, c.eligible, exactDuplicateSets(c.fingerprints, measured), options, context);
        QVERIFY2(r.ok(), qPrintable(r.error()));
        const int s = setOf(r->sets, original);
        QVERIFY(s >= 0);
        QCOMPARE(r->sets[std::size_t(s)].members, (std::vector<int>{original, jpeg}));
        QCOMPARE(setOf(r->sets, variant), -1);
        // Without step 4 (any distance allowed) the variant joins them: the test above is step 4's.
        options.maxChromaticityDistance = 10.0;
        options.maxForegroundChromaticityDistance = 10.0;
        const Result<NearDuplicateResult> loose =
            findNearDuplicates(c.view(), c.fingerprints, c.eligible, exactDuplicateSets(c.fingerprints, measured), options, context);
        QVERIFY(loose.ok());
        QCOMPARE(setOf(loose->sets, variant), setOf(loose->sets, original));

        // A grey copy matches the picture and the variant alike (same luma), but does not join
        // them into one set: it goes with one of them, and the two colours stay apart.
        options.maxChromaticityDistance = NearDuplicateOptions().maxChromaticityDistance;
        options.maxForegroundChromaticityDistance = NearDuplicateOptions().maxForegroundChromaticityDistance;
        const int greySample = c.add(grey);
        QVERIFY(c.fingerprint());
        QVERIFY2(alignedResidual(c.fingerprints[std::size_t(greySample)], fp(variant), 2, 0.9) < 8.0, "the grey copy should match the variant too");
        const std::vector<std::uint8_t> allMeasured(c.images.size(), 1);
        const Result<NearDuplicateResult> bridged =
            findNearDuplicates(c.view(), c.fingerprints, c.eligible, exactDuplicateSets(c.fingerprints, allMeasured), options, context);
        QVERIFY2(bridged.ok(), qPrintable(bridged.error()));
        const int withGrey = setOf(bridged->sets, greySample);
        QVERIFY(withGrey >= 0);
        QVERIFY(withGrey == setOf(bridged->sets, original) || withGrey == setOf(bridged->sets, variant));
        QVERIFY(setOf(bridged->sets, original) >= 0);
        QCOMPARE(setOf(bridged->sets, jpeg), setOf(bridged->sets, original));
        QVERIFY(setOf(bridged->sets, variant) != setOf(bridged->sets, original));
    }

    void objectOfAnotherColourIsNotANearDuplicate()
    {
        // Three small bars on one greyish background (a gradient and noise), blue in one picture
        // and brown of the same luma in the other: the grey steps see one picture, the whole
        // images' colour balance hardly differs (the bars cover 3% of it), the foregrounds' does.
        cv::Mat noise(64, 64, CV_16SC3);
        cv::randn(noise, 0, 3);
        cv::Mat background(64, 64, CV_16SC3);
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x)
                background.at<cv::Vec3s>(y, x) = cv::Vec3s(short(100 + x / 2), short(95 + x / 2), short(105 + y / 2));
        cv::add(background, noise, background);
        cv::Mat scene;
        background.convertTo(scene, CV_8UC3);
        cv::Mat brown = scene.clone();
        for (int bar = 0; bar < 3; ++bar) {
            const cv::Rect r(22 + 8 * bar, 27, 4, 10);
            scene(r).setTo(cv::Scalar(30, 50, 150)); // RGB, luma 56
            brown(r).setTo(cv::Scalar(95, 52, 0));   // RGB, luma 59
        }
        const cv::Mat copy = jpegCopyRgb(scene, 70);

        Corpus c{m_fashion}; // images: the Fashion-MNIST ones first
        const int blue = c.add(scene), other = c.add(brown), jpeg = c.add(copy);
        QVERIFY(c.fingerprint());
        const auto fp = [&](int i) { return c.fingerprints[std::size_t(i)]; };
        const NearDuplicateOptions defaults;
        QVERIFY(alignedResidual(fp(blue), fp(other), 2, 0.9) < 8.0);
        QVERIFY(chromaticityDistance(fp(blue), fp(other)) <= defaults.maxChromaticityDistance);
        QVERIFY2(foregroundChromaticityDistance(fp(blue), fp(other)) > 2 * defaults.maxForegroundChromaticityDistance,
                 qPrintable(QString::number(foregroundChromaticityDistance(fp(blue), fp(other)))));
        // The JPEG's 2×2 chroma subsampling mixes the 4-px bars with the background: .14 here, under the bound.
        QVERIFY2(foregroundChromaticityDistance(fp(blue), fp(jpeg)) < defaults.maxForegroundChromaticityDistance,
                 qPrintable(QString::number(foregroundChromaticityDistance(fp(blue), fp(jpeg)))));

        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("test"), &cancel);
        NearDuplicateOptions options;
        options.threads = 2;
        const std::vector<std::uint8_t> measured(c.images.size(), 1);
        const auto find = [&] {
            return findNearDuplicates(c.view(), c.fingerprints, c.eligible, exactDuplicateSets(c.fingerprints, measured),
                                      options, context);
        };
        const Result<NearDuplicateResult> r = find();
        QVERIFY2(r.ok(), qPrintable(r.error()));
        QVERIFY(setOf(r->sets, blue) >= 0);
        QCOMPARE(r->sets[std::size_t(setOf(r->sets, blue))].members, (std::vector<int>{blue, jpeg}));
        QCOMPARE(setOf(r->sets, other), -1);
        // Without the foreground test the brown bars join the blue ones.
        options.maxForegroundChromaticityDistance = 10.0;
        const Result<NearDuplicateResult> loose = find();
        QVERIFY(loose.ok());
        QVERIFY(setOf(loose->sets, other) >= 0);
        QCOMPARE(setOf(loose->sets, other), setOf(loose->sets, blue));
    }

    void anyEmbeddingDrivesTheCandidates()
    {
        Corpus c;
        for (int i = 0; i < 100; ++i)
            c.add(m_fashion[std::size_t(i)]);
        const int jpeg = c.add(jpegCopy(m_fashion[5], 70));
        QVERIFY(c.fingerprint());
        const int n = int(c.images.size());
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("test"), &cancel);
        // A 3-column embedding where the copy sits on its original: found.
        std::vector<float> e(std::size_t(n) * 3);
        for (int i = 0; i < n; ++i) {
            e[std::size_t(i) * 3] = std::cos(0.06f * float(i));
            e[std::size_t(i) * 3 + 1] = std::sin(0.06f * float(i));
            e[std::size_t(i) * 3 + 2] = 0.1f;
        }
        std::copy_n(e.begin() + 5 * 3, 3, e.begin() + std::ptrdiff_t(jpeg) * 3);
        Result<NearDuplicateResult> r = findNearDuplicates({e.data(), n, 3}, c.fingerprints, c.eligible, {}, {}, context);
        QVERIFY(r.ok());
        QCOMPARE(int(r->sets.size()), 1);
        QCOMPARE(r->sets[0].members, (std::vector<int>{5, jpeg}));
        // The copy placed far from its original: not a candidate, not found.
        e[std::size_t(jpeg) * 3] = -e[5 * 3];
        e[std::size_t(jpeg) * 3 + 1] = -e[5 * 3 + 1];
        r = findNearDuplicates({e.data(), n, 3}, c.fingerprints, c.eligible, {}, {}, context);
        QVERIFY(r.ok());
        QCOMPARE(setOf(r->sets, jpeg), -1);
        // Shapes must agree.
        r = findNearDuplicates({e.data(), n - 1, 3}, c.fingerprints, c.eligible, {}, {}, context);
        QVERIFY(!r.ok() && r.error().contains(QLatin1String("embedding rows")));
    }

    void flatImagesTakeNoPart()
    {
        Corpus c;
        for (int i = 0; i < 50; ++i)
            c.add(m_fashion[std::size_t(i)]);
        const int black = c.add(cv::Mat(28, 28, CV_8U, cv::Scalar(0)));
        const int grey = c.add(cv::Mat(28, 28, CV_8U, cv::Scalar(128)));
        QVERIFY(c.fingerprint());
        QVERIFY(c.fingerprints[std::size_t(black)].flat && c.fingerprints[std::size_t(grey)].flat);
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("test"), &cancel);
        const Result<NearDuplicateResult> r = findNearDuplicates(c.view(), c.fingerprints, c.eligible, {}, {}, context);
        QVERIFY(r.ok());
        QCOMPARE(setOf(r->sets, black), -1);
        QCOMPARE(r->score[std::size_t(black)], 1.0f);
    }

    void cancelled()
    {
        Corpus c;
        for (const cv::Mat &m : m_fashion)
            c.add(m);
        QVERIFY(c.fingerprint());
        std::atomic_bool cancel{true};
        JobContext context(QStringLiteral("test"), &cancel);
        const Result<NearDuplicateResult> r = findNearDuplicates(c.view(), c.fingerprints, c.eligible, {}, {}, context);
        QVERIFY(!r.ok() && r.isCancelled());
    }
};

QTEST_GUILESS_MAIN(TestHealthDuplicates)
#include "tst_healthduplicates.moc"
