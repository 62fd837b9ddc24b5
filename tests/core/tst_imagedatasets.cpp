// Tests of the image readers (core/base/dataset.h): decoding good and bad images (PNG, JPEG, BMP,
// WebP, TIFF, PNM; corrupt, empty, truncated, not images, formats not read, absurd header sizes),
// ImageFolder trees (by class, by split then class, with Labelscope's classes.txt) and CSV
// manifests.

#include "datasetfixture.h"

#include "base/projectstore.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <numeric>
#include <thread>

using namespace labelscope;
using namespace labelscope::testing;

namespace {
/// A 6×6 PNG of one grey level.
QByteArray greyPng(int value) { return encode(cv::Mat(6, 6, CV_8UC1, cv::Scalar(value)), ".png"); }
} // namespace

class TestImageDatasets final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decodeGood();
    void decodeBad_data();
    void decodeBad();
    void imageFolder();
    void imageFolderGreyAndUnicode();
    void imageFolderLimitAndCancel();
    void imageFolderSplits();
    void limitOrderOfAProject();
    void imageFolderInAWrapper();
    void imageFolderClassesTxt();
    void csvManifest();
    void csvNamedColumns();
    void csvClassesTxtAndLimit();
    void csvRefused();
    void unknownSpecs();

private:
    QTemporaryDir m_tmp;
};

void TestImageDatasets::decodeGood()
{
    const QString dir = m_tmp.filePath(QStringLiteral("decode"));
    struct Case {
        const char *name;
        QByteArray bytes;
        int width, height, channels;
        std::vector<int> firstPixel; // RGB or grey
        int tolerance;
    };
    cv::Mat rgba(5, 7, CV_8UC4, cv::Scalar(30, 20, 10, 128)); // BGRA
    cv::Mat grey16(4, 6, CV_16UC1, cv::Scalar(65535));
    const Case cases[] = {
        {"red.png", encode(solid(7, 5, 255, 0, 0), ".png"), 7, 5, 3, {255, 0, 0}, 0},
        {"grey.png", encode(greyRamp(9, 3), ".png"), 9, 3, 1, {0}, 0},
        {"blue.jpg", encode(solid(16, 8, 0, 0, 255), ".jpg"), 16, 8, 3, {0, 0, 255}, 4},
        {"grey.jpg", encode(cv::Mat(8, 8, CV_8UC1, cv::Scalar(77)), ".jpg"), 8, 8, 1, {77}, 2},
        {"green.bmp", encode(solid(3, 5, 0, 200, 0), ".bmp"), 3, 5, 3, {0, 200, 0}, 0},
        {"grey.bmp", encode(cv::Mat(5, 3, CV_8UC1, cv::Scalar(42)), ".bmp"), 3, 5, 1, {42}, 0},
        {"alpha.png", encode(rgba, ".png"), 7, 5, 3, {10, 20, 30}, 0},
        {"sixteen.png", encode(grey16, ".png"), 6, 4, 1, {255}, 0},
        {"jpeg-named.png", encode(solid(8, 8, 0, 0, 255), ".jpg"), 8, 8, 3, {0, 0, 255}, 4},
        {"lossless.webp", encode(solid(9, 4, 0, 250, 0), ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}), 9, 4, 3, {0, 250, 0}, 0},
        {"lossy.webp", encode(solid(16, 12, 250, 0, 0), ".webp", {cv::IMWRITE_WEBP_QUALITY, 90}), 16, 12, 3, {250, 0, 0}, 12},
        {"red.tif", encode(solid(7, 5, 255, 0, 0), ".tif"), 7, 5, 3, {255, 0, 0}, 0},
        {"grey16.tiff", encode(grey16, ".tiff"), 6, 4, 1, {255}, 0},
        {"red.ppm", encode(solid(7, 5, 255, 0, 0), ".ppm"), 7, 5, 3, {255, 0, 0}, 0},
        {"grey.pgm", encode(cv::Mat(5, 3, CV_8UC1, cv::Scalar(42)), ".pgm"), 3, 5, 1, {42}, 0},
        {"ascii.pgm", encode(cv::Mat(2, 3, CV_8UC1, cv::Scalar(9)), ".pgm", {cv::IMWRITE_PXM_BINARY, 0}), 3, 2, 1, {9}, 0},
        {"grey16.pgm", encode(grey16, ".pgm"), 6, 4, 1, {255}, 0},
        {"commented.pgm", QByteArray("P5\n# made by hand\n2 1\n255\n\x07\x08", 28), 2, 1, 1, {7}, 0},
    };
    for (const Case &c : cases) {
        const QString file = dir + QLatin1Char('/') + QLatin1String(c.name);
        QVERIFY(writeFile(file, c.bytes));
        DecodedImage img;
        QString error;
        QVERIFY2(decodeImageFile(file, 1000, &img, &error), qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(c.name), error)));
        QCOMPARE(img.width, c.width);
        QCOMPARE(img.height, c.height);
        QCOMPARE(img.channels, c.channels);
        QCOMPARE(img.pixels.size(), std::size_t(c.width * c.height * c.channels));
        for (int ch = 0; ch < c.channels; ++ch)
            QVERIFY2(std::abs(int(img.pixels[std::size_t(ch)]) - c.firstPixel[std::size_t(ch)]) <= c.tolerance,
                     qPrintable(QStringLiteral("%1 channel %2 = %3").arg(QLatin1String(c.name)).arg(ch).arg(img.pixels[std::size_t(ch)])));
    }
}

void TestImageDatasets::decodeBad_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("reason");
    const QByteArray png = encode(greyRamp(40, 30), ".png");
    const QByteArray jpg = encode(solid(40, 30, 10, 200, 30), ".jpg");
    const QByteArray bmp = encode(solid(40, 30, 10, 200, 30), ".bmp");
    QTest::newRow("empty") << QByteArray() << "empty file";
    QTest::newRow("text") << QByteArray("hello, world\n") << "not an image";
    QTest::newRow("corrupt PNG data") << corruptPng() << "cannot decode PNG";
    QTest::newRow("truncated PNG") << png.left(png.size() / 2) << "cannot decode PNG";
    QTest::newRow("PNG without IEND") << png.left(png.size() - 12) << "cannot decode PNG";
    QTest::newRow("PNG signature only") << png.left(8) << "truncated PNG header";
    QTest::newRow("PNG 100000x100000") << pngClaiming(100000, 100000)
                                       << "PNG header claims 100000x100000 pixels, more than the limit of 40000000";
    QTest::newRow("PNG zero width") << pngClaiming(0, 10) << "invalid size 0x10";
    QTest::newRow("JPEG 60000x60000") << jpegClaiming(60000, 60000) << "JPEG header claims 60000x60000 pixels";
    QTest::newRow("truncated JPEG") << jpg.left(jpg.size() * 2 / 3) << "truncated JPEG";
    QTest::newRow("JPEG header only") << jpg.left(100) << "truncated JPEG";
    QTest::newRow("JPEG SOI only") << jpg.left(3) << "truncated JPEG";
    QTest::newRow("BMP 100000x100000") << bmpClaiming(100000, 100000) << "BMP header claims 100000x100000 pixels";
    QTest::newRow("truncated BMP") << bmp.left(bmp.size() / 2) << "truncated BMP";
    QTest::newRow("BMP header cut") << bmp.left(20) << "truncated BMP header";
    QByteArray garbage(5000, '\0');
    for (int i = 0; i < garbage.size(); ++i)
        garbage[i] = char((i * 7919) % 251);
    QTest::newRow("JPEG magic, garbage") << (QByteArray("\xFF\xD8\xFF", 3) + garbage) << "malformed JPEG";
    QTest::newRow("BMP magic, garbage") << (QByteArray("BM") + garbage) << "malformed BMP";
    const QByteArray webp = encode(solid(40, 30, 10, 200, 30), ".webp");
    QTest::newRow("truncated WebP") << webp.left(webp.size() / 2) << "truncated WebP";
    QTest::newRow("WebP, unknown chunk") << (webp.left(12) + "ABCD" + webp.mid(16)) << "malformed WebP";
    QByteArray animated = QByteArray("RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0\x02\0\0\0\x09\0\0\x09\0\0", 30);
    QTest::newRow("animated WebP") << animated << "animated WebP";
    const QByteArray ppm = encode(solid(40, 30, 10, 200, 30), ".ppm");
    QTest::newRow("truncated PPM") << ppm.left(ppm.size() - 1) << "truncated PNM";
    QTest::newRow("PPM 60000x60000") << QByteArray("P6 60000 60000 255\n") + garbage << "PNM header claims 60000x60000 pixels";
    QTest::newRow("PGM header cut") << QByteArray("P5 40") << "truncated PNM header";
    QTest::newRow("PGM, letters for a size") << QByteArray("P5 forty 30 255\n") + garbage << "malformed PNM";
    const QByteArray tif = encode(solid(40, 30, 10, 200, 30), ".tif");
    QTest::newRow("TIFF header only") << tif.left(8) << "TIFF";
    QTest::newRow("BigTIFF") << QByteArray("II\x2b\0\x08\0\0\0", 8) + garbage << "BigTIFF";
    QTest::newRow("GIF") << QByteArray("GIF89a") + garbage << "a GIF image: not read";
    QTest::newRow("HEIC, no container") << QByteArray("\0\0\0\x18" "ftypheic", 12) + garbage << "malformed HEIF";
    QTest::newRow("AVIF, no container") << QByteArray("\0\0\0\x18" "ftypavif", 12) + garbage << "malformed AVIF";
}

void TestImageDatasets::decodeBad()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, reason);
    const QString file = m_tmp.filePath(QStringLiteral("bad/%1.png").arg(QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_'))));
    QVERIFY(writeFile(file, bytes));
    DecodedImage img;
    QString error;
    QVERIFY2(!decodeImageFile(file, 40000000, &img, &error), "decoded a bad image");
    QVERIFY2(error.contains(reason), qPrintable(QStringLiteral("\"%1\" not in: %2").arg(reason, error)));
}

void TestImageDatasets::imageFolder()
{
    const QString root = m_tmp.filePath(QStringLiteral("folder"));
    const auto write = [&](const QString &rel, const QByteArray &bytes) { return writeFile(root + QLatin1Char('/') + rel, bytes); };
    // Good images: colour and grey, PNG, JPEG, BMP; sizes that shrink (40x30) and grow (8x8).
    QVERIFY(write(QStringLiteral("cat/a_red.png"), encode(solid(40, 30, 255, 0, 0), ".png")));
    QVERIFY(write(QStringLiteral("cat/b_blue.JPG"), encode(solid(40, 30, 0, 0, 255), ".jpg")));
    QVERIFY(write(QStringLiteral("cat/nested/c_grey.bmp"), encode(cv::Mat(8, 8, CV_8UC1, cv::Scalar(100)), ".bmp")));
    QVERIFY(write(QStringLiteral("dog/d_grey.png"), encode(greyRamp(40, 30), ".png")));
    QVERIFY(write(QStringLiteral("dog/e_green.bmp"), encode(solid(8, 8, 0, 255, 0), ".bmp")));
    QVERIFY(write(QStringLiteral("z_unlabelled.jpeg"), encode(cv::Mat(16, 16, CV_8UC1, cv::Scalar(200)), ".jpg")));
    // Bad images, each skipped and listed.
    const QByteArray png = encode(greyRamp(40, 30), ".png");
    QVERIFY(write(QStringLiteral("dog/corrupt.png"), corruptPng()));
    QVERIFY(write(QStringLiteral("dog/empty.jpg"), QByteArray()));
    QVERIFY(write(QStringLiteral("dog/truncated.png"), png.left(png.size() / 2)));
    QVERIFY(write(QStringLiteral("cat/text.png"), "this is not a picture\n"));
    QVERIFY(write(QStringLiteral("cat/huge.png"), pngClaiming(100000, 100000)));
    // Other formats: WebP, TIFF and PNM read; a GIF listed as a format not read.
    QVERIFY(write(QStringLiteral("dog/f_red.webp"), encode(solid(20, 10, 255, 0, 0), ".webp", {cv::IMWRITE_WEBP_QUALITY, 101})));
    QVERIFY(write(QStringLiteral("dog/g_red.TIFF"), encode(solid(20, 10, 255, 0, 0), ".tiff")));
    QVERIFY(write(QStringLiteral("dog/h_grey.pgm"), encode(cv::Mat(12, 12, CV_8UC1, cv::Scalar(60)), ".pgm")));
    QVERIFY(write(QStringLiteral("cat/anim.gif"), QByteArray("GIF89a") + QByteArray(40, '\0')));
    // Ignored: other extensions, hidden files, empty folders.
    QVERIFY(write(QStringLiteral("cat/notes.txt"), "notes"));
    QVERIFY(write(QStringLiteral("README.md"), "readme"));
    QVERIFY(write(QStringLiteral(".DS_Store"), "junk"));
    QVERIFY(write(QStringLiteral("dog/.DS_Store"), "junk"));
    QVERIFY(QDir().mkpath(root + QStringLiteral("/empty-class")));

    LoadOptions options;
    options.imageSize = 16;
    const LoadResult r = loadDataset(root, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const Dataset &ds = r.dataset;
    QCOMPARE(ds.classes, QStringList({"cat", "dog"}));
    QCOMPARE(ds.channels, 3);
    QCOMPARE(ds.height, 16);
    QCOMPARE(ds.width, 16);
    QStringList names;
    std::vector<int> labels;
    for (const Sample &s : ds.samples) {
        names << QFileInfo(s.path).fileName();
        labels.push_back(s.label);
        QCOMPARE(s.source, QStringLiteral("folder"));
        QCOMPARE(s.offset, qint64(-1));
        QVERIFY(QFileInfo(s.path).isAbsolute());
    }
    QCOMPARE(names, QStringList({"a_red.png", "b_blue.JPG", "c_grey.bmp", "d_grey.png", "e_green.bmp",
                                 "f_red.webp", "g_red.TIFF", "h_grey.pgm", "z_unlabelled.jpeg"}));
    QCOMPARE(labels, std::vector<int>({0, 0, 0, 1, 1, 1, 1, 1, -1}));
    QCOMPARE(ds.pixels.size(), std::size_t(9 * 3 * 16 * 16));

    QCOMPARE(skippedNames(ds), QStringList({"anim.gif", "corrupt.png", "empty.jpg", "huge.png", "text.png", "truncated.png"}));
    QVERIFY(findSkipped(ds, QStringLiteral("anim.gif"))->reason.contains(QLatin1String("a GIF image: not read")));
    QVERIFY(findSkipped(ds, QStringLiteral("huge.png"))->reason.contains(QLatin1String("100000x100000")));
    QVERIFY(findSkipped(ds, QStringLiteral("empty.jpg"))->reason.contains(QLatin1String("empty")));
    QVERIFY(findSkipped(ds, QStringLiteral("text.png"))->reason.contains(QLatin1String("not an image")));
    QVERIFY(QFileInfo(findSkipped(ds, QStringLiteral("corrupt.png"))->file).isAbsolute());

    // Pixels are planar RGB; grey images are replicated into the three planes.
    const auto plane = [&](std::size_t i, int c) { return ds.image(i) + std::size_t(c) * 16 * 16; };
    const auto all = [](const std::uint8_t *p, int lo, int hi) {
        return std::all_of(p, p + 256, [=](std::uint8_t v) { return v >= lo && v <= hi; });
    };
    QVERIFY(all(plane(0, 0), 255, 255) && all(plane(0, 1), 0, 0) && all(plane(0, 2), 0, 0));
    QVERIFY(all(plane(1, 0), 0, 4) && all(plane(1, 1), 0, 4) && all(plane(1, 2), 251, 255));
    for (int c = 0; c < 3; ++c) {
        QVERIFY(all(plane(2, c), 100, 100));
        QVERIFY(std::equal(plane(3, c), plane(3, c) + 256, plane(3, 0)));
        QVERIFY(all(plane(7, c), 60, 60));   // h_grey.pgm
        QVERIFY(all(plane(8, c), 198, 202)); // z_unlabelled.jpeg
    }
    QVERIFY(all(plane(4, 0), 0, 0) && all(plane(4, 1), 255, 255) && all(plane(4, 2), 0, 0));
    for (const std::size_t red : {std::size_t(5), std::size_t(6)}) // lossless WebP, TIFF
        QVERIFY(all(plane(red, 0), 255, 255) && all(plane(red, 1), 0, 0) && all(plane(red, 2), 0, 0));

    // The GUI's view: native resolution.
    DecodedImage img;
    QString error;
    QVERIFY2(loadSampleImage(ds.samples[0], &img, &error), qPrintable(error));
    QCOMPARE(img.width, 40);
    QCOMPARE(img.height, 30);
    QCOMPARE(img.channels, 3);
    Sample gone = ds.samples[0];
    gone.path = root + QStringLiteral("/cat/gone.png");
    QVERIFY(!loadSampleImage(gone, &img, &error));
    QVERIFY2(error.contains(QLatin1String("gone.png")) && error.contains(QLatin1String("not found")), qPrintable(error));
}

void TestImageDatasets::imageFolderGreyAndUnicode()
{
    // Only grey images (one stored as RGB with equal channels): one channel. Non-ASCII names.
    const QString root = m_tmp.filePath(QStringLiteral("grey-ünïcode"));
    QVERIFY(writeFile(root + QStringLiteral("/café/猫.png"), encode(greyRamp(64, 64), ".png")));
    QVERIFY(writeFile(root + QStringLiteral("/café/b.jpg"), encode(cv::Mat(20, 20, CV_8UC1, cv::Scalar(50)), ".jpg")));
    cv::Mat rgbGrey;
    cv::cvtColor(greyRamp(10, 10), rgbGrey, cv::COLOR_GRAY2BGR);
    QVERIFY(writeFile(root + QStringLiteral("/Zebra/rgb-grey.png"), encode(rgbGrey, ".png")));
    QVERIFY(writeFile(root + QStringLiteral("/Zebra/grey.bmp"), encode(greyRamp(32, 32), ".bmp")));
    LoadOptions options;
    options.imageSize = 32;
    const LoadResult r = readImageFolder(root, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"Zebra", "café"})); // code-unit order: 'Z' < 'c'
    QCOMPARE(r.dataset.channels, 1);
    QCOMPARE(r.dataset.samples.size(), std::size_t(4));
    QVERIFY(r.dataset.skipped.empty());
    QCOMPARE(QFileInfo(r.dataset.samples[2].path).fileName(), QStringLiteral("b.jpg"));
    QCOMPARE(QFileInfo(r.dataset.samples[3].path).fileName(), QStringLiteral("猫.png"));
    // 32x32 BMP at 32x32: the pixels are the original ones.
    const cv::Mat ramp = greyRamp(32, 32);
    QVERIFY(std::equal(ramp.data, ramp.data + 1024, r.dataset.image(0)));
    // 64x64 shrunk to 32x32 with INTER_AREA: each pixel is the mean of a 2x2 block.
    const cv::Mat big = greyRamp(64, 64);
    const int mean = (big.at<uchar>(10, 20) + big.at<uchar>(10, 21) + big.at<uchar>(11, 20) + big.at<uchar>(11, 21) + 2) / 4;
    QVERIFY(std::abs(int(r.dataset.image(3)[5 * 32 + 10]) - mean) <= 1);
    DecodedImage img;
    QString error;
    QVERIFY2(loadSampleImage(r.dataset.samples[3], &img, &error), qPrintable(error));
    QCOMPARE(img.width, 64);
    QCOMPARE(img.channels, 1);
}

void TestImageDatasets::imageFolderLimitAndCancel()
{
    const QString root = m_tmp.filePath(QStringLiteral("many"));
    for (int i = 0; i < 30; ++i)
        QVERIFY(writeFile(root + QStringLiteral("/c%1/%2.png").arg(i % 3).arg(i, 2, 10, QLatin1Char('0')),
                          encode(cv::Mat(4, 4, CV_8UC1, cv::Scalar(i)), ".png")));
    LoadOptions options;
    options.limit = 12;
    options.imageSize = 4;
    // By default a limit takes the classes in turn: c0 00, c1 01, c2 02, c0 03, ...
    LoadResult r = readImageFolder(root, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.samples.size(), std::size_t(12));
    QCOMPARE(r.dataset.classes.size(), 3);
    for (int i = 0; i < 12; ++i) {
        QCOMPARE(int(r.dataset.image(std::size_t(i))[0]), i);
        QCOMPARE(r.dataset.samples[std::size_t(i)].label, i % 3);
    }
    // In file order (projects made before the order was stored): c0's 10 files, then c1: 01, 04.
    options.limitOrder = LimitOrder::FileOrder;
    r = readImageFolder(root, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.samples.size(), std::size_t(12));
    QCOMPARE(r.dataset.classes.size(), 3); // classes do not depend on the limit
    QCOMPARE(int(r.dataset.image(11)[0]), 4);
    QCOMPARE(r.dataset.samples[11].label, 1);
    options.limitOrder = LimitOrder::AcrossClasses;

    options.limit = -1;
    options.progress = [](qint64, qint64) { return false; };
    r = readImageFolder(root, options);
    QCOMPARE(r.error, QStringLiteral("cancelled"));

    r = readImageFolder(m_tmp.filePath(QStringLiteral("no-such-folder")));
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(QLatin1String("no-such-folder")), qPrintable(r.error));
    QVERIFY(QDir().mkpath(m_tmp.filePath(QStringLiteral("no-images/a"))));
    QVERIFY(writeFile(m_tmp.filePath(QStringLiteral("no-images/a/x.txt")), "x"));
    r = readImageFolder(m_tmp.filePath(QStringLiteral("no-images")));
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(QLatin1String("no images")), qPrintable(r.error));
}

void TestImageDatasets::imageFolderSplits()
{
    // root/<split>/<class>/<image>, as torchvision-style datasets ship: val and Test are held
    // out ("test"); a class may be missing from one split; loose images in a split are unlabelled.
    const QString root = m_tmp.filePath(QStringLiteral("splits"));
    const auto write = [&](const QString &rel, int value) { return writeFile(root + QLatin1Char('/') + rel, greyPng(value)); };
    QVERIFY(write(QStringLiteral("train/dog/1.png"), 10));
    QVERIFY(write(QStringLiteral("train/cat/2.png"), 20));
    QVERIFY(write(QStringLiteral("train/cat/deeper/3.png"), 30));
    QVERIFY(write(QStringLiteral("train/unsorted.png"), 40));
    QVERIFY(write(QStringLiteral("val/bird/4.png"), 50));
    QVERIFY(write(QStringLiteral("val/dog/5.png"), 60));
    QVERIFY(write(QStringLiteral("Test/cat/6.png"), 70));
    QVERIFY(write(QStringLiteral("loose.png"), 80));
    QVERIFY(QDir().mkpath(root + QStringLiteral("/notes"))); // a folder without images does not count
    LoadOptions options;
    options.imageSize = 6;
    LoadResult r = loadDataset(root, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"bird", "cat", "dog"}));
    QStringList seen;
    for (std::size_t i = 0; i < r.dataset.samples.size(); ++i) {
        const Sample &s = r.dataset.samples[i];
        seen << QStringLiteral("%1:%2:%3:%4").arg(QFileInfo(s.path).fileName(), s.split).arg(s.label).arg(r.dataset.image(i)[0]);
    }
    // Train first; then the held-out folders (Test before val: path order); root's loose image last.
    QCOMPARE(seen, QStringList({"2.png:train:1:20", "3.png:train:1:30", "1.png:train:2:10", "unsorted.png:train:-1:40",
                                "6.png:test:1:70", "4.png:test:0:50", "5.png:test:2:60", "loose.png::-1:80"}));
    QVERIFY(r.dataset.skipped.empty());

    // One folder with images that is not a split name: the plain layout, each folder a class.
    QVERIFY(write(QStringLiteral("cars/7.png"), 90));
    r = loadDataset(root, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"Test", "cars", "train", "val"}));
    for (const Sample &s : r.dataset.samples)
        QVERIFY(s.split.isEmpty());
}

void TestImageDatasets::imageFolderInAWrapper()
{
    // Archives unpack into one folder: root/pets/<class>/..., root/ds/<split>/<class>/...
    const auto write = [&](const QString &path, int value) { return writeFile(m_tmp.filePath(path), greyPng(value)); };
    QVERIFY(write(QStringLiteral("wrapped/pets/cat/1.png"), 10));
    QVERIFY(write(QStringLiteral("wrapped/pets/dog/2.png"), 20));
    QVERIFY(writeFile(m_tmp.filePath(QStringLiteral("wrapped/README.txt")), "about the pets"));
    LoadOptions options;
    options.imageSize = 6;
    LoadResult r = loadDataset(m_tmp.filePath(QStringLiteral("wrapped")), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"cat", "dog"}));
    QCOMPARE(r.dataset.spec, m_tmp.filePath(QStringLiteral("wrapped")));

    QVERIFY(write(QStringLiteral("twice/archive/ds/train/cat/1.png"), 10));
    QVERIFY(write(QStringLiteral("twice/archive/ds/val/dog/2.png"), 20));
    r = loadDataset(m_tmp.filePath(QStringLiteral("twice")), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"cat", "dog"}));
    QCOMPARE(r.dataset.samples.size(), std::size_t(2));
    QCOMPARE(r.dataset.samples[0].split, QStringLiteral("train"));
    QCOMPARE(r.dataset.samples[1].split, QStringLiteral("test"));

    // One class with one subfolder, or with an image of its own beside its subfolders: a class.
    QVERIFY(write(QStringLiteral("single/cat/indoor/1.png"), 10));
    r = loadDataset(m_tmp.filePath(QStringLiteral("single")), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"cat"}));
    QVERIFY(write(QStringLiteral("own/cat/indoor/1.png"), 10));
    QVERIFY(write(QStringLiteral("own/cat/outdoor/2.png"), 20));
    QVERIFY(write(QStringLiteral("own/cat/3.png"), 30));
    r = loadDataset(m_tmp.filePath(QStringLiteral("own")), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"cat"}));
    QCOMPARE(r.dataset.samples.size(), std::size_t(3));
}

void TestImageDatasets::limitOrderOfAProject()
{
    // A project reads its data again as its import did: one made before "limit_order" existed
    // kept the first N in file order, a new one the classes in turn.
    const QString root = m_tmp.filePath(QStringLiteral("ordered"));
    for (int i = 0; i < 12; ++i)
        QVERIFY(writeFile(root + QStringLiteral("/c%1/%2.png").arg(i / 4).arg(i, 2, 10, QLatin1Char('0')),
                          encode(cv::Mat(4, 4, CV_8UC1, cv::Scalar(i)), ".png")));
    for (const LimitOrder order : {LimitOrder::FileOrder, LimitOrder::AcrossClasses}) {
        LoadOptions options;
        options.limit = 3;
        options.imageSize = 4;
        options.limitOrder = order;
        const LoadResult first = readImageFolder(root, options);
        QVERIFY2(first.ok(), qPrintable(first.error));
        QMap<QString, QString> meta{{QStringLiteral("limit"), QStringLiteral("3")}, {QStringLiteral("image_size"), QStringLiteral("4")}};
        if (order == LimitOrder::AcrossClasses)
            meta.insert(QStringLiteral("limit_order"), limitOrderName(order));
        ProjectStore store;
        QString error;
        const QString file = m_tmp.filePath(QStringLiteral("ordered-%1.lsproj").arg(limitOrderName(order)));
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QVERIFY2(store.importDataset(first.dataset, meta, &error), qPrintable(error));
        const LoadOptions stored = store.importLoadOptions();
        QCOMPARE(stored.limit, qint64(3));
        QCOMPARE(stored.imageSize, 4);
        QVERIFY(stored.limitOrder == order);
        const LoadResult again = loadDataset(store.meta(QStringLiteral("data_spec")), stored);
        QVERIFY2(again.ok(), qPrintable(again.error));
        QStringList keys, storedKeys;
        QSet<int> labels;
        for (const Sample &s : again.dataset.samples) {
            keys << sampleKey(s);
            labels.insert(s.label);
        }
        for (const SampleRow &row : store.samples())
            storedKeys << sampleKey(row.sample);
        keys.sort();
        storedKeys.sort();
        QCOMPARE(keys, storedKeys);
        QCOMPARE(labels.size(), order == LimitOrder::FileOrder ? 1 : 3);
    }
}

void TestImageDatasets::imageFolderClassesTxt()
{
    // Labelscope's export format: folder<TAB>class name in label order. A class without a folder
    // keeps its place; a folder it does not list comes after, by name.
    const QString root = m_tmp.filePath(QStringLiteral("listed"));
    const auto write = [&](const QString &rel, int value) { return writeFile(root + QLatin1Char('/') + rel, greyPng(value)); };
    QVERIFY(write(QStringLiteral("train/zebra/1.png"), 10));
    QVERIFY(write(QStringLiteral("train/a_b/2.png"), 20));
    QVERIFY(write(QStringLiteral("test/a_b/3.png"), 30));
    QVERIFY(write(QStringLiteral("train/new/4.png"), 40));
    QVERIFY(writeFile(root + QStringLiteral("/classes.txt"), "zebra\tzebra\r\na_b\ta/b\n\nempty\tnone left\n"));
    LoadOptions options;
    options.imageSize = 6;
    LoadResult r = loadDataset(root, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"zebra", "a/b", "none left", "new"}));
    std::vector<int> labels;
    for (const Sample &s : r.dataset.samples)
        labels.push_back(s.label);
    QCOMPARE(labels, std::vector<int>({1, 3, 0, 1})); // train: a_b, new, zebra; then test: a_b
    QVERIFY(r.dataset.skipped.empty());

    // A folder or a class named twice: refused, naming the file and the name.
    QVERIFY(writeFile(root + QStringLiteral("/classes.txt"), "zebra\tzebra\na_b\tzebra\n"));
    r = loadDataset(root, options);
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(root + QStringLiteral("/classes.txt")) && r.error.contains(QLatin1String("class \"zebra\" is listed twice")),
             qPrintable(r.error));

    // Another dataset's classes.txt ("1 001.Albatross", CUB's): not used, and listed as such.
    QVERIFY(writeFile(root + QStringLiteral("/classes.txt"), "1 001.Albatross\n2 002.Auklet\n"));
    r = loadDataset(root, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"a_b", "new", "zebra"}));
    QCOMPARE(r.dataset.skipped.size(), std::size_t(1));
    QCOMPARE(r.dataset.skipped[0].file, root + QStringLiteral("/classes.txt"));
    QVERIFY2(r.dataset.skipped[0].reason.contains(QLatin1String("not used: \"1 001.Albatross\"")), qPrintable(r.dataset.skipped[0].reason));
}

void TestImageDatasets::csvManifest()
{
    const QString dir = m_tmp.filePath(QStringLiteral("csv"));
    QVERIFY(writeFile(dir + QStringLiteral("/images/a.png"), encode(solid(10, 10, 255, 0, 0), ".png")));
    QVERIFY(writeFile(dir + QStringLiteral("/images/b.png"), encode(solid(10, 10, 0, 255, 0), ".png")));
    QVERIFY(writeFile(dir + QStringLiteral("/images/x,y.png"), encode(solid(10, 10, 0, 0, 255), ".png")));
    QVERIFY(writeFile(dir + QStringLiteral("/images/text.png"), "not an image"));
    QVERIFY(writeFile(dir + QStringLiteral("/images/v.png"), encode(solid(10, 10, 9, 9, 9), ".png")));
    const QString other = m_tmp.filePath(QStringLiteral("elsewhere/c.bmp"));
    QVERIFY(writeFile(other, encode(greyRamp(12, 12), ".bmp")));
    const QString csv = dir + QStringLiteral("/manifest.csv");
    const QByteArray text = "path,label,split\r\n"                       // line 1: header
                            "images/a.png,cat,train\r\n"                 // 2
                            "images/b.png,,train\r\n"                    // 3: unlabelled
                            "\"images/x,y.png\",\"big \"\"dog\"\"\",test\r\n" // 4: quoted
                            "\r\n"                                       // 5: blank
                            "images/only-a-path\r\n"                     // 6: too few fields
                            "images/missing.png,cat\r\n"                 // 7: no such file
                            + QFile::encodeName(other) + ",cat,TRAIN\r\n" // 8: absolute path
                            "images/text.png,cat\r\n"                    // 9: not an image
                            "images/a.png,cat,holdout\r\n"               // 10: unknown split
                            "images/a.png,cat,train,extra\r\n"           // 11: too many fields
                            "images/v.png,cat,Val\r\n";                  // 12: val is held out
    QVERIFY(writeFile(csv, text));
    const LoadResult r = loadDataset(csv);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const Dataset &ds = r.dataset;
    QCOMPARE(ds.spec, csv);
    QCOMPARE(ds.classes, QStringList({"cat", "big \"dog\""}));
    QCOMPARE(ds.samples.size(), std::size_t(5));
    QCOMPARE(ds.samples[0].path, QDir(dir).filePath(QStringLiteral("images/a.png")));
    QCOMPARE(ds.samples[0].label, 0);
    QCOMPARE(ds.samples[0].split, QStringLiteral("train"));
    QCOMPARE(ds.samples[0].source, QStringLiteral("csv"));
    QCOMPARE(ds.samples[1].label, -1);
    QCOMPARE(QFileInfo(ds.samples[2].path).fileName(), QStringLiteral("x,y.png"));
    QCOMPARE(ds.samples[2].label, 1);
    QCOMPARE(ds.samples[2].split, QStringLiteral("test"));
    QCOMPARE(ds.samples[3].path, other);
    QCOMPARE(ds.samples[3].split, QStringLiteral("train"));
    QCOMPARE(ds.samples[4].split, QStringLiteral("test"));
    QCOMPARE(ds.channels, 3);
    QCOMPARE(ds.height, 32);
    QCOMPARE(int(ds.image(2)[2 * 32 * 32]), 255); // blue plane of x,y.png

    QCOMPARE(ds.skipped.size(), std::size_t(5));
    const auto at = [&](const QString &location) -> const SkippedItem * {
        for (const SkippedItem &s : ds.skipped)
            if (s.location == location)
                return &s;
        return nullptr;
    };
    QVERIFY(at(QStringLiteral("line 6")) && at(QStringLiteral("line 6"))->file == csv);
    QVERIFY(at(QStringLiteral("line 6"))->reason.contains(QLatin1String("expected path,label")));
    QVERIFY(at(QStringLiteral("line 7")) && at(QStringLiteral("line 7"))->file.endsWith(QLatin1String("images/missing.png")));
    QVERIFY(at(QStringLiteral("line 7"))->reason.contains(QLatin1String("not found")));
    QVERIFY(at(QStringLiteral("line 9")) && at(QStringLiteral("line 9"))->reason.contains(QLatin1String("not an image")));
    QVERIFY(at(QStringLiteral("line 10")) && at(QStringLiteral("line 10"))->reason.contains(QLatin1String("holdout")));
    QVERIFY(at(QStringLiteral("line 11")) && at(QStringLiteral("line 11"))->reason.contains(QLatin1String("4 fields")));
}

// A header that names its columns (Labelscope's own CSV export: id first, extra columns): the
// columns are found by name, an excluded row is left out and listed, other columns ignored.
void TestImageDatasets::csvNamedColumns()
{
    const QString dir = m_tmp.filePath(QStringLiteral("csvnamed"));
    QVERIFY(writeFile(dir + QStringLiteral("/img/1.png"), encode(solid(8, 8, 255, 0, 0), ".png")));
    QVERIFY(writeFile(dir + QStringLiteral("/img/2.png"), encode(solid(8, 8, 0, 255, 0), ".png")));
    QVERIFY(writeFile(dir + QStringLiteral("/img/3.png"), encode(solid(8, 8, 0, 0, 255), ".png")));
    const QString csv = dir + QStringLiteral("/export.csv");
    QVERIFY(writeFile(csv, "id,path,label,category,relabelled,excluded,split\n"  // 1
                           "1,img/1.png,Coat,hard,1,0,train\n"                  // 2
                           "2,img/2.png,Shirt,easy,0,1,train\n"                 // 3: excluded
                           "3,img/3.png,Shirt,easy,0,0,test\n"                  // 4
                           "4,img/1.png,Coat,easy,0,0,train,more\n"));          // 5: too many fields
    const LoadResult r = loadDataset(csv);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const Dataset &ds = r.dataset;
    QCOMPARE(ds.classes, QStringList({"Coat", "Shirt"}));
    QCOMPARE(ds.samples.size(), std::size_t(2));
    QCOMPARE(QFileInfo(ds.samples[0].path).fileName(), QStringLiteral("1.png"));
    QCOMPARE(ds.samples[0].label, 0);
    QCOMPARE(ds.samples[0].split, QStringLiteral("train"));
    QCOMPARE(QFileInfo(ds.samples[1].path).fileName(), QStringLiteral("3.png"));
    QCOMPARE(ds.samples[1].label, 1);
    QCOMPARE(ds.samples[1].split, QStringLiteral("test"));
    QCOMPARE(ds.skipped.size(), std::size_t(2));
    QCOMPARE(ds.skipped[0].location, QStringLiteral("line 3"));
    QVERIFY2(ds.skipped[0].reason.contains(QLatin1String("excluded")), qPrintable(ds.skipped[0].reason));
    QCOMPARE(ds.skipped[1].location, QStringLiteral("line 5"));
    QVERIFY2(ds.skipped[1].reason.contains(QLatin1String("8 fields")), qPrintable(ds.skipped[1].reason));
}

void TestImageDatasets::csvClassesTxtAndLimit()
{
    const QString dir = m_tmp.filePath(QStringLiteral("csv-classes"));
    for (const char *name : {"1.png", "2.png", "3.png", "4.png", "5.png"})
        QVERIFY(writeFile(dir + QLatin1Char('/') + QLatin1String(name), encode(greyRamp(6, 6), ".png")));
    QVERIFY(writeFile(dir + QStringLiteral("/classes.txt"), "bird\ncat\n\ndog\n"));
    // No header; a multi-line quoted field counts its lines.
    QVERIFY(writeFile(dir + QStringLiteral("/m.csv"), "1.png,dog,train\n"
                                                      "2.png,cat,train\n"
                                                      "\"3.png\",\"fish\"\n"
                                                      "4.png,bird,test\n"
                                                      "\"5\n.png\",cat\n"
                                                      "5.png,dog,test\n"));
    LoadOptions options;
    options.imageSize = 6;
    LoadResult r = readCsvManifest(dir + QStringLiteral("/m.csv"), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"bird", "cat", "dog"}));
    QCOMPARE(r.dataset.channels, 1);
    std::vector<int> labels;
    for (const Sample &s : r.dataset.samples)
        labels.push_back(s.label);
    QCOMPARE(labels, std::vector<int>({2, 1, 0, 2}));
    QCOMPARE(r.dataset.skipped.size(), std::size_t(2));
    QCOMPARE(r.dataset.skipped[0].location, QStringLiteral("line 3"));
    QVERIFY2(r.dataset.skipped[0].reason.contains(QLatin1String("unknown class \"fish\"")), qPrintable(r.dataset.skipped[0].reason));
    QCOMPARE(r.dataset.skipped[1].location, QStringLiteral("line 5"));
    QVERIFY(r.dataset.skipped[1].reason.contains(QLatin1String("not found")));

    // limit: N per split, the classes in turn (train: cat's 2.png before dog's 1.png) ...
    options.limit = 1;
    r = readCsvManifest(dir + QStringLiteral("/m.csv"), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.samples.size(), std::size_t(2));
    QCOMPARE(QFileInfo(r.dataset.samples[0].path).fileName(), QStringLiteral("2.png"));
    QCOMPARE(QFileInfo(r.dataset.samples[1].path).fileName(), QStringLiteral("4.png"));
    // ... or the first N rows.
    options.limitOrder = LimitOrder::FileOrder;
    r = readCsvManifest(dir + QStringLiteral("/m.csv"), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(QFileInfo(r.dataset.samples[0].path).fileName(), QStringLiteral("1.png"));
    QCOMPARE(QFileInfo(r.dataset.samples[1].path).fileName(), QStringLiteral("4.png"));
}

void TestImageDatasets::csvRefused()
{
    const QString dir = m_tmp.filePath(QStringLiteral("csv-bad"));
    QVERIFY(writeFile(dir + QStringLiteral("/open-quote.csv"), "path,label\na.png,cat\n\"b.png,dog\nc.png,cat\n"));
    LoadResult r = readCsvManifest(dir + QStringLiteral("/open-quote.csv"));
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(QLatin1String("open-quote.csv")) && r.error.contains(QLatin1String("line 3")), qPrintable(r.error));

    QVERIFY(writeFile(dir + QStringLiteral("/all-missing.csv"), "a.png,cat\nb.png,dog\n"));
    r = readCsvManifest(dir + QStringLiteral("/all-missing.csv"));
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(QLatin1String("no readable images")), qPrintable(r.error));
    QCOMPARE(r.dataset.skipped.size(), std::size_t(2));

    r = readCsvManifest(dir + QStringLiteral("/none.csv"));
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(QLatin1String("none.csv")), qPrintable(r.error));
}

void TestImageDatasets::unknownSpecs()
{
    LoadResult r = loadDataset(QStringLiteral("/no/such/dataset"));
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(QLatin1String("/no/such/dataset")), qPrintable(r.error));
    r = loadDataset(QString());
    QVERIFY(!r.ok());
    const QString txt = m_tmp.filePath(QStringLiteral("spec.txt"));
    QVERIFY(writeFile(txt, "hello"));
    r = loadDataset(txt);
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(QLatin1String("not a dataset")), qPrintable(r.error));
}

QTEST_GUILESS_MAIN(TestImageDatasets)
#include "tst_imagedatasets.moc"
