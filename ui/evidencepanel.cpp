#include "evidencepanel.h"

#include "reviewsession.h"
#include "similaritysearch.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <map>

namespace labelscope::ui {

namespace {
QString percent(double p)
{
    return QStringLiteral("%1%").arg(std::lround(std::clamp(p, 0.0, 1.0) * 100.0));
}

// A Data Parameters score at or above this: the given label stayed poorly fitted over training
// (1 − mean p(given) ≥ 0.5 means the model gave the given label less than even odds on average).
constexpr double kHardToFit = 0.5;
// Below this probability the model is "unsure" of a suggestion that equals the given label.
constexpr double kUnsure = 0.6;
} // namespace

QString flagReason(const FlagSignals &in)
{
    if (in.category == Category::Unknown)
        return EvidencePanel::tr("Not scored: no analysis run covers this sample.");
    QStringList clauses;
    const bool suggestionKnown = in.suggested >= 0 && !in.suggestedName.isEmpty();
    if (suggestionKnown) {
        const QString who = in.outOfSample ? EvidencePanel::tr("a model that never saw this image")
                                           : EvidencePanel::tr("the model");
        if (in.suggested != in.given)
            clauses << EvidencePanel::tr("%1 predicts %2 with %3 confidence")
                           .arg(who, in.suggestedName, percent(in.suggestedProb));
        else if (std::isfinite(in.suggestedProb) && in.suggestedProb < kUnsure)
            clauses << EvidencePanel::tr("%1 agrees with %2 but is only %3 sure")
                           .arg(who, in.givenName, percent(in.suggestedProb));
        else
            clauses << EvidencePanel::tr("%1 agrees with %2 (%3 confident)")
                           .arg(who, in.givenName, percent(in.suggestedProb));
    }
    if (in.neighbours > 0 && in.neighbourLabel >= 0) {
        if (in.neighbourLabel == in.given)
            clauses << EvidencePanel::tr("%1 of its %2 nearest neighbours are labelled %3 too")
                           .arg(in.neighboursAgreeing)
                           .arg(in.neighbours)
                           .arg(in.neighbourName);
        else
            clauses << EvidencePanel::tr("%1 of its %2 nearest neighbours are labelled %3")
                           .arg(in.neighboursAgreeing)
                           .arg(in.neighbours)
                           .arg(in.neighbourName);
    }
    if (std::isfinite(in.dpScore) && in.dpScore >= kHardToFit)
        clauses << EvidencePanel::tr("it stayed hard to fit through training");
    if (in.clIssue && !(suggestionKnown && in.outOfSample && in.suggested != in.given))
        clauses << EvidencePanel::tr("models that never saw it doubt its label");

    QString lead;
    switch (in.category) {
    case Category::Hard: lead = EvidencePanel::tr("Flagged as likely wrong"); break;
    case Category::NeedReview: lead = EvidencePanel::tr("Flagged for a second look"); break;
    default: lead = EvidencePanel::tr("Not flagged"); break;
    }
    QString text = clauses.isEmpty() ? lead + QLatin1Char('.')
                                     : lead + QStringLiteral(": ") + clauses.join(QStringLiteral("; ")) + QLatin1Char('.');
    if (in.wrongProbability >= 0.0)
        text += QLatin1Char(' ') + EvidencePanel::tr("Chance that the label is wrong: %1.").arg(percent(in.wrongProbability));
    return text;
}

// ---------------------------------------------------------------------------------------------

EvidencePanel::EvidencePanel(ReviewSession *session, ThumbnailLoader *loader, QWidget *parent)
    : QWidget(parent), m_session(session), m_loader(loader)
{
    setObjectName(QStringLiteral("evidencePanel"));
    m_reason = new QLabel(this);
    m_reason->setObjectName(QStringLiteral("flagReason"));
    m_reason->setWordWrap(true);
    m_reason->setTextFormat(Qt::PlainText);
    m_reason->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_titleGiven = new QLabel(this);
    m_titleGiven->setObjectName(QStringLiteral("examplesGivenTitle"));
    m_titleGiven->setWordWrap(true);
    m_titleSuggested = new QLabel(this);
    m_titleSuggested->setObjectName(QStringLiteral("examplesSuggestedTitle"));
    m_titleSuggested->setWordWrap(true);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("evidenceStatus"));
    m_status->setWordWrap(true);
    m_status->setStyleSheet(QStringLiteral("color: #666;"));
    m_rowGiven = new QHBoxLayout;
    m_rowSuggested = new QHBoxLayout;
    for (QHBoxLayout *row : {m_rowGiven, m_rowSuggested}) {
        row->setSpacing(3);
        row->setContentsMargins(0, 0, 0, 0);
    }
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(3);
    layout->addWidget(m_reason);
    layout->addWidget(m_titleGiven);
    layout->addLayout(m_rowGiven);
    m_suggestedBox = new QWidget(this);
    auto *sb = new QVBoxLayout(m_suggestedBox);
    sb->setContentsMargins(0, 0, 0, 0);
    sb->setSpacing(3);
    sb->addWidget(m_titleSuggested);
    sb->addLayout(m_rowSuggested);
    layout->addWidget(m_suggestedBox);
    layout->addWidget(m_status);
    connect(m_loader, &ThumbnailLoader::thumbnailReady, this, &EvidencePanel::updateThumbnail);
    m_askTimer = new QTimer(this);
    m_askTimer->setSingleShot(true);
    m_askTimer->setInterval(kAskDelayMs);
    connect(m_askTimer, &QTimer::timeout, this, &EvidencePanel::ask);
    setSample(-1);
}

void EvidencePanel::setSearch(SimilaritySearch *search)
{
    if (m_search)
        disconnect(m_search, nullptr, this, nullptr);
    m_search = search;
    if (m_search)
        connect(m_search, &SimilaritySearch::evidenceReady, this, &EvidencePanel::onEvidence);
    setSample(m_id);
}

FlagSignals EvidencePanel::currentSignals() const
{
    FlagSignals in;
    const int index = m_session->indexOf(m_id);
    if (index < 0)
        return in;
    const QStringList &classes = m_session->classes();
    const SampleRow &r = m_session->row(index);
    const SampleScore *s = m_session->score(index);
    in.given = r.givenLabel;
    in.givenName = className(classes, r.givenLabel);
    if (!s)
        return in;
    in.category = s->category;
    in.suggested = m_session->suggestion(index);
    in.suggestedName = in.suggested >= 0 ? className(classes, in.suggested) : QString();
    in.outOfSample = s->suggestedLabel >= 0 && s->suggestedLabel == in.suggested;
    in.suggestedProb = in.outOfSample ? double(s->suggestedProb) : double(s->predProb);
    in.clIssue = s->clIssue;
    in.dpScore = std::isfinite(s->dpScore) ? double(s->dpScore) : 1.0 - double(s->meanProb);
    in.wrongProbability = m_session->wrongProbability(index);
    // The neighbours' most common current label (excluded samples count with their label).
    if (!m_neighbours.isEmpty()) {
        std::map<int, int> votes;
        for (qint64 id : m_neighbours) {
            const int j = m_session->indexOf(id);
            if (j >= 0)
                ++votes[m_session->row(j).label];
        }
        int best = -1, bestVotes = 0;
        for (const auto &[label, n] : votes)
            if (n > bestVotes || (n == bestVotes && label == r.givenLabel)) {
                best = label;
                bestVotes = n;
            }
        in.neighbours = int(m_neighbours.size());
        in.neighboursAgreeing = bestVotes;
        in.neighbourLabel = best;
        in.neighbourName = className(classes, best);
    }
    return in;
}

void EvidencePanel::setSample(qint64 id)
{
    m_id = m_session->indexOf(id) >= 0 ? id : -1;
    m_nearGiven.clear();
    m_nearSuggested.clear();
    m_neighbours.clear();
    m_evidenceError.clear();
    m_waiting = false;
    fillRow(m_rowGiven, m_buttonsGiven, {});
    fillRow(m_rowSuggested, m_buttonsSuggested, {});
    m_askTimer->stop();
    const int index = m_session->indexOf(m_id);
    if (index >= 0 && m_search && m_session->score(index)) {
        m_waiting = true;
        if (!m_search->indexFailure().isEmpty())
            ask(); // answered at once: onEvidence() runs before this returns
        else
            m_askTimer->start();
    }
    refresh();
}

void EvidencePanel::ask()
{
    const int index = m_session->indexOf(m_id);
    if (index < 0 || !m_search || !m_waiting)
        return;
    const int given = m_session->row(index).givenLabel;
    const int suggested = m_session->suggestion(index);
    m_search->requestEvidence(m_id, given, suggested == given ? -1 : suggested, kExamples, kNeighbours);
}

void EvidencePanel::refresh()
{
    const int index = m_session->indexOf(m_id);
    setVisible(index >= 0);
    if (index < 0)
        return;
    m_reason->setText(flagReason(currentSignals()));
    updateTitles();
}

void EvidencePanel::updateTitles()
{
    const int index = m_session->indexOf(m_id);
    if (index < 0)
        return;
    const QStringList &classes = m_session->classes();
    const int given = m_session->row(index).givenLabel;
    const int suggested = m_session->suggestion(index);
    m_titleGiven->setText(tr("Clear examples of %1 (the given label), nearest first:").arg(className(classes, given)));
    m_suggestedBox->setVisible(suggested >= 0 && suggested != given);
    m_titleSuggested->setText(tr("Clear examples of %1 (the suggested label):").arg(className(classes, suggested)));
    if (!m_session->score(index))
        m_status->setText(tr("No analysis run: no examples to compare with."));
    else if (m_waiting)
        m_status->setText(tr("Looking for similar images\u2026"));
    else if (!m_evidenceError.isEmpty())
        // Plain words here; the exact reason (file, run) in the tool tip.
        m_status->setText(m_evidenceError.contains(QStringLiteral("embedding"))
                              ? tr("No similar examples: this analysis run kept no image features to compare.")
                              : tr("No similar examples could be looked up."));
    else if (!m_search)
        m_status->setText(QString());
    else if (m_nearGiven.isEmpty())
        m_status->setText(tr("No clear example of %1 was found.").arg(className(classes, given)));
    else
        m_status->setText(QString());
    m_status->setToolTip(m_evidenceError);
    m_status->setVisible(!m_status->text().isEmpty());
    m_titleGiven->setVisible(!m_nearGiven.isEmpty());
    m_titleSuggested->setVisible(!m_nearSuggested.isEmpty());
}

void EvidencePanel::onEvidence(const SampleEvidence &evidence)
{
    if (evidence.sampleId != m_id)
        return;
    m_waiting = false;
    m_evidenceError = evidence.error;
    m_nearGiven = evidence.nearA;
    m_nearSuggested = evidence.nearB;
    m_neighbours = evidence.neighbours;
    fillRow(m_rowGiven, m_buttonsGiven, m_nearGiven);
    fillRow(m_rowSuggested, m_buttonsSuggested, m_nearSuggested);
    refresh();
    Q_EMIT evidenceShown(m_id);
}

void EvidencePanel::fillRow(QHBoxLayout *row, QVector<QToolButton *> &buttons, const QVector<qint64> &ids)
{
    if (buttons.isEmpty() && ids.isEmpty() && row->count() > 0)
        return; // empty already (the usual case while keying on): no relayout
    qDeleteAll(buttons);
    buttons.clear();
    while (QLayoutItem *item = row->takeAt(0))
        delete item;
    const QStringList &classes = m_session->classes();
    for (qint64 id : ids) {
        const int j = m_session->indexOf(id);
        if (j < 0)
            continue;
        auto *b = new QToolButton(this);
        b->setObjectName(QStringLiteral("example%1").arg(id));
        b->setProperty("sampleId", id);
        b->setAutoRaise(true);
        b->setFocusPolicy(Qt::NoFocus);
        b->setIconSize(QSize(64, 64));
        b->setFixedSize(70, 70);
        b->setToolTip(tr("Sample #%1, labelled %2; click to open it").arg(id).arg(className(classes, m_session->row(j).label)));
        connect(b, &QToolButton::clicked, this, [this, id] { Q_EMIT exampleActivated(id); });
        row->addWidget(b);
        buttons.push_back(b);
        updateThumbnail(id);
    }
    row->addStretch(1);
}

void EvidencePanel::updateThumbnail(qint64 sampleId)
{
    for (QToolButton *b : m_buttonsGiven + m_buttonsSuggested) {
        if (b->property("sampleId").toLongLong() != sampleId)
            continue;
        const int j = m_session->indexOf(sampleId);
        if (j < 0)
            continue;
        // thumbnail() queues a miss; thumbnailReady() brings us back here.
        const QImage img = m_loader->thumbnail(sampleId, m_session->row(j).sample);
        if (!img.isNull())
            b->setIcon(QIcon(QPixmap::fromImage(img)));
    }
}

} // namespace labelscope::ui
