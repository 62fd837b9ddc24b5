// The IDX reader (MNIST, Fashion-MNIST): gzipped or plain files, sniffed by the gzip magic
// 1f 8b rather than by the extension. Every header field is checked before anything is
// allocated; errors name the file and the byte offset (in the decompressed data for .gz).
// A header's sizes are checked against the bytes present: the file size for a plain file; for a
// gzip file first against the most that deflate can expand it to, then while decompressing, the
// buffers growing only with the data that really arrives.

#include "idxreader.h"
#include "regularfile.h"

#include <QFile>
#include <QFileInfo>

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

namespace labelscope {

namespace {

/// A whole IDX images file larger than this is taken for a corrupt header.
constexpr quint64 kMaxIdxBytes = quint64(1) << 40;
/// Neither side of an IDX image may exceed this.
constexpr quint32 kMaxIdxSide = 65535;
/// Images read between two progress calls.
constexpr qint64 kChunkImages = 1000;
/// Deflate expands its input at most 1032-fold (zlib's FAQ, "What's the maximum compression
/// ratio?"), so a gzip file of S bytes holds at most 1032·S bytes of data, whatever its header
/// says. Concatenated members and the gzip framing only lower the ratio.
constexpr quint64 kMaxDeflateRatio = 1032;
/// Decompressed bytes read per step while a gzip file's data is appended (buffers grow with
/// what arrives, never with what a header claims).
constexpr qint64 kGzipStepBytes = qint64(1) << 22;

/// a * b when it is at most `limit`; false when larger (or when it would overflow).
bool multiplyWithin(quint64 a, quint64 b, quint64 limit, quint64 *product)
{
    if (a != 0 && b > limit / a)
        return false;
    *product = a * b;
    return *product <= limit;
}

/// Sequential reader of a plain or gzip-compressed file, keeping the offset in the
/// (decompressed) data for error messages.
class IdxStream
{
public:
    IdxStream() = default;
    IdxStream(const IdxStream &) = delete;
    IdxStream &operator=(const IdxStream &) = delete;
    ~IdxStream()
    {
        if (m_zInit)
            inflateEnd(&m_zs);
    }

    bool open(const QString &path, QString *error)
    {
        m_path = path;
        if (const Result<> regular = checkRegularFile(path); !regular) {
            *error = regular.error();
            return false;
        }
        m_file.setFileName(path);
        if (!m_file.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("%1: cannot open: %2").arg(path, m_file.errorString());
            return false;
        }
        const QByteArray magic = m_file.peek(2);
        m_gzipped = magic.size() == 2 && uchar(magic[0]) == 0x1f && uchar(magic[1]) == 0x8b;
        if (m_gzipped) {
            if (inflateInit2(&m_zs, 15 + 16) != Z_OK) { // 16: gzip wrapper only
                *error = QStringLiteral("%1: cannot initialise zlib").arg(path);
                return false;
            }
            m_zInit = true;
            m_in.resize(1 << 16);
        }
        return true;
    }

    bool gzipped() const { return m_gzipped; }
    qint64 fileSize() const { return m_file.size(); }

    /// Checks that the data can hold `declared` bytes in all: the file size for a plain file,
    /// 1032 times it for gzip (deflate's bound). False with a message naming the file, what the
    /// header at `headerByte` declares and what the file can hold.
    bool canHold(quint64 declared, const QString &what, int headerByte, QString *error) const
    {
        const quint64 size = quint64(std::max<qint64>(fileSize(), 0));
        if (!m_gzipped) {
            if (size >= declared)
                return true;
            *error = QStringLiteral("%1: truncated: the header at byte %2 declares %3 (%4 bytes with "
                                    "the header), but the file ends at byte %5")
                         .arg(m_path).arg(headerByte).arg(what).arg(declared).arg(size);
            return false;
        }
        if (size <= std::numeric_limits<quint64>::max() / kMaxDeflateRatio
            && size * kMaxDeflateRatio >= declared)
            return true;
        *error = QStringLiteral("%1: truncated or corrupt: the header at byte %2 of the decompressed "
                                "data declares %3 (%4 bytes with the header), but a gzip file of %5 "
                                "bytes decompresses to at most %6 bytes")
                     .arg(m_path).arg(headerByte).arg(what).arg(declared).arg(size)
                     .arg(size * kMaxDeflateRatio);
        return false;
    }

    /// Appends `n` bytes to `out`. A plain file (whose size was checked) is read in place; gzip
    /// data is decompressed in steps of kGzipStepBytes and appended as it arrives, so that `out`
    /// grows with the data present. False (out keeps what arrived) when the data ends early.
    template <class Byte>
    bool append(std::vector<Byte> *out, qint64 n)
    {
        static_assert(sizeof(Byte) == 1, "bytes only");
        if (!m_gzipped) {
            const std::size_t start = out->size();
            out->resize(start + std::size_t(n));
            const qint64 got = read(reinterpret_cast<char *>(out->data() + start), n);
            out->resize(start + std::size_t(std::max<qint64>(got, 0)));
            return got == n;
        }
        std::vector<char> step(std::size_t(std::min(n, kGzipStepBytes)));
        for (qint64 left = n; left > 0;) {
            const qint64 want = std::min<qint64>(left, qint64(step.size()));
            const qint64 got = read(step.data(), want);
            out->insert(out->end(), reinterpret_cast<const Byte *>(step.data()),
                        reinterpret_cast<const Byte *>(step.data()) + got);
            if (got != want)
                return false;
            left -= got;
        }
        return true;
    }
    qint64 position() const { return m_pos; }
    /// A read error or corrupt compressed data; empty at a plain end of data.
    const QString &streamError() const { return m_error; }

    /// Reads up to n bytes; fewer at the end of the data or on error.
    qint64 read(char *dst, qint64 n)
    {
        qint64 got = 0;
        if (!m_gzipped) {
            while (got < n) {
                const qint64 r = m_file.read(dst + got, n - got);
                if (r < 0)
                    m_error = QStringLiteral("read error: %1").arg(m_file.errorString());
                if (r <= 0)
                    break;
                got += r;
            }
        } else {
            got = readGzip(dst, n);
        }
        m_pos += got;
        return got;
    }

    /// Reads a gzip stream to its end, so that zlib checks the CRC and length in its trailer.
    /// False (see streamError()) when the stream is corrupt or ends early.
    bool checkEnd()
    {
        if (!m_gzipped)
            return true;
        std::vector<char> scratch(1 << 16);
        const qint64 before = m_pos;
        while (read(scratch.data(), qint64(scratch.size())) > 0) {
        }
        m_pos = before; // report the offset where the wanted data ended
        return m_error.isEmpty();
    }

    /// The message for data that ended (or broke) before `expected` bytes were read.
    QString shortReadMessage(const QString &what) const
    {
        const QString where = m_gzipped ? QStringLiteral("byte %1 of the decompressed data").arg(m_pos)
                                        : QStringLiteral("byte %1").arg(m_pos);
        if (!m_error.isEmpty())
            return QStringLiteral("%1: %2 at %3 while reading %4").arg(m_path, m_error, where, what);
        return QStringLiteral("%1: truncated: the data ends at %2 while reading %3").arg(m_path, where, what);
    }

private:
    qint64 readGzip(char *dst, qint64 n)
    {
        qint64 got = 0;
        while (got < n && !m_end) {
            if (m_zs.avail_in == 0) {
                const qint64 r = m_file.read(m_in.data(), qint64(m_in.size()));
                if (r < 0) {
                    m_error = QStringLiteral("read error: %1").arg(m_file.errorString());
                    m_end = true;
                    break;
                }
                if (r == 0) {
                    m_end = true;
                    if (!m_memberEnded)
                        m_error = QStringLiteral("truncated gzip stream");
                    break;
                }
                m_zs.next_in = reinterpret_cast<Bytef *>(m_in.data());
                m_zs.avail_in = uInt(r);
            }
            if (m_memberEnded) {
                // Data after a complete gzip member: another member (concatenated .gz) or junk.
                if (*m_zs.next_in != 0x1f) {
                    m_end = true;
                    break;
                }
                inflateReset(&m_zs);
                m_memberEnded = false;
            }
            const uInt room = uInt(std::min<qint64>(n - got, 1 << 30));
            m_zs.next_out = reinterpret_cast<Bytef *>(dst + got);
            m_zs.avail_out = room;
            const int rc = inflate(&m_zs, Z_NO_FLUSH);
            got += room - m_zs.avail_out;
            if (rc == Z_STREAM_END) {
                m_memberEnded = true;
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                m_error = QStringLiteral("corrupt gzip data (zlib: %1)")
                              .arg(QString::fromLatin1(m_zs.msg ? m_zs.msg : "error"));
                m_end = true;
            }
        }
        return got;
    }

    QString m_path;
    QFile m_file;
    bool m_gzipped = false;
    z_stream m_zs{};
    bool m_zInit = false;
    bool m_memberEnded = false;
    bool m_end = false;
    std::vector<char> m_in;
    qint64 m_pos = 0;
    QString m_error;
};

quint32 bigEndian32(const uchar *p)
{
    return (quint32(p[0]) << 24) | (quint32(p[1]) << 16) | (quint32(p[2]) << 8) | quint32(p[3]);
}

/// Reads the magic number and `ndims` dimensions of an IDX file of unsigned bytes.
bool readHeader(IdxStream &stream, const QString &path, int ndims, const char *kind,
                std::vector<quint32> *dims, QString *error)
{
    uchar header[16];
    if (stream.read(reinterpret_cast<char *>(header), 4) != 4) {
        *error = stream.shortReadMessage(QStringLiteral("the IDX magic number"));
        return false;
    }
    const quint32 magic = bigEndian32(header);
    const quint32 expected = 0x0800u | quint32(ndims);
    if (magic != expected) {
        QString detail;
        if (header[0] != 0 || header[1] != 0)
            detail = QStringLiteral("not an IDX file");
        else if (header[2] != 0x08)
            detail = QStringLiteral("IDX data type 0x%1 is not unsigned byte (0x08)")
                         .arg(header[2], 2, 16, QLatin1Char('0'));
        else
            detail = QStringLiteral("%1 dimensions, expected %2 for an %3 file")
                         .arg(header[3]).arg(ndims).arg(QLatin1String(kind));
        *error = QStringLiteral("%1: bad magic number 0x%2 at byte 0 (expected 0x%3): %4")
                     .arg(path)
                     .arg(magic, 8, 16, QLatin1Char('0'))
                     .arg(expected, 8, 16, QLatin1Char('0'))
                     .arg(detail);
        return false;
    }
    const qint64 dimBytes = 4 * qint64(ndims);
    if (stream.read(reinterpret_cast<char *>(header) + 4, dimBytes) != dimBytes) {
        *error = stream.shortReadMessage(QStringLiteral("the IDX dimensions"));
        return false;
    }
    dims->resize(std::size_t(ndims));
    for (int d = 0; d < ndims; ++d)
        (*dims)[std::size_t(d)] = bigEndian32(header + 4 + 4 * d);
    return true;
}

/// Reads and checks the header of an images file; leaves the stream at the first pixel.
bool openImages(IdxStream &stream, const QString &path, qint64 maxPixels, IdxImagesHeader *out,
                QString *error)
{
    if (!stream.open(path, error))
        return false;
    std::vector<quint32> dims;
    if (!readHeader(stream, path, 3, "images", &dims, error))
        return false;
    const quint32 count = dims[0], rows = dims[1], cols = dims[2];
    quint64 pixels = 0, total = 0;
    if (rows == 0 || cols == 0 || rows > kMaxIdxSide || cols > kMaxIdxSide
        || !multiplyWithin(rows, cols, quint64(std::max<qint64>(maxPixels, 0)), &pixels)) {
        *error = QStringLiteral("%1: absurd image size %2x%3 declared at byte 8 (limit %4 pixels)")
                     .arg(path).arg(rows).arg(cols).arg(maxPixels);
        return false;
    }
    if (!multiplyWithin(count, pixels, kMaxIdxBytes, &total)) {
        *error = QStringLiteral("%1: absurd dimensions %2x%3x%4 declared at byte 4")
                     .arg(path).arg(count).arg(rows).arg(cols);
        return false;
    }
    if (!stream.canHold(16 + total, QStringLiteral("%1 images of %2x%3").arg(count).arg(rows).arg(cols),
                        4, error))
        return false;
    out->count = count;
    out->rows = int(rows);
    out->cols = int(cols);
    return true;
}

QStringList digitClasses(int count)
{
    QStringList names;
    for (int i = 0; i < count; ++i)
        names << QString::number(i);
    return names;
}

} // namespace

bool readIdxImagesHeader(const QString &imagesFile, qint64 maxPixels, IdxImagesHeader *header,
                         QString *error)
{
    IdxStream stream;
    return openImages(stream, imagesFile, maxPixels, header, error);
}

LoadResult readIdxWithClasses(const QString &imagesFile, const QString &labelsFile,
                              const QString &split, const QStringList &classes,
                              const LoadOptions &options)
{
    LoadResult result;
    Dataset &ds = result.dataset;
    ds.spec = imagesFile;
    const QString imagesPath = QFileInfo(imagesFile).absoluteFilePath();

    IdxStream images;
    IdxImagesHeader header;
    if (!openImages(images, imagesPath, options.maxPixels, &header, &result.error))
        return result;
    const qint64 n = options.limit >= 0 ? std::min(options.limit, header.count) : header.count;

    // Labels first: they are small, and a count mismatch is found before the pixels are read.
    std::vector<int> labels;
    int maxLabel = -1;
    if (!labelsFile.isEmpty()) {
        const QString labelsPath = QFileInfo(labelsFile).absoluteFilePath();
        IdxStream stream;
        std::vector<quint32> dims;
        if (!stream.open(labelsPath, &result.error)
            || !readHeader(stream, labelsPath, 1, "labels", &dims, &result.error))
            return result;
        if (qint64(dims[0]) != header.count) {
            result.error = QStringLiteral("%1: %2 labels declared at byte 4, but %3 has %4 images")
                               .arg(labelsPath).arg(dims[0]).arg(imagesPath).arg(header.count);
            return result;
        }
        if (!stream.canHold(8 + quint64(dims[0]), QStringLiteral("%1 labels").arg(dims[0]), 4, &result.error))
            return result;
        std::vector<uchar> raw;
        if (!stream.append(&raw, n)) {
            result.error = stream.shortReadMessage(QStringLiteral("labels"));
            return result;
        }
        if (n == header.count && !stream.checkEnd()) {
            result.error = stream.shortReadMessage(QStringLiteral("the end of the gzip stream"));
            return result;
        }
        labels.reserve(raw.size());
        for (qint64 i = 0; i < n; ++i) {
            const int label = raw[std::size_t(i)];
            if (!classes.isEmpty() && label >= classes.size()) {
                result.error = QStringLiteral("%1: label %2 at byte %3 is out of range (%4 classes)")
                                   .arg(labelsPath).arg(label).arg(8 + i).arg(classes.size());
                return result;
            }
            labels.push_back(label);
            maxLabel = std::max(maxLabel, label);
        }
    }
    ds.classes = !classes.isEmpty() ? classes : digitClasses(std::max(10, maxLabel + 1));

    ds.channels = 1;
    ds.height = header.rows;
    ds.width = header.cols;
    const std::size_t imageBytes = ds.imageBytes();
    // A plain file's size was checked: one allocation. A gzip file's buffer grows with the data
    // that arrives (its size was only checked against deflate's bound).
    if (!images.gzipped())
        ds.pixels.reserve(std::size_t(n) * imageBytes);
    for (qint64 done = 0; done < n;) {
        const qint64 chunk = std::min(kChunkImages, n - done);
        if (!images.append(&ds.pixels, chunk * qint64(imageBytes))) {
            result.error = images.shortReadMessage(QStringLiteral("image pixels"));
            ds.pixels.clear();
            return result;
        }
        done += chunk;
        if (options.progress && !options.progress(done, n)) {
            result.error = QStringLiteral("cancelled");
            ds.pixels.clear();
            return result;
        }
    }

    if (n == header.count && !images.checkEnd()) {
        result.error = images.shortReadMessage(QStringLiteral("the end of the gzip stream"));
        ds.pixels.clear();
        return result;
    }

    ds.samples.resize(std::size_t(n));
    const QString source = QStringLiteral("idx");
    for (qint64 i = 0; i < n; ++i) {
        Sample &s = ds.samples[std::size_t(i)];
        s.source = source;
        s.path = imagesPath;
        s.offset = i;
        s.split = split;
        s.label = labelsFile.isEmpty() ? -1 : labels[std::size_t(i)];
    }
    return result;
}

LoadResult readIdx(const QString &imagesFile, const QString &labelsFile, const QString &split,
                   const LoadOptions &options)
{
    return readIdxWithClasses(imagesFile, labelsFile, split, {}, options);
}

namespace {

struct CachedIdx {
    int rows = 0, cols = 0;
    qint64 count = 0;
    std::vector<std::uint8_t> pixels;
};

std::mutex &idxCacheMutex()
{
    static std::mutex mutex;
    return mutex;
}

std::map<QString, std::shared_ptr<const CachedIdx>> &idxCache()
{
    static std::map<QString, std::shared_ptr<const CachedIdx>> cache;
    return cache;
}

} // namespace

bool idxCachedImage(const QString &imagesFile, qint64 index, DecodedImage *out, QString *error)
{
    const QString path = QFileInfo(imagesFile).absoluteFilePath();
    std::shared_ptr<const CachedIdx> file;
    {
        // Held while a file loads, so that each file is read once even with concurrent callers.
        std::lock_guard<std::mutex> lock(idxCacheMutex());
        auto it = idxCache().find(path);
        if (it == idxCache().end()) {
            LoadResult r = readIdx(path, QString(), QString());
            if (!r.ok()) {
                if (error)
                    *error = r.error;
                return false;
            }
            auto loaded = std::make_shared<CachedIdx>();
            loaded->rows = r.dataset.height;
            loaded->cols = r.dataset.width;
            loaded->count = qint64(r.dataset.samples.size());
            loaded->pixels = std::move(r.dataset.pixels);
            it = idxCache().emplace(path, std::move(loaded)).first;
        }
        file = it->second;
    }
    if (index < 0 || index >= file->count) {
        if (error)
            *error = QStringLiteral("%1: image %2 out of range (%3 images)").arg(path).arg(index).arg(file->count);
        return false;
    }
    const std::size_t bytes = std::size_t(file->rows) * std::size_t(file->cols);
    out->width = file->cols;
    out->height = file->rows;
    out->channels = 1;
    out->fullWidth = out->fullHeight = 0;
    out->pixels.assign(file->pixels.begin() + std::ptrdiff_t(std::size_t(index) * bytes),
                       file->pixels.begin() + std::ptrdiff_t(std::size_t(index + 1) * bytes));
    return true;
}

} // namespace labelscope
