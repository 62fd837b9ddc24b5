#pragma once
// Sub-clusters of every class for the scatter view's "Sub-cluster" colouring: reads the run's
// embeddings (own ProjectStore connection, any thread) and runs core's findSubclusters
// (core/ml/subclusters.h, FAISS k-means) on the samples of each given label.

#include "base/result.h"
#include "jobs/job.h"
#include "ml/subclusters.h"

#include <QString>

#include <atomic>
#include <unordered_map>
#include <vector>

namespace labelscope {

struct ClassSubclusters {
    QString file;
    qint64 runId = 0;
    std::unordered_map<qint64, int> clusterOf;      ///< sample id -> cluster index within its class
    std::vector<std::vector<Subcluster>> perClass; ///< [K] clusters of each given label, largest first
};

/// The sub-cluster job (core/jobs/job.h): sub-clusters of each class (by given label) of run
/// RUNID in FILE; one stage per class, cancellation polled per class and inside k-means.
Result<ClassSubclusters> computeClassSubclusters(const QString &file, qint64 runId, int numClasses,
                                                 JobContext &context);

} // namespace labelscope
