#include "overlappingclassesview.h"

#include "confidentjointview.h"
#include "reviewsession.h"

#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace labelscope::ui {

OverlappingClassesView::OverlappingClassesView(ConfidentJointView *joint, QWidget *parent)
    : QWidget(parent), m_joint(joint), m_title(new QLabel(this)), m_table(new QTableWidget(0, 4, this))
{
    m_title->setWordWrap(true);
    m_table->setHorizontalHeaderLabels({tr("Class A"), tr("Class B"), tr("Samples"), tr("Share")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_table->setToolTip(tr("Pairs of classes often mislabelled as one another (cleanlab's find_overlapping_classes): "
                           "candidates to merge, or to define more clearly for the annotators. "
                           "Double-click a pair to see its samples in the gallery."));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_table, 1);
    // Room for two class names and the numbers: a narrow list truncates the names it is for.
    setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("M")) * 26);
    connect(m_table, &QTableWidget::cellActivated, this, [this](int row, int) { activateRow(row); });
    connect(m_joint, &ConfidentJointView::refreshed, this, &OverlappingClassesView::refresh);
    refresh();
}

void OverlappingClassesView::refresh()
{
    m_pairs.clear();
    ReviewSession *session = m_joint->session();
    const int k = m_joint->classCount();
    if (m_joint->hasJoint() && session->run()) {
        // The pairs the analysis stored (what `analyze` printed); else the shown joint, calibrated
        // with the given labels of the run's scored samples (older runs, recomputed joints).
        const QJsonArray stored = session->run()->summary.value(QStringLiteral("confident_learning")).toObject()
                                      .value(QStringLiteral("overlapping_classes")).toArray();
        if (m_joint->source() == QLatin1String("summary") && !stored.isEmpty()) {
            for (const QJsonValue &v : stored) {
                OverlappingClasses pair;
                if (overlappingClassesFromJson(v.toObject(), &pair) && pair.classA >= 0 && pair.classB < k)
                    m_pairs.push_back(pair);
            }
        } else {
            std::vector<int64_t> joint(std::size_t(k) * std::size_t(k)), counts(std::size_t(k), 0);
            for (int g = 0; g < k; ++g)
                for (int t = 0; t < k; ++t)
                    joint[std::size_t(g * k + t)] = m_joint->count(g, t);
            for (int i = 0; i < session->count(); ++i) {
                const int g = session->row(i).givenLabel;
                if (session->score(i) && g >= 0 && g < k)
                    ++counts[std::size_t(g)];
            }
            m_pairs = findOverlappingClasses(calibrateConfidentJoint(joint, counts), k, kPairsShown);
        }
    }
    const QStringList &names = m_joint->classNames();
    m_table->setRowCount(int(m_pairs.size()));
    for (int r = 0; r < int(m_pairs.size()); ++r) {
        const OverlappingClasses &p = m_pairs[std::size_t(r)];
        auto *count = new QTableWidgetItem(QLocale().toString(qlonglong(p.numOverlapping)));
        count->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        auto *share = new QTableWidgetItem(QStringLiteral("%1%").arg(100.0 * p.jointProbability, 0, 'f', 1));
        share->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        const QString text = overlappingPairText(p, names);
        for (const int column : {0, 1}) {
            auto *item = new QTableWidgetItem(names.value(column == 0 ? p.classA : p.classB));
            item->setToolTip(text); // the whole names, however narrow the column
            m_table->setItem(r, column, item);
        }
        m_table->setItem(r, 2, count);
        m_table->setItem(r, 3, share);
    }
    m_table->resizeColumnToContents(2);
    m_table->resizeColumnToContents(3);
    m_title->setText(m_pairs.empty() ? (m_joint->hasJoint() ? tr("Overlapping classes: none") : QString())
                                     : tr("Overlapping classes (most first)"));
    setVisible(m_joint->hasJoint());
}

void OverlappingClassesView::activateRow(int row)
{
    if (row < 0 || row >= int(m_pairs.size()))
        return;
    const OverlappingClasses &p = m_pairs[std::size_t(row)];
    if (m_joint->pairCount(p.classB, p.classA) > m_joint->pairCount(p.classA, p.classB))
        Q_EMIT pairActivated(p.classB, p.classA);
    else
        Q_EMIT pairActivated(p.classA, p.classB);
}

} // namespace labelscope::ui
