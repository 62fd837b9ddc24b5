// decodeImageFile(): one image file, read through QFile (so non-ASCII paths work everywhere) and
// decoded from memory with cv::imdecode after its header's size was checked; every OpenCV call
// is guarded, and a bad image is an error string, never a crash. A JPEG may be decoded reduced
// (minSide) by libjpeg's DCT scaling.

#include "dataset.h"
#include "heifimage.h"
#include "imageheader.h"
#include "regularfile.h"

#include <QFile>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <exception>
#include <limits>

namespace labelscope {

namespace {

/// Largest file decodeImageFile() reads: enough for an uncompressed 32-bit BMP of maxPixels.
qint64 maxFileBytes(qint64 maxPixels)
{
    const qint64 limit = std::numeric_limits<int>::max(); // cv::Mat of one row takes an int
    if (maxPixels > (limit - (16 << 20)) / 8)
        return limit;
    return std::max<qint64>(maxPixels, 0) * 8 + (16 << 20);
}

/// The largest of 8, 4 and 2 (else 1) by which libjpeg may reduce a width × height JPEG with
/// both sides staying at least minSide (libjpeg rounds a reduced side up).
int jpegReduction(qint64 width, qint64 height, int minSide)
{
    if (minSide <= 0)
        return 1;
    for (int r : {8, 4, 2})
        if ((width + r - 1) / r >= minSide && (height + r - 1) / r >= minSide)
            return r;
    return 1;
}

int reducedReadMode(int reduction, bool grey)
{
    switch (reduction) {
    case 8: return grey ? cv::IMREAD_REDUCED_GRAYSCALE_8 : cv::IMREAD_REDUCED_COLOR_8;
    case 4: return grey ? cv::IMREAD_REDUCED_GRAYSCALE_4 : cv::IMREAD_REDUCED_COLOR_4;
    case 2: return grey ? cv::IMREAD_REDUCED_GRAYSCALE_2 : cv::IMREAD_REDUCED_COLOR_2;
    default: return cv::IMREAD_ANYCOLOR; // 8-bit, grey kept grey
    }
}

bool decodeBytes(const QByteArray &bytes, qint64 maxPixels, int minSide, DecodedImage *out, QString *error)
{
    if (QString heif; isHeifFamily(bytes, &heif)) // libheif parses its container once, for the size and the pixels
        return decodeHeif(bytes, heif, maxPixels, minSide, out, error);
    ImageHeaderInfo info;
    if (!sniffImageHeader(bytes, &info, error))
        return false;
    if (const QString over = pixelLimitError(info, maxPixels); !over.isEmpty()) {
        *error = over;
        return false;
    }
    if (!info.truncation.isEmpty()) {
        *error = info.truncation;
        return false;
    }
    try {
        const cv::Mat buffer(1, int(bytes.size()), CV_8UC1, const_cast<char *>(bytes.constData()));
        const int reduction = info.format == QLatin1String("JPEG") ? jpegReduction(info.width, info.height, minSide) : 1;
        cv::Mat img = cv::imdecode(buffer, reducedReadMode(reduction, info.channels == 1));
        if (img.empty()) {
            *error = QStringLiteral("cannot decode %1 data (corrupt or truncated)").arg(info.format);
            return false;
        }
        if (qint64(img.cols) * img.rows > maxPixels) { // a decoder that read another size than the header's
            *error = QStringLiteral("%1 decoded to %2x%3 pixels, more than the limit of %4")
                         .arg(info.format).arg(img.cols).arg(img.rows).arg(maxPixels);
            return false;
        }
        if (img.depth() != CV_8U) {
            cv::Mat converted;
            img.convertTo(converted, CV_8U, img.depth() == CV_16U ? 1.0 / 257.0 : 1.0);
            img = converted;
        }
        cv::Mat rgb;
        switch (img.channels()) {
        case 1: rgb = img; break;
        case 2: cv::extractChannel(img, rgb, 0); break;
        case 3: cv::cvtColor(img, rgb, cv::COLOR_BGR2RGB); break;
        case 4: cv::cvtColor(img, rgb, cv::COLOR_BGRA2RGB); break;
        default:
            *error = QStringLiteral("unsupported channel count %1").arg(img.channels());
            return false;
        }
        if (!rgb.isContinuous())
            rgb = rgb.clone();
        out->width = rgb.cols;
        out->height = rgb.rows;
        out->channels = rgb.channels();
        out->fullWidth = out->fullHeight = 0;
        if (reduction > 1) {
            // The header's size is the stored one; the EXIF orientation may have turned the
            // image. Turned when the decoded sides match the stored ones crosswise (a reduced
            // side is the stored one / reduction, rounded up); a square reduced image of a
            // non-square one (sides within `reduction` px) is taken as not turned.
            const qint64 w = (info.width + reduction - 1) / reduction, h = (info.height + reduction - 1) / reduction;
            const bool turned = !(rgb.cols == w && rgb.rows == h) && rgb.cols == h && rgb.rows == w;
            out->fullWidth = int(turned ? info.height : info.width);
            out->fullHeight = int(turned ? info.width : info.height);
        }
        out->pixels.assign(rgb.data, rgb.data + rgb.total() * rgb.elemSize());
        return true;
    } catch (const cv::Exception &e) {
        *error = QStringLiteral("cannot decode %1: %2").arg(info.format, QString::fromStdString(e.msg));
    } catch (const std::exception &e) {
        *error = QStringLiteral("cannot decode %1: %2").arg(info.format, QString::fromLocal8Bit(e.what()));
    }
    return false;
}

} // namespace

bool decodeImageFile(const QString &file, qint64 maxPixels, DecodedImage *out, QString *error, int minSide)
{
    QString message;
    if (!error)
        error = &message;
    // "file not found" is what a missing image has always said (the CSV rows, the window);
    // anything else that is not a regular file (a FIFO would block the read) says what it is.
    const QString notRegular = notRegularFileReason(file);
    if (!notRegular.isEmpty()) {
        *error = notRegular == QLatin1String("no such file") ? QStringLiteral("file not found") : notRegular;
        return false;
    }
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot open: %1").arg(f.errorString());
        return false;
    }
    const qint64 size = f.size();
    if (size == 0) {
        *error = QStringLiteral("empty file");
        return false;
    }
    if (size > maxFileBytes(maxPixels)) {
        *error = QStringLiteral("file too large (%1 bytes)").arg(size);
        return false;
    }
    const QByteArray bytes = f.readAll();
    if (bytes.size() != size) {
        *error = QStringLiteral("read error: %1").arg(f.errorString());
        return false;
    }
    return decodeBytes(bytes, maxPixels, minSide, out, error);
}

} // namespace labelscope
