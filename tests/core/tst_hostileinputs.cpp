// Hostile inputs against every reader (issue 14): sizes that claim more than the file holds
// (plain and gzip), shapes and class counts that would size huge allocations, FIFOs, sockets
// and devices in place of files, names that are not UTF-8, symbolic link loops, classes whose
// only images are broken, duplicate manifest rows, and NaN / infinite / out-of-range numbers in
// an active-learning config. Each input is constructed here; each must give a named error or a
// listed skip, never a crash, a hang or a silent loss.

#include "base/confidentlearning.h"
#include "base/dataset.h"
#include "base/labelfiles.h"
#include "base/npy.h"
#include "base/sizelimits.h"
#include "ml/alconfig.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <zlib.h>

#include <ftw.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

using namespace labelscope;

namespace {

void appendBe32(QByteArray &out, quint32 v)
{
    for (int i = 3; i >= 0; --i)
        out.append(char((v >> (8 * i)) & 0xFF));
}

/// An IDX file of unsigned bytes: magic 0x0000080N, dims, data.
QByteArray idxBytes(const std::vector<quint32> &dims, const QByteArray &data)
{
    QByteArray out;
    appendBe32(out, 0x0800u | quint32(dims.size()));
    for (quint32 d : dims)
        appendBe32(out, d);
    return out + data;
}

/// `raw` compressed by zlib as a gzip file (deflate at level 9: high ratios, as a bomb has).
QByteArray gzipDeflated(const QByteArray &raw)
{
    z_stream zs{};
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    QByteArray out(qsizetype(deflateBound(&zs, uLong(raw.size()))) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(raw.constData()));
    zs.avail_in = uInt(raw.size());
    zs.next_out = reinterpret_cast<Bytef *>(out.data());
    zs.avail_out = uInt(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(qsizetype(zs.total_out));
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? out : QByteArray();
}

/// Pixels that deflate compresses only a little (so that a claim can stay within 1032:1).
QByteArray noisyBytes(qsizetype size)
{
    QByteArray b(size, '\0');
    quint32 s = 12345;
    for (qsizetype i = 0; i < size; ++i) {
        s = s * 1103515245u + 12345u;
        b[i] = char(s >> 24);
    }
    return b;
}

/// A .npy (format 1.0) with the given header dict and data bytes.
QByteArray npy(const QByteArray &dict, const QByteArray &data)
{
    QByteArray header = dict;
    header += QByteArray((64 - (10 + header.size() + 1) % 64) % 64, ' ') + '\n';
    QByteArray out("\x93NUMPY\x01\x00", 8);
    out += char(header.size() & 0xFF);
    out += char(header.size() >> 8);
    return out + header + data;
}

QByteArray png(int value)
{
    std::vector<uchar> buf;
    cv::imencode(".png", cv::Mat(6, 6, CV_8UC1, cv::Scalar(value)), buf);
    return QByteArray(reinterpret_cast<const char *>(buf.data()), qsizetype(buf.size()));
}

/// mkdir -p on bytes (QDir would turn a name that is not UTF-8 into U+FFFD).
bool makeParents(const QByteArray &path)
{
    for (qsizetype slash = path.indexOf('/', 1); slash > 0; slash = path.indexOf('/', slash + 1)) {
        const QByteArray dir = path.left(slash);
        if (::mkdir(dir.constData(), 0700) != 0 && errno != EEXIST)
            return false;
    }
    return true;
}

bool writeBytes(const QByteArray &path, const QByteArray &bytes)
{
    if (!makeParents(path))
        return false;
    // Written through POSIX so that a name that is not UTF-8 stays as it is.
    FILE *out = std::fopen(path.constData(), "wb");
    if (!out)
        return false;
    const bool ok = std::fwrite(bytes.constData(), 1, size_t(bytes.size()), out) == size_t(bytes.size());
    return std::fclose(out) == 0 && ok;
}

/// Makes a special file or link at `path`: "fifo", "socket", "device" (a link to /dev/null),
/// "folder", "loop" (a link to itself), "broken" (a link to nothing), "up" (a link to "..").
bool makeSpecial(const QByteArray &path, const QString &kind)
{
    if (!makeParents(path))
        return false;
    if (kind == QLatin1String("fifo"))
        return ::mkfifo(path.constData(), 0600) == 0;
    if (kind == QLatin1String("device"))
        return ::symlink("/dev/null", path.constData()) == 0;
    if (kind == QLatin1String("folder"))
        return QDir().mkpath(QFile::decodeName(path));
    if (kind == QLatin1String("loop"))
        return ::symlink(QFileInfo(QFile::decodeName(path)).fileName().toUtf8().constData(), path.constData()) == 0;
    if (kind == QLatin1String("broken"))
        return ::symlink("nowhere.png", path.constData()) == 0;
    if (kind == QLatin1String("up"))
        return ::symlink("..", path.constData()) == 0;
    if (kind == QLatin1String("socket")) {
        sockaddr_un addr{};
        if (size_t(path.size()) >= sizeof(addr.sun_path))
            return false;
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.constData(), size_t(path.size()));
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0;
        if (fd >= 0)
            ::close(fd); // the socket file stays
        return ok;
    }
    return false;
}

bool containsAll(const QString &text, const QStringList &parts)
{
    for (const QString &p : parts)
        if (!text.contains(p))
            return false;
    return true;
}

QString describe(const Dataset &ds)
{
    QStringList lines;
    for (const SkippedItem &s : ds.skipped)
        lines << QStringLiteral("%1 [%2] %3").arg(s.file, s.location, s.reason);
    return QStringLiteral("classes %1; skipped:\n  %2").arg(ds.classes.join(QLatin1Char(',')), lines.join(QStringLiteral("\n  ")));
}

} // namespace

class TestHostileInputs final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;

    /// A fresh folder for one data row.
    QByteArray rowDir() const
    {
        return QFile::encodeName(m_tmp.filePath(QString::fromLatin1(QTest::currentTestFunction()) + QLatin1Char('/')
                                                + QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_'))));
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    // QTemporaryDir cannot remove names that are not UTF-8 (QDir cannot represent them).
    void cleanupTestCase()
    {
        const auto remove = [](const char *path, const struct stat *, int, FTW *) { return ::remove(path); };
        QCOMPARE(::nftw(QFile::encodeName(m_tmp.path()).constData(), remove, 16, FTW_DEPTH | FTW_PHYS), 0);
    }

    // Every reader refuses a FIFO, a socket, a device or a folder before opening it (a FIFO
    // would block it forever), naming the file and what it is.
    void specialFilesRefused_data()
    {
        QTest::addColumn<QString>("reader");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        const QStringList readers = {"csv manifest", "classes.txt", "labels csv", "labels npy", "pred_probs csv",
                                     "npy", "idx images", "idx labels", "image", "yaml config"};
        for (const QString &reader : readers)
            for (const auto &[kind, word] : {std::pair{"fifo", "FIFO"}, std::pair{"device", "character device"}})
                QTest::newRow(qPrintable(reader + QLatin1Char(' ') + QLatin1String(kind))) << reader << kind << word;
        QTest::newRow("csv manifest socket") << "csv manifest" << "socket" << "socket";
        QTest::newRow("npy socket") << "npy" << "socket" << "socket";
        QTest::newRow("idx images folder") << "idx images" << "folder" << "folder";
        QTest::newRow("yaml config folder") << "yaml config" << "folder" << "folder";
        QTest::newRow("labels csv loop") << "labels csv" << "loop" << "symbolic link loop";
    }
    void specialFilesRefused()
    {
        QFETCH(QString, reader);
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        const QByteArray dir = rowDir();
        QVERIFY(QDir().mkpath(QFile::decodeName(dir)));
        const QByteArray special = dir + (reader.endsWith(QLatin1String("npy")) ? "/input.npy" : "/input");
        QVERIFY2(makeSpecial(special, kind), special.constData());
        const QString path = QFile::decodeName(special);
        QString error;
        if (reader == QLatin1String("csv manifest")) {
            error = readCsvManifest(path).error;
        } else if (reader == QLatin1String("classes.txt")) {
            QVERIFY(::rename(special.constData(), (dir + "/classes.txt").constData()) == 0);
            QVERIFY(writeBytes(dir + "/a.png", png(1)));
            QVERIFY(writeBytes(dir + "/m.csv", "a.png,cat\n"));
            error = readCsvManifest(QFile::decodeName(dir + "/m.csv")).error;
            QVERIFY2(error.contains(QLatin1String("classes.txt")), qPrintable(error));
        } else if (reader == QLatin1String("labels csv") || reader == QLatin1String("labels npy")) {
            std::vector<int> labels;
            QVERIFY(!readLabelsFile(path, &labels, &error));
        } else if (reader == QLatin1String("pred_probs csv")) {
            std::vector<double> probs;
            int n = 0, k = 0;
            QVERIFY(!readPredProbsFile(path, &probs, &n, &k, &error));
        } else if (reader == QLatin1String("npy")) {
            NpyArray a;
            QVERIFY(!readNpy(path, &a, &error));
        } else if (reader == QLatin1String("idx images")) {
            error = readIdx(path, QString(), QStringLiteral("train")).error;
        } else if (reader == QLatin1String("idx labels")) {
            QVERIFY(writeBytes(dir + "/images", idxBytes({2, 2, 2}, QByteArray(8, '\1'))));
            error = readIdx(QFile::decodeName(dir + "/images"), path, QStringLiteral("train")).error;
        } else if (reader == QLatin1String("image")) {
            DecodedImage img;
            QVERIFY(!decodeImageFile(path, 40000000, &img, &error));
            QVERIFY2(error.contains(expected), qPrintable(error)); // the reason only: callers add the file
            return;
        } else if (reader == QLatin1String("yaml config")) {
            AlConfig c;
            QVERIFY(!loadAlConfig(path, &c, &error));
        }
        QVERIFY2(!error.isEmpty(), "accepted a special file");
        QVERIFY2(error.contains(QLatin1String(dir)) && error.contains(expected), qPrintable(error));
    }

    // Sizes declared by an IDX header are checked against the bytes present before they size an
    // allocation; for gzip against deflate's 1032:1 bound, then while decompressing.
    void idxDeclaredSizes_data()
    {
        QTest::addColumn<QByteArray>("images");
        QTest::addColumn<QByteArray>("labels"); // empty: none
        QTest::addColumn<QStringList>("expected");
        const QByteArray bomb = gzipDeflated(idxBytes({27000, 6000, 6000}, QByteArray(4096, '\0')));
        QTest::newRow("gzip of 4 KB claims 27,000 images of 6000x6000")
            << bomb << QByteArray() << QStringList{"images", "27000 images of 6000x6000", "byte 4", "at most"};
        QTest::newRow("gzip header alone claims 27,000 images") << gzipDeflated(idxBytes({27000, 6000, 6000}, {}))
                                                                << QByteArray() << QStringList{"at most", "byte 4"};
        QTest::newRow("plain header claims 27,000 images")
            << idxBytes({27000, 6000, 6000}, QByteArray(48, '\0')) << QByteArray()
            << QStringList{"truncated", "byte 4", "file ends at byte 64"};
        const QByteArray pixels = noisyBytes(40 * 32 * 32);
        QTest::newRow("gzip claims one image more than it holds")
            << gzipDeflated(idxBytes({41, 32, 32}, pixels)) << QByteArray()
            << QStringList{"truncated", "of the decompressed data", "image pixels"};
        QTest::newRow("gzip labels claim more than they hold")
            << idxBytes({4, 2, 2}, QByteArray(16, '\1')) << gzipDeflated(idxBytes({4}, QByteArray(2, '\0')))
            << QStringList{"labels", "truncated", "byte 10 of the decompressed data"};
        QTest::newRow("gzip labels, header only, claim 2^32-1")
            << idxBytes({4, 2, 2}, QByteArray(16, '\1')) << gzipDeflated(idxBytes({0xFFFFFFFFu}, {}))
            << QStringList{"4294967295 labels", "4 images"};
    }
    void idxDeclaredSizes()
    {
        QFETCH(QByteArray, images);
        QFETCH(QByteArray, labels);
        QFETCH(QStringList, expected);
        QVERIFY(!images.isEmpty());
        const QByteArray dir = rowDir();
        QVERIFY(writeBytes(dir + "/images-idx3-ubyte.gz", images));
        if (!labels.isEmpty())
            QVERIFY(writeBytes(dir + "/labels-idx1-ubyte.gz", labels));
        const LoadResult r = readIdx(QFile::decodeName(dir + "/images-idx3-ubyte.gz"),
                                     labels.isEmpty() ? QString() : QFile::decodeName(dir + "/labels-idx1-ubyte.gz"),
                                     QStringLiteral("train"));
        QVERIFY2(!r.ok(), "accepted");
        QVERIFY(r.dataset.pixels.empty() && r.dataset.samples.empty());
        QVERIFY2(containsAll(r.error, expected) && r.error.startsWith(QFile::decodeName(dir)), qPrintable(r.error));
    }

    // An IDX folder whose images or labels file is a FIFO, a folder or a link loop is refused
    // with that file named (it once dropped the split without a word: "only 0 labelled training
    // samples", or "labels" silently missing).
    void idxFolderSpecialFiles_data()
    {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("train labels FIFO") << QByteArray("train-labels-idx1-ubyte") << "fifo" << "FIFO";
        QTest::newRow("train images FIFO") << QByteArray("train-images-idx3-ubyte") << "fifo" << "FIFO";
        QTest::newRow("test labels folder") << QByteArray("t10k-labels-idx1-ubyte") << "folder" << "folder";
        QTest::newRow("train images link loop") << QByteArray("train-images-idx3-ubyte") << "loop" << "symbolic link loop";
        QTest::newRow("gzipped train labels FIFO") << QByteArray("train-labels-idx1-ubyte.gz") << "fifo" << "FIFO";
    }
    void idxFolderSpecialFiles()
    {
        QFETCH(QByteArray, name);
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        const QByteArray dir = rowDir();
        for (const char *prefix : {"train", "t10k"}) {
            QVERIFY(writeBytes(dir + '/' + prefix + "-images-idx3-ubyte", idxBytes({12, 2, 2}, noisyBytes(48))));
            QVERIFY(writeBytes(dir + '/' + prefix + "-labels-idx1-ubyte", idxBytes({12}, QByteArray(12, '\1'))));
        }
        const QByteArray special = dir + '/' + name;
        ::unlink(QByteArray(special).replace(".gz", "").constData());
        QVERIFY2(makeSpecial(special, kind), special.constData());
        const LoadResult r = loadDataset(QFile::decodeName(dir));
        QVERIFY2(!r.ok(), "accepted");
        QVERIFY2(r.error.contains(QFile::decodeName(special)) && r.error.contains(expected), qPrintable(r.error));
    }

    // Shapes and class counts read from .npy / CSV are capped before they size anything.
    void shapesAndClassCaps_data()
    {
        QTest::addColumn<QString>("reader"); // npy | labels | pred_probs | find_label_issues
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("npy shape (0, 2^62)") << "npy" << "x.npy"
            << npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4611686018427387904), }", {})
            << QStringList{"bad shape", "byte"};
        QTest::newRow("npy negative dimension") << "npy" << "x.npy"
            << npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, -2), }", {}) << QStringList{"bad shape"};
        QTest::newRow("npy claims 8 GB, holds 8 bytes") << "npy" << "x.npy"
            << npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000), }", QByteArray(8, '\0'))
            << QStringList{"truncated data", "8000000000"};
        QByteArray v2("\x93NUMPY\x02\x00\xF0\xFF\xFF\xFF", 12);
        QTest::newRow("npy 2.0 header length 4 GB") << "npy" << "x.npy" << (v2 + "{}") << QStringList{"truncated header"};
        QTest::newRow("pred_probs [2, 60000] (480 KB)") << "pred_probs" << "p.npy"
            << npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 60000), }", QByteArray(480000, '\0'))
            << QStringList{"K = 60000", "cap of 4096"};
        QTest::newRow("pred_probs [2, 3]: more classes than samples") << "pred_probs" << "p.npy"
            << npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", QByteArray(24, '\0'))
            << QStringList{"K = 3", "N = 2", "transposed"};
        QTest::newRow("pred_probs csv with 5000 columns") << "pred_probs" << "p.csv"
            << (QByteArray("0.5,").repeated(4999) + "0.5\n") << QStringList{"p.csv:1", "5000 fields", "cap of 4096"};
        QTest::newRow("labels csv with label 4096") << "labels" << "l.csv" << QByteArray("0\n4096\n")
                                                  << QStringList{"row 2", "4096", "at most 4096 classes"};
        const qint64 big[2] = {0, 5000000};
        QTest::newRow("labels npy with label 5,000,000") << "labels" << "l.npy"
            << npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", QByteArray(reinterpret_cast<const char *>(big), 16))
            << QStringList{"index 1", "out of range"};
        QTest::newRow("find_label_issues with K = 60000") << "find_label_issues" << QString() << QByteArray()
                                                          << QStringList{"60000 classes", "cap of 4096"};
    }
    void shapesAndClassCaps()
    {
        QFETCH(QString, reader);
        QFETCH(QString, file);
        QFETCH(QByteArray, bytes);
        QFETCH(QStringList, expected);
        QString error;
        const QByteArray dir = rowDir();
        const QString path = QFile::decodeName(dir) + QLatin1Char('/') + file;
        if (!file.isEmpty())
            QVERIFY(writeBytes(QFile::encodeName(path), bytes));
        if (reader == QLatin1String("npy")) {
            NpyArray a;
            QVERIFY(!readNpy(path, &a, &error));
        } else if (reader == QLatin1String("pred_probs")) {
            std::vector<double> probs;
            int n = 0, k = 0;
            QVERIFY(!readPredProbsFile(path, &probs, &n, &k, &error));
        } else if (reader == QLatin1String("labels")) {
            std::vector<int> labels;
            QVERIFY(!readLabelsFile(path, &labels, &error));
        } else {
            // Refused before anything K×K is allocated (the input vectors are not even read).
            error = findLabelIssues({0, 1}, std::vector<double>(4, 0.5), 60000).error;
        }
        QVERIFY2(containsAll(error, expected), qPrintable(error));
        if (!file.isEmpty())
            QVERIFY2(error.contains(path), qPrintable(error));
    }

    // Image headers that claim more pixels than the file can hold (within the pixel cap, so
    // that only the bytes present can refuse them) fail before OpenCV allocates the image.
    void imageHeaders_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("reason");
        QByteArray pngBomb = png(7);
        pngBomb[16] = 0, pngBomb[17] = 0, pngBomb[18] = char(0x17), pngBomb[19] = char(0x70); // width 6000
        pngBomb[20] = 0, pngBomb[21] = 0, pngBomb[22] = char(0x17), pngBomb[23] = char(0x70); // height 6000
        QTest::newRow("PNG of 70 bytes claims 6000x6000") << pngBomb << "truncated or corrupt PNG: 6000x6000";
        std::vector<uchar> buf;
        cv::imencode(".bmp", cv::Mat(2, 2, CV_8UC3, cv::Scalar(1, 2, 3)), buf);
        QByteArray bmpBomb(reinterpret_cast<const char *>(buf.data()), qsizetype(buf.size()));
        bmpBomb[18] = char(0x70), bmpBomb[19] = char(0x17), bmpBomb[22] = char(0x70), bmpBomb[23] = char(0x17);
        QTest::newRow("BMP of 70 bytes claims 6000x6000") << bmpBomb << "truncated BMP";
    }
    void imageHeaders()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, reason);
        const QByteArray file = rowDir() + "/image";
        QVERIFY(writeBytes(file, bytes));
        DecodedImage img;
        QString error;
        QVERIFY2(!decodeImageFile(QFile::decodeName(file), 40000000, &img, &error), "decoded");
        QVERIFY2(error.contains(reason), qPrintable(error));
    }

    // Entries of an ImageFolder that cannot be read are listed, not dropped; the two good
    // images (cat/a.png, dog/b.png) always load.
    void imageFolderEntries_data()
    {
        QTest::addColumn<QByteArray>("entry");    // relative to the root
        QTest::addColumn<QString>("kind");        // makeSpecial() kind, or "image" / "garbage"
        QTest::addColumn<QString>("skippedName"); // as listed (escaped)
        QTest::addColumn<QString>("reason");
        QTest::newRow("FIFO named as an image") << QByteArray("cat/pipe.png") << "fifo" << "pipe.png" << "FIFO";
        QTest::newRow("FIFO with another name") << QByteArray("cat/pipe") << "fifo" << "pipe" << "FIFO";
        QTest::newRow("socket") << QByteArray("dog/sock.png") << "socket" << "sock.png" << "socket";
        QTest::newRow("link to a device") << QByteArray("cat/null.png") << "device" << "null.png" << "character device";
        QTest::newRow("FIFO in the root") << QByteArray("pipe.jpg") << "fifo" << "pipe.jpg" << "FIFO";
        QTest::newRow("symbolic link loop") << QByteArray("cat/loop.png") << "loop" << "loop.png" << "symbolic link loop";
        QTest::newRow("class folder is a link loop") << QByteArray("bird") << "loop" << "bird" << "symbolic link loop";
        QTest::newRow("link up to the parent") << QByteArray("dog/up") << "up" << "up" << "not followed";
        QTest::newRow("broken link") << QByteArray("cat/gone.png") << "broken" << "gone.png" << "broken symbolic link";
        QTest::newRow("Latin-1 file name") << QByteArray("cat/caf\xe9.png") << "image" << "caf\\xe9.png" << "not valid UTF-8";
        QTest::newRow("Latin-1 class folder") << QByteArray("\xff\xfe/c.png") << "image" << "\\xff\\xfe" << "not valid UTF-8";
        QTest::newRow("only image of a class corrupt") << QByteArray("fish/bad.png") << "garbage" << "fish"
                                                       << "class \"fish\" not created";
    }
    void imageFolderEntries()
    {
        QFETCH(QByteArray, entry);
        QFETCH(QString, kind);
        QFETCH(QString, skippedName);
        QFETCH(QString, reason);
        const QByteArray root = rowDir();
        QVERIFY(writeBytes(root + "/cat/a.png", png(10)));
        QVERIFY(writeBytes(root + "/dog/b.png", png(200)));
        const QByteArray target = root + '/' + entry;
        if (kind == QLatin1String("image"))
            QVERIFY(writeBytes(target, png(99)));
        else if (kind == QLatin1String("garbage"))
            QVERIFY(writeBytes(target, "not a picture"));
        else
            QVERIFY2(makeSpecial(target, kind), target.constData());
        LoadOptions options;
        options.imageSize = 6;
        const LoadResult r = readImageFolder(QFile::decodeName(root), options);
        QVERIFY2(r.ok(), qPrintable(r.error));
        const Dataset &ds = r.dataset;
        QCOMPARE(ds.classes, QStringList({"cat", "dog"}));
        QCOMPARE(ds.samples.size(), std::size_t(2));
        QCOMPARE(int(ds.image(0)[0]), 10);
        QCOMPARE(ds.samples[1].label, 1);
        QCOMPARE(int(ds.image(1)[0]), 200);
        bool found = false;
        for (const SkippedItem &s : ds.skipped)
            found = found || (s.file.endsWith(QLatin1Char('/') + skippedName) && s.reason.contains(reason));
        QVERIFY2(found, qPrintable(describe(ds)));
    }

    // Duplicate rows of a CSV manifest are imported once and listed with the line they repeat;
    // a class whose only images are broken is not created.
    void csvManifestRows_data()
    {
        QTest::addColumn<QByteArray>("csv");
        QTest::addColumn<QStringList>("classes");
        QTest::addColumn<QStringList>("samples"); // "file label" in order
        QTest::addColumn<QStringList>("skipped"); // "line N: words that the reason contains"
        QTest::newRow("same row twice") << QByteArray("a.png,cat\nb.png,dog\na.png,cat\n") << QStringList{"cat", "dog"}
                                        << QStringList{"a.png 0", "b.png 1"} << QStringList{"line 3: duplicate of line 1"};
        QTest::newRow("same image, other label") << QByteArray("a.png,cat\nb.png,dog\n./sub/../a.png,dog\n")
                                                 << QStringList{"cat", "dog"} << QStringList{"a.png 0", "b.png 1"}
                                                 << QStringList{"line 3: duplicate of line 1 \"dog\" \"cat\" kept"};
        QTest::newRow("a conflicting label creates no class") << QByteArray("a.png,cat\nb.png,cat\na.png,bird\n")
                                                              << QStringList{"cat"} << QStringList{"a.png 0", "b.png 0"}
                                                              << QStringList{"line 3: duplicate \"bird\""};
        QTest::newRow("same image, other split") << QByteArray("a.png,cat,train\na.png,cat,test\nb.png,dog\n")
                                                 << QStringList{"cat", "dog"} << QStringList{"a.png 0", "b.png 1"}
                                                 << QStringList{"line 2: duplicate split \"train\" kept"};
        QTest::newRow("only image of a class corrupt") << QByteArray("a.png,cat\nbad.png,fish\nb.png,dog\n")
                                                       << QStringList{"cat", "dog"} << QStringList{"a.png 0", "b.png 1"}
                                                       << QStringList{"line 2: not an image", "line 2: class \"fish\" not created"};
        QTest::newRow("two corrupt images of one class") << QByteArray("bad.png,fish\na.png,cat\nbad2.png,fish\n")
                                                         << QStringList{"cat"} << QStringList{"a.png 0"}
                                                         << QStringList{"line 1: class \"fish\" not created 2 image(s)"};
        QTest::newRow("a line that is not UTF-8") << QByteArray("a.png,cat\n\xe9t\xe9.png,cat\nb.png,dog\n")
                                                  << QStringList{"cat", "dog"} << QStringList{"a.png 0", "b.png 1"}
                                                  << QStringList{"line 2: not valid UTF-8"};
        QTest::newRow("a NUL byte in the path") << QByteArray("a.png,cat\nb.png,dog\na.png\0,cat\n", 31)
                                                << QStringList{"cat", "dog"} << QStringList{"a.png 0", "b.png 1"}
                                                << QStringList{"line 3: NUL byte"};
    }
    void csvManifestRows()
    {
        QFETCH(QByteArray, csv);
        QFETCH(QStringList, classes);
        QFETCH(QStringList, samples);
        QFETCH(QStringList, skipped);
        const QByteArray dir = rowDir();
        QVERIFY(writeBytes(dir + "/a.png", png(10)));
        QVERIFY(writeBytes(dir + "/b.png", png(20)));
        QVERIFY(writeBytes(dir + "/bad.png", "garbage"));
        QVERIFY(writeBytes(dir + "/bad2.png", "garbage"));
        QVERIFY(writeBytes(dir + "/m.csv", csv));
        LoadOptions options;
        options.imageSize = 6;
        const LoadResult r = readCsvManifest(QFile::decodeName(dir + "/m.csv"), options);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.dataset.classes, classes);
        QStringList got;
        for (const Sample &s : r.dataset.samples)
            got << QStringLiteral("%1 %2").arg(QFileInfo(s.path).fileName()).arg(s.label);
        QCOMPARE(got, samples);
        for (const QString &want : skipped) {
            const QString line = want.section(QLatin1Char(':'), 0, 0);
            const QStringList words = want.section(QLatin1Char(':'), 1).trimmed().split(QLatin1Char(' '));
            bool found = false;
            for (const SkippedItem &s : r.dataset.skipped)
                found = found || (s.location == line && containsAll(s.reason, words));
            QVERIFY2(found, qPrintable(want + QStringLiteral(" not in ") + describe(r.dataset)));
        }
    }

    // More classes than kMaxClasses (which size K×K arrays and network heads) is refused.
    void tooManyClasses()
    {
        const QByteArray dir = rowDir() + "classes";
        QByteArray csv;
        for (int c = 0; c <= kMaxClasses; ++c)
            csv += "x" + QByteArray::number(c) + ".png,class" + QByteArray::number(c) + '\n';
        QVERIFY(writeBytes(dir + "/m.csv", csv));
        LoadResult r = readCsvManifest(QFile::decodeName(dir + "/m.csv"));
        QVERIFY2(!r.ok() && containsAll(r.error, {"m.csv", "line 4097", "cap of 4096"}), qPrintable(r.error));
        for (int c = 0; c <= kMaxClasses; ++c)
            QVERIFY(writeBytes(dir + "/folder/c" + QByteArray::number(c) + "/x.png", "x"));
        r = readImageFolder(QFile::decodeName(dir + "/folder"));
        QVERIFY2(!r.ok() && containsAll(r.error, {"folder", "4096"}), qPrintable(r.error));
    }

    // Every numeric key of the active-learning config: finite, in range, named with line:column.
    void configNumbers_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QStringList>("expected");
        const auto opt = [](const char *key, const char *value) {
            return QByteArray("train:\n  optimizer:\n    config:\n      ") + key + ": " + value + '\n';
        };
        QTest::newRow("lr .inf") << opt("lr", ".inf") << QStringList{"bad.yaml:4:11", "train.optimizer.config.lr", "finite"};
        QTest::newRow("lr .nan") << opt("lr", ".nan") << QStringList{"bad.yaml:4:11", "lr", "finite"};
        QTest::newRow("lr -.inf") << opt("lr", "-.inf") << QStringList{"lr", "finite"};
        QTest::newRow("lr 0") << opt("lr", "0") << QStringList{"lr", "(0, 10]"};
        QTest::newRow("lr 11") << opt("lr", "11") << QStringList{"lr", "(0, 10]", "11"};
        QTest::newRow("momentum 1") << opt("momentum", "1.0") << QStringList{"bad.yaml:4:17", "momentum", "[0, 1)"};
        QTest::newRow("momentum -0.1") << opt("momentum", "-0.1") << QStringList{"momentum", "[0, 1)"};
        QTest::newRow("momentum .nan") << opt("momentum", ".NaN") << QStringList{"momentum", "finite"};
        QTest::newRow("weight_decay -1e-4") << opt("weight_decay", "-1e-4") << QStringList{"weight_decay", "[0, 1]"};
        QTest::newRow("weight_decay .inf") << opt("weight_decay", ".Inf") << QStringList{"weight_decay", "finite"};
        const auto key = [](const char *section, const char *k, const char *value) {
            return QByteArray(section) + ":\n  " + k + ": " + value + '\n';
        };
        QTest::newRow("min_steps -1") << key("train", "min_steps", "-1") << QStringList{"bad.yaml:2:14", "train.min_steps", "0 to"};
        QTest::newRow("batch_size 0") << key("train", "batch_size", "0") << QStringList{"batch_size", "1 to 65536"};
        QTest::newRow("epochs 0") << key("train", "epochs", "0") << QStringList{"epochs"};
        QTest::newRow("pseudo_label_max -1") << key("train", "pseudo_label_max", "-1") << QStringList{"pseudo_label_max", "0 to"};
        QTest::newRow("pseudo_label_threshold .nan") << key("train", "pseudo_label_threshold", ".nan")
                                                     << QStringList{"pseudo_label_threshold", "finite"};
        QTest::newRow("ema_decay .inf") << key("train", "ema_decay", ".inf") << QStringList{"ema_decay", "finite"};
        QTest::newRow("mc_samples 0") << key("train", "mc_samples", "0") << QStringList{"mc_samples", "1 to 1000"};
        QTest::newRow("budget -5") << key("active_learner", "budget", "-5") << QStringList{"bad.yaml:2:11", "active_learner.budget"};
        QTest::newRow("iterations 0") << key("active_learner", "iterations", "0") << QStringList{"iterations"};
        QTest::newRow("initial_labelled -1") << key("active_learner", "initial_labelled", "-1") << QStringList{"initial_labelled"};
        QTest::newRow("clusters 0") << key("active_learner", "clusters", "0") << QStringList{"clusters"};
        QTest::newRow("target_accuracy .nan") << key("active_learner", "target_accuracy", ".nan")
                                              << QStringList{"target_accuracy", "finite"};
        QTest::newRow("plateau_rounds -1") << key("active_learner", "plateau_rounds", "-1") << QStringList{"plateau_rounds"};
        QTest::newRow("plateau_delta .inf") << key("active_learner", "plateau_delta", ".inf") << QStringList{"plateau_delta", "finite"};
        QTest::newRow("plateau_delta -0.1") << key("active_learner", "plateau_delta", "-0.1") << QStringList{"plateau_delta", "[0, 1]"};
        QTest::newRow("num_classes 5000") << key("model", "num_classes", "5000") << QStringList{"model.num_classes", "4096"};
        QTest::newRow("num_classes 1") << key("model", "num_classes", "1") << QStringList{"num_classes", "at least 2"};
        QTest::newRow("integer 1e9 as float") << key("train", "epochs", "1e9") << QStringList{"epochs", "an integer"};
    }
    void configNumbers()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QStringList, expected);
        AlConfig c;
        QString error;
        QVERIFY2(!parseAlConfig(yaml, QStringLiteral("bad.yaml"), &c, &error), "accepted");
        QVERIFY2(containsAll(error, expected), qPrintable(error));
    }

    void configBoundsAccepted()
    {
        AlConfig c;
        QString error;
        QVERIFY2(parseAlConfig("train:\n  optimizer:\n    config:\n      lr: 10\n      momentum: 0\n      weight_decay: 0\n"
                               "  min_steps: 0\n  pseudo_label_max: 0\n  ema_decay: 0.999\nactive_learner:\n  budget: 0\n"
                               "  plateau_delta: 0\n  target_accuracy: 1\n",
                               QStringLiteral("ok.yaml"), &c, &error), qPrintable(error));
        QCOMPARE(c.lr, 10.0);
        QCOMPARE(c.momentum, 0.0);
        QCOMPARE(c.emaDecay, 0.999);
    }
};

QTEST_GUILESS_MAIN(TestHostileInputs)
#include "tst_hostileinputs.moc"
