#pragma once
// Analysis job: load a dataset (or a project's samples), optionally inject noise, train a small
// network with Data Parameters (Saxena et al., NeurIPS 2019) while recording training dynamics
// for every sample, categorise the samples and write one run into the project store.
// This header is free of LibTorch so that ui/ can include it.

#include "base/confidentlearning.h"
#include "base/dataset.h"
#include "base/noise.h"
#include "base/projectstore.h"
#include "base/result.h"
#include "jobs/job.h"
#include "options.h"

#include <QJsonObject>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

namespace labelscope {

struct AnalysisParams {
    QString dataSpec;          ///< dataset spec; may be empty when the project already exists
    QString projectFile;       ///< created (with an import of dataSpec) if it does not exist
    double injectNoise = 0.0;  ///< fraction of labels to corrupt at import (0 = none), in [0, 1]
    NoiseKind noiseKind = NoiseKind::Symmetric;
    quint64 seed = 1;
    int epochs = 0;            ///< 0 = automatic (from the dataset size)
    qint64 limit = -1;         ///< at most this many samples per split; -1 = all
    DeviceChoice device = DeviceChoice::Auto;
    int threads = 0;           ///< intra-op threads on CPU; 0 = measured default
    int batchSize = 128;
    int imageSize = 32;        ///< training side for images read from files
    bool classParameters = false; ///< also learn per-class temperatures
    /// Network: Auto (grey images up to 32 px: medium_cnn when training runs in bf16 or on CUDA,
    /// else small_cnn; colour or larger images: small_resnet), or a fixed one (options.h).
    Architecture model = Architecture::Auto;
    /// Arithmetic of the training passes (options.h). Evaluation passes are always fp32.
    Precision precision = Precision::Auto;
    AnalysisMethod method = AnalysisMethod::All; ///< options.h
    int folds = 4;             ///< K of the stratified K-fold (methods All, ConfidentLearning), 2..20
    int foldWorkers = 0;       ///< fold models trained at once on CPU, threads split among them;
                               ///< 0 = one per two threads from 4 threads up (else 1), 1 = one after another
    FilterBy filterBy = FilterBy::PruneByNoiseRate; ///< find_label_issues filter_by
    /// Also compute and store 2-D t-SNE layouts (kinds "embedding": penultimate-layer features;
    /// "trajectory": log σ over epochs) for the scatter view.
    bool layouts = true;
    /// Method Embedding: the TorchScript backbone FILE.pt (sidecar FILE.json; core/ml/backbone.h)
    /// whose embeddings of every project sample are cached in the project (settings
    /// "backbone_key" of the run) and reused by later runs with the same file and preprocessing.
    QString backbone;
    EmbeddingHead head = EmbeddingHead::Mlp; ///< the head trained on the embeddings (options.h)
    int knnNeighbours = 10;    ///< k of the k-nearest-neighbour label signal (method Embedding), 1..100
    /// Also run the dataset-health checks (core/health/healthproject.h) on the project's samples
    /// after saving the run, with the outlier score from its embeddings; stored as the run's check.
    bool healthChecks = true;
    /// Optional, for audits and tests: called once per trained model with its fold (0-based) and
    /// the sample ids it trained on and predicted out of sample (empty for data-parameters).
    std::function<void(int fold, const std::vector<qint64> &trainedIds, const std::vector<qint64> &predictedIds)>
        foldObserver;
};

/// Detection quality against known true labels (only when they are known).
struct NoiseMetrics {
    bool available = false;
    qint64 noisy = 0;            ///< samples whose given label differs from the true one
    double auroc = 0.0;          ///< of the noise score against "label is wrong"
    double precision = 0.0, recall = 0.0, f1 = 0.0; ///< of category hard against wrong labels
    double easyNoiseRate = 0.0;  ///< fraction of easy samples whose label is wrong
    double hardRecall = 0.0;     ///< fraction of wrong labels that are hard (= recall)
    double flaggedRecall = 0.0;  ///< fraction of wrong labels that are hard or need review
};

/// Detection figures of one signal alone (its own flags), for comparison with the verdict.
struct SignalMetrics {
    double auroc = 0.0, precision = 0.0, recall = 0.0, f1 = 0.0;
};

struct AnalysisResult {
    qint64 runId = 0;
    qint64 samples = 0;          ///< samples analysed
    std::vector<SkippedItem> skipped;
    qint64 easy = 0, hard = 0, needReview = 0;
    double seconds = 0.0;
    /// Wall seconds per phase: "loading" (reading and importing), "training" (all models and their
    /// evaluation passes), "scoring", "layouts" (when computed), "saving", "health checks" (when run). The stored run summary
    /// is written before "saving" ends and lacks it.
    QMap<QString, double> phaseSeconds;
    double knnSeconds = -1.0;    ///< method embedding: wall seconds of the kNN signal (within "training"); -1 otherwise
    QString device;
    QString precision;           ///< of the training passes, resolved: "fp32" or "bf16"
    QString model;               ///< the network trained, resolved (e.g. "medium_cnn" for auto)
    int epochs = 0;
    double testAccuracy = -1.0;  ///< clean accuracy on the test split; -1 when there is none
    NoiseMetrics noise;
    QString method;              ///< the method's name (kAnalysisMethodNames)
    int folds = 0;               ///< K of K-fold, 0 when not used
    qint64 numLabelIssues = -1;  ///< find_label_issues count, -1 when Confident Learning did not run
    /// Share of samples whose out-of-sample predicted class is the given label (verdict.h
    /// outOfSampleAgreement); -1 when Confident Learning did not run. Below
    /// kWeakClassifierAgreement the flags are unreliable (weakClassifierNote).
    double outOfSampleAgreement = -1.0;
    std::vector<int64_t> confidentJoint; ///< [K*K] row-major C[given][likely true], or empty
    /// The class pairs most often mislabelled as one another (findOverlappingClasses on the
    /// calibrated joint), at most kOverlappingClassesKept, or empty.
    std::vector<OverlappingClasses> overlappingClasses;
    QStringList classNames; ///< [K] the class names the indices above refer to
    static constexpr int kOverlappingClassesKept = 20;
    double noisePosteriorTemperature = 0.0; ///< τ of the class-conditional noise posterior, 0 when not run
    /// "data_parameters", "confident_learning": each signal alone (known true labels only).
    QMap<QString, SignalMetrics> signals;
    /// Method Embedding: the backbone (its sidecar's name and file, the file's hex SHA-256, D of
    /// its [N, D] embeddings), the embeddings reused from the project's cache (of run
    /// embeddingsCachedFromRun, 0 when none) and extracted now, and the extraction's wall seconds
    /// and images/s (0 when nothing was extracted).
    QString backboneName, backboneFile, backboneSha256;
    int embeddingDim = 0;
    qint64 embeddingsReused = 0, embeddingsExtracted = 0, embeddingsCachedFromRun = 0;
    double extractionSeconds = 0.0, extractionImagesPerSecond = 0.0;
    /// The health checks' summary (HealthReport::toJson), {"error": ...} when they failed, empty
    /// when they did not run.
    QJsonObject health;
    QJsonObject toJson() const;
};

/// The analysis job (core/jobs/job.h), run on the calling thread. Stages: "loading" (reading
/// the dataset, importing it into a new project), "extracting" (method Embedding: backbone
/// embeddings of the samples not cached yet; detail images/s, with its ETA), "training" (detail: fold, epoch, batch, loss,
/// samples/s; with its own ETA), "scoring", "layout", "saving". Cancellation is polled at least
/// once per batch: the job then returns Result::cancelled() within a second, leaving the project
/// consistent (a run row with status "cancelled" and no results). A new project file whose
/// import never completed is removed again. Errors name the file and the step.
Result<AnalysisResult> runAnalysis(const AnalysisParams &params, JobContext &context);

/// The device a choice resolves to in this LibTorch build: "cuda" or "cpu". Fails for Cuda when
/// LibTorch sees no GPU.
Result<QString> resolveDevice(DeviceChoice choice);

} // namespace labelscope

Q_DECLARE_METATYPE(labelscope::AnalysisResult)
