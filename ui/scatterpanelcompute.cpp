// ScatterPanel: computing a t-SNE layout and class sub-clusters off the GUI thread through the
// window's JobRunner, with progress, cancel and the result shown when it arrives.

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

void ScatterPanel::startSubclusters()
{
    if (m_subRunning || !m_session->isOpen() || m_session->runId() <= 0)
        return;
    if (m_sub.runId == m_session->runId() && m_sub.file == m_session->fileName() && !m_subError.isEmpty())
        return; // failed for this run already (e.g. no embeddings); the status line says why
    m_subRunning = true;
    const QString file = m_session->fileName();
    const qint64 runId = m_session->runId();
    const int k = int(m_session->classes().size());
    m_status->setText(tr("Computing sub-clusters\u2026"));
    QPointer<ScatterPanel> self(this);
    jobRunnerFor(this)->start<ClassSubclusters>(
        kSubclusterJob, [file, runId, k](JobContext &context) { return computeClassSubclusters(file, runId, k, context); },
        [self, file, runId](Result<ClassSubclusters> result) {
            if (!self)
                return;
            self->m_subRunning = false;
            self->m_sub = result ? std::move(result).value() : ClassSubclusters{file, runId, {}, {}};
            // A failure is remembered for this run (not tried again); a cancel is not.
            self->m_subError = result || result.isCancelled() ? QString() : result.error();
            if (result.isCancelled())
                self->m_sub.runId = 0;
            self->m_status->setText(self->m_subError.isEmpty() ? QString() : tr("Sub-clusters: %1").arg(self->m_subError));
            if (self->m_colorBy == ColorBy::Subcluster)
                self->recolor();
        });
}

bool ScatterPanel::isComputing() const { return m_computing; }

void ScatterPanel::cancelCompute()
{
    jobRunnerFor(this)->cancel(kLayoutJob);
}

bool ScatterPanel::computeLayout(const TsneParams &params)
{
    if (m_computing || !m_session->isOpen() || m_session->runId() <= 0)
        return false;
    LayoutJobParams p;
    p.projectFile = m_session->fileName();
    p.runId = m_session->runId();
    p.kind = kind();
    p.tsne = params;
    m_jobKind = p.kind;
    auto animate = m_animateFlag;
    // The destructor waits for this job (cancelAndWait), so `this` outlives every call below.
    p.preview = [this, animate](const TsneProgress &tp, const std::vector<qint64> &ids) {
        // On the job's thread: copy what the GUI needs and queue it.
        std::vector<float> xy;
        if (tp.layout && animate->load())
            xy.assign(tp.layout, tp.layout + tp.n * 2);
        std::vector<qint64> idsCopy = xy.empty() ? std::vector<qint64>() : ids;
        QMetaObject::invokeMethod(
            this,
            [this, it = tp.iteration, total = tp.iterations, stage = tp.stage, idsCopy = std::move(idsCopy),
             xy = std::move(xy)]() mutable { onComputeProgress(it, total, stage, std::move(idsCopy), std::move(xy)); },
            Qt::QueuedConnection);
    };
    m_computing = true;
    QPointer<ScatterPanel> self(this);
    jobRunnerFor(this)->start<LayoutJobResult>(
        kLayoutJob, [p](JobContext &context) { return runLayoutJob(p, context); },
        [self](Result<LayoutJobResult> result) {
            if (self)
                self->onComputeFinished(result);
        });
    m_status->setText(tr("Computing the layout\u2026"));
    m_progress->setRange(0, 0);
    updateComputeUi();
    return true;
}

void ScatterPanel::onComputeProgress(int iteration, int iterations, const QString &stage, std::vector<qint64> ids,
                                     std::vector<float> xy)
{
    if (!m_computing)
        return;
    if (iterations > 0 && stage == QLatin1String("optimise")) {
        m_progress->setRange(0, iterations);
        m_progress->setValue(iteration);
    }
    m_status->setText(stage == QLatin1String("optimise") ? tr("t-SNE iteration %1 of %2").arg(iteration).arg(iterations)
                                                          : tr("t-SNE: %1\u2026").arg(stage));
    if (!xy.empty() && m_jobKind == kind() && m_animateAction->isChecked()) {
        m_animating = true;
        showLayout(std::move(ids), std::move(xy));
    }
}

void ScatterPanel::onComputeFinished(const Result<LayoutJobResult> &result)
{
    m_computing = false;
    updateComputeUi();
    if (result.isCancelled()) {
        m_status->setText(tr("Layout cancelled."));
        if (m_animating)
            reloadLayout(); // back to what the project holds
        Q_EMIT layoutComputed(false, QStringLiteral("cancelled"));
        return;
    }
    if (!result) {
        m_status->setText(tr("Layout failed: %1").arg(result.error()));
        if (m_animating)
            reloadLayout();
        Q_EMIT layoutComputed(false, result.error());
        return;
    }
    const LayoutJobResult &r = result.value();
    m_status->setText(tr("Layout of %L1 samples computed in %2 s and stored.").arg(r.layout.sampleIds.size())
                          .arg(r.seconds, 0, 'f', 1));
    if (r.layout.kind == kind())
        reloadLayout();
    Q_EMIT layoutComputed(true, QString());
}

void ScatterPanel::updateComputeUi()
{
    const bool running = m_computing;
    const bool canCompute = m_session->isOpen() && m_session->runId() > 0 && !running;
    m_computeButton->setEnabled(canCompute);
    m_computeButton->setVisible(m_session->isOpen() && m_session->runId() > 0);
    m_computeAction->setEnabled(canCompute);
    m_computeAction->setText(hasLayout() && !m_animating ? tr("Recompute layout") : tr("Compute layout"));
    m_progress->setVisible(running);
    m_cancelButton->setVisible(running);
}

} // namespace labelscope::ui
