#include "activelearningpanel.h"

#include "analysisdialog.h" // describeProgress
#include "jobs/jobrunner.h"
#include "uicommon.h"

#include "reviewsession.h"

#include "ml/activelearning.h"
#include "ml/alconfig.h"
#include "ml/querystrategy.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QValueAxis>
#include <QVBoxLayout>

#include <memory>

namespace labelscope::ui {

namespace {
const QString kJobName = QStringLiteral("active-learning round");
}


ActiveLearningPanel::ActiveLearningPanel(ReviewSession *session, QWidget *parent)
    : QWidget(parent), m_session(session)
{
    setObjectName(QStringLiteral("activeLearningPanel"));
    // Readable names with a one-line explanation (issue 17); the data is the config identifier.
    m_strategy = new QComboBox(this);
    m_strategy->setObjectName(QStringLiteral("alStrategy"));
    for (const QString &id : uncertaintyNames())
        addStrategyItem(m_strategy, id);
    m_strategy->setCurrentIndex(std::max(0, m_strategy->findData(QStringLiteral("margin_based"))));
    m_diversity = new QComboBox(this);
    m_diversity->setObjectName(QStringLiteral("alDiversity"));
    for (const QString &id : diversityNames())
        addStrategyItem(m_diversity, id);
    m_batch = new QSpinBox(this);
    m_batch->setRange(1, 100000);
    m_batch->setValue(50);
    m_run = new QPushButton(tr("Run round"), this);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("alCancel"));
    m_cancel->setEnabled(false);
    m_cancel->setToolTip(tr("No round is running."));
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 100);
    m_progress->setValue(0);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_why = new QLabel(this);
    m_why->setObjectName(QStringLiteral("alDisabledReason"));
    m_why->setWordWrap(true);
    m_why->setStyleSheet(QStringLiteral("color: #8a5a00;"));
    m_why->hide();
    m_spent = new QLabel(this);
    m_queue = new QListWidget(this);
    m_queue->setObjectName(QStringLiteral("alQueue"));

    m_curve = new QLineSeries;
    m_curve->setName(tr("validation accuracy"));
    m_curve->setPointsVisible(true);
    auto *chart = new QChart;
    chart->addSeries(m_curve);
    chart->legend()->hide();
    chart->setTitle(tr("Learning curve"));
    m_axisX = new QValueAxis;
    m_axisX->setTitleText(tr("labels used"));
    m_axisX->setLabelFormat(QStringLiteral("%d"));
    m_axisY = new QValueAxis;
    m_axisY->setTitleText(tr("accuracy"));
    m_axisY->setRange(0, 1);
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_axisY, Qt::AlignLeft);
    m_curve->attachAxis(m_axisX);
    m_curve->attachAxis(m_axisY);
    m_chartView = new QChartView(chart, this);
    m_chartView->setMinimumHeight(220);
    m_chartView->setRenderHint(QPainter::Antialiasing);

    auto *form = new QFormLayout;
    form->addRow(tr("Strategy"), m_strategy);
    form->addRow(tr("Diversity"), m_diversity);
    form->addRow(tr("Batch size"), m_batch);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_run);
    buttons->addWidget(m_cancel);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_progress);
    layout->addWidget(m_why);
    layout->addWidget(m_status);
    layout->addWidget(m_spent);
    layout->addWidget(new QLabel(tr("Queue (label with the number keys; the next opens by itself):"), this));
    layout->addWidget(m_queue, 1);
    // Links to the gallery's active-learning views (ui/gallerymodel.h, latest round).
    auto *show = new QHBoxLayout;
    show->addWidget(new QLabel(tr("Show in gallery:"), this));
    const std::pair<const char *, GalleryModel::AlView> links[] = {
        {"showQueueInGallery", GalleryModel::AlView::Queue},
        {"showLabelledInGallery", GalleryModel::AlView::Labelled},
        {"showPoolInGallery", GalleryModel::AlView::Pool},
    };
    const QString texts[] = {tr("Queue"), tr("Labelled set"), tr("Pool by uncertainty")};
    for (int j = 0; j < 3; ++j) {
        auto *b = new QPushButton(texts[j], this);
        b->setObjectName(QString::fromLatin1(links[j].first));
        const GalleryModel::AlView view = links[j].second;
        connect(b, &QPushButton::clicked, this, [this, view] { Q_EMIT showInGalleryRequested(view); });
        show->addWidget(b);
        m_showButtons << b;
    }
    show->addStretch(1);
    layout->addLayout(show);
    layout->addWidget(m_chartView, 1);

    connect(m_run, &QPushButton::clicked, this, &ActiveLearningPanel::runRound);
    connect(m_cancel, &QPushButton::clicked, this, &ActiveLearningPanel::cancel);
    connect(m_queue, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row < m_pending.size())
            Q_EMIT sampleActivated(m_pending[row]);
    });
    connect(m_session, &ReviewSession::reloaded, this, &ActiveLearningPanel::refresh);
    connect(m_session, &ReviewSession::decisionsWritten, this, &ActiveLearningPanel::refresh);
    refresh();
}

ActiveLearningPanel::~ActiveLearningPanel()
{
    if (m_running)
        jobRunnerFor(this)->cancel(kJobName);
}

bool ActiveLearningPanel::isRunning() const
{
    return m_running;
}

qint64 ActiveLearningPanel::nextQueued(qint64 id) const
{
    const int at = m_pending.indexOf(id);
    if (at < 0)
        return m_pending.isEmpty() ? -1 : m_pending.front();
    return at + 1 < m_pending.size() ? m_pending[at + 1] : -1;
}

bool ActiveLearningPanel::runRound()
{
    if (isRunning() || !m_session->isOpen() || !m_run->isEnabled()) // disabled: m_why says why
        return false;
    AlConfig config;
    config.strategy = m_strategy->currentData().toString();
    config.diversity = m_diversity->currentData().toString();
    config.numLabelled = m_batch->value();
    config.initialLabelled = m_batch->value();
    const QString file = m_session->fileName();
    m_runFile = file;
    m_error.clear();
    m_run->setEnabled(false);
    m_cancel->setEnabled(true);
    m_cancel->setToolTip(tr("Stop the round (within a second); nothing of it is kept."));
    m_progress->setValue(0);
    m_status->setText(tr("Running a round (%1 / %2)…").arg(m_strategy->currentText(), m_diversity->currentText()));
    m_running = true;
    JobRunner *jobs = jobRunnerFor(this);
    connect(jobs, &JobRunner::progress, this, &ActiveLearningPanel::onProgress, Qt::UniqueConnection);
    QPointer<ActiveLearningPanel> self(this);
    jobs->start<AlProjectRound>(
        kJobName, [file, config](JobContext &context) { return runAlProjectRound(file, config, QStringLiteral("cpu"), context); },
        [self](Result<AlProjectRound> result) {
            if (self)
                self->onFinished(result);
        });
    return true;
}

void ActiveLearningPanel::onProgress(const JobProgress &p)
{
    if (p.job != kJobName || !m_running)
        return;
    if (m_runFile != m_file)
        return; // a round of the project shown before; it is being cancelled
    m_progress->setValue(int(p.fraction * 100));
    // Stage, detail, percentage and ETA ("Training · round 1/1 epoch 3/10 · 41% · ETA 1 min 20 s"):
    // long rounds say how long they still take.
    m_status->setText(tr("Round: %1").arg(describeProgress(p)));
}

void ActiveLearningPanel::cancel()
{
    if (!m_running)
        return;
    jobRunnerFor(this)->cancel(kJobName);
    m_cancel->setEnabled(false);
    m_status->setText(tr("Cancelling…"));
}

QString ActiveLearningPanel::statusText() const { return m_status->text(); }

int ActiveLearningPanel::curvePointCount() const { return int(m_curve->count()); }

void ActiveLearningPanel::onFinished(const Result<AlProjectRound> &result)
{
    m_running = false;
    m_cancel->setEnabled(false);
    m_cancel->setToolTip(tr("No round is running."));
    if (m_runFile != m_file) {
        // Another project opened meanwhile (the round was cancelled then): nothing of it is shown.
        refresh();
        return;
    }
    m_error = result.error();
    m_roundId = result ? result->roundId : 0;
    if (!result) {
        refresh(); // enables Run round again where the pool allows
        m_progress->setValue(0);
        m_status->setText(result.isCancelled() ? tr("Round cancelled.") : tr("Round failed: %1").arg(m_error));
        Q_EMIT roundFailed(m_error);
        return;
    }
    m_progress->setValue(100);
    refresh();
    m_status->setText(tr("Round %1 queued %2 samples.").arg(m_roundId).arg(m_pending.size()));
    Q_EMIT roundFinished(m_roundId);
    if (!m_pending.isEmpty())
        m_queue->setCurrentRow(0);
}

void ActiveLearningPanel::refresh()
{
    const QSignalBlocker blocker(m_queue);
    m_pending.clear();
    m_queue->clear();
    m_curve->clear();
    ProjectStore *store = m_session->isOpen() ? m_session->store() : nullptr;
    // Another project: nothing of the last one's round carries over.
    if (m_session->fileName() != m_file) {
        m_file = m_session->fileName();
        m_status->clear();
        m_progress->setValue(0);
        m_roundId = 0;
        m_error.clear();
        if (m_running) { // the round works on the previous project: stop it
            jobRunnerFor(this)->cancel(kJobName);
            m_cancel->setEnabled(false);
        }
    }
    if (!store) {
        m_spent->setText(tr("No project open."));
        setRunnable(false, tr("Open a project first."));
        for (QPushButton *b : std::as_const(m_showButtons)) {
            b->setEnabled(false);
            b->setToolTip(tr("Open a project first."));
        }
        return;
    }
    const std::vector<AlRoundInfo> rounds = store->alRounds();
    for (QPushButton *b : std::as_const(m_showButtons)) {
        // The labelled set exists without a round; the queue and the scored pool do not.
        const bool needsRound = b->objectName() != QLatin1String("showLabelledInGallery");
        b->setEnabled(!needsRound || !rounds.empty());
        b->setToolTip(needsRound && rounds.empty() ? tr("No active-learning round yet: Run round first.") : QString());
    }
    qint64 maxLabels = 1;
    qint64 fromQueues = 0;
    for (const AlRoundInfo &r : rounds) {
        if (r.valAccuracy >= 0)
            m_curve->append(double(r.labelled), r.valAccuracy);
        maxLabels = std::max(maxLabels, r.labelled);
        for (const AlQueueItem &q : store->alQueue(r.id)) {
            const int i = m_session->indexOf(q.sampleId);
            if (i >= 0 && m_session->row(i).label >= 0)
                ++fromQueues;
        }
    }
    m_axisX->setRange(0, double(maxLabels) * 1.1);
    if (!rounds.empty()) {
        for (const AlQueueItem &q : store->alQueue(rounds.back().id)) {
            const int i = m_session->indexOf(q.sampleId);
            if (i < 0 || m_session->row(i).label >= 0 || m_session->row(i).excluded)
                continue;
            m_pending.push_back(q.sampleId);
            m_queue->addItem(tr("#%1  uncertainty %2").arg(q.sampleId).arg(double(q.score), 0, 'f', 3));
        }
    }
    qint64 labelled = 0, pool = 0;
    for (const SampleRow &r : m_session->rows()) {
        if (ReviewSession::isTestSample(r))
            continue;
        if (r.label >= 0)
            ++labelled;
        else if (!r.excluded)
            ++pool;
    }
    if (m_running)
        setRunnable(false, m_runFile == m_file ? tr("A round is running.")
                                               : tr("The previous project's round is stopping."));
    else if (m_session->isReadOnly())
        setRunnable(false, tr("The project is open read-only."));
    else if (pool == 0)
        setRunnable(false, tr("Nothing to ask for: every training sample has a label (a round picks from the "
                              "unlabelled ones)."));
    else
        setRunnable(true, tr("Train on the labelled samples and queue the %L1 most useful of the %L2 unlabelled ones")
                              .arg(m_batch->value())
                              .arg(pool));
    m_spent->setText(tr("Labelled training samples: %L1 (%L2 from active-learning queues); %3 rounds; %4 waiting in the queue.")
                         .arg(labelled).arg(fromQueues).arg(rounds.size()).arg(m_pending.size()));
}

void ActiveLearningPanel::setRunnable(bool runnable, const QString &why)
{
    m_run->setEnabled(runnable && !m_running);
    m_run->setToolTip(why);
    m_why->setText(runnable ? QString() : why);
    m_why->setVisible(!runnable);
}

void ActiveLearningPanel::addStrategyItem(QComboBox *box, const QString &id)
{
    struct Entry {
        const char *id, *label, *explain;
    };
    static const Entry kEntries[] = {
        {"least_confidence", "Least confident", "Ask for the samples whose most likely class is least likely."},
        {"margin_based", "Smallest margin", "Ask for the samples whose two most likely classes are closest."},
        {"entropy_based", "Highest entropy", "Ask for the samples whose class probabilities are most spread out."},
        {"random_sampling", "Random", "Pick at random (the baseline)."},
        {"bald", "Model disagreement (BALD)", "Ask where dropout samples of the model disagree most."},
        {"pick_top_n", "Most uncertain first", "Take the top of the uncertainty ranking as it is."},
        {"iterative_proximity_sampling", "Uncertain and spread out",
         "Prefer uncertain samples far from those already picked, in steps."},
        {"clustering_sampling", "One per cluster", "Cluster the pool and take the most uncertain of each cluster."},
        {"coreset", "Cover the data (core-set)", "Pick samples far from everything labelled, ignoring uncertainty."},
        {"ranked_batch", "Ranked batch", "Trade uncertainty against distance to the labelled and picked samples."},
        {"badge", "BADGE", "Pick diverse samples in the space of the model's gradient embeddings."},
    };
    QString label = id, explain;
    for (const Entry &e : kEntries)
        if (id == QLatin1String(e.id)) {
            label = tr(e.label);
            explain = tr(e.explain);
        }
    box->addItem(label, id);
    box->setItemData(box->count() - 1, explain + QStringLiteral(" (") + id + QLatin1Char(')'), Qt::ToolTipRole);
}

} // namespace labelscope::ui
