#pragma once
// The "New analysis…" dialog (data spec, project file, injected noise, epochs, limit, seed,
// device) and AnalysisProgressWidget, which runs the analysis job through the window's job runner
// (ui/uicommon.h jobRunnerFor) and shows its stage, detail, progress and ETA with a Cancel button
// while the window stays usable.

#include "ml/analysis.h"

#include <QDialog>
#include <QWidget>

#include <memory>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace labelscope::ui {

class AnalysisDialog : public QDialog {
    Q_OBJECT
public:
    explicit AnalysisDialog(QWidget *parent = nullptr);

    void setParams(const AnalysisParams &params);
    AnalysisParams params() const;
    /// Remembers / restores the last values (QSettings).
    void saveSettings() const;
    void loadSettings();

    QLineEdit *dataSpecEdit() const { return m_spec; }
    QLineEdit *projectEdit() const { return m_project; }

    void accept() override;

private:
    void browseData();
    void browseProject();

    QLineEdit *m_spec, *m_project;
    QDoubleSpinBox *m_noise;
    QComboBox *m_noiseKind, *m_device;
    QSpinBox *m_epochs, *m_limit, *m_seed;
    QLabel *m_hint;
};

/// Human-readable progress: "Training · fold 1/4 epoch 3/12 … · 41% · ETA 1 min 20 s".
QString describeProgress(const JobProgress &progress);

class AnalysisProgressWidget : public QWidget {
    Q_OBJECT
public:
    explicit AnalysisProgressWidget(QWidget *parent = nullptr);
    ~AnalysisProgressWidget() override;

    /// Starts a run (ignored while one is running).
    bool start(const AnalysisParams &params);
    bool isRunning() const;
    void cancel();
    QString projectFile() const { return m_params.projectFile; }

Q_SIGNALS:
    void finished(const labelscope::AnalysisResult &result, const QString &projectFile);
    void failed(const QString &error, const QString &projectFile);
    void cancelled(const QString &projectFile);
    /// The running analysis entered STAGE ("loading", "training", "extracting", "scoring",
    /// "layout", "saving", "health checks"; core/ml/analysis.h). A new project holds its samples
    /// once a stage after "loading" begins.
    void stageChanged(const QString &stage);

private:
    void onProgress(const labelscope::JobProgress &progress);
    void onDone(const Result<AnalysisResult> &result);

    AnalysisParams m_params;
    QString m_stage;
    bool m_running = false;
    QProgressBar *m_bar;
    QLabel *m_text;
    QPushButton *m_cancel;
};

} // namespace labelscope::ui
