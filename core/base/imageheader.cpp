// Image header sniffing: the size a PNG, JPEG, BMP, WebP, Netpbm or TIFF file claims, read
// without decoding it, so that an oversized image is refused before OpenCV allocates it (see
// imageheader.h). The formats' layouts: the PNG, JPEG (ITU T.81), BMP, WebP container, Netpbm
// and TIFF 6.0 specifications.

#include "imageheader.h"

#include "heifimage.h"

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
quint32 le24(const uchar *p) { return le16(p) | (quint32(p[2]) << 16); }

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
    info->format = QStringLiteral("PNG");
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
    info->format = QStringLiteral("JPEG");
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
    info->format = QStringLiteral("BMP");
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

// WebP (RIFF container): the simple lossy ("VP8 ") and lossless ("VP8L") forms and the extended
// form ("VP8X", its canvas size); an animation is refused (OpenCV decodes still images only).
bool sniffWebp(const uchar *b, qint64 size, ImageHeaderInfo *info, QString *error)
{
    info->format = QStringLiteral("WebP");
    if (size < 30) {
        *error = QStringLiteral("truncated WebP header (%1 bytes)").arg(size);
        return false;
    }
    info->channels = 3;
    const uchar *chunk = b + 12, *data = b + 20;
    if (memcmp(chunk, "VP8 ", 4) == 0) {
        if (data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A) {
            *error = QStringLiteral("malformed WebP: no VP8 start code at byte 23");
            return false;
        }
        info->width = le16(data + 6) & 0x3FFF;
        info->height = le16(data + 8) & 0x3FFF;
    } else if (memcmp(chunk, "VP8L", 4) == 0) {
        if (data[0] != 0x2F) {
            *error = QStringLiteral("malformed WebP: no VP8L signature at byte 20");
            return false;
        }
        const quint32 bits = le32(data + 1);
        info->width = qint64(bits & 0x3FFF) + 1;
        info->height = qint64((bits >> 14) & 0x3FFF) + 1;
    } else if (memcmp(chunk, "VP8X", 4) == 0) {
        if (data[0] & 0x02) {
            *error = QStringLiteral("animated WebP: not read (save one frame as a still image)");
            return false;
        }
        info->width = qint64(le24(data + 4)) + 1; // bytes 24–26
        info->height = qint64(le24(data + 7)) + 1; // bytes 27–29: within the 30 checked above
    } else {
        *error = QStringLiteral("malformed WebP: no VP8, VP8L or VP8X chunk at byte 12");
        return false;
    }
    if (info->width == 0 || info->height == 0) {
        *error = QStringLiteral("malformed WebP: invalid size %1x%2").arg(info->width).arg(info->height);
        return false;
    }
    const qint64 riffBytes = qint64(le32(b + 4)) + 8;
    if (riffBytes > size)
        info->truncation = QStringLiteral("truncated WebP: the RIFF header says %1 bytes, the file has %2").arg(riffBytes).arg(size);
    return true;
}

// Netpbm: P1/P4 bitmaps, P2/P5 grey, P3/P6 colour; an ASCII header (with # comments) of width,
// height and (except bitmaps) the largest sample value.
bool sniffPnm(const uchar *b, qint64 size, ImageHeaderInfo *info, QString *error)
{
    info->format = QStringLiteral("PNM");
    const int kind = b[1] - '0';
    qint64 pos = 2;
    qint64 fields[3] = {0, 0, 1};
    const int count = (kind == 1 || kind == 4) ? 2 : 3;
    for (int f = 0; f < count; ++f) {
        for (;;) { // whitespace and comments
            if (pos < size && (b[pos] == ' ' || b[pos] == '\t' || b[pos] == '\n' || b[pos] == '\r' || b[pos] == '\v' || b[pos] == '\f'))
                ++pos;
            else if (pos < size && b[pos] == '#')
                while (pos < size && b[pos] != '\n' && b[pos] != '\r')
                    ++pos;
            else
                break;
        }
        if (pos >= size) {
            *error = QStringLiteral("truncated PNM header (%1 bytes)").arg(size);
            return false;
        }
        if (b[pos] < '0' || b[pos] > '9') {
            *error = QStringLiteral("malformed PNM: a number expected at byte %1").arg(pos);
            return false;
        }
        qint64 v = 0;
        while (pos < size && b[pos] >= '0' && b[pos] <= '9') {
            v = v * 10 + (b[pos++] - '0');
            if (v > 0x7fffffff) {
                *error = QStringLiteral("malformed PNM: a number too large at byte %1").arg(pos);
                return false;
            }
        }
        fields[f] = v;
    }
    info->width = fields[0];
    info->height = fields[1];
    if (info->width == 0 || info->height == 0 || fields[2] == 0 || fields[2] > 65535) {
        *error = QStringLiteral("malformed PNM: width %1, height %2, largest value %3").arg(fields[0]).arg(fields[1]).arg(fields[2]);
        return false;
    }
    info->channels = (kind == 3 || kind == 6) ? 3 : 1;
    // After the header one whitespace byte, then the samples: binary forms have a known size; an
    // ASCII sample takes at least one byte. Either way a file cannot claim more than it holds.
    const qint64 available = size - std::min(size, pos + 1);
    const qint64 samples = info->channels * (kind == 4 ? (info->width + 7) / 8 : info->width);
    const qint64 bytesPerSample = (kind >= 5 && fields[2] > 255) ? 2 : 1;
    if (samples * bytesPerSample > available / info->height)
        info->truncation = QStringLiteral("truncated PNM: %1x%2 pixels need %3%4 bytes of samples, the file has %5 after its header")
                               .arg(info->width).arg(info->height).arg(kind <= 3 ? QStringLiteral("at least ") : QString()).arg(double(samples * bytesPerSample) * double(info->height), 0, 'g', 6)
                               .arg(available);
    return true;
}

// TIFF (classic, either byte order): ImageWidth, ImageLength and SamplesPerPixel of the first
// image file directory, the page OpenCV decodes. BigTIFF is refused.
bool sniffTiff(const uchar *b, qint64 size, ImageHeaderInfo *info, QString *error)
{
    info->format = QStringLiteral("TIFF");
    const bool little = b[0] == 'I';
    const auto u16 = [&](qint64 at) { return little ? le16(b + at) : be16(b + at); };
    const auto u32 = [&](qint64 at) { return little ? le32(b + at) : be32(b + at); };
    if (u16(2) == 43) {
        *error = QStringLiteral("BigTIFF: not read (save it as a classic TIFF or PNG)");
        return false;
    }
    const qint64 ifd = u32(4);
    if (ifd < 8 || ifd + 2 > size) {
        *error = QStringLiteral("truncated or malformed TIFF: first directory at byte %1 of %2").arg(ifd).arg(size);
        return false;
    }
    const qint64 entries = u16(ifd);
    if (ifd + 2 + entries * 12 > size) {
        *error = QStringLiteral("truncated TIFF: its first directory (%1 entries at byte %2) ends after the file").arg(entries).arg(ifd);
        return false;
    }
    qint64 width = 0, height = 0, samplesPerPixel = 1;
    for (qint64 e = 0; e < entries; ++e) {
        const qint64 at = ifd + 2 + e * 12;
        const quint32 tag = u16(at), type = u16(at + 2);
        if (u32(at + 4) != 1 || (type != 3 && type != 4))
            continue; // not a single SHORT or LONG: not one of the values read here
        const qint64 value = type == 3 ? u16(at + 8) : u32(at + 8);
        if (tag == 256)
            width = value;
        else if (tag == 257)
            height = value;
        else if (tag == 277)
            samplesPerPixel = value;
    }
    if (width <= 0 || height <= 0 || width > 0x7fffffff || height > 0x7fffffff) {
        *error = QStringLiteral("malformed TIFF: invalid size %1x%2 in the first directory").arg(width).arg(height);
        return false;
    }
    info->width = width;
    info->height = height;
    info->channels = samplesPerPixel >= 3 ? 3 : 1;
    return true;
}

/// Formats recognised by their signature that OpenCV (as Debian builds it) does not decode.
QString unreadFormat(const uchar *b, qint64 size)
{
    if (size >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
        return QStringLiteral("GIF");
    static const uchar jp2[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
    if ((size >= 12 && memcmp(b, jp2, 12) == 0) || (size >= 4 && b[0] == 0xFF && b[1] == 0x4F && b[2] == 0xFF && b[3] == 0x51))
        return QStringLiteral("JPEG 2000");
    if (size >= 2 && b[0] == 0xFF && b[1] == 0x0A)
        return QStringLiteral("JPEG XL");
    if (size >= 4 && memcmp(b, "8BPS", 4) == 0)
        return QStringLiteral("Photoshop (PSD)");
    return QString();
}

} // namespace

QString pixelLimitError(const ImageHeaderInfo &info, qint64 maxPixels)
{
    if (info.height <= 0 || info.width <= maxPixels / info.height)
        return QString();
    return QStringLiteral("%1 header claims %2x%3 pixels, more than the limit of %4")
        .arg(info.format).arg(info.width).arg(info.height).arg(maxPixels);
}

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
    if (size >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return sniffWebp(b, size, info, error);
    if (size >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6')
        return sniffPnm(b, size, info, error);
    if (size >= 8 && ((b[0] == 'I' && b[1] == 'I' && (b[2] == 42 || b[2] == 43) && b[3] == 0)
                      || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && (b[3] == 42 || b[3] == 43))))
        return sniffTiff(b, size, info, error);
    if (QString heif; isHeifFamily(bytes, &heif))
        return sniffHeif(bytes, heif, info, error);
    if (const QString other = unreadFormat(b, size); !other.isEmpty()) {
        *error = unreadFormatReason(other);
        return false;
    }
    *error = QStringLiteral("not an image (no %1 signature)").arg(kReadableImageFormats);
    return false;
}

} // namespace labelscope
