#include "npy.h"
#include "regularfile.h"

#include "savefile.h"

#include <QFile>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace labelscope {

int64_t NpyArray::size() const
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

namespace {

bool fail(QString *error, const QString &name, qint64 offset, const QString &what)
{
    if (error)
        *error = QStringLiteral("%1: byte %2: %3").arg(name).arg(offset).arg(what);
    return false;
}

} // namespace

bool parseNpy(const QByteArray &bytes, const QString &name, NpyArray *out, QString *error)
{
    static const char magic[] = "\x93NUMPY";
    if (bytes.size() < 6 || std::memcmp(bytes.constData(), magic, 6) != 0)
        return fail(error, name, 0, QStringLiteral("bad magic (not a .npy file)"));
    if (bytes.size() < 8)
        return fail(error, name, bytes.size(), QStringLiteral("truncated header"));
    const auto *u = reinterpret_cast<const unsigned char *>(bytes.constData());
    const int major = u[6];
    qint64 headerLen = 0, headerStart = 0;
    if (major == 1) {
        if (bytes.size() < 10)
            return fail(error, name, bytes.size(), QStringLiteral("truncated header"));
        headerLen = u[8] | (u[9] << 8);
        headerStart = 10;
    } else if (major == 2) {
        if (bytes.size() < 12)
            return fail(error, name, bytes.size(), QStringLiteral("truncated header"));
        headerLen = qint64(u[8]) | (qint64(u[9]) << 8) | (qint64(u[10]) << 16)
                | (qint64(u[11]) << 24);
        headerStart = 12;
    } else {
        return fail(error, name, 6, QStringLiteral("unsupported format version %1.%2")
                                            .arg(major).arg(int(u[7])));
    }
    if (headerStart + headerLen > bytes.size())
        return fail(error, name, bytes.size(), QStringLiteral("truncated header"));
    const QString header = QString::fromLatin1(bytes.constData() + headerStart, int(headerLen));

    static const QRegularExpression descrRe(QStringLiteral("'descr'\\s*:\\s*'([^']*)'"));
    static const QRegularExpression fortranRe(QStringLiteral("'fortran_order'\\s*:\\s*(True|False)"));
    static const QRegularExpression shapeRe(QStringLiteral("'shape'\\s*:\\s*\\(([^)]*)\\)"));
    const auto dm = descrRe.match(header), fm = fortranRe.match(header), sm = shapeRe.match(header);
    if (!dm.hasMatch() || !fm.hasMatch() || !sm.hasMatch())
        return fail(error, name, headerStart, QStringLiteral("malformed header: %1").arg(header.trimmed()));
    NpyArray a;
    a.descr = dm.captured(1);
    // '=' (native) is little-endian on the hosts Labelscope supports; '|' means byte order does
    // not apply (1-byte types).
    QString descr = a.descr;
    if (descr.startsWith(QLatin1Char('=')))
        descr[0] = QLatin1Char('<');
    static const QStringList integerTypes = {
        QStringLiteral("|b1"), QStringLiteral("|i1"), QStringLiteral("|u1"), QStringLiteral("<i2"),
        QStringLiteral("<u2"), QStringLiteral("<i4"), QStringLiteral("<u4"), QStringLiteral("<i8"),
        QStringLiteral("<u8")};
    const bool integer = integerTypes.contains(descr);
    if (!integer && descr != QLatin1String("<f4") && descr != QLatin1String("<f8"))
        return fail(error, name, headerStart + dm.capturedStart(1),
                    QStringLiteral("unsupported dtype '%1' (need a little-endian integer type, <f4 or <f8)").arg(a.descr));
    a.descr = integer ? QStringLiteral("<i8") : descr;
    if (fm.captured(1) == QLatin1String("True"))
        return fail(error, name, headerStart + fm.capturedStart(1),
                    QStringLiteral("Fortran order is not supported"));
    const QStringList dims = sm.captured(1).split(QLatin1Char(','), Qt::SkipEmptyParts);
    // Callers size arrays by single dimensions (K of pred_probs, D of an embedding), so the
    // product of the non-zero dimensions is capped too: a shape (0, 2^62) holds no data but
    // must not reach them. The data itself is checked against the bytes present below.
    constexpr int64_t kMaxElements = int64_t(1) << 40;
    int64_t n = 1, nonZero = 1;
    for (const QString &d : dims) {
        bool ok = false;
        const qint64 v = d.trimmed().toLongLong(&ok);
        const int64_t w = std::max<int64_t>(v, 1);
        if (!ok || v < 0 || nonZero > kMaxElements / w)
            return fail(error, name, headerStart + sm.capturedStart(1),
                        QStringLiteral("bad shape '%1'").arg(sm.captured(1)));
        n *= v;
        nonZero *= w;
        a.shape.push_back(v);
    }
    const qint64 dataStart = headerStart + headerLen;
    const int itemSize = descr.mid(2).toInt();
    const qint64 need = n * itemSize;
    if (bytes.size() - dataStart < need)
        return fail(error, name, bytes.size(),
                    QStringLiteral("truncated data: need %1 bytes from byte %2, have %3")
                            .arg(need).arg(dataStart).arg(bytes.size() - dataStart));
    const char *p = bytes.constData() + dataStart;
    // Assumes a little-endian host (x86-64, aarch64).
    auto convert = [&](auto tag, auto *dest) {
        using T = decltype(tag);
        std::vector<T> v(static_cast<size_t>(n));
        if (n > 0)
            std::memcpy(v.data(), p, size_t(need));
        dest->resize(size_t(n));
        for (size_t i = 0; i < v.size(); ++i)
            (*dest)[i] = static_cast<typename std::remove_pointer_t<decltype(dest)>::value_type>(v[i]);
    };
    if (descr == QLatin1String("|b1") || descr == QLatin1String("|u1"))
        convert(uint8_t(), &a.ints);
    else if (descr == QLatin1String("|i1"))
        convert(int8_t(), &a.ints);
    else if (descr == QLatin1String("<i2"))
        convert(int16_t(), &a.ints);
    else if (descr == QLatin1String("<u2"))
        convert(uint16_t(), &a.ints);
    else if (descr == QLatin1String("<i4"))
        convert(int32_t(), &a.ints);
    else if (descr == QLatin1String("<u4"))
        convert(uint32_t(), &a.ints);
    else if (descr == QLatin1String("<i8"))
        convert(int64_t(), &a.ints);
    else if (descr == QLatin1String("<u8")) {
        std::vector<uint64_t> v(static_cast<size_t>(n));
        if (n > 0)
            std::memcpy(v.data(), p, size_t(need));
        for (size_t i = 0; i < v.size(); ++i)
            if (v[i] > uint64_t(std::numeric_limits<int64_t>::max()))
                return fail(error, name, dataStart + qint64(i) * 8, QStringLiteral("uint64 value too large"));
        convert(uint64_t(), &a.ints);
    } else if (descr == QLatin1String("<f8"))
        convert(double(), &a.doubles);
    else
        convert(float(), &a.doubles);
    *out = std::move(a);
    return true;
}

bool readNpy(const QString &path, NpyArray *out, QString *error)
{
    if (const Result<> regular = checkRegularFile(path); !regular) {
        if (error)
            *error = regular.error();
        return false;
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("%1: cannot open: %2").arg(path, f.errorString());
        return false;
    }
    return parseNpy(f.readAll(), path, out, error);
}

} // namespace labelscope

namespace labelscope {

namespace {

QByteArray npyHeader(const char *descr, const std::vector<int64_t> &shape)
{
    QString dims;
    for (int64_t d : shape)
        dims += QString::number(d) + QLatin1Char(',');
    if (shape.size() > 1)
        dims.chop(1);
    QByteArray dict = QStringLiteral("{'descr': '%1', 'fortran_order': False, 'shape': (%2), }")
                          .arg(QLatin1String(descr), dims)
                          .toLatin1();
    // Version 1.0: magic (6) + version (2) + header length (2) + header, padded with spaces and
    // ending in a newline so that the data starts on a multiple of 64 bytes.
    const int total = 10 + int(dict.size()) + 1;
    dict += QByteArray((64 - total % 64) % 64, ' ');
    dict += '\n';
    QByteArray out("\x93NUMPY\x01\x00", 8);
    const quint16 len = quint16(dict.size());
    out += char(len & 0xff);
    out += char(len >> 8);
    out += dict;
    return out;
}

bool writeBytes(const QString &path, const QByteArray &header, const char *data, qint64 size, QString *error)
{
    // Every write and the commit checked: a full disk is an error, never a short .npy file.
    AtomicFileWriter f(path);
    Result<> r = f.open();
    if (r) {
        f.write(header);
        f.write(data, size);
        r = f.commit();
    }
    if (!r && error)
        *error = r.error();
    return bool(r);
}

template <typename T>
bool writeNpyImpl(const QString &path, const char *descr, const std::vector<int64_t> &shape,
                  const std::vector<T> &data, QString *error)
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    if (n != int64_t(data.size())) {
        if (error)
            *error = QStringLiteral("%1: %2 values do not fill the shape").arg(path).arg(data.size());
        return false;
    }
    return writeBytes(path, npyHeader(descr, shape), reinterpret_cast<const char *>(data.data()),
                      qint64(data.size() * sizeof(T)), error);
}

} // namespace

bool writeNpy(const QString &path, const std::vector<int64_t> &shape, const std::vector<float> &data, QString *error)
{
    return writeNpyImpl(path, "<f4", shape, data, error);
}

bool writeNpy(const QString &path, const std::vector<int64_t> &shape, const std::vector<int64_t> &data, QString *error)
{
    return writeNpyImpl(path, "<i8", shape, data, error);
}

QString npyNonFiniteFloat32(const NpyArray &array)
{
    const int64_t cols = array.shape.size() >= 2 ? std::max<int64_t>(1, array.shape.back()) : 1;
    for (std::size_t i = 0; i < array.doubles.size(); ++i) {
        const double v = array.doubles[i];
        QString what;
        if (std::isnan(v))
            what = QStringLiteral("is NaN");
        else if (std::isinf(v))
            what = v > 0 ? QStringLiteral("is inf") : QStringLiteral("is -inf");
        else if (std::abs(v) > double(std::numeric_limits<float>::max()))
            what = QStringLiteral("= %1, beyond float32's range").arg(v, 0, 'g', 6);
        else
            continue;
        return QStringLiteral("row %1, column %2 %3").arg(qint64(i) / cols).arg(qint64(i) % cols).arg(what);
    }
    return QString();
}

} // namespace labelscope
