#pragma once
// MainWindow: start page, or the review page — gallery / per-class rows on the left, labelling
// panel on the right — with File / Edit / Review menus, the analysis progress and the category
// counts in the status bar. Decisions are written at once through ReviewSession.

#include "base/projectstore.h"
#include "ml/analysis.h"
#include "ml/pretrain.h"

#include <QMainWindow>
#include <QPointer>
#include <QVector>

#include <algorithm>
#include <optional>
#include <vector>

class QAction;
class QLabel;
class QListWidget;
class QMenu;
class QPushButton;
class QSplitter;
class QStackedWidget;
class QTabWidget;

namespace labelscope::ui {

class AnalysisProgressWidget;
class ClassRowsView;
class ConfidentJointView;
class OverlappingClassesView;
class GalleryWidget;
class HealthFilterBar;
class HealthModel;
class HealthPage;
class LabellingPanel;
class ReportPage;
class ReviewProgressBar;
class ClassPicker;
class ClassesDialog;
class SessionSummaryDialog;
class ReviewSession;
class ScatterPanel;
class SimilaritySearch;
class StatisticsPage;
class ThumbnailLoader;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Opens FILE; on failure shows the start page and returns false with *error.
    bool openProject(const QString &file, QString *error = nullptr);

    ReviewSession *session() const { return m_session; }
    GalleryWidget *gallery() const { return m_gallery; }
    LabellingPanel *panel() const { return m_panel; }
    ClassRowsView *classRows() const { return m_rows; }
    ConfidentJointView *confidentJoint() const { return m_joint; }
    OverlappingClassesView *overlappingClasses() const { return m_overlapping; }
    ReportPage *report() const { return m_report; }
    ScatterPanel *scatter() const { return m_scatter; }
    StatisticsPage *statistics() const { return m_statistics; }
    /// Dataset health (ui/healthpage.h, set up in ui/mainwindowhealth.cpp).
    HealthModel *healthModel() const { return m_healthModel; }
    HealthPage *healthPage() const { return m_healthPage; }
    HealthFilterBar *healthFilter() const { return m_healthFilter; }
    SimilaritySearch *similarity() const { return m_similar; }
    QTabWidget *tabs() const { return m_tabs; }
    AnalysisProgressWidget *analysisProgress() const { return m_analysis; }
    ReviewProgressBar *reviewProgress() const { return m_progress; }
    SessionSummaryDialog *sessionSummary() const { return m_summary; }
    ClassPicker *classPicker() const { return m_picker; }
    ClassesDialog *classesDialog() const { return m_classes; }
    ThumbnailLoader *thumbnailLoader() const { return m_loader; }
    /// True while the start page is shown.
    bool isStartPageShown() const;

    enum class DecisionKind { Relabel, Accept, Exclude, AcceptSuggestion };
    /// Applies a decision to the selection (several selected) or to the shown sample, then opens
    /// the next sample in gallery order. Returns false when nothing was written.
    bool decide(DecisionKind kind, int label = -1);
    /// A decision on more selected samples than this asks first ("Relabel 6,502 samples as
    /// Trouser?", with the count per current class); 0 asks for every bulk decision.
    int bulkConfirmThreshold() const { return m_bulkConfirmThreshold; }
    void setBulkConfirmThreshold(int samples) { m_bulkConfirmThreshold = std::max(0, samples); }
    /// The confirmation's question and (DETAILS) the count per current class.
    QString bulkQuestion(DecisionKind kind, int label, const std::vector<labelscope::Decision> &decisions,
                         QString *details = nullptr) const;

public Q_SLOTS:
    void openProjectDialog();
    void newAnalysisDialog();
    void exportCsvDialog();
    void exportImageFolderDialog();
    /// Review › Session summary (Ctrl+I): progress, pace, rates down the ranked list, estimate.
    void showSessionSummary();
    /// L: the type-ahead class picker for the shown sample or the selection.
    void pickClass();
    /// Review › Classes: add, rename, merge.
    void showClassesDialog();
    void next();
    void previous();
    /// Starts an analysis directly (the dialog calls this); with PRETRAIN, the pretrain job first
    /// and the analysis on its encoder (AnalysisProgressWidget::start).
    bool startAnalysis(const labelscope::AnalysisParams &params,
                       const std::optional<labelscope::PretrainParams> &pretrain = std::nullopt);
    /// `labelscope analyze --open` (ui/mainwindowanalysis.cpp): starts PARAMS' analysis in this
    /// window and shows its project as early as it can: an existing project at once, a new one
    /// as soon as its samples are imported (until then the start page says what is coming); the
    /// verdicts, scatter and statistics fill in when the run is saved. Progress and Cancel are in
    /// the status bar. False when an analysis is already running.
    bool analyseAndOpen(const labelscope::AnalysisParams &params);
    /// The start page's line about the analysis whose project will open ("" when none).
    QString startPageNote() const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    QWidget *createStartPage();
    QWidget *createReviewPage();
    void createHealthPage(); // ui/mainwindowhealth.cpp
    void createTeamActions(); // ui/mainwindowteam.cpp: shared projects (issue 18)

public:
    /// Claims the next COUNT flagged samples (most likely wrong first) that nobody else holds
    /// and shows only them in the gallery; returns their ids (ui/mainwindowteam.cpp).
    std::vector<qint64> claimBatch(int count);
    /// Agreement between annotators and the conflict queue (core/base/agreement.h).
    void showAgreement();
    /// Shows only IDS in the gallery (claims, conflicts), the first one current.
    void showSamples(const QVector<qint64> &ids);

private:
    void rebuildClassActions();
    void updateActions();
    void updateCounts();
    void updateTitle();
    void showSample(qint64 id);
    void onUndoRedo(const QVector<qint64> &ids);
    bool confirmBulk(DecisionKind kind, int label, const std::vector<labelscope::Decision> &decisions);
    void onAnalysisFinished(const labelscope::AnalysisResult &result, const QString &file);
    void onAnalysisFailed(const QString &error, const QString &file);
    void onAnalysisCancelled();                                   // ui/mainwindowanalysis.cpp
    void onEncoderReady(const labelscope::PretrainResult &result); // ui/mainwindowanalysis.cpp
    void showStartPageNote(const QString &text); // ui/mainwindowanalysis.cpp
    void openImportedProject(const QString &file);
    void addRecent(const QString &file);
    void refreshRecent();

    ReviewSession *m_session;
    ThumbnailLoader *m_loader;
    QStackedWidget *m_stack;
    QWidget *m_startPage = nullptr;
    QListWidget *m_recent = nullptr;
    QTabWidget *m_tabs = nullptr;
    GalleryWidget *m_gallery = nullptr;
    ClassRowsView *m_rows = nullptr;
    LabellingPanel *m_panel = nullptr;
    ConfidentJointView *m_joint = nullptr;
    OverlappingClassesView *m_overlapping = nullptr;
    ReportPage *m_report = nullptr;
    ScatterPanel *m_scatter = nullptr;
    StatisticsPage *m_statistics = nullptr;
    SimilaritySearch *m_similar = nullptr;
    HealthModel *m_healthModel = nullptr;
    HealthPage *m_healthPage = nullptr;
    HealthFilterBar *m_healthFilter = nullptr;
    QPushButton *m_showAll = nullptr; // ends a "Find similar" ranking of the gallery
    QSplitter *m_splitter = nullptr;
    AnalysisProgressWidget *m_analysis;
    QLabel *m_startNote = nullptr; // the analysis whose project opens here (analyseAndOpen)
    QPointer<QObject> m_openWatch; // context of analyseAndOpen's connections; deleted when its run ends
    QLabel *m_counts;
    ReviewProgressBar *m_progress = nullptr;
    SessionSummaryDialog *m_summary = nullptr; // created on first use, child of the window
    ClassPicker *m_picker = nullptr;
    ClassesDialog *m_classes = nullptr;
    QAction *m_pickClass = nullptr;
    QMenu *m_labelMenu = nullptr;
    QAction *m_exportCsv = nullptr, *m_exportFolder = nullptr, *m_next = nullptr, *m_prev = nullptr,
            *m_keep = nullptr, *m_exclude = nullptr, *m_acceptSuggestion = nullptr,
            *m_undo = nullptr, *m_redo = nullptr;
    QVector<QAction *> m_classActions;
    int m_bulkConfirmThreshold = 50;
};

} // namespace labelscope::ui
