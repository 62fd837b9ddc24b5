// The CSV manifest reader: path,label[,split] rows (RFC 4180 quoting; or columns named by a
// header, as Labelscope's own CSV export writes them), relative paths against
// the manifest's folder, classes from classes.txt beside it or in order of first appearance.
// Rows that cannot be used are skipped and listed with their line; so are duplicate rows: the
// first row of a path is imported, and every later row of the same path is listed as a
// duplicate of it (saying which label and split were kept when they differ), so that an image
// is never imported twice nor under two labels.

#include "imagejobs.h"
#include "sizelimits.h"
#include "regularfile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>

#include <algorithm>

namespace labelscope {

namespace {

struct CsvRecord {
    int line = 0; ///< 1-based line where the record starts
    QStringList fields;
};

/// RFC 4180: comma-separated, fields optionally in double quotes ("" inside is a quote; commas
/// and line breaks inside quotes are data). Returns false when a quote is never closed.
bool parseCsv(const QString &text, std::vector<CsvRecord> *records, int *badLine)
{
    CsvRecord record;
    QString field;
    bool inQuotes = false, fieldQuoted = false;
    int line = 1, quoteLine = 0;
    record.line = 1;
    auto endRecord = [&](int nextLine) {
        record.fields << (fieldQuoted ? field : field.trimmed());
        const bool blank = record.fields.size() == 1 && record.fields.front().isEmpty() && !fieldQuoted;
        if (!blank)
            records->push_back(record);
        record = CsvRecord();
        record.line = nextLine;
        field.clear();
        fieldQuoted = false;
    };
    const int n = int(text.size());
    for (int i = 0; i < n; ++i) {
        const QChar c = text.at(i);
        if (inQuotes) {
            if (c == QLatin1Char('"')) {
                if (i + 1 < n && text.at(i + 1) == QLatin1Char('"')) {
                    field += c;
                    ++i;
                } else {
                    inQuotes = false;
                }
            } else {
                if (c == QLatin1Char('\n'))
                    ++line;
                field += c;
            }
            continue;
        }
        if (c == QLatin1Char('"') && field.trimmed().isEmpty() && !fieldQuoted) {
            inQuotes = fieldQuoted = true;
            quoteLine = line;
            field.clear();
        } else if (c == QLatin1Char(',')) {
            record.fields << (fieldQuoted ? field : field.trimmed());
            field.clear();
            fieldQuoted = false;
        } else if (c == QLatin1Char('\r') || c == QLatin1Char('\n')) {
            if (c == QLatin1Char('\r') && i + 1 < n && text.at(i + 1) == QLatin1Char('\n'))
                ++i;
            ++line;
            endRecord(line);
        } else if (!(fieldQuoted && c.isSpace())) {
            field += c; // text after a closing quote is kept (lenient)
        }
    }
    if (inQuotes) {
        *badLine = quoteLine;
        return false;
    }
    if (!field.isEmpty() || fieldQuoted || !record.fields.isEmpty())
        endRecord(line + 1);
    return true;
}

/// "train" / "test" / "" from a manifest's split column (splitOfName; empty: unassigned); false
/// for anything else.
bool normaliseSplit(const QString &value, QString *split)
{
    if (value.trimmed().isEmpty()) {
        split->clear();
        return true;
    }
    *split = splitOfName(value);
    return !split->isEmpty();
}

} // namespace

LoadResult readCsvManifest(const QString &csvFile, const LoadOptions &options)
{
    LoadResult result;
    Dataset &ds = result.dataset;
    ds.spec = csvFile;
    const QFileInfo csvInfo(csvFile);
    const QString csvPath = csvInfo.absoluteFilePath();
    if (const Result<> regular = checkRegularFile(csvPath); !regular) {
        result.error = regular.error();
        return result;
    }
    QFile f(csvPath);
    if (!f.open(QIODevice::ReadOnly)) {
        result.error = QStringLiteral("%1: cannot open: %2").arg(csvPath, f.errorString());
        return result;
    }
    const QByteArray bytes = f.readAll();
    // QString replaces bytes that are not UTF-8 with U+FFFD: such a row's path could not be
    // opened, so it is listed as not UTF-8 rather than as a missing file.
    const bool validUtf8 = isValidUtf8(bytes);
    QString text = QString::fromUtf8(bytes);
    if (text.startsWith(QChar(0xFEFF)))
        text.remove(0, 1);
    std::vector<CsvRecord> records;
    int badLine = 0;
    if (!parseCsv(text, &records, &badLine)) {
        result.error = QStringLiteral("%1: line %2: quoted field never closed").arg(csvPath).arg(badLine);
        return result;
    }

    // Fixed classes from classes.txt beside the manifest, else in order of first appearance.
    const QDir base = csvInfo.absoluteDir();
    QHash<QString, int> classIndex;
    QFile classesFile(base.filePath(QStringLiteral("classes.txt")));
    const bool fixedClasses = QFileInfo::exists(classesFile.fileName()) || QFileInfo(classesFile.fileName()).isSymLink();
    if (fixedClasses) {
        if (const Result<> regular = checkRegularFile(classesFile.fileName()); !regular) {
            result.error = regular.error();
            return result;
        }
        if (!classesFile.open(QIODevice::ReadOnly)) {
            result.error = QStringLiteral("%1: cannot open: %2").arg(classesFile.fileName(), classesFile.errorString());
            return result;
        }
        const QStringList lines = QString::fromUtf8(classesFile.readAll()).split(QLatin1Char('\n'));
        for (const QString &line : lines) {
            const QString name = line.trimmed();
            if (!name.isEmpty() && !classIndex.contains(name)) {
                if (ds.classes.size() >= kMaxClasses) {
                    result.error = QStringLiteral("%1: more than %2 class names (the cap on classes)")
                                       .arg(classesFile.fileName()).arg(kMaxClasses);
                    return result;
                }
                classIndex.insert(name, int(ds.classes.size()));
                ds.classes << name;
            }
        }
    }

    struct FirstRow {
        int line = 0;
        QString label, split;
    };
    QHash<QString, FirstRow> imported; // path → the row that imports it
    std::vector<ImageJob> jobs;
    std::vector<SkippedItem> origins;  // derived classes: the line of their first row
    // Columns: path,label[,split] by position, or by name when the first row is a header that
    // names "path" and "label" (any order, other columns ignored: e.g. Labelscope's own export,
    // id,path,label,category,relabelled,excluded,split); a row whose "excluded" column is 1 is
    // left out and listed.
    int pathCol = 0, labelCol = 1, splitCol = 2, excludedCol = -1, named = 0;
    if (!records.empty()) {
        QStringList header;
        for (const QString &f : records.front().fields)
            header << f.trimmed().toLower();
        if (header.contains(QLatin1String("path")) && header.contains(QLatin1String("label"))) {
            named = int(header.size());
            pathCol = int(header.indexOf(QLatin1String("path")));
            labelCol = int(header.indexOf(QLatin1String("label")));
            splitCol = int(header.indexOf(QLatin1String("split")));
            excludedCol = int(header.indexOf(QLatin1String("excluded")));
        }
    }
    for (std::size_t r = 0; r < records.size(); ++r) {
        const CsvRecord &rec = records[r];
        const QString location = QStringLiteral("line %1").arg(rec.line);
        if (r == 0 && named > 0)
            continue; // header row
        if (!validUtf8 && rec.fields.join(QLatin1Char(',')).contains(QChar::ReplacementCharacter)) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("the line is not valid UTF-8 (save the manifest as UTF-8)")});
            continue;
        }
        // A NUL byte ends a file name at the system call: "a.png\0" would open a.png and slip
        // past the duplicate check.
        if (std::any_of(rec.fields.cbegin(), rec.fields.cend(), [](const QString &field) { return field.contains(QChar(0)); })) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("the line holds a NUL byte (\\0)")});
            continue;
        }
        if (named > 0 && rec.fields.size() > named) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("%1 fields, the header names %2").arg(rec.fields.size()).arg(named)});
            continue;
        }
        // Trailing optional columns (split, excluded) may be missing; path and label may not.
        if (rec.fields.size() < 2 || rec.fields.size() <= std::max(pathCol, labelCol)) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("%1 field(s), expected path,label[,split]").arg(rec.fields.size())});
            continue;
        }
        if (named == 0 && rec.fields.size() > 3) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("%1 fields, expected path,label[,split]").arg(rec.fields.size())});
            continue;
        }
        if (rec.fields[pathCol].isEmpty()) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("empty path")});
            continue;
        }
        if (excludedCol >= 0 && excludedCol < rec.fields.size() && rec.fields[excludedCol].trimmed() == QLatin1String("1")) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("excluded (its \"excluded\" column is 1)")});
            continue;
        }
        QString split;
        if (splitCol >= 0 && splitCol < rec.fields.size() && !normaliseSplit(rec.fields[splitCol], &split)) {
            ds.skipped.push_back({csvPath, location, QStringLiteral("unknown split \"%1\" (expected train, test, val or empty)").arg(rec.fields[splitCol])});
            continue;
        }
        const QString &name = rec.fields[labelCol];
        const QString path = QDir::cleanPath(base.absoluteFilePath(rec.fields[pathCol]));
        // Before the class lookup: a duplicate must not create a class of its own.
        if (const auto first = imported.constFind(path); first != imported.constEnd()) {
            QString reason = QStringLiteral("duplicate of line %1 (same image): imported once, from line %1").arg(first->line);
            const auto shown = [](const QString &label) {
                return label.isEmpty() ? QStringLiteral("unlabelled") : QStringLiteral("\"%1\"").arg(label);
            };
            if (first->label != name)
                reason += QStringLiteral("; its label %1 differs: %2 from line %3 kept")
                              .arg(shown(name), shown(first->label)).arg(first->line);
            if (first->split != split)
                reason += QStringLiteral("; its split \"%1\" differs: \"%2\" from line %3 kept")
                              .arg(split, first->split).arg(first->line);
            ds.skipped.push_back({csvPath, location, reason});
            continue;
        }
        int label = -1;
        if (!name.isEmpty()) {
            auto it = classIndex.constFind(name);
            if (it != classIndex.constEnd()) {
                label = it.value();
            } else if (fixedClasses) {
                ds.skipped.push_back({csvPath, location, QStringLiteral("unknown class \"%1\" (not in classes.txt)").arg(name)});
                continue;
            } else {
                if (ds.classes.size() >= kMaxClasses) {
                    result.error = QStringLiteral("%1: %2: class \"%3\" is one more than the cap of %4 classes")
                                       .arg(csvPath, location, name).arg(kMaxClasses);
                    return result;
                }
                label = int(ds.classes.size());
                classIndex.insert(name, label);
                ds.classes << name;
                origins.push_back({csvPath, location, QString()});
            }
        }
        imported.insert(path, {rec.line, name, split});
        jobs.push_back({path, label, split, location});
    }
    readImageJobs(jobs, QStringLiteral("csv"), csvPath, options, fixedClasses ? std::vector<SkippedItem>() : origins,
                  result);
    return result;
}

} // namespace labelscope
