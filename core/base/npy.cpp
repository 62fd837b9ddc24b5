#include "npy.h"

#include <QFile>
#include <QRegularExpression>

#include <cstring>

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
    if (a.descr != QLatin1String("<i8") && a.descr != QLatin1String("<f4")
        && a.descr != QLatin1String("<f8"))
        return fail(error, name, headerStart + dm.capturedStart(1),
                    QStringLiteral("unsupported dtype '%1' (need <i8, <f4 or <f8)").arg(a.descr));
    if (fm.captured(1) == QLatin1String("True"))
        return fail(error, name, headerStart + fm.capturedStart(1),
                    QStringLiteral("Fortran order is not supported"));
    const QStringList dims = sm.captured(1).split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &d : dims) {
        bool ok = false;
        const qint64 v = d.trimmed().toLongLong(&ok);
        if (!ok || v < 0)
            return fail(error, name, headerStart + sm.capturedStart(1),
                        QStringLiteral("bad shape '%1'").arg(sm.captured(1)));
        a.shape.push_back(v);
    }
    const qint64 dataStart = headerStart + headerLen;
    const int itemSize = a.descr == QLatin1String("<f4") ? 4 : 8;
    const int64_t n = a.size();
    const qint64 need = n * itemSize;
    if (bytes.size() - dataStart < need)
        return fail(error, name, bytes.size(),
                    QStringLiteral("truncated data: need %1 bytes from byte %2, have %3")
                            .arg(need).arg(dataStart).arg(bytes.size() - dataStart));
    const char *p = bytes.constData() + dataStart;
    // Assumes a little-endian host (x86-64, aarch64).
    if (a.descr == QLatin1String("<i8")) {
        a.ints.resize(size_t(n));
        std::memcpy(a.ints.data(), p, size_t(need));
    } else if (itemSize == 8) {
        a.doubles.resize(size_t(n));
        std::memcpy(a.doubles.data(), p, size_t(need));
    } else {
        std::vector<float> f(static_cast<size_t>(n));
        std::memcpy(f.data(), p, size_t(need));
        a.doubles.assign(f.begin(), f.end());
    }
    *out = std::move(a);
    return true;
}

bool readNpy(const QString &path, NpyArray *out, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("%1: cannot open: %2").arg(path, f.errorString());
        return false;
    }
    return parseNpy(f.readAll(), path, out, error);
}

} // namespace labelscope
