// Fuzz target: the CSV manifest reader (readCsvManifest). The manifest lies in a folder that holds
// a few small images (a.png grey, b.jpg and c.bmp colour, sub/d.png, big.png over the pixel
// limit, empty.png, bad.png not an image), so that relative paths in the corpus resolve.
// Input: byte 0 = flags (bit 0: a classes.txt "cat, dog, bird" lies beside the manifest; bit 1:
// LoadOptions::limit = 2); the rest is the CSV.

#include "fuzzutil.h"

#include "base/dataset.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <vector>

namespace {

using namespace labelscope;

void check(bool condition, const char *what)
{
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s\n", what);
        std::abort();
    }
}

QByteArray encode(const char *ext, int side, int type)
{
    cv::Mat img(side, side, type);
    cv::randu(img, 0, 255);
    std::vector<uchar> bytes;
    if (!cv::imencode(ext, img, bytes))
        std::abort();
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

const QString &folder()
{
    static const QString dir = [] {
        const QString d = fuzz::scratchDir() + QStringLiteral("/manifest");
        QDir().mkpath(d + QStringLiteral("/sub"));
        fuzz::writeFile(QStringLiteral("manifest/a.png"), encode(".png", 8, CV_8UC1));
        fuzz::writeFile(QStringLiteral("manifest/b.jpg"), encode(".jpg", 8, CV_8UC3));
        fuzz::writeFile(QStringLiteral("manifest/c.bmp"), encode(".bmp", 6, CV_8UC3));
        fuzz::writeFile(QStringLiteral("manifest/sub/d.png"), encode(".png", 12, CV_8UC3));
        fuzz::writeFile(QStringLiteral("manifest/big.png"), encode(".png", 100, CV_8UC1));
        fuzz::writeFile(QStringLiteral("manifest/empty.png"), QByteArray());
        fuzz::writeFile(QStringLiteral("manifest/bad.png"), QByteArray("not an image\n"));
        return d;
    }();
    return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t flags = data[0];
    const QString dir = folder();
    const QString classes = dir + QStringLiteral("/classes.txt");
    if (flags & 1)
        fuzz::writeFile(QStringLiteral("manifest/classes.txt"), QByteArray("cat\ndog\nbird\n"));
    else
        QFile::remove(classes);
    const QString csv = fuzz::writeFile(QStringLiteral("manifest/data.csv"), fuzz::bytesOf(data + 1, size - 1));

    LoadOptions options;
    options.imageSize = 8;
    options.maxPixels = 4096;
    if (flags & 2)
        options.limit = 2;
    const LoadResult r = readCsvManifest(csv, options);
    if (r.ok()) {
        const Dataset &ds = r.dataset;
        check(!ds.samples.empty(), "a dataset without samples is an error");
        check(ds.pixels.size() == ds.samples.size() * ds.imageBytes(), "pixels match samples");
        for (const Sample &s : ds.samples)
            check(s.label >= -1 && s.label < int(ds.classes.size()), "label within classes");
    }
    return 0;
}
