#include "gallerywidget.h"

#include "gallerymodel.h"
#include "reviewsession.h"
#include "thumbnaildelegate.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QImage>
#include <QPixmap>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QScrollBar>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <functional>

namespace labelscope::ui {

GalleryWidget::GalleryWidget(ReviewSession *session, ThumbnailLoader *loader, QWidget *parent)
    : QWidget(parent), m_session(session), m_loader(loader)
{
    m_model = new GalleryModel(session, loader, this);
    m_delegate = new ThumbnailDelegate(loader->thumbnailSize(), this);

    auto makeCombo = [this](const char *name, const QString &tip) {
        auto *c = new QComboBox(this);
        c->setObjectName(QString::fromLatin1(name));
        c->setToolTip(tip);
        // Long class names must not widen the window (issue 17: layout at 1280 × 720).
        c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        c->setMinimumContentsLength(12);
        return c;
    };
    m_classCombo = makeCombo("classFilter", tr("Show samples whose current label is this class"));
    m_categoryCombo = makeCombo("categoryFilter", tr("Category from the latest analysis run"));
    m_categoryCombo->addItem(tr("All categories"), GalleryModel::kAllCategories);
    for (Category c : {Category::Hard, Category::NeedReview, Category::Easy, Category::Unknown})
        m_categoryCombo->addItem(categoryLabel(c), int(c));
    m_stateCombo = makeCombo("stateFilter", tr("Decision state"));
    m_stateCombo->addItem(tr("Any state"), int(GalleryModel::StateFilter::All));
    m_stateCombo->addItem(tr("Relabelled"), int(GalleryModel::StateFilter::Relabelled));
    m_stateCombo->addItem(tr("Not relabelled"), int(GalleryModel::StateFilter::NotRelabelled));
    m_stateCombo->addItem(tr("Excluded"), int(GalleryModel::StateFilter::Excluded));
    m_stateCombo->addItem(tr("Model disagrees"), int(GalleryModel::StateFilter::Disagrees));
    m_stateCombo->addItem(tr("Flagged (Confident Learning)"), int(GalleryModel::StateFilter::Flagged));
    m_stateCombo->addItem(tr("Unreviewed"), int(GalleryModel::StateFilter::Unreviewed));
    m_stateCombo->addItem(tr("Reviewed"), int(GalleryModel::StateFilter::Reviewed));
    m_splitCombo = makeCombo("splitFilter", tr("Dataset split (an analysis scores the training "
                                               "split only)"));
    m_splitCombo->addItem(tr("All splits"), int(GalleryModel::SplitFilter::All));
    m_splitCombo->addItem(tr("Train"), int(GalleryModel::SplitFilter::Train));
    m_splitCombo->addItem(tr("Test"), int(GalleryModel::SplitFilter::Test));
    m_splitLabel = new QLabel(tr("Split:"), this);
    m_sortCombo = makeCombo("sortOrder", tr("Order of the gallery"));
    m_sortCombo->addItem(tr("Noise score \u2193"), int(GalleryModel::SortOrder::NoiseDescending));
    m_sortCombo->addItem(tr("Sample id"), int(GalleryModel::SortOrder::Id));

    m_alCombo = makeCombo("alFilter", tr("Active learning, latest round: its queued batch (labelling "
                                         "order), the labelled training set, or the pool it scored "
                                         "(most uncertain first, framed blue \u2192 yellow \u2192 red "
                                         "by uncertainty)"));
    m_alCombo->addItem(tr("All samples"), int(GalleryModel::AlView::Off));
    m_alCombo->addItem(tr("Queued batch"), int(GalleryModel::AlView::Queue));
    m_alCombo->addItem(tr("Labelled set"), int(GalleryModel::AlView::Labelled));
    m_alCombo->addItem(tr("Pool by uncertainty"), int(GalleryModel::AlView::Pool));

    m_countLabel = new QLabel(this);
    m_countLabel->setObjectName(QStringLiteral("countLabel"));
    m_alLegend = new QLabel(this);
    m_alLegend->setObjectName(QStringLiteral("uncertaintyLegend"));
    m_alLegend->setToolTip(tr("Frame colour in the pool view: the round's uncertainty, least "
                              "(blue) to most (red) over the scored pool"));
    {
        QImage ramp(64, 12, QImage::Format_RGB32);
        for (int x = 0; x < ramp.width(); ++x)
            for (int y = 0; y < ramp.height(); ++y)
                ramp.setPixelColor(x, y, GalleryModel::uncertaintyColor(double(x) / (ramp.width() - 1)));
        m_alLegend->setPixmap(QPixmap::fromImage(ramp));
    }
    m_alLegend->hide();
    auto *legendText = new QLabel(this); // "low … high" beside the ramp
    legendText->setObjectName(QStringLiteral("uncertaintyLegendText"));
    legendText->hide();

    m_bulkMenu = new QMenu(this);
    m_bulkButton = new QToolButton(this);
    m_bulkButton->setObjectName(QStringLiteral("bulkRelabel"));
    m_bulkButton->setText(tr("Relabel selection"));
    m_bulkButton->setToolTip(tr("Set the label of every selected sample (or press a class number "
                                "key while several are selected)"));
    m_bulkButton->setPopupMode(QToolButton::InstantPopup);
    m_bulkButton->setMenu(m_bulkMenu);
    m_bulkButton->setEnabled(false);

    m_pairButton = new QToolButton(this);
    m_pairButton->setObjectName(QStringLiteral("pairFilter"));
    m_pairButton->setToolTip(tr("Confident-joint cell filter: click to show all samples again"));
    m_pairButton->setStyleSheet(QStringLiteral("QToolButton { color: #1f5fd7; font-weight: bold; }"));
    m_pairButton->hide();
    connect(m_pairButton, &QToolButton::clicked, this, [this] { showPair(-1, -1); });

    m_onlySelection = new QToolButton(this);
    m_onlySelection->setObjectName(QStringLiteral("showOnlySelection"));
    m_onlySelection->setText(tr("Show only selected"));
    m_onlySelection->setToolTip(tr("Show only the selected samples (also a lasso selection of the scatter view); "
                                   "a chip below the filters ends it"));
    m_onlySelection->setEnabled(false);
    connect(m_onlySelection, &QToolButton::clicked, this, &GalleryWidget::showOnlySelection);

    m_chipsBar = new QWidget(this);
    m_chipsBar->setObjectName(QStringLiteral("filterChips"));
    m_chipsLayout = new QHBoxLayout(m_chipsBar);
    m_chipsLayout->setContentsMargins(4, 2, 4, 0);
    m_chipsLayout->setSpacing(4);
    auto *chipsTitle = new QLabel(tr("Filters:"), m_chipsBar);
    m_chipsLayout->addWidget(chipsTitle);
    m_pairButton->setParent(m_chipsBar);
    m_pairButton->setObjectName(QStringLiteral("pairFilter"));
    m_chipsLayout->addWidget(m_pairButton);
    m_chipsLayout->addStretch(1);
    m_clearAll = new QToolButton(m_chipsBar);
    m_clearAll->setObjectName(QStringLiteral("clearAllFilters"));
    m_clearAll->setText(tr("Clear all"));
    m_clearAll->setToolTip(tr("Show every sample: all filters off, ranking and selection-only ended"));
    connect(m_clearAll, &QToolButton::clicked, this, &GalleryWidget::clearAllFilters);
    m_chipsLayout->addWidget(m_clearAll);
    m_chipsBar->setMinimumWidth(1); // many chips are cut at the right, never widen the window
    m_chipsBar->hide();

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(4, 4, 4, 0);
    bar->addWidget(new QLabel(tr("Class:"), this));
    bar->addWidget(m_classCombo);
    bar->addWidget(new QLabel(tr("Category:"), this));
    bar->addWidget(m_categoryCombo);
    bar->addWidget(new QLabel(tr("State:"), this));
    bar->addWidget(m_stateCombo);
    bar->addWidget(m_splitLabel);
    bar->addWidget(m_splitCombo);
    bar->addStretch(1);
    // Second row: order, active-learning view, count and the selection's actions.
    auto *bar2 = new QHBoxLayout;
    bar2->setContentsMargins(4, 2, 4, 0);
    bar2->addWidget(new QLabel(tr("Sort:"), this));
    bar2->addWidget(m_sortCombo);
    bar2->addWidget(new QLabel(tr("Active learning:"), this));
    bar2->addWidget(m_alCombo);
    bar2->addWidget(m_alLegend);
    bar2->addWidget(legendText);
    bar2->addStretch(1);
    bar2->addWidget(m_countLabel);
    bar2->addSpacing(8);
    bar2->addWidget(m_onlySelection);
    bar2->addWidget(m_bulkButton);

    m_view = new QListView(this);
    m_view->setObjectName(QStringLiteral("galleryView"));
    m_view->setViewMode(QListView::IconMode);
    m_view->setMovement(QListView::Static);
    m_view->setResizeMode(QListView::Adjust);
    m_view->setUniformItemSizes(true);
    m_view->setLayoutMode(QListView::Batched);
    m_view->setBatchSize(4000);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setSpacing(0);
    m_view->setGridSize(ThumbnailDelegate::tileSize(loader->thumbnailSize()));
    m_view->setWrapping(true);
    m_view->setWordWrap(false);
    m_view->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_view->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn); // no width flicker in fitGrid()
    m_view->verticalScrollBar()->setSingleStep(24);
    m_view->setItemDelegate(m_delegate);
    m_view->setModel(m_model);
    m_view->viewport()->installEventFilter(this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addLayout(bar2);
    layout->addWidget(m_chipsBar);
    layout->addWidget(m_view, 1);

    m_prefetchTimer = new QTimer(this);
    m_prefetchTimer->setSingleShot(true);
    m_prefetchTimer->setInterval(120);
    connect(m_prefetchTimer, &QTimer::timeout, this, &GalleryWidget::prefetchAhead);
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this,
            &GalleryWidget::schedulePrefetch);

    for (QComboBox *c : {m_classCombo, m_categoryCombo, m_stateCombo, m_splitCombo, m_sortCombo, m_alCombo})
        connect(c, &QComboBox::currentIndexChanged, this, &GalleryWidget::applyFilters);
    connect(m_model, &GalleryModel::countsChanged, this, &GalleryWidget::updateCount);
    connect(m_model, &GalleryModel::viewStateChanged, this, &GalleryWidget::updateChips);
    connect(m_model, &QAbstractItemModel::modelAboutToBeReset, this,
            [this] { m_resetCurrent = currentSampleId(); });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        if (!(m_resetCurrent >= 0 && setCurrentSample(m_resetCurrent)) && m_model->rowCount() > 0)
            m_view->setCurrentIndex(m_model->index(0));
        onCurrentChanged();
        schedulePrefetch();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &GalleryWidget::onCurrentChanged);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const int n = int(m_view->selectionModel()->selectedIndexes().size());
        m_bulkButton->setEnabled(n > 0);
        m_onlySelection->setEnabled(n > 1);
        m_bulkButton->setText(n > 1 ? tr("Relabel %1 selected").arg(n) : tr("Relabel selection"));
        Q_EMIT selectionCountChanged(n);
    });
    connect(m_session, &ReviewSession::reloaded, this, &GalleryWidget::rebuildClasses);
    connect(m_session, &ReviewSession::classesChanged, this, &GalleryWidget::rebuildClasses);
    rebuildClasses();
    updateCount(m_model->shownCount(), m_model->totalCount());
}

GalleryWidget::~GalleryWidget()
{
    // The model (a child created before the view) goes first; keep the view's selection model
    // from calling back into a half-destroyed widget.
    m_view->selectionModel()->disconnect(this);
    m_model->disconnect(this);
    m_view->viewport()->removeEventFilter(this);
}

bool GalleryWidget::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize)
        fitGrid();
    return QWidget::eventFilter(watched, event);
}

void GalleryWidget::fitGrid()
{
    // Spread the columns over the whole width instead of leaving a gap on the right.
    const QSize tile = ThumbnailDelegate::tileSize(m_loader->thumbnailSize());
    const int width = m_view->viewport()->width() - 2;
    const int columns = std::max(1, width / tile.width());
    const QSize grid(std::max(tile.width(), width / columns), tile.height());
    if (grid != m_view->gridSize())
        m_view->setGridSize(grid);
}

void GalleryWidget::rebuildClasses()
{
    const QStringList &classes = m_session->classes();
    const int previous = m_classCombo->currentData().isValid() ? m_classCombo->currentData().toInt() : -1;
    {
        const QSignalBlocker block(m_classCombo);
        m_classCombo->clear();
        m_classCombo->addItem(tr("All classes"), -1);
        for (int k = 0; k < classes.size(); ++k)
            m_classCombo->addItem(classes.at(k), k);
        const int at = m_classCombo->findData(previous);
        m_classCombo->setCurrentIndex(at < 0 ? 0 : at);
    }
    m_bulkMenu->clear();
    for (int k = 0; k < classes.size(); ++k) {
        const QString key = m_session->keyForClass(k);
        QAction *a = m_bulkMenu->addAction(key.isEmpty() ? classes.at(k)
                                                         : QStringLiteral("%1  %2").arg(key, classes.at(k)));
        connect(a, &QAction::triggered, this, [this, k] { Q_EMIT bulkRelabelRequested(k); });
    }
    m_bulkMenu->addSeparator();
    if (m_session->fileName() != m_splitFile)
        showPair(-1, -1); // another project: its classes differ
    connect(m_bulkMenu->addAction(tr("Keep given labels")), &QAction::triggered, this,
            [this] { Q_EMIT bulkAcceptRequested(); });
    connect(m_bulkMenu->addAction(tr("Exclude")), &QAction::triggered, this,
            [this] { Q_EMIT bulkExcludeRequested(); });
    rebuildSplits();
    applyFilters();
}

void GalleryWidget::rebuildSplits()
{
    // Shown only for a project with both splits; a newly opened one starts on "Train" (the
    // analysed samples), a reload of the same project keeps the choice.
    const bool both = m_session->hasTrainAndTest();
    const QString file = m_session->fileName();
    const QSignalBlocker block(m_splitCombo);
    if (!both)
        m_splitCombo->setCurrentIndex(m_splitCombo->findData(int(GalleryModel::SplitFilter::All)));
    else if (file != m_splitFile || !m_splitShown)
        m_splitCombo->setCurrentIndex(m_splitCombo->findData(int(GalleryModel::SplitFilter::Train)));
    m_splitFile = file;
    m_splitShown = both;
    m_splitCombo->setVisible(both);
    m_splitLabel->setVisible(both);
}

void GalleryWidget::applyFilters()
{
    m_model->setClassFilter(m_classCombo->currentData().isValid() ? m_classCombo->currentData().toInt() : -1);
    m_model->setCategoryFilter(m_categoryCombo->currentData().toInt());
    m_model->setStateFilter(GalleryModel::StateFilter(m_stateCombo->currentData().toInt()));
    m_model->setSplitFilter(GalleryModel::SplitFilter(m_splitCombo->currentData().toInt()));
    if (m_sortCombo->isEnabled()) // disabled: it names the ranking's or the queue's order
        m_model->setSortOrder(GalleryModel::SortOrder(m_sortCombo->currentData().toInt()));
    m_model->setAlView(GalleryModel::AlView(m_alCombo->currentData().toInt()));
}

void GalleryWidget::showActiveLearning(GalleryModel::AlView view)
{
    if (view != GalleryModel::AlView::Off) {
        for (QComboBox *c : {m_classCombo, m_categoryCombo, m_stateCombo}) {
            const QSignalBlocker block(c);
            c->setCurrentIndex(0); // "All classes", "All categories", "Any state"
        }
    }
    {
        const QSignalBlocker block(m_alCombo);
        m_alCombo->setCurrentIndex(std::max(0, m_alCombo->findData(int(view))));
    }
    applyFilters();
    updateCount(m_model->shownCount(), m_model->totalCount());
}

void GalleryWidget::showPair(int given, int suggested)
{
    const bool on = given >= 0 || suggested >= 0;
    if (on) {
        // The cell's number counts these samples among all: every other filter (class,
        // category, state, split, similarity ranking, selection subset, health issue, active
        // learning) would make the gallery show fewer.
        clearAllFilters();
        const QStringList &classes = m_session->classes();
        m_pairButton->setText(tr("Given %1 \u2192 suggested %2  \u2715")
                                  .arg(className(classes, given), className(classes, suggested)));
    }
    m_pairButton->setVisible(on);
    m_model->setPairFilter(on ? given : -1, on ? suggested : -1);
    applyFilters();
}

void GalleryWidget::updateCount(int shown, int total)
{
    const bool pool = m_model->alView() == GalleryModel::AlView::Pool && m_model->alCount() > 0;
    auto *legendText = findChild<QLabel *>(QStringLiteral("uncertaintyLegendText"));
    m_alLegend->setVisible(pool);
    legendText->setVisible(pool);
    if (pool)
        legendText->setText(tr("uncertainty %1 \u2192 %2")
                                .arg(double(m_model->alUncertaintyMin()), 0, 'g', 3)
                                .arg(double(m_model->alUncertaintyMax()), 0, 'g', 3));
    QString text = tr("Showing %L1 of %L2").arg(shown).arg(total);
    if (m_model->alView() != GalleryModel::AlView::Off && !m_model->alNote().isEmpty())
        text += QStringLiteral(" (%1)").arg(m_model->alNote());
    m_countLabel->setText(text);
}

qint64 GalleryWidget::currentSampleId() const
{
    const QModelIndex idx = m_view->currentIndex();
    return idx.isValid() ? m_model->sampleIdAt(idx.row()) : -1;
}

bool GalleryWidget::setCurrentSample(qint64 id)
{
    const QModelIndex idx = m_model->indexOfSample(id);
    if (!idx.isValid())
        return false;
    m_view->selectionModel()->setCurrentIndex(idx, QItemSelectionModel::ClearAndSelect);
    m_view->scrollTo(idx);
    return true;
}

QVector<qint64> GalleryWidget::selectedSampleIds() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedIndexes();
    std::sort(rows.begin(), rows.end(),
              [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QVector<qint64> ids;
    ids.reserve(rows.size());
    for (const QModelIndex &idx : rows)
        ids.push_back(m_model->sampleIdAt(idx.row()));
    return ids;
}

qint64 GalleryWidget::sampleAfter(qint64 id) const
{
    const int r = m_model->rowOfSample(id);
    return r < 0 ? -1 : m_model->sampleIdAt(r + 1);
}

qint64 GalleryWidget::sampleBefore(qint64 id) const
{
    const int r = m_model->rowOfSample(id);
    return r <= 0 ? -1 : m_model->sampleIdAt(r - 1);
}

void GalleryWidget::onCurrentChanged()
{
    const qint64 id = currentSampleId();
    if (id == m_lastEmitted)
        return;
    m_lastEmitted = id;
    Q_EMIT currentSampleChanged(id);
}

void GalleryWidget::schedulePrefetch()
{
    if (!m_prefetchTimer->isActive())
        m_prefetchTimer->start();
}

void GalleryWidget::prefetchAhead()
{
    // Preload one screenful below the visible area so that scrolling on shows images at once.
    const QRect vp = m_view->viewport()->rect();
    const QModelIndex last = m_view->indexAt(vp.bottomRight() - QPoint(4, 4));
    const QModelIndex first = m_view->indexAt(vp.topLeft() + QPoint(4, 4));
    if (!last.isValid() && !first.isValid())
        return;
    const int from = last.isValid() ? last.row() + 1 : first.row();
    const int perScreen = last.isValid() && first.isValid() ? last.row() - first.row() + 1 : 60;
    m_model->prefetch(from, std::min(perScreen, 300));
}

QToolButton *GalleryWidget::chip(const QString &kind) const
{
    if (kind == QLatin1String("pair"))
        return m_pairButton->isVisibleTo(m_chipsBar) ? m_pairButton : nullptr;
    for (QToolButton *c : m_chips)
        if (c->objectName() == QStringLiteral("chip_") + kind)
            return c;
    return nullptr;
}

void GalleryWidget::updateChips()
{
    qDeleteAll(m_chips);
    m_chips.clear();
    int at = 1; // after "Filters:"
    auto add = [&](const QString &kind, const QString &text, const std::function<void()> &clear) {
        auto *b = new QToolButton(m_chipsBar);
        b->setObjectName(QStringLiteral("chip_") + kind);
        b->setText(text + QStringLiteral("  \u2715"));
        b->setToolTip(tr("Click to turn this filter off"));
        b->setStyleSheet(QStringLiteral("QToolButton { border: 1px solid #8aa4d6; border-radius: 9px; padding: 1px 8px;"
                                        " background: #e8effb; color: #1f3f7a; }"));
        // Deferred: the click handler must not delete its own button while it runs.
        connect(b, &QToolButton::clicked, this, [this, clear] { QTimer::singleShot(0, this, clear); });
        m_chipsLayout->insertWidget(at++, b);
        m_chips.push_back(b);
    };
    auto resetCombo = [this](QComboBox *c, int data) {
        return [this, c, data] {
            c->setCurrentIndex(std::max(0, c->findData(data)));
        };
    };
    if (m_classCombo->currentIndex() > 0)
        add(QStringLiteral("class"), tr("Class: %1").arg(m_classCombo->currentText()), resetCombo(m_classCombo, -1));
    if (m_categoryCombo->currentIndex() > 0)
        add(QStringLiteral("category"), tr("Category: %1").arg(m_categoryCombo->currentText()),
            resetCombo(m_categoryCombo, GalleryModel::kAllCategories));
    if (m_stateCombo->currentIndex() > 0)
        add(QStringLiteral("state"), tr("State: %1").arg(m_stateCombo->currentText()),
            resetCombo(m_stateCombo, int(GalleryModel::StateFilter::All)));
    if (m_splitShown && m_model->splitFilter() != GalleryModel::SplitFilter::All)
        add(QStringLiteral("split"), tr("Split: %1").arg(m_splitCombo->currentText()),
            resetCombo(m_splitCombo, int(GalleryModel::SplitFilter::All)));
    if (m_model->alView() != GalleryModel::AlView::Off)
        add(QStringLiteral("al"), tr("Active learning: %1").arg(m_alCombo->currentText()),
            [this] { showActiveLearning(GalleryModel::AlView::Off); });
    if (m_model->hasRanking())
        add(QStringLiteral("similar"), tr("Find similar: nearest first"), [this] { m_model->setRanking({}); });
    if (m_model->hasIssueFilter())
        add(QStringLiteral("health"), tr("Dataset health issue"), [this] { m_model->setIssueFilter({}); });
    if (m_model->hasSubset())
        add(QStringLiteral("subset"), tr("Only the selection (%L1)").arg(m_model->subsetSize()),
            [this] { m_model->setSubset({}); });
    const bool any = !m_chips.isEmpty() || m_pairButton->isVisibleTo(m_chipsBar);
    m_chipsBar->setVisible(any);
    updateSortBox();
}

void GalleryWidget::updateSortBox()
{
    // The Sort box names the order in use: a ranking or an active-learning queue or pool
    // overrides the chosen one (GalleryModel::lessThan).
    QString forced;
    if (m_model->hasRanking())
        forced = tr("Similarity (nearest first)");
    else if (m_model->alView() == GalleryModel::AlView::Queue && m_model->alCount() > 0)
        forced = tr("Queue order");
    else if (m_model->alView() == GalleryModel::AlView::Pool && m_model->alCount() > 0)
        forced = tr("Uncertainty \u2193");
    const QSignalBlocker block(m_sortCombo);
    const int extra = m_sortCombo->findData(-1);
    if (!forced.isEmpty()) {
        if (extra < 0)
            m_sortCombo->addItem(forced, -1);
        else
            m_sortCombo->setItemText(extra, forced);
        m_sortCombo->setCurrentIndex(m_sortCombo->findData(-1));
        m_sortCombo->setEnabled(false);
        m_sortCombo->setToolTip(tr("The order is set by %1; end it to sort again").arg(forced));
    } else {
        if (extra >= 0)
            m_sortCombo->removeItem(extra);
        m_sortCombo->setCurrentIndex(std::max(0, m_sortCombo->findData(int(m_model->sortOrder()))));
        m_sortCombo->setEnabled(true);
        m_sortCombo->setToolTip(tr("Order of the gallery"));
    }
}

void GalleryWidget::clearAllFilters()
{
    for (QComboBox *c : {m_classCombo, m_categoryCombo, m_stateCombo, m_alCombo}) {
        const QSignalBlocker block(c);
        c->setCurrentIndex(0);
    }
    {
        const QSignalBlocker block(m_splitCombo);
        m_splitCombo->setCurrentIndex(std::max(0, m_splitCombo->findData(int(GalleryModel::SplitFilter::All))));
    }
    m_pairButton->hide();
    m_model->setPairFilter(-1, -1);
    m_model->setRanking({});
    m_model->setSubset({});
    m_model->setIssueFilter({});
    applyFilters();
    updateChips();
}

void GalleryWidget::showOnlySelection()
{
    const QVector<qint64> ids = selectedSampleIds();
    if (ids.size() < 2)
        return;
    m_model->setSubset(ids);
    m_view->selectAll();
}

} // namespace labelscope::ui
