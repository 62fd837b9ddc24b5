#include "analysisdialog.h"

#include "backbonepicker.h"

#include "base/projectlocation.h"
#include "jobs/jobrunner.h"
#include "uicommon.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>

namespace labelscope::ui {

namespace {
const QString kAnalysisJob = QStringLiteral("analysis");
constexpr int kTextWidth = 250; // px of the status bar's progress line
}

namespace {
QWidget *withButton(QLineEdit *edit, QWidget *button, QWidget *parent)
{
    auto *w = new QWidget(parent);
    auto *l = new QHBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    l->addWidget(edit, 1);
    l->addWidget(button);
    return w;
}
} // namespace

AnalysisDialog::AnalysisDialog(QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("New analysis"));
    m_spec = new QLineEdit(this);
    m_spec->setObjectName(QStringLiteral("dataSpec"));
    m_spec->setPlaceholderText(tr("fashion-mnist, an IDX folder, an ImageFolder root or a CSV manifest"));
    auto *browseData = new QPushButton(tr("Browse\u2026"), this);
    auto *dataMenu = new QMenu(browseData);
    connect(dataMenu->addAction(tr("Folder (ImageFolder root or IDX files)\u2026")), &QAction::triggered,
            this, [this] {
                const QString d = QFileDialog::getExistingDirectory(this, tr("Dataset folder"), m_spec->text());
                if (!d.isEmpty())
                    m_spec->setText(d);
            });
    connect(dataMenu->addAction(tr("CSV manifest\u2026")), &QAction::triggered, this, &AnalysisDialog::browseData);
    dataMenu->addSeparator();
    for (const char *builtin : {"fashion-mnist", "mnist"}) {
        const QString name = QString::fromLatin1(builtin);
        connect(dataMenu->addAction(name), &QAction::triggered, this, [this, name] { m_spec->setText(name); });
    }
    browseData->setMenu(dataMenu);

    m_project = new QLineEdit(this);
    m_project->setObjectName(QStringLiteral("projectFile"));
    m_project->setPlaceholderText(tr("project file; created if it does not exist"));
    auto *browseProject = new QPushButton(tr("Browse\u2026"), this);
    connect(browseProject, &QPushButton::clicked, this, &AnalysisDialog::browseProject);

    m_backbone = new BackbonePicker(this);
    connect(m_project, &QLineEdit::textChanged, this, [this](const QString &text) {
        const QString project = text.trimmed();
        m_backbone->setEncoderFile(encoderFileFor(project),
                                   ProjectLocation::isUrl(project)
                                       ? tr("The project is a database: learn an encoder with `labelscope pretrain "
                                            "--out FILE.pt` and pick the file.")
                                       : QString());
    });
    connect(m_backbone, &BackbonePicker::changed, this, &AnalysisDialog::updateOk);

    m_noise = new QDoubleSpinBox(this);
    m_noise->setRange(0, 90);
    m_noise->setDecimals(1);
    m_noise->setSingleStep(5);
    m_noise->setSuffix(QStringLiteral(" %"));
    m_noise->setToolTip(tr("Corrupt this fraction of the labels at import, to measure detection"));
    m_noiseKind = new QComboBox(this);
    m_noiseKind->addItems(enumNames(kNoiseKindNames));
    auto *noiseRow = new QWidget(this);
    auto *nl = new QHBoxLayout(noiseRow);
    nl->setContentsMargins(0, 0, 0, 0);
    nl->addWidget(m_noise);
    nl->addWidget(m_noiseKind, 1);

    m_epochs = new QSpinBox(this);
    m_epochs->setRange(0, 500);
    m_epochs->setSpecialValueText(tr("automatic"));
    m_limit = new QSpinBox(this);
    m_limit->setRange(0, 100000000);
    m_limit->setSingleStep(1000);
    m_limit->setSpecialValueText(tr("all samples"));
    m_limit->setToolTip(tr("At most this many samples per split; from image files the classes are taken in turn"));
    m_seed = new QSpinBox(this);
    m_seed->setRange(0, 2147483647);
    m_seed->setValue(1);
    m_device = new QComboBox(this);
    m_device->addItems(enumNames(kDeviceNames));

    m_hint = new QLabel(tr("The project file keeps the samples, every decision and every run. An existing "
                           "project is analysed again with its current samples; the data spec is "
                           "only read for a new project."),
                        this);
    m_hint->setWordWrap(true);
    m_hint->setStyleSheet(QStringLiteral("color: #666;"));

    auto *form = new QFormLayout;
    form->addRow(tr("Data:"), withButton(m_spec, browseData, this));
    form->addRow(tr("Project file:"), withButton(m_project, browseProject, this));
    form->addRow(tr("Features:"), m_backbone);
    form->addRow(tr("Inject noise:"), noiseRow);
    form->addRow(tr("Epochs:"), m_epochs);
    form->addRow(tr("Limit:"), m_limit);
    form->addRow(tr("Seed:"), m_seed);
    form->addRow(tr("Device:"), m_device);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(tr("Start analysis"));
    connect(buttons, &QDialogButtonBox::accepted, this, &AnalysisDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &AnalysisDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_hint);
    layout->addWidget(buttons);
    updateOk();
    resize(640, sizeHint().height());
}

void AnalysisDialog::updateOk()
{
    // A backbone whose sidecar cannot be used says why under the choice; OK waits for a good one.
    m_ok->setEnabled(m_backbone->error().isEmpty());
    m_epochs->setToolTip(m_backbone->choice() == BackbonePicker::Choice::Network
                             ? tr("Training epochs of the network; automatic: from the dataset size")
                             : tr("Training epochs of the head on the embeddings; automatic: 30"));
    if (isVisible())
        fitHeight();
}

void AnalysisDialog::fitHeight()
{
    // Rows come and go with the choice, and the word-wrapped line under it changes height: the
    // dialog follows (a top-level widget does not resize for a height-for-width layout, and would
    // clip the line). Only once shown: before, the widgets are not polished and measure short.
    if (QLayout *l = layout()) {
        l->activate();
        const int h = l->hasHeightForWidth() ? l->totalHeightForWidth(width()) : l->totalSizeHint().height();
        if (h > 0 && h != height())
            resize(width(), h);
    }
}

void AnalysisDialog::showEvent(QShowEvent *event)
{
    QDialog::showEvent(event);
    fitHeight();
}

QString AnalysisDialog::encoderFileFor(const QString &projectFile)
{
    if (projectFile.isEmpty() || ProjectLocation::isUrl(projectFile))
        return QString();
    const QFileInfo fi(projectFile);
    return fi.absoluteDir().filePath(fi.completeBaseName() + QStringLiteral(".encoder.pt"));
}

void AnalysisDialog::browseData()
{
    const QString f = QFileDialog::getOpenFileName(this, tr("CSV manifest"), m_spec->text(),
                                                   tr("CSV files (*.csv);;All files (*)"));
    if (!f.isEmpty())
        m_spec->setText(f);
}

void AnalysisDialog::browseProject()
{
    QFileDialog dlg(this, tr("Project file"), m_project->text(),
                    tr("Labelscope projects (*.lsproj *.sqlite *.db);;All files (*)"));
    dlg.setAcceptMode(QFileDialog::AcceptSave);
    dlg.setOption(QFileDialog::DontConfirmOverwrite); // an existing project is analysed again
    dlg.setDefaultSuffix(QStringLiteral("lsproj"));
    if (dlg.exec() == QDialog::Accepted && !dlg.selectedFiles().isEmpty())
        m_project->setText(dlg.selectedFiles().constFirst());
}

void AnalysisDialog::setParams(const AnalysisParams &p)
{
    m_spec->setText(p.dataSpec);
    m_project->setText(p.projectFile);
    m_noise->setValue(p.injectNoise * 100.0);
    const int k = m_noiseKind->findText(noiseKindName(p.noiseKind));
    m_noiseKind->setCurrentIndex(k < 0 ? 0 : k);
    m_epochs->setValue(p.epochs);
    m_limit->setValue(p.limit < 0 ? 0 : int(std::min<qint64>(p.limit, m_limit->maximum())));
    m_seed->setValue(int(std::min<quint64>(p.seed, quint64(m_seed->maximum()))));
    const int d = m_device->findText(enumName(kDeviceNames, p.device));
    m_device->setCurrentIndex(d < 0 ? 0 : d);
    if (p.method != AnalysisMethod::Embedding) {
        m_networkMethod = p.method;
        m_backbone->setChoice(BackbonePicker::Choice::Network);
    } else if (!p.backbone.isEmpty()
               && !(m_backbone->choice() == BackbonePicker::Choice::Encoder
                    && QFileInfo(p.backbone).absoluteFilePath() == m_backbone->encoderFile())) {
        m_backbone->setBackboneFile(p.backbone);
    }
    if (p.method == AnalysisMethod::Embedding)
        m_backbone->setHead(p.head);
}

AnalysisParams AnalysisDialog::params() const
{
    AnalysisParams p;
    p.dataSpec = m_spec->text().trimmed();
    p.projectFile = m_project->text().trimmed();
    p.injectNoise = m_noise->value() / 100.0;
    p.noiseKind = parseNoiseKind(m_noiseKind->currentText()).value_or(NoiseKind::Symmetric);
    p.epochs = m_epochs->value();
    p.limit = m_limit->value() == 0 ? -1 : m_limit->value();
    p.seed = quint64(m_seed->value());
    p.device = enumFromName(kDeviceNames, m_device->currentText()).value_or(DeviceChoice::Auto);
    switch (m_backbone->choice()) {
    case BackbonePicker::Choice::Network:
        p.method = m_networkMethod;
        break;
    case BackbonePicker::Choice::File:
    case BackbonePicker::Choice::Encoder:
        p.method = AnalysisMethod::Embedding;
        p.backbone = m_backbone->choice() == BackbonePicker::Choice::File ? m_backbone->backboneFile()
                                                                           : m_backbone->encoderFile();
        p.head = m_backbone->head();
        break;
    }
    return p;
}

std::optional<PretrainParams> AnalysisDialog::pretrainParams() const
{
    if (m_backbone->choice() != BackbonePicker::Choice::Encoder)
        return std::nullopt;
    const AnalysisParams a = params();
    PretrainParams p;
    p.dataSpec = a.dataSpec;
    p.outFile = m_backbone->encoderFile();
    p.method = m_backbone->pretrainMethod();
    p.epochs = m_backbone->pretrainEpochs();
    p.restart = m_backbone->pretrainRestart();
    p.seed = a.seed;
    p.limit = a.limit;
    p.device = a.device;
    p.threads = a.threads;
    return p;
}

void AnalysisDialog::saveSettings() const
{
    QSettings s(QStringLiteral("Labelscope"), QStringLiteral("labelscope"));
    s.beginGroup(QStringLiteral("analysis"));
    const AnalysisParams p = params();
    s.setValue(QStringLiteral("dataSpec"), p.dataSpec);
    s.setValue(QStringLiteral("noise"), p.injectNoise);
    s.setValue(QStringLiteral("noiseKind"), noiseKindName(p.noiseKind));
    s.setValue(QStringLiteral("epochs"), p.epochs);
    s.setValue(QStringLiteral("limit"), p.limit);
    s.setValue(QStringLiteral("seed"), p.seed);
    s.setValue(QStringLiteral("device"), enumName(kDeviceNames, p.device));
    s.endGroup();
    m_backbone->saveSettings();
}

void AnalysisDialog::loadSettings()
{
    // The picker first: params() below then carries its choice, which setParams keeps.
    m_backbone->loadSettings();
    QSettings s(QStringLiteral("Labelscope"), QStringLiteral("labelscope"));
    s.beginGroup(QStringLiteral("analysis"));
    AnalysisParams p = params();
    p.dataSpec = s.value(QStringLiteral("dataSpec"), p.dataSpec).toString();
    p.injectNoise = s.value(QStringLiteral("noise"), p.injectNoise).toDouble();
    p.noiseKind = parseNoiseKind(s.value(QStringLiteral("noiseKind")).toString()).value_or(p.noiseKind);
    p.epochs = s.value(QStringLiteral("epochs"), p.epochs).toInt();
    p.limit = s.value(QStringLiteral("limit"), p.limit).toLongLong();
    p.seed = s.value(QStringLiteral("seed"), p.seed).toULongLong();
    p.device = enumFromName(kDeviceNames, s.value(QStringLiteral("device")).toString()).value_or(p.device);
    setParams(p);
}

void AnalysisDialog::accept()
{
    const AnalysisParams p = params();
    if (p.projectFile.isEmpty()) {
        QMessageBox::warning(this, windowTitle(), tr("Choose a project file."));
        return;
    }
    if (p.dataSpec.isEmpty() && !ProjectLocation::isUrl(p.projectFile) && !QFileInfo::exists(p.projectFile)) {
        QMessageBox::warning(this, windowTitle(),
                             tr("The project does not exist yet: give the data to import."));
        return;
    }
    if (!m_backbone->error().isEmpty()) { // OK is disabled meanwhile; accept() may be called directly
        QMessageBox::warning(this, windowTitle(), m_backbone->error());
        return;
    }
    if (m_backbone->choice() == BackbonePicker::Choice::Encoder && p.dataSpec.isEmpty()) {
        QMessageBox::warning(this, windowTitle(),
                             tr("Learning an encoder reads the images from the data: give the data (the "
                                "project does not name it)."));
        return;
    }
    saveSettings();
    QDialog::accept();
}

// ---------------------------------------------------------------------------------------------

QString describeProgress(const JobProgress &p)
{
    QString stage = p.stage.isEmpty() ? QObject::tr("Working") : p.stage;
    stage[0] = stage[0].toUpper();
    QStringList parts{stage};
    if (!p.detail.isEmpty())
        parts << p.detail;
    parts << QStringLiteral("%1%").arg(int(std::round(std::clamp(p.fraction, 0.0, 1.0) * 100)));
    if (p.etaSeconds >= 0) {
        const qint64 s = qint64(std::round(p.etaSeconds));
        parts << (s >= 60 ? QObject::tr("ETA %1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'))
                          : QObject::tr("ETA %1 s").arg(s));
    }
    return parts.join(QStringLiteral(" \u00B7 "));
}

AnalysisProgressWidget::AnalysisProgressWidget(QWidget *parent) : QWidget(parent)
{
    m_bar = new QProgressBar(this);
    m_bar->setObjectName(QStringLiteral("analysisProgress"));
    m_bar->setRange(0, 1000);
    m_bar->setTextVisible(false);
    m_bar->setMaximumWidth(120);
    m_text = new QLabel(this);
    m_text->setObjectName(QStringLiteral("analysisText"));
    // The status bar is shared with the review counts and messages: the line is elided in the
    // middle (stage first, percentage and ETA last); the tool tip has all of it.
    m_text->setFixedWidth(kTextWidth);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("analysisCancel"));
    m_cancel->setFocusPolicy(Qt::NoFocus);
    connect(m_cancel, &QPushButton::clicked, this, &AnalysisProgressWidget::cancel);
    auto *l = new QHBoxLayout(this);
    l->setContentsMargins(0, 0, 0, 0);
    l->addWidget(new QLabel(tr("Analysis:"), this));
    l->addWidget(m_bar);
    l->addWidget(m_text);
    l->addWidget(m_cancel);
    hide();
}

AnalysisProgressWidget::~AnalysisProgressWidget()
{
    if (m_running)
        jobRunnerFor(this)->cancel(kAnalysisJob);
}

bool AnalysisProgressWidget::isRunning() const { return m_running; }

bool AnalysisProgressWidget::start(const AnalysisParams &params, const std::optional<PretrainParams> &pretrain)
{
    if (m_running)
        return false;
    m_params = params;
    m_pretrain = pretrain;
    m_stage.clear();
    m_running = true;
    m_stoppedPretraining = false;
    JobRunner *jobs = jobRunnerFor(this);
    connect(jobs, &JobRunner::progress, this, &AnalysisProgressWidget::onProgress, Qt::UniqueConnection);
    m_bar->setValue(0);
    m_text->setText(tr("Starting\u2026"));
    m_text->setToolTip(QString());
    m_cancel->setEnabled(true);
    show();
    if (!m_pretrain) {
        startAnalysisJob();
        return true;
    }
    // One after the other under the same job name: Cancel and the progress line serve both.
    QPointer<AnalysisProgressWidget> self(this);
    jobs->start<PretrainResult>(
        kAnalysisJob, [p = *m_pretrain](JobContext &context) { return runPretrain(p, context); },
        [self](Result<PretrainResult> result) {
            if (self)
                self->onPretrainDone(result);
        });
    return true;
}

void AnalysisProgressWidget::startAnalysisJob()
{
    QPointer<AnalysisProgressWidget> self(this);
    jobRunnerFor(this)->start<AnalysisResult>(
        kAnalysisJob, [params = m_params](JobContext &context) { return runAnalysis(params, context); },
        [self](Result<AnalysisResult> result) {
            if (self)
                self->onDone(result);
        });
}

void AnalysisProgressWidget::onPretrainDone(const Result<PretrainResult> &result)
{
    m_pretrain.reset();
    if (!result) {
        m_stoppedPretraining = true;
        onDone(result.isCancelled() ? Result<AnalysisResult>::cancelled()
                                    : Result<AnalysisResult>::failure(tr("Learning an encoder failed: %1").arg(result.error())));
        return;
    }
    m_pretrainResult = result.value();
    BackbonePicker::rememberBackbone(result->outFile);
    m_params.method = AnalysisMethod::Embedding;
    m_params.backbone = result->outFile;
    Q_EMIT encoderReady(result.value());
    m_stage.clear();
    m_bar->setValue(0);
    startAnalysisJob();
}

void AnalysisProgressWidget::cancel()
{
    if (!m_running)
        return;
    jobRunnerFor(this)->cancel(kAnalysisJob);
    m_cancel->setEnabled(false);
    m_text->setText(tr("Cancelling\u2026"));
}

void AnalysisProgressWidget::onProgress(const JobProgress &p)
{
    if (p.job != kAnalysisJob || !m_running || !m_cancel->isEnabled())
        return; // another job's, or cancelling
    m_bar->setValue(int(std::round(std::clamp(p.fraction, 0.0, 1.0) * 1000)));
    JobProgress shown = p;
    if (m_pretrain) {
        // The pretrain job's own stages ("loading", "pretraining", "exporting") are not the
        // analysis' (a new project is not there yet): shown as the detail of one stage.
        shown.stage = tr("learning encoder");
        shown.detail = p.detail.isEmpty() ? p.stage : p.stage + QStringLiteral(" ") + p.detail;
    }
    const QString text = describeProgress(shown);
    m_text->setText(m_text->fontMetrics().elidedText(text, Qt::ElideMiddle, kTextWidth));
    m_text->setToolTip(text);
    if (m_pretrain)
        return;
    if (p.stage != m_stage) {
        m_stage = p.stage;
        Q_EMIT stageChanged(m_stage);
    }
}

void AnalysisProgressWidget::onDone(const Result<AnalysisResult> &result)
{
    m_running = false;
    hide();
    const QString file = m_params.projectFile;
    if (result)
        Q_EMIT finished(result.value(), file);
    else if (result.isCancelled())
        Q_EMIT cancelled(file);
    else
        Q_EMIT failed(result.error(), file);
}

} // namespace labelscope::ui
