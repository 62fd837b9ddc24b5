// Image header sniffing: the size a PNG, JPEG or BMP file claims, read without decoding it, so
// that an oversized image is refused before OpenCV allocates it (see imageheader.h).

#include "imageheader.h"

#include <cstring>
#include <limits>

namespace labelscope {

// ---------------------------------------------------------------------------------------------
// Header sniffing
// ---------------------------------------------------------------------------------------------

namespace {

quint32 be16(const uchar *p) { return (quint32(p[0]) << 8) | quint32(p[1]); }
quint32 be32(const uchar *p) { return (be16(p) << 16) | be16(p + 2); }
quint32 le16(const uchar *p) { return quint32(p[0]) | (quint32(p[1]) << 8); }
quint32 le32(const uchar *p) { return le16(p) | (le16(p + 2) << 16); }

bool sniffPng(const uchar *b, qint64 size, ImageHeaderInfo *info, QString *error)
{
    // Signature (8), then the IHDR chunk: length 13 (4), "IHDR" (4), width (4), height (4),
    // bit depth, colour type, compression, filter, interlace (5), CRC (4).
    if (size < 8 + 8 + 13) {
        *error = QStringLiteral("truncated PNG header (%1 bytes)").arg(size);
        return false;
    }
    if (be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4) != 0) {
        *error = QStringLiteral("malformed PNG: no IHDR chunk at byte 8");
        return false;
    }
    info->format = QStringLiteral("png");
    info->width = be32(b + 16);
    info->height = be32(b + 20);
    if (info->width == 0 || info->height == 0 || info->width > 0x7fffffff || info->height > 0x7fffffff) {
        *error = QStringLiteral("malformed PNG: invalid size %1x%2 in IHDR").arg(info->width).arg(info->height);
        return false;
    }
    const int colourType = b[25];
    info->channels = (colourType == 0 || colourType == 4) ? 1 : 3;
    // The pixel rows (one filter byte each) are one deflate stream, and deflate expands at most
    // 1032-fold: a header that claims more rows than the file's bytes can hold is refused here,
    // before OpenCV allocates the image (a tiny file claiming 6000x6000 would get 108 MB).
    const int samples = colourType == 0 ? 1 : colourType == 2 ? 3 : colourType == 3 ? 1
                        : colourType == 4 ? 2 : colourType == 6 ? 4 : 0;
    const int depth = b[24];
    if (samples > 0 && depth >= 1 && depth <= 16) {
        const qint64 rowBytes = 1 + (info->width * samples * depth + 7) / 8;
        const qint64 mostData = size * 1032;
        if (rowBytes > mostData / info->height)
            info->truncation = QStringLiteral("truncated or corrupt PNG: %1x%2 pixels need %3 bytes of image data, "
                                              "but a file of %4 bytes decompresses to at most %5 (deflate expands "
                                              "at most 1032-fold)")
                                   .arg(info->width).arg(info->height).arg(double(rowBytes) * double(info->height), 0, 'g', 6)
                                   .arg(size).arg(mostData);
    }
    return true;
}

bool isJpegSof(quint32 marker)
{
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

bool sniffJpeg(const uchar *b, qint64 size, ImageHeaderInfo *info, QString *error)
{
    info->format = QStringLiteral("jpeg");
    bool haveFrame = false;
    qint64 pos = 2; // after SOI (FF D8)
    qint64 scanStart = -1;
    while (pos < size) {
        if (b[pos] != 0xFF) {
            *error = QStringLiteral("malformed JPEG: no marker at byte %1").arg(pos);
            return false;
        }
        if (pos + 1 >= size)
            break;
        const quint32 marker = b[pos + 1];
        if (marker == 0xFF) { // fill byte
            ++pos;
            continue;
        }
        if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) { // no length
            pos += 2;
            continue;
        }
        if (marker < 0xC0 && marker != 0x01) { // 0x02..0xBF are reserved; 0x00 only in scans
            *error = QStringLiteral("malformed JPEG: invalid marker 0x%1 at byte %2")
                         .arg(marker, 2, 16, QLatin1Char('0')).arg(pos);
            return false;
        }
        if (marker == 0xD9) {
            *error = QStringLiteral("malformed JPEG: end of image at byte %1 before any scan").arg(pos);
            return false;
        }
        if (pos + 4 > size)
            break;
        const qint64 length = be16(b + pos + 2);
        if (length < 2) {
            *error = QStringLiteral("malformed JPEG: segment length %1 at byte %2").arg(length).arg(pos + 2);
            return false;
        }
        if (isJpegSof(marker) && !haveFrame) {
            if (length < 8 || pos + 2 + 8 > size)
                break;
            info->height = be16(b + pos + 5);
            info->width = be16(b + pos + 7);
            const int components = b[pos + 9];
            info->channels = components == 1 ? 1 : 3;
            if (info->width == 0) {
                *error = QStringLiteral("malformed JPEG: zero width in the frame header at byte %1").arg(pos);
                return false;
            }
            if (info->height == 0) { // height given by a later DNL marker; libjpeg refuses it
                *error = QStringLiteral("unsupported JPEG: height defined by a DNL marker");
                return false;
            }
            haveFrame = true;
        }
        if (marker == 0xDA) { // start of scan: entropy-coded data follows
            scanStart = pos;
            break;
        }
        pos += 2 + length;
    }
    if (!haveFrame) {
        *error = scanStart >= 0 ? QStringLiteral("malformed JPEG: scan before the frame header")
                                : QStringLiteral("truncated JPEG: no frame header (file is %1 bytes)").arg(size);
        return false;
    }
    // libjpeg only warns about data that ends early and fills the rest with grey; look for
    // the end-of-image marker after the first scan instead (FF bytes in scans are stuffed).
    bool haveEnd = false;
    if (scanStart >= 0) {
        for (qint64 p = size - 2; p > scanStart; --p) {
            if (b[p] == 0xFF && b[p + 1] == 0xD9) {
                haveEnd = true;
                break;
            }
        }
    }
    if (!haveEnd)
        info->truncation = QStringLiteral("truncated JPEG: no end-of-image marker (file is %1 bytes)").arg(size);
    return true;
}

bool sniffBmp(const uchar *b, qint64 size, ImageHeaderInfo *info, QString *error)
{
    info->format = QStringLiteral("bmp");
    if (size < 14 + 12) {
        *error = QStringLiteral("truncated BMP header (%1 bytes)").arg(size);
        return false;
    }
    const qint64 dataOffset = le32(b + 10);
    const quint32 dibSize = le32(b + 14);
    qint64 width = 0, height = 0;
    int bitCount = 0;
    quint32 compression = 0;
    if (dibSize == 12) { // BITMAPCOREHEADER
        width = le16(b + 18);
        height = le16(b + 20);
        bitCount = int(le16(b + 24));
    } else if (dibSize >= 40 && dibSize <= 1024) { // BITMAPINFOHEADER and its successors
        if (size < 14 + 40) {
            *error = QStringLiteral("truncated BMP header (%1 bytes)").arg(size);
            return false;
        }
        width = qint32(le32(b + 18));
        height = qint32(le32(b + 22));
        bitCount = int(le16(b + 28));
        compression = le32(b + 30);
        if (height < 0)
            height = -height; // top-down rows
    } else {
        *error = QStringLiteral("malformed BMP: unknown header size %1 at byte 14").arg(dibSize);
        return false;
    }
    if (width <= 0 || height <= 0) {
        *error = QStringLiteral("malformed BMP: invalid size %1x%2").arg(width).arg(height);
        return false;
    }
    info->width = width;
    info->height = height;
    info->channels = 3; // palettes may be grey, but only the decoder knows
    // Uncompressed (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS): the pixel array's size is known.
    if ((compression == 0 || compression == 3 || compression == 6)
        && (bitCount == 1 || bitCount == 4 || bitCount == 8 || bitCount == 16 || bitCount == 24
            || bitCount == 32)) {
        const qint64 stride = ((width * bitCount + 31) / 32) * 4;
        const bool tooBig = stride > (std::numeric_limits<qint64>::max() - dataOffset) / height;
        if (tooBig || dataOffset + stride * height > size)
            info->truncation = QStringLiteral("truncated BMP: %1 bytes, the header needs %2")
                                   .arg(size)
                                   .arg(tooBig ? QStringLiteral("more") : QString::number(dataOffset + stride * height));
    }
    return true;
}

} // namespace

bool sniffImageHeader(const QByteArray &bytes, ImageHeaderInfo *info, QString *error)
{
    *info = ImageHeaderInfo();
    const auto *b = reinterpret_cast<const uchar *>(bytes.constData());
    const qint64 size = bytes.size();
    static const uchar pngSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (size >= 8 && memcmp(b, pngSignature, 8) == 0)
        return sniffPng(b, size, info, error);
    if (size >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return sniffJpeg(b, size, info, error);
    if (size >= 2 && b[0] == 'B' && b[1] == 'M')
        return sniffBmp(b, size, info, error);
    *error = QStringLiteral("not an image (no PNG, JPEG or BMP signature)");
    return false;
}

} // namespace labelscope
