#pragma once
// LabellingPanel: the current sample large (nearest-neighbour enlarged when small), its given
// and current label, the one suggested label (ReviewSession::suggestion(): Confident Learning's,
// else the model's prediction) with its probability ("Accept suggestion", W; P is an alias), the
// verdict, the evidence (EvidencePanel: why it was flagged, in words, and the nearest clear
// examples of the given and the suggested class), and one button per class with its number key.
// The engineering figures (noise score, σ, mean p(given), the final model's prediction and the
// trajectory of σ and p(given) over the epochs) sit in a collapsible "Details" section. The
// panel only emits requests; the main window turns them into decisions.

#include <QFutureWatcher>
#include <QImage>
#include <QVector>
#include <QWidget>

class QAbstractButton;
class QToolButton;
class QChart;
class QChartView;
class QGridLayout;
class QLabel;
class QLineSeries;
class QPushButton;
class QValueAxis;

namespace labelscope::ui {

class EvidencePanel;
class ReviewSession;
class ThumbnailLoader;

/// Paints an image as large as fits, with crisp pixels for small images.
class ImageView : public QWidget {
    Q_OBJECT
public:
    explicit ImageView(QWidget *parent = nullptr);
    void setImage(const QImage &image, const QString &placeholder = QString());
    const QImage &image() const { return m_image; }
    QSize sizeHint() const override { return {320, 320}; }
    QSize minimumSizeHint() const override { return {160, 160}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QImage m_image;
    QString m_placeholder;
};

class LabellingPanel : public QWidget {
    Q_OBJECT
public:
    LabellingPanel(ReviewSession *session, ThumbnailLoader *loader, QWidget *parent = nullptr);

    /// Shows sample ID (-1: nothing).
    void setSample(qint64 id);
    qint64 sampleId() const { return m_id; }
    /// Re-reads the shown sample's labels (after a decision, undo or reload).
    void refresh();
    /// Re-creates the class buttons from the session's classes.
    void rebuildClassButtons();
    /// Shows the "Find similar" button (the window calls this once a similarity search is wired).
    void setFindSimilarAvailable(bool available);
    QPushButton *findSimilarButton() const { return m_findSimilar; }
    /// Shown above the buttons when several samples are selected.
    void setSelectionCount(int count);

    /// With more than kAllButtonsUpTo classes only the classes on the number keys get a button,
    /// plus "Other class… (L)" (the type-ahead picker).
    static constexpr int kAllButtonsUpTo = 20;
    QPushButton *otherClassButton() const { return m_otherClass; }
    /// Keep / Accept suggestion / Exclude and Previous / Next / Find similar, not in the panel's
    /// own layout: the window places it below the panel's scroll area, always in view.
    QWidget *actionBar() const { return m_actionBar; }
    QPushButton *keepButton() const { return m_keep; }
    QPushButton *excludeButton() const { return m_exclude; }
    QPushButton *nextButton() const { return m_next; }
    QPushButton *previousButton() const { return m_prev; }

    QLabel *currentLabelField() const { return m_current; }
    /// "Coat — 91%" and where the suggestion comes from, or a dash.
    QLabel *suggestedLabelField() const { return m_suggested; }
    EvidencePanel *evidencePanel() const { return m_evidence; }
    /// "Details" toggle and the section it shows (closed by default).
    QToolButton *detailsButton() const { return m_detailsButton; }
    QWidget *detailsSection() const { return m_details; }
    QPushButton *acceptSuggestionButton() const { return m_acceptSuggestion; }
    ImageView *imageView() const { return m_image; }

Q_SIGNALS:
    void labelChosen(int label);
    void acceptRequested();
    /// Relabel to the suggested label (W).
    void acceptSuggestionRequested();
    void excludeRequested();
    void nextRequested();
    void previousRequested();
    /// "Find similar" on the shown sample (the button shows once setFindSimilarAvailable(true)).
    void findSimilarRequested(qint64 sampleId);
    /// "Other class…": open the type-ahead class picker.
    void pickClassRequested();

private:
    void loadImage();
    void updateTrajectory();
    void updateButtons();

    ReviewSession *m_session;
    ThumbnailLoader *m_loader;
    qint64 m_id = -1;
    ImageView *m_image;
    QLabel *m_title, *m_given, *m_current, *m_predicted, *m_noise, *m_category, *m_selection;
    QLabel *m_suggested;
    EvidencePanel *m_evidence;
    QToolButton *m_detailsButton;
    QWidget *m_details;
    QChartView *m_chartView;
    QChart *m_chart;
    QLineSeries *m_sigma, *m_prob;
    QValueAxis *m_axisX, *m_axisSigma, *m_axisProb;
    QGridLayout *m_buttonGrid;
    QVector<QPushButton *> m_classButtons;
    QPushButton *m_keep, *m_exclude, *m_prev, *m_next, *m_acceptSuggestion;
    QPushButton *m_findSimilar = nullptr;
    QPushButton *m_otherClass = nullptr;
    QWidget *m_actionBar = nullptr;
    QVector<int> m_buttonClass; // class id of each class button
    QFutureWatcher<QImage> m_imageWatcher;
    qint64 m_loadingId = -1;
};

} // namespace labelscope::ui
