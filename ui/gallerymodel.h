#pragma once
// GalleryModel: the filtered, sorted list of samples shown in the gallery.
//
// Filtering and sorting are done here with a vector of session indices rather than with a
// QSortFilterProxyModel: one pass over 60,000 samples and one std::sort take a few
// milliseconds, and a decision only moves the rows it concerns (rows that stop matching the
// filter are removed, rows that start matching are inserted at their sorted place), so the view
// keeps its scroll position.
//
// Active-learning views (issue 4), read from the store's latest round (al_rounds, al_queue,
// al_scores) and applied on top of the other filters: the queued batch in labelling order, the
// labelled set (labelled, non-excluded training samples: what the next round trains on), and the
// pool the round scored, most uncertain first, each tile framed by an uncertainty colour ramp.

#include "base/category.h"

#include <QAbstractListModel>
#include <QColor>
#include <QVector>

#include <cstdint>
#include <vector>

namespace labelscope::ui {

class ReviewSession;
class ThumbnailLoader;

class GalleryModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        SampleIdRole = Qt::UserRole + 1, ///< qint64
        SessionIndexRole,                ///< int, index into ReviewSession
        LabelRole,                       ///< int, current label
        GivenLabelRole,                  ///< int
        CategoryRole,                    ///< int (labelscope::Category)
        NoiseScoreRole,                  ///< float, < 0 when unscored
        RelabelledRole,                  ///< bool
        ExcludedRole,                    ///< bool
        CaptionRole,                     ///< QString, same as Qt::DisplayRole
        ThumbnailRole,                   ///< QImage (null while loading); requests the load
        ThumbnailStateRole,              ///< int (ThumbnailLoader::State), no request
        PredictedLabelRole,              ///< int, -1 unknown
        UncertaintyRole,                 ///< float, the latest round's pool uncertainty; NaN when none
        FrameColorRole,                  ///< QColor of the tile's frame; invalid = category colour
    };
    /// Flagged: find_label_issues flagged the sample (Confident Learning) in the latest run.
    enum class StateFilter { All, Relabelled, NotRelabelled, Excluded, Disagrees, Flagged };
    enum class SplitFilter { All, Train, Test }; ///< "" counts as train
    enum class SortOrder { NoiseDescending, Id };
    static constexpr int kAllCategories = -2;
    /// Active-learning view (latest round): Off, its queued batch (labelling order), the labelled
    /// training set (the current sort order), its scored pool (most uncertain first).
    enum class AlView { Off, Queue, Labelled, Pool };

    /// The pool view's frame colour for an uncertainty T scaled to [0, 1] over the round's pool:
    /// blue (least uncertain) → sky → yellow → orange → red (most uncertain).
    static QColor uncertaintyColor(double t);

    GalleryModel(ReviewSession *session, ThumbnailLoader *loader, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

    /// Current label to show; -1 = all classes.
    void setClassFilter(int label);
    int classFilter() const { return m_classFilter; }
    /// A labelscope::Category as int, or kAllCategories.
    void setCategoryFilter(int category);
    int categoryFilter() const { return m_categoryFilter; }
    void setStateFilter(StateFilter filter);
    StateFilter stateFilter() const { return m_stateFilter; }
    void setSplitFilter(SplitFilter filter);
    SplitFilter splitFilter() const { return m_splitFilter; }
    void setSortOrder(SortOrder order);
    SortOrder sortOrder() const { return m_sortOrder; }
    /// Confident-joint cell: only samples with given label GIVEN and suggested label SUGGESTED
    /// (latest run); -1, -1 turns it off.
    /// "Find similar": show only SAMPLEIDS, in this order (nearest first), still under the other
    /// filters; an empty list ends the ranking.
    void setRanking(const QVector<qint64> &sampleIds);
    bool hasRanking() const { return !m_rank.empty(); }
    void setPairFilter(int given, int suggested);
    int pairGiven() const { return m_pairGiven; }
    int pairSuggested() const { return m_pairSuggested; }
    void setAlView(AlView view);
    AlView alView() const { return m_alView; }
    /// The round the active-learning view shows (0: none), and a short note on it for the UI.
    qint64 alRoundId() const { return m_alRound; }
    QString alNote() const { return m_alNote; }
    /// The range of the pool view's uncertainty (the colour ramp's ends); 0, 0 without scores.
    float alUncertaintyMin() const { return m_alMin; }
    float alUncertaintyMax() const { return m_alMax; }
    /// Samples of the round in the current active-learning view (queue or scored pool; before
    /// the other filters), 0 for Off and Labelled.
    int alCount() const { return m_alCount; }
    /// Re-reads the latest round from the store (after a round finished) when a view is on.
    void refreshActiveLearning();

    /// Dataset health (issue 16; ui/healthmodel.h). SHOWN [session count] limits the gallery to
    /// the samples whose entry is non-zero (empty: no health filter), under the other filters.
    void setIssueFilter(std::vector<std::uint8_t> shown);
    bool hasIssueFilter() const { return !m_issueShown.empty(); }
    /// Per sample (session index): the frame colour of its health issue (invalid = none; the
    /// active-learning pool's colours come first) and a line for its tool tip.
    void setIssueMarks(std::vector<QColor> frames, std::vector<QString> notes);

    int shownCount() const { return int(m_rows.size()); }
    int totalCount() const;
    int sessionIndexAt(int row) const;
    qint64 sampleIdAt(int row) const;
    /// Row of the sample with this id in the current filtered order, or -1.
    int rowOfSample(qint64 id) const;
    QModelIndex indexOfSample(qint64 id) const;
    /// Queues the thumbnails of rows [first, first + count) (preloading ahead of the view).
    void prefetch(int first, int count);

    /// Re-reads everything from the session (after open / reload).
    void rebuild();

Q_SIGNALS:
    /// The number of rows shown or the total changed.
    void countsChanged(int shown, int total);

private:
    bool accepts(int index) const;
    bool lessThan(int a, int b) const;
    void refreshPositions();
    void onSamplesChanged(const QVector<int> &indices);
    void onThumbnailReady(qint64 sampleId);
    QString caption(int index) const;
    QString toolTip(int index) const;
    void loadActiveLearning();
    float uncertainty(int index) const;

    ReviewSession *m_session;
    ThumbnailLoader *m_loader;
    std::vector<int> m_rows; // session indices in display order
    std::vector<int> m_pos;  // session index -> row, or -1
    int m_classFilter = -1;
    int m_categoryFilter = kAllCategories;
    StateFilter m_stateFilter = StateFilter::All;
    SplitFilter m_splitFilter = SplitFilter::All;
    SortOrder m_sortOrder = SortOrder::NoiseDescending;
    int m_pairGiven = -1, m_pairSuggested = -1;
    std::vector<int> m_rank; // session index -> position in the ranking, -1 not ranked; empty: none
    AlView m_alView = AlView::Off;
    qint64 m_alRound = 0;
    QString m_alNote;
    std::vector<int> m_alPos;     // session index -> position in the queue / pool order, -1 none
    std::vector<float> m_alScore; // session index -> pool uncertainty (Pool view), NaN none
    float m_alMin = 0.f, m_alMax = 0.f;
    int m_alCount = 0;
    std::vector<std::uint8_t> m_issueShown; // session index -> shown by the health filter; empty: off
    std::vector<QColor> m_issueFrame;       // session index -> health frame colour
    std::vector<QString> m_issueNote;       // session index -> health tool-tip line
};

} // namespace labelscope::ui
