#pragma once
// Honest writes of output files (npy, CSV, JSON, PNG bytes, exports): atomically through
// QSaveFile (a temporary beside the target, renamed over it on success), with every write, the
// flush and the commit checked. On any failure (disk full, quota, read-only folder, a directory
// or special file at the path) the temporary is removed, the target keeps its old content, and
// the error names the file and the cause. Nothing is reported "written" that is not on disk.

#include "result.h"

#include <QByteArray>
#include <QSaveFile>
#include <QString>

#include <memory>

namespace labelscope {

/// Writes BYTES to PATH atomically. Error: "PATH: cannot write: <cause>".
Result<> writeFileAtomically(const QString &path, const QByteArray &bytes);

/// Creates the folder PATH and its missing parents (nothing to do when it exists). Error:
/// "PATH: cannot create the folder: <cause>" (e.g. "Read-only file system", "Not a directory").
Result<> makeFolder(const QString &path);

/// The streaming form, for outputs built piece by piece. The first failed write is remembered;
/// later writes are ignored and commit() reports it. Destroying an uncommitted writer discards
/// the temporary. Not thread-safe.
class AtomicFileWriter {
public:
    explicit AtomicFileWriter(const QString &path);
    ~AtomicFileWriter();
    AtomicFileWriter(const AtomicFileWriter &) = delete;
    AtomicFileWriter &operator=(const AtomicFileWriter &) = delete;

    /// Creates the temporary. Refuses a directory or a special file (FIFO, device) at PATH.
    Result<> open();
    void write(const char *data, qint64 size);
    void write(const QByteArray &bytes) { write(bytes.constData(), bytes.size()); }
    /// Flushes, checks, and renames over PATH.
    Result<> commit();
    const QString &path() const { return m_path; }

private:
    Result<> failure(const QString &cause);
    QString m_path;
    std::unique_ptr<QSaveFile> m_file;
    QString m_error; ///< first failure, empty while all is well
};

} // namespace labelscope
