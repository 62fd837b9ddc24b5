// Camera-sized photos (RESULTS.md, session 22): a large JPEG decoded reduced (decodeImageFile's
// minSide) and upright (its EXIF orientation applied), HEIC as iPhones save it (libheif; its
// rotation applied), an ImageFolder read on several threads into the same dataset as on one, and
// the health checks on reduced JPEGs (the images' own sizes; exact duplicates across formats).

#include "datasetfixture.h"
#include "heicwriter.h"
#include "health/healthchecks.h"

#include <QTemporaryDir>
#include <QTest>


#include <algorithm>
#include <atomic>
#include <random>
#include <set>

using namespace labelscope;
using namespace labelscope::testing;

namespace {

/// A photo-like BGR picture: a smooth background, a red disc in the upper-left quadrant, a blue
/// bar along the bottom, and sensor-like noise (σ 6 grey levels).
cv::Mat photo(int w, int h, unsigned seed)
{
    cv::Mat img(h, w, CV_8UC3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(60 + 80 * x / w), uchar(90 + 60 * y / h), uchar(70 + (seed * 37) % 60));
    cv::circle(img, cv::Point(w / 4, h / 4), std::min(w, h) / 6, cv::Scalar(30, 30, 220), -1);
    cv::rectangle(img, cv::Point(w / 10, h * 8 / 10), cv::Point(w * 9 / 10, h * 9 / 10), cv::Scalar(200, 60, 40), -1);
    cv::Mat noise(h, w, CV_8UC3);
    cv::theRNG().state = seed;
    cv::randn(noise, 0, 6);
    img += noise; // saturating: the noise's positive half (enough for a JPEG that looks taken)
    return img;
}

/// JPEG bytes of UPRIGHT stored turned 90° anticlockwise, with the EXIF orientation 6 that turns
/// it back (a minimal APP1 segment after SOI: big-endian TIFF header, one IFD entry 0x0112 = 6).
QByteArray jpegOnItsSide(const cv::Mat &upright)
{
    cv::Mat stored;
    cv::rotate(upright, stored, cv::ROTATE_90_COUNTERCLOCKWISE);
    QByteArray jpeg = encode(stored, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
    const char app1[] = {'\xFF', '\xE1', 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,
                         0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00,
                         0x00, 0x00, 0x00, 0x00};
    jpeg.insert(2, QByteArray(app1, sizeof app1));
    return jpeg;
}

cv::Mat asMat(const DecodedImage &d)
{
    return cv::Mat(d.height, d.width, d.channels == 1 ? CV_8UC1 : CV_8UC3, const_cast<std::uint8_t *>(d.pixels.data())).clone();
}

/// Mean of channel C (RGB order) over the rectangle (fractions of the image's width and height).
double regionMean(const DecodedImage &d, int c, double x0, double y0, double x1, double y1)
{
    const cv::Mat m = asMat(d);
    const cv::Rect r(int(x0 * m.cols), int(y0 * m.rows), int((x1 - x0) * m.cols), int((y1 - y0) * m.rows));
    return cv::mean(m(r))[c];
}

} // namespace

class TestPhotos final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reducedDecodeIsUprightAndClose();
    void onlyLargeJpegsAreReduced();
    void heicIsReadUpright();
    void loadingOnThreadsGivesTheSameDataset();
    void healthOnReducedJpegs();
};

void TestPhotos::reducedDecodeIsUprightAndClose()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const cv::Mat upright = photo(1600, 1000, 3);
    const QString plain = dir.filePath(QStringLiteral("plain.jpg")), turned = dir.filePath(QStringLiteral("turned.jpg"));
    QVERIFY(writeFile(plain, encode(upright, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90})));
    QVERIFY(writeFile(turned, jpegOnItsSide(upright)));
    for (const QString &file : {plain, turned}) {
        // minSide → the decoded size: 1/8 while both sides stay >= minSide, then 1/4, then whole.
        const struct { int minSide, width, height; } cases[] = {{0, 1600, 1000}, {100, 200, 125}, {125, 200, 125},
                                                                {126, 400, 250}, {300, 800, 500}, {501, 1600, 1000}};
        DecodedImage whole;
        QString error;
        QVERIFY2(decodeImageFile(file, 40000000, &whole, &error), qPrintable(error));
        for (const auto &c : cases) {
            DecodedImage img;
            QVERIFY2(decodeImageFile(file, 40000000, &img, &error, c.minSide), qPrintable(error));
            const QString what = QStringLiteral("%1 at minSide %2: %3x%4").arg(file).arg(c.minSide).arg(img.width).arg(img.height);
            QVERIFY2(img.width == c.width && img.height == c.height && img.channels == 3, qPrintable(what));
            QCOMPARE(img.sourceWidth(), 1600); // the image's own size, upright
            QCOMPARE(img.sourceHeight(), 1000);
            QCOMPARE(img.fullWidth > 0, c.width < 1600);
            // Upright: the red disc is in the upper left, the blue bar at the bottom.
            QVERIFY2(regionMean(img, 0, 0.2, 0.2, 0.3, 0.3) > 180 && regionMean(img, 2, 0.2, 0.2, 0.3, 0.3) < 90, qPrintable(what));
            QVERIFY2(regionMean(img, 2, 0.2, 0.82, 0.8, 0.88) > 150, qPrintable(what));
            // At the training resolution the reduced decode is the whole one's within rounding:
            // at 1/8 libjpeg's scaled IDCT gives each 8×8 block's mean (its DC coefficient), which
            // INTER_AREA also averages. The bound (1 grey level on average) leaves a margin over
            // the .16 at most this picture measures (chroma upsampling and rounding differ).
            cv::Mat a, b;
            cv::resize(asMat(whole), a, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
            cv::resize(asMat(img), b, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
            cv::Mat diff;
            cv::absdiff(a, b, diff);
            const cv::Scalar m = cv::mean(diff);
            const double meanDiff = (m[0] + m[1] + m[2]) / 3.0;
            QVERIFY2(meanDiff < 1.0, qPrintable(QStringLiteral("%1: mean difference %2").arg(what).arg(meanDiff)));
        }
    }
}

void TestPhotos::onlyLargeJpegsAreReduced()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    cv::Mat grey;
    cv::cvtColor(photo(1200, 900, 5), grey, cv::COLOR_BGR2GRAY);
    const QString greyJpeg = dir.filePath(QStringLiteral("grey.jpg")), png = dir.filePath(QStringLiteral("photo.png")),
                  small = dir.filePath(QStringLiteral("small.jpg"));
    QVERIFY(writeFile(greyJpeg, encode(grey, ".jpg")));
    QVERIFY(writeFile(png, encode(photo(1200, 900, 6), ".png")));
    QVERIFY(writeFile(small, encode(photo(120, 90, 7), ".jpg")));
    DecodedImage img;
    QString error;
    QVERIFY2(decodeImageFile(greyJpeg, 40000000, &img, &error, 64), qPrintable(error));
    QCOMPARE(img.channels, 1); // grey stays grey when reduced
    QCOMPARE(img.width, 150);
    QCOMPARE(img.height, 113); // 900 / 8 rounded up
    QCOMPARE(img.sourceHeight(), 900);
    QVERIFY2(decodeImageFile(png, 40000000, &img, &error, 64), qPrintable(error));
    QCOMPARE(img.width, 1200); // only JPEG has a reduced decode
    QCOMPARE(img.fullWidth, 0);
    QVERIFY2(decodeImageFile(small, 40000000, &img, &error, 64), qPrintable(error));
    QCOMPARE(img.width, 120); // 120 / 2 < 64: whole
    QCOMPARE(img.fullWidth, 0);
    // A reused DecodedImage does not keep an earlier reduced size.
    QVERIFY2(decodeImageFile(greyJpeg, 40000000, &img, &error, 64), qPrintable(error));
    QVERIFY2(decodeImageFile(png, 40000000, &img, &error, 0), qPrintable(error));
    QCOMPARE(img.sourceWidth(), 1200);
    QCOMPARE(img.fullHeight, 0);
}

void TestPhotos::heicIsReadUpright()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("cats")));
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("dogs")));
    const cv::Mat upright = photo(800, 600, 9);
    cv::Mat turned;
    cv::rotate(upright, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
    // As a phone held upright saves it: the sensor's image, a rotation to show it upright, and a
    // thumbnail of at most 320 px turned the same way.
    const QString side = dir.filePath(QStringLiteral("cats/IMG_0001.HEIC"));
    QVERIFY2(writeHeic(QFile::encodeName(side).toStdString(), turned, heif_orientation_rotate_90_cw, 320), "libheif's HEVC encoder");
    QVERIFY(writeHeic(QFile::encodeName(dir.filePath(QStringLiteral("dogs/IMG_0002.heic"))).toStdString(), photo(640, 480, 10), heif_orientation_normal));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("dogs/IMG_0003.jpg")), encode(photo(640, 480, 11), ".jpg")));

    cv::Mat rgb;
    cv::cvtColor(upright, rgb, cv::COLOR_BGR2RGB);
    // minSide → what is decoded: the whole image, or the thumbnail (320 × 240) when both its sides
    // are at least minSide.
    const struct { int minSide, width, height; } cases[] = {{0, 800, 600}, {64, 320, 240}, {240, 320, 240}, {241, 800, 600}};
    for (const auto &c : cases) {
        DecodedImage img;
        QString error;
        QVERIFY2(decodeImageFile(side, 40000000, &img, &error, c.minSide), qPrintable(error));
        const QString what = QStringLiteral("minSide %1: %2x%3").arg(c.minSide).arg(img.width).arg(img.height);
        QVERIFY2(img.width == c.width && img.height == c.height && img.channels == 3, qPrintable(what));
        QCOMPARE(img.sourceWidth(), 800);
        QCOMPARE(img.sourceHeight(), 600);
        // Upright: the disc upper left.
        QVERIFY2(regionMean(img, 0, 0.2, 0.2, 0.3, 0.3) > 180 && regionMean(img, 2, 0.2, 0.2, 0.3, 0.3) < 90, qPrintable(what));
        // HEVC at quality 90 against the original, at the training resolution: within 2 grey
        // levels on average (measured: .11 whole, .58 the thumbnail, which libheif scaled).
        cv::Mat a, b, diff;
        cv::resize(rgb, a, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
        cv::resize(asMat(img), b, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
        cv::absdiff(a, b, diff);
        const cv::Scalar m = cv::mean(diff);
        QVERIFY2((m[0] + m[1] + m[2]) / 3.0 < 2.0, qPrintable(QStringLiteral("%1: %2").arg(what).arg((m[0] + m[1] + m[2]) / 3.0)));
    }

    DecodedImage img;
    QString error;
    // Refused before decoding when its container claims more pixels than the limit; a cut file
    // is an error that names the format.
    QVERIFY(!decodeImageFile(side, 1000, &img, &error));
    QVERIFY2(error.contains(QLatin1String("HEIF header claims 800x600 pixels")), qPrintable(error));
    QFile f(side);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    const QString cut = dir.filePath(QStringLiteral("cut.heic"));
    QVERIFY(writeFile(cut, bytes.left(bytes.size() / 2)));
    QVERIFY(!decodeImageFile(cut, 40000000, &img, &error));
    QVERIFY2(error.contains(QLatin1String("HEIF")), qPrintable(error));
    QFile::remove(cut);

    // In a folder, HEIC files are images of their class like the JPEGs.
    const LoadResult r = loadDataset(dir.path());
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({QStringLiteral("cats"), QStringLiteral("dogs")}));
    QCOMPARE(int(r.dataset.samples.size()), 3);
    QVERIFY(r.dataset.skipped.empty());
}

void TestPhotos::loadingOnThreadsGivesTheSameDataset()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> side(40, 900);
    const QStringList classes{QStringLiteral("cat"), QStringLiteral("dog"), QStringLiteral("fox")};
    int n = 0;
    for (const QString &c : classes) {
        QVERIFY(QDir(dir.path()).mkpath(c));
        for (int i = 0; i < 14; ++i, ++n) {
            const cv::Mat img = photo(side(rng), side(rng), unsigned(n));
            const QString base = dir.filePath(QStringLiteral("%1/img_%2").arg(c).arg(n, 3, 10, QLatin1Char('0')));
            QByteArray bytes = i % 5 == 2 ? encode(img, ".png") : i % 5 == 4 ? jpegOnItsSide(img) : encode(img, ".jpg");
            if (i == 7)
                bytes.truncate(bytes.size() / 3); // a broken file in every class
            QVERIFY(writeFile(base + (i % 5 == 2 ? QStringLiteral(".png") : QStringLiteral(".jpg")), bytes));
        }
    }
    QVERIFY(writeFile(dir.filePath(QStringLiteral("dog/notes.png")), "not an image"));
    for (const qint64 limit : {qint64(-1), qint64(10), qint64(29)}) {
        for (const LimitOrder order : {LimitOrder::AcrossClasses, LimitOrder::FileOrder}) {
            std::vector<LoadResult> loads;
            for (const int threads : {1, 2, 3}) {
                LoadOptions options;
                options.limit = limit;
                options.limitOrder = order;
                options.threads = threads;
                qint64 lastDone = 0, calls = 0;
                options.progress = [&](qint64 done, qint64 total) {
                    lastDone = done;
                    ++calls;
                    return done <= total;
                };
                loads.push_back(loadDataset(dir.path(), options));
                QVERIFY2(loads.back().ok(), qPrintable(loads.back().error));
                QVERIFY(calls > 0);
                QCOMPARE(lastDone, qint64(3 * 14 + 1)); // every job, the one beyond the limit included
            }
            const Dataset &one = loads.front().dataset;
            QCOMPARE(qint64(one.samples.size()), limit < 0 ? qint64(3 * 13) : limit);
            QCOMPARE(one.channels, 3);
            for (std::size_t t = 1; t < loads.size(); ++t) {
                const Dataset &other = loads[t].dataset;
                QCOMPARE(other.samples.size(), one.samples.size());
                for (std::size_t i = 0; i < one.samples.size(); ++i) {
                    QCOMPARE(other.samples[i].path, one.samples[i].path);
                    QCOMPARE(other.samples[i].label, one.samples[i].label);
                }
                QCOMPARE(skippedNames(other), skippedNames(one));
                QVERIFY(other.pixels == one.pixels);
                QCOMPARE(other.classes, one.classes);
            }
        }
    }
}

void TestPhotos::healthOnReducedJpegs()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("a")));
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("b")));
    // Ten different photos of 1,200 − 40·i × 900, then: a byte copy of the first, a PNG of the
    // first's decoded pixels (whose size makes the first two read whole again), and a copy of
    // the second with a comment segment added (other bytes, the same JPEG data: both stay reduced).
    for (int i = 0; i < 10; ++i)
        QVERIFY(writeFile(dir.filePath(QStringLiteral("%1/p%2.jpg").arg(i % 2 ? "b" : "a").arg(i)),
                          encode(photo(1200 - 40 * i, 900, unsigned(100 + i * 7)), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90})));
    QFile::copy(dir.filePath(QStringLiteral("a/p0.jpg")), dir.filePath(QStringLiteral("b/copy.jpg")));
    const cv::Mat first = cv::imread(dir.filePath(QStringLiteral("a/p0.jpg")).toStdString(), cv::IMREAD_COLOR);
    QVERIFY(writeFile(dir.filePath(QStringLiteral("a/first.png")), encode(first, ".png")));
    QFile second(dir.filePath(QStringLiteral("b/p1.jpg")));
    QVERIFY(second.open(QIODevice::ReadOnly));
    QByteArray tagged = second.readAll();
    const char comment[] = {'\xFF', '\xFE', 0x00, 0x0B, 'a', ' ', 'c', 'o', 'm', 'm', 'e', 'n', 't'}; // a COM segment
    tagged.insert(2, QByteArray(comment, sizeof comment));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("a/tagged.jpg")), tagged));

    const LoadResult loaded = loadDataset(dir.path());
    QVERIFY2(loaded.ok(), qPrintable(loaded.error));
    const Dataset &ds = loaded.dataset;
    const auto indexOf = [&](const QString &name) {
        for (std::size_t i = 0; i < ds.samples.size(); ++i)
            if (ds.samples[i].path.endsWith(name))
                return int(i);
        return -1;
    };
    // The measures see the images' own size; the pixels are read at 1/2 (both sides >= 240 hold
    // at 1/2, 600 × 450, not at 1/4, 300 × 225).
    DecodedImage img;
    QString error;
    QVERIFY(loadSampleImage(ds.samples[std::size_t(indexOf(QStringLiteral("p0.jpg")))], &img, &error, HealthOptions().decodeMinSide));
    QCOMPARE(img.width, 600);
    ImageMeasures measures;
    QVERIFY(measureImage(img, &measures));
    QCOMPARE(measures.width, 1200);
    QCOMPARE(measures.height, 900);

    for (const int minSide : {HealthOptions().decodeMinSide, 0}) {
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("health checks"), &cancel);
        HealthOptions options;
        options.decodeMinSide = minSide;
        const Result<HealthReport> r = runHealthChecks(ds, options, context);
        QVERIFY2(r, qPrintable(r.error()));
        std::vector<std::set<int>> sets;
        for (const DuplicateSet &s : r->exactSets)
            sets.emplace_back(s.members.begin(), s.members.end());
        std::sort(sets.begin(), sets.end());
        std::vector<std::set<int>> expected{{indexOf(QStringLiteral("a/p0.jpg")), indexOf(QStringLiteral("b/copy.jpg")),
                                             indexOf(QStringLiteral("a/first.png"))},
                                            {indexOf(QStringLiteral("b/p1.jpg")), indexOf(QStringLiteral("a/tagged.jpg"))}};
        std::sort(expected.begin(), expected.end());
        QVERIFY2(sets == expected, qPrintable(QStringLiteral("decodeMinSide %1: %2 exact sets").arg(minSide).arg(sets.size())));
        QCOMPARE(int(r->skipped.size()), 0);
    }
}

QTEST_GUILESS_MAIN(TestPhotos)
#include "tst_photos.moc"
