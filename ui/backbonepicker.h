#pragma once
// BackbonePicker: the analysis dialog's choice of what the analysis learns its features from
// (issue 15):
//  - "Learn from the images (train a network)": today's methods (a network trained on the images
//    with their labels); the default;
//  - a TorchScript backbone file (File…, or one of the backbone files used before: QSettings
//    "analysis/recentBackbones", newest first, at most 8, files that no longer exist left out).
//    Its sidecar (core/ml/backbonefile.h) is read at once and shown (name, input size, channels,
//    embedding dimension), or its error; the analysis then runs method embedding with the head
//    chosen beside it (mlp or logistic);
//  - "Learn an encoder from the images (self-supervised)": the pretrain job (core/ml/pretrain.h;
//    method simclr/byol/simsiam, epochs) writes the encoder given by setEncoderFile(), then method
//    embedding runs with it.
// error() says why the choice cannot be used ("" when it can); the dialog disables OK meanwhile.

#include "ml/backbonefile.h"
#include "ml/options.h"
#include "ml/pretrain.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace labelscope::ui {

class BackbonePicker : public QWidget {
    Q_OBJECT
public:
    enum class Choice { Network, File, Encoder };

    explicit BackbonePicker(QWidget *parent = nullptr);

    Choice choice() const;
    /// Choice::File: the chosen backbone file (absolute); "" otherwise.
    QString backboneFile() const;
    /// Choice::File: the file's sidecar when it could be read.
    const std::optional<BackboneSidecar> &sidecar() const { return m_sidecar; }
    /// Why the current choice cannot be used (a sidecar's error, no place for the encoder); "".
    QString error() const { return m_error; }
    /// The line under the choice: the sidecar's figures, the encoder's file, or the error.
    QString infoText() const;

    /// Selects FILE (listed first among the backbone files when it is not listed) and reads its
    /// sidecar.
    void setBackboneFile(const QString &file);
    /// Selects "Learn from the images" (Network) or "Learn an encoder" (Encoder).
    void setChoice(Choice choice);

    EmbeddingHead head() const;
    void setHead(EmbeddingHead head);
    PretrainMethod pretrainMethod() const;
    void setPretrainMethod(PretrainMethod method);
    int pretrainEpochs() const; ///< 0 = automatic
    void setPretrainEpochs(int epochs);
    /// "Start over": discard the checkpoint a cancelled training left at the encoder's file
    /// (offered only when there is one; otherwise it is resumed).
    bool pretrainRestart() const;

    /// Where "Learn an encoder" writes its encoder; "" with WHYNOT when there is no such place
    /// (no project file yet, a database URL).
    void setEncoderFile(const QString &file, const QString &whyNot = QString());
    QString encoderFile() const { return m_encoderFile; }

    /// The backbone files remembered, newest first, existing ones only (at most kMaxRecent).
    static QStringList recentBackbones();
    /// Puts FILE first in the remembered list (drops missing files, keeps kMaxRecent).
    static void rememberBackbone(const QString &file);
    static constexpr int kMaxRecent = 8;

    /// The remembered choice (Network, Encoder, or File with the newest recent file) and options.
    void saveSettings() const;
    void loadSettings();

    /// The backbone files in the list, in order (the recent ones and any picked with File…).
    QStringList listedFiles() const;

    QComboBox *combo() const { return m_combo; }
    QPushButton *fileButton() const { return m_file; }
    QComboBox *headCombo() const { return m_head; }

Q_SIGNALS:
    /// The choice, its file or its validity changed.
    void changed();

private:
    void browse();
    void refreshChoice();
    void fillCombo(const QString &selectFile);
    int insertFile(const QString &file);

    QComboBox *m_combo, *m_head, *m_method;
    QPushButton *m_file;
    QSpinBox *m_epochs;
    QCheckBox *m_restart;
    QLabel *m_info;
    QWidget *m_headRow, *m_encoderRow;
    std::optional<BackboneSidecar> m_sidecar;
    QString m_sidecarFile, m_sidecarError; // the file m_sidecar (or its error) was read from
    QString m_error;
    QString m_encoderFile, m_encoderWhyNot;
};

/// "fashion-cnn: 28×28 px, 1 channel (grey), 128-d embeddings" (the sidecar's figures).
QString describeSidecar(const BackboneSidecar &sidecar);

} // namespace labelscope::ui
