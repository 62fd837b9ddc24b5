#include "regularfile.h"

#include <QFile>

#include <cerrno>
#include <cstring>

#include <sys/stat.h>

namespace labelscope {

namespace {

/// Length of the valid UTF-8 sequence starting at s[i] (1 to 4), or 0 when it is not one
/// (overlong forms, surrogates and code points above U+10FFFF are invalid, as in QString).
int utf8SequenceLength(const QByteArray &s, qsizetype i)
{
    const auto at = [&](qsizetype k) { return uchar(s[k]); };
    const uchar c = at(i);
    if (c < 0x80)
        return 1;
    int len = 0;
    quint32 cp = 0;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + len > s.size())
        return 0;
    for (int k = 1; k < len; ++k) {
        if ((at(i + k) & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (at(i + k) & 0x3F);
    }
    static const quint32 minimum[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < minimum[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

} // namespace

QString notRegularFileReason(const QString &path)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0) {
        const int e = errno;
        if (e == ENOENT)
            return QStringLiteral("no such file");
        if (e == ELOOP)
            return QStringLiteral("a symbolic link loop");
        return QStringLiteral("cannot read: %1").arg(QString::fromLocal8Bit(std::strerror(e)));
    }
    if (S_ISREG(st.st_mode))
        return QString();
    if (S_ISDIR(st.st_mode))
        return QStringLiteral("a folder, not a file");
    if (S_ISFIFO(st.st_mode))
        return QStringLiteral("a FIFO (named pipe), not a regular file");
    if (S_ISSOCK(st.st_mode))
        return QStringLiteral("a socket, not a regular file");
    if (S_ISCHR(st.st_mode))
        return QStringLiteral("a character device, not a regular file");
    if (S_ISBLK(st.st_mode))
        return QStringLiteral("a block device, not a regular file");
    return QStringLiteral("not a regular file");
}

Result<> checkRegularFile(const QString &path)
{
    const QString reason = notRegularFileReason(path);
    if (reason.isEmpty())
        return {};
    return Result<>::failure(QStringLiteral("%1: %2").arg(path, reason));
}

bool isValidUtf8(const QByteArray &bytes)
{
    for (qsizetype i = 0; i < bytes.size();) {
        const int len = utf8SequenceLength(bytes, i);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

QString escapedBytes(const QByteArray &bytes)
{
    QString out;
    for (qsizetype i = 0; i < bytes.size();) {
        const uchar c = uchar(bytes[i]);
        const int len = utf8SequenceLength(bytes, i);
        if (c == '\\') {
            out += QStringLiteral("\\\\");
        } else if (len == 0 || c < 0x20 || c == 0x7F) {
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
            i += 1;
            continue;
        } else {
            out += QString::fromUtf8(bytes.constData() + i, len);
        }
        i += len == 0 ? 1 : len;
    }
    return out;
}

} // namespace labelscope
