// Tests of the dataset readers (core/base/dataset.h): the real Fashion-MNIST, IDX files written
// here (plain and gzipped, well-formed and broken), ImageFolder trees and CSV manifests with
// good and bad images (corrupt, empty, truncated, not images, absurd header sizes).

#include "base/dataset.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <numeric>
#include <thread>

using namespace labelscope;

namespace {

const QString kFashionDir = QStringLiteral("/usr/share/datasets/fashion-mnist");

quint32 crc32Of(const char *data, qsizetype size)
{
    quint32 crc = 0xFFFFFFFFu;
    for (qsizetype i = 0; i < size; ++i) {
        crc ^= uchar(data[i]);
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

void appendLe(QByteArray &out, quint32 v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        out.append(char((v >> (8 * i)) & 0xFF));
}

void appendBe32(QByteArray &out, quint32 v)
{
    for (int i = 3; i >= 0; --i)
        out.append(char((v >> (8 * i)) & 0xFF));
}

void putBe32(QByteArray &b, qsizetype at, quint32 v)
{
    for (int i = 0; i < 4; ++i)
        b[at + i] = char((v >> (8 * (3 - i))) & 0xFF);
}

void putBe16(QByteArray &b, qsizetype at, quint32 v)
{
    b[at] = char((v >> 8) & 0xFF);
    b[at + 1] = char(v & 0xFF);
}

void putLe32(QByteArray &b, qsizetype at, quint32 v)
{
    for (int i = 0; i < 4; ++i)
        b[at + i] = char((v >> (8 * i)) & 0xFF);
}

/// A gzip file of `raw` made of stored (uncompressed) deflate blocks, with a correct CRC-32:
/// enough for the reader's zlib, without linking zlib here.
QByteArray gzipStored(const QByteArray &raw)
{
    QByteArray out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
    qsizetype pos = 0;
    do {
        const qsizetype len = std::min<qsizetype>(65535, raw.size() - pos);
        out.append(char(pos + len >= raw.size() ? 1 : 0)); // BFINAL, BTYPE 00 (stored)
        appendLe(out, quint32(len), 2);
        appendLe(out, quint32(~len & 0xFFFF), 2);
        out.append(raw.constData() + pos, len);
        pos += len;
    } while (pos < raw.size());
    appendLe(out, crc32Of(raw.constData(), raw.size()), 4);
    appendLe(out, quint32(raw.size()), 4);
    return out;
}

/// An IDX file of unsigned bytes: magic 0x0000080N, dims, data.
QByteArray idxBytes(const std::vector<quint32> &dims, const QByteArray &data)
{
    QByteArray out;
    appendBe32(out, 0x0800u | quint32(dims.size()));
    for (quint32 d : dims)
        appendBe32(out, d);
    return out + data;
}

/// `count` images of rows x cols whose pixel p of image i is (i * 31 + p * 7) % 256.
QByteArray idxPixels(int count, int rows, int cols)
{
    QByteArray data;
    for (int i = 0; i < count; ++i)
        for (int p = 0; p < rows * cols; ++p)
            data.append(char((i * 31 + p * 7) % 256));
    return data;
}

QByteArray labelBytes(const std::vector<int> &labels)
{
    QByteArray data;
    for (int l : labels)
        data.append(char(l));
    return data;
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

QByteArray encode(const cv::Mat &img, const char *ext)
{
    std::vector<uchar> buf;
    cv::imencode(ext, img, buf);
    return QByteArray(reinterpret_cast<const char *>(buf.data()), qsizetype(buf.size()));
}

/// A BGR image of w x h filled with one colour given as RGB.
cv::Mat solid(int w, int h, int r, int g, int b)
{
    return cv::Mat(h, w, CV_8UC3, cv::Scalar(b, g, r));
}

cv::Mat greyRamp(int w, int h)
{
    cv::Mat m(h, w, CV_8UC1);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            m.at<uchar>(y, x) = uchar((x * 5 + y * 3) % 256);
    return m;
}

QByteArray pngClaiming(quint32 width, quint32 height)
{
    QByteArray png = encode(solid(4, 4, 10, 20, 30), ".png");
    putBe32(png, 16, width);
    putBe32(png, 20, height);
    putBe32(png, 29, crc32Of(png.constData() + 12, 17)); // a valid IHDR CRC: only the size is wrong
    return png;
}

QByteArray jpegClaiming(quint32 width, quint32 height)
{
    QByteArray jpg = encode(solid(16, 16, 200, 100, 50), ".jpg");
    const qsizetype sof = jpg.indexOf(QByteArray("\xFF\xC0", 2));
    if (sof < 0)
        return {};
    putBe16(jpg, sof + 5, height);
    putBe16(jpg, sof + 7, width);
    return jpg;
}

QByteArray bmpClaiming(quint32 width, quint32 height)
{
    QByteArray bmp = encode(solid(4, 4, 1, 2, 3), ".bmp");
    putLe32(bmp, 18, width);
    putLe32(bmp, 22, height);
    return bmp;
}

QByteArray corruptPng()
{
    QByteArray png = encode(greyRamp(64, 64), ".png");
    for (qsizetype i = 45; i < png.size() - 20; ++i) // inside IDAT
        png[i] = char(0xA5 ^ i);
    return png;
}

qint64 pixelSum(const Dataset &ds, std::size_t i)
{
    const std::uint8_t *p = ds.image(i);
    return std::accumulate(p, p + ds.imageBytes(), qint64(0));
}

QStringList skippedNames(const Dataset &ds)
{
    QStringList names;
    for (const SkippedItem &s : ds.skipped)
        names << QFileInfo(s.file).fileName();
    names.sort();
    return names;
}

const SkippedItem *findSkipped(const Dataset &ds, const QString &fileName)
{
    for (const SkippedItem &s : ds.skipped)
        if (QFileInfo(s.file).fileName() == fileName)
            return &s;
    return nullptr;
}

} // namespace

class TestDatasets final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fashionMnist();
    void fashionMnistProgressAndCancel();
    void sampleImageFromIdxCache();
    void idxRoundTrip_data();
    void idxRoundTrip();
    void idxFolderBothSplits();
    void idxRefused_data();
    void idxRefused();
    void namedSpecs();
    void decodeGood();
    void decodeBad_data();
    void decodeBad();
    void imageFolder();
    void imageFolderGreyAndUnicode();
    void imageFolderLimitAndCancel();
    void csvManifest();
    void csvClassesTxtAndLimit();
    void csvRefused();
    void unknownSpecs();

private:
    QTemporaryDir m_tmp;
};

void TestDatasets::fashionMnist()
{
    if (!QFileInfo::exists(kFashionDir))
        QSKIP("dataset-fashion-mnist is not installed");
    LoadOptions options;
    options.limit = 1000;
    const LoadResult r = loadDataset(QStringLiteral("fashion-mnist"), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const Dataset &ds = r.dataset;
    QCOMPARE(ds.spec, QStringLiteral("fashion-mnist"));
    QCOMPARE(ds.classes, fashionMnistClasses());
    QCOMPARE(ds.classes.at(9), QStringLiteral("Ankle boot"));
    QCOMPARE(ds.samples.size(), std::size_t(2000));
    QCOMPARE(ds.channels, 1);
    QCOMPARE(ds.height, 28);
    QCOMPARE(ds.width, 28);
    QCOMPARE(ds.pixels.size(), std::size_t(2000 * 28 * 28));
    QVERIFY(ds.skipped.empty());

    std::vector<int> histogram(10, 0);
    for (std::size_t i = 0; i < ds.samples.size(); ++i) {
        const Sample &s = ds.samples[i];
        QCOMPARE(s.source, QStringLiteral("idx"));
        QCOMPARE(s.split, i < 1000 ? QStringLiteral("train") : QStringLiteral("test"));
        QCOMPARE(s.offset, qint64(i % 1000));
        QVERIFY(s.label >= 0 && s.label < 10);
        QCOMPARE(s.trueLabel, -1);
        ++histogram[std::size_t(s.label)];
    }
    for (int c = 0; c < 10; ++c)
        QVERIFY2(histogram[std::size_t(c)] > 100, qPrintable(QString::number(c))); // roughly balanced
    QVERIFY(ds.samples[0].path.endsWith(QLatin1String("/train-images-idx3-ubyte.gz")));
    QVERIFY(ds.samples[1000].path.endsWith(QLatin1String("/t10k-images-idx3-ubyte.gz")));
    // Known first samples: an ankle boot in each split; pixel sums from the published files.
    QCOMPARE(ds.samples[0].label, 9);
    QCOMPARE(ds.samples[1].label, 0);
    QCOMPARE(ds.samples[1000].label, 9);
    QCOMPARE(ds.samples[1001].label, 2);
    QCOMPARE(pixelSum(ds, 0), qint64(76247));
    QCOMPARE(pixelSum(ds, 1000), qint64(33456));
    for (std::size_t i = 0; i < ds.samples.size(); i += 97)
        QVERIFY(pixelSum(ds, i) > 0);

    // The directory spec reads the same thing.
    const LoadResult byPath = loadDataset(kFashionDir, options);
    QVERIFY2(byPath.ok(), qPrintable(byPath.error));
    QCOMPARE(byPath.dataset.classes, fashionMnistClasses());
    QVERIFY(byPath.dataset.pixels == ds.pixels);
}

void TestDatasets::fashionMnistProgressAndCancel()
{
    if (!QFileInfo::exists(kFashionDir))
        QSKIP("dataset-fashion-mnist is not installed");
    LoadOptions options;
    options.limit = 2500;
    std::vector<std::pair<qint64, qint64>> calls;
    options.progress = [&calls](qint64 done, qint64 total) {
        calls.emplace_back(done, total);
        return true;
    };
    const LoadResult r = loadDataset(QStringLiteral("fashion-mnist"), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QVERIFY(calls.size() >= 5);
    for (std::size_t i = 0; i < calls.size(); ++i) {
        QCOMPARE(calls[i].second, qint64(5000));
        if (i > 0)
            QVERIFY(calls[i].first > calls[i - 1].first);
    }
    QCOMPARE(calls.back().first, qint64(5000));

    int seen = 0;
    options.progress = [&seen](qint64, qint64) { return ++seen < 2; };
    const LoadResult cancelled = loadDataset(QStringLiteral("fashion-mnist"), options);
    QCOMPARE(cancelled.error, QStringLiteral("cancelled"));
    QCOMPARE(seen, 2);
}

void TestDatasets::sampleImageFromIdxCache()
{
    // A small IDX file, read through the per-process cache from several threads at once.
    const QString file = m_tmp.filePath(QStringLiteral("cache/t10k-images-idx3-ubyte"));
    QVERIFY(writeFile(file, idxBytes({50, 6, 5}, idxPixels(50, 6, 5))));
    const LoadResult r = readIdx(file, QString(), QStringLiteral("test"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.samples.size(), std::size_t(50));
    QCOMPARE(r.dataset.samples[7].label, -1);

    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t i = std::size_t(t); i < 50; i += 4) {
                DecodedImage img;
                QString error;
                if (!loadSampleImage(r.dataset.samples[i], &img, &error) || img.width != 5 || img.height != 6
                    || img.channels != 1
                    || !std::equal(img.pixels.begin(), img.pixels.end(), r.dataset.image(i)))
                    ++failures;
            }
        });
    }
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(failures.load(), 0);

    Sample outOfRange = r.dataset.samples[0];
    outOfRange.offset = 50;
    DecodedImage img;
    QString error;
    QVERIFY(!loadSampleImage(outOfRange, &img, &error));
    QVERIFY2(error.contains(QLatin1String("out of range")), qPrintable(error));

    if (QFileInfo::exists(kFashionDir)) {
        Sample s;
        s.source = QStringLiteral("idx");
        s.path = kFashionDir + QStringLiteral("/train-images-idx3-ubyte.gz");
        s.offset = 0;
        QVERIFY2(loadSampleImage(s, &img, &error), qPrintable(error));
        QCOMPARE(img.width, 28);
        QCOMPARE(std::accumulate(img.pixels.begin(), img.pixels.end(), qint64(0)), qint64(76247));
        s.offset = 59999;
        QVERIFY2(loadSampleImage(s, &img, &error), qPrintable(error));
        QCOMPARE(img.pixels.size(), std::size_t(784));
    }
}

void TestDatasets::idxRoundTrip_data()
{
    QTest::addColumn<bool>("gzipImages");
    QTest::addColumn<bool>("gzipLabels");
    QTest::addColumn<QString>("suffix");
    QTest::addColumn<qint64>("limit");
    QTest::newRow("plain") << false << false << QString() << qint64(-1);
    QTest::newRow("gzip") << true << true << QStringLiteral(".gz") << qint64(-1);
    QTest::newRow("gzip, no .gz suffix") << true << false << QString() << qint64(-1);
    QTest::newRow(".gz suffix, not gzipped") << false << false << QStringLiteral(".gz") << qint64(-1);
    QTest::newRow("limit") << true << false << QString() << qint64(3);
    QTest::newRow("limit 0") << false << false << QString() << qint64(0);
}

void TestDatasets::idxRoundTrip()
{
    QFETCH(bool, gzipImages);
    QFETCH(bool, gzipLabels);
    QFETCH(QString, suffix);
    QFETCH(qint64, limit);
    const QString dir = m_tmp.filePath(QStringLiteral("roundtrip-%1").arg(QTest::currentDataTag()));
    const QString images = dir + QStringLiteral("/imgs") + suffix;
    const QString labels = dir + QStringLiteral("/lbls") + suffix;
    // 70000 bytes of pixels: more than one stored gzip block.
    const int count = 7, rows = 100, cols = 100;
    const QByteArray rawImages = idxBytes({count, rows, cols}, idxPixels(count, rows, cols));
    const QByteArray rawLabels = idxBytes({count}, labelBytes({3, 1, 4, 1, 5, 9, 2}));
    QVERIFY(writeFile(images, gzipImages ? gzipStored(rawImages) : rawImages));
    QVERIFY(writeFile(labels, gzipLabels ? gzipStored(rawLabels) : rawLabels));

    LoadOptions options;
    options.limit = limit;
    const LoadResult r = readIdx(images, labels, QStringLiteral("train"), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const Dataset &ds = r.dataset;
    const std::size_t n = limit < 0 ? std::size_t(count) : std::size_t(limit);
    QCOMPARE(ds.samples.size(), n);
    QCOMPARE(ds.channels, 1);
    QCOMPARE(ds.height, rows);
    QCOMPARE(ds.width, cols);
    QCOMPARE(ds.classes.size(), 10);
    QCOMPARE(ds.pixels.size(), n * rows * cols);
    const int expectedLabels[] = {3, 1, 4, 1, 5, 9, 2};
    for (std::size_t i = 0; i < n; ++i) {
        QCOMPARE(ds.samples[i].label, expectedLabels[i]);
        QCOMPARE(ds.samples[i].split, QStringLiteral("train"));
        QCOMPARE(ds.samples[i].offset, qint64(i));
        QCOMPARE(ds.samples[i].path, QFileInfo(images).absoluteFilePath());
    }
    QVERIFY(std::equal(ds.pixels.begin(), ds.pixels.end(),
                       reinterpret_cast<const std::uint8_t *>(rawImages.constData()) + 16));
}

void TestDatasets::idxFolderBothSplits()
{
    // MNIST layout: train gzipped, test plain, one label above 9: classes "0".."12".
    const QString dir = m_tmp.filePath(QStringLiteral("idxfolder"));
    QVERIFY(writeFile(dir + QStringLiteral("/train-images-idx3-ubyte.gz"),
                      gzipStored(idxBytes({4, 3, 2}, idxPixels(4, 3, 2)))));
    QVERIFY(writeFile(dir + QStringLiteral("/train-labels-idx1-ubyte.gz"),
                      gzipStored(idxBytes({4}, labelBytes({0, 12, 5, 5})))));
    QVERIFY(writeFile(dir + QStringLiteral("/t10k-images-idx3-ubyte"), idxBytes({2, 3, 2}, idxPixels(2, 3, 2))));
    QVERIFY(writeFile(dir + QStringLiteral("/t10k-labels-idx1-ubyte"), idxBytes({2}, labelBytes({7, 1}))));
    LoadResult r = loadDataset(dir);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.spec, dir);
    QCOMPARE(r.dataset.classes.size(), 13);
    QCOMPARE(r.dataset.classes.front(), QStringLiteral("0"));
    QCOMPARE(r.dataset.classes.back(), QStringLiteral("12"));
    QCOMPARE(r.dataset.samples.size(), std::size_t(6));
    QCOMPARE(r.dataset.pixels.size(), std::size_t(36));
    QStringList splits;
    std::vector<int> labels;
    for (const Sample &s : r.dataset.samples) {
        splits << s.split;
        labels.push_back(s.label);
    }
    QCOMPARE(splits, QStringList({"train", "train", "train", "train", "test", "test"}));
    QCOMPARE(labels, std::vector<int>({0, 12, 5, 5, 7, 1}));
    QCOMPARE(int(r.dataset.image(4)[0]), 0); // first pixel of the first test image

    // A single images file as the spec: its labels file is found beside it.
    r = loadDataset(dir + QStringLiteral("/t10k-images-idx3-ubyte"));
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.samples.size(), std::size_t(2));
    QCOMPARE(r.dataset.samples[1].label, 1);
    QCOMPARE(r.dataset.samples[1].split, QStringLiteral("test"));

    // Splits whose image sizes differ are refused.
    QVERIFY(writeFile(dir + QStringLiteral("/t10k-images-idx3-ubyte"), idxBytes({2, 2, 3}, idxPixels(2, 2, 3))));
    r = loadDataset(dir);
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(QLatin1String("t10k-images-idx3-ubyte")), qPrintable(r.error));
}

void TestDatasets::idxRefused_data()
{
    QTest::addColumn<QByteArray>("images");
    QTest::addColumn<QByteArray>("labels"); // empty: no labels file
    QTest::addColumn<QString>("badFile");   // "images" or "labels": the file the error names
    QTest::addColumn<QStringList>("expected");

    const QByteArray good = idxBytes({5, 3, 4}, idxPixels(5, 3, 4));  // 16 + 60 bytes
    const QByteArray labels = idxBytes({5}, labelBytes({0, 1, 2, 3, 4}));
    const QByteArray cut = good.left(16 + 2 * 12 + 5);                 // ends at byte 45
    QTest::newRow("truncated") << cut << labels << "images"
                               << QStringList{"truncated", "byte 45", "76 bytes"};
    QTest::newRow("truncated, gzipped") << gzipStored(cut) << labels << "images"
                                        << QStringList{"truncated", "byte 45 of the decompressed data"};
    const QByteArray gz = gzipStored(good);
    QTest::newRow("gzip stream cut") << gz.left(gz.size() - 30) << labels << "images"
                                     << QStringList{"truncated gzip stream", "byte 54 of the decompressed data"};
    QByteArray badCrc = gz;
    badCrc[badCrc.size() - 6] = char(badCrc[badCrc.size() - 6] ^ 0x55);
    QTest::newRow("gzip CRC mismatch") << badCrc << labels << "images" << QStringList{"corrupt gzip data", "byte"};
    QTest::newRow("header cut") << good.left(10) << labels << "images" << QStringList{"truncated", "byte 10"};
    QTest::newRow("empty file") << QByteArray() << labels << "images" << QStringList{"truncated", "byte 0"};
    QTest::newRow("bad magic") << (QByteArray("GIF89a") + good.mid(6)) << labels << "images"
                               << QStringList{"bad magic", "byte 0", "not an IDX file"};
    QTest::newRow("labels file as images") << labels << labels << "images"
                                           << QStringList{"bad magic", "0x00000801", "byte 0"};
    QByteArray intType = good;
    intType[2] = char(0x0C);
    QTest::newRow("int32 data type") << intType << labels << "images" << QStringList{"bad magic", "data type 0x0c"};
    QTest::newRow("images file as labels") << good << good << "labels" << QStringList{"bad magic", "byte 0"};
    QTest::newRow("absurd image size") << idxBytes({1, 100000, 100000}, {}) << QByteArray() << "images"
                                       << QStringList{"absurd image size 100000x100000", "byte 8"};
    QTest::newRow("zero rows") << idxBytes({1, 0, 28}, {}) << QByteArray() << "images"
                               << QStringList{"absurd image size 0x28"};
    QTest::newRow("product overflow") << idxBytes({0xFFFFFFFFu, 6000, 6000}, {}) << QByteArray() << "images"
                                      << QStringList{"absurd dimensions 4294967295x6000x6000", "byte 4"};
    QTest::newRow("label count mismatch") << good << idxBytes({4}, labelBytes({0, 1, 2, 3})) << "labels"
                                          << QStringList{"4 labels", "5 images"};
    QTest::newRow("labels truncated") << good << labels.left(10) << "labels"
                                      << QStringList{"truncated", "byte 10", "13 bytes"};
    QTest::newRow("labels truncated, gzipped") << good << gzipStored(labels.left(10)) << "labels"
                                               << QStringList{"truncated", "byte 10 of the decompressed data"};
}

void TestDatasets::idxRefused()
{
    QFETCH(QByteArray, images);
    QFETCH(QByteArray, labels);
    QFETCH(QString, badFile);
    QFETCH(QStringList, expected);
    const QString dir = m_tmp.filePath(QStringLiteral("refused-%1").arg(QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_'))));
    const QString imagesFile = dir + QStringLiteral("/images-idx3-ubyte");
    const QString labelsFile = dir + QStringLiteral("/labels-idx1-ubyte");
    QVERIFY(writeFile(imagesFile, images));
    if (!labels.isEmpty())
        QVERIFY(writeFile(labelsFile, labels));
    const LoadResult r = readIdx(imagesFile, labels.isEmpty() ? QString() : labelsFile, QStringLiteral("train"));
    QVERIFY2(!r.ok(), "accepted a broken IDX file");
    QVERIFY(r.dataset.samples.empty());
    QVERIFY2(r.error.startsWith(badFile == QLatin1String("images") ? QFileInfo(imagesFile).absoluteFilePath()
                                                                  : QFileInfo(labelsFile).absoluteFilePath()),
             qPrintable(r.error));
    for (const QString &part : expected)
        QVERIFY2(r.error.contains(part), qPrintable(QStringLiteral("\"%1\" not in: %2").arg(part, r.error)));
}

void TestDatasets::namedSpecs()
{
    // "mnist" and "fashion-mnist" resolve under LABELSCOPE_DATASETS_DIR (default /usr/share/datasets).
    const QString root = m_tmp.filePath(QStringLiteral("datasets"));
    QVERIFY(writeFile(root + QStringLiteral("/mnist/train-images-idx3-ubyte"), idxBytes({3, 2, 2}, idxPixels(3, 2, 2))));
    QVERIFY(writeFile(root + QStringLiteral("/mnist/train-labels-idx1-ubyte"), idxBytes({3}, labelBytes({1, 2, 3}))));
    QVERIFY(writeFile(root + QStringLiteral("/fashion-mnist/train-images-idx3-ubyte"), idxBytes({3, 2, 2}, idxPixels(3, 2, 2))));
    QVERIFY(writeFile(root + QStringLiteral("/fashion-mnist/train-labels-idx1-ubyte"), idxBytes({3}, labelBytes({9, 0, 10}))));
    qputenv("LABELSCOPE_DATASETS_DIR", QFile::encodeName(root));
    const LoadResult mnist = loadDataset(QStringLiteral(" MNIST "));
    const LoadResult fashion = loadDataset(QStringLiteral("fashion-mnist"));
    const LoadResult missing = [&] {
        QDir(root + QStringLiteral("/mnist")).removeRecursively();
        return loadDataset(QStringLiteral("mnist"));
    }();
    qunsetenv("LABELSCOPE_DATASETS_DIR");

    QVERIFY2(mnist.ok(), qPrintable(mnist.error));
    QCOMPARE(mnist.dataset.classes, QStringList({"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
    QCOMPARE(mnist.dataset.samples.size(), std::size_t(3));
    QCOMPARE(mnist.dataset.samples[2].label, 3);
    // Fashion-MNIST has 10 classes: label 10 (byte 8 + 2) is out of range.
    QVERIFY(!fashion.ok());
    QVERIFY2(fashion.error.contains(QLatin1String("train-labels-idx1-ubyte"))
                 && fashion.error.contains(QLatin1String("label 10 at byte 10 is out of range")),
             qPrintable(fashion.error));
    QVERIFY(!missing.ok());
    QVERIFY2(missing.error.contains(QLatin1String("not installed")), qPrintable(missing.error));

    // classes.txt beside IDX files names the classes and bounds the labels.
    const QString dir = m_tmp.filePath(QStringLiteral("named-classes"));
    QVERIFY(writeFile(dir + QStringLiteral("/train-images-idx3-ubyte"), idxBytes({3, 2, 2}, idxPixels(3, 2, 2))));
    QVERIFY(writeFile(dir + QStringLiteral("/train-labels-idx1-ubyte"), idxBytes({3}, labelBytes({0, 2, 1}))));
    QVERIFY(writeFile(dir + QStringLiteral("/classes.txt"), "zero\none\ntwo\n"));
    LoadResult r = loadDataset(dir);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.classes, QStringList({"zero", "one", "two"}));
    QVERIFY(writeFile(dir + QStringLiteral("/classes.txt"), "zero\none\n"));
    r = loadDataset(dir);
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(QLatin1String("label 2 at byte 9 is out of range (2 classes)")), qPrintable(r.error));
}

void TestDatasets::decodeGood()
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

void TestDatasets::decodeBad_data()
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
}

void TestDatasets::decodeBad()
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

void TestDatasets::imageFolder()
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
                                 "z_unlabelled.jpeg"}));
    QCOMPARE(labels, std::vector<int>({0, 0, 0, 1, 1, -1}));
    QCOMPARE(ds.pixels.size(), std::size_t(6 * 3 * 16 * 16));

    QCOMPARE(skippedNames(ds), QStringList({"corrupt.png", "empty.jpg", "huge.png", "text.png", "truncated.png"}));
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
        QVERIFY(all(plane(5, c), 198, 202));
    }
    QVERIFY(all(plane(4, 0), 0, 0) && all(plane(4, 1), 255, 255) && all(plane(4, 2), 0, 0));

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

void TestDatasets::imageFolderGreyAndUnicode()
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

void TestDatasets::imageFolderLimitAndCancel()
{
    const QString root = m_tmp.filePath(QStringLiteral("many"));
    for (int i = 0; i < 30; ++i)
        QVERIFY(writeFile(root + QStringLiteral("/c%1/%2.png").arg(i % 3).arg(i, 2, 10, QLatin1Char('0')),
                          encode(cv::Mat(4, 4, CV_8UC1, cv::Scalar(i)), ".png")));
    LoadOptions options;
    options.limit = 12;
    options.imageSize = 4;
    LoadResult r = readImageFolder(root, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.samples.size(), std::size_t(12));
    QCOMPARE(r.dataset.classes.size(), 3); // classes do not depend on the limit
    QCOMPARE(int(r.dataset.image(11)[0]), 4); // c0 has 00,03,...,27 (10 files), then c1: 01, 04
    QCOMPARE(r.dataset.samples[11].label, 1);

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

void TestDatasets::csvManifest()
{
    const QString dir = m_tmp.filePath(QStringLiteral("csv"));
    QVERIFY(writeFile(dir + QStringLiteral("/images/a.png"), encode(solid(10, 10, 255, 0, 0), ".png")));
    QVERIFY(writeFile(dir + QStringLiteral("/images/b.png"), encode(solid(10, 10, 0, 255, 0), ".png")));
    QVERIFY(writeFile(dir + QStringLiteral("/images/x,y.png"), encode(solid(10, 10, 0, 0, 255), ".png")));
    QVERIFY(writeFile(dir + QStringLiteral("/images/text.png"), "not an image"));
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
                            "images/a.png,cat,validation\r\n"            // 10: unknown split
                            "images/a.png,cat,train,extra\r\n";          // 11: too many fields
    QVERIFY(writeFile(csv, text));
    const LoadResult r = loadDataset(csv);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const Dataset &ds = r.dataset;
    QCOMPARE(ds.spec, csv);
    QCOMPARE(ds.classes, QStringList({"cat", "big \"dog\""}));
    QCOMPARE(ds.samples.size(), std::size_t(4));
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
    QVERIFY(at(QStringLiteral("line 10")) && at(QStringLiteral("line 10"))->reason.contains(QLatin1String("validation")));
    QVERIFY(at(QStringLiteral("line 11")) && at(QStringLiteral("line 11"))->reason.contains(QLatin1String("4 fields")));
}

void TestDatasets::csvClassesTxtAndLimit()
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

    // limit: first N per split.
    options.limit = 1;
    r = readCsvManifest(dir + QStringLiteral("/m.csv"), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.dataset.samples.size(), std::size_t(2));
    QCOMPARE(QFileInfo(r.dataset.samples[0].path).fileName(), QStringLiteral("1.png"));
    QCOMPARE(QFileInfo(r.dataset.samples[1].path).fileName(), QStringLiteral("4.png"));
}

void TestDatasets::csvRefused()
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

void TestDatasets::unknownSpecs()
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

QTEST_GUILESS_MAIN(TestDatasets)
#include "tst_datasets.moc"
