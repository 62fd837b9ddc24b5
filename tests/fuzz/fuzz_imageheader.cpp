// Fuzz target: the image-header sniffer (sniffImageHeader), then, for a header it accepts, the
// whole decode (decodeImageFile: the header check against the pixel limit, then OpenCV or
// libheif) and the reduced one (minSide 16: a JPEG at 1/2–1/8, a HEIF's thumbnail item), so that
// a header that claims less than the decoder allocates shows up as an allocation over libFuzzer's
// -malloc_limit_mb. The input is the image file. (corpus/imageheader/seed_heic_rotated_thumbnail,
// 64 × 48 stored turned with a rotation and a 32-px thumbnail, was written with tests/heicwriter.h.)

#include "fuzzutil.h"

#include "base/dataset.h"
#include "base/imageheader.h"

namespace {

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
    using namespace labelscope;
    const QByteArray bytes = fuzz::bytesOf(data, size);
    ImageHeaderInfo info;
    QString error;
    if (!sniffImageHeader(bytes, &info, &error)) {
        check(!error.isEmpty(), "refused without a message");
        return 0;
    }
    check(info.width > 0 && info.height > 0 && (info.channels == 1 || info.channels == 3),
          "a sane accepted header");
    constexpr qint64 maxPixels = 1 << 20;
    const QString file = fuzz::writeFile(QStringLiteral("image"), bytes);
    DecodedImage img;
    if (decodeImageFile(file, maxPixels, &img, &error)) {
        check(img.width > 0 && img.height > 0 && qint64(img.width) * img.height <= maxPixels, "decoded within the limit");
        check(img.pixels.size() == size_t(img.width) * size_t(img.height) * size_t(img.channels), "pixels fill the image");
    } else {
        check(!error.isEmpty(), "decode refused without a message");
    }
    if (decodeImageFile(file, maxPixels, &img, &error, 16)) {
        check(img.width > 0 && img.height > 0 && qint64(img.width) * img.height <= maxPixels, "reduced within the limit");
        check(img.pixels.size() == size_t(img.width) * size_t(img.height) * size_t(img.channels), "reduced pixels fill the image");
        check(img.sourceWidth() > 0 && img.sourceHeight() > 0, "a reduced image knows its own size");
    } else {
        check(!error.isEmpty(), "reduced decode refused without a message");
    }
    return 0;
}
