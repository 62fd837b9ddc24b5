// MainWindow's shared-project parts (issue 18): open a project on a PostgreSQL server, set the
// annotator name the events record, and offer a newer analysis that another machine wrote.

#include "mainwindow.h"
#include "reviewsession.h"

#include "agreementview.h"
#include "gallerymodel.h"
#include "statisticspage.h"
#include "gallerywidget.h"

#include "base/projectlocation.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

void MainWindow::createTeamActions()
{
    QMenu *file = menuBar()->actions().value(0) ? menuBar()->actions().value(0)->menu() : nullptr;
    if (file) {
        QAction *before = file->actions().value(2); // after "Open project…" and "New analysis…"
        auto *openShared = new QAction(tr("Open &shared project\u2026"), this);
        openShared->setObjectName(QStringLiteral("openSharedProject"));
        openShared->setToolTip(tr("A project on a PostgreSQL server: postgresql://[user@]host[:port]/database?project=NAME"));
        connect(openShared, &QAction::triggered, this, [this] {
            bool ok = false;
            const QString url = QInputDialog::getText(
                this, tr("Open shared project"),
                tr("PostgreSQL project (the password comes from ~/.pgpass, PGPASSFILE or PGPASSWORD):"),
                QLineEdit::Normal, QStringLiteral("postgresql://%1@host/labelscope?project=").arg(m_session->annotator()), &ok);
            if (!ok || url.trimmed().isEmpty())
                return;
            QString error;
            if (!ProjectLocation::isUrl(url.trimmed()))
                QMessageBox::warning(this, windowTitle(), tr("Not a PostgreSQL URL: it starts with postgresql://"));
            else if (!openProject(url.trimmed(), &error))
                QMessageBox::warning(this, windowTitle(), error);
        });
        auto *name = new QAction(tr("Annotator &name\u2026"), this);
        name->setObjectName(QStringLiteral("annotatorName"));
        connect(name, &QAction::triggered, this, [this] {
            bool ok = false;
            const QString text = QInputDialog::getText(this, tr("Annotator name"),
                                                       tr("Your decisions are recorded under this name:"),
                                                       QLineEdit::Normal, m_session->annotator(), &ok);
            if (!ok)
                return;
            ReviewSession::setDefaultAnnotator(text);
            m_session->setAnnotator(text);
            statusBar()->showMessage(tr("Decisions are recorded as %1").arg(m_session->annotator()), 5000);
        });
        file->insertAction(before, openShared);
        file->insertAction(before, name);
    }

    // Splitting the work: claim the next flagged samples nobody else holds; a second review;
    // agreement between annotators (issue 18).
    if (QMenu *review = menuBar()->actions().value(2) ? menuBar()->actions().value(2)->menu() : nullptr) {
        review->addSeparator();
        QAction *claim = review->addAction(tr("&Claim the next 50 flagged samples"), this, [this] { claimBatch(50); });
        claim->setObjectName(QStringLiteral("claimBatch"));
        QAction *agreement = review->addAction(tr("Team &agreement\u2026"), this, &MainWindow::showAgreement);
        agreement->setObjectName(QStringLiteral("teamAgreement"));
    }

    connect(m_statistics->agreementView(), &AgreementView::showConflicts, this, &MainWindow::showSamples);

    // Another machine (a GPU worker) finished an analysis: offer it, never switch under the
    // annotator's hands.
    auto *newRun = new QPushButton(this);
    newRun->setObjectName(QStringLiteral("newAnalysisAvailable"));
    newRun->setFlat(true);
    newRun->hide();
    statusBar()->addPermanentWidget(newRun);
    connect(m_session, &ReviewSession::newAnalysisAvailable, this, [this, newRun](qint64 runId) {
        newRun->setText(tr("New analysis (run %1) available \u2014 show it").arg(runId));
        newRun->show();
    });
    connect(newRun, &QPushButton::clicked, this, [this, newRun] {
        newRun->hide();
        QString error;
        if (!m_session->reload(&error))
            QMessageBox::warning(this, windowTitle(), error);
    });
    connect(m_session, &ReviewSession::reloaded, newRun, &QWidget::hide);
}

std::vector<qint64> MainWindow::claimBatch(int count)
{
    std::vector<qint64> claimed;
    if (!m_session->isOpen() || m_session->isReadOnly())
        return claimed;
    // The flagged training samples, most likely wrong first: the order the gallery reviews in.
    std::vector<std::pair<float, qint64>> flagged;
    for (int i = 0; i < m_session->count(); ++i) {
        const SampleRow &r = m_session->row(i);
        if (m_session->isFlagged(i) && !r.excluded && !ReviewSession::isTestSample(r))
            flagged.push_back({-m_session->noiseScore(i), r.id});
    }
    std::sort(flagged.begin(), flagged.end());
    std::vector<qint64> candidates;
    candidates.reserve(flagged.size());
    for (const auto &f : flagged)
        candidates.push_back(f.second);
    // A second, independent review when the project asks for it (meta "reviews_needed" = 2).
    const int needed = std::clamp(m_session->store()->meta(QStringLiteral("reviews_needed")).toInt(), 1, 2);
    const Result<std::vector<qint64>> r = m_session->store()->claimSamples(candidates, count, m_session->annotator(), 1800, needed);
    if (!r) {
        QMessageBox::warning(this, windowTitle(), r.error());
        return claimed;
    }
    claimed = r.value();
    if (claimed.empty()) {
        statusBar()->showMessage(tr("Nothing left to claim: every flagged sample is reviewed or claimed by someone else"), 8000);
        return claimed;
    }
    showSamples(QVector<qint64>(claimed.begin(), claimed.end()));
    statusBar()->showMessage(tr("%n sample(s) claimed for 30 minutes: nobody else is given them", nullptr, int(claimed.size())), 8000);
    return claimed;
}

void MainWindow::showAgreement()
{
    if (!m_session->isOpen())
        return;
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("agreementDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Team agreement"));
    auto *layout = new QVBoxLayout(dialog);
    auto *view = new AgreementView(m_session, dialog);
    layout->addWidget(view, 1);
    connect(view, &AgreementView::showConflicts, dialog, [this, dialog](const QVector<qint64> &ids) {
        showSamples(ids);
        dialog->accept();
    });
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog->resize(720, 480);
    dialog->show();
}

void MainWindow::showSamples(const QVector<qint64> &ids)
{
    if (ids.isEmpty())
        return;
    m_gallery->model()->setSubset(ids);
    m_tabs->setCurrentWidget(m_gallery);
    m_gallery->setCurrentSample(ids.front());
}

} // namespace labelscope::ui
