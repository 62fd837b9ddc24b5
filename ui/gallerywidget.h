#pragma once
// GalleryWidget: the filter bar ("Class", "Category", "State", "Split", "Sort", "Showing N of M", bulk
// relabel button) above the thumbnail grid (QListView in IconMode over GalleryModel), and below it
// the chips bar (issue 17): every active filter — class, category, state, split, active-learning
// view, confident-joint pair, "Find similar" ranking, "only the selection" — as one chip that
// clears it, and "Clear all". While a ranking or an active-learning queue or pool decides the
// order, the Sort box says so (and is disabled) instead of naming an order not in use.

#include "gallerymodel.h"

#include <QVector>
#include <QWidget>

class QComboBox;
class QHBoxLayout;
class QLabel;
class QListView;
class QMenu;
class QTimer;
class QToolButton;

namespace labelscope::ui {

class GalleryModel;
class ReviewSession;
class ThumbnailDelegate;
class ThumbnailLoader;

class GalleryWidget : public QWidget {
    Q_OBJECT
public:
    GalleryWidget(ReviewSession *session, ThumbnailLoader *loader, QWidget *parent = nullptr);
    ~GalleryWidget() override;

    GalleryModel *model() const { return m_model; }
    QListView *view() const { return m_view; }

    /// The current sample (shown in the labelling panel), or -1.
    qint64 currentSampleId() const;
    /// Makes ID current and the only selected item and scrolls to it; false if not shown.
    bool setCurrentSample(qint64 id);
    /// Selected sample ids in gallery order.
    QVector<qint64> selectedSampleIds() const;
    /// The sample after / before ID in the current order, or -1.
    qint64 sampleAfter(qint64 id) const;
    qint64 sampleBefore(qint64 id) const;

    /// Filter and sort controls (also used by tests).
    QComboBox *classCombo() const { return m_classCombo; }
    QComboBox *categoryCombo() const { return m_categoryCombo; }
    QComboBox *stateCombo() const { return m_stateCombo; }
    /// "All splits" / "Train" / "Test"; shown only when the project has both splits.
    QComboBox *splitCombo() const { return m_splitCombo; }
    QComboBox *sortCombo() const { return m_sortCombo; }
    QLabel *countLabel() const { return m_countLabel; }
    /// "All samples" / active-learning queued batch / labelled set / pool by uncertainty.
    QComboBox *activeLearningCombo() const { return m_alCombo; }
    /// The pool view's colour key (least → most uncertain, with the range); hidden otherwise.
    QLabel *uncertaintyLegend() const { return m_alLegend; }
    /// Switches the active-learning view (the combo box) and resets the class, category and
    /// state filters so that the whole set shows; AlView::Off ends it.
    void showActiveLearning(GalleryModel::AlView view);

    /// Re-reads the class names into the combo box and the bulk menu.
    void rebuildClasses();

    /// Shows exactly the samples with given label GIVEN and suggested label SUGGESTED (a cell of
    /// the confident joint): resets the class, category and state filters and shows a button
    /// that clears this filter. showPair(-1, -1) clears it.
    void showPair(int given, int suggested);
    QToolButton *pairButton() const { return m_pairButton; }

    /// The chips bar (hidden when no filter is active), and the chip of one filter by kind:
    /// "class", "category", "state", "split", "al", "pair", "similar", "health", "subset"; null
    /// when off.
    QWidget *chipsBar() const { return m_chipsBar; }
    QToolButton *chip(const QString &kind) const;
    QToolButton *clearAllButton() const { return m_clearAll; }
    /// Turns every filter off (split: all splits), ends the ranking and the subset.
    void clearAllFilters();
    /// Shows only the selected samples (from the gallery or the scatter view's lasso).
    void showOnlySelection();
    QToolButton *showOnlySelectionButton() const { return m_onlySelection; }

Q_SIGNALS:
    void currentSampleChanged(qint64 sampleId);
    void selectionCountChanged(int count);
    void bulkRelabelRequested(int label);
    void bulkExcludeRequested();
    void bulkAcceptRequested();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void fitGrid();
    void applyFilters();
    void rebuildSplits();
    void updateCount(int shown, int total);
    void schedulePrefetch();
    void prefetchAhead();
    void onCurrentChanged();
    void updateChips();
    void updateSortBox();

    ReviewSession *m_session;
    ThumbnailLoader *m_loader;
    GalleryModel *m_model;
    ThumbnailDelegate *m_delegate;
    QListView *m_view;
    QComboBox *m_classCombo, *m_categoryCombo, *m_stateCombo, *m_splitCombo, *m_sortCombo, *m_alCombo;
    QLabel *m_splitLabel;
    QString m_splitFile;       // project for which the split combo was last set up
    bool m_splitShown = false; // the project has both splits
    QLabel *m_countLabel;
    QLabel *m_alLegend;
    QToolButton *m_bulkButton;
    QToolButton *m_pairButton;
    QWidget *m_chipsBar;
    QHBoxLayout *m_chipsLayout;
    QVector<QToolButton *> m_chips;
    QToolButton *m_clearAll, *m_onlySelection;
    QMenu *m_bulkMenu;
    QTimer *m_prefetchTimer;
    qint64 m_resetCurrent = -1;
    qint64 m_lastEmitted = -2;
};

} // namespace labelscope::ui
