#pragma once
// Internal to core/base (and its tests): reads the size an image file claims from its header,
// without decoding it, so that an oversized image can be refused before OpenCV allocates it.
// OpenCV 4.6 has no header-only API (cv::imcount/cv::ImageCollection came later, and its own
// OPENCV_IO_MAX_IMAGE_PIXELS guard is read from the environment once, when imgcodecs loads).

#include <QByteArray>
#include <QString>

namespace labelscope {

struct ImageHeaderInfo {
    QString format;          ///< "png", "jpeg" or "bmp"
    qint64 width = 0, height = 0;
    int channels = 0;        ///< 1 grey, 3 colour (as the header declares; palettes count as 3)
    QString truncation;      ///< non-empty when the bytes visibly end early (JPEG, BMP) or cannot
                             ///< hold the pixels (PNG: more than 1032 times the file in deflate data)
};

/// Parses the PNG IHDR chunk, the JPEG SOFn segment or the BMP headers at the start of `bytes`
/// (the whole file). Returns false with *error for an unknown signature or a malformed header.
bool sniffImageHeader(const QByteArray &bytes, ImageHeaderInfo *info, QString *error);

} // namespace labelscope
