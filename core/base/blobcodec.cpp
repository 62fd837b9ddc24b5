#include "blobcodec.h"

#include <QSysInfo>
#include <QtEndian>

#include <cstring>
#include <type_traits>

namespace labelscope {

namespace {

template <typename T>
QByteArray encodeLEImpl(const T *p, std::size_t n)
{
    static_assert(std::is_arithmetic_v<T>);
    QByteArray b(qsizetype(n * sizeof(T)), Qt::Uninitialized);
    if (n == 0)
        return b;
    if constexpr (QSysInfo::ByteOrder == QSysInfo::LittleEndian)
        std::memcpy(b.data(), p, n * sizeof(T));
    else
        qToLittleEndian<T>(p, qsizetype(n), b.data());
    return b;
}

template <typename T>
bool appendLEImpl(const QByteArray &b, std::vector<T> *out)
{
    if (b.size() % qsizetype(sizeof(T)) != 0)
        return false;
    const std::size_t at = out->size(), n = std::size_t(b.size()) / sizeof(T);
    out->resize(at + n);
    if (n == 0)
        return true;
    if constexpr (QSysInfo::ByteOrder == QSysInfo::LittleEndian)
        std::memcpy(out->data() + at, b.constData(), std::size_t(b.size()));
    else
        qFromLittleEndian<T>(b.constData(), qsizetype(n), out->data() + at);
    return true;
}

template <typename T>
bool decodeLEImpl(const QVariant &v, std::vector<T> *out)
{
    out->clear();
    return v.isNull() || appendLEImpl(v.toByteArray(), out);
}

} // namespace

QByteArray encodeLE(const float *p, std::size_t n)
{
    return encodeLEImpl(p, n);
}

QByteArray encodeLE(const qint16 *p, std::size_t n)
{
    return encodeLEImpl(p, n);
}

QByteArray encodeLE(const qint64 *p, std::size_t n)
{
    return encodeLEImpl(p, n);
}

bool decodeLE(const QVariant &v, std::vector<qint64> *out)
{
    return decodeLEImpl(v, out);
}

bool decodeLE(const QVariant &v, std::vector<float> *out)
{
    return decodeLEImpl(v, out);
}

bool decodeLE(const QVariant &v, std::vector<qint16> *out)
{
    return decodeLEImpl(v, out);
}

bool appendLE(const QByteArray &blob, std::vector<float> *out)
{
    return appendLEImpl(blob, out);
}

} // namespace labelscope
