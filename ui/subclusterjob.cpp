#include "subclusterjob.h"

#include "base/projectstore.h"

namespace labelscope::ui {

ClassSubclusters computeClassSubclusters(const QString &file, qint64 runId, int numClasses,
                                         const std::atomic_bool &cancel)
{
    ClassSubclusters out;
    out.file = file;
    out.runId = runId;
    out.perClass.resize(std::size_t(std::max(0, numClasses)));
    ProjectStore store;
    std::vector<qint64> ids;
    std::vector<float> data;
    int dim = 0;
    if (!store.open(file, &out.error) || !store.embeddings(runId, &ids, &data, &dim)) {
        if (out.error.isEmpty())
            out.error = store.lastError();
        return out;
    }
    if (ids.empty() || dim <= 0) {
        out.error = QStringLiteral("Run %1 of %2 stored no embeddings.").arg(runId).arg(file);
        return out;
    }
    std::unordered_map<qint64, int> given;
    for (const SampleRow &r : store.samples())
        given.emplace(r.id, r.givenLabel);
    std::unordered_map<qint64, int> category;
    for (const SampleScore &s : store.scores(runId))
        category.emplace(s.sampleId, int(s.category));
    for (int k = 0; k < numClasses; ++k) {
        if (cancel.load()) {
            out.error = QStringLiteral("cancelled");
            return out;
        }
        std::vector<float> rows;
        std::vector<qint64> members;
        std::vector<int> labels, categories;
        for (std::size_t r = 0; r < ids.size(); ++r) {
            const auto g = given.find(ids[r]);
            if (g == given.end() || g->second != k)
                continue;
            members.push_back(ids[r]);
            rows.insert(rows.end(), data.begin() + std::ptrdiff_t(r * std::size_t(dim)),
                        data.begin() + std::ptrdiff_t((r + 1) * std::size_t(dim)));
            labels.push_back(k);
            const auto c = category.find(ids[r]);
            categories.push_back(c == category.end() ? -1 : c->second);
        }
        if (members.size() < 2)
            continue;
        const SubclusterResult res = findSubclusters(rows.data(), std::int64_t(members.size()), dim, labels,
                                                     categories, SubclusterParams(), cancel);
        if (!res.ok()) {
            out.error = res.error;
            return out;
        }
        for (std::size_t m = 0; m < members.size(); ++m)
            out.clusterOf.emplace(members[m], res.assignment[m]);
        out.perClass[std::size_t(k)] = res.clusters;
    }
    return out;
}

} // namespace labelscope::ui
