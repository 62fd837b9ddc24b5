#include "reviewprogresswidget.h"

#include "reviewsession.h"
#include "reviewstats.h"
#include "uicommon.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

namespace labelscope::ui {

ReviewProgressBar::ReviewProgressBar(ReviewSession *session, QWidget *parent)
    : QWidget(parent), m_session(session)
{
    setObjectName(QStringLiteral("reviewProgress"));
    m_bar = new QProgressBar(this);
    m_bar->setObjectName(QStringLiteral("reviewProgressBar"));
    m_bar->setMaximumWidth(160);
    m_bar->setMaximumHeight(16);
    m_bar->setTextVisible(true);
    m_bar->setFormat(QStringLiteral("%p%"));
    m_text = new QLabel(this);
    m_text->setObjectName(QStringLiteral("reviewProgressText"));
    m_text->setMinimumWidth(60); // may be cut, never widens the window (the tool tip has it all)
    auto *row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_bar);
    row->addWidget(m_text);
    refresh();
}

void ReviewProgressBar::refresh()
{
    if (!m_session->isOpen() || m_session->runId() <= 0) {
        hide();
        return;
    }
    const ReviewProgress p = reviewProgress(*m_session);
    m_bar->setRange(0, int(std::max<qint64>(1, p.toReview)));
    m_bar->setValue(int(p.reviewed));
    m_text->setText(tr("Reviewed %L1 / %L2 \u2014 hard %L3/%L4, need review %L5/%L6 \u2014 %L7 left")
                        .arg(p.reviewed)
                        .arg(p.toReview)
                        .arg(p.hardReviewed)
                        .arg(p.hard)
                        .arg(p.needReviewReviewed)
                        .arg(p.needReview)
                        .arg(p.remaining()));
    QString tip = tr("<b>Reviewed / to review (hard + need review) per given class</b><table>");
    const QStringList &classes = m_session->classes();
    for (std::size_t k = 0; k < p.classToReview.size(); ++k) {
        if (p.classToReview[k] == 0)
            continue;
        tip += QStringLiteral("<tr><td>%1</td><td align=right>%L2 / %L3</td><td align=right>%L4 left</td></tr>")
                   .arg(className(classes, int(k)).toHtmlEscaped())
                   .arg(p.classReviewed[k])
                   .arg(p.classToReview[k])
                   .arg(p.classToReview[k] - p.classReviewed[k]);
    }
    tip += QStringLiteral("</table>");
    setToolTip(tip);
    m_text->setToolTip(tip);
    m_bar->setToolTip(tip);
    show();
}

SessionSummaryDialog::SessionSummaryDialog(ReviewSession *session, QWidget *parent)
    : QDialog(parent), m_session(session)
{
    setObjectName(QStringLiteral("sessionSummary"));
    setWindowTitle(tr("Session summary"));
    m_next = new QSpinBox(this);
    m_next->setObjectName(QStringLiteral("summaryNextN"));
    m_next->setRange(10, 100000);
    m_next->setSingleStep(50);
    m_next->setValue(200);
    m_next->setSuffix(tr(" samples"));
    m_body = new QLabel(this);
    m_body->setObjectName(QStringLiteral("summaryBody"));
    m_body->setTextFormat(Qt::RichText);
    m_body->setWordWrap(true);
    m_body->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_body->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_body);
    scroll->setWidgetResizable(true);
    auto *form = new QFormLayout;
    form->addRow(tr("Estimate for the next:"), m_next);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(scroll, 1);
    layout->addWidget(buttons);
    connect(m_next, &QSpinBox::valueChanged, this, &SessionSummaryDialog::refresh);
    connect(m_session, &ReviewSession::samplesChanged, this, [this] {
        if (isVisible())
            refresh();
    });
    resize(560, 520);
    refresh();
}

void SessionSummaryDialog::refresh()
{
    if (!m_session->isOpen() || !m_session->store()) {
        m_body->setText(tr("No project is open."));
        return;
    }
    const SessionSummary s = summarizeSession(*m_session, m_session->store()->decisionBatches(),
                                              m_session->openedAt(), m_next->value());
    m_body->setText(sessionSummaryHtml(s, m_session->classes()));
}

} // namespace labelscope::ui
