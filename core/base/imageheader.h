#pragma once
// Internal to core/base (and its tests): reads the size an image file claims from its header,
// without decoding it, so that an oversized image can be refused before OpenCV allocates it.
// OpenCV 4.6 has no header-only API (cv::imcount/cv::ImageCollection came later, and its own
// OPENCV_IO_MAX_IMAGE_PIXELS guard is read from the environment once, when imgcodecs loads).

#include <QByteArray>
#include <QString>

namespace labelscope {

/// The formats the readers decode, as named in messages.
inline const QString kReadableImageFormats = QStringLiteral("PNG, JPEG, BMP, WebP, TIFF, PNM, HEIC or AVIF");

/// Why a file in format FORMAT ("GIF", "HEIC", ...) is skipped: "a GIF image: not read (...)".
inline QString unreadFormatReason(const QString &format)
{
    return QStringLiteral("a %1 image: not read (Labelscope reads %2; convert it)").arg(format, kReadableImageFormats);
}

struct ImageHeaderInfo {
    QString format;          ///< as messages name it: "PNG", "JPEG", "BMP", "WebP", "PNM", "TIFF", "HEIF" or "AVIF"
    qint64 width = 0, height = 0;
    int channels = 0;        ///< 1 grey, 3 colour (as the header declares; palettes count as 3)
    QString truncation;      ///< non-empty when the bytes visibly end early (JPEG, BMP, WebP, PNM) or cannot
                             ///< hold the pixels (PNG: more than 1032 times the file in deflate data)
};

/// Why an image whose header claims INFO's size is refused under MAXPIXELS ("PNG header claims
/// 9000x9000 pixels, more than the limit of 40000000"); empty when it is within the limit.
QString pixelLimitError(const ImageHeaderInfo &info, qint64 maxPixels);

/// Parses the PNG IHDR chunk, the JPEG SOFn segment, the BMP headers, the WebP VP8/VP8L/VP8X
/// chunk, the Netpbm (P1–P6) header, the first TIFF directory or a HEIF/AVIF container (with
/// libheif, heifimage.h) of `bytes` (the whole file).
/// Returns false with *error for an unknown signature, a malformed header, or a format recognised
/// but not read (GIF, JPEG 2000, JPEG XL, PSD, BigTIFF, animated WebP: named).
bool sniffImageHeader(const QByteArray &bytes, ImageHeaderInfo *info, QString *error);

} // namespace labelscope
