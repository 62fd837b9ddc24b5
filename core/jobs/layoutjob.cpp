#include "layoutjob.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace labelscope {

int layoutKindClass(const QString &kind)
{
    static const QString prefix = QStringLiteral("trajectory-class-");
    if (!kind.startsWith(prefix))
        return -1;
    bool ok = false;
    const int k = kind.mid(prefix.size()).toInt(&ok);
    return ok && k >= 0 ? k : -1;
}

QString classTrajectoryKind(int label) { return QStringLiteral("trajectory-class-%1").arg(label); }

Result<LayoutJobResult> runLayoutJob(const LayoutJobParams &params, JobContext &context)
{
    using R = Result<LayoutJobResult>;
    LayoutJobResult result;
    QElapsedTimer timer;
    timer.start();
    context.stage(QStringLiteral("reading"), 0.0, 0.05);
    ProjectStore store;
    QString error;
    if (!store.open(params.projectFile, &error))
        return R::failure(error);
    std::vector<qint64> ids;
    std::vector<float> features;
    int dim = 0;
    QString featureName;
    if (params.kind == QLatin1String("embedding")) {
        if (!store.embeddings(params.runId, &ids, &features, &dim))
            return R::failure(store.lastError());
        featureName = QStringLiteral("embedding");
        if (ids.empty())
            return R::failure(QStringLiteral("Run %1 of %2 stored no embeddings.").arg(params.runId).arg(params.projectFile));
    } else if (params.kind == QLatin1String("trajectory") || layoutKindClass(params.kind) >= 0) {
        const int onlyClass = layoutKindClass(params.kind);
        featureName = QStringLiteral("log_sigma_per_epoch");
        std::unordered_map<qint64, int> givenLabel;
        if (onlyClass >= 0)
            for (const SampleRow &r : store.samples())
                givenLabel.emplace(r.id, r.givenLabel);
        for (const SampleScore &s : store.scores(params.runId)) {
            if (context.isCancelled())
                return R::cancelled();
            if (onlyClass >= 0) {
                const auto it = givenLabel.find(s.sampleId);
                if (it == givenLabel.end() || it->second != onlyClass)
                    continue;
            }
            const std::optional<Trajectory> t = store.trajectory(params.runId, s.sampleId);
            if (!t || t->sigma.empty())
                continue;
            if (dim == 0)
                dim = int(t->sigma.size());
            if (int(t->sigma.size()) != dim)
                continue; // a ragged row: skip rather than misalign the matrix
            ids.push_back(s.sampleId);
            for (float v : t->sigma)
                features.push_back(std::log(std::max(v, 1e-6f)));
        }
        if (ids.empty())
            return R::failure(QStringLiteral("Run %1 of %2 has no training dynamics%3.")
                                  .arg(params.runId)
                                  .arg(params.projectFile)
                                  .arg(onlyClass >= 0 ? QStringLiteral(" for class %1").arg(onlyClass) : QString()));
    } else {
        return R::failure(QStringLiteral("Unknown layout kind \"%1\".").arg(params.kind));
    }

    context.stage(QStringLiteral("t-SNE"), 0.05, 0.98);
    const TsneResult tsne = computeTsne(features.data(), std::int64_t(ids.size()), dim, params.tsne, context.cancelFlag(),
                                        [&](const TsneProgress &p) {
                                            context.progress(p.iterations ? double(p.iteration) / p.iterations : 0.0,
                                                             p.stage == QLatin1String("optimise")
                                                                 ? QStringLiteral("iteration %1 of %2").arg(p.iteration).arg(p.iterations)
                                                                 : p.stage);
                                            if (params.preview)
                                                params.preview(p, ids);
                                        });
    if (tsne.cancelled || context.isCancelled())
        return R::cancelled();
    if (!tsne.ok())
        return R::failure(tsne.error);
    result.layout.kind = params.kind;
    result.layout.sampleIds = std::move(ids);
    result.layout.xy = tsne.layout;
    result.layout.settings.insert(QStringLiteral("method"), QStringLiteral("tsne"));
    result.layout.settings.insert(QStringLiteral("features"), featureName);
    result.layout.settings.insert(QStringLiteral("perplexity"), tsne.perplexity);
    result.layout.settings.insert(QStringLiteral("iterations"), tsne.iterations);
    result.layout.settings.insert(QStringLiteral("learning_rate"), tsne.learningRate);
    result.layout.settings.insert(QStringLiteral("kl_divergence"), tsne.klDivergence);
    result.layout.settings.insert(QStringLiteral("seed"), QString::number(params.tsne.seed));
    context.stage(QStringLiteral("saving"), 0.98, 1.0);
    if (params.save && !store.saveLayout(params.runId, result.layout, &error))
        return R::failure(error);
    result.seconds = double(timer.elapsed()) / 1000.0;
    return std::move(result);
}

} // namespace labelscope
