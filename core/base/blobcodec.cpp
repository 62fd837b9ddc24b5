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
bool decodeLEImpl(const QVariant &v, std::vector<T> *out)
{
    out->clear();
    if (v.isNull())
        return true;
    const QByteArray b = v.toByteArray();
    if (b.size() % qsizetype(sizeof(T)) != 0)
        return false;
    out->resize(std::size_t(b.size()) / sizeof(T));
    if (out->empty())
        return true;
    if constexpr (QSysInfo::ByteOrder == QSysInfo::LittleEndian)
        std::memcpy(out->data(), b.constData(), std::size_t(b.size()));
    else
        qFromLittleEndian<T>(b.constData(), qsizetype(out->size()), out->data());
    return true;
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

bool decodeLE(const QVariant &v, std::vector<float> *out)
{
    return decodeLEImpl(v, out);
}

bool decodeLE(const QVariant &v, std::vector<qint16> *out)
{
    return decodeLEImpl(v, out);
}

} // namespace labelscope
