#pragma once
// Refusing special files before a reader opens them. Opening a FIFO for reading blocks until a
// writer appears (forever, for a command run unattended), a character device such as /dev/zero
// never ends, and a socket cannot be opened at all; so every reader of user-named files (CSV
// manifests, labels and pred_probs, .npy, IDX, images, YAML configs) asks here first.
// The check follows symbolic links (a link to a regular file is fine) and costs one stat().

#include "result.h"

#include <QString>

namespace labelscope {

/// Why PATH is not a regular file, without the file name ("no such file", "a FIFO (named pipe),
/// not a regular file", "a folder, not a file", "a symbolic link loop", ...); "" when it is one.
QString notRegularFileReason(const QString &path);

/// Success when PATH (links followed) is a regular file. Failure: "PATH: <reason>", the reason
/// as notRegularFileReason() gives it. Call it before QFile::open on any user-named input.
Result<> checkRegularFile(const QString &path);

/// Whether BYTES is valid UTF-8 (a file name that QString can represent and give back).
bool isValidUtf8(const QByteArray &bytes);

/// BYTES for a message: printable ASCII and valid UTF-8 kept, every other byte as \xNN, and a
/// backslash as \\ (a non-UTF-8 file name shown so that the user can find and rename it).
QString escapedBytes(const QByteArray &bytes);

} // namespace labelscope
