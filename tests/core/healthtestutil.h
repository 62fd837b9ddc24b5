#pragma once
// Helpers shared by the dataset-health tests (tst_health*.cpp): images as core decodes them,
// built with OpenCV, and a few Fashion-MNIST images from /usr/share/datasets.

#include "base/dataset.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QString>

#include <string>
#include <vector>

namespace healthtest {

/// A decoded image (HWC, RGB order for colour) from an 8-bit OpenCV matrix (grey or RGB).
inline labelscope::DecodedImage decoded(const cv::Mat &m)
{
    cv::Mat c = m.isContinuous() ? m : m.clone();
    labelscope::DecodedImage d;
    d.width = c.cols;
    d.height = c.rows;
    d.channels = c.channels();
    d.pixels.assign(c.data, c.data + c.total() * c.elemSize());
    return d;
}

/// The first N training images of Fashion-MNIST (28×28 grey), or none when it is not installed.
inline std::vector<cv::Mat> fashionImages(int n, std::vector<int> *labels = nullptr)
{
    labelscope::LoadOptions options;
    options.limit = n;
    const labelscope::LoadResult r = labelscope::loadDataset(QStringLiteral("fashion-mnist"), options);
    std::vector<cv::Mat> out;
    if (!r.ok())
        return out;
    for (std::size_t i = 0; i < r.dataset.samples.size() && int(out.size()) < n; ++i) {
        if (r.dataset.samples[i].split != QLatin1String("train"))
            continue;
        out.push_back(cv::Mat(28, 28, CV_8U, const_cast<std::uint8_t *>(r.dataset.image(i))).clone());
        if (labels)
            labels->push_back(r.dataset.samples[i].label);
    }
    return out;
}

inline cv::Mat jpegCopy(const cv::Mat &m, int quality)
{
    std::vector<uchar> buffer;
    cv::imencode(".jpg", m, buffer, {cv::IMWRITE_JPEG_QUALITY, quality});
    return cv::imdecode(buffer, m.channels() == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
}

/// jpegCopy of an RGB image (OpenCV encodes BGR): an RGB image back.
inline cv::Mat jpegCopyRgb(const cv::Mat &rgb, int quality)
{
    cv::Mat bgr, out;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    cv::cvtColor(jpegCopy(bgr, quality), out, cv::COLOR_BGR2RGB);
    return out;
}

/// M moved by (DX, DY) pixels; black enters, content leaves the frame.
inline cv::Mat shifted(const cv::Mat &m, int dx, int dy)
{
    const cv::Mat t = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
    cv::Mat out;
    cv::warpAffine(m, out, t, m.size(), cv::INTER_NEAREST, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    return out;
}

/// White letters or digits on black, 28×28, drawn with one of OpenCV's Hershey fonts.
inline cv::Mat textImage(const std::string &text, int font, int thickness, double angle)
{
    cv::Mat big(112, 112, CV_8U, cv::Scalar(0));
    int base = 0;
    const cv::Size size = cv::getTextSize(text, font, 2.0, thickness, &base);
    cv::putText(big, text, cv::Point((112 - size.width) / 2, (112 + size.height) / 2), font, 2.0, cv::Scalar(255),
                thickness, cv::LINE_AA);
    cv::Mat rotated;
    cv::warpAffine(big, rotated, cv::getRotationMatrix2D(cv::Point2f(56, 56), angle, 1.0), big.size());
    cv::Mat out;
    cv::resize(rotated, out, cv::Size(28, 28), 0, 0, cv::INTER_AREA);
    return out;
}

} // namespace healthtest
