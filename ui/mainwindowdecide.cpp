// MainWindow's decisions (split from mainwindow.cpp): a key, button or menu entry becomes one
// batch of decisions on the shown sample or the selection, written at once through
// ReviewSession; a bulk decision above bulkConfirmThreshold() asks first, naming how many samples
// of each current class it changes; next / previous sample; where undo and redo lead.

#include "mainwindow.h"

#include "gallerymodel.h"
#include "gallerywidget.h"
#include "labellingpanel.h"
#include "reviewsession.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>

#include <algorithm>
#include <map>

namespace labelscope::ui {

QString MainWindow::bulkQuestion(DecisionKind kind, int label, const std::vector<Decision> &decisions,
                                 QString *details) const
{
    const QStringList &classes = m_session->classes();
    const qsizetype n = qsizetype(decisions.size());
    QString question;
    switch (kind) {
    case DecisionKind::Relabel:
        question = tr("Relabel %L1 samples as %2?").arg(n).arg(className(classes, label));
        break;
    case DecisionKind::Accept: question = tr("Keep the given label of %L1 samples?").arg(n); break;
    case DecisionKind::Exclude: question = tr("Exclude %L1 samples from the cleaned dataset?").arg(n); break;
    case DecisionKind::AcceptSuggestion: question = tr("Accept the suggested label of %L1 samples?").arg(n); break;
    }
    if (details) {
        // How many of each current class the batch touches, most first.
        std::map<int, qint64> perClass;
        qint64 excluded = 0;
        for (const Decision &d : decisions) {
            const int i = m_session->indexOf(d.sampleId);
            if (i < 0)
                continue;
            ++perClass[m_session->row(i).label];
            excluded += m_session->row(i).excluded ? 1 : 0;
        }
        std::vector<std::pair<int, qint64>> sorted(perClass.begin(), perClass.end());
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const auto &a, const auto &b) { return a.second > b.second; });
        QStringList parts;
        constexpr std::size_t kShown = 8;
        for (std::size_t j = 0; j < std::min(kShown, sorted.size()); ++j)
            parts << tr("%1 %L2").arg(className(classes, sorted[j].first)).arg(sorted[j].second);
        if (sorted.size() > kShown)
            parts << tr("and %n more class(es)", nullptr, int(sorted.size() - kShown));
        *details = tr("Their current classes: %1.").arg(parts.join(QStringLiteral(", ")));
        if (excluded > 0)
            *details += QLatin1Char(' ') + tr("%L1 of them are excluded now.").arg(excluded);
        *details += QLatin1Char(' ') + tr("Undo (Ctrl+Z) takes the whole batch back in one step.");
    }
    return question;
}

bool MainWindow::confirmBulk(DecisionKind kind, int label, const std::vector<Decision> &decisions)
{
    QString details;
    const QString question = bulkQuestion(kind, label, decisions, &details);
    QMessageBox box(QMessageBox::Question, tr("Bulk decision"), question, QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("bulkConfirmation"));
    box.setInformativeText(details);
    QPushButton *apply = box.addButton(tr("Apply to %L1 samples").arg(qsizetype(decisions.size())),
                                       QMessageBox::AcceptRole);
    apply->setObjectName(QStringLiteral("bulkApply"));
    QPushButton *cancel = box.addButton(QMessageBox::Cancel);
    // Enter on a stray key press cancels: applying needs a deliberate click or Alt+key.
    box.setDefaultButton(cancel);
    box.setEscapeButton(cancel);
    box.exec();
    if (box.clickedButton() != apply) {
        statusBar()->showMessage(tr("Cancelled: %1").arg(question), 4000);
        return false;
    }
    return true;
}

bool MainWindow::decide(DecisionKind kind, int label)
{
    if (!m_session->isOpen())
        return false;
    QVector<qint64> ids = m_gallery->selectedSampleIds();
    const qint64 current = m_panel->sampleId();
    const bool bulk = ids.size() > 1;
    if (!bulk) {
        if (current < 0)
            return false;
        ids = {current};
    }
    const QStringList &classes = m_session->classes();
    if (kind == DecisionKind::Relabel && (label < 0 || label >= classes.size()))
        return false;
    std::vector<Decision> decisions;
    decisions.reserve(std::size_t(ids.size()));
    for (qint64 id : std::as_const(ids)) {
        const int i = m_session->indexOf(id);
        if (i < 0)
            continue;
        const SampleRow &r = m_session->row(i);
        Decision d;
        d.sampleId = id;
        switch (kind) {
        case DecisionKind::Relabel:
            d.newLabel = label;
            d.reason = label == r.givenLabel ? QStringLiteral("accept") : QStringLiteral("relabel");
            break;
        case DecisionKind::Accept:
            d.newLabel = r.givenLabel;
            d.reason = QStringLiteral("accept");
            break;
        case DecisionKind::Exclude:
            d.newLabel = r.label;
            d.excluded = true;
            d.reason = QStringLiteral("exclude");
            break;
        case DecisionKind::AcceptSuggestion: {
            // The one suggested label the panel shows (ReviewSession::suggestion()).
            const int suggested = m_session->suggestion(i);
            if (suggested < 0 || suggested >= classes.size())
                continue;
            d.newLabel = suggested;
            d.reason = suggested == r.givenLabel ? QStringLiteral("accept") : QStringLiteral("relabel");
            break;
        }
        }
        decisions.push_back(d);
    }
    if (decisions.empty())
        return false;
    if (bulk && qsizetype(decisions.size()) > m_bulkConfirmThreshold && !confirmBulk(kind, label, decisions))
        return false;
    QString what;
    switch (kind) {
    case DecisionKind::Relabel: what = tr("Label as %1").arg(classes.at(label)); break;
    case DecisionKind::Accept: what = tr("Keep given label"); break;
    case DecisionKind::Exclude: what = tr("Exclude"); break;
    case DecisionKind::AcceptSuggestion: what = tr("Accept suggestion"); break;
    }
    const QString text = decisions.size() > 1 ? tr("%1 (%2 samples)").arg(what).arg(decisions.size())
                                              : tr("%1 (#%2)").arg(what).arg(decisions.front().sampleId);
    const qint64 nextId = bulk ? -1 : m_gallery->sampleAfter(current);
    QString error;
    if (!m_session->decide(decisions, text, &error)) {
        statusBar()->showMessage(tr("Not saved: %1").arg(error), 10000);
        QMessageBox::warning(this, tr("Decision not saved"), error);
        return false;
    }
    statusBar()->showMessage(tr("Saved: %1").arg(text), 4000);
    if (!bulk) {
        // Open the next sample in the gallery's order (the decided one may have left the filter).
        if (!(nextId >= 0 && m_gallery->setCurrentSample(nextId)) && !m_gallery->setCurrentSample(current)) {
            const int rows = m_gallery->model()->rowCount();
            if (rows > 0)
                m_gallery->setCurrentSample(m_gallery->model()->sampleIdAt(rows - 1));
        }
    }
    return true;
}

void MainWindow::next()
{
    const qint64 id = m_gallery->sampleAfter(m_panel->sampleId());
    if (id >= 0)
        m_gallery->setCurrentSample(id);
    else if (m_panel->sampleId() < 0 && m_gallery->model()->rowCount() > 0)
        m_gallery->setCurrentSample(m_gallery->model()->sampleIdAt(0));
}

void MainWindow::previous()
{
    const qint64 id = m_gallery->sampleBefore(m_panel->sampleId());
    if (id >= 0)
        m_gallery->setCurrentSample(id);
}

void MainWindow::onUndoRedo(const QVector<qint64> &ids)
{
    if (ids.isEmpty())
        return;
    // Go back to the sample whose decision was undone, so that it can be decided again.
    if (ids.size() == 1 && !m_gallery->setCurrentSample(ids.front()))
        showSample(ids.front());
    m_panel->refresh();
    statusBar()->showMessage(tr("%n sample(s) restored", nullptr, int(ids.size())), 4000);
}

} // namespace labelscope::ui
