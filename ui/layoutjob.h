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
// The job opens its own ProjectStore connection (connections are per thread).

#include "base/projectstore.h"
#include "ml/tsne.h"

#include <QString>

#include <atomic>
#include <functional>
#include <vector>

namespace labelscope::ui {

struct LayoutJobParams {
    QString projectFile;
    qint64 runId = 0;
    QString kind;            ///< see above
    TsneParams tsne;
    bool save = true;        ///< write the layout into the project
};

struct LayoutJobResult {
    Layout layout;           ///< sampleIds [N], xy [N, 2]; empty on error / cancel
    QString error;           ///< empty on success
    bool cancelled = false;
    double seconds = 0;
};

/// The given label K of a "trajectory-class-K" kind, or -1.
int layoutKindClass(const QString &kind);
/// "trajectory-class-K".
QString classTrajectoryKind(int label);

/// Reads the features, runs t-SNE and (optionally) saves the layout. PROGRESS is called on the
/// job's thread with t-SNE's progress and the sample ids of the rows of progress.layout.
LayoutJobResult runLayoutJob(const LayoutJobParams &params, const std::atomic_bool &cancel,
                             const std::function<void(const TsneProgress &, const std::vector<qint64> &)> &progress = {});

} // namespace labelscope::ui
