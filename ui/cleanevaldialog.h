#pragma once
// The Report tab's "Run clean-eval…" dialog (issue 17): the data (the open project's data spec by
// default), the noise rates, seeds, epochs per model, the sample limit and the analysis method of
// core/ml/cleaneval.h, with defaults for a quick run (0.2, one seed, 3 epochs, 2,000 samples per
// split: 2 min 29 s on the shared 2-core build machine, tests/benchmarks/RESULTS.md). Refuses
// rates outside [0, 1) and an empty data spec.

#include "ml/cleaneval.h"

#include <QDialog>

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace labelscope::ui {

class CleanEvalDialog : public QDialog {
    Q_OBJECT
public:
    explicit CleanEvalDialog(QWidget *parent = nullptr);

    /// The quick-run defaults on DATASPEC.
    static CleanEvalParams quickParams(const QString &dataSpec);

    void setParams(const CleanEvalParams &params);
    /// The parameters as entered; rates that do not parse leave the default 0.2 (accept()
    /// refuses them first).
    CleanEvalParams params() const;
    /// Parses "0.2, 0.4" (or "20 %") into rates in [0, 1); false and *error naming the bad entry.
    static bool parseRates(const QString &text, std::vector<double> *rates, QString *error);

    QLineEdit *dataEdit() const { return m_data; }
    QLineEdit *ratesEdit() const { return m_rates; }

    void accept() override;

private:
    QLineEdit *m_data, *m_rates;
    QSpinBox *m_seeds, *m_epochs, *m_limit;
    QComboBox *m_method;
};

} // namespace labelscope::ui
