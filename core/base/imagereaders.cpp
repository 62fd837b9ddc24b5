// Image-file readers: header sniffing, decodeImageFile(), the ImageFolder tree and the CSV
// manifest. Files are read through QFile (so non-ASCII paths work everywhere) and decoded from
// memory with cv::imdecode; every OpenCV call is guarded, and a bad image is skipped and listed,
// never fatal.

#include "dataset.h"
#include "imageheader.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <map>

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

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

namespace {

/// Largest file decodeImageFile() reads: enough for an uncompressed 32-bit BMP of maxPixels.
qint64 maxFileBytes(qint64 maxPixels)
{
    const qint64 limit = std::numeric_limits<int>::max(); // cv::Mat of one row takes an int
    if (maxPixels > (limit - (16 << 20)) / 8)
        return limit;
    return std::max<qint64>(maxPixels, 0) * 8 + (16 << 20);
}

bool decodeBytes(const QByteArray &bytes, qint64 maxPixels, DecodedImage *out, QString *error)
{
    ImageHeaderInfo info;
    if (!sniffImageHeader(bytes, &info, error))
        return false;
    if (info.width > maxPixels / info.height) {
        *error = QStringLiteral("%1 header claims %2x%3 pixels, more than the limit of %4")
                     .arg(info.format.toUpper()).arg(info.width).arg(info.height).arg(maxPixels);
        return false;
    }
    if (!info.truncation.isEmpty()) {
        *error = info.truncation;
        return false;
    }
    try {
        const cv::Mat buffer(1, int(bytes.size()), CV_8UC1, const_cast<char *>(bytes.constData()));
        cv::Mat img = cv::imdecode(buffer, cv::IMREAD_ANYCOLOR); // 8-bit, grey kept grey
        if (img.empty()) {
            *error = QStringLiteral("cannot decode %1 data (corrupt or truncated)").arg(info.format.toUpper());
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
        out->pixels.assign(rgb.data, rgb.data + rgb.total() * rgb.elemSize());
        return true;
    } catch (const cv::Exception &e) {
        *error = QStringLiteral("cannot decode %1: %2").arg(info.format.toUpper(), QString::fromStdString(e.msg));
    } catch (const std::exception &e) {
        *error = QStringLiteral("cannot decode %1: %2").arg(info.format.toUpper(), QString::fromLocal8Bit(e.what()));
    }
    return false;
}

} // namespace

bool decodeImageFile(const QString &file, qint64 maxPixels, DecodedImage *out, QString *error)
{
    QString message;
    if (!error)
        error = &message;
    const QFileInfo fi(file);
    if (!fi.exists()) {
        *error = QStringLiteral("file not found");
        return false;
    }
    if (!fi.isFile()) {
        *error = QStringLiteral("not a file");
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
    return decodeBytes(bytes, maxPixels, out, error);
}

// ---------------------------------------------------------------------------------------------
// Readers of image files (ImageFolder and CSV manifest)
// ---------------------------------------------------------------------------------------------

namespace {

bool hasImageExtension(const QString &fileName)
{
    static const QSet<QString> extensions = {QStringLiteral("png"), QStringLiteral("jpg"),
                                             QStringLiteral("jpeg"), QStringLiteral("jpe"),
                                             QStringLiteral("bmp"), QStringLiteral("dib")};
    return extensions.contains(QFileInfo(fileName).suffix().toLower());
}

/// One image to read.
struct ImageJob {
    QString path;     ///< absolute
    int label = -1;
    QString split;
    QString location; ///< "line N" for a CSV row
};

/// Images at the training resolution, collected before the dataset's channel count is known.
class ImageTable
{
public:
    explicit ImageTable(int side) : m_side(side) {}

    /// Resizes `img` to side×side; a colour image whose channels are all equal is kept as grey.
    void add(const DecodedImage &img)
    {
        const int type = img.channels == 1 ? CV_8UC1 : CV_8UC3;
        const cv::Mat src(img.height, img.width, type, const_cast<std::uint8_t *>(img.pixels.data()));
        cv::Mat dst;
        if (img.width == m_side && img.height == m_side) {
            dst = src.clone();
        } else {
            const bool shrinking = img.width >= m_side && img.height >= m_side;
            cv::resize(src, dst, cv::Size(m_side, m_side), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
        }
        if (dst.channels() == 3 && isGrey(dst)) {
            cv::Mat grey;
            cv::extractChannel(dst, grey, 0);
            dst = grey;
        }
        m_allGrey = m_allGrey && dst.channels() == 1;
        m_images.emplace_back(dst.data, dst.data + dst.total() * dst.elemSize());
    }

    std::size_t size() const { return m_images.size(); }

    /// Writes the images as uint8 [N, C, H, W]: C = 1 when every image is grey, else 3.
    void finish(Dataset *ds)
    {
        const std::size_t plane = std::size_t(m_side) * std::size_t(m_side);
        ds->channels = m_allGrey ? 1 : 3;
        ds->height = ds->width = m_side;
        ds->pixels.assign(m_images.size() * plane * std::size_t(ds->channels), 0);
        for (std::size_t i = 0; i < m_images.size(); ++i) {
            const std::vector<std::uint8_t> &hwc = m_images[i];
            std::uint8_t *dst = ds->pixels.data() + i * ds->imageBytes();
            const std::size_t c = hwc.size() / plane;
            for (int ch = 0; ch < ds->channels; ++ch) {
                std::uint8_t *out = dst + std::size_t(ch) * plane;
                const std::size_t from = c == 1 ? 0 : std::size_t(ch);
                for (std::size_t p = 0; p < plane; ++p)
                    out[p] = hwc[p * c + from];
            }
        }
        m_images.clear();
    }

private:
    static bool isGrey(const cv::Mat &rgb)
    {
        for (int y = 0; y < rgb.rows; ++y) {
            const auto *row = rgb.ptr<cv::Vec3b>(y);
            for (int x = 0; x < rgb.cols; ++x)
                if (row[x][0] != row[x][1] || row[x][0] != row[x][2])
                    return false;
        }
        return true;
    }

    int m_side;
    bool m_allGrey = true;
    std::vector<std::vector<std::uint8_t>> m_images; // HWC, 1 or 3 channels
};

/// Decodes the jobs in order into result.dataset (samples, pixels, skipped). At most
/// options.limit samples per split. Returns false with result.error when cancelled or empty.
bool readImageJobs(const std::vector<ImageJob> &jobs, const QString &source, const QString &what,
                   const LoadOptions &options, LoadResult &result)
{
    Dataset &ds = result.dataset;
    if (options.imageSize < 1 || options.imageSize > 4096) {
        result.error = QStringLiteral("invalid image size %1").arg(options.imageSize);
        return false;
    }
    ImageTable table(options.imageSize);
    std::map<QString, qint64> perSplit;
    const qint64 total = qint64(jobs.size());
    qint64 done = 0;
    for (const ImageJob &job : jobs) {
        ++done;
        // "" is treated as train: both share one count.
        qint64 &count = perSplit[job.split == QLatin1String("test") ? job.split : QString()];
        if (options.limit < 0 || count < options.limit) {
            DecodedImage img;
            QString reason;
            bool ok = decodeImageFile(job.path, options.maxPixels, &img, &reason);
            if (ok) {
                try {
                    table.add(img);
                } catch (const std::exception &e) { // cv::Exception, std::bad_alloc
                    reason = QStringLiteral("cannot resize: %1").arg(QString::fromLocal8Bit(e.what()));
                    ok = false;
                }
            }
            if (ok) {
                Sample s;
                s.source = source;
                s.path = job.path;
                s.split = job.split;
                s.label = job.label;
                ds.samples.push_back(s);
                ++count;
            } else {
                ds.skipped.push_back({job.path, job.location, reason});
            }
        }
        if (options.progress && (done % 1000 == 0 || done == total) && !options.progress(done, total)) {
            result.error = QStringLiteral("cancelled");
            return false;
        }
    }
    if (ds.samples.empty() && options.limit != 0) {
        result.error = ds.skipped.empty()
                           ? QStringLiteral("%1: no images found").arg(what)
                           : QStringLiteral("%1: no readable images (%2 skipped; first: %3: %4)")
                                 .arg(what).arg(ds.skipped.size())
                                 .arg(ds.skipped.front().file, ds.skipped.front().reason);
        return false;
    }
    table.finish(&ds);
    return true;
}

/// Image files under `dir` (recursively, hidden ones excluded), sorted by relative path.
QStringList imageFilesUnder(const QString &dir)
{
    QStringList files;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString file = it.next();
        if (hasImageExtension(file))
            files << file;
    }
    std::sort(files.begin(), files.end()); // code-unit order: the same on every platform
    return files;
}

} // namespace

LoadResult readImageFolder(const QString &root, const LoadOptions &options)
{
    LoadResult result;
    Dataset &ds = result.dataset;
    ds.spec = root;
    const QFileInfo rootInfo(root);
    if (!rootInfo.isDir()) {
        result.error = QStringLiteral("%1: no such folder").arg(root);
        return result;
    }
    const QDir dir(rootInfo.absoluteFilePath());

    std::vector<ImageJob> jobs;
    QStringList classDirs = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(classDirs.begin(), classDirs.end());
    for (const QString &name : std::as_const(classDirs)) {
        const QStringList files = imageFilesUnder(dir.filePath(name));
        if (files.isEmpty())
            continue;
        const int label = int(ds.classes.size());
        ds.classes << name;
        for (const QString &file : files)
            jobs.push_back({file, label, QString(), QString()});
    }
    QStringList rootFiles = dir.entryList(QDir::Files);
    std::sort(rootFiles.begin(), rootFiles.end());
    for (const QString &name : std::as_const(rootFiles))
        if (hasImageExtension(name))
            jobs.push_back({dir.filePath(name), -1, QString(), QString()});

    readImageJobs(jobs, QStringLiteral("folder"), dir.path(), options, result);
    return result;
}

namespace {

struct CsvRecord {
    int line = 0; ///< 1-based line where the record starts
    QStringList fields;
};

/// RFC 4180: comma-separated, fields optionally in double quotes ("" inside is a quote; commas
/// and line breaks inside quotes are data). Returns false when a quote is never closed.
bool parseCsv(const QString &text, std::vector<CsvRecord> *records, int *badLine)
{
    CsvRecord record;
    QString field;
    bool inQuotes = false, fieldQuoted = false;
    int line = 1, quoteLine = 0;
    record.line = 1;
    auto endRecord = [&](int nextLine) {
        record.fields << (fieldQuoted ? field : field.trimmed());
        const bool blank = record.fields.size() == 1 && record.fields.front().isEmpty() && !fieldQuoted;
        if (!blank)
            records->push_back(record);
        record = CsvRecord();
        record.line = nextLine;
        field.clear();
        fieldQuoted = false;
    };
    const int n = int(text.size());
    for (int i = 0; i < n; ++i) {
        const QChar c = text.at(i);
        if (inQuotes) {
            if (c == QLatin1Char('"')) {
                if (i + 1 < n && text.at(i + 1) == QLatin1Char('"')) {
                    field += c;
                    ++i;
                } else {
                    inQuotes = false;
                }
            } else {
                if (c == QLatin1Char('\n'))
                    ++line;
                field += c;
            }
            continue;
        }
        if (c == QLatin1Char('"') && field.trimmed().isEmpty() && !fieldQuoted) {
            inQuotes = fieldQuoted = true;
            quoteLine = line;
            field.clear();
        } else if (c == QLatin1Char(',')) {
            record.fields << (fieldQuoted ? field : field.trimmed());
            field.clear();
            fieldQuoted = false;
        } else if (c == QLatin1Char('\r') || c == QLatin1Char('\n')) {
            if (c == QLatin1Char('\r') && i + 1 < n && text.at(i + 1) == QLatin1Char('\n'))
                ++i;
            ++line;
            endRecord(line);
        } else if (!(fieldQuoted && c.isSpace())) {
            field += c; // text after a closing quote is kept (lenient)
        }
    }
    if (inQuotes) {
        *badLine = quoteLine;
        return false;
    }
    if (!field.isEmpty() || fieldQuoted || !record.fields.isEmpty())
        endRecord(line + 1);
    return true;
}

/// "train" / "test" / "" from a manifest's split column; false for anything else.
bool normaliseSplit(const QString &value, QString *split)
{
    const QString v = value.trimmed().toLower();
    if (v.isEmpty())
        *split = QString();
    else if (v == QLatin1String("train") || v == QLatin1String("training"))
        *split = QStringLiteral("train");
    else if (v == QLatin1String("test") || v == QLatin1String("testing"))
        *split = QStringLiteral("test");
    else
        return false;
    return true;
}

} // namespace

LoadResult readCsvManifest(const QString &csvFile, const LoadOptions &options)
{
    LoadResult result;
    Dataset &ds = result.dataset;
    ds.spec = csvFile;
    const QFileInfo csvInfo(csvFile);
    const QString csvPath = csvInfo.absoluteFilePath();
    QFile f(csvPath);
    if (!f.open(QIODevice::ReadOnly)) {
        result.error = QStringLiteral("%1: cannot open: %2").arg(csvPath, f.errorString());
        return result;
    }
    QString text = QString::fromUtf8(f.readAll());
    if (text.startsWith(QChar(0xFEFF)))
        text.remove(0, 1);
    std::vector<CsvRecord> records;
    int badLine = 0;
    if (!parseCsv(text, &records, &badLine)) {
        result.error = QStringLiteral("%1: line %2: quoted field never closed").arg(csvPath).arg(badLine);
        return result;
    }

    // Fixed classes from classes.txt beside the manifest, else in order of first appearance.
    const QDir base = csvInfo.absoluteDir();
    QHash<QString, int> classIndex;
    QFile classesFile(base.filePath(QStringLiteral("classes.txt")));
    const bool fixedClasses = classesFile.exists();
    if (fixedClasses) {
        if (!classesFile.open(QIODevice::ReadOnly)) {
            result.error = QStringLiteral("%1: cannot open: %2").arg(classesFile.fileName(), classesFile.errorString());
            return result;
        }
        const QStringList lines = QString::fromUtf8(classesFile.readAll()).split(QLatin1Char('\n'));
        for (const QString &line : lines) {
            const QString name = line.trimmed();
            if (!name.isEmpty() && !classIndex.contains(name)) {
                classIndex.insert(name, int(ds.classes.size()));
                ds.classes << name;
            }
        }
    }

    std::vector<ImageJob> jobs;
    for (std::size_t r = 0; r < records.size(); ++r) {
        const CsvRecord &rec = records[r];
        const QString location = QStringLiteral("line %1").arg(rec.line);
        if (r == 0 && rec.fields.size() >= 2 && rec.fields[0].toLower() == QLatin1String("path")
            && rec.fields[1].toLower() == QLatin1String("label"))
            continue; // header row
        if (rec.fields.size() < 2) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("%1 field(s), expected path,label[,split]").arg(rec.fields.size())});
            continue;
        }
        if (rec.fields.size() > 3) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("%1 fields, expected path,label[,split]").arg(rec.fields.size())});
            continue;
        }
        if (rec.fields[0].isEmpty()) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("empty path")});
            continue;
        }
        QString split;
        if (rec.fields.size() == 3 && !normaliseSplit(rec.fields[2], &split)) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("unknown split \"%1\" (expected train, test or empty)").arg(rec.fields[2])});
            continue;
        }
        const QString &name = rec.fields[1];
        int label = -1;
        if (!name.isEmpty()) {
            auto it = classIndex.constFind(name);
            if (it != classIndex.constEnd()) {
                label = it.value();
            } else if (fixedClasses) {
                ds.skipped.push_back({csvPath, location, QStringLiteral("unknown class \"%1\" (not in classes.txt)").arg(name)});
                continue;
            } else {
                label = int(ds.classes.size());
                classIndex.insert(name, label);
                ds.classes << name;
            }
        }
        const QString path = QDir::cleanPath(base.absoluteFilePath(rec.fields[0]));
        jobs.push_back({path, label, split, location});
    }
    readImageJobs(jobs, QStringLiteral("csv"), csvPath, options, result);
    return result;
}

} // namespace labelscope
