#pragma once
// A minimal reader of NumPy .npy files (format version 1.0 and 2.0): little-endian '<i8', '<f4'
// and '<f8' arrays in C order. Enough for fixtures and predicted-probability files; anything else
// is refused with an error naming the file and the byte offset of the problem.

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <vector>

namespace labelscope {

/// A loaded array. `descr` is "<i8", "<f4" or "<f8". Integer arrays fill `ints`; float arrays
/// fill `doubles` (float32 converted to double). Both are flat, row-major (C order).
struct NpyArray {
    QString descr;
    std::vector<int64_t> shape;
    std::vector<int64_t> ints;
    std::vector<double> doubles;

    /// Product of `shape` (1 for a 0-d array).
    int64_t size() const;
    bool isInteger() const { return descr == QLatin1String("<i8"); }
};

/// Reads `path`. Returns false and sets `*error` (naming the file and byte offset) on bad magic,
/// unsupported version or dtype, Fortran order, a malformed header, or truncated data.
bool readNpy(const QString &path, NpyArray *out, QString *error);

/// The same on bytes already in memory; `name` is used in error messages.
bool parseNpy(const QByteArray &bytes, const QString &name, NpyArray *out, QString *error);

} // namespace labelscope
