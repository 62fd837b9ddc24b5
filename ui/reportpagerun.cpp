// ReportPage: "Run clean-eval…" (issue 17). The dialog (ui/cleanevaldialog.h) starts from the
// open project's data spec with quick-run defaults; the run goes through the window's job runner
// (core/jobs/jobrunner.h) with a progress bar, the stage and ETA, and Cancel (the job polls its
// cancel flag at least once per training batch, so it stops within a second). The result is shown
// at once, stored in the project's meta "clean_eval" when the project is writable (as
// `labelscope clean-eval --project` does), and "Save JSON…" writes it to a file.

#include "reportpage.h"

#include "analysisdialog.h" // describeProgress
#include "cleanevaldialog.h"
#include "reviewsession.h"
#include "uicommon.h"

#include "base/savefile.h"
#include "jobs/jobrunner.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QMessageBox>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <memory>

namespace labelscope::ui {

namespace {
const QString kRunJob = QStringLiteral("clean-eval");
}

void ReportPage::createRunControls(QHBoxLayout *bar, QVBoxLayout *layout)
{
    m_run = new QPushButton(tr("Run clean-eval\u2026"), this);
    m_run->setObjectName(QStringLiteral("runCleanEval"));
    m_saveJson = new QPushButton(tr("Save JSON\u2026"), this);
    m_saveJson->setObjectName(QStringLiteral("saveCleanEvalJson"));
    for (QPushButton *b : {m_run, m_saveJson})
        b->setFocusPolicy(Qt::NoFocus);
    bar->insertWidget(1, m_run); // after the title: the page's main action
    bar->addWidget(m_saveJson);
    connect(m_run, &QPushButton::clicked, this, &ReportPage::runCleanEvalDialog);
    connect(m_saveJson, &QPushButton::clicked, this, &ReportPage::saveJsonDialog);

    m_runWhyLabel = new QLabel(this);
    m_runWhyLabel->setObjectName(QStringLiteral("runCleanEvalReason"));
    m_runWhyLabel->setWordWrap(true);
    m_runWhyLabel->setStyleSheet(QStringLiteral("color: #8a5a00;"));
    m_runWhyLabel->hide();
    layout->addWidget(m_runWhyLabel);

    m_runRow = new QWidget(this);
    m_runRow->setObjectName(QStringLiteral("cleanEvalProgressRow"));
    m_runBar = new QProgressBar(m_runRow);
    m_runBar->setRange(0, 1000);
    m_runBar->setTextVisible(false);
    m_runBar->setMaximumWidth(220);
    m_runText = new QLabel(m_runRow);
    m_runText->setObjectName(QStringLiteral("cleanEvalProgressText"));
    m_cancelRun = new QPushButton(tr("Cancel"), m_runRow);
    m_cancelRun->setObjectName(QStringLiteral("cancelCleanEval"));
    m_cancelRun->setFocusPolicy(Qt::NoFocus);
    connect(m_cancelRun, &QPushButton::clicked, this, &ReportPage::cancelRun);
    auto *row = new QHBoxLayout(m_runRow);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(new QLabel(tr("Clean-eval:"), m_runRow));
    row->addWidget(m_runBar);
    row->addWidget(m_runText, 1);
    row->addWidget(m_cancelRun);
    m_runRow->hide();
    layout->addWidget(m_runRow);
}

void ReportPage::updateRunnable()
{
    QString why;
    if (m_running) {
        why = tr("A clean-eval is running (Cancel stops it).");
    } else if (!m_session->isOpen()) {
        why = tr("Open a project first: clean-eval runs on the project's data.");
    } else if (m_session->store()->meta(QStringLiteral("data_spec")).trimmed().isEmpty()) {
        why = tr("This project does not name its data (re-point it with `labelscope project set-data`).");
    } else {
        const auto &rows = m_session->rows();
        const bool test = std::any_of(rows.begin(), rows.end(), [](const SampleRow &r) {
            return ReviewSession::isTestSample(r) && (r.sample.trueLabel >= 0 || r.label >= 0);
        });
        if (!test)
            why = tr("The project's data has no labelled test split: clean-eval measures each model on a clean "
                     "test split (e.g. fashion-mnist's).");
    }
    m_runWhy = m_running ? QString() : why;
    m_run->setEnabled(why.isEmpty());
    m_run->setToolTip(why.isEmpty() ? tr("Measure what label errors cost on this project's data and what "
                                         "cleaning recovers (a quick run by default)")
                                    : why);
    // The line says it only when it is news: while running, the progress row says enough.
    m_runWhyLabel->setText(m_runWhy);
    m_runWhyLabel->setVisible(!m_runWhy.isEmpty());
}

CleanEvalParams ReportPage::defaultRunParams() const
{
    const QString spec = m_session->isOpen() ? m_session->store()->meta(QStringLiteral("data_spec")) : QString();
    return CleanEvalDialog::quickParams(spec);
}

void ReportPage::runCleanEvalDialog()
{
    if (!m_run->isEnabled())
        return;
    CleanEvalDialog dlg(this);
    dlg.setParams(defaultRunParams());
    if (dlg.exec() != QDialog::Accepted)
        return;
    runCleanEval(dlg.params());
}

bool ReportPage::runCleanEval(const CleanEvalParams &params)
{
    if (m_running || !m_run->isEnabled())
        return false;
    m_running = true;
    updateRunnable();
    m_runBar->setValue(0);
    m_runText->setText(tr("Starting\u2026"));
    m_cancelRun->setEnabled(true);
    m_runRow->show();
    JobRunner *jobs = jobRunnerFor(this);
    connect(jobs, &JobRunner::progress, this, &ReportPage::onRunProgress, Qt::UniqueConnection);
    const QString file = m_session->isOpen() ? m_session->fileName() : QString();
    auto seconds = std::make_shared<double>(0.0);
    QPointer<ReportPage> self(this);
    jobs->start<QJsonObject>(
        kRunJob,
        [params, seconds](JobContext &context) {
            Result<QJsonObject> r = labelscope::runCleanEval(params, context);
            *seconds = context.elapsedSeconds();
            return r;
        },
        [self, file, seconds](Result<QJsonObject> result) {
            if (self)
                self->onRunDone(result, file, *seconds);
        });
    return true;
}

void ReportPage::cancelRun()
{
    if (!m_running)
        return;
    jobRunnerFor(this)->cancel(kRunJob);
    m_cancelRun->setEnabled(false);
    m_runText->setText(tr("Cancelling\u2026"));
}

QString ReportPage::runProgressText() const { return m_running ? m_runText->text() : QString(); }

void ReportPage::onRunProgress(const JobProgress &p)
{
    if (p.job != kRunJob || !m_running || !m_cancelRun->isEnabled())
        return; // another job's, or cancelling
    m_runBar->setValue(int(std::round(std::clamp(p.fraction, 0.0, 1.0) * 1000)));
    m_runText->setText(describeProgress(p));
}

void ReportPage::onRunDone(const Result<QJsonObject> &result, const QString &projectFile, double seconds)
{
    m_running = false;
    m_runRow->hide();
    if (!result) {
        updateRunnable();
        if (result.isCancelled())
            showMessage(tr("Clean-eval cancelled; nothing was stored."), false);
        else
            showMessage(tr("Clean-eval failed: %1").arg(result.error()), true);
        Q_EMIT runFinished(false, result.error(), result.isCancelled());
        return;
    }
    QJsonObject doc = result.value();
    doc[QStringLiteral("seconds")] = std::round(seconds * 10.0) / 10.0;
    const QByteArray text = QJsonDocument(doc).toJson(QJsonDocument::Compact);
    // Stored where `clean-eval --project` stores it, when the same project is still open and
    // writable; otherwise only shown (Save JSON… keeps it).
    QString note;
    bool shown = false;
    if (m_session->isOpen() && m_session->fileName() == projectFile && !m_session->isReadOnly()) {
        QString error;
        if (m_session->store()->setMeta(QStringLiteral("clean_eval"), QString::fromUtf8(text), &error)) {
            shown = loadFromProject();
            note = tr("stored in the project");
        } else {
            note = tr("not stored in the project: %1").arg(error);
        }
    } else {
        note = m_session->isOpen() && m_session->isReadOnly() ? tr("not stored: the project is open read-only")
                                                              : tr("not stored: another project is open now");
    }
    QString error;
    if (!shown)
        shown = loadJson(text, tr("the clean-eval run of %1").arg(QDateTime::currentDateTime().toString(Qt::ISODate)),
                         &error);
    updateRunnable();
    if (shown)
        showMessage(tr("Clean-eval finished in %1 s (%2). \u201cSave JSON\u2026\u201d writes it to a file. %3")
                        .arg(seconds, 0, 'f', 0)
                        .arg(note, m_report.skippedNote())
                        .trimmed(),
                    false);
    Q_EMIT runFinished(shown, error, false);
}

bool ReportPage::saveJson(const QString &file, QString *error) const
{
    if (m_json.isEmpty()) {
        if (error)
            *error = tr("No report is shown.");
        return false;
    }
    QByteArray bytes = m_json.trimmed();
    // Indented for people; the same document (QJsonDocument keeps every value).
    const QJsonDocument doc = QJsonDocument::fromJson(bytes);
    if (!doc.isNull())
        bytes = doc.toJson(QJsonDocument::Indented);
    if (const Result<> written = writeFileAtomically(file, bytes); !written) {
        if (error)
            *error = written.error();
        return false;
    }
    return true;
}

void ReportPage::saveJsonDialog()
{
    if (m_json.isEmpty())
        return;
    QString suggested = QStringLiteral("clean-eval.json");
    if (m_session->isOpen() && QFileInfo::exists(m_session->fileName())) {
        const QFileInfo project(m_session->fileName());
        suggested = project.absoluteDir().filePath(project.completeBaseName() + QStringLiteral("-clean-eval.json"));
    }
    const QString file = QFileDialog::getSaveFileName(this, tr("Save clean-eval JSON"), suggested, tr("JSON (*.json)"));
    if (file.isEmpty())
        return;
    QString error;
    if (!saveJson(file, &error))
        QMessageBox::warning(this, tr("Save JSON"), error);
}

} // namespace labelscope::ui
