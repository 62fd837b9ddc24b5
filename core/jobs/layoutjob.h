#pragma once
// LayoutJob: computes a 2-D t-SNE layout of a run's samples off the GUI thread and stores it in
// the project (ProjectStore::saveLayout), for the scatter view's "Compute layout". Glue only:
// the features come from the project store, t-SNE is core's computeTsne (core/ml/tsne.h).
//
// Layout kinds and their features:
//  - "embedding": the run's penultimate-layer embeddings [N, D];
//  - "trajectory": each scored sample's per-epoch log σ_i (Data Parameters instance temperature,
//    the trajectory the Data Parameters enrichment work embeds) [N, E];
//  - "trajectory-class-K": the same for the samples whose given label is K only (the per-class
//    view of that work).
// The job opens its own ProjectStore connection (connections are per thread). Core code: the
// window runs it through its JobRunner.

#include "base/projectstore.h"
#include "base/result.h"
#include "jobs/job.h"
#include "ml/tsne.h"

#include <QString>

#include <atomic>
#include <functional>
#include <vector>

namespace labelscope {

struct LayoutJobParams {
    QString projectFile;
    qint64 runId = 0;
    QString kind;            ///< see above
    TsneParams tsne;
    bool save = true;        ///< write the layout into the project
    /// Optional live preview: called on the job's thread with t-SNE's progress (its `layout`
    /// valid during the call only) and the sample ids of the layout's rows.
    std::function<void(const TsneProgress &, const std::vector<qint64> &)> preview;
};

struct LayoutJobResult {
    Layout layout;           ///< sampleIds [N], xy [N, 2]
    double seconds = 0;
};

/// The given label K of a "trajectory-class-K" kind, or -1.
int layoutKindClass(const QString &kind);
/// "trajectory-class-K".
QString classTrajectoryKind(int label);

/// The layout job (core/jobs/job.h): reads the features, runs t-SNE (stages "reading", "t-SNE",
/// "saving") and (optionally) saves the layout. Errors name the project, the run and the kind.
Result<LayoutJobResult> runLayoutJob(const LayoutJobParams &params, JobContext &context);

} // namespace labelscope
