#pragma once
// ConfusionMatrixView: a K × K count matrix painted as a heat map with the counts in the cells
// (rows: given label, columns: predicted label). Qt Charts has no heat map series, so this is a
// small painted widget; grab() exports it like a chart.

#include <QStringList>
#include <QWidget>

#include <vector>

namespace labelscope::ui {

class ConfusionMatrixView : public QWidget {
    Q_OBJECT
public:
    explicit ConfusionMatrixView(QWidget *parent = nullptr);

    /// COUNTS row-major [K, K] (row = given, column = predicted); NAMES [K].
    void setMatrix(const QStringList &names, std::vector<qint64> counts);
    qint64 count(int given, int predicted) const;
    int classCount() const { return int(m_names.size()); }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return {320, 260}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QStringList m_names;
    std::vector<qint64> m_counts;
};

} // namespace labelscope::ui
