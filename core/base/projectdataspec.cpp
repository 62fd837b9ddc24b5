// ProjectStore::setDataSpec(): re-pointing a project at its data after the data moved.

#include "projectstore_p.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>

namespace labelscope {

namespace {

// The deepest folder holding every file of FILES ("/" at worst).
QString commonFolder(const std::vector<QString> &files)
{
    QStringList common;
    bool first = true;
    for (const QString &f : files) {
        const QStringList parts = QFileInfo(f).absolutePath().split(QLatin1Char('/'));
        if (first) {
            common = parts;
            first = false;
            continue;
        }
        qsizetype k = 0;
        while (k < common.size() && k < parts.size() && common[k] == parts[k])
            ++k;
        common = common.mid(0, k);
    }
    const QString folder = common.join(QLatin1Char('/'));
    return folder.isEmpty() ? QStringLiteral("/") : folder;
}

// sampleKey() with the path taken relative to ROOT: the same for a sample before and after its
// data folder moved.
QString relativeKey(const Sample &s, const QDir &root)
{
    Sample relative = s;
    relative.path = root.relativeFilePath(s.path);
    return sampleKey(relative);
}

} // namespace

LoadOptions ProjectStore::importLoadOptions() const
{
    LoadOptions options;
    const QString limit = meta(QStringLiteral("limit"));
    const QString imageSize = meta(QStringLiteral("image_size"));
    options.limit = limit.isEmpty() ? -1 : limit.toLongLong();
    options.limitOrder = limitOrderFromName(meta(QStringLiteral("limit_order")));
    if (!imageSize.isEmpty())
        options.imageSize = imageSize.toInt();
    return options;
}

Result<> ProjectStore::setDataSpec(const QString &spec)
{
    const QString step = QStringLiteral("re-point the data to '%1'").arg(spec);
    QString error;
    auto failure = [&](const QString &detail) {
        d->fail(&error, step, detail);
        return Result<>::failure(error);
    };
    if (!d->isOpen) {
        d->notOpen(&error);
        return Result<>::failure(error);
    }
    if (d->readOnly) {
        d->refuseReadOnly(&error, step);
        return Result<>::failure(error);
    }
    // Load as the import did: the same per-split limit and image size.
    const LoadResult loaded = loadDataset(spec, importLoadOptions());
    if (!loaded.ok())
        return failure(QStringLiteral("cannot load it: %1").arg(loaded.error));
    const std::vector<Sample> &fresh = loaded.dataset.samples;
    const std::vector<SampleRow> rows = samples();
    if (rows.size() != fresh.size())
        return failure(QStringLiteral("it holds %1 samples, the project %2; not the project's data")
                           .arg(fresh.size())
                           .arg(rows.size()));

    std::vector<QString> oldFiles, newFiles;
    oldFiles.reserve(rows.size());
    newFiles.reserve(fresh.size());
    for (const SampleRow &r : rows)
        oldFiles.push_back(r.sample.path);
    for (const Sample &s : fresh)
        newFiles.push_back(s.path);
    const QDir oldRoot(commonFolder(oldFiles)), newRoot(commonFolder(newFiles));
    QHash<QString, QString> newPathOf;
    newPathOf.reserve(qsizetype(fresh.size()));
    for (const Sample &s : fresh)
        newPathOf.insert(relativeKey(s, newRoot), s.path);
    if (std::size_t(newPathOf.size()) != fresh.size())
        return failure(QStringLiteral("it lists some images twice; not the project's data"));
    std::vector<std::pair<qint64, QString>> moved;
    for (const SampleRow &r : rows) {
        const auto it = newPathOf.constFind(relativeKey(r.sample, oldRoot));
        if (it == newPathOf.constEnd())
            return failure(QStringLiteral("sample %1 (%2) is not in it; not the project's data")
                               .arg(r.id)
                               .arg(sampleKey(r.sample)));
        if (*it != r.sample.path)
            moved.emplace_back(r.id, *it);
    }

    const QString canonical = canonicalDataSpec(spec);
    const bool ok = d->write(StoreWriter::Priority::Normal, step, &error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, &error))
            return false;
        QSqlQuery q(w);
        q.prepare(QStringLiteral("UPDATE samples SET path = ? WHERE id = ?"));
        for (const auto &[id, path] : moved) {
            q.bindValue(0, path);
            q.bindValue(1, id);
            if (!q.exec())
                return d->abortQuery(w, &error, step + QStringLiteral(" (sample %1)").arg(id), q);
        }
        QSqlQuery m(w);
        m.prepare(QStringLiteral("INSERT INTO meta(key, value) VALUES ('data_spec', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
        m.bindValue(0, canonical);
        if (!m.exec())
            return d->abortQuery(w, &error, step + QStringLiteral(" (meta data_spec)"), m);
        return d->commit(w, step, &error);
    });
    if (!ok)
        return Result<>::failure(error);
    return {};
}

} // namespace labelscope
