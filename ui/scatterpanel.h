#pragma once
// ScatterPanel: the review window's "Scatter" page — a ScatterView of the latest run's 2-D
// layout (ProjectStore::layout, kind "embedding", "trajectory" or "trajectory-class-K") with
// tool bars: layout kind, colour by (class, category, label ≠ suggested label, noise score,
// sub-cluster), pan / lasso / rectangle, compute the layout (t-SNE in the background, animated),
// fit; bulk relabel / exclude / CSV export / find similar of the selection; and a legend.
//
// Linking with the gallery: the scatter selection and the gallery's selection are kept equal
// both ways (through the gallery's QItemSelectionModel); points the gallery's filters hide are
// dimmed and cannot be selected. Decisions go through the main window's usual code (the panel
// only emits requests), so they are undoable and written at once like any other decision.

#include "jobs/layoutjob.h"
#include "jobs/subclusterjob.h"

#include <QColor>
#include <QVector>
#include <QWidget>

#include <functional>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QTimer;
class QToolButton;
class QAction;
class QMenu;
class QProgressBar;

namespace labelscope::ui {

class GalleryWidget;
class ReviewSession;
class ScatterView;
class ThumbnailLoader;

class ScatterPanel : public QWidget {
    Q_OBJECT
public:
    /// Subcluster: k-means sub-clusters of each class's embeddings (computed on first use).
    /// HealthIssue: the colour setHealthColors gives each sample (dataset health, issue 16).
    enum class ColorBy { Class, Category, Disagreement, NoiseScore, Subcluster, HealthIssue };

    ScatterPanel(ReviewSession *session, ThumbnailLoader *loader, GalleryWidget *gallery,
                 QWidget *parent = nullptr);
    ~ScatterPanel() override;

    ScatterView *view() const { return m_view; }
    QComboBox *kindCombo() const { return m_kindCombo; }
    QComboBox *colorCombo() const { return m_colorCombo; }

    /// Reads the layout of the chosen kind from the session's latest run. False (and the "no
    /// layout" page is shown) when the project has none.
    bool reloadLayout();
    bool hasLayout() const;
    /// The layout kind shown ("embedding", "trajectory").
    QString kind() const;
    void setColorBy(ColorBy by);
    /// While an analysis runs in this window, the empty page says its layouts are coming.
    void setAnalysisRunning(bool running);
    /// The colour of a sample (session index) under ColorBy::HealthIssue; invalid = no issue.
    void setHealthColors(std::function<QColor(int)> colorOf) { m_healthColor = std::move(colorOf); }
    /// Recolours the points (after the colours' source changed).
    void refreshColors() { recolor(); }

    /// Point index of sample ID, or -1; sample id of point I, or -1.
    int pointOfSample(qint64 id) const;
    qint64 sampleOfPoint(int i) const;
    /// Sample ids of the scatter selection, ascending.
    QVector<qint64> selectedSampleIds() const;
    /// Writes the selection as CSV (`id,path,given_label,label`); false and *error on failure.
    bool exportSelectionCsv(const QString &file, QString *error = nullptr) const;

    /// Starts computing the shown kind's layout with t-SNE off the GUI thread (stored in the
    /// project when done; shown as it converges while "Animate" is on). False if one is running
    /// or there is no run.
    bool computeLayout(const TsneParams &params = TsneParams());
    bool isComputing() const;
    /// True once the sub-clusters of the shown run are known (ColorBy::Subcluster).
    bool hasSubclusters() const;
    /// Cluster index within its class of sample ID, or -1.
    int subclusterOf(qint64 id) const;
    void cancelCompute();
    /// Shows the "Find similar" action (emits findSimilarRequested with the selection).
    void setFindSimilarAvailable(bool available);
    /// Selects the layout kind (adds a per-class trajectory kind on demand).
    void setKind(const QString &kind);

    /// The legend below the view; its class, category and sub-cluster entries are links.
    QLabel *legend() const { return m_legend; }
    /// What a click on a legend entry does. LINK "class:K" / "category:C" (Category as int):
    /// sets the gallery's class / category filter to it (which dims the other points), or
    /// clears that filter when it is already set; "subcluster:C": selects the points of
    /// sub-cluster C of the class in the gallery's class filter (linked with the gallery).
    /// False for an unknown link.
    bool activateLegendEntry(const QString &link);

Q_SIGNALS:
    void relabelRequested(int label);
    void excludeRequested();
    /// Emitted with the selected ids when the user asks for samples similar to the selection.
    void findSimilarRequested(const QVector<qint64> &sampleIds);
    /// A computeLayout() ended: OK, or MESSAGE says why not ("cancelled" when cancelled).
    void layoutComputed(bool ok, const QString &message);

private:
    void rebuildClassMenu();
    void recolor();
    void updateLegend();
    void scheduleMaskUpdate();
    void updateMask();
    void pushSelectionToGallery();
    void pullSelectionFromGallery();
    void updateCountLabel();
    void onHover(int point);
    void onThumbnailReady(qint64 sampleId);
    void exportSelectionDialog();
    void rebuildKinds();
    void showLayout(std::vector<qint64> ids, std::vector<float> xy);
    void onComputeFinished(const Result<LayoutJobResult> &result);
    void onComputeProgress(int iteration, int iterations, const QString &stage, std::vector<qint64> ids,
                           std::vector<float> xy);
    void updateComputeUi();
    void startSubclusters();

    ReviewSession *m_session;
    ThumbnailLoader *m_loader;
    GalleryWidget *m_gallery;
    ScatterView *m_view;
    QStackedWidget *m_stack;
    QLabel *m_emptyLabel;
    QComboBox *m_kindCombo, *m_colorCombo;
    QLabel *m_legend, *m_countLabel;
    QToolButton *m_relabelButton;
    QMenu *m_relabelMenu;
    QAction *m_excludeAction, *m_exportAction, *m_similarAction;
    QTimer *m_maskTimer;
    QPushButton *m_computeButton;
    QAction *m_computeAction, *m_animateAction;
    QProgressBar *m_progress;
    QPushButton *m_cancelButton;
    QLabel *m_status;
    std::shared_ptr<std::atomic_bool> m_animateFlag; // read by the job's thread
    QString m_jobKind;
    bool m_animating = false;  // the view shows an unfinished layout
    bool m_computing = false;  // from computeLayout() until the job's result is handled
    ClassSubclusters m_sub;    // valid when m_sub.file/runId match the session and m_subError is empty
    QString m_subError;        // why the sub-clusters of m_sub.file/runId failed
    bool m_subRunning = false;
    std::vector<int> m_pointSession;   // [N] session index of each point, -1 if unknown
    std::vector<int> m_sessionPoint;   // [session count] point index, -1 if not in the layout
    std::vector<qint64> m_pointIds;    // [N]
    QString m_layoutFile;
    qint64 m_layoutRun = -1;
    QString m_layoutKind;
    bool m_syncing = false;
    bool m_galleryGone = false;
    qint64 m_hoverId = -1;
    ColorBy m_colorBy = ColorBy::Class;
    std::function<QColor(int)> m_healthColor;
    bool m_analysisRunning = false;
};

} // namespace labelscope::ui
