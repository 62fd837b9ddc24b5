#include "exporter.h"

#include "reviewsession.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include "base/savefile.h"

#include <QBuffer>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QSet>
#include <QTemporaryDir>

#include <memory>

namespace labelscope::ui {

QString csvField(const QString &field)
{
    const bool quote = field.contains(QLatin1Char(',')) || field.contains(QLatin1Char('"'))
        || field.contains(QLatin1Char('\n')) || field.contains(QLatin1Char('\r'))
        || (!field.isEmpty() && (field.front().isSpace() || field.back().isSpace()));
    if (!quote)
        return field;
    QString out = field;
    out.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + out + QLatin1Char('"');
}

QString safeFolderName(const QString &name)
{
    QString out;
    out.reserve(name.size());
    for (const QChar c : name) {
        if (c == QLatin1Char('/') || c == QLatin1Char('\\') || c == QLatin1Char(':')
            || c == QLatin1Char('*') || c == QLatin1Char('?') || c == QLatin1Char('"')
            || c == QLatin1Char('<') || c == QLatin1Char('>') || c == QLatin1Char('|')
            || c.unicode() < 0x20)
            out += QLatin1Char('_');
        else
            out += c;
    }
    out = out.trimmed();
    if (out.isEmpty() || out == QLatin1String(".") || out == QLatin1String(".."))
        out = QStringLiteral("_") + out;
    return out;
}

namespace {
void setTotal(ExportStatus *status, qint64 total)
{
    if (status) {
        status->total = total;
        status->done = 0;
    }
}
bool cancelled(const ExportStatus *status) { return status && status->cancel.load(); }
void step(ExportStatus *status)
{
    if (status)
        status->done.fetch_add(1);
}

/// Decodes ROW's sample and writes it as PNG to TARGET. Error names the sample's source or the
/// target.
Result<> writeSamplePng(const SampleRow &row, const QString &target)
{
    QString err;
    const QImage img = ThumbnailLoader::loadImage(row.sample, &err);
    if (img.isNull())
        return Result<>::failure(QStringLiteral("%1 (sample %2): %3").arg(samplePath(row.sample)).arg(row.id).arg(err));
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    if (!img.save(&buffer, "PNG"))
        return Result<>::failure(QStringLiteral("%1: cannot encode the PNG (sample %2)").arg(target).arg(row.id));
    // A plain checked write, not savefile.h's atomic one: its fsync per file made 70,000 small
    // PNGs take minutes (RESULTS.md, session 11). A failed write removes its partial file; the
    // CSV's images appear all at once anyway (their folder is renamed into place).
    QFile out(target);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return Result<>::failure(QStringLiteral("%1: cannot write: %2").arg(target, out.errorString()));
    if (out.write(png) != png.size() || !out.flush()) {
        const QString cause = out.errorString();
        out.close();
        out.remove();
        return Result<>::failure(QStringLiteral("%1: cannot write: %2").arg(target, cause));
    }
    out.close();
    if (out.error() != QFileDevice::NoError) {
        const QString cause = out.errorString();
        out.remove();
        return Result<>::failure(QStringLiteral("%1: cannot write: %2").arg(target, cause));
    }
    return {};
}

/// Whether FOLDER holds nothing but what an earlier CSV export wrote there (train/ and test/
/// folders of PNG files), so that replacing it loses nothing else.
bool looksLikeEarlierImages(const QString &folder)
{
    const QFileInfo top(folder);
    if (!top.isDir() || top.isSymLink())
        return false;
    QDirIterator it(folder, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                    QDirIterator::Subdirectories);
    const QDir base(folder);
    while (it.hasNext()) {
        it.next();
        const QFileInfo info = it.fileInfo();
        const QStringList parts = base.relativeFilePath(info.filePath()).split(QLatin1Char('/'));
        if (parts.isEmpty() || (parts[0] != QLatin1String("train") && parts[0] != QLatin1String("test")))
            return false;
        if (info.isSymLink())
            return false;
        if (parts.size() == 1 ? !info.isDir()
                              : (parts.size() != 2 || !info.isFile() || !parts[1].endsWith(QLatin1String(".png"))))
            return false;
    }
    return true;
}
} // namespace

bool isContainerSample(const Sample &sample)
{
    return sample.source == QLatin1String("idx") || sample.offset >= 0;
}

qint64 containerSampleCount(const ExportSnapshot &snapshot)
{
    qint64 n = 0;
    for (const SampleRow &r : snapshot.rows)
        if (isContainerSample(r.sample))
            ++n;
    return n;
}

QString csvImagesFolder(const QString &csvFile)
{
    const QFileInfo info(csvFile);
    return info.absoluteDir().filePath(info.completeBaseName() + QStringLiteral("_images"));
}

QString exportSplit(const SampleRow &row)
{
    return ReviewSession::isTestSample(row) ? QStringLiteral("test") : QStringLiteral("train");
}

ExportResult exportCsv(const ExportSnapshot &snapshot, const QString &file, ExportStatus *status,
                       const CsvExportOptions &options)
{
    ExportResult result;
    setTotal(status, qint64(snapshot.rows.size()));
    // Checked writes: a full disk or a failed rename is an error shown to the user; the old file
    // stays and no temporary is left (a cancelled or failed writer discards it).
    AtomicFileWriter out(file);
    if (Result<> opened = out.open(); !opened) {
        result.error = opened.error();
        return result;
    }
    const bool images = options.writeImages && containerSampleCount(snapshot) > 0;
    const QString imagesFolder = csvImagesFolder(file);
    const QString imagesName = QFileInfo(imagesFolder).fileName();
    // Image files go to a temporary folder beside the CSV (same file system: renamed into place
    // at the end); it is removed with everything in it on any early return.
    std::unique_ptr<QTemporaryDir> staging;
    if (images) {
        if (QFileInfo::exists(imagesFolder) && !looksLikeEarlierImages(imagesFolder)) {
            result.error = QStringLiteral("%1: exists and is not an earlier export's image folder; "
                                          "choose another CSV name or move that folder")
                               .arg(imagesFolder);
            return result;
        }
        staging = std::make_unique<QTemporaryDir>(imagesFolder + QStringLiteral(".partial-XXXXXX"));
        if (!staging->isValid()) {
            result.error = QStringLiteral("%1: cannot create the folder: %2").arg(staging->path(), staging->errorString());
            return result;
        }
        for (const char *split : {"train", "test"})
            if (Result<> made = makeFolder(QDir(staging->path()).filePath(QLatin1String(split))); !made) {
                result.error = made.error();
                return result;
            }
    }
    QByteArray buffer("id,path,label,category,relabelled,excluded,split\n");
    for (std::size_t i = 0; i < snapshot.rows.size(); ++i) {
        if (cancelled(status)) {
            result.cancelled = true;
            result.error = QStringLiteral("cancelled");
            return result;
        }
        const SampleRow &r = snapshot.rows[i];
        const Category cat = i < snapshot.categories.size() ? snapshot.categories[i] : Category::Unknown;
        const QString label = r.label >= 0 ? className(snapshot.classes, r.label) : QString();
        const QString split = exportSplit(r);
        QString path = samplePath(r.sample);
        if (images && isContainerSample(r.sample)) {
            const QString name = QStringLiteral("%1/%2.png").arg(split).arg(r.id);
            if (Result<> written = writeSamplePng(r, QDir(staging->path()).filePath(name)); !written) {
                result.error = written.error();
                return result;
            }
            path = imagesName + QLatin1Char('/') + name;
            ++result.images;
        }
        buffer += (QString::number(r.id) + QLatin1Char(',') + csvField(path) + QLatin1Char(',') + csvField(label)
                   + QLatin1Char(',') + categoryName(cat) + QLatin1Char(',')
                   + QLatin1Char(r.label != r.givenLabel ? '1' : '0') + QLatin1Char(',')
                   + QLatin1Char(r.excluded ? '1' : '0') + QLatin1Char(',') + split + QLatin1Char('\n'))
                      .toUtf8();
        if (buffer.size() >= (1 << 16)) {
            out.write(buffer);
            buffer.clear();
        }
        ++result.written;
        step(status);
    }
    out.write(buffer);
    if (!images) {
        if (Result<> committed = out.commit(); !committed) {
            result.error = committed.error();
            return result;
        }
        result.ok = true;
        return result;
    }
    // Swap the image folders, then commit the CSV; undo the swap when the commit fails.
    QDir parent = QFileInfo(imagesFolder).absoluteDir();
    QString backup;
    if (QFileInfo::exists(imagesFolder)) {
        QTemporaryDir aside(imagesFolder + QStringLiteral(".old-XXXXXX")); // a free name; renamed over below
        aside.setAutoRemove(false);
        backup = aside.path();
        aside.remove();
        if (!parent.rename(imagesName, QFileInfo(backup).fileName())) {
            result.error = QStringLiteral("%1: cannot move the earlier images aside").arg(imagesFolder);
            return result;
        }
    }
    auto restore = [&] {
        if (!backup.isEmpty())
            parent.rename(QFileInfo(backup).fileName(), imagesName);
    };
    if (!parent.rename(QFileInfo(staging->path()).fileName(), imagesName)) {
        restore();
        result.error = QStringLiteral("%1: cannot move the new images into place").arg(imagesFolder);
        return result;
    }
    staging->setAutoRemove(false);
    if (Result<> committed = out.commit(); !committed) {
        QDir(imagesFolder).removeRecursively();
        restore();
        result.error = committed.error();
        return result;
    }
    if (!backup.isEmpty())
        QDir(backup).removeRecursively();
    result.ok = true;
    return result;
}

ExportResult exportImageFolder(const ExportSnapshot &snapshot, const QString &root, ExportStatus *status)
{
    ExportResult result;
    if (Result<> made = makeFolder(root); !made) {
        result.error = made.error();
        return result;
    }
    QDir dir(root);
    // One folder per class; distinct names even when two names clean up to the same string.
    QStringList folders;
    QSet<QString> used;
    for (const QString &name : snapshot.classes) {
        QString f = safeFolderName(name);
        const QString base = f;
        for (int n = 2; used.contains(f.toLower()); ++n)
            f = QStringLiteral("%1_%2").arg(base).arg(n);
        used.insert(f.toLower());
        folders << f;
    }
    {
        QString list;
        for (int k = 0; k < snapshot.classes.size(); ++k)
            list += folders.at(k) + QLatin1Char('\t') + snapshot.classes.at(k) + QLatin1Char('\n');
        if (Result<> written = writeFileAtomically(dir.filePath(QStringLiteral("classes.txt")), list.toUtf8());
            !written) {
            result.error = written.error();
            return result;
        }
    }
    auto kept = [&](const SampleRow &r) { return !r.excluded && r.label >= 0 && r.label < snapshot.classes.size(); };
    qint64 total = 0;
    for (const SampleRow &r : snapshot.rows)
        if (kept(r))
            ++total;
    setTotal(status, total);
    QSet<QString> made;
    for (const SampleRow &r : snapshot.rows) {
        if (!kept(r))
            continue;
        if (cancelled(status)) {
            result.cancelled = true;
            result.error = QStringLiteral("cancelled");
            return result;
        }
        const QString folder = exportSplit(r) + QLatin1Char('/') + folders.at(r.label);
        if (!made.contains(folder)) {
            if (Result<> ok = makeFolder(dir.filePath(folder)); !ok) {
                result.error = ok.error();
                return result;
            }
            made.insert(folder);
        }
        const QString target = dir.filePath(QStringLiteral("%1/%2.png").arg(folder).arg(r.id));
        if (Result<> written = writeSamplePng(r, target); !written) {
            ++result.failed;
            if (result.error.isEmpty())
                result.error = written.error();
        } else {
            ++result.written;
        }
        step(status);
    }
    result.ok = true; // individual failures are counted, not fatal
    return result;
}

} // namespace labelscope::ui
