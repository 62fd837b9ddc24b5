#pragma once
// OverlappingClassesView: beside the confident joint, the pairs of classes the latest run finds
// most often mislabelled as one another (cleanlab's find_overlapping_classes, symmetric; core
// base/confidentlearning.h findOverlappingClasses) as a table — class A, class B, the estimated
// overlapping samples and their share of the dataset — most first. With many classes the heat
// map is too large to read; this list names the pairs to merge or to define more clearly.
//
// The pairs are computed from the ConfidentJointView's joint (the run summary's, or the one
// recomputed from stored pred_probs), calibrated with the given labels' counts, so they are the
// pairs `labelscope analyze` prints. Activating a row (double-click, Enter) emits pairActivated
// with the direction that has more samples (given A suggested B, or the reverse), which the main
// window shows in the gallery as a click on that cell would.

#include "base/confidentlearning.h"

#include <QWidget>

#include <vector>

class QLabel;
class QTableWidget;

namespace labelscope::ui {

class ConfidentJointView;

class OverlappingClassesView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kPairsShown = 50;

    explicit OverlappingClassesView(ConfidentJointView *joint, QWidget *parent = nullptr);

    /// Re-reads the joint view (called when it refreshes).
    void refresh();

    const std::vector<OverlappingClasses> &pairs() const { return m_pairs; }
    QTableWidget *table() const { return m_table; }

Q_SIGNALS:
    void pairActivated(int given, int suggested);

private:
    void activateRow(int row);

    ConfidentJointView *m_joint;
    QLabel *m_title;
    QTableWidget *m_table;
    std::vector<OverlappingClasses> m_pairs;
};

} // namespace labelscope::ui
