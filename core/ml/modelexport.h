#pragma once
// `labelscope export-model`: a project's classifier as a TorchScript file with its sidecar
// (backbonefile.h), loadable by LibTorch (torch::jit::load), by Python (torch.jit.load) and by
// Labelscope itself as a backbone (--backbone FILE.pt). The module's methods, on a normalised
// batch x [B, C, S, S] (x = (pixel / 255 − mean) / std, the sidecar's mean and std):
//   forward(x) = embed(x): the penultimate-layer features [B, 128] (the backbone contract)
//   logits(x): the class scores [B, K], K = len(sidecar "classes")
//   classify(e): the class scores [B, K] of embeddings e [B, 128] (logits(x) = classify(embed(x))):
//     the analysis on cached embeddings uses it (analysisheads.cpp)
// LibTorch's C++ API has no tracer (torch.jit.trace is Python-only), so each architecture of
// networks.h is written here as TorchScript source (torch::jit::Module::define) over its trained
// parameters and batch-norm statistics, in evaluation mode (dropout off, batch norm from the
// running statistics). This header is free of LibTorch (app/ includes it).

#include "jobs/job.h"
#include "options.h"

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace labelscope {

struct ExportModelParams {
    QString projectFile;
    qint64 runId = 0;          ///< the run whose settings (network, epochs, seed, ...) are used; 0 = the newest done run
    QString outFile;           ///< FILE.pt; the sidecar goes to FILE.json
    DeviceChoice device = DeviceChoice::Auto;
    int threads = 0;           ///< intra-op threads on CPU; 0 = measured default
    int epochs = 0;            ///< training epochs; 0 = the run's (automatic without a run)
};

struct ExportModelResult {
    QString outFile, sidecarFile;
    QString model;             ///< the network's name (kArchitectureNames)
    qint64 samples = 0;        ///< training samples
    int epochs = 0;
    double testAccuracy = -1;  ///< on the project's test split, -1 when it has none
    double seconds = 0;
};

/// The export job (core/jobs/job.h), on the calling thread. A project's runs do not keep their
/// networks, so the job trains one: the run's network with the run's epochs, batch size, seed
/// and Data Parameters settings (a K-fold run's network with the same settings), on every
/// labelled, kept training sample with its current label, then writes FILE.pt and FILE.json.
/// Stages: "loading", "training", "exporting". Refused (nothing written): an empty project, an
/// unknown run, a run of the embedding method (it trained no image network), an output folder
/// that cannot be written. Cancellable per batch.
Result<ExportModelResult> runExportModel(const ExportModelParams &params, JobContext &context);

} // namespace labelscope

Q_DECLARE_METATYPE(labelscope::ExportModelResult)
