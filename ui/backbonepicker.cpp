#include "backbonepicker.h"

#include "base/enumnames.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

namespace labelscope::ui {

namespace {
constexpr int kKindRole = Qt::UserRole;
constexpr int kFileRole = Qt::UserRole + 1;
const char *const kErrorStyle = "color: #d7301f;";
const char *const kInfoStyle = "color: #666;";

QSettings settings()
{
    return QSettings(QStringLiteral("Labelscope"), QStringLiteral("labelscope"));
}

const QString kRecentKey = QStringLiteral("analysis/recentBackbones");

QString absolute(const QString &file) { return file.isEmpty() ? file : QFileInfo(file).absoluteFilePath(); }

QString choiceName(BackbonePicker::Choice c)
{
    switch (c) {
    case BackbonePicker::Choice::File: return QStringLiteral("file");
    case BackbonePicker::Choice::Encoder: return QStringLiteral("encoder");
    case BackbonePicker::Choice::Network: break;
    }
    return QStringLiteral("network");
}
} // namespace

QString describeSidecar(const BackboneSidecar &s)
{
    const QString channels = s.channels == 1 ? QObject::tr("1 channel (grey)") : QObject::tr("%1 channels (RGB)").arg(s.channels);
    QString text = QObject::tr("%1: %2\u00D7%2 px, %3, %4-d embeddings").arg(s.name).arg(s.inputSize).arg(channels).arg(s.embeddingDim);
    if (!s.classes.isEmpty())
        text += QObject::tr(", a classifier of %1 classes").arg(s.classes.size());
    if (s.ttaHflip)
        text += QObject::tr(", each image with its mirror image");
    return text;
}

BackbonePicker::BackbonePicker(QWidget *parent) : QWidget(parent)
{
    m_combo = new QComboBox(this);
    m_combo->setObjectName(QStringLiteral("backboneChoice"));
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_combo->setMinimumContentsLength(30);
    m_file = new QPushButton(tr("File\u2026"), this);
    m_file->setObjectName(QStringLiteral("backboneFileButton"));
    m_file->setToolTip(tr("A TorchScript backbone FILE.pt with its sidecar FILE.json (name, input_size, channels, "
                          "mean, std, embedding_dim): e.g. an ImageNet ResNet exported from Python, or "
                          "`labelscope export-model` / `labelscope pretrain` output"));
    connect(m_file, &QPushButton::clicked, this, &BackbonePicker::browse);

    m_info = new QLabel(this);
    m_info->setObjectName(QStringLiteral("backboneInfo"));
    m_info->setWordWrap(true);
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_head = new QComboBox(this);
    m_head->setObjectName(QStringLiteral("backboneHead"));
    m_head->addItem(tr("MLP (one hidden layer)"), enumName(kEmbeddingHeadNames, EmbeddingHead::Mlp));
    m_head->addItem(tr("logistic regression"), enumName(kEmbeddingHeadNames, EmbeddingHead::Logistic));
    m_head->setToolTip(tr("The classifier trained on the embeddings (K-fold, out-of-sample predictions)"));
    m_headRow = new QWidget(this);
    auto *hl = new QHBoxLayout(m_headRow);
    hl->setContentsMargins(0, 0, 0, 0);
    hl->addWidget(new QLabel(tr("Head:"), m_headRow));
    hl->addWidget(m_head);
    hl->addStretch(1);

    m_method = new QComboBox(this);
    m_method->setObjectName(QStringLiteral("pretrainMethod"));
    m_method->addItems(enumNames(kPretrainMethodNames));
    const auto tip = [this](PretrainMethod m, const QString &text) {
        m_method->setItemData(m_method->findText(enumName(kPretrainMethodNames, m)), text, Qt::ToolTipRole);
    };
    tip(PretrainMethod::SimClr, tr("SimCLR: contrastive, two augmented views against the batch's others"));
    tip(PretrainMethod::Byol, tr("BYOL: predicts a moving-average target network's view; no negatives"));
    tip(PretrainMethod::SimSiam, tr("SimSiam: BYOL without the moving average, a stop-gradient instead"));
    m_epochs = new QSpinBox(this);
    m_epochs->setObjectName(QStringLiteral("pretrainEpochs"));
    m_epochs->setRange(0, 1000);
    m_epochs->setSpecialValueText(tr("automatic"));
    m_epochs->setToolTip(tr("Epochs of the self-supervised training; automatic: about 3 million augmented pairs"));
    m_encoderRow = new QWidget(this);
    auto *el = new QHBoxLayout(m_encoderRow);
    el->setContentsMargins(0, 0, 0, 0);
    el->addWidget(new QLabel(tr("Method:"), m_encoderRow));
    el->addWidget(m_method);
    el->addWidget(new QLabel(tr("Encoder epochs:"), m_encoderRow));
    el->addWidget(m_epochs);
    m_restart = new QCheckBox(tr("Start over"), m_encoderRow);
    m_restart->setObjectName(QStringLiteral("pretrainRestart"));
    m_restart->setToolTip(tr("Discard the checkpoint of the cancelled training instead of resuming it "
                             "(needed when the method, epochs or data changed)"));
    connect(m_restart, &QCheckBox::toggled, this, [this] { refreshChoice(); });
    el->addWidget(m_restart);
    el->addStretch(1);

    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_combo, 1);
    top->addWidget(m_file);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_headRow);
    layout->addWidget(m_encoderRow);
    layout->addWidget(m_info);

    fillCombo(QString());
    connect(m_combo, &QComboBox::currentIndexChanged, this, [this](int) { refreshChoice(); });
    refreshChoice();
}

void BackbonePicker::fillCombo(const QString &selectFile)
{
    const QSignalBlocker blocker(m_combo);
    const Choice keep = choice();
    QStringList files = recentBackbones();
    // Files listed so far (picked with File… but not yet used) stay listed.
    for (int i = m_combo->count() - 1; i >= 0; --i) {
        const QString f = m_combo->itemData(i, kFileRole).toString();
        if (!f.isEmpty() && !files.contains(f))
            files.prepend(f);
    }
    if (!selectFile.isEmpty()) {
        files.removeAll(selectFile);
        files.prepend(selectFile);
    }
    m_combo->clear();
    m_combo->addItem(tr("Learn from the images (train a network)"), int(Choice::Network));
    m_combo->setItemData(0, tr("Today's methods: a network trained on the images with their labels"), Qt::ToolTipRole);
    m_combo->insertSeparator(m_combo->count());
    for (const QString &f : files) {
        const QFileInfo fi(f);
        m_combo->addItem(tr("%1 (%2)").arg(fi.fileName(), QDir::toNativeSeparators(fi.absolutePath())), int(Choice::File));
        m_combo->setItemData(m_combo->count() - 1, f, kFileRole);
        m_combo->setItemData(m_combo->count() - 1, QDir::toNativeSeparators(f), Qt::ToolTipRole);
    }
    if (!files.isEmpty())
        m_combo->insertSeparator(m_combo->count());
    m_combo->addItem(tr("Learn an encoder from the images (self-supervised)"), int(Choice::Encoder));
    m_combo->setItemData(m_combo->count() - 1,
                         tr("Trains an encoder on the images without their labels (SimCLR, BYOL or SimSiam), then "
                            "analyses its embeddings"),
                         Qt::ToolTipRole);
    int index = 0;
    for (int i = 0; i < m_combo->count(); ++i) {
        const QVariant kind = m_combo->itemData(i, kKindRole);
        if (!kind.isValid())
            continue;
        if (!selectFile.isEmpty() ? m_combo->itemData(i, kFileRole).toString() == selectFile
                                  : (kind.toInt() == int(keep) && keep != Choice::File)) {
            index = i;
            break;
        }
    }
    m_combo->setCurrentIndex(index);
}

BackbonePicker::Choice BackbonePicker::choice() const
{
    const QVariant kind = m_combo->currentData(kKindRole);
    return kind.isValid() ? Choice(kind.toInt()) : Choice::Network;
}

QString BackbonePicker::backboneFile() const
{
    return choice() == Choice::File ? m_combo->currentData(kFileRole).toString() : QString();
}

QStringList BackbonePicker::listedFiles() const
{
    QStringList out;
    for (int i = 0; i < m_combo->count(); ++i)
        if (const QString f = m_combo->itemData(i, kFileRole).toString(); !f.isEmpty())
            out << f;
    return out;
}

QString BackbonePicker::infoText() const { return m_info->text(); }

void BackbonePicker::setBackboneFile(const QString &file)
{
    fillCombo(absolute(file));
    m_sidecarFile.clear(); // read again: the sidecar may have been fixed meanwhile
    refreshChoice();
}

void BackbonePicker::setChoice(Choice c)
{
    if (c == Choice::File)
        return; // a file is chosen with setBackboneFile
    for (int i = 0; i < m_combo->count(); ++i)
        if (m_combo->itemData(i, kKindRole) == QVariant(int(c)))
            m_combo->setCurrentIndex(i);
}

EmbeddingHead BackbonePicker::head() const
{
    return enumFromName(kEmbeddingHeadNames, m_head->currentData().toString()).value_or(EmbeddingHead::Mlp);
}

void BackbonePicker::setHead(EmbeddingHead head)
{
    m_head->setCurrentIndex(std::max(0, m_head->findData(enumName(kEmbeddingHeadNames, head))));
}

PretrainMethod BackbonePicker::pretrainMethod() const
{
    return enumFromName(kPretrainMethodNames, m_method->currentText()).value_or(PretrainMethod::SimClr);
}

void BackbonePicker::setPretrainMethod(PretrainMethod method)
{
    m_method->setCurrentIndex(std::max(0, m_method->findText(enumName(kPretrainMethodNames, method))));
}

int BackbonePicker::pretrainEpochs() const { return m_epochs->value(); }
bool BackbonePicker::pretrainRestart() const { return !m_restart->isHidden() && m_restart->isChecked(); }
void BackbonePicker::setPretrainEpochs(int epochs) { m_epochs->setValue(epochs); }

void BackbonePicker::setEncoderFile(const QString &file, const QString &whyNot)
{
    if (file == m_encoderFile && whyNot == m_encoderWhyNot)
        return;
    m_encoderFile = file;
    m_encoderWhyNot = file.isEmpty() ? whyNot : QString();
    refreshChoice();
}

void BackbonePicker::browse()
{
    const QString current = backboneFile();
    const QString start = !current.isEmpty() ? current : recentBackbones().value(0);
    const QString f = QFileDialog::getOpenFileName(this, tr("Backbone file"), start,
                                                   tr("TorchScript (*.pt);;All files (*)"));
    if (!f.isEmpty())
        setBackboneFile(f);
}

void BackbonePicker::refreshChoice()
{
    const Choice c = choice();
    m_error.clear();
    QString info;
    if (c == Choice::File) {
        const QString file = backboneFile();
        if (file != m_sidecarFile) {
            // Read at once (a small JSON file): the dialog shows what the backbone is, or why not.
            m_sidecarFile = file;
            m_sidecar.reset();
            m_sidecarError.clear();
            if (!QFileInfo(file).isFile()) {
                m_sidecarError = tr("%1: no such file").arg(QDir::toNativeSeparators(file));
            } else {
                const Result<BackboneSidecar> read = readBackboneSidecar(file);
                if (read)
                    m_sidecar = read.value();
                else
                    m_sidecarError = read.error();
            }
        }
        m_error = m_sidecarError;
        if (m_sidecar)
            info = describeSidecar(*m_sidecar);
    } else if (c == Choice::Encoder) {
        // The pretrain job's checkpoint beside its output (core/ml/pretrain.h: FILE.pt + ".ckpt").
        const bool checkpoint = !m_encoderFile.isEmpty() && QFileInfo::exists(m_encoderFile + QStringLiteral(".ckpt"));
        m_restart->setVisible(checkpoint);
        if (m_encoderFile.isEmpty()) {
            m_error = m_encoderWhyNot.isEmpty() ? tr("Choose a project file: the encoder is written beside it.")
                                                : m_encoderWhyNot;
        } else {
            const QString native = QDir::toNativeSeparators(m_encoderFile);
            if (checkpoint && m_restart->isChecked())
                info = tr("Discards the cancelled training's checkpoint, trains anew and writes %1.").arg(native);
            else if (checkpoint)
                info = tr("Resumes the cancelled training's checkpoint (same method and data; with the epochs chosen "
                          "here, its learning rate going on from where it stopped), then writes %1.")
                           .arg(native);
            else if (QFileInfo::exists(m_encoderFile))
                info = tr("Writes %1, replacing the encoder learnt there before (to reuse that one, pick it "
                          "in the list or with File\u2026).").arg(native);
            else
                info = tr("Writes %1 (no labels are read), then analyses its embeddings.").arg(native);
        }
    } else {
        info = tr("A network is trained on the images with their labels.");
    }
    m_headRow->setVisible(c != Choice::Network);
    m_encoderRow->setVisible(c == Choice::Encoder);
    m_info->setText(m_error.isEmpty() ? info : m_error);
    m_info->setStyleSheet(QLatin1String(m_error.isEmpty() ? kInfoStyle : kErrorStyle));
    Q_EMIT changed();
}

QStringList BackbonePicker::recentBackbones()
{
    QStringList out;
    for (const QString &f : settings().value(kRecentKey).toStringList())
        if (!f.isEmpty() && QFileInfo(f).isFile() && !out.contains(f) && out.size() < kMaxRecent)
            out << f;
    return out;
}

void BackbonePicker::rememberBackbone(const QString &file)
{
    const QString f = absolute(file);
    if (f.isEmpty())
        return;
    QStringList list = recentBackbones();
    list.removeAll(f);
    list.prepend(f);
    while (list.size() > kMaxRecent)
        list.removeLast();
    settings().setValue(kRecentKey, list);
}

void BackbonePicker::saveSettings() const
{
    QSettings s = settings();
    s.beginGroup(QStringLiteral("analysis"));
    s.setValue(QStringLiteral("features"), choiceName(choice()));
    s.setValue(QStringLiteral("head"), enumName(kEmbeddingHeadNames, head()));
    s.setValue(QStringLiteral("pretrainMethod"), m_method->currentText());
    s.setValue(QStringLiteral("pretrainEpochs"), pretrainEpochs());
    s.endGroup();
    if (choice() == Choice::File)
        rememberBackbone(backboneFile());
}

void BackbonePicker::loadSettings()
{
    QSettings s = settings();
    s.beginGroup(QStringLiteral("analysis"));
    const QString features = s.value(QStringLiteral("features")).toString();
    setHead(enumFromName(kEmbeddingHeadNames, s.value(QStringLiteral("head")).toString()).value_or(EmbeddingHead::Mlp));
    const int m = m_method->findText(s.value(QStringLiteral("pretrainMethod")).toString());
    if (m >= 0)
        m_method->setCurrentIndex(m);
    setPretrainEpochs(s.value(QStringLiteral("pretrainEpochs"), 0).toInt());
    s.endGroup();
    fillCombo(QString());
    const QStringList recent = recentBackbones();
    if (features == QLatin1String("file") && !recent.isEmpty())
        setBackboneFile(recent.constFirst()); // the newest: the one used last
    else
        setChoice(features == QLatin1String("encoder") ? Choice::Encoder : Choice::Network);
    refreshChoice();
}

} // namespace labelscope::ui
