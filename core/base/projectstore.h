#pragma once
// The project store: one SQLite file per project, through Qt SQL, in WAL mode.
//
// Tables (schema version kSchemaVersion, migrations run on open): meta, classes, samples
// (source, path, offset, split, true label, given label, current label, excluded), label_events
// (append-only: triggers refuse UPDATE and DELETE), runs (settings and summary as JSON),
// scores (per sample per run), dynamics (per sample per run: per-epoch arrays as float32 BLOBs),
// embeddings (per sample per run, float32 BLOB), pred_probs, layouts, al_rounds, al_queue,
// al_scores (v3: the uncertainty of each active-learning round's scored pool, two BLOBs),
// class_events (v4: classes added, renamed, merged; append-only) and label_events.batch (v4: the
// events of one applyDecisions call share it, so that the undo history survives a restart),
// health_checks, health_issues, health_sets (v5: dataset health, core/base/projecthealth.cpp),
// claims (v6: who reviews which sample now, core/base/projectclaims.cpp).
//
// Locations (issue 18): a project is an SQLite file or a schema of a PostgreSQL database
// (projectlocation.h: postgresql://USER@HOST:PORT/DB?project=NAME); the same tables, migrations
// and methods on both, their differences in one place (sqldialect.h). On PostgreSQL the WAL,
// -wal/-shm and read-only-file notes below do not apply: the server does the durability, a
// write transaction takes the project's advisory lock, and a role without write grants gets
// "permission denied" on its first write.
// Opening checks that every required table and column exists; a file that is not SQLite, an
// SQLite file of another application, a schema newer than kSchemaVersion or a damaged schema is
// refused with a message naming the file and what is wrong.
//
// Writes: every write method of every ProjectStore on one file in this process runs on one
// writer thread with its own connection (StoreWriter, storewriter.h), in priority order:
// decisions first, then short writes, then the chunks of large writes. Write methods keep their
// plain blocking form: they return once their data is committed (durably: synchronous=FULL).
// Every write that belongs together is one transaction (an import with its metadata, a batch
// of decisions, a layout, an active-learning round), except saveRun(): a run is written in short
// transactions (about StoreWriter::kChunkMs each, so that decisions pass between them) under the
// status "writing", and shown (status "done", "cancelled", "failed") in a last short one.
// runs() and latestRun() never show a run being written; a run left "writing" by a killed
// process is removed later by the next store that opens the file (never one whose writer is
// still alive). A crash or kill mid-write leaves the previous consistent state.
//
// Read-only: a project whose file, folder, -wal or -shm file cannot be written opens for viewing
// (isReadOnly()); every write is then refused with "opened read-only". A cleanly closed project
// (no -wal file) is then read as an immutable snapshot, creating no -shm file beside it; reopen
// to see changes another user made since. With a -wal file it is read through it.
//
// Threading: a ProjectStore owns one Qt SQL connection for reads (unique name) and must be used
// on the thread that opened it. Use one ProjectStore per thread; they share the process's writer.
// Errors: every fallible call returns false / empty and sets *error (when given) to a message
// naming the file and the failing step; SQLite's errors say what happened ("disk full",
// "read-only", "not an SQLite database", "corrupt", "busy", ...).

#include "category.h"
#include "dataset.h"

#include "result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <cstdint>

#include <functional>

#include <memory>
#include <limits>
#include <optional>
#include <vector>

class QSqlDatabase;

namespace labelscope {

/// A sample as stored. id is the SQLite rowid (1-based, dataset order at import).
struct SampleRow {
    qint64 id = 0;
    Sample sample;       ///< source, path, offset, split, trueLabel; sample.label = given label
    int givenLabel = -1; ///< label at import (after any injected noise); -1 unlabelled
    int label = -1;      ///< current label after the annotators' decisions; -1 unlabelled
    bool excluded = false;
};

/// One change of a sample's label or exclusion. reason: "import", "relabel", "undo", "redo",
/// "accept", "exclude".
struct LabelEvent {
    qint64 id = 0;
    qint64 sampleId = 0;
    QDateTime time;     ///< UTC
    QString annotator;
    int oldLabel = -1, newLabel = -1;
    bool oldExcluded = false, newExcluded = false;
    QString reason;
    qint64 batch = 0;   ///< the id of the first event of its applyDecisions call; 0 before schema 4
};

/// The events of one applyDecisions call (decisionBatches()), in id order.
struct DecisionBatch {
    qint64 batch = 0;   ///< label_events.batch, or the first event's id for events before schema 4
    QDateTime time;     ///< UTC
    QString annotator;
    QString reason;     ///< of the first event ("undo" and "redo" batches are never mixed)
    std::vector<LabelEvent> events;
};

/// A change of the class list (table class_events). action: "add" (classId = the new class,
/// newName), "rename" (oldName → newName), "merge" (every sample labelled classId was relabelled
/// to targetId in the label_events batch `batch`; the class itself stays, so that given labels
/// and the runs' class indices keep their meaning).
struct ClassEvent {
    qint64 id = 0;
    QDateTime time;
    QString annotator;
    QString action;
    int classId = -1;
    QString oldName, newName;
    int targetId = -1;
    qint64 batch = 0;
};

/// An annotator's decision on one sample: its new label and exclusion state.
struct Decision {
    qint64 sampleId = 0;
    int newLabel = -1;
    bool excluded = false;
    QString reason; ///< "relabel", "accept", "exclude", "undo", "redo"
};

/// Per-sample analysis result of one run.
struct SampleScore {
    qint64 sampleId = 0;
    float noiseScore = 0.f;  ///< higher = more likely mislabelled; in [0, 1]
    Category category = Category::Unknown;
    float sigma = 1.f;       ///< final instance temperature σ_i (Data Parameters)
    float meanProb = 0.f;    ///< mean over epochs of p(given label) (Cartography confidence)
    float stdProb = 0.f;     ///< its standard deviation (Cartography variability)
    float meanMargin = 0.f;  ///< mean over epochs of given logit − largest other (AUM)
    int predLabel = -1;      ///< final model's predicted class
    float predProb = 0.f;    ///< its softmax probability
    // Confident Learning on out-of-sample pred_probs (NaN / -1 / false when it did not run):
    float dpScore = std::numeric_limits<float>::quiet_NaN(); ///< Data Parameters score in [0, 1]
    float clScore = std::numeric_limits<float>::quiet_NaN(); ///< 1 − out-of-sample self_confidence
    bool clIssue = false;    ///< flagged by find_label_issues
    int suggestedLabel = -1; ///< most likely true class (argmax of out-of-sample pred_probs)
    float suggestedProb = 0.f; ///< its probability
};

/// Out-of-sample pred_probs of a run: row i belongs to sampleIds[i] and was predicted by the
/// model of fold folds[i], which never trained on it. probs is row-major [N, K].
struct OutOfSamplePredProbs {
    int numClasses = 0;
    std::vector<qint64> sampleIds;  ///< [N]
    std::vector<int> folds;         ///< [N] in 0..numFolds-1
    std::vector<float> probs;       ///< [N, K]
};

/// A 2-D layout (e.g. t-SNE) of a run's samples: xy is row-major [N, 2], row i for sampleIds[i].
struct Layout {
    QString kind;                   ///< "embedding", "trajectory", ...
    std::vector<qint64> sampleIds;  ///< [N]
    std::vector<float> xy;          ///< [N, 2]
    QJsonObject settings;           ///< e.g. perplexity, iterations, seed
};

/// Per-epoch training dynamics of N samples over E epochs, row-major [N, E].
struct Dynamics {
    int epochs = 0;
    std::vector<qint64> sampleIds;  ///< [N]
    std::vector<float> sigma;       ///< [N, E] instance temperature σ_i after each epoch
    std::vector<float> probGiven;   ///< [N, E] softmax probability of the given label
    std::vector<float> margin;      ///< [N, E] given logit − largest other logit
    std::vector<qint16> predicted;  ///< [N, E] predicted class
};

/// One sample's trajectory (the row of Dynamics for it).
struct Trajectory {
    std::vector<float> sigma, probGiven, margin;
    std::vector<int> predicted;
};

/// Everything an analysis run produces, written by saveRun().
struct RunRecord {
    QDateTime started, finished;
    QString status = QStringLiteral("done"); ///< "done", "cancelled", "failed" (not "writing")
    QJsonObject settings, summary;
    std::vector<SampleScore> scores;
    Dynamics dynamics;
    int embeddingDim = 0;
    std::vector<qint64> embeddingIds;  ///< [M]
    std::vector<float> embeddings;     ///< [M, embeddingDim] penultimate-layer features
    OutOfSamplePredProbs predProbs;    ///< empty when K-fold did not run
    std::vector<Layout> layouts;       ///< optional 2-D layouts
};

/// One active-learning round (table al_rounds); its queued batch is in al_queue.
struct AlRoundInfo {
    qint64 id = 0;
    QDateTime started, finished;
    QString strategy, diversity;   ///< names as in the YAML config (querystrategy.h)
    int batchSize = 0;
    qint64 labelled = 0;           ///< labelled training samples when the round ran
    double valAccuracy = -1;       ///< validation accuracy of the round's model, -1 unknown
    QJsonObject settings;
};

/// One queued sample of a round, in labelling order (position 0 first); score = uncertainty.
struct AlQueueItem {
    qint64 sampleId = 0;
    int position = 0;
    float score = 0.f;
};

struct RunInfo {
    qint64 id = 0;
    QDateTime started, finished;
    QString status;
    QJsonObject settings, summary;
};

/// One issue type of a dataset-health check as stored (table health_issues, schema v5;
/// core/base/projecthealth.cpp). type is the name of core/health/healthreport.h's IssueType
/// ("outlier", "exact_duplicate", ...); sampleIds, score and flag are [M] (score in [0, 1], lower =
/// worse; flag 1 = has the issue); threshold is the rule's score threshold.
struct StoredIssueColumn {
    QString type;
    double threshold = 0.0;
    std::vector<qint64> sampleIds;
    std::vector<float> score;
    std::vector<std::uint8_t> flag;
};

/// A duplicate set as stored (table health_sets): kind "exact" or "near", its sample ids.
struct StoredDuplicateSet {
    QString kind;
    std::vector<qint64> sampleIds;
    bool leaks = false; ///< spans the train and test splits
};

/// One dataset-health check (table health_checks): `labelscope check` (runId 0) or the checks of
/// an analysis run (runId = that run; deleted with it). summary is HealthReport::toJson().
struct HealthRecord {
    qint64 id = 0;
    qint64 runId = 0;
    QDateTime created;
    QJsonObject summary;
    std::vector<StoredIssueColumn> columns;
    std::vector<StoredDuplicateSet> sets;
};

/// An annotator's claim on a sample (table claims, schema v6): until `expires` (UTC) nobody else
/// is given the sample by claimSamples().
struct Claim {
    qint64 sampleId = 0;
    QString annotator;
    QDateTime claimed, expires;
};

/// What ProjectStore::copyProject copied: rows per table.
struct ProjectCopyStats {
    QString source, destination;
    QMap<QString, qint64> rows;
};

class ProjectStore {
public:
    static constexpr int kSchemaVersion = 6;

    ProjectStore();
    ~ProjectStore();
    ProjectStore(const ProjectStore &) = delete;
    ProjectStore &operator=(const ProjectStore &) = delete;

    /// Opens FILE, creating an empty project if it does not exist (and its folder is writable).
    /// Refuses a file that is not a Labelscope project, whose schema is newer than
    /// kSchemaVersion, or which lacks a required table or column. A project whose file or folder
    /// is read-only opens read-only (isReadOnly()).
    bool open(const QString &file, QString *error = nullptr);
    /// The same for a project that must exist already (commands that read or add to one): a
    /// missing file ("FILE: no such project file") or an empty one ("FILE: open: an empty file
    /// (0 bytes), not a Labelscope project") is refused and left as it is, not made a project;
    /// so is one whose samples cannot be read ("FILE: count samples: the project file is corrupt").
    bool openExisting(const QString &file, QString *error = nullptr);
    void close();
    bool isOpen() const;
    QString fileName() const;
    /// True when the project was opened read-only: every write method fails with a message
    /// saying so. readOnlyReason() says why ("its folder /x is read-only", ...).
    bool isReadOnly() const;
    QString readOnlyReason() const;

    /// Key/value metadata (e.g. "data_spec", "name").
    QString meta(const QString &key) const;
    /// The load options the import used, to read the project's data again: the stored "limit"
    /// (-1 when none), "limit_order" (file order for a project made before that key existed)
    /// and "image_size" (LoadOptions' default when none).
    LoadOptions importLoadOptions() const;
    bool setMeta(const QString &key, const QString &value, QString *error = nullptr);

    /// Imports classes and samples of DATASET (one transaction, one "import" event per sample)
    /// and stores dataset.spec as "data_spec" in the form canonicalDataSpec() gives (absolute,
    /// resolved against the current directory: import in the process the spec was typed in).
    /// Refused if the project already holds samples.
    bool importDataset(const Dataset &dataset, QString *error = nullptr);
    /// The same, with META (key → value, e.g. "limit", "image_size", "noise") written in the
    /// same transaction: a kill leaves either no import or the import with all its metadata.
    /// A "data_spec" key in META is stored in canonical form; the reserved marker key is refused.
    bool importDataset(const Dataset &dataset, const QMap<QString, QString> &meta,
                       QString *error = nullptr);
    /// Re-points the project at its data after it moved: loads SPEC (with the project's "limit"
    /// and "image_size"; slow for large data) and, when its samples are the project's, stores
    /// canonicalDataSpec(SPEC) as "data_spec" and the samples' new paths in one transaction.
    /// "The project's" = the same number of samples with the same sampleKey()s once each side's
    /// paths are taken relative to the common folder of that side's sample files (so a moved
    /// or renamed data folder matches, different or re-encoded files do not). Refused, naming
    /// the count or the first sample that differs, otherwise; nothing is written then.
    Result<> setDataSpec(const QString &spec);

    QStringList classes() const;
    qint64 sampleCount() const;
    /// All samples ordered by id.
    std::vector<SampleRow> samples() const;
    std::optional<SampleRow> sample(qint64 id) const;

    /// Applies DECISIONS in one transaction: updates each sample's label and exclusion and
    /// appends one event per decision. Refused as a whole if any id or label is invalid.
    /// *BATCH (when given) receives the batch id its events share (LabelEvent::batch).
    bool applyDecisions(const std::vector<Decision> &decisions, const QString &annotator,
                        QString *error = nullptr, qint64 *batch = nullptr);
    /// Events of one sample (or all when sampleId < 0), oldest first.
    std::vector<LabelEvent> events(qint64 sampleId = -1) const;
    /// Events with an id above AFTEREVENTID, oldest first: what other annotators decided since
    /// a window last looked (ProjectWatcher tells when; issue 18).
    std::vector<LabelEvent> eventsAfter(qint64 afterEventId) const;
    /// The id of the newest label event (0 when there is none or on error).
    qint64 lastEventId() const;
    /// Every decision event (reason other than "import") grouped by applyDecisions call, oldest
    /// first (core/base/projecthistory.cpp). Events written before schema 4 carry no batch:
    /// consecutive events with the same time, annotator and reason form one batch there. Empty
    /// on error (see lastError()).
    std::vector<DecisionBatch> decisionBatches() const;

    /// Classes (core/base/projecthistory.cpp). A class name is trimmed, 1..200 characters
    /// without line breaks, and unique (ignoring case). Each change is one transaction with its
    /// class_events row; refused (nothing written) with a message naming the class otherwise.
    /// addClass returns the new class's id (the next index: ids stay 0..K-1).
    Result<int> addClass(const QString &name, const QString &annotator);
    Result<> renameClass(int classId, const QString &name, const QString &annotator);
    /// Relabels every sample whose current label is FROM to INTO (one label_events batch, reason
    /// "relabel") and records the merge; returns the batch id (0 when FROM had no samples).
    Result<qint64> mergeClass(int from, int into, const QString &annotator);
    /// All class events, oldest first.
    std::vector<ClassEvent> classEvents() const;

    /// Writes a run and all its results (in short transactions, see above) and shows it with
    /// its status once everything is written; returns the run id or 0 on error (a failed run is
    /// removed again).
    qint64 saveRun(const RunRecord &run, QString *error = nullptr);
    /// Runs written completely (never one with status "writing"), oldest first.
    std::vector<RunInfo> runs() const;
    /// The newest run with status "done".
    std::optional<RunInfo> latestRun() const;
    std::vector<SampleScore> scores(qint64 runId) const;
    std::optional<Trajectory> trajectory(qint64 runId, qint64 sampleId) const;
    /// Embeddings of a run: ids [M] and data [M, dim].
    bool embeddings(qint64 runId, std::vector<qint64> *ids, std::vector<float> *data, int *dim) const;
    /// Out-of-sample pred_probs of a run (empty when the run has none). False on a store error.
    bool outOfSamplePredProbs(qint64 runId, OutOfSamplePredProbs *out) const;
    /// Writes (replaces) one layout of a finished run, in one transaction.
    bool saveLayout(qint64 runId, const Layout &layout, QString *error = nullptr);
    /// The layout of KIND of a run, or nullopt when there is none (or on error: see lastError()).
    std::optional<Layout> layout(qint64 runId, const QString &kind) const;

    /// Active learning (core/base/projectactivelearning.cpp): writes a round and its queue in
    /// one transaction; returns the round id or 0 on error (unknown sample ids are refused).
    /// Inside that transaction it re-checks the queue against the project as it is now, so that
    /// two rounds run at once never queue the same samples: refused when a queued sample is
    /// already waiting in another round's queue (queued there and still unlabelled), or has
    /// been labelled or excluded meanwhile ("another round queued N of these samples meanwhile;
    /// run the round again").
    qint64 saveAlRound(const AlRoundInfo &round, const std::vector<AlQueueItem> &queue, QString *error = nullptr);
    /// All rounds, oldest first.
    std::vector<AlRoundInfo> alRounds() const;
    /// The queue of a round ordered by position (empty on error: see lastError()).
    std::vector<AlQueueItem> alQueue(qint64 roundId) const;
    /// Pool uncertainty of a round (core/base/projectalscores.cpp, table al_scores): writes
    /// (replaces) the uncertainty scores[i] (higher = more uncertain, the round's measure) of
    /// every scored pool sample sampleIds[i], both [M], stored as int64 / float32 LE BLOBs.
    /// False with *error when the round does not exist or the sizes differ.
    bool saveAlScores(qint64 roundId, const std::vector<qint64> &sampleIds,
                      const std::vector<float> &scores, QString *error = nullptr);
    /// Reads them back (both empty when the round scored no pool, e.g. a cold start). False on a
    /// store error or a corrupt BLOB (see lastError()).
    bool alScores(qint64 roundId, std::vector<qint64> *sampleIds, std::vector<float> *scores) const;

    /// Claims (core/base/projectclaims.cpp; issue 18): gives ANNOTATOR up to COUNT samples of
    /// CANDIDATES (sample ids, in the order the annotator would review them) for TTLSECONDS,
    /// skipping samples someone else holds an unexpired claim on, samples ANNOTATOR decided
    /// already, and samples that REVIEWSNEEDED annotators decided (1: one review; 2: a second,
    /// independent review, agreement.h; 0: skip nothing); ANNOTATOR's own unexpired claims among CANDIDATES
    /// are renewed and count. Returns the claimed ids in candidate order. One transaction; two
    /// annotators claiming at once never get the same sample (PostgreSQL: the candidates' rows
    /// are locked FOR UPDATE SKIP LOCKED, so a concurrent claimer passes over them instead of
    /// waiting; SQLite: the write lock). An expired claim is free for anyone.
    Result<std::vector<qint64>> claimSamples(const std::vector<qint64> &candidates, int count,
                                             const QString &annotator, int ttlSeconds = 1800,
                                             int reviewsNeeded = 1);
    /// Gives back ANNOTATOR's claims (all, or those on SAMPLEIDS).
    Result<> releaseClaims(const QString &annotator, const std::vector<qint64> &sampleIds = {});
    /// Unexpired claims, by sample id.
    std::vector<Claim> claims() const;

    /// Dataset health (core/base/projecthealth.cpp, tables health_checks, health_issues,
    /// health_sets; schema v5): writes a check with its columns and sets in one transaction and
    /// returns its id, or 0 with *error (unknown run id, column arrays of different lengths).
    qint64 saveHealth(const HealthRecord &record, QString *error = nullptr);
    /// The newest check (of any run, or of `labelscope check`), nullopt when there is none or on
    /// a store error / corrupt BLOB (see lastError()). WITHDATA false: summary only.
    std::optional<HealthRecord> latestHealth(bool withData = true) const;

    /// Last error message (also returned through the error out-parameters).
    QString lastError() const;

    /// PostgreSQL (issue 18): whether the project a URL names exists (its schema); fails when the
    /// server cannot be reached, naming the URL (never a password) and why.
    static Result<bool> postgresProjectExists(const QString &url);
    /// Removes the PostgreSQL project a URL names (DROP SCHEMA ... CASCADE): for a project a
    /// failed first job created (NewProjectCleanup) and for tests. Refuses a file path.
    static Result<> dropPostgresProject(const QString &url);

    /// Copies the project at SOURCE (a file or a PostgreSQL URL; it must exist) to DESTINATION
    /// (a new file or a new/empty PostgreSQL project), losing nothing: every row of every table
    /// (samples, events, class events, runs with scores, dynamics, embeddings, pred_probs,
    /// layouts, active-learning rounds, health checks) with its ids, in one transaction on the
    /// destination; a run being written by another process is left out. PROGRESS(done, total)
    /// (rows; may be null) is called every 2,048 rows on the destination's writer thread and
    /// cancels by returning false. Fails (cancelled, an error naming the side and the table) with
    /// the destination left as it was: a destination this call created is removed again.
    static Result<ProjectCopyStats> copyProject(const QString &source, const QString &destination,
                                                const std::function<bool(qint64 done, qint64 total)> &progress = {});

private:
    struct Private;
    static bool copyTables(QSqlDatabase &src, QSqlDatabase &w, Private &to, const QString &step,
                           const std::function<bool(qint64, qint64)> &progress, ProjectCopyStats *stats,
                           bool *cancelled, QString *error);
    bool openReader(const QString &file, QString *error);
    std::vector<LabelEvent> readEvents(const QString &where, qint64 bound) const;
    bool openPostgres(QString *error);
    bool checkSamplesReadable(QString *error);
    void scheduleAbandonedRunCleanup();
    std::unique_ptr<Private> d;
};

/// For a job that creates its project: constructed before STORE opens FILE, it notes whether FILE
/// existed; when it goes out of scope and FILE was new but never received samples (the dataset
/// failed to load, the job was cancelled before the import), it closes STORE and removes FILE
/// with its -wal and -shm, so that a failed first job leaves nothing behind. STORE and FILE are
/// not owned and must outlive the guard (declare it after the store).
class NewProjectCleanup {
public:
    NewProjectCleanup(ProjectStore &store, const QString &file);
    ~NewProjectCleanup();
    NewProjectCleanup(const NewProjectCleanup &) = delete;
    NewProjectCleanup &operator=(const NewProjectCleanup &) = delete;

private:
    ProjectStore &m_store;
    QString m_file;
    bool m_created = false;
};

} // namespace labelscope
