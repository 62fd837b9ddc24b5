// Fuzz target: the IDX reader (readIdx, readIdxImagesHeader), plain and gzipped.
// Input: byte 0 = flags (bit 0: gzip the images here; bit 1: a labels file follows; bit 2: gzip
// the labels; bit 3: LoadOptions::limit = 3); with bit 1, bytes 1-2 = the labels file's length L
// (little-endian) and the next L bytes the labels file; the rest is the images file. Inputs that
// are gzip files themselves (flag bit 0 clear) reach the reader's own gzip paths as they are.

#include "fuzzutil.h"

#include "base/dataset.h"
#include "base/idxreader.h"

#include <zlib.h>

#include <cstring>

namespace {

using namespace labelscope;

QByteArray gzip(const QByteArray &in)
{
    z_stream zs{};
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        std::abort();
    QByteArray out(qsizetype(deflateBound(&zs, uLong(in.size())) + 32), '\0');
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.constData()));
    zs.avail_in = uInt(in.size());
    zs.next_out = reinterpret_cast<Bytef *>(out.data());
    zs.avail_out = uInt(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        std::abort();
    out.resize(qsizetype(zs.total_out));
    deflateEnd(&zs);
    return out;
}

void check(bool condition, const char *what)
{
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s\n", what);
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t flags = data[0];
    size_t pos = 1;
    QByteArray labels;
    const bool haveLabels = flags & 2;
    if (haveLabels) {
        if (size < 3)
            return 0;
        const size_t length = size_t(data[1]) | (size_t(data[2]) << 8);
        pos = 3;
        if (length > size - pos)
            return 0;
        labels = fuzz::bytesOf(data + pos, length);
        pos += length;
    }
    QByteArray images = fuzz::bytesOf(data + pos, size - pos);
    if (flags & 1)
        images = gzip(images);
    if (flags & 4)
        labels = gzip(labels);
    const QString imagesFile = fuzz::writeFile(QStringLiteral("train-images-idx3-ubyte"), images);
    const QString labelsFile = haveLabels ? fuzz::writeFile(QStringLiteral("train-labels-idx1-ubyte"), labels) : QString();

    IdxImagesHeader header;
    QString error;
    const LoadOptions defaults;
    if (readIdxImagesHeader(imagesFile, defaults.maxPixels, &header, &error))
        check(header.count >= 0 && header.rows > 0 && header.cols > 0, "header sizes");
    else
        check(!error.isEmpty(), "header error without a message");

    LoadOptions options;
    if (flags & 8)
        options.limit = 3;
    const LoadResult r = readIdx(imagesFile, labelsFile, QStringLiteral("train"), options);
    if (r.ok()) {
        const Dataset &ds = r.dataset;
        check(ds.pixels.size() == ds.samples.size() * ds.imageBytes(), "pixels match samples");
        for (const Sample &s : ds.samples)
            check(s.label < int(ds.classes.size()), "label within classes");
    }
    return 0;
}
