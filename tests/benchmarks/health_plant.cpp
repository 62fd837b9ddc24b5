// Plants seeded defects into Fashion-MNIST's training split for the dataset-health benchmark
// (issue 16; tests/benchmarks/RESULTS.md, "Session 8: dataset health"). Writes an IDX folder
// that `labelscope` reads as SPEC — train-images/labels-idx?-ubyte (60,000, with the defects),
// the untouched t10k-*.gz files and classes.txt — and truth.csv: index,type,source,detail.
//
// Of the 60,000 training images, disjoint random targets are replaced (the others untouched):
//   exact_duplicate 1% (600): a copy of another, untouched training image (its label too);
//   near_duplicate  1% (600): a copy of another untouched image, one third each: shifted by
//                   1–2 px in x and/or y (black enters, content leaves), Gaussian noise of
//                   σ 3–8 grey levels, or a JPEG re-encode at quality 50–95 (its label too);
//   outlier         1% (600): 1–3 letters or digits drawn with one of OpenCV's Hershey fonts,
//                   rotated by up to ±20°, 14–26 px, white on black, 28×28 (the target's label
//                   kept: out of distribution);
//   blurry        0.5% (300): the image blurred with a Gaussian of σ 1–2 px;
//   dark          0.5% (300): the pixels multiplied by 0.1–0.3.
//
//   build/tests/health_plant --out /tmp/fmnist-health-seed1 --seed 1 [--source fashion-mnist]

#include "base/dataset.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QTextStream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>

using namespace labelscope;

namespace {

void putBigEndian(QByteArray *out, quint32 v)
{
    for (int s = 24; s >= 0; s -= 8)
        out->append(char((v >> s) & 0xff));
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit()) {
        std::fprintf(stderr, "health_plant: cannot write %s: %s\n", qPrintable(path), qPrintable(f.errorString()));
        return false;
    }
    return true;
}

cv::Mat textImage(std::mt19937_64 &rng, QString *text)
{
    static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static const int kFonts[] = {cv::FONT_HERSHEY_SIMPLEX, cv::FONT_HERSHEY_PLAIN, cv::FONT_HERSHEY_DUPLEX,
                                 cv::FONT_HERSHEY_COMPLEX, cv::FONT_HERSHEY_TRIPLEX, cv::FONT_HERSHEY_SCRIPT_SIMPLEX};
    const int length = 1 + int(rng() % 3);
    std::string s;
    for (int i = 0; i < length; ++i)
        s += kChars[rng() % (sizeof(kChars) - 1)];
    *text = QString::fromStdString(s);
    const int font = kFonts[rng() % (sizeof(kFonts) / sizeof(kFonts[0]))];
    const int thickness = 1 + int(rng() % 3);
    // Render large, rotate by up to ±20°, then fit into a 14–26 px box inside the 28×28 frame at a
    // random offset: varied enough that two drawings of one letter are not near duplicates.
    cv::Mat big(160, 112 * length + 48, CV_8U, cv::Scalar(0));
    int base = 0;
    const cv::Size size = cv::getTextSize(s, font, 3.0, thickness * 4, &base);
    cv::putText(big, s, cv::Point(std::max(0, (big.cols - size.width) / 2), (big.rows + size.height) / 2), font, 3.0,
                cv::Scalar(255), thickness * 4, cv::LINE_AA);
    const double angle = double(int(rng() % 41) - 20);
    const cv::Mat rotation = cv::getRotationMatrix2D(cv::Point2f(big.cols / 2.0f, big.rows / 2.0f), angle, 1.0);
    cv::Mat rotated;
    cv::warpAffine(big, rotated, rotation, big.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
    std::vector<cv::Point> points;
    cv::findNonZero(rotated, points);
    const cv::Rect box = points.empty() ? cv::Rect(0, 0, rotated.cols, rotated.rows) : cv::boundingRect(points);
    const double target = 14.0 + double(rng() % 13);
    const double scale = target / std::max(box.width, box.height);
    cv::Mat glyph;
    cv::resize(rotated(box), glyph, cv::Size(std::max(1, int(box.width * scale)), std::max(1, int(box.height * scale))), 0, 0,
               cv::INTER_AREA);
    cv::Mat out(28, 28, CV_8U, cv::Scalar(0));
    const int x = int(rng() % (28 - glyph.cols + 1)), y = int(rng() % (28 - glyph.rows + 1));
    glyph.copyTo(out(cv::Rect(x, y, glyph.cols, glyph.rows)));
    *text += QStringLiteral(" font %1 angle %2 size %3").arg(font).arg(angle).arg(target);
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("out"), QStringLiteral("output folder"), QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("seed"), QStringLiteral("random seed"), QStringLiteral("N"), QStringLiteral("1")});
    parser.addOption({QStringLiteral("source"), QStringLiteral("dataset spec"), QStringLiteral("SPEC"),
                      QStringLiteral("fashion-mnist")});
    parser.process(app);
    const QString outDir = parser.value(QStringLiteral("out"));
    if (outDir.isEmpty()) {
        std::fprintf(stderr, "health_plant: --out DIR is required\n");
        return 2;
    }
    const quint64 seed = parser.value(QStringLiteral("seed")).toULongLong();
    const LoadResult loaded = loadDataset(parser.value(QStringLiteral("source")));
    if (!loaded.ok()) {
        std::fprintf(stderr, "health_plant: %s\n", qPrintable(loaded.error));
        return 1;
    }
    const Dataset &d = loaded.dataset;
    std::vector<int> train;
    for (std::size_t i = 0; i < d.samples.size(); ++i)
        if (d.samples[i].split == QLatin1String("train"))
            train.push_back(int(i));
    const int n = int(train.size());
    const int side = d.width, pixels = d.width * d.height;
    if (d.channels != 1 || d.width != 28 || d.height != 28 || n < 1000) {
        std::fprintf(stderr, "health_plant: expected 28x28 grey IDX images\n");
        return 1;
    }
    std::vector<std::uint8_t> images(std::size_t(n) * std::size_t(pixels));
    std::vector<int> labels(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        std::copy_n(d.image(std::size_t(train[std::size_t(i)])), pixels, images.begin() + std::ptrdiff_t(i) * pixels);
        labels[std::size_t(i)] = d.samples[std::size_t(train[std::size_t(i)])].label;
    }

    std::mt19937_64 rng(seed);
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    const int exact = n / 100, nearCount = n / 100, outliers = n / 100, blurred = n / 200, dark = n / 200;
    const int targets = exact + nearCount + outliers + blurred + dark;
    // order[0, targets) are targets; sources for the copies come after them (distinct, untouched).
    int nextSource = targets;
    QString csv = QStringLiteral("index,type,source,detail\n");
    auto image = [&](int i) { return cv::Mat(side, side, CV_8U, images.data() + std::size_t(i) * std::size_t(pixels)); };
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int t = 0; t < targets; ++t) {
        const int j = order[std::size_t(t)];
        cv::Mat target = image(j);
        QString type, detail;
        int source = -1;
        if (t < exact + nearCount) {
            source = order[std::size_t(nextSource++)];
            cv::Mat copy = image(source).clone();
            labels[std::size_t(j)] = labels[std::size_t(source)];
            if (t < exact) {
                type = QStringLiteral("exact_duplicate");
            } else {
                type = QStringLiteral("near_duplicate");
                const int kind = (t - exact) % 3;
                if (kind == 0) {
                    int dx = 0, dy = 0;
                    while (dx == 0 && dy == 0) {
                        dx = int(rng() % 5) - 2;
                        dy = int(rng() % 5) - 2;
                    }
                    const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
                    cv::Mat shifted;
                    cv::warpAffine(copy, shifted, m, copy.size(), cv::INTER_NEAREST, cv::BORDER_CONSTANT, cv::Scalar(0));
                    copy = shifted;
                    detail = QStringLiteral("shift %1 %2").arg(dx).arg(dy);
                } else if (kind == 1) {
                    const double sigma = 3.0 + 5.0 * unit(rng);
                    cv::Mat noise(copy.size(), CV_32F), f;
                    cv::theRNG().state = rng();
                    cv::randn(noise, 0.0, sigma);
                    copy.convertTo(f, CV_32F);
                    f += noise;
                    f.convertTo(copy, CV_8U);
                    detail = QStringLiteral("noise %1").arg(sigma, 0, 'f', 2);
                } else {
                    const int quality = 50 + int(rng() % 46);
                    std::vector<uchar> buffer;
                    cv::imencode(".jpg", copy, buffer, {cv::IMWRITE_JPEG_QUALITY, quality});
                    copy = cv::imdecode(buffer, cv::IMREAD_GRAYSCALE);
                    detail = QStringLiteral("jpeg %1").arg(quality);
                }
            }
            copy.copyTo(target);
        } else if (t < exact + nearCount + outliers) {
            type = QStringLiteral("outlier");
            textImage(rng, &detail).copyTo(target);
        } else if (t < exact + nearCount + outliers + blurred) {
            type = QStringLiteral("blurry");
            const double sigma = 1.0 + unit(rng);
            cv::Mat b;
            cv::GaussianBlur(target, b, cv::Size(0, 0), sigma);
            b.copyTo(target);
            detail = QStringLiteral("sigma %1").arg(sigma, 0, 'f', 2);
        } else {
            type = QStringLiteral("dark");
            const double factor = 0.1 + 0.2 * unit(rng);
            cv::Mat b;
            target.convertTo(b, CV_8U, factor);
            b.copyTo(target);
            detail = QStringLiteral("factor %1").arg(factor, 0, 'f', 3);
        }
        csv += QStringLiteral("%1,%2,%3,%4\n").arg(j).arg(type).arg(source).arg(detail);
    }

    if (!QDir().mkpath(outDir)) {
        std::fprintf(stderr, "health_plant: cannot create %s\n", qPrintable(outDir));
        return 1;
    }
    const QDir dir(outDir);
    QByteArray idxImages, idxLabels;
    putBigEndian(&idxImages, 0x00000803);
    putBigEndian(&idxImages, quint32(n));
    putBigEndian(&idxImages, quint32(side));
    putBigEndian(&idxImages, quint32(side));
    idxImages.append(reinterpret_cast<const char *>(images.data()), qsizetype(images.size()));
    putBigEndian(&idxLabels, 0x00000801);
    putBigEndian(&idxLabels, quint32(n));
    for (const int l : labels)
        idxLabels.append(char(l));
    QString classes;
    for (const QString &c : d.classes)
        classes += c + QLatin1Char('\n');
    if (!writeFile(dir.filePath(QStringLiteral("train-images-idx3-ubyte")), idxImages)
        || !writeFile(dir.filePath(QStringLiteral("train-labels-idx1-ubyte")), idxLabels)
        || !writeFile(dir.filePath(QStringLiteral("classes.txt")), classes.toUtf8())
        || !writeFile(dir.filePath(QStringLiteral("truth.csv")), csv.toUtf8()))
        return 1;
    // The test split, untouched: copied from the source folder.
    const QString sourceDir = QFileInfo(d.samples.back().path).absolutePath();
    for (const char *name : {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
        const QString to = dir.filePath(QLatin1String(name));
        QFile::remove(to);
        if (!QFile::copy(QDir(sourceDir).filePath(QLatin1String(name)), to)) {
            std::fprintf(stderr, "health_plant: cannot copy %s from %s\n", name, qPrintable(sourceDir));
            return 1;
        }
    }
    std::printf("health_plant: %d training images, %d defects (seed %llu) written to %s\n", n, targets,
                static_cast<unsigned long long>(seed), qPrintable(outDir));
    return 0;
}
