#include "subclusterjob.h"

#include "base/projectstore.h"

namespace labelscope {

Result<ClassSubclusters> computeClassSubclusters(const QString &file, qint64 runId, int numClasses,
                                                 JobContext &context)
{
    using R = Result<ClassSubclusters>;
    ClassSubclusters out;
    out.file = file;
    out.runId = runId;
    out.perClass.resize(std::size_t(std::max(0, numClasses)));
    ProjectStore store;
    std::vector<qint64> ids;
    std::vector<float> data;
    int dim = 0;
    QString error;
    if (!store.open(file, &error))
        return R::failure(error);
    if (!store.embeddings(runId, &ids, &data, &dim))
        return R::failure(store.lastError());
    if (ids.empty() || dim <= 0)
        return R::failure(QStringLiteral("Run %1 of %2 stored no embeddings.").arg(runId).arg(file));
    std::unordered_map<qint64, int> given;
    for (const SampleRow &r : store.samples())
        given.emplace(r.id, r.givenLabel);
    std::unordered_map<qint64, int> category;
    for (const SampleScore &s : store.scores(runId))
        category.emplace(s.sampleId, int(s.category));
    for (int k = 0; k < numClasses; ++k) {
        context.stage(QStringLiteral("class %1 of %2").arg(k + 1).arg(numClasses), double(k) / numClasses,
                      double(k + 1) / numClasses);
        if (context.isCancelled())
            return R::cancelled();
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
                                                     categories, SubclusterParams(), context.cancelFlag());
        if (context.isCancelled())
            return R::cancelled();
        if (!res.ok())
            return R::failure(res.error);
        for (std::size_t m = 0; m < members.size(); ++m)
            out.clusterOf.emplace(members[m], res.assignment[m]);
        out.perClass[std::size_t(k)] = res.clusters;
    }
    return std::move(out);
}

} // namespace labelscope
