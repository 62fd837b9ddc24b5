#pragma once
// Test fixture shared by the active-learning tests (core and ui): a project made from the first
// `limit` Fashion-MNIST images of each split, with the first `keepLabels` training labels kept
// and the other training labels hidden (the unlabelled pool); test labels stay.

#include "base/dataset.h"
#include "base/projectstore.h"
#include "jobs/job.h"
#include "ml/activelearning.h"

#include <QSet>
#include <QString>

namespace labelscope::testing {

/// Writes the project to `file`. Returns an empty string on success, else the error. If
/// `labelledIds` is given, it receives the ids of the labelled training samples.
inline QString makeActiveLearningProject(const QString &file, int limit, int keepLabels,
                                         QSet<qint64> *labelledIds = nullptr)
{
    LoadOptions options;
    options.limit = limit;
    LoadResult loaded = loadDataset(QStringLiteral("fashion-mnist"), options);
    if (!loaded.ok())
        return loaded.error;
    int kept = 0;
    for (Sample &s : loaded.dataset.samples)
        if (s.split != QLatin1String("test") && kept++ >= keepLabels)
            s.label = -1;
    ProjectStore store;
    QString error;
    if (!store.open(file, &error) || !store.importDataset(loaded.dataset, &error)
        || !store.setMeta(QStringLiteral("data_spec"), QStringLiteral("fashion-mnist"), &error)
        || !store.setMeta(QStringLiteral("limit"), QString::number(limit), &error))
        return error.isEmpty() ? QStringLiteral("could not write %1").arg(file) : error;
    if (labelledIds)
        for (const SampleRow &row : store.samples())
            if (row.label >= 0 && row.sample.split != QLatin1String("test"))
                labelledIds->insert(row.id);
    return QString();
}

/// One active-learning round on FILE as a job on this thread with a plain cancel flag, in the
/// out-parameter form the checks use: false with *error (or "cancelled").
inline bool projectRound(const QString &file, const AlConfig &config, const std::atomic_bool &cancel,
                         AlProjectRound *out, QString *error)
{
    JobContext context(QStringLiteral("al-round"), &cancel);
    Result<AlProjectRound> r = runAlProjectRound(file, config, QStringLiteral("cpu"), context);
    *error = r.error();
    if (r)
        *out = std::move(r).value();
    return r.ok();
}

} // namespace labelscope::testing
