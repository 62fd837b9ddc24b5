#pragma once

// Encodes and decodes numeric arrays as little-endian BLOBs (float32, int16) for the project store.

#include <QByteArray>
#include <QVariant>
#include <QtGlobal>

#include <cstddef>
#include <vector>

namespace labelscope {

QByteArray encodeLE(const float *p, std::size_t n);
QByteArray encodeLE(const qint16 *p, std::size_t n);
QByteArray encodeLE(const qint64 *p, std::size_t n);

// A null value decodes to an empty array; false when the BLOB's size is not a whole number of
// elements.
bool decodeLE(const QVariant &v, std::vector<float> *out);
bool decodeLE(const QVariant &v, std::vector<qint16> *out);
bool decodeLE(const QVariant &v, std::vector<qint64> *out);
// Appends the float32 elements of BLOB to *out; false (nothing appended) on a partial element.
bool appendLE(const QByteArray &blob, std::vector<float> *out);

} // namespace labelscope
