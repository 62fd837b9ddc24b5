#pragma once
// A minimal reader and writer of NumPy .npy files (format version 1.0 and 2.0): little-endian
// integer (bool, int8..int64, uint8..uint64), float32 and float64 arrays in C order. Enough for
// labels, predicted probabilities and embeddings; anything else (big-endian, Fortran order,
// structured dtypes, truncated data) is refused with an error naming the file and byte offset.
// Own code: no Debian package offers a C++ .npy reader (cnpy is not packaged).

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <vector>

namespace labelscope {

/// A loaded array. `descr` is "<i8" for every integer dtype (values widened to int64), "<f4" or
/// "<f8". Integer arrays fill `ints`; float arrays fill `doubles` (float32 converted to double).
/// Both are flat, row-major (C order).
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
/// unsupported version or dtype, Fortran order, a malformed header, a shape whose non-zero
/// dimensions multiply to more than 2^40, or truncated data (the shape is checked against the
/// bytes present before anything is allocated). A FIFO, socket or device is refused before it
/// is opened.
bool readNpy(const QString &path, NpyArray *out, QString *error);

/// The same on bytes already in memory; `name` is used in error messages.
bool parseNpy(const QByteArray &bytes, const QString &name, NpyArray *out, QString *error);

/// For a float ARRAY used as float32 [N, D] (embeddings): where its first value that is NaN,
/// infinite or beyond float32's range lies, as "row R, column C is NaN" ("is inf", "is -inf",
/// "= V, beyond float32's range"); "" when every value is a finite float32 (and for integer arrays).
QString npyNonFiniteFloat32(const NpyArray &array);

/// Writes a C-order float32 / int64 array of SHAPE (product = data.size()) atomically and
/// checked (AtomicFileWriter): on failure the old file stays and *error names the file and cause.
bool writeNpy(const QString &path, const std::vector<int64_t> &shape, const std::vector<float> &data,
              QString *error);
bool writeNpy(const QString &path, const std::vector<int64_t> &shape, const std::vector<int64_t> &data,
              QString *error);

} // namespace labelscope
