#pragma once
// Helpers for the fuzz targets: readers that only take a file name get the input as a file in a
// per-process folder under /dev/shm (memory, so that a million runs do not wear a disk).

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <unistd.h>

namespace labelscope::fuzz {

/// The per-process scratch folder (created on first use; /dev/shm, else the temp folder;
/// removed at exit).
inline const QString &scratchDir()
{
    static const QString dir = [] {
        const QString root = QDir(QStringLiteral("/dev/shm")).exists() ? QStringLiteral("/dev/shm") : QDir::tempPath();
        const QString d = QStringLiteral("%1/labelscope-fuzz-%2").arg(root).arg(qint64(getpid()));
        QDir().mkpath(d);
        return d;
    }();
    static const bool cleanup = [] {
        return std::atexit([] { QDir(scratchDir()).removeRecursively(); }) == 0;
    }();
    (void)cleanup;
    return dir;
}

/// Writes `bytes` to scratchDir()/name and returns the path; aborts when it cannot (a harness
/// problem, not a finding).
inline QString writeFile(const QString &name, const QByteArray &bytes)
{
    const QString path = scratchDir() + QLatin1Char('/') + name;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size()) {
        std::fprintf(stderr, "fuzz harness: cannot write %s\n", qPrintable(path));
        std::abort();
    }
    return path;
}

/// The input as a QByteArray (a copy: the readers may keep it).
inline QByteArray bytesOf(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

} // namespace labelscope::fuzz
