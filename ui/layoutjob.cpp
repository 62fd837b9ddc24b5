#include "layoutjob.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace labelscope::ui {

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

LayoutJobResult runLayoutJob(const LayoutJobParams &params, const std::atomic_bool &cancel,
                             const std::function<void(const TsneProgress &, const std::vector<qint64> &)> &progress)
{
    LayoutJobResult result;
    QElapsedTimer timer;
    timer.start();
    ProjectStore store;
    QString error;
    if (!store.open(params.projectFile, &error)) {
        result.error = error;
        return result;
    }
    std::vector<qint64> ids;
    std::vector<float> features;
    int dim = 0;
    QString featureName;
    if (params.kind == QLatin1String("embedding")) {
        if (!store.embeddings(params.runId, &ids, &features, &dim)) {
            result.error = store.lastError();
            return result;
        }
        featureName = QStringLiteral("embedding");
        if (ids.empty()) {
            result.error = QStringLiteral("Run %1 of %2 stored no embeddings.").arg(params.runId).arg(params.projectFile);
            return result;
        }
    } else if (params.kind == QLatin1String("trajectory") || layoutKindClass(params.kind) >= 0) {
        const int onlyClass = layoutKindClass(params.kind);
        featureName = QStringLiteral("log_sigma_per_epoch");
        std::unordered_map<qint64, int> givenLabel;
        if (onlyClass >= 0)
            for (const SampleRow &r : store.samples())
                givenLabel.emplace(r.id, r.givenLabel);
        for (const SampleScore &s : store.scores(params.runId)) {
            if (cancel.load()) {
                result.cancelled = true;
                result.error = QStringLiteral("cancelled");
                return result;
            }
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
        if (ids.empty()) {
            result.error = QStringLiteral("Run %1 of %2 has no training dynamics%3.")
                               .arg(params.runId)
                               .arg(params.projectFile)
                               .arg(onlyClass >= 0 ? QStringLiteral(" for class %1").arg(onlyClass) : QString());
            return result;
        }
    } else {
        result.error = QStringLiteral("Unknown layout kind \"%1\".").arg(params.kind);
        return result;
    }

    const TsneResult tsne = computeTsne(features.data(), std::int64_t(ids.size()), dim, params.tsne, cancel,
                                        [&](const TsneProgress &p) {
                                            if (progress)
                                                progress(p, ids);
                                        });
    if (tsne.cancelled || cancel.load()) {
        result.cancelled = true;
        result.error = QStringLiteral("cancelled");
        return result;
    }
    if (!tsne.ok()) {
        result.error = tsne.error;
        return result;
    }
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
    if (params.save && !store.saveLayout(params.runId, result.layout, &error)) {
        result.error = error;
        return result;
    }
    result.seconds = double(timer.elapsed()) / 1000.0;
    return result;
}

} // namespace labelscope::ui
