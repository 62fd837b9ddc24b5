// MainWindow: the analysis the window was opened with (`labelscope analyze ... --open`, issue 17).
// The window shows at once; the analysis runs on the window's job runner through the same
// AnalysisProgressWidget as File › New analysis (stage, progress, ETA and Cancel in the status
// bar). An existing project opens at once; a new one opens as soon as its samples are imported
// (the analysis' first stage after "loading"), showing them without verdicts; when the run is
// saved, onAnalysisFinished reloads the project and the gallery, scatter and statistics fill in.
// Also File › New analysis (the dialog, ui/analysisdialog.h) and its start: the analysis, or with
// "Learn an encoder from the images" the pretrain job and then the analysis on its encoder.

#include "mainwindow.h"

#include "analysisdialog.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "reviewsession.h"
#include "scatterpanel.h"

#include "base/projectlocation.h"

#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QListView>
#include <QMessageBox>
#include <QStatusBar>
#include <QUndoStack>
#include <QVBoxLayout>

namespace labelscope::ui {

bool MainWindow::analyseAndOpen(const AnalysisParams &params)
{
    const QString file = params.projectFile;
    // A file that exists but is empty is a project the analysis creates (as a new one).
    const bool existing = ProjectLocation::isUrl(file) || QFileInfo(file).size() > 0;
    if (!startAnalysis(params))
        return false;
    delete m_openWatch;
    m_openWatch = new QObject(this);
    const QString name = ProjectLocation::isUrl(file) ? file : QFileInfo(file).fileName();
    auto endWatch = [this] {
        showStartPageNote(QString());
        m_openWatch->deleteLater(); // in its own slot: not deleted here
    };
    connect(m_analysis, &AnalysisProgressWidget::finished, m_openWatch, [this, endWatch, existing] {
        // (After onAnalysisFinished reloaded.) The project's first run, nothing decided while it
        // ran: start at the top of the now noisiest-first gallery, as opening a project does.
        if (!existing && m_session->isOpen() && m_session->undoStack()->count() == 0
            && m_gallery->model()->rowCount() > 0) {
            m_gallery->setCurrentSample(m_gallery->model()->sampleIdAt(0));
            m_gallery->view()->scrollToTop();
        }
        endWatch();
    });
    connect(m_analysis, &AnalysisProgressWidget::failed, m_openWatch, endWatch);
    connect(m_analysis, &AnalysisProgressWidget::cancelled, m_openWatch, endWatch);
    if (existing) {
        openImportedProject(file);
        return true;
    }
    showStartPageNote(tr("Analysing %1 into %2.\n"
                         "The project opens here as soon as its samples are imported;\n"
                         "their verdicts follow when the run is saved. Progress and Cancel: status bar below.")
                          .arg(params.dataSpec.isEmpty() ? tr("the data") : params.dataSpec, name));
    connect(m_analysis, &AnalysisProgressWidget::stageChanged, m_openWatch, [this, file](const QString &stage) {
        if (stage.isEmpty() || stage == QLatin1String("loading"))
            return;
        showStartPageNote(QString());
        // Only over the start page: a project the user opened meanwhile stays (the finished run
        // still opens, as after File › New analysis).
        if (!m_session->isOpen() || isStartPageShown())
            openImportedProject(file);
        // The stage signal is needed once; the end-of-run connections stay.
        disconnect(m_analysis, &AnalysisProgressWidget::stageChanged, m_openWatch, nullptr);
    });
    return true;
}

void MainWindow::openImportedProject(const QString &file)
{
    QString error;
    if (!openProject(file, &error)) {
        // Not fatal: the run's end opens the project again, or says why the analysis failed.
        statusBar()->showMessage(tr("The project cannot be shown yet: %1").arg(error), 10000);
        return;
    }
    if (!m_analysis->isRunning())
        return;
    // Short: the status bar also holds the progress and the counts.
    // (Replaces openProject's "no analysis run yet (File › New analysis)", wrong while one runs.)
    statusBar()->showMessage(m_session->runId() > 0 ? tr("Run %1 shown until the new one is saved.").arg(m_session->runId())
                                                    : tr("Verdicts when the run is saved."),
                             30000);
}

void MainWindow::showStartPageNote(const QString &text)
{
    if (!m_startNote) {
        if (text.isEmpty())
            return;
        m_startNote = new QLabel(m_startPage);
        m_startNote->setObjectName(QStringLiteral("startAnalysisNote"));
        m_startNote->setAlignment(Qt::AlignCenter);
        // Lines broken by hand: a word-wrapped label under AlignHCenter gets too little height.
        m_startNote->setStyleSheet(QStringLiteral("QLabel { border: 1px solid palette(mid); padding: 8px; }"));
        if (auto *layout = qobject_cast<QVBoxLayout *>(m_startPage->layout()))
            layout->insertWidget(2, m_startNote, 0, Qt::AlignHCenter); // under the title
    }
    m_startNote->setText(text);
    m_startNote->setVisible(!text.isEmpty());
}

QString MainWindow::startPageNote() const
{
    return m_startNote && !m_startNote->isHidden() ? m_startNote->text() : QString();
}

void MainWindow::newAnalysisDialog()
{
    if (m_analysis->isRunning()) {
        QMessageBox::information(this, tr("New analysis"), tr("An analysis is already running."));
        return;
    }
    AnalysisDialog dlg(this);
    dlg.loadSettings();
    if (m_session->isOpen()) {
        AnalysisParams p = dlg.params();
        p.projectFile = m_session->fileName();
        const QString spec = m_session->store()->meta(QStringLiteral("data_spec"));
        if (!spec.isEmpty())
            p.dataSpec = spec;
        const QString limit = m_session->store()->meta(QStringLiteral("limit"));
        if (!limit.isEmpty())
            p.limit = limit.toLongLong();
        p.injectNoise = 0.0; // noise is injected only when a project is created
        dlg.setParams(p);
    }
    if (dlg.exec() != QDialog::Accepted)
        return;
    startAnalysis(dlg.params(), dlg.pretrainParams());
}

bool MainWindow::startAnalysis(const AnalysisParams &params, const std::optional<PretrainParams> &pretrain)
{
    if (!m_analysis->start(params, pretrain))
        return false;
    m_scatter->setAnalysisRunning(true);
    statusBar()->showMessage(pretrain ? tr("Learning an encoder from the images, then the analysis; you can keep "
                                           "reviewing meanwhile.")
                                      : tr("Analysis started; you can keep reviewing meanwhile."),
                             5000);
    return true;
}

void MainWindow::onAnalysisCancelled()
{
    statusBar()->showMessage(m_analysis->stoppedWhilePretraining()
                                 ? tr("Learning the encoder cancelled; its checkpoint is kept: start it again to resume.")
                                 : tr("Analysis cancelled."),
                             8000);
}

void MainWindow::onEncoderReady(const PretrainResult &result)
{
    statusBar()->showMessage(tr("Encoder written to %1 (%2 epochs); analysing its embeddings.")
                                 .arg(QDir::toNativeSeparators(result.outFile))
                                 .arg(result.epochs),
                             10000);
}

} // namespace labelscope::ui
