#pragma once
// ConfidentJointView: the confident joint of the latest run as a K × K heat map — rows the given
// label, columns the likely true label (Northcutt et al., "Confident Learning", JAIR 2021;
// cleanlab's `confident_joint`) — with the class names on both axes and, beside each row, the
// estimated noise rate of that class (the off-diagonal share of the calibrated joint's row).
//
// The counts come from the run summary (`confident_learning.confident_joint`, written by the
// analysis); a run without it but with stored out-of-sample pred_probs is recomputed with
// findLabelIssues() on the samples' given labels. Qt Charts has no heat map series, so this is a
// painted widget. Clicking a cell emits cellClicked(given, likelyTrue); the main window filters
// the gallery to the samples with that given label and that suggested label.
//
// The number printed in a cell (and its shade) is that of the samples a click shows: given label
// g and suggested label t (pairCount). The confident joint counts only the samples whose
// probability of t reaches class t's confidence threshold, so its off-diagonal counts are
// smaller (a cell of 395 in the joint showed 723 samples): the joint's count is in the cell's
// tool tip and gives the noise-rate column; the printed numbers always agree with the gallery.

#include <QStringList>
#include <QWidget>

#include <vector>

namespace labelscope::ui {

class ReviewSession;

class ConfidentJointView : public QWidget {
    Q_OBJECT
public:
    explicit ConfidentJointView(ReviewSession *session, QWidget *parent = nullptr);

    /// Re-reads the joint of the session's latest run (called on reload).
    void refresh();

    /// True when a joint is shown; otherwise message() says why not.
    bool hasJoint() const { return m_k > 0; }
    QString message() const { return m_message; }
    int classCount() const { return m_k; }
    ReviewSession *session() const { return m_session; }
    const QStringList &classNames() const { return m_names; }
    /// Confident-joint count C[given][likelyTrue].
    qint64 count(int given, int likelyTrue) const;
    /// Estimated noise rate of class K in [0, 1] (NaN for a class without confident samples).
    double noiseRate(int k) const;
    /// Samples of the latest run with this given label and this suggested label (what a click
    /// on the cell shows in the gallery, and the number printed in the cell).
    qint64 pairCount(int given, int suggested) const;
    /// The text painted in a cell: pairCount() in the locale's format ("" for an empty cell
    /// too small for a 0).
    QString cellText(int given, int suggested) const;
    /// "summary" (from the run summary) or "pred_probs" (recomputed).
    QString source() const { return m_source; }
    /// The cell's rectangle in widget coordinates (empty when out of range or nothing shown).
    QRect cellRect(int given, int likelyTrue) const;

    QSize sizeHint() const override;
    /// Room for cells of at least 18 px (many classes scroll in the tab's scroll area).
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void cellClicked(int given, int likelyTrue);
    /// After refresh(): the joint (or the message) is new.
    void refreshed();

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    bool event(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    struct Geometry {
        int left = 0, top = 0, cell = 0, noiseLeft = 0;
    };
    void layoutCells();
    bool cellAt(const QPoint &pos, int *given, int *likelyTrue) const;
    QString cellToolTip(int given, int likelyTrue) const;
    QSize sizeForCell(int cell) const;

    ReviewSession *m_session;
    int m_k = 0;
    QStringList m_names;
    std::vector<qint64> m_joint;  // [K*K] row-major
    std::vector<qint64> m_pairs;  // [K*K] given × suggested sample counts
    std::vector<double> m_noise;  // [K]
    qint64 m_issues = -1;
    QString m_message, m_source;
    Geometry m_geo;
    int m_hoverGiven = -1, m_hoverTrue = -1;
};

} // namespace labelscope::ui
