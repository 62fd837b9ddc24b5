// Decoding speed of an image folder's files (RESULTS.md, session 22): every image file under
// ROOT decoded on one thread with decodeImageFile at each MIN_SIDE (0 = whole; > 0 lets a large
// JPEG come reduced by libjpeg), all files and then the JPEGs and the HEICs alone, then the same files loaded as a dataset (loadDataset, 32-px
// training table) with THREADS = 1 and 2. Prints images/s and megapixels/s.
//
//   build/tests/decode_bench ROOT [MIN_SIDE...]        (default: 0 32 128 256)
#include "base/dataset.h"
#include "base/imagejobs.h"

#include <QCoreApplication>
#include <QDirIterator>
#include <QElapsedTimer>

#include <cstdio>

using namespace labelscope;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: decode_bench ROOT [MIN_SIDE...]\n");
        return 2;
    }
    const QString root = QString::fromLocal8Bit(argv[1]);
    std::vector<int> minSides;
    for (int a = 2; a < argc; ++a)
        minSides.push_back(std::atoi(argv[a]));
    if (minSides.empty())
        minSides = {0, 32, 128, 256};
    QStringList files;
    for (QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories); it.hasNext();) {
        const QString f = it.next();
        if (hasImageExtension(f))
            files << f;
    }
    files.sort();
    std::printf("%lld files under %s\n", qlonglong(files.size()), qPrintable(root));
    for (const int minSide : minSides) {
        QElapsedTimer t;
        t.start();
        double megapixels = 0, decodedMegapixels = 0;
        int ok = 0;
        DecodedImage img;
        for (const QString &f : files) {
            QString error;
            if (!decodeImageFile(f, LoadOptions().maxPixels, &img, &error, minSide))
                continue;
            ++ok;
            megapixels += double(img.sourceWidth()) * img.sourceHeight() / 1e6;
            decodedMegapixels += double(img.width) * img.height / 1e6;
        }
        const double s = t.elapsed() / 1000.0;
        std::printf("decodeImageFile minSide %4d: %d images in %.2f s, %.1f images/s, %.1f source MP/s (decoded %.1f MP)\n",
                    minSide, ok, s, ok / s, megapixels / s, decodedMegapixels);
        for (const QString suffix : {QStringLiteral(".jpg"), QStringLiteral(".heic")}) { // per format
            QElapsedTimer tf;
            tf.start();
            int count = 0;
            for (const QString &f : files)
                if (f.endsWith(suffix) && decodeImageFile(f, LoadOptions().maxPixels, &img, nullptr, minSide))
                    ++count;
            if (count > 0)
                std::printf("    %s only: %d images, %.1f images/s\n", qPrintable(suffix), count, count / (tf.elapsed() / 1000.0));
        }
    }
    for (const int threads : {1, 2}) {
        LoadOptions options;
        options.threads = threads;
        QElapsedTimer t;
        t.start();
        const LoadResult r = loadDataset(root, options);
        const double s = t.elapsed() / 1000.0;
        std::printf("loadDataset, %d thread(s): %lld samples, %lld skipped in %.2f s, %.1f images/s%s%s\n", threads,
                    qlonglong(r.dataset.samples.size()), qlonglong(r.dataset.skipped.size()), s,
                    double(r.dataset.samples.size()) / s, r.ok() ? "" : ", error: ", qPrintable(r.error));
    }
    return 0;
}
