#include "agreementview.h"

#include "reviewsession.h"

#include "base/projectstore.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

namespace {
QTableWidget *table(const QStringList &headers, const QString &name)
{
    auto *t = new QTableWidget(0, int(headers.size()));
    t->setObjectName(name);
    t->setHorizontalHeaderLabels(headers);
    t->verticalHeader()->hide();
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    t->setMinimumHeight(120);
    return t;
}

QString percent(int part, int whole)
{
    return QStringLiteral("%1%").arg(100.0 * part / std::max(1, whole), 0, 'f', 1);
}
} // namespace

AgreementView::AgreementView(ReviewSession *session, QWidget *parent) : QWidget(parent), m_session(session)
{
    m_summary = new QLabel;
    m_summary->setObjectName(QStringLiteral("agreementSummary"));
    m_summary->setWordWrap(true);
    m_pairs = table({tr("Annotator"), tr("Annotator"), tr("Samples both decided"), tr("Agreement"), tr("Cohen's \u03ba")},
                    QStringLiteral("agreementPairs"));
    m_classes = table({tr("Given class"), tr("Samples"), tr("All agree")}, QStringLiteral("agreementClasses"));
    m_showConflicts = new QPushButton(tr("Show the conflicts"));
    m_showConflicts->setObjectName(QStringLiteral("showConflicts"));
    connect(m_showConflicts, &QPushButton::clicked, this, [this] {
        if (!m_conflicts.isEmpty())
            Q_EMIT showConflicts(m_conflicts);
    });
    auto *tables = new QHBoxLayout;
    tables->addWidget(m_pairs, 3);
    tables->addWidget(m_classes, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_summary);
    layout->addLayout(tables, 1);
    layout->addWidget(m_showConflicts, 0, Qt::AlignRight);
    // setFuture() stops watching the previous read, so only the latest one reports here.
    connect(&m_watcher, &QFutureWatcher<Result<AgreementReport>>::finished, this, [this] {
        if (m_refreshing)
            showReport(m_watcher.result());
    });
    refresh();
}

void AgreementView::refresh()
{
    if (!m_session->isOpen()) {
        showReport(AgreementReport{}); // a read still running is then ignored (m_refreshing)
        return;
    }
    const QString file = m_session->fileName();
    const int numClasses = int(m_session->classes().size());
    m_refreshing = true;
    m_summary->setText(tr("Reading the label log\u2026"));
    // The whole log of a large project takes a moment to read: on a worker thread.
    m_watcher.setFuture(QtConcurrent::run([file, numClasses]() -> Result<AgreementReport> {
        ProjectStore store; // this thread's own connection
        QString error;
        if (!store.openExisting(file, &error))
            return Result<AgreementReport>::failure(error);
        const std::vector<LabelEvent> events = store.events();
        if (events.empty() && !store.lastError().isEmpty()) // an import leaves one event per sample
            return Result<AgreementReport>::failure(store.lastError());
        return annotatorAgreement(events, numClasses);
    }));
}

void AgreementView::showReport(const Result<AgreementReport> &result)
{
    m_refreshing = false;
    if (!result) {
        m_conflicts.clear();
        m_summary->setText(tr("Cannot read the label log: %1").arg(result.error()));
        m_pairs->setRowCount(0);
        m_classes->setRowCount(0);
        m_showConflicts->setEnabled(false);
        return;
    }
    const AgreementReport &report = result.value();
    m_conflicts = QVector<qint64>(report.conflicts.begin(), report.conflicts.end());
    m_summary->setText(report.doublyReviewed == 0
                           ? tr("No sample has decisions of two annotators yet (a second review: set the project's "
                                "reviews_needed to 2, README \u201cShare a project\u201d).")
                           : tr("%n sample(s) decided by two or more annotators; %1 in conflict (their decisions "
                                "differ and nobody else has ruled).",
                                nullptr, report.doublyReviewed)
                                 .arg(report.conflicts.size()));
    m_pairs->setRowCount(int(report.pairs.size()));
    for (int i = 0; i < int(report.pairs.size()); ++i) {
        const AnnotatorPairAgreement &p = report.pairs[std::size_t(i)];
        const QStringList cells = {p.a, p.b, QString::number(p.samples), percent(p.agreed, p.samples),
                                   std::isnan(p.kappa) ? tr("n/a") : QString::number(p.kappa, 'f', 2)};
        for (int c = 0; c < cells.size(); ++c)
            m_pairs->setItem(i, c, new QTableWidgetItem(cells[c]));
    }
    m_classes->setRowCount(int(report.classes.size()));
    for (int i = 0; i < int(report.classes.size()); ++i) {
        const ClassAgreement &c = report.classes[std::size_t(i)];
        m_classes->setItem(i, 0, new QTableWidgetItem(c.classId >= 0 ? m_session->classes().value(c.classId)
                                                                     : tr("(unlabelled)")));
        m_classes->setItem(i, 1, new QTableWidgetItem(QString::number(c.samples)));
        m_classes->setItem(i, 2, new QTableWidgetItem(percent(c.agreed, c.samples)));
    }
    m_showConflicts->setEnabled(!m_conflicts.isEmpty());
}

} // namespace labelscope::ui
