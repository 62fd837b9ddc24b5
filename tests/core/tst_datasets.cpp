// Tests of the IDX reader (core/base/dataset.h): the real Fashion-MNIST, IDX files written here
// (plain and gzipped, well-formed and broken), the sample cache and named dataset specs.

#include "datasetfixture.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <numeric>
#include <thread>

using namespace labelscope;
using namespace labelscope::testing;

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

QTEST_GUILESS_MAIN(TestDatasets)
#include "tst_datasets.moc"
