#pragma once
// The review window's progress (issue 17): ReviewProgressBar in the status bar — a progress bar
// of the samples to review (hard + need review) that are reviewed, the count per category and
// what is left, the count per given class in its tool tip — and SessionSummaryDialog (Review ›
// Session summary): pace, relabel and exclude rates down the ranked list, and how many wrong
// labels the next N samples would still fix (ui/reviewstats.h).

#include <QDialog>
#include <QWidget>

class QLabel;
class QProgressBar;
class QSpinBox;

namespace labelscope::ui {

class ReviewSession;

class ReviewProgressBar : public QWidget {
    Q_OBJECT
public:
    explicit ReviewProgressBar(ReviewSession *session, QWidget *parent = nullptr);
    /// Re-counts (after decisions, undo, reload).
    void refresh();
    QProgressBar *bar() const { return m_bar; }
    QLabel *text() const { return m_text; }

private:
    ReviewSession *m_session;
    QProgressBar *m_bar;
    QLabel *m_text;
};

class SessionSummaryDialog : public QDialog {
    Q_OBJECT
public:
    explicit SessionSummaryDialog(ReviewSession *session, QWidget *parent = nullptr);
    void refresh();
    QSpinBox *nextSpin() const { return m_next; }
    QLabel *body() const { return m_body; }

private:
    ReviewSession *m_session;
    QSpinBox *m_next;
    QLabel *m_body;
};

} // namespace labelscope::ui
