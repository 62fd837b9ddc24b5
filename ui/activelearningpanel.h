#pragma once
// ActiveLearningPanel: runs active-learning rounds on the open project (core/ml/activelearning.h)
// off the GUI thread with progress and cancel, shows the queue of samples to label next (they open
// in the labelling panel one after another), the labels spent, and a live learning curve
// (validation accuracy against labels used, Qt Charts).

#include "gallerymodel.h"

#include "base/result.h"
#include "jobs/job.h"
#include "ml/activelearning.h"

#include <QList>
#include <QVector>
#include <QWidget>

#include <atomic>
#include <memory>

class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QLineSeries;
class QChartView;
class QValueAxis;

namespace labelscope::ui {

class ReviewSession;

class ActiveLearningPanel : public QWidget {
    Q_OBJECT
public:
    explicit ActiveLearningPanel(ReviewSession *session, QWidget *parent = nullptr);
    ~ActiveLearningPanel() override;

    /// Sample ids of the newest round's queue that are still unlabelled, in labelling order.
    QVector<qint64> pendingQueue() const { return m_pending; }
    /// The queued sample after `id` that is still unlabelled (the first one when id is not
    /// queued), or -1.
    qint64 nextQueued(qint64 id) const;
    bool isRunning() const;
    QComboBox *strategyBox() const { return m_strategy; }
    QComboBox *diversityBox() const { return m_diversity; }
    QSpinBox *batchBox() const { return m_batch; }
    QPushButton *runButton() const { return m_run; }
    /// The line that says why Run round is disabled (hidden when it is enabled).
    QLabel *disabledReason() const { return m_why; }
    QPushButton *cancelButton() const { return m_cancel; }
    /// The status line (the running round's stage, progress and ETA; the last round's outcome).
    QString statusText() const;
    /// Points of the learning curve shown.
    int curvePointCount() const;

public Q_SLOTS:
    /// Starts a round with the chosen strategy and batch size; false when one is running or no
    /// project is open.
    bool runRound();
    void cancel();
    /// Re-reads rounds, queue and counts from the store.
    void refresh();

Q_SIGNALS:
    /// The user picked a queued sample (or a round finished: its first sample).
    void sampleActivated(qint64 id);
    void roundFinished(qint64 roundId);
    void roundFailed(const QString &error);
    /// "Show in gallery": the queued batch, the labelled set or the pool by uncertainty.
    void showInGalleryRequested(labelscope::ui::GalleryModel::AlView view);

private:
    void onProgress(const labelscope::JobProgress &progress);
    void onFinished(const Result<AlProjectRound> &result);
    /// Enables Run round or disables it saying why (its tool tip and the line below it).
    void setRunnable(bool runnable, const QString &why);
    static void addStrategyItem(QComboBox *box, const QString &id);

    ReviewSession *m_session;
    QComboBox *m_strategy, *m_diversity;
    QSpinBox *m_batch;
    QPushButton *m_run, *m_cancel;
    QProgressBar *m_progress;
    QLabel *m_status, *m_spent;
    QLabel *m_why = nullptr; // why Run round is disabled
    QString m_file;          // the project refresh() last showed
    QString m_runFile;       // the project the running round works on
    QList<QPushButton *> m_showButtons; // "Show in gallery" links; queue and pool need a round
    QListWidget *m_queue;
    QChartView *m_chartView;
    QLineSeries *m_curve;
    QValueAxis *m_axisX, *m_axisY;
    QVector<qint64> m_pending;
    bool m_running = false;
    QString m_error;
    qint64 m_roundId = 0;
};

} // namespace labelscope::ui
