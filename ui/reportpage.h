#pragma once
// ReportPage: the results of `labelscope clean-eval` — how much label errors hurt a model and
// what cleaning recovers — as Qt Charts: clean test accuracy per variant (bars for one noise
// rate, whiskers from the lowest to the highest seed, or ± one standard deviation when the runs
// are not listed), accuracy vs noise rate (one line per variant), and a short table. Exports the
// page as PNG and the figures as CSV.
//
// Input: the JSON document `labelscope clean-eval --json --out FILE` writes, read from the open
// project's meta key "clean_eval" (stored there by `clean-eval --project FILE`) or from a file
// the user picks:
//   {"data": "fashion-mnist", "noise_kind": "symmetric", "seeds": 3,
//    "rates": [{"rate": 0.2, "flagged": 11873,
//               "variants": {"noisy": {"mean": 0.861, "std": 0.004, "runs": [..]}, ...}}, ...]}
// Accuracies are fractions in [0, 1]; the variants are noisy, removed, relabelled, easy_only,
// true_labels (others are shown after them).
//
// "Run clean-eval…" (issue 17; ui/reportpagerun.cpp) runs core/ml/cleaneval.h on the window's job
// runner with progress and Cancel, then shows the result, stores it in the project's meta (when
// the project is writable) and offers "Save JSON…". It is disabled, saying why, when there is no
// data to run on (no project, no data spec, no test split with labels).
//
// Above it, the run summary (ui/reportpagesummary.cpp): the open project's analysis run and, for
// a run on backbone embeddings, its backbone and how long extraction took.

#include "base/projectstore.h"
#include "base/result.h"
#include "ml/cleaneval.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <map>
#include <vector>

class QChart;
class QChartView;
class QComboBox;
class QHBoxLayout;
class QVBoxLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace labelscope::ui {

class ReviewSession;

/// One variant at one noise rate: clean test accuracy over the seeds.
struct CleanEvalVariant {
    double mean = 0.0, std = 0.0;
    std::vector<double> runs; ///< one accuracy per seed; may be empty
    double low() const;       ///< min of runs, else mean − std
    double high() const;      ///< max of runs, else mean + std
};

struct CleanEvalRate {
    double rate = 0.0;   ///< injected noise rate in [0, 1]
    qint64 flagged = -1; ///< samples flagged by the analysis (mean over seeds), -1 unknown
    double flagPrecision = -1.0; ///< share of the flagged samples whose label was wrong, -1 unknown
    std::map<QString, CleanEvalVariant> variants;
    std::map<QString, QString> skipped; ///< variant → why clean-eval has no accuracy for it
};

/// A parsed clean-eval document.
struct CleanEvalReport {
    QString data, noiseKind, method;
    int seeds = 0;
    qint64 limit = -1; ///< samples per split, -1 all
    std::vector<CleanEvalRate> rates; ///< ascending by rate
    /// Variant names in display order: the standard five first, then any others by name.
    QStringList variantNames() const;
    bool isEmpty() const { return rates.empty(); }
    /// "Easy only at 20 %: fewer than 10 samples." for the skipped variants; "" when none.
    QString skippedNote() const;

    /// Parses JSON. SOURCE names the input in error messages (file name or "project meta").
    /// On error returns false and sets *error to a message naming the source and the place
    /// (line and column for a syntax error, the JSON path for a bad value).
    static bool parse(const QByteArray &json, const QString &source, CleanEvalReport *out, QString *error);
    /// The standard variant names, in order.
    static QStringList standardVariants();
    /// Short human-readable name of a variant ("Removed", ...).
    static QString variantTitle(const QString &name);
    /// One sentence on what the variant trained on (tooltips).
    static QString variantDescription(const QString &name);
};

/// "Analysis run 4 (embedding, 04/12/2026 08:01): 60 samples; 12.40 s on cpu; 5 hard, 10 need
/// review, 45 easy; the out-of-sample classifier agrees with 91.0% of the given labels" from a
/// stored run (its status instead when it did not finish).
QString runSummaryLine(const RunInfo &run);
/// "Backbone: NAME (FILE), D-d; embeddings: extracted N in S s (R images/s)" or "…; embeddings:
/// reused from run R" for a run on backbone embeddings; "" for any other run (also runs stored
/// before these fields existed).
QString backboneSummaryLine(const RunInfo &run);
/// "N files could not be read and are not in the analysis: FILE (reason); …; and M more" from the
/// run's stored summary ("skipped": corrupt, empty, truncated images, formats not read), the
/// first SHOWN named; "" when none was skipped.
QString skippedSummaryLine(const RunInfo &run, int shown = 5);
/// The run's out-of-sample agreement with the given labels (summary "confident_learning"
/// "out_of_sample_agreement"), -1 when the run has none.
double outOfSampleAgreementOf(const RunInfo &run);

class ReportPage : public QWidget {
    Q_OBJECT
public:
    explicit ReportPage(ReviewSession *session, QWidget *parent = nullptr);

    /// Reads the open project's meta "clean_eval" (called on reload). Returns false when there
    /// is none or it is malformed (message() says which).
    bool loadFromProject();
    /// Reads a JSON file; false and *error (also shown on the page) when it cannot be used.
    bool loadFile(const QString &file, QString *error = nullptr);
    /// Parses JSON from SOURCE and shows it; false and *error when malformed.
    bool loadJson(const QByteArray &json, const QString &source, QString *error = nullptr);

    /// Writes the page (charts and table) as a PNG image.
    bool exportPng(const QString &file, QString *error = nullptr);
    /// Writes data,noise_kind,rate,flagged,flag_precision,variant,mean,std,min,max,runs (one row per rate and
    /// variant; runs separated by ';').
    bool exportCsv(const QString &file, QString *error = nullptr) const;

    const CleanEvalReport &report() const { return m_report; }
    /// Where the shown report came from ("" when none).
    QString source() const { return m_source; }
    /// The message shown instead of (or above) the charts: how to make a report, or an error.
    QString message() const;
    QTableWidget *table() const { return m_table; }
    QChart *barChart() const { return m_barChart; }
    QChart *lineChart() const { return m_lineChart; }
    /// Selects the noise rate shown in the bar chart (index into report().rates).
    void setBarRate(int index);

    // --- Run clean-eval (ui/reportpagerun.cpp) ---
    QPushButton *runButton() const { return m_run; }
    QPushButton *cancelRunButton() const { return m_cancelRun; }
    QPushButton *saveJsonButton() const { return m_saveJson; }
    /// Why "Run clean-eval…" is disabled ("" when it is enabled).
    QString runDisabledReason() const { return m_runWhy; }
    /// The dialog's starting values: the quick-run defaults on the project's data spec.
    CleanEvalParams defaultRunParams() const;
    /// Starts clean-eval with PARAMS on the window's job runner; false when one is running or
    /// there is nothing to run on (runDisabledReason()).
    bool runCleanEval(const CleanEvalParams &params);
    bool isRunning() const { return m_running; }
    /// Asks the running clean-eval to stop (it does within a second; runFinished follows).
    void cancelRun();
    /// The progress line under the buttons while a run goes on ("" when idle).
    QString runProgressText() const;
    /// The run summary lines at the top ("" when no project or run is open).
    QString runSummary() const;
    /// The shown report's JSON text (what "Save JSON…" writes; empty when none).
    QByteArray reportJson() const { return m_json; }
    /// Writes reportJson() to FILE (atomically); false and *error when it cannot.
    bool saveJson(const QString &file, QString *error = nullptr) const;

public Q_SLOTS:
    void openJsonDialog();
    void exportPngDialog();
    void exportCsvDialog();
    /// The "Run clean-eval…" dialog, then runCleanEval().
    void runCleanEvalDialog();
    void saveJsonDialog();
    /// Enables "Run clean-eval…" or disables it with the reason (tool tip and a line).
    void updateRunnable();

Q_SIGNALS:
    /// A run ended: OK with the report shown, else ERROR (CANCELLED when cancelled).
    void runFinished(bool ok, const QString &error, bool cancelled);

protected:
    /// Re-reads the project's report when `clean-eval --project` has written a new one meanwhile.
    void showEvent(QShowEvent *event) override;

private:
    void createRunControls(QHBoxLayout *bar, QVBoxLayout *layout); // ui/reportpagerun.cpp
    void createRunSummary(QVBoxLayout *layout);                    // ui/reportpagesummary.cpp
    void updateRunSummary();
    void onRunProgress(const labelscope::JobProgress &progress);
    void onRunDone(const Result<QJsonObject> &result, const QString &projectFile, double seconds);
    void showReport();
    void showMessage(const QString &text, bool error);
    void fillBarChart();
    void fillLineChart();
    void fillTable();

    ReviewSession *m_session;
    CleanEvalReport m_report;
    QString m_source;
    QString m_metaText; // the project's "clean_eval" as last read
    QLabel *m_title, *m_message;
    QLabel *m_runSummary = nullptr;
    QPushButton *m_open, *m_exportPng, *m_exportCsv;
    QComboBox *m_rateCombo;
    QWidget *m_content;
    QChart *m_barChart, *m_lineChart;
    QChartView *m_barView, *m_lineView;
    QTableWidget *m_table;
    QByteArray m_json; // the shown report's document
    // Run clean-eval
    QPushButton *m_run = nullptr, *m_cancelRun = nullptr, *m_saveJson = nullptr;
    QWidget *m_runRow = nullptr; // progress bar, text and Cancel while a run goes on
    QProgressBar *m_runBar = nullptr;
    QLabel *m_runText = nullptr, *m_runWhyLabel = nullptr;
    QString m_runWhy;
    bool m_running = false;
};

} // namespace labelscope::ui
