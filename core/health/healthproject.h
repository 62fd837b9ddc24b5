#pragma once
// Dataset health on a project (issue 16): `labelscope check` and the analysis run the checks of
// healthchecks.h on a project's samples and store the result (ProjectStore::saveHealth, schema
// v5); the window reads it back as a HealthReport indexed like the project's samples.

#include "base/projectstore.h"
#include "base/result.h"
#include "health/healthreport.h"
#include "jobs/job.h"

#include <QString>

#include <vector>

namespace labelscope {

struct HealthOptions;

struct ProjectHealthParams {
    QString projectFile;
    /// Dataset to import when the project is new or empty; for a project with samples, empty or
    /// the project's own spec (another spec is refused: use a new project file).
    QString dataSpec;
    /// Outlier scores from the latest analysis run's embeddings when the project has one (its
    /// training samples; the others keep score 1). False: no outlier scores.
    bool runEmbeddings = true;
    int threads = 0; ///< image workers; 0 = QThread::idealThreadCount()
};

struct ProjectHealthResult {
    HealthReport report;          ///< indexed like samples
    std::vector<Sample> samples;  ///< [N] the project's samples in id order (label = current label)
    std::vector<qint64> sampleIds; ///< [N] their ids
    QStringList classes;
    qint64 checkId = 0;           ///< the stored check
    qint64 embeddingRunId = 0;    ///< the run whose embeddings gave the outlier scores, 0 = none
    /// Files of the dataset imported by this call that never became samples (corrupt, empty,
    /// truncated, in a format not read; Dataset::skipped). Empty when the project had samples.
    std::vector<SkippedItem> importSkipped;
};

/// Opens (or creates) the project, imports DATASPEC into an empty one (no label noise), runs the
/// checks on its samples (current labels, excluded ones included: they are still in the data),
/// stores them and returns them. A new project file is removed again when the import fails.
/// Errors name the project or data file; "cancelled" stores nothing.
Result<ProjectHealthResult> runProjectHealthChecks(const ProjectHealthParams &params, JobContext &context);

/// An analysis run's embeddings (not owned): ids [M], data [M, dim] row-major.
struct RunEmbedding {
    qint64 runId = 0; ///< 0 = none
    const std::vector<qint64> *ids = nullptr;
    const std::vector<float> *data = nullptr;
    int dim = 0;
};

/// The checks on the samples of the open project STORE (current labels; excluded samples
/// included), with outlier scores from EMBEDDING when given (its rows must all be project
/// samples, else no outlier scores), stored as a check of run RECORDRUNID (0 = none). The
/// analysis calls this after saving its run; runProjectHealthChecks after opening the project.
/// The caller opens the stage; progress runs 0..1 within it.
Result<ProjectHealthResult> checkProjectSamples(ProjectStore &store, const RunEmbedding &embedding, qint64 recordRunId,
                                                int threads, JobContext &context);

/// The stored form of REPORT: every computed per-sample type (class_imbalance too: each sample
/// gets its class's score), the exact and near sets; SAMPLEIDS [N] maps report indices to ids.
HealthRecord healthRecord(const HealthReport &report, const std::vector<qint64> &sampleIds, qint64 runId,
                          int topExamples = 20, const std::vector<Sample> *samples = nullptr);

/// A report indexed like SAMPLEIDS ([N], e.g. the project's samples in id order) from a stored
/// record: columns and sets (members not among SAMPLEIDS are left out, as are sets left with
/// fewer than 2), the summary's statistics are not restored. LABELS [N] (optional) fills labels.
HealthReport healthReportFromRecord(const HealthRecord &record, const std::vector<qint64> &sampleIds,
                                    const std::vector<int> &labels = {});

} // namespace labelscope
