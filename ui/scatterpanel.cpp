#include "scatterpanel.h"
#include "scatterpanel_p.h"

#include "healthmodel.h"

#include "exporter.h"
#include "exportrunner.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "reviewsession.h"
#include "scatterview.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include "base/savefile.h"
#include "jobs/jobrunner.h"

#include <QAction>
#include <QActionGroup>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QItemSelection>
#include <QLabel>
#include <QListView>
#include <QMainWindow>
#include <QMenu>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <memory>

namespace labelscope::ui {

namespace {
struct SelectionExport {
    QStringList classes;
    std::vector<SampleRow> rows;
};

ExportResult writeSelectionCsv(const SelectionExport &sel, const QString &file, ExportStatus *status)
{
    ExportResult result;
    if (status)
        status->total = qint64(sel.rows.size());
    // Checked writes: a full disk or a failed rename is an error shown to the user; the old file
    // stays and no temporary is left.
    AtomicFileWriter out(file);
    if (Result<> opened = out.open(); !opened) {
        result.error = opened.error();
        return result;
    }
    QByteArray buffer("id,path,given_label,label\n");
    for (const SampleRow &r : sel.rows) {
        if (status && status->cancel.load()) {
            result.cancelled = true;
            return result;
        }
        buffer += (QString::number(r.id) + QLatin1Char(',') + csvField(samplePath(r.sample)) + QLatin1Char(',')
                   + csvField(r.givenLabel >= 0 ? className(sel.classes, r.givenLabel) : QString()) + QLatin1Char(',')
                   + csvField(r.label >= 0 ? className(sel.classes, r.label) : QString()) + QLatin1Char('\n'))
                      .toUtf8();
        if (buffer.size() >= (1 << 16)) {
            out.write(buffer);
            buffer.clear();
        }
        ++result.written;
        if (status)
            ++status->done;
    }
    out.write(buffer);
    if (Result<> committed = out.commit(); !committed) {
        result.error = committed.error();
        return result;
    }
    result.ok = true;
    return result;
}
} // namespace

ScatterPanel::ScatterPanel(ReviewSession *session, ThumbnailLoader *loader, GalleryWidget *gallery,
                           QWidget *parent)
    : QWidget(parent), m_session(session), m_loader(loader), m_gallery(gallery)
{
    setObjectName(QStringLiteral("scatterPanel"));
    m_view = new ScatterView(this);

    auto *viewBar = new QToolBar(this);
    QToolBar *bar = viewBar;
    bar->setIconSize(QSize(16, 16));
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    bar->addWidget(new QLabel(tr("Layout:"), bar));
    m_kindCombo = new QComboBox(bar);
    m_kindCombo->setObjectName(QStringLiteral("scatterKind"));
    m_kindCombo->setToolTip(tr("Which 2-D layout of the latest analysis run to show: t-SNE of the "
                               "embeddings, of every sample's σ trajectory over the epochs, or of "
                               "one class's trajectories"));
    m_kindCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_kindCombo->setMinimumContentsLength(26);
    bar->addWidget(m_kindCombo);
    bar->addWidget(new QLabel(tr(" Colour:"), bar));
    m_colorCombo = new QComboBox(bar);
    m_colorCombo->setObjectName(QStringLiteral("scatterColor"));
    m_colorCombo->addItem(tr("Class"), int(ColorBy::Class));
    m_colorCombo->addItem(tr("Category"), int(ColorBy::Category));
    m_colorCombo->addItem(tr("Label \u2260 suggested"), int(ColorBy::Disagreement));
    m_colorCombo->addItem(tr("Noise score"), int(ColorBy::NoiseScore));
    m_colorCombo->addItem(tr("Sub-cluster (k-means per class)"), int(ColorBy::Subcluster));
    m_colorCombo->addItem(tr("Health issue"), int(ColorBy::HealthIssue));
    bar->addWidget(m_colorCombo);
    bar->addSeparator();

    auto *tools = new QActionGroup(this);
    auto addTool = [&](const QString &text, const QString &tip, ScatterView::Tool tool) {
        QAction *a = bar->addAction(text);
        a->setToolTip(tip);
        a->setCheckable(true);
        a->setActionGroup(tools);
        connect(a, &QAction::triggered, this, [this, tool] { m_view->setTool(tool); });
        return a;
    };
    addTool(tr("Pan"), tr("Drag to pan (the middle button pans with any tool); wheel zooms"),
            ScatterView::Tool::Pan);
    addTool(tr("Lasso"), tr("Drag around points to select them; Shift adds, Ctrl removes"),
            ScatterView::Tool::Lasso)
        ->setChecked(true);
    addTool(tr("Rectangle"), tr("Drag a rectangle to select; Shift adds, Ctrl removes"),
            ScatterView::Tool::Rectangle);
    m_view->setTool(ScatterView::Tool::Lasso);
    m_computeAction = bar->addAction(tr("Compute layout"));
    m_computeAction->setToolTip(tr("Compute this layout with t-SNE (in the background) and store it in "
                                   "the project"));
    connect(m_computeAction, &QAction::triggered, this, [this] { computeLayout(); });
    m_animateAction = bar->addAction(tr("Animate"));
    m_animateAction->setCheckable(true);
    m_animateAction->setChecked(true);
    m_animateAction->setToolTip(tr("Show the layout while t-SNE converges"));
    m_animateFlag = std::make_shared<std::atomic_bool>(true);
    connect(m_animateAction, &QAction::toggled, this, [this](bool on) { m_animateFlag->store(on); });
    QAction *fit = bar->addAction(tr("Fit"));
    fit->setToolTip(tr("Show all points (F)"));
    connect(fit, &QAction::triggered, m_view, &ScatterView::fitToView);
    bar->addSeparator();

    // Second row: what to do with the selection.
    auto *selectionBar = new QToolBar(this);
    selectionBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    bar = selectionBar;
    m_relabelMenu = new QMenu(this);
    m_relabelButton = new QToolButton(bar);
    m_relabelButton->setObjectName(QStringLiteral("scatterRelabel"));
    m_relabelButton->setText(tr("Relabel selection"));
    m_relabelButton->setPopupMode(QToolButton::InstantPopup);
    m_relabelButton->setMenu(m_relabelMenu);
    bar->addWidget(m_relabelButton);
    m_excludeAction = bar->addAction(tr("Exclude"));
    m_excludeAction->setToolTip(tr("Exclude the selected samples from the cleaned dataset"));
    connect(m_excludeAction, &QAction::triggered, this, &ScatterPanel::excludeRequested);
    m_exportAction = bar->addAction(tr("Export CSV\u2026"));
    m_exportAction->setToolTip(tr("Write the selected samples' ids and paths to a CSV file"));
    connect(m_exportAction, &QAction::triggered, this, &ScatterPanel::exportSelectionDialog);
    m_similarAction = bar->addAction(tr("Find similar"));
    m_similarAction->setToolTip(tr("Show the samples nearest to the selection's mean embedding"));
    connect(m_similarAction, &QAction::triggered, this,
            [this] { Q_EMIT findSimilarRequested(selectedSampleIds()); });
    m_similarAction->setVisible(false); // shown once the window wires a similarity search

    m_countLabel = new QLabel(this);
    m_countLabel->setObjectName(QStringLiteral("scatterCount"));
    m_legend = new QLabel(this);
    m_legend->setObjectName(QStringLiteral("scatterLegend"));
    m_legend->setWordWrap(true);
    m_legend->setTextFormat(Qt::RichText);
    m_legend->setTextInteractionFlags(Qt::LinksAccessibleByMouse);
    m_legend->setOpenExternalLinks(false);
    m_legend->setToolTip(tr("Click a class, category or sub-cluster to show only it (click again: all)"));
    connect(m_legend, &QLabel::linkActivated, this, [this](const QString &link) { activateLegendEntry(link); });

    auto *emptyPage = new QWidget(this);
    m_emptyLabel = new QLabel(emptyPage);
    m_emptyLabel->setObjectName(QStringLiteral("scatterEmpty"));
    m_emptyLabel->setAlignment(Qt::AlignCenter);
    m_emptyLabel->setWordWrap(true);
    m_computeButton = new QPushButton(tr("Compute layout"), emptyPage);
    m_computeButton->setObjectName(QStringLiteral("scatterCompute"));
    connect(m_computeButton, &QPushButton::clicked, this, [this] { computeLayout(); });
    auto *emptyLayout = new QVBoxLayout(emptyPage);
    emptyLayout->addStretch(1);
    emptyLayout->addWidget(m_emptyLabel);
    emptyLayout->addWidget(m_computeButton, 0, Qt::AlignHCenter);
    emptyLayout->addStretch(1);
    m_stack = new QStackedWidget(this);
    m_stack->addWidget(emptyPage);
    m_stack->addWidget(m_view);

    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("scatterProgress"));
    m_progress->setMaximumWidth(220);
    m_progress->setTextVisible(true);
    m_cancelButton = new QPushButton(tr("Cancel"), this);
    connect(m_cancelButton, &QPushButton::clicked, this, &ScatterPanel::cancelCompute);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("scatterStatus"));

    auto *foot = new QHBoxLayout;
    foot->setContentsMargins(6, 0, 6, 2);
    foot->addWidget(m_legend, 1);
    foot->addWidget(m_status);
    foot->addWidget(m_progress);
    foot->addWidget(m_cancelButton);
    selectionBar->addSeparator();
    selectionBar->addWidget(m_countLabel);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(viewBar);
    layout->addWidget(selectionBar);
    layout->addWidget(m_stack, 1);
    layout->addLayout(foot);

    m_maskTimer = new QTimer(this);
    m_maskTimer->setSingleShot(true);
    m_maskTimer->setInterval(0);
    connect(m_maskTimer, &QTimer::timeout, this, &ScatterPanel::updateMask);

    connect(m_kindCombo, &QComboBox::currentIndexChanged, this, [this] {
        // One class's trajectories are read by category (as the Data Parameters enrichment
        // write-up shows them): every point there has the same class colour.
        if (layoutKindClass(kind()) >= 0 && m_colorBy == ColorBy::Class)
            setColorBy(ColorBy::Category);
        reloadLayout();
    });
    connect(m_colorCombo, &QComboBox::currentIndexChanged, this,
            [this] { setColorBy(ColorBy(m_colorCombo->currentData().toInt())); });
    connect(m_view, &ScatterView::selectionEdited, this, &ScatterPanel::pushSelectionToGallery);
    connect(m_view, &ScatterView::pointHovered, this, &ScatterPanel::onHover);
    connect(m_loader, &ThumbnailLoader::thumbnailReady, this, &ScatterPanel::onThumbnailReady);

    GalleryModel *model = m_gallery->model();
    connect(model, &QAbstractItemModel::modelReset, this, &ScatterPanel::scheduleMaskUpdate);
    connect(model, &QAbstractItemModel::layoutChanged, this, &ScatterPanel::scheduleMaskUpdate);
    connect(model, &QAbstractItemModel::rowsInserted, this, &ScatterPanel::scheduleMaskUpdate);
    connect(model, &QAbstractItemModel::rowsRemoved, this, &ScatterPanel::scheduleMaskUpdate);
    connect(m_gallery->view()->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ScatterPanel::pullSelectionFromGallery);
    // The window tears the gallery down first (it was created first); its model goes before
    // its view. Stop listening to either as soon as that starts.
    connect(model, &QObject::destroyed, this, [this] {
        m_galleryGone = true;
        m_maskTimer->stop();
        m_gallery->view()->selectionModel()->disconnect(this);
    });
    connect(m_session, &ReviewSession::reloaded, this, [this] {
        rebuildClassMenu();
        rebuildKinds();
        reloadLayout();
    });
    connect(m_session, &ReviewSession::samplesChanged, this, [this] {
        if (m_colorBy == ColorBy::Class || m_colorBy == ColorBy::Disagreement) // both read the label
            recolor();
    });
    rebuildClassMenu();
    rebuildKinds();
    reloadLayout();
    updateComputeUi();
}

ScatterPanel::~ScatterPanel()
{
    // The layout job's preview calls back into this panel: wait for it (it stops within a second).
    JobRunner *jobs = jobRunnerFor(this);
    jobs->cancelAndWait(kLayoutJob);
    jobs->cancel(kSubclusterJob);
    if (m_galleryGone)
        return;
    m_gallery->view()->selectionModel()->disconnect(this);
    m_gallery->model()->disconnect(this);
}

void ScatterPanel::rebuildClassMenu()
{
    m_relabelMenu->clear();
    const QStringList &classes = m_session->classes();
    for (int k = 0; k < classes.size(); ++k) {
        const QString key = k < 9 ? QString::number(k + 1) : (k == 9 ? QStringLiteral("0") : QString());
        QAction *a = m_relabelMenu->addAction(key.isEmpty() ? classes.at(k)
                                                            : QStringLiteral("%1  %2").arg(key, classes.at(k)));
        connect(a, &QAction::triggered, this, [this, k] { Q_EMIT relabelRequested(k); });
    }
}

QString ScatterPanel::kind() const { return m_kindCombo->currentData().toString(); }

bool ScatterPanel::hasLayout() const { return m_stack->currentWidget() == m_view; }

void ScatterPanel::rebuildKinds()
{
    const QString previous = kind();
    const QSignalBlocker block(m_kindCombo);
    m_kindCombo->clear();
    m_kindCombo->addItem(tr("Embeddings (t-SNE)"), QStringLiteral("embedding"));
    m_kindCombo->addItem(tr("Training dynamics (t-SNE of \u03c3 over epochs)"), QStringLiteral("trajectory"));
    const QStringList &classes = m_session->classes();
    for (int k = 0; k < classes.size(); ++k)
        m_kindCombo->addItem(tr("Training dynamics of class \u201c%1\u201d").arg(classes.at(k)),
                             classTrajectoryKind(k));
    const int at = m_kindCombo->findData(previous);
    m_kindCombo->setCurrentIndex(at < 0 ? 0 : at);
}

void ScatterPanel::setKind(const QString &kind)
{
    const int at = m_kindCombo->findData(kind);
    if (at >= 0)
        m_kindCombo->setCurrentIndex(at);
}

void ScatterPanel::setAnalysisRunning(bool running)
{
    if (running == m_analysisRunning)
        return;
    m_analysisRunning = running;
    if (!hasLayout())
        reloadLayout();
}

bool ScatterPanel::reloadLayout()
{
    const QString kind = this->kind();
    std::optional<Layout> layout;
    if (m_session->isOpen() && m_session->runId() > 0)
        layout = m_session->store()->layout(m_session->runId(), kind);
    m_animating = false;
    if (!layout || layout->sampleIds.empty() || layout->xy.size() != layout->sampleIds.size() * 2) {
        m_pointSession.clear();
        m_pointIds.clear();
        m_view->setPoints({});
        QString text;
        if (!m_session->isOpen())
            text = tr("No project is open.");
        else if (m_session->runId() <= 0 && m_analysisRunning)
            text = tr("The analysis is running: its 2-D layouts appear here when its run is saved.");
        else if (m_session->runId() <= 0)
            text = tr("This project has no analysis run yet, so there is no 2-D layout to show.\n"
                      "Run File \u203A New analysis first.");
        else
            text = tr("The latest analysis run (%1) has no \u201c%2\u201d layout yet.\n"
                      "\u201clabelscope analyze\u201d stores layouts; or compute it here (t-SNE, in the background).")
                       .arg(m_session->runId())
                       .arg(m_kindCombo->currentText());
        m_emptyLabel->setText(text);
        m_stack->setCurrentIndex(0);
        m_layoutRun = -1;
        updateCountLabel();
        updateComputeUi();
        m_legend->clear();
        return false;
    }
    m_layoutRun = m_session->runId();
    m_layoutKind = kind;
    showLayout(std::move(layout->sampleIds), std::move(layout->xy));
    updateComputeUi();
    return true;
}

void ScatterPanel::showLayout(std::vector<qint64> ids, std::vector<float> xy)
{
    const std::size_t n = ids.size();
    m_sessionPoint.assign(std::size_t(std::max(0, m_session->count())), -1);
    m_pointSession.resize(n);
    m_pointIds = std::move(ids);
    for (std::size_t i = 0; i < n; ++i) {
        const int s = m_session->indexOf(m_pointIds[i]);
        m_pointSession[i] = s;
        if (s >= 0)
            m_sessionPoint[std::size_t(s)] = int(i);
    }
    m_view->setPoints(std::move(xy));
    m_stack->setCurrentWidget(m_view);
    recolor();
    updateMask();
    pullSelectionFromGallery();
}

void ScatterPanel::setFindSimilarAvailable(bool available) { m_similarAction->setVisible(available); }

bool ScatterPanel::hasSubclusters() const
{
    return !m_subRunning && m_subError.isEmpty() && m_sub.runId > 0 && m_sub.runId == m_session->runId()
        && m_sub.file == m_session->fileName();
}

int ScatterPanel::subclusterOf(qint64 id) const
{
    if (!hasSubclusters())
        return -1;
    const auto it = m_sub.clusterOf.find(id);
    return it == m_sub.clusterOf.end() ? -1 : it->second;
}

void ScatterPanel::scheduleMaskUpdate()
{
    if (!m_maskTimer->isActive())
        m_maskTimer->start();
}

void ScatterPanel::updateMask()
{
    const std::size_t n = m_pointSession.size();
    if (n == 0)
        return;
    GalleryModel *model = m_gallery->model();
    std::vector<std::uint8_t> mask(n, 0);
    for (std::size_t i = 0; i < n; ++i)
        mask[i] = m_pointSession[i] >= 0 && model->rowOfSample(m_pointIds[i]) >= 0;
    m_view->setSelectable(std::move(mask));
    updateCountLabel();
    if (m_colorBy == ColorBy::Subcluster)
        updateLegend(); // the legend follows the gallery's class filter
}

int ScatterPanel::pointOfSample(qint64 id) const
{
    const int s = m_session->indexOf(id);
    return s < 0 || s >= int(m_sessionPoint.size()) ? -1 : m_sessionPoint[std::size_t(s)];
}

qint64 ScatterPanel::sampleOfPoint(int i) const
{
    return i < 0 || i >= int(m_pointIds.size()) ? -1 : m_pointIds[std::size_t(i)];
}

QVector<qint64> ScatterPanel::selectedSampleIds() const
{
    QVector<qint64> ids;
    ids.reserve(qsizetype(m_view->selection().size()));
    for (int i : m_view->selection())
        ids.push_back(m_pointIds[std::size_t(i)]);
    std::sort(ids.begin(), ids.end());
    return ids;
}

void ScatterPanel::pushSelectionToGallery()
{
    GalleryModel *model = m_gallery->model();
    QItemSelectionModel *sm = m_gallery->view()->selectionModel();
    std::vector<int> rows;
    rows.reserve(m_view->selection().size());
    for (int i : m_view->selection()) {
        const int r = model->rowOfSample(m_pointIds[std::size_t(i)]);
        if (r >= 0)
            rows.push_back(r);
    }
    std::sort(rows.begin(), rows.end());
    m_syncing = true;
    if (rows.empty()) {
        sm->clearSelection();
    } else if (rows.size() == 1) {
        m_gallery->setCurrentSample(model->sampleIdAt(rows.front()));
    } else {
        // One range per run of consecutive rows: cheap for the selection model.
        QItemSelection sel;
        std::size_t a = 0;
        while (a < rows.size()) {
            std::size_t b = a;
            while (b + 1 < rows.size() && rows[b + 1] == rows[b] + 1)
                ++b;
            sel.append(QItemSelectionRange(model->index(rows[a]), model->index(rows[b])));
            a = b + 1;
        }
        sm->select(sel, QItemSelectionModel::ClearAndSelect);
        const QModelIndex first = model->index(rows.front());
        sm->setCurrentIndex(first, QItemSelectionModel::NoUpdate);
        m_gallery->view()->scrollTo(first);
    }
    m_syncing = false;
    updateCountLabel();
}

void ScatterPanel::pullSelectionFromGallery()
{
    if (m_syncing || m_pointSession.empty()) {
        updateCountLabel();
        return;
    }
    const QVector<qint64> ids = m_gallery->selectedSampleIds();
    std::vector<int> points;
    points.reserve(std::size_t(ids.size()));
    for (qint64 id : ids) {
        const int p = pointOfSample(id);
        if (p >= 0)
            points.push_back(p);
    }
    m_view->setSelection(std::move(points));
    updateCountLabel();
}

void ScatterPanel::updateCountLabel()
{
    const int n = m_view->pointCount();
    const int sel = int(m_view->selection().size());
    m_countLabel->setText(n == 0 ? QString() : tr("%L1 points, %L2 selected").arg(n).arg(sel));
    m_relabelButton->setEnabled(sel > 0);
    m_excludeAction->setEnabled(sel > 0);
    m_exportAction->setEnabled(sel > 0);
    m_similarAction->setEnabled(sel > 0);
    m_relabelButton->setText(sel > 1 ? tr("Relabel %L1 selected").arg(sel) : tr("Relabel selection"));
}

void ScatterPanel::onHover(int point)
{
    m_hoverId = -1;
    if (point < 0)
        return;
    const int s = m_pointSession[std::size_t(point)];
    if (s < 0)
        return;
    const SampleRow &r = m_session->row(s);
    m_hoverId = r.id;
    const QStringList &classes = m_session->classes();
    QString text = tr("#%1  given: %2").arg(r.id).arg(className(classes, r.givenLabel));
    if (r.label != r.givenLabel)
        text += tr(", now: %1").arg(className(classes, r.label));
    if (r.excluded)
        text += tr(" (excluded)");
    if (const SampleScore *sc = m_session->score(s))
        text += tr("\npredicted: %1 (%2%)\nnoise %3 \u2014 %4")
                    .arg(className(classes, sc->predLabel))
                    .arg(sc->predProb * 100.0, 0, 'f', 0)
                    .arg(double(sc->noiseScore), 0, 'f', 2)
                    .arg(categoryLabel(sc->category));
    m_view->setHoverInfo(point, m_loader->thumbnail(r.id, r.sample), text);
}

void ScatterPanel::onThumbnailReady(qint64 sampleId)
{
    if (sampleId == m_hoverId && m_view->hoveredPoint() >= 0)
        onHover(m_view->hoveredPoint());
}

bool ScatterPanel::exportSelectionCsv(const QString &file, QString *error) const
{
    SelectionExport sel;
    sel.classes = m_session->classes();
    for (qint64 id : selectedSampleIds()) {
        const int s = m_session->indexOf(id);
        if (s >= 0)
            sel.rows.push_back(m_session->row(s));
    }
    const ExportResult r = writeSelectionCsv(sel, file, nullptr);
    if (!r.ok && error)
        *error = r.error;
    return r.ok;
}

void ScatterPanel::exportSelectionDialog()
{
    if (m_view->selection().empty())
        return;
    const QFileInfo project(m_session->fileName());
    const QString suggested =
        project.absoluteDir().filePath(project.completeBaseName() + QStringLiteral("-selection.csv"));
    const QString file = QFileDialog::getSaveFileName(this, tr("Export selection"), suggested,
                                                      tr("CSV files (*.csv)"));
    if (file.isEmpty())
        return;
    auto *mainWindow = qobject_cast<QMainWindow *>(window());
    if (!mainWindow) { // not inside the review window: write synchronously
        QString error;
        if (!exportSelectionCsv(file, &error))
            m_countLabel->setText(error);
        return;
    }
    auto sel = std::make_shared<SelectionExport>();
    sel->classes = m_session->classes();
    for (qint64 id : selectedSampleIds()) {
        const int s = m_session->indexOf(id);
        if (s >= 0)
            sel->rows.push_back(m_session->row(s));
    }
    runExportWithProgress(mainWindow,
                          tr("Writing %1\u2026").arg(QFileInfo(file).fileName()),
                          [sel, file](ExportStatus *st) { return writeSelectionCsv(*sel, file, st); },
                          tr("rows"));
}

} // namespace labelscope::ui
