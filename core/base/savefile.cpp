#include "savefile.h"

#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace labelscope {

AtomicFileWriter::AtomicFileWriter(const QString &path) : m_path(path) {}

AtomicFileWriter::~AtomicFileWriter()
{
    if (m_file)
        m_file->cancelWriting(); // the temporary is removed; the target is untouched
}

Result<> AtomicFileWriter::failure(const QString &cause)
{
    if (m_error.isEmpty())
        m_error = QStringLiteral("%1: cannot write: %2").arg(m_path, cause);
    if (m_file) {
        m_file->cancelWriting();
        m_file.reset();
    }
    return Result<>::failure(m_error);
}

Result<> AtomicFileWriter::open()
{
    if (m_path.isEmpty())
        return failure(QStringLiteral("no file name given"));
    const QFileInfo info(m_path);
    if (info.exists() && info.isDir())
        return failure(QStringLiteral("it is a directory"));
    if (info.exists() && !info.isFile())
        return failure(QStringLiteral("it is not a regular file (a FIFO, socket or device)"));
    m_file = std::make_unique<QSaveFile>(m_path);
    // Unbuffered: a failed write (disk full, quota, file size limit) surfaces at write(), not at
    // a flush hidden inside commit().
    if (!m_file->open(QIODevice::WriteOnly | QIODevice::Unbuffered))
        return failure(m_file->errorString());
    return {};
}

void AtomicFileWriter::write(const char *data, qint64 size)
{
    if (!m_error.isEmpty() || !m_file)
        return;
    qint64 done = 0;
    while (done < size) {
        errno = 0;
        const qint64 n = m_file->write(data + done, size - done);
        if (n <= 0) {
            const QString cause = errno != 0 ? QString::fromLocal8Bit(std::strerror(errno)) : m_file->errorString();
            (void)failure(cause);
            return;
        }
        done += n;
    }
}

Result<> AtomicFileWriter::commit()
{
    if (!m_error.isEmpty())
        return Result<>::failure(m_error);
    if (!m_file)
        return failure(QStringLiteral("the file was not opened"));
    if (!m_file->flush() || m_file->error() != QFileDevice::NoError)
        return failure(m_file->errorString());
    if (!m_file->commit()) {
        const QString cause = m_file->errorString();
        m_file.reset();
        return failure(cause);
    }
    m_file.reset();
    return {};
}

Result<> writeFileAtomically(const QString &path, const QByteArray &bytes)
{
    AtomicFileWriter writer(path);
    if (Result<> opened = writer.open(); !opened)
        return opened;
    writer.write(bytes);
    return writer.commit();
}

Result<> makeFolder(const QString &path)
{
    std::error_code ec;
    const std::filesystem::path folder(QFile::encodeName(path).toStdString());
    std::filesystem::create_directories(folder, ec);
    if (!ec && !std::filesystem::is_directory(folder, ec) && !ec)
        ec = std::make_error_code(std::errc::not_a_directory);
    if (ec)
        return Result<>::failure(QStringLiteral("%1: cannot create the folder: %2").arg(path, QString::fromLocal8Bit(ec.message().c_str())));
    return {};
}

} // namespace labelscope
