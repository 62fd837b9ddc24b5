#include "mainwindow.h"

#include "activelearningpanel.h"
#include "analysisdialog.h"
#include "classpicker.h"
#include "classrowsview.h"
#include "confidentjointview.h"
#include "exportdialog.h"
#include "exporter.h"
#include "exportrunner.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "labellingpanel.h"
#include "overlappingclassesview.h"
#include "reportpage.h"
#include "reviewprogresswidget.h"
#include "reviewsession.h"
#include "scatterpanel.h"
#include "similaritysearch.h"
#include "evidencepanel.h"
#include "statisticspage.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QListView>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QUndoStack>
#include <QVBoxLayout>

#include <memory>

namespace labelscope::ui {

namespace {
constexpr int kThumbnailSide = 84; // 3 × 28: MNIST-size images stay crisp
const char *const kProjectFilter = "Labelscope projects (*.lsproj *.sqlite *.db);;All files (*)";


bool sameFile(const QString &a, const QString &b)
{
    const QFileInfo fa(a), fb(b);
    const QString ca = fa.canonicalFilePath(), cb = fb.canonicalFilePath();
    return !ca.isEmpty() ? ca == cb : fa.absoluteFilePath() == fb.absoluteFilePath();
}
} // namespace

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("labelscopeMainWindow"));
    m_session = new ReviewSession(this);
    m_loader = new ThumbnailLoader(this);
    m_loader->setThumbnailSize(kThumbnailSide);

    m_stack = new QStackedWidget(this);
    m_startPage = createStartPage();
    m_stack->addWidget(m_startPage);
    m_stack->addWidget(createReviewPage());
    setCentralWidget(m_stack);
    refreshRecent();

    m_analysis = new AnalysisProgressWidget(this);
    m_counts = new QLabel(this);
    m_counts->setObjectName(QStringLiteral("categoryCounts"));
    m_counts->setMinimumWidth(60); // may be cut, never widens the window (its tool tip has it all)
    m_progress = new ReviewProgressBar(m_session, this);
    // Permanent: a status message (e.g. "Analysis started…") must not hide the progress and Cancel.
    statusBar()->addPermanentWidget(m_analysis);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_counts);
    // The scatter page's empty text says while a run is coming (setAnalysisRunning(true) in startAnalysis).
    const auto ended = [this] { m_scatter->setAnalysisRunning(false); };
    connect(m_analysis, &AnalysisProgressWidget::finished, this, ended);
    connect(m_analysis, &AnalysisProgressWidget::failed, this, ended);
    connect(m_analysis, &AnalysisProgressWidget::cancelled, this, ended);
    connect(m_analysis, &AnalysisProgressWidget::finished, this, &MainWindow::onAnalysisFinished);
    connect(m_analysis, &AnalysisProgressWidget::failed, this, &MainWindow::onAnalysisFailed);
    connect(m_analysis, &AnalysisProgressWidget::cancelled, this, &MainWindow::onAnalysisCancelled);
    connect(m_analysis, &AnalysisProgressWidget::encoderReady, this, &MainWindow::onEncoderReady);

    createActions();
    connect(m_session, &ReviewSession::reloaded, this, [this] {
        rebuildClassActions();
        updateCounts();
        updateActions();
        updateTitle();
    });
    connect(m_session, &ReviewSession::samplesChanged, this, [this] {
        updateCounts();
        m_panel->refresh();
    });
    connect(m_session, &ReviewSession::undoRedoApplied, this, &MainWindow::onUndoRedo);
    connect(m_session, &ReviewSession::undoRedoSkipped, this, [this](const QVector<qint64> &ids) {
        statusBar()->showMessage(tr("%n sample(s) left as they are: another annotator changed them since", nullptr,
                                    int(ids.size())),
                                 10000);
    });
    connect(m_session, &ReviewSession::classesChanged, this, [this] {
        rebuildClassActions();
        updateActions();
        updateCounts();
    });
    connect(m_session, &ReviewSession::errorOccurred, this, [this](const QString &msg) {
        statusBar()->showMessage(msg, 10000);
        QMessageBox::warning(this, tr("Labelscope"), msg);
    });
    resize(1440, 900);
    updateActions();
    updateTitle();
}

MainWindow::~MainWindow()
{
    // Views first (they read the session while they tear down), then the loader (joins its
    // threads), the running analysis (cancels and joins), and the session last.
    delete takeCentralWidget();
    delete m_loader;
    delete m_analysis;
    delete m_session;
}

QWidget *MainWindow::createStartPage()
{
    auto *page = new QWidget(this);
    page->setObjectName(QStringLiteral("startPage"));
    auto *title = new QLabel(tr("<h1>Labelscope</h1><p>Find label noise in image datasets and fix the "
                                "labels.</p>"),
                             page);
    title->setAlignment(Qt::AlignCenter);
    auto *open = new QPushButton(tr("Open project\u2026"), page);
    open->setObjectName(QStringLiteral("startOpen"));
    auto *analyse = new QPushButton(tr("New analysis\u2026"), page);
    analyse->setObjectName(QStringLiteral("startAnalysis"));
    for (QPushButton *b : {open, analyse}) {
        b->setMinimumSize(260, 44);
        QFont f = b->font();
        f.setPointSizeF(f.pointSizeF() * 1.2);
        b->setFont(f);
    }
    connect(open, &QPushButton::clicked, this, &MainWindow::openProjectDialog);
    connect(analyse, &QPushButton::clicked, this, &MainWindow::newAnalysisDialog);
    m_recent = new QListWidget(page);
    m_recent->setObjectName(QStringLiteral("recentProjects"));
    m_recent->setMaximumWidth(520);
    m_recent->setMaximumHeight(160);
    connect(m_recent, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        QString error;
        if (!openProject(item->data(Qt::UserRole).toString(), &error))
            QMessageBox::warning(this, tr("Open project"), error);
    });
    auto *layout = new QVBoxLayout(page);
    layout->addStretch(2);
    layout->addWidget(title);
    layout->addSpacing(16);
    layout->addWidget(open, 0, Qt::AlignHCenter);
    layout->addWidget(analyse, 0, Qt::AlignHCenter);
    layout->addSpacing(16);
    auto *recentTitle = new QLabel(tr("Recent projects (double-click to open):"), page);
    recentTitle->setObjectName(QStringLiteral("recentTitle"));
    layout->addWidget(recentTitle, 0, Qt::AlignHCenter);
    layout->addWidget(m_recent, 0, Qt::AlignHCenter);
    layout->addStretch(3);
    return page;
}

QWidget *MainWindow::createReviewPage()
{
    m_gallery = new GalleryWidget(m_session, m_loader, this);
    m_rows = new ClassRowsView(m_session, m_loader, this);
    m_panel = new LabellingPanel(m_session, m_loader, this);
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(m_gallery, tr("Gallery"));
    m_tabs->addTab(m_rows, tr("Class rows"));
    m_scatter = new ScatterPanel(m_session, m_loader, m_gallery, this);
    m_tabs->addTab(m_scatter, tr("Scatter"));
    m_statistics = new StatisticsPage(m_session, this);
    m_tabs->addTab(m_statistics, tr("Statistics"));
    connect(m_scatter, &ScatterPanel::relabelRequested, this, [this](int k) { decide(DecisionKind::Relabel, k); });
    connect(m_scatter, &ScatterPanel::excludeRequested, this, [this] { decide(DecisionKind::Exclude); });
    // Find similar: the gallery shows the query and its nearest samples, nearest first.
    m_similar = new SimilaritySearch(m_session, this);
    m_showAll = new QPushButton(this);
    m_showAll->setObjectName(QStringLiteral("showAllSamples"));
    m_showAll->setFlat(true);
    m_showAll->hide();
    statusBar()->addPermanentWidget(m_showAll);
    connect(m_showAll, &QPushButton::clicked, this, [this] {
        m_gallery->model()->setRanking({});
        m_showAll->hide();
    });
    connect(m_session, &ReviewSession::reloaded, m_showAll, &QWidget::hide);
    connect(m_gallery->model(), &GalleryModel::viewStateChanged, this, [this] {
        if (!m_gallery->model()->hasRanking()) // a chip or "Clear all" ended it
            m_showAll->hide();
    });
    connect(m_panel, &LabellingPanel::findSimilarRequested, this, [this](qint64 id) { m_similar->request({id}); });
    connect(m_scatter, &ScatterPanel::findSimilarRequested, this,
            [this](const QVector<qint64> &ids) { m_similar->request(ids); });
    connect(m_similar, &SimilaritySearch::indexingStarted, this,
            [this] { statusBar()->showMessage(tr("Indexing the embeddings for Find similar\u2026"), 10000); });
    connect(m_similar, &SimilaritySearch::failed, this, [this](const QString &msg) { statusBar()->showMessage(msg, 10000); });
    connect(m_similar, &SimilaritySearch::resultsReady, this,
            [this](const QVector<qint64> &query, const QVector<qint64> &neighbours, const QVector<float> &) {
                m_gallery->model()->setRanking(query + neighbours);
                m_tabs->setCurrentWidget(m_gallery);
                if (!m_gallery->setCurrentSample(query.front()) && !neighbours.isEmpty())
                    m_gallery->setCurrentSample(neighbours.front());
                const QString what = query.size() == 1 ? tr("#%1").arg(query.front())
                                                       : tr("the %1 selected samples").arg(query.size());
                m_showAll->setText(tr("Nearest %1 to %2 (under the gallery's filters) \u2014 show all")
                                       .arg(neighbours.size())
                                       .arg(what));
                m_showAll->show();
            });
    m_panel->setFindSimilarAvailable(true);
    m_scatter->setFindSimilarAvailable(true);
    // The panel's evidence (nearest clear examples, neighbours) comes from the same index.
    m_panel->evidencePanel()->setSearch(m_similar);
    connect(m_panel->evidencePanel(), &EvidencePanel::exampleActivated, this, [this](qint64 id) {
        if (!m_gallery->setCurrentSample(id))
            showSample(id);
    });
    m_joint = new ConfidentJointView(m_session, this);
    auto *jointScroll = new QScrollArea(this);
    jointScroll->setWidget(m_joint);
    jointScroll->setWidgetResizable(true);
    jointScroll->setFocusPolicy(Qt::NoFocus);
    // Beside the heat map, its pairs as a list (readable with many classes).
    m_overlapping = new OverlappingClassesView(m_joint, this);
    auto *jointSplit = new QSplitter(Qt::Horizontal, this);
    jointSplit->addWidget(jointScroll);
    jointSplit->addWidget(m_overlapping);
    jointSplit->setStretchFactor(0, 3);
    jointSplit->setStretchFactor(1, 1);
    jointSplit->setCollapsible(0, false);
    jointSplit->setCollapsible(1, false);
    m_tabs->addTab(jointSplit, tr("Confident joint"));
    m_report = new ReportPage(m_session, this);
    m_tabs->addTab(m_report, tr("Report"));
    // Active learning (ui/activelearningpanel.h): rounds, the queued batch, the learning curve.
    // While its tab is shown, a decision opens the next queued sample.
    auto *activeLearning = new ActiveLearningPanel(m_session, this);
    m_tabs->addTab(activeLearning, tr("Active learning"));
    connect(activeLearning, &ActiveLearningPanel::sampleActivated, this, &MainWindow::showSample);
    // The gallery's active-learning views (queue, labelled set, pool by uncertainty).
    connect(activeLearning, &ActiveLearningPanel::roundFinished, m_gallery->model(), &GalleryModel::refreshActiveLearning);
    connect(activeLearning, &ActiveLearningPanel::showInGalleryRequested, this, [this](GalleryModel::AlView view) {
        m_gallery->showActiveLearning(view);
        m_tabs->setCurrentWidget(m_gallery);
        if (m_gallery->model()->rowCount() > 0)
            m_gallery->setCurrentSample(m_gallery->model()->sampleIdAt(0));
        m_gallery->view()->setFocus();
    });
    connect(m_session, &ReviewSession::decisionsWritten, this, [this, activeLearning] {
        if (m_tabs->currentWidget() != activeLearning)
            return;
        const qint64 decided = m_panel->sampleId();
        QTimer::singleShot(0, this, [this, activeLearning, decided] {
            const qint64 next = activeLearning->nextQueued(decided);
            if (next >= 0)
                showSample(next);
        });
    });
    createHealthPage();
    createTeamActions();
    const auto showPair = [this](int given, int likelyTrue) {
        m_gallery->showPair(given, likelyTrue);
        m_tabs->setCurrentWidget(m_gallery);
        if (m_gallery->model()->rowCount() > 0)
            m_gallery->setCurrentSample(m_gallery->model()->sampleIdAt(0));
        m_gallery->view()->setFocus();
    };
    connect(m_joint, &ConfidentJointView::cellClicked, this, showPair);
    connect(m_overlapping, &OverlappingClassesView::pairActivated, this, showPair);
    m_tabs->setFocusPolicy(Qt::NoFocus);
    auto *panelScroll = new QScrollArea(this);
    panelScroll->setWidget(m_panel);
    panelScroll->setWidgetResizable(true);
    panelScroll->setMinimumWidth(380);
    panelScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // the panel fits its width
    panelScroll->setFocusPolicy(Qt::NoFocus);
    // The right column: the panel scrolls, its action bar stays in view below it.
    auto *rightColumn = new QWidget(this);
    rightColumn->setObjectName(QStringLiteral("panelColumn"));
    auto *right = new QVBoxLayout(rightColumn);
    right->setContentsMargins(0, 0, 0, 0);
    right->setSpacing(0);
    right->addWidget(panelScroll, 1);
    right->addWidget(m_panel->actionBar());
    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->addWidget(m_tabs);
    m_splitter->addWidget(rightColumn);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({1000, 440});

    connect(m_gallery, &GalleryWidget::currentSampleChanged, this, &MainWindow::showSample);
    connect(m_gallery, &GalleryWidget::selectionCountChanged, m_panel, &LabellingPanel::setSelectionCount);
    connect(m_gallery, &GalleryWidget::bulkRelabelRequested, this,
            [this](int k) { decide(DecisionKind::Relabel, k); });
    connect(m_gallery, &GalleryWidget::bulkAcceptRequested, this, [this] { decide(DecisionKind::Accept); });
    connect(m_gallery, &GalleryWidget::bulkExcludeRequested, this, [this] { decide(DecisionKind::Exclude); });
    connect(m_rows, &ClassRowsView::sampleActivated, this, [this](qint64 id) {
        if (!m_gallery->setCurrentSample(id)) {
            m_gallery->view()->clearSelection();
            showSample(id);
        }
    });
    connect(m_panel, &LabellingPanel::labelChosen, this, [this](int k) { decide(DecisionKind::Relabel, k); });
    connect(m_panel, &LabellingPanel::acceptRequested, this, [this] { decide(DecisionKind::Accept); });
    connect(m_panel, &LabellingPanel::acceptSuggestionRequested, this, [this] { decide(DecisionKind::AcceptSuggestion); });
    connect(m_panel, &LabellingPanel::excludeRequested, this, [this] { decide(DecisionKind::Exclude); });
    connect(m_panel, &LabellingPanel::nextRequested, this, &MainWindow::next);
    connect(m_panel, &LabellingPanel::pickClassRequested, this, &MainWindow::pickClass);
    m_picker = new ClassPicker(m_session, this);
    connect(m_picker, &ClassPicker::classChosen, this, [this](int k) {
        decide(DecisionKind::Relabel, k);
        m_gallery->view()->setFocus();
    });
    connect(m_panel, &LabellingPanel::previousRequested, this, &MainWindow::previous);
    return m_splitter;
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open project\u2026"), this, &MainWindow::openProjectDialog);
    open->setShortcut(QKeySequence::Open);
    QAction *analyse = file->addAction(tr("&New analysis\u2026"), this, &MainWindow::newAnalysisDialog);
    analyse->setShortcut(QKeySequence::New);
    file->addSeparator();
    m_exportCsv = file->addAction(tr("Export &CSV\u2026"), this, &MainWindow::exportCsvDialog);
    m_exportFolder = file->addAction(tr("Export &ImageFolder\u2026"), this, &MainWindow::exportImageFolderDialog);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    m_undo = m_session->undoStack()->createUndoAction(this, tr("&Undo"));
    m_undo->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Z));
    m_redo = m_session->undoStack()->createRedoAction(this, tr("&Redo"));
    m_redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    edit->addAction(m_undo);
    edit->addAction(m_redo);

    QMenu *review = menuBar()->addMenu(tr("&Review"));
    m_next = review->addAction(tr("&Next sample"), this, &MainWindow::next);
    m_next->setShortcuts({QKeySequence(Qt::Key_D), QKeySequence(Qt::Key_Right)});
    m_prev = review->addAction(tr("&Previous sample"), this, &MainWindow::previous);
    m_prev->setShortcuts({QKeySequence(Qt::Key_A), QKeySequence(Qt::Key_Left)});
    review->addSeparator();
    m_keep = review->addAction(tr("&Keep given label"), this, [this] { decide(DecisionKind::Accept); });
    m_keep->setShortcuts({QKeySequence(Qt::Key_K), QKeySequence(Qt::Key_Space)});
    // One suggested label (ReviewSession::suggestion(), shown in the panel); W accepts it, and P
    // (formerly "accept the model's prediction", which could differ) is kept as an alias.
    m_acceptSuggestion = review->addAction(tr("Accept the &suggested label"), this,
                                           [this] { decide(DecisionKind::AcceptSuggestion); });
    m_acceptSuggestion->setObjectName(QStringLiteral("acceptSuggestionAction"));
    m_acceptSuggestion->setShortcuts({QKeySequence(Qt::Key_W), QKeySequence(Qt::Key_P)});
    m_exclude = review->addAction(tr("E&xclude"), this, [this] { decide(DecisionKind::Exclude); });
    m_exclude->setShortcut(QKeySequence(Qt::Key_X));
    review->addSeparator();
    m_labelMenu = review->addMenu(tr("&Label as"));
    m_pickClass = review->addAction(tr("Label as &other class\u2026"), this, &MainWindow::pickClass);
    m_pickClass->setObjectName(QStringLiteral("pickClassAction"));
    m_pickClass->setShortcut(QKeySequence(Qt::Key_L));
    QAction *classes = review->addAction(tr("&Classes\u2026"), this, &MainWindow::showClassesDialog);
    classes->setObjectName(QStringLiteral("classesAction"));
    review->addSeparator();
    QAction *summary = review->addAction(tr("Session &summary\u2026"), this, &MainWindow::showSessionSummary);
    summary->setObjectName(QStringLiteral("sessionSummaryAction"));
    summary->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    for (QAction *a : {m_next, m_prev, m_keep, m_acceptSuggestion, m_exclude, m_pickClass})
        a->setShortcutContext(Qt::WindowShortcut);
}

void MainWindow::rebuildClassActions()
{
    qDeleteAll(m_classActions);
    m_classActions.clear();
    m_labelMenu->clear();
    const QStringList &classes = m_session->classes();
    for (int k = 0; k < classes.size(); ++k) {
        QAction *a = m_labelMenu->addAction(classes.at(k), this, [this, k] { decide(DecisionKind::Relabel, k); });
        const QString key = m_session->keyForClass(k);
        if (!key.isEmpty())
            a->setShortcut(QKeySequence(key));
        a->setShortcutContext(Qt::WindowShortcut);
        m_classActions.push_back(a);
    }
}

void MainWindow::updateActions()
{
    const bool open = m_session->isOpen();
    const bool sample = open && m_panel->sampleId() >= 0;
    m_exportCsv->setEnabled(open);
    m_exportFolder->setEnabled(open);
    for (QAction *a : {m_next, m_prev})
        a->setEnabled(open);
    for (QAction *a : {m_keep, m_exclude, m_acceptSuggestion, m_pickClass})
        a->setEnabled(sample);
    m_labelMenu->setEnabled(sample);
    for (QAction *a : std::as_const(m_classActions))
        a->setEnabled(sample);
}

void MainWindow::updateCounts()
{
    m_progress->refresh();
    if (!m_session->isOpen()) {
        m_counts->clear();
        return;
    }
    const ReviewSession::Counts c = m_session->counts();
    auto chip = [](Category cat, qint64 n) {
        return QStringLiteral("<span style='color:%1'>\u25A0</span> %2 %L3")
            .arg(categoryColor(cat).name(), categoryLabel(cat))
            .arg(n);
    };
    QString text = chip(Category::Easy, c.easy) + QStringLiteral(" &nbsp; ")
        + chip(Category::Hard, c.hard) + QStringLiteral(" &nbsp; ")
        + chip(Category::NeedReview, c.needReview);
    if (c.unknown > 0)
        text += QStringLiteral(" &nbsp; ") + chip(Category::Unknown, c.unknown);
    if (c.notAnalysedTest > 0)
        text += QStringLiteral(" &nbsp; ")
            + tr("<span style='color:%1'>\u25A1</span> not analysed (test split) %L2")
                  .arg(categoryColor(Category::Unknown).name())
                  .arg(c.notAnalysedTest);
    text += tr(" &nbsp;|&nbsp; relabelled %L1 &nbsp; excluded %L2").arg(c.relabelled).arg(c.excluded);
    m_counts->setText(text);
    m_counts->setToolTip(text);
}

void MainWindow::updateTitle()
{
    if (!m_session->isOpen()) {
        setWindowTitle(tr("Labelscope"));
        return;
    }
    QString title = tr("%1 \u2014 Labelscope").arg(QFileInfo(m_session->fileName()).fileName());
    if (m_session->runId() > 0)
        title += tr(" (run %1)").arg(m_session->runId());
    if (m_session->isReadOnly())
        title += tr(" [read-only]");
    setWindowTitle(title);
}

void MainWindow::pickClass()
{
    if (!m_session->isOpen() || m_panel->sampleId() < 0)
        return;
    m_picker->popup(m_gallery);
}

void MainWindow::showClassesDialog()
{
    if (!m_classes)
        m_classes = new ClassesDialog(m_session, this);
    m_classes->refresh();
    m_classes->show();
    m_classes->raise();
}

void MainWindow::showSessionSummary()
{
    if (!m_summary)
        m_summary = new SessionSummaryDialog(m_session, this);
    m_summary->refresh();
    m_summary->show();
    m_summary->raise();
}

bool MainWindow::isStartPageShown() const { return m_stack->currentWidget() == m_startPage; }

bool MainWindow::openProject(const QString &file, QString *error)
{
    m_loader->clear();
    QString err;
    if (!m_session->open(file, &err)) {
        if (error)
            *error = err;
        m_stack->setCurrentWidget(m_startPage);
        return false;
    }
    addRecent(file);
    m_stack->setCurrentIndex(1);
    m_gallery->view()->setFocus();
    if (m_gallery->model()->rowCount() > 0) // start at the top of the (noisiest-first) gallery
        m_gallery->setCurrentSample(m_gallery->model()->sampleIdAt(0));
    m_gallery->view()->scrollToTop();
    if (m_session->isReadOnly()) {
        statusBar()->showMessage(tr("Opened %1 read-only (%2): you can look, but decisions are not possible")
                                     .arg(QFileInfo(file).fileName(), m_session->readOnlyReason()));
        return true;
    }
    statusBar()->showMessage(tr("Opened %1: %L2 samples, %3 classes%4")
                                 .arg(QFileInfo(file).fileName())
                                 .arg(m_session->count())
                                 .arg(m_session->classes().size())
                                 .arg(m_session->runId() > 0 ? QString()
                                                             : tr(" \u2014 no analysis run yet (File \u203A New analysis)")),
                             8000);
    return true;
}

void MainWindow::showSample(qint64 id)
{
    m_panel->setSample(id);
    updateActions();
    // Preload the next sample's thumbnail so that the panel shows something at once.
    const int idx = m_session->indexOf(m_gallery->sampleAfter(id));
    if (idx >= 0)
        m_loader->prefetch(m_session->row(idx).id, m_session->row(idx).sample);
}

void MainWindow::openProjectDialog()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Open project"), QString(),
                                                      tr(kProjectFilter));
    if (file.isEmpty())
        return;
    QString error;
    if (!openProject(file, &error))
        QMessageBox::warning(this, tr("Open project"), error);
}

void MainWindow::onAnalysisFinished(const AnalysisResult &result, const QString &file)
{
    QString error;
    bool ok;
    if (m_session->isOpen() && sameFile(m_session->fileName(), file))
        ok = m_session->reload(&error); // fresh read of the new scores
    else
        ok = openProject(file, &error);
    if (!ok) {
        QMessageBox::warning(this, tr("Analysis"), tr("The analysis finished but the project could not be "
                                                     "read: %1").arg(error));
        return;
    }
    QString msg = tr("Analysis done in %1 s on %2: %L3 hard, %L4 need review, %L5 easy.")
                      .arg(result.seconds, 0, 'f', 0)
                      .arg(result.device)
                      .arg(result.hard)
                      .arg(result.needReview)
                      .arg(result.easy);
    if (result.noise.available)
        msg += tr(" Detection of the injected noise: AUROC %1, recall %2.")
                   .arg(result.noise.auroc, 0, 'f', 3)
                   .arg(result.noise.recall, 0, 'f', 3);
    if (!result.skipped.empty())
        msg += tr(" %n file(s) could not be read (listed on the Report tab).", nullptr, int(result.skipped.size()));
    statusBar()->showMessage(msg, 20000);
}

void MainWindow::onAnalysisFailed(const QString &error, const QString &)
{
    statusBar()->showMessage(tr("Analysis failed."), 8000);
    QMessageBox::warning(this, tr("Analysis failed"), error);
}

void MainWindow::exportCsvDialog()
{
    exportCsvInteractive(this, *m_session);
}

void MainWindow::exportImageFolderDialog()
{
    if (!m_session->isOpen())
        return;
    const QString root = QFileDialog::getExistingDirectory(this, tr("Export ImageFolder into"),
                                                           QFileInfo(m_session->fileName()).absolutePath());
    if (root.isEmpty())
        return;
    auto snap = std::make_shared<ExportSnapshot>(exportSnapshot(*m_session));
    runExportWithProgress(this, tr("Writing images to %1\u2026").arg(root),
                          [snap, root](ExportStatus *st) { return exportImageFolder(*snap, root, st); },
                          tr("images"));
}

void MainWindow::addRecent(const QString &file)
{
    QSettings s(QStringLiteral("Labelscope"), QStringLiteral("labelscope"));
    QStringList recent = s.value(QStringLiteral("recentProjects")).toStringList();
    const QString abs = QFileInfo(file).absoluteFilePath();
    recent.removeAll(abs);
    recent.prepend(abs);
    while (recent.size() > 8)
        recent.removeLast();
    s.setValue(QStringLiteral("recentProjects"), recent);
    refreshRecent();
}

void MainWindow::refreshRecent()
{
    QSettings s(QStringLiteral("Labelscope"), QStringLiteral("labelscope"));
    m_recent->clear();
    const QStringList recent = s.value(QStringLiteral("recentProjects")).toStringList();
    for (const QString &f : recent) {
        if (!QFileInfo::exists(f))
            continue;
        auto *item = new QListWidgetItem(QStringLiteral("%1   \u2014   %2").arg(QFileInfo(f).fileName(), f), m_recent);
        item->setData(Qt::UserRole, f);
    }
    m_recent->setVisible(m_recent->count() > 0);
    if (auto *title = m_startPage->findChild<QLabel *>(QStringLiteral("recentTitle")))
        title->setVisible(m_recent->count() > 0);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_analysis->isRunning()) {
        const auto answer = QMessageBox::question(this, tr("Quit"),
                                                  tr("An analysis is running. Cancel it and quit?"));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        m_analysis->cancel();
    }
    event->accept();
}

} // namespace labelscope::ui
