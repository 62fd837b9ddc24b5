#include "cleanevaldialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

namespace labelscope::ui {

CleanEvalDialog::CleanEvalDialog(QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Run clean-eval"));
    setObjectName(QStringLiteral("cleanEvalDialog"));
    m_data = new QLineEdit(this);
    m_data->setObjectName(QStringLiteral("cleanEvalData"));
    m_data->setPlaceholderText(tr("a dataset with a test split, e.g. fashion-mnist"));
    m_rates = new QLineEdit(this);
    m_rates->setObjectName(QStringLiteral("cleanEvalRates"));
    m_rates->setToolTip(tr("Injected noise rates, comma-separated, each in [0, 1) (e.g. 0, 0.2, 0.4)"));
    m_seeds = new QSpinBox(this);
    m_seeds->setRange(1, 100);
    m_seeds->setToolTip(tr("Runs per rate with seeds 1..N: the report shows their spread"));
    m_epochs = new QSpinBox(this);
    m_epochs->setRange(0, 500);
    m_epochs->setSpecialValueText(tr("automatic"));
    m_epochs->setToolTip(tr("Epochs of every model (the analysis' and each variant's)"));
    m_limit = new QSpinBox(this);
    m_limit->setRange(0, 100000000);
    m_limit->setSingleStep(1000);
    m_limit->setSpecialValueText(tr("all samples"));
    m_limit->setToolTip(tr("At most this many samples per split"));
    m_method = new QComboBox(this);
    m_method->addItems(enumNames(kAnalysisMethodNames));
    m_method->removeItem(m_method->findText(QStringLiteral("embedding"))); // needs a backbone file
    m_method->setToolTip(tr("The analysis that flags the samples the cleaned variants remove or relabel"));

    auto *hint = new QLabel(tr("For each rate and seed: inject the noise, flag samples with the analysis, then "
                               "train fresh models on the noisy labels, without the flagged samples, with them "
                               "relabelled, on the easy samples only and on the true labels, and measure each on "
                               "the clean test split. Six models per rate and seed: start small."),
                            this);
    hint->setWordWrap(true);
    hint->setStyleSheet(QStringLiteral("color: #666;"));

    auto *form = new QFormLayout;
    form->addRow(tr("Data:"), m_data);
    form->addRow(tr("Noise rates:"), m_rates);
    form->addRow(tr("Seeds:"), m_seeds);
    form->addRow(tr("Epochs:"), m_epochs);
    form->addRow(tr("Limit:"), m_limit);
    form->addRow(tr("Flagged by:"), m_method);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Run"));
    connect(buttons, &QDialogButtonBox::accepted, this, &CleanEvalDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &CleanEvalDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(hint);
    layout->addWidget(buttons);
    setParams(quickParams(QString()));
    resize(560, sizeHint().height());
}

CleanEvalParams CleanEvalDialog::quickParams(const QString &dataSpec)
{
    CleanEvalParams p;
    p.dataSpec = dataSpec;
    p.rates = {0.2};
    p.seeds = 1;
    p.epochs = 3;
    p.limit = 2000;
    return p;
}

void CleanEvalDialog::setParams(const CleanEvalParams &p)
{
    m_data->setText(p.dataSpec);
    QStringList rates;
    for (double r : p.rates)
        rates << QString::number(r, 'g', 4);
    m_rates->setText(rates.join(QStringLiteral(", ")));
    m_seeds->setValue(p.seeds);
    m_epochs->setValue(p.epochs);
    m_limit->setValue(p.limit < 0 ? 0 : int(std::min<qint64>(p.limit, m_limit->maximum())));
    const int m = m_method->findText(enumName(kAnalysisMethodNames, p.method));
    m_method->setCurrentIndex(std::max(0, m));
}

bool CleanEvalDialog::parseRates(const QString &text, std::vector<double> *rates, QString *error)
{
    rates->clear();
    for (QString part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        part = part.trimmed();
        const bool percent = part.endsWith(QLatin1Char('%'));
        if (percent)
            part.chop(1);
        bool ok = false;
        double v = part.trimmed().toDouble(&ok);
        if (ok && percent)
            v /= 100.0;
        if (!ok || !(v >= 0.0 && v < 1.0)) {
            if (error)
                *error = tr("Noise rate \u201c%1\u201d: expected a number in [0, 1) (or a percentage below 100 %)")
                             .arg(part.trimmed());
            return false;
        }
        rates->push_back(v);
    }
    if (rates->empty()) {
        if (error)
            *error = tr("Give one or more noise rates, e.g. 0.2 or 0, 0.2, 0.4");
        return false;
    }
    return true;
}

CleanEvalParams CleanEvalDialog::params() const
{
    CleanEvalParams p;
    p.dataSpec = m_data->text().trimmed();
    std::vector<double> rates;
    if (parseRates(m_rates->text(), &rates, nullptr))
        p.rates = rates;
    p.seeds = m_seeds->value();
    p.epochs = m_epochs->value();
    p.limit = m_limit->value() == 0 ? -1 : m_limit->value();
    p.method = enumFromName(kAnalysisMethodNames, m_method->currentText()).value_or(AnalysisMethod::All);
    return p;
}

void CleanEvalDialog::accept()
{
    QString error;
    std::vector<double> rates;
    if (m_data->text().trimmed().isEmpty())
        error = tr("Give the data to run on (a dataset with a test split).");
    else if (!parseRates(m_rates->text(), &rates, &error))
        m_rates->setFocus();
    if (!error.isEmpty()) {
        QMessageBox::warning(this, windowTitle(), error);
        return;
    }
    QDialog::accept();
}

} // namespace labelscope::ui
