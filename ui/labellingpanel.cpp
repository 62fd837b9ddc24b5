#include "labellingpanel.h"

#include "evidencepanel.h"
#include "reviewsession.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include <QChart>
#include <QChartView>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPainter>
#include <QPushButton>
#include <QToolButton>
#include <QValueAxis>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

// ---------------------------------------------------------------------------------------------

ImageView::ImageView(QWidget *parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ImageView::setImage(const QImage &image, const QString &placeholder)
{
    m_image = image;
    m_placeholder = placeholder;
    update();
}

void ImageView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), QColor(0x24, 0x24, 0x24));
    if (m_image.isNull()) {
        p.setPen(QColor(0xb0, 0xb0, 0xb0));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
        return;
    }
    const QSize box = rect().adjusted(4, 4, -4, -4).size();
    QSize target = m_image.size().scaled(box, Qt::KeepAspectRatio);
    const bool enlarge = target.width() > m_image.width();
    if (enlarge) {
        // Whole-factor nearest-neighbour enlargement keeps every source pixel square.
        const int factor = std::max(1, std::min(box.width() / m_image.width(),
                                                box.height() / m_image.height()));
        target = m_image.size() * factor;
    }
    const QRect dst(QPoint((width() - target.width()) / 2, (height() - target.height()) / 2), target);
    p.setRenderHint(QPainter::SmoothPixmapTransform, !enlarge);
    p.drawImage(dst, m_image);
}

// ---------------------------------------------------------------------------------------------

namespace {
QLabel *valueLabel(QWidget *parent)
{
    auto *l = new QLabel(parent);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    l->setWordWrap(true);
    return l;
}

QPushButton *actionButton(const QString &text, const QString &tip, QWidget *parent)
{
    auto *b = new QPushButton(text, parent);
    b->setToolTip(tip);
    b->setFocusPolicy(Qt::NoFocus); // keep keyboard focus in the gallery
    return b;
}
} // namespace

LabellingPanel::LabellingPanel(ReviewSession *session, ThumbnailLoader *loader, QWidget *parent)
    : QWidget(parent), m_session(session), m_loader(loader)
{
    m_image = new ImageView(this);
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("sampleTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setWordWrap(true);
    m_title->setTextFormat(Qt::PlainText);
    QFont tf = m_title->font();
    tf.setBold(true);
    m_title->setFont(tf);

    m_given = valueLabel(this);
    m_current = valueLabel(this);
    m_current->setObjectName(QStringLiteral("currentLabel"));
    m_predicted = valueLabel(this);
    m_noise = valueLabel(this);
    m_category = valueLabel(this);
    m_suggested = valueLabel(this);
    m_suggested->setObjectName(QStringLiteral("suggestedLabel"));
    auto *form = new QFormLayout;
    form->setContentsMargins(0, 0, 0, 0);
    form->setVerticalSpacing(2);
    form->addRow(tr("Given label:"), m_given);
    form->addRow(tr("Current label:"), m_current);
    form->addRow(tr("Suggested label:"), m_suggested);
    form->addRow(tr("Verdict:"), m_category);
    m_evidence = new EvidencePanel(m_session, m_loader, this);
    // The engineering figures, closed by default.
    auto *detailsForm = new QFormLayout;
    detailsForm->setContentsMargins(0, 0, 0, 0);
    detailsForm->setVerticalSpacing(2);
    detailsForm->addRow(tr("Final model predicts:"), m_predicted);
    detailsForm->addRow(tr("Noise score:"), m_noise);

    // σ and p(given) over the epochs.
    m_chart = new QChart;
    m_chart->setMargins(QMargins(2, 2, 2, 2));
    m_chart->setBackgroundRoundness(0);
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    QFont small = font();
    small.setPointSizeF(std::max(7.0, small.pointSizeF() * 0.85));
    m_chart->legend()->setFont(small);
    m_sigma = new QLineSeries(m_chart);
    m_sigma->setName(tr("σ: how hard to fit"));
    m_sigma->setPen(QPen(QColor(0x7b, 0x3f, 0xbf), 2));
    m_prob = new QLineSeries(m_chart);
    m_prob->setName(tr("belief in the given label"));
    m_prob->setPen(QPen(QColor(0x1f, 0x77, 0xb4), 2, Qt::DashLine));
    m_chart->addSeries(m_sigma);
    m_chart->addSeries(m_prob);
    m_axisX = new QValueAxis(m_chart);
    m_axisX->setLabelFormat(QStringLiteral("%d"));
    m_axisX->setTitleText(tr("epoch"));
    m_axisSigma = new QValueAxis(m_chart);
    m_axisSigma->setLabelFormat(QStringLiteral("%.2f"));
    m_axisProb = new QValueAxis(m_chart);
    m_axisProb->setRange(0, 1);
    m_axisProb->setTickCount(3);
    m_axisProb->setLabelFormat(QStringLiteral("%.1f"));
    for (QValueAxis *a : {m_axisX, m_axisSigma, m_axisProb}) {
        a->setLabelsFont(small);
        a->setTitleFont(small);
    }
    m_axisSigma->setLabelsColor(QColor(0x7b, 0x3f, 0xbf));
    m_axisProb->setLabelsColor(QColor(0x1f, 0x77, 0xb4));
    m_chart->addAxis(m_axisX, Qt::AlignBottom);
    m_chart->addAxis(m_axisSigma, Qt::AlignLeft);
    m_chart->addAxis(m_axisProb, Qt::AlignRight);
    m_sigma->attachAxis(m_axisX);
    m_sigma->attachAxis(m_axisSigma);
    m_prob->attachAxis(m_axisX);
    m_prob->attachAxis(m_axisProb);
    m_chartView = new QChartView(m_chart);
    m_chartView->setObjectName(QStringLiteral("trajectoryChart"));
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chartView->setMinimumHeight(170);
    m_chartView->setMaximumHeight(210);
    m_chartView->setFocusPolicy(Qt::NoFocus);

    m_selection = new QLabel(this);
    m_selection->setObjectName(QStringLiteral("selectionInfo"));
    m_selection->setStyleSheet(QStringLiteral("color: #1f5fd7; font-weight: bold;"));
    m_selection->hide();

    m_buttonGrid = new QGridLayout;
    m_buttonGrid->setSpacing(4);
    auto *classBox = new QGroupBox(tr("Label as"), this);
    classBox->setLayout(m_buttonGrid);

    m_prev = actionButton(tr("\u25C0 Previous (A)"), tr("Previous sample in gallery order (A or Left)"), this);
    m_next = actionButton(tr("Next (D) \u25B6"), tr("Next sample in gallery order (D or Right)"), this);
    m_keep = actionButton(tr("Keep label (K)"), tr("The given label is right: keep it (K or Space)"), this);
    m_exclude = actionButton(tr("Exclude (X)"), tr("Exclude the sample from the cleaned dataset (X)"), this);
    m_acceptSuggestion = actionButton(tr("Accept suggestion (W)"),
                                      tr("Relabel to the suggested label shown above (W; P does the same)"),
                                      this);
    m_acceptSuggestion->setObjectName(QStringLiteral("acceptSuggestion"));
    m_acceptSuggestion->setStyleSheet(QStringLiteral("QPushButton { color: #1f5fd7; font-weight: bold; }"));
    connect(m_acceptSuggestion, &QPushButton::clicked, this, &LabellingPanel::acceptSuggestionRequested);
    m_keep->setStyleSheet(QStringLiteral("QPushButton { color: #2e9e44; font-weight: bold; }"));
    m_exclude->setStyleSheet(QStringLiteral("QPushButton { color: #d7301f; font-weight: bold; }"));
    connect(m_prev, &QPushButton::clicked, this, &LabellingPanel::previousRequested);
    connect(m_next, &QPushButton::clicked, this, &LabellingPanel::nextRequested);
    connect(m_keep, &QPushButton::clicked, this, &LabellingPanel::acceptRequested);
    connect(m_exclude, &QPushButton::clicked, this, &LabellingPanel::excludeRequested);
    auto *decisionRow = new QHBoxLayout;
    decisionRow->addWidget(m_keep);
    decisionRow->addWidget(m_acceptSuggestion);
    decisionRow->addWidget(m_exclude);
    auto *navRow = new QHBoxLayout;
    navRow->addWidget(m_prev);
    navRow->addWidget(m_next);
    m_findSimilar = actionButton(tr("Find similar"), tr("Show the samples nearest to this one in the "
                                                        "embedding space, nearest first, in the gallery"),
                                 this);
    m_findSimilar->setObjectName(QStringLiteral("findSimilar"));
    m_findSimilar->hide();
    connect(m_findSimilar, &QPushButton::clicked, this, [this] {
        if (m_id >= 0)
            Q_EMIT findSimilarRequested(m_id);
    });
    navRow->addWidget(m_findSimilar);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_title);
    layout->addWidget(m_image, 3);
    layout->addLayout(form);
    layout->addWidget(m_evidence);
    m_detailsButton = new QToolButton(this);
    m_detailsButton->setObjectName(QStringLiteral("detailsButton"));
    m_detailsButton->setText(tr("Details: scores and training curves"));
    m_detailsButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_detailsButton->setArrowType(Qt::RightArrow);
    m_detailsButton->setCheckable(true);
    m_detailsButton->setAutoRaise(true);
    m_detailsButton->setFocusPolicy(Qt::NoFocus);
    m_details = new QWidget(this);
    m_details->setObjectName(QStringLiteral("detailsSection"));
    auto *details = new QVBoxLayout(m_details);
    details->setContentsMargins(0, 0, 0, 0);
    details->addLayout(detailsForm);
    details->addWidget(m_chartView, 0);
    m_details->hide();
    connect(m_detailsButton, &QToolButton::toggled, this, [this](bool open) {
        m_details->setVisible(open);
        m_detailsButton->setArrowType(open ? Qt::DownArrow : Qt::RightArrow);
    });
    layout->addWidget(m_detailsButton);
    layout->addWidget(m_details);
    layout->addWidget(m_selection);
    layout->addWidget(classBox);
    // The decision and navigation buttons: a bar of their own that the window keeps in view
    // below the scrolling panel (actionBar()).
    m_actionBar = new QWidget(this);
    m_actionBar->setObjectName(QStringLiteral("actionBar"));
    auto *actions = new QVBoxLayout(m_actionBar);
    actions->setContentsMargins(6, 4, 6, 4);
    actions->setSpacing(4);
    actions->addLayout(decisionRow);
    actions->addLayout(navRow);

    connect(&m_imageWatcher, &QFutureWatcher<QImage>::finished, this, [this] {
        if (m_loadingId != m_id)
            return;
        const QImage img = m_imageWatcher.result();
        if (!img.isNull())
            m_image->setImage(img);
        else
            m_image->setImage({}, tr("The image could not be read."));
    });
    connect(m_session, &ReviewSession::classesChanged, this, [this] {
        rebuildClassButtons();
        refresh();
    });
    connect(m_session, &ReviewSession::reloaded, this, [this] {
        rebuildClassButtons();
        setSample(m_session->indexOf(m_id) >= 0 ? m_id : -1);
    });
    rebuildClassButtons();
    setSample(-1);
}


void LabellingPanel::rebuildClassButtons()
{
    qDeleteAll(m_classButtons);
    m_classButtons.clear();
    m_buttonClass.clear();
    delete m_otherClass;
    m_otherClass = nullptr;
    const QStringList &classes = m_session->classes();
    const int columns = classes.size() > 12 ? 3 : 2;
    QVector<int> shown;
    if (classes.size() <= kAllButtonsUpTo) {
        for (int k = 0; k < classes.size(); ++k)
            shown.push_back(k);
    } else {
        shown = m_session->quickClasses();
    }
    for (int at = 0; at < shown.size(); ++at) {
        const int k = shown[at];
        const QString key = m_session->keyForClass(k);
        auto *b = new QPushButton(this);
        b->setObjectName(QStringLiteral("classButton%1").arg(k));
        b->setCheckable(true);
        b->setFocusPolicy(Qt::NoFocus);
        // A long class name is cut (its tool tip has it), it does not widen the panel.
        b->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
        b->setMinimumWidth(60);
        b->setToolTip(key.isEmpty() ? tr("Label as %1").arg(classes.at(k))
                                    : tr("Label as %1 (key %2)").arg(classes.at(k), key));
        b->setStyleSheet(QStringLiteral("QPushButton { text-align: left; padding: 3px 6px; }"
                                        "QPushButton:checked { background: #1f5fd7; color: white; }"));
        connect(b, &QPushButton::clicked, this, [this, k] {
            updateButtons(); // a click toggles the check state; the decision sets it again
            Q_EMIT labelChosen(k);
        });
        m_buttonGrid->addWidget(b, at / columns, at % columns);
        m_classButtons.push_back(b);
        m_buttonClass.push_back(k);
    }
    if (shown.size() < classes.size()) {
        m_otherClass = new QPushButton(tr("Other class\u2026 (L)"), this);
        m_otherClass->setObjectName(QStringLiteral("otherClass"));
        m_otherClass->setFocusPolicy(Qt::NoFocus);
        m_otherClass->setToolTip(tr("Type a class name: %L1 classes, the number keys hold ten").arg(classes.size()));
        connect(m_otherClass, &QPushButton::clicked, this, &LabellingPanel::pickClassRequested);
        m_buttonGrid->addWidget(m_otherClass, (int(shown.size()) + columns - 1) / columns, 0, 1, columns);
    }
    updateButtons();
}

void LabellingPanel::setFindSimilarAvailable(bool available) { m_findSimilar->setVisible(available); }

void LabellingPanel::setSelectionCount(int count)
{
    m_selection->setVisible(count > 1);
    m_selection->setText(tr("%1 samples selected: a class key or button relabels all of them.").arg(count));
    updateButtons();
}

void LabellingPanel::setSample(qint64 id)
{
    m_id = id;
    const int index = m_session->indexOf(id);
    if (index < 0) {
        m_id = -1;
        m_loadingId = -1;
        m_title->setText(m_session->isOpen() ? tr("No sample selected") : QString());
        m_image->setImage({}, m_session->isOpen() ? tr("Select a thumbnail") : QString());
        m_evidence->setSample(-1);
        refresh();
        return;
    }
    loadImage();
    m_evidence->setSample(id);
    refresh();
}

void LabellingPanel::loadImage()
{
    const int index = m_session->indexOf(m_id);
    const Sample sample = m_session->row(index).sample;
    // Show the cached thumbnail at once, then the full image when it is decoded.
    if (m_loader->isCached(m_id)) {
        m_image->setImage(m_loader->thumbnail(m_id, sample));
    } else {
        m_image->setImage({}, tr("Loading\u2026"));
    }
    m_loadingId = m_id;
    m_imageWatcher.setFuture(QtConcurrent::run([sample] { return ThumbnailLoader::loadImage(sample); }));
}

void LabellingPanel::refresh()
{
    const int index = m_session->indexOf(m_id);
    const QStringList &classes = m_session->classes();
    const bool have = index >= 0;
    for (QWidget *w : std::initializer_list<QWidget *>{m_keep, m_exclude, m_prev, m_next})
        w->setEnabled(have);
    m_acceptSuggestion->setEnabled(false);
    if (!have) {
        for (QLabel *l : {m_given, m_current, m_predicted, m_noise, m_category, m_suggested})
            l->clear();
        m_sigma->clear();
        m_prob->clear();
        updateButtons();
        return;
    }
    const SampleRow &r = m_session->row(index);
    // A zero-width space after each '/' lets a long path wrap instead of widening the panel.
    QString path = samplePath(r.sample);
    path.replace(QLatin1Char('/'), QStringLiteral("/\u200B"));
    m_title->setText(tr("Sample #%1 \u2014 %2").arg(r.id).arg(path));
    m_title->setToolTip(samplePath(r.sample));
    m_given->setText(className(classes, r.givenLabel));
    QString current = className(classes, r.label);
    if (r.excluded)
        current = tr("<span style='color:#d7301f'><b>excluded</b></span> (label %1)").arg(current.toHtmlEscaped());
    else if (r.label != r.givenLabel)
        current = tr("<span style='color:#1f5fd7'><b>%1</b></span> (relabelled)").arg(current.toHtmlEscaped());
    else
        current = current.toHtmlEscaped();
    m_current->setText(current);
    const SampleScore *s = m_session->score(index);
    if (s) {
        const bool agrees = s->predLabel == r.givenLabel;
        m_predicted->setText(tr("%1 (p = %2)%3")
                                 .arg(className(classes, s->predLabel))
                                 .arg(double(s->predProb), 0, 'f', 3)
                                 .arg(agrees ? QString() : tr(" \u2260 given")));
        QString noise = tr("%1   (σ = %2, mean p(given) = %3, margin = %4")
                            .arg(double(s->noiseScore), 0, 'f', 3)
                            .arg(double(s->sigma), 0, 'f', 3)
                            .arg(double(s->meanProb), 0, 'f', 3)
                            .arg(double(s->meanMargin), 0, 'f', 2);
        if (std::isfinite(s->dpScore))
            noise += tr(", Data Parameters score = %1").arg(double(s->dpScore), 0, 'f', 3);
        if (std::isfinite(s->clScore))
            noise += tr(", Confident Learning score = %1").arg(double(s->clScore), 0, 'f', 3);
        m_noise->setText(noise + QLatin1Char(')'));
        // The one suggested label (ReviewSession::suggestion()): what W accepts.
        const int suggested = m_session->suggestion(index);
        const bool outOfSample = suggested >= 0 && suggested == s->suggestedLabel;
        if (suggested >= 0) {
            const double p = outOfSample ? double(s->suggestedProb) : double(s->predProb);
            QString text = tr("<b>%1</b> \u2014 %2%")
                               .arg(className(classes, suggested).toHtmlEscaped())
                               .arg(std::lround(std::clamp(p, 0.0, 1.0) * 100.0));
            if (suggested == r.givenLabel)
                text += tr(" (the given label)");
            text += outOfSample ? tr("<br><span style='color:#666'>from a model that never saw this image</span>")
                                : tr("<br><span style='color:#666'>the model's prediction (no Confident "
                                     "Learning run)</span>");
            if (s->clIssue)
                text += tr(" <span style='color:#d7301f'>\u2014 its label is flagged</span>");
            m_suggested->setText(text);
            m_acceptSuggestion->setEnabled(true);
        } else {
            m_suggested->setText(tr("\u2014"));
        }
        const QColor c = categoryColor(s->category);
        m_category->setText(QStringLiteral("<span style='background:%1;color:white'>&nbsp;%2&nbsp;</span>")
                                .arg(c.name(), categoryLabel(s->category)));
    } else {
        m_predicted->setText(tr("\u2014 (no analysis run)"));
        m_suggested->setText(tr("\u2014"));
        m_noise->setText(tr("\u2014"));
        m_category->setText(categoryLabel(Category::Unknown));
    }
    m_evidence->refresh();
    updateTrajectory();
    updateButtons();
}

void LabellingPanel::updateTrajectory()
{
    const int index = m_session->indexOf(m_id);
    const std::optional<Trajectory> t = m_session->trajectory(index);
    QList<QPointF> sigma, prob;
    float lo = 1.f, hi = 1.f;
    if (t) {
        for (std::size_t e = 0; e < t->sigma.size(); ++e) {
            const float v = t->sigma[e];
            if (!std::isfinite(v))
                continue;
            sigma.append(QPointF(double(e + 1), double(v)));
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        for (std::size_t e = 0; e < t->probGiven.size(); ++e)
            if (std::isfinite(t->probGiven[e]))
                prob.append(QPointF(double(e + 1), double(t->probGiven[e])));
    }
    m_sigma->replace(sigma);
    m_prob->replace(prob);
    const int epochs = int(std::max(sigma.size(), prob.size()));
    m_axisX->setRange(1, std::max(2, epochs));
    // Whole epochs only: ticks every 1, 2, 5, 10, … epochs from epoch 1.
    int step = 1;
    for (int nice : {1, 2, 5, 10, 20, 50, 100, 200, 500})
        if ((std::max(2, epochs) - 1) / nice <= 6) {
            step = nice;
            break;
        }
    m_axisX->setTickType(QValueAxis::TicksDynamic);
    m_axisX->setTickAnchor(1);
    m_axisX->setTickInterval(step);
    // A round range for σ with at most five intervals.
    double sstep = 0.05;
    for (double nice : {0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0})
        if ((double(hi) - double(lo)) / nice <= 4.0) {
            sstep = nice;
            break;
        }
    const double from = std::max(0.0, std::floor(double(lo) / sstep) * sstep);
    const double to = std::max(from + sstep, std::ceil(double(hi) / sstep) * sstep);
    m_axisSigma->setRange(from, to);
    m_axisSigma->setTickCount(int(std::lround((to - from) / sstep)) + 1);
    m_chart->setTitle(t ? QString() : tr("No trajectory recorded"));
}

void LabellingPanel::updateButtons()
{
    const int index = m_session->indexOf(m_id);
    const SampleRow *r = index >= 0 ? &m_session->row(index) : nullptr;
    const int suggested = index >= 0 ? m_session->suggestion(index) : -1;
    const QStringList &classes = m_session->classes();
    for (int at = 0; at < m_classButtons.size(); ++at) {
        QPushButton *b = m_classButtons[at];
        const int k = m_buttonClass.value(at);
        QStringList marks;
        if (r && r->givenLabel == k)
            marks << tr("given");
        if (suggested >= 0 && suggested == k)
            marks << tr("suggested");
        const QString key = m_session->keyForClass(k);
        QString text = key.isEmpty() ? classes.value(k) : QStringLiteral("%1  %2").arg(key, classes.value(k));
        if (!marks.isEmpty())
            text += QStringLiteral("  (%1)").arg(marks.join(QStringLiteral(", ")));
        b->setText(text);
        b->setChecked(r && !r->excluded && r->label == k);
        b->setEnabled(r != nullptr || m_selection->isVisible());
    }
}

} // namespace labelscope::ui
