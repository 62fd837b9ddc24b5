// A sample's image at a backbone's input size (imageprep.h).
#include "imageprep.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace labelscope {

namespace {

cv::Mat resized(const cv::Mat &src, int width, int height)
{
    if (src.cols == width && src.rows == height)
        return src;
    cv::Mat dst;
    const bool shrinking = src.cols >= width && src.rows >= height;
    cv::resize(src, dst, cv::Size(width, height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
    return dst;
}

bool channelsEqual(const cv::Mat &rgb)
{
    for (int y = 0; y < rgb.rows; ++y) {
        const auto *row = rgb.ptr<cv::Vec3b>(y);
        for (int x = 0; x < rgb.cols; ++x)
            if (row[x][0] != row[x][1] || row[x][0] != row[x][2])
                return false;
    }
    return true;
}

} // namespace

bool prepareSampleImage(const Sample &sample, const ImagePrep &prep, std::uint8_t *out, QString *error)
{
    DecodedImage img;
    QString why;
    // Both sides at least what the resize below needs, so that it only shrinks a reduced JPEG.
    const int minSide = prep.centerCrop ? std::max(prep.resizeSize, prep.side) : prep.side;
    if (!loadSampleImage(sample, &img, &why, minSide)) {
        if (error)
            *error = why;
        return false;
    }
    const QString where = sample.source == QLatin1String("idx") ? QStringLiteral("%1, image %2").arg(sample.path).arg(sample.offset)
                                                                : sample.path;
    try {
        const cv::Mat src(img.height, img.width, img.channels == 1 ? CV_8UC1 : CV_8UC3, img.pixels.data());
        cv::Mat dst;
        if (!prep.centerCrop) {
            dst = resized(src, prep.side, prep.side);
        } else {
            const double scale = double(std::max(prep.resizeSize, prep.side)) / double(std::min(img.width, img.height));
            const int w = std::max(prep.side, int(std::lround(img.width * scale)));
            const int h = std::max(prep.side, int(std::lround(img.height * scale)));
            const cv::Mat big = resized(src, w, h);
            dst = big(cv::Rect((w - prep.side) / 2, (h - prep.side) / 2, prep.side, prep.side));
        }
        const std::size_t plane = std::size_t(prep.side) * std::size_t(prep.side);
        if (dst.channels() == 3 && prep.channels == 1) {
            if (!channelsEqual(dst)) {
                if (error)
                    *error = QStringLiteral("%1: a colour image, and the backbone takes grey images (channels 1)").arg(where);
                return false;
            }
        }
        const int c = dst.channels();
        for (int ch = 0; ch < prep.channels; ++ch) {
            const int from = c == 1 ? 0 : ch;
            std::uint8_t *o = out + std::size_t(ch) * plane;
            for (int y = 0; y < prep.side; ++y) {
                const std::uint8_t *row = dst.ptr<std::uint8_t>(y);
                for (int x = 0; x < prep.side; ++x)
                    o[std::size_t(y) * std::size_t(prep.side) + std::size_t(x)] = row[x * c + from];
            }
        }
    } catch (const std::exception &e) { // cv::Exception, std::bad_alloc
        if (error)
            *error = QStringLiteral("%1: cannot resize: %2").arg(where, QString::fromLocal8Bit(e.what()));
        return false;
    }
    return true;
}

} // namespace labelscope
