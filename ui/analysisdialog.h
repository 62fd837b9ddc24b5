#pragma once
// The "New analysis…" dialog (data spec, project file, what the features are learnt from —
// ui/backbonepicker.h —, injected noise, epochs, limit, seed, device) and AnalysisProgressWidget,
// which runs the analysis job through the window's job runner (ui/uicommon.h jobRunnerFor) and
// shows its stage, detail, progress and ETA with a Cancel button while the window stays usable.
// With "Learn an encoder from the images" the widget runs the pretrain job first
// (core/ml/pretrain.h), then the embedding analysis with the encoder it wrote.

#include "ml/analysis.h"
#include "ml/pretrain.h"

#include <QDialog>
#include <QWidget>

#include <memory>
#include <optional>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace labelscope::ui {

class BackbonePicker;

class AnalysisDialog : public QDialog {
    Q_OBJECT
public:
    explicit AnalysisDialog(QWidget *parent = nullptr);

    /// Method Embedding with a backbone selects that file in the picker (unless it is the
    /// encoder the picker's "Learn an encoder" writes); another method selects "Learn from the
    /// images".
    void setParams(const AnalysisParams &params);
    /// With a backbone file or "Learn an encoder": method Embedding, the backbone (the encoder's
    /// file for the latter) and the head.
    AnalysisParams params() const;
    /// "Learn an encoder from the images": the pretrain job's parameters (the data spec, limit,
    /// seed and device of params(); the picker's method and epochs; the encoder file); else none.
    std::optional<PretrainParams> pretrainParams() const;
    /// Where "Learn an encoder" writes for PROJECTFILE: <its folder>/<its base name>.encoder.pt;
    /// "" for a database URL or no file.
    static QString encoderFileFor(const QString &projectFile);
    /// Remembers / restores the last values (QSettings).
    void saveSettings() const;
    void loadSettings();

    QLineEdit *dataSpecEdit() const { return m_spec; }
    QLineEdit *projectEdit() const { return m_project; }
    BackbonePicker *backbonePicker() const { return m_backbone; }
    QPushButton *okButton() const { return m_ok; }

    void accept() override;

protected:
    void showEvent(QShowEvent *event) override;

private:
    void fitHeight();
    void browseData();
    void browseProject();
    void updateOk();

    QLineEdit *m_spec, *m_project;
    BackbonePicker *m_backbone;
    QPushButton *m_ok;
    AnalysisMethod m_networkMethod = AnalysisMethod::All; // the method of "Learn from the images"
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

    /// Starts a run (ignored while one is running). With PRETRAIN, its pretrain job runs first
    /// (stage "learning encoder"; no stageChanged meanwhile: the project is not touched) and the
    /// analysis follows with the encoder it wrote as PARAMS' backbone; the encoder is remembered
    /// among the recent backbone files (ui/backbonepicker.h). Cancel stops whichever runs; a
    /// cancelled pretrain keeps its checkpoint, which the next start with the same settings resumes.
    bool start(const AnalysisParams &params, const std::optional<PretrainParams> &pretrain = std::nullopt);
    bool isRunning() const;
    /// True while the pretrain job of a start runs.
    bool isPretraining() const { return m_running && m_pretrain.has_value(); }
    /// The pretrain result of the last start that learnt an encoder (none before one finished).
    const std::optional<PretrainResult> &lastPretrain() const { return m_pretrainResult; }
    /// Whether the last run that ended without a result (cancelled or failed) stopped while pretraining.
    bool stoppedWhilePretraining() const { return m_stoppedPretraining; }
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
    /// The pretrain job wrote its encoder (result.outFile); the analysis starts with it now.
    void encoderReady(const labelscope::PretrainResult &result);

private:
    void startAnalysisJob();
    void onProgress(const labelscope::JobProgress &progress);
    void onPretrainDone(const Result<PretrainResult> &result);
    void onDone(const Result<AnalysisResult> &result);

    AnalysisParams m_params;
    std::optional<PretrainParams> m_pretrain; // while its job runs
    std::optional<PretrainResult> m_pretrainResult;
    bool m_stoppedPretraining = false;
    QString m_stage;
    bool m_running = false;
    QProgressBar *m_bar;
    QLabel *m_text;
    QPushButton *m_cancel;
};

} // namespace labelscope::ui
