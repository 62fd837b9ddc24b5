#pragma once
// AgreementView (issue 18): agreement between the annotators of a shared project — per pair
// (samples both decided, agreement, Cohen's kappa) and per given class — and the conflict queue
// of a second review (core/base/agreement.h), read from the project's label log. Shown on the
// statistics page and in Review → Team agreement. The log is read and the report computed on a
// worker thread with its own store connection (projectstore.h: one ProjectStore per thread).

#include "base/agreement.h"
#include "base/result.h"

#include <QFutureWatcher>
#include <QVector>
#include <QWidget>

class QLabel;
class QPushButton;
class QTableWidget;

namespace labelscope::ui {

class ReviewSession;

class AgreementView : public QWidget {
    Q_OBJECT
public:
    explicit AgreementView(ReviewSession *session, QWidget *parent = nullptr);
    /// Reads the log again (one pass over the label events) off the GUI thread; the tables change
    /// when it is done. A refresh while one runs supersedes it.
    void refresh();
    /// True from refresh() until its tables are shown.
    bool isRefreshing() const { return m_refreshing; }
    QTableWidget *pairsTable() const { return m_pairs; }
    QTableWidget *classesTable() const { return m_classes; }
    QPushButton *conflictsButton() const { return m_showConflicts; }

Q_SIGNALS:
    /// "Show the conflicts": the samples in conflict now, by id.
    void showConflicts(const QVector<qint64> &sampleIds);

private:
    void showReport(const Result<AgreementReport> &report);

    ReviewSession *m_session;
    QFutureWatcher<Result<AgreementReport>> m_watcher;
    bool m_refreshing = false;
    QLabel *m_summary;
    QTableWidget *m_pairs, *m_classes;
    QPushButton *m_showConflicts;
    QVector<qint64> m_conflicts;
};

} // namespace labelscope::ui
