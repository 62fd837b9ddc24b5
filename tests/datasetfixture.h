// Shared by the dataset reader tests (tst_datasets, tst_imagedatasets): IDX and gzip bytes
// written here, encoded images with lying headers, and lookups in a dataset's skipped list.
#pragma once

#include "base/dataset.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <numeric>
#include <vector>

namespace labelscope::testing {


inline const QString kFashionDir = QStringLiteral("/usr/share/datasets/fashion-mnist");

inline quint32 crc32Of(const char *data, qsizetype size)
{
    quint32 crc = 0xFFFFFFFFu;
    for (qsizetype i = 0; i < size; ++i) {
        crc ^= uchar(data[i]);
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

inline void appendLe(QByteArray &out, quint32 v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        out.append(char((v >> (8 * i)) & 0xFF));
}

inline void appendBe32(QByteArray &out, quint32 v)
{
    for (int i = 3; i >= 0; --i)
        out.append(char((v >> (8 * i)) & 0xFF));
}

inline void putBe32(QByteArray &b, qsizetype at, quint32 v)
{
    for (int i = 0; i < 4; ++i)
        b[at + i] = char((v >> (8 * (3 - i))) & 0xFF);
}

inline void putBe16(QByteArray &b, qsizetype at, quint32 v)
{
    b[at] = char((v >> 8) & 0xFF);
    b[at + 1] = char(v & 0xFF);
}

inline void putLe32(QByteArray &b, qsizetype at, quint32 v)
{
    for (int i = 0; i < 4; ++i)
        b[at + i] = char((v >> (8 * i)) & 0xFF);
}

/// A gzip file of `raw` made of stored (uncompressed) deflate blocks, with a correct CRC-32:
/// enough for the reader's zlib, without linking zlib here.
inline QByteArray gzipStored(const QByteArray &raw)
{
    QByteArray out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
    qsizetype pos = 0;
    do {
        const qsizetype len = std::min<qsizetype>(65535, raw.size() - pos);
        out.append(char(pos + len >= raw.size() ? 1 : 0)); // BFINAL, BTYPE 00 (stored)
        appendLe(out, quint32(len), 2);
        appendLe(out, quint32(~len & 0xFFFF), 2);
        out.append(raw.constData() + pos, len);
        pos += len;
    } while (pos < raw.size());
    appendLe(out, crc32Of(raw.constData(), raw.size()), 4);
    appendLe(out, quint32(raw.size()), 4);
    return out;
}

/// An IDX file of unsigned bytes: magic 0x0000080N, dims, data.
inline QByteArray idxBytes(const std::vector<quint32> &dims, const QByteArray &data)
{
    QByteArray out;
    appendBe32(out, 0x0800u | quint32(dims.size()));
    for (quint32 d : dims)
        appendBe32(out, d);
    return out + data;
}

/// `count` images of rows x cols whose pixel p of image i is (i * 31 + p * 7) % 256.
inline QByteArray idxPixels(int count, int rows, int cols)
{
    QByteArray data;
    for (int i = 0; i < count; ++i)
        for (int p = 0; p < rows * cols; ++p)
            data.append(char((i * 31 + p * 7) % 256));
    return data;
}

inline QByteArray labelBytes(const std::vector<int> &labels)
{
    QByteArray data;
    for (int l : labels)
        data.append(char(l));
    return data;
}

inline bool writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

inline QByteArray encode(const cv::Mat &img, const char *ext, const std::vector<int> &params = {})
{
    std::vector<uchar> buf;
    cv::imencode(ext, img, buf, params);
    return QByteArray(reinterpret_cast<const char *>(buf.data()), qsizetype(buf.size()));
}

/// A BGR image of w x h filled with one colour given as RGB.
inline cv::Mat solid(int w, int h, int r, int g, int b)
{
    return cv::Mat(h, w, CV_8UC3, cv::Scalar(b, g, r));
}

inline cv::Mat greyRamp(int w, int h)
{
    cv::Mat m(h, w, CV_8UC1);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            m.at<uchar>(y, x) = uchar((x * 5 + y * 3) % 256);
    return m;
}

inline QByteArray pngClaiming(quint32 width, quint32 height)
{
    QByteArray png = encode(solid(4, 4, 10, 20, 30), ".png");
    putBe32(png, 16, width);
    putBe32(png, 20, height);
    putBe32(png, 29, crc32Of(png.constData() + 12, 17)); // a valid IHDR CRC: only the size is wrong
    return png;
}

inline QByteArray jpegClaiming(quint32 width, quint32 height)
{
    QByteArray jpg = encode(solid(16, 16, 200, 100, 50), ".jpg");
    const qsizetype sof = jpg.indexOf(QByteArray("\xFF\xC0", 2));
    if (sof < 0)
        return {};
    putBe16(jpg, sof + 5, height);
    putBe16(jpg, sof + 7, width);
    return jpg;
}

inline QByteArray bmpClaiming(quint32 width, quint32 height)
{
    QByteArray bmp = encode(solid(4, 4, 1, 2, 3), ".bmp");
    putLe32(bmp, 18, width);
    putLe32(bmp, 22, height);
    return bmp;
}

inline QByteArray corruptPng()
{
    QByteArray png = encode(greyRamp(64, 64), ".png");
    for (qsizetype i = 45; i < png.size() - 20; ++i) // inside IDAT
        png[i] = char(0xA5 ^ i);
    return png;
}

inline qint64 pixelSum(const Dataset &ds, std::size_t i)
{
    const std::uint8_t *p = ds.image(i);
    return std::accumulate(p, p + ds.imageBytes(), qint64(0));
}

inline QStringList skippedNames(const Dataset &ds)
{
    QStringList names;
    for (const SkippedItem &s : ds.skipped)
        names << QFileInfo(s.file).fileName();
    names.sort();
    return names;
}

inline const SkippedItem *findSkipped(const Dataset &ds, const QString &fileName)
{
    for (const SkippedItem &s : ds.skipped)
        if (QFileInfo(s.file).fileName() == fileName)
            return &s;
    return nullptr;
}

} // namespace labelscope::testing
