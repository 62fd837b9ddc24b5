#include "exporter.h"

#include "reviewsession.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include "base/savefile.h"

#include <QDir>
#include <QFile>
#include <QSet>

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
} // namespace

ExportResult exportCsv(const ExportSnapshot &snapshot, const QString &file, ExportStatus *status)
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
    QByteArray buffer("path,label,category,relabelled,excluded,split\n");
    for (std::size_t i = 0; i < snapshot.rows.size(); ++i) {
        if (cancelled(status)) {
            result.cancelled = true;
            result.error = QStringLiteral("cancelled");
            return result;
        }
        const SampleRow &r = snapshot.rows[i];
        const Category cat = i < snapshot.categories.size() ? snapshot.categories[i] : Category::Unknown;
        const QString label = r.label >= 0 ? className(snapshot.classes, r.label) : QString();
        buffer += (csvField(samplePath(r.sample)) + QLatin1Char(',') + csvField(label) + QLatin1Char(',')
                   + categoryName(cat) + QLatin1Char(',') + QLatin1Char(r.label != r.givenLabel ? '1' : '0')
                   + QLatin1Char(',') + QLatin1Char(r.excluded ? '1' : '0') + QLatin1Char(',')
                   + (ReviewSession::isTestSample(r) ? QLatin1String("test") : QLatin1String("train"))
                   + QLatin1Char('\n'))
                      .toUtf8();
        if (buffer.size() >= (1 << 16)) {
            out.write(buffer);
            buffer.clear();
        }
        ++result.written;
        step(status);
    }
    out.write(buffer);
    if (Result<> committed = out.commit(); !committed) {
        result.error = committed.error();
        return result;
    }
    result.ok = true;
    return result;
}

ExportResult exportImageFolder(const ExportSnapshot &snapshot, const QString &root, ExportStatus *status)
{
    ExportResult result;
    QDir dir(root);
    if (!dir.mkpath(QStringLiteral("."))) {
        result.error = QStringLiteral("%1: cannot create the folder").arg(root);
        return result;
    }
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
    qint64 total = 0;
    for (const SampleRow &r : snapshot.rows)
        if (!r.excluded && r.label >= 0 && r.label < snapshot.classes.size())
            ++total;
    setTotal(status, total);
    QVector<bool> made(snapshot.classes.size(), false);
    for (const SampleRow &r : snapshot.rows) {
        if (r.excluded || r.label < 0 || r.label >= snapshot.classes.size())
            continue;
        if (cancelled(status)) {
            result.cancelled = true;
            result.error = QStringLiteral("cancelled");
            return result;
        }
        const QString folder = folders.at(r.label);
        if (!made[r.label]) {
            if (!dir.mkpath(folder)) {
                result.error = QStringLiteral("%1: cannot create the folder").arg(dir.filePath(folder));
                return result;
            }
            made[r.label] = true;
        }
        QString err;
        const QImage img = ThumbnailLoader::loadImage(r.sample, &err);
        const QString target = dir.filePath(QStringLiteral("%1/%2.png").arg(folder).arg(r.id));
        if (img.isNull() || !img.save(target, "PNG")) {
            ++result.failed;
            if (result.error.isEmpty())
                result.error = img.isNull() ? QStringLiteral("%1: %2").arg(samplePath(r.sample), err)
                                            : QStringLiteral("%1: cannot write").arg(target);
        } else {
            ++result.written;
        }
        step(status);
    }
    result.ok = true; // individual failures are counted, not fatal
    return result;
}

} // namespace labelscope::ui
