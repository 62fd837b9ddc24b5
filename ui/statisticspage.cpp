#include "statisticspage.h"

#include "agreementview.h"

#include "jobs/jobrunner.h"

#include "confusionmatrixview.h"
#include "reviewsession.h"
#include "uicommon.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QFileDialog>
#include <QFileInfo>
#include <QFont>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QStackedBarSeries>
#include <QTableWidget>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>
#include <QPointer>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

namespace {
const QString kImageStatsJob = QStringLiteral("image statistics");
}

namespace {
QChart *makeChart(const QString &title)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    chart->setProperty("baseTitle", title);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    return chart;
}

void clearChart(QChart *chart)
{
    chart->removeAllSeries();
    for (QAbstractAxis *a : chart->axes()) {
        chart->removeAxis(a);
        delete a;
    }
}

// Category axis with the class names, rotated when they would not fit side by side. Labels are
// never cut to "…" (Qt Charts does that by default when a label needs more room than a category
// has, e.g. at 1280 × 720): a whole name, rotated, reads better than half a name. Beyond 12
// classes a label at 45° is wider than its category at that size and overlaps its neighbours;
// upright, each takes one line's height (Qt Charts then hides the first and last labels when a
// category is narrower than a line; hover a bar for its class). Beyond kMaxNamedClasses no names.
constexpr int kMaxNamedClasses = 40;

QBarCategoryAxis *classAxis(const QStringList &classes)
{
    auto *axis = new QBarCategoryAxis;
    axis->append(classes);
    qsizetype longest = 0;
    for (const QString &c : classes)
        longest = std::max(longest, c.size());
    if (classes.size() > kMaxNamedClasses) {
        // Narrower than a line of text a class at any window size this page is made for.
        axis->setLabelsVisible(false); // nameClasses() says so in the chart's title
    } else if (classes.size() > 12) {
        axis->setLabelsAngle(-90);
        if (classes.size() > 20) { // a smaller font, so that more names fit without colliding
            QFont font = axis->labelsFont();
            font.setPointSizeF(font.pointSizeF() * 0.8);
            axis->setLabelsFont(font);
        }
    } else if (classes.size() > 6 || longest > 12)
        axis->setLabelsAngle(-45);
    axis->setTruncateLabels(false);
    return axis;
}

/// CHART's title, saying how to find a class when its axis names none (classAxis).
void nameClasses(QChart *chart, qsizetype classes)
{
    const QString base = chart->property("baseTitle").toString();
    chart->setTitle(classes > kMaxNamedClasses
                        ? QObject::tr("%1<br><small>%L2 classes: hover a bar for its class</small>").arg(base.toHtmlEscaped()).arg(classes)
                        : base);
}

/// The hovered bar's class, set and value as a tool tip: with many classes the axis cannot name
/// every bar (see classAxis).
void showBarToolTips(QAbstractBarSeries *series, const QStringList &classes)
{
    QObject::connect(series, &QAbstractBarSeries::hovered, series, [classes](bool on, int index, QBarSet *set) {
        if (!on || !set || index < 0 || index >= classes.size() || index >= set->count()) {
            QToolTip::hideText();
            return;
        }
        const double value = set->at(index);
        const QString number = value == std::round(value) ? QLocale().toString(qint64(value))
                                                          : QLocale().toString(value, 'f', 1);
        QToolTip::showText(QCursor::pos(), QStringLiteral("%1\n%2: %3").arg(classes.at(index), set->label(), number));
    });
}

QValueAxis *countAxis(double max, const QString &title)
{
    auto *axis = new QValueAxis;
    axis->setTruncateLabels(false);
    axis->setRange(0, std::max(1.0, max * 1.05));
    axis->applyNiceNumbers();
    axis->setLabelFormat(QStringLiteral("%.0f"));
    axis->setTitleText(title);
    return axis;
}
} // namespace

StatisticsPage::StatisticsPage(ReviewSession *session, QWidget *parent) : QWidget(parent), m_session(session)
{
    setObjectName(QStringLiteral("statisticsPage"));

    m_classChart = makeChart(tr("Samples per class: given vs current label"));
    m_categoryChart = makeChart(tr("Categories per class (by given label, latest run)"));
    m_imageChart = makeChart(tr("Image statistics per class (current label)"));
    m_classView = new QChartView(m_classChart);
    m_categoryView = new QChartView(m_categoryChart);
    m_imageView = new QChartView(m_imageChart);
    for (QChartView *v : {m_classView, m_categoryView, m_imageView}) {
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumHeight(300);
    }
    m_confusion = new ConfusionMatrixView;

    m_imageTable = new QTableWidget;
    m_imageTable->setObjectName(QStringLiteral("imageStatsTable"));
    m_imageTable->setColumnCount(6);
    m_imageTable->setHorizontalHeaderLabels({tr("Class"), tr("Images measured"), tr("Mean size"),
                                             tr("Brightness"), tr("Contrast"), tr("Colour")});
    m_imageTable->verticalHeader()->hide();
    m_imageTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_imageTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_imageTable->setMinimumHeight(160);
    m_imageStatus = new QLabel;
    m_imageStatus->setObjectName(QStringLiteral("imageStatsStatus"));
    m_imageBox = new QWidget;
    auto *imageLayout = new QVBoxLayout(m_imageBox);
    imageLayout->setContentsMargins(0, 0, 0, 0);
    imageLayout->addWidget(m_imageView, 1);
    imageLayout->addWidget(m_imageTable);
    imageLayout->addWidget(m_imageStatus);

    auto box = [this](const QString &title, QWidget *content, Chart which) {
        auto *group = new QGroupBox(title);
        auto *export_ = new QPushButton(tr("Export PNG\u2026"));
        export_->setObjectName(QStringLiteral("exportChart%1").arg(int(which)));
        connect(export_, &QPushButton::clicked, this, [this, which] { exportDialog(which); });
        auto *l = new QVBoxLayout(group);
        l->addWidget(content, 1);
        l->addWidget(export_, 0, Qt::AlignRight);
        return group;
    };
    auto *grid = new QGridLayout;
    grid->addWidget(box(tr("Classes"), m_classView, Chart::Classes), 0, 0);
    grid->addWidget(box(tr("Categories"), m_categoryView, Chart::Categories), 0, 1);
    grid->addWidget(box(tr("Images"), m_imageBox, Chart::ImageStats), 1, 0);
    grid->addWidget(box(tr("Given label vs prediction"), m_confusion, Chart::Confusion), 1, 1);
    m_agreement = new AgreementView(m_session);
    auto *agreementBox = new QGroupBox(tr("Annotators: agreement and conflicts"));
    agreementBox->setObjectName(QStringLiteral("agreementBox"));
    (new QVBoxLayout(agreementBox))->addWidget(m_agreement);
    grid->addWidget(agreementBox, 2, 0, 1, 2);
    grid->setColumnStretch(0, 1);
    grid->setColumnStretch(1, 1);
    auto *content = new QWidget;
    content->setLayout(grid);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);

    // Decisions come in bursts (bulk relabel, undo): count once after them.
    m_countTimer = new QTimer(this);
    m_countTimer->setSingleShot(true);
    m_countTimer->setInterval(150);
    connect(m_countTimer, &QTimer::timeout, this, [this] {
        updateCounts();
        m_stale = true; // image statistics are per current label
        if (isVisible())
            startImageStats();
    });
    connect(m_session, &ReviewSession::reloaded, this, &StatisticsPage::refresh);
    connect(m_session, &ReviewSession::samplesChanged, this, [this] { m_countTimer->start(); });
    // A class added, renamed or merged: the axes name the classes.
    connect(m_session, &ReviewSession::classesChanged, this, [this] { m_countTimer->start(); });
    updateCounts();
}

StatisticsPage::~StatisticsPage()
{
    if (m_running)
        jobRunnerFor(this)->cancel(kImageStatsJob);
}

QWidget *StatisticsPage::chartWidget(Chart which) const
{
    switch (which) {
    case Chart::Classes: return m_classView;
    case Chart::Categories: return m_categoryView;
    case Chart::ImageStats: return m_imageBox;
    case Chart::Confusion: return m_confusion;
    }
    return nullptr;
}

void StatisticsPage::refresh()
{
    updateCounts();
    m_stale = true;
    if (isVisible())
        startImageStats();
}

void StatisticsPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_agreementFresh) {
        m_agreement->refresh();
        m_agreementFresh = true;
    }
    if (m_stale)
        startImageStats();
}

bool StatisticsPage::isComputingImageStats() const { return m_running; }

void StatisticsPage::updateCounts()
{
    // The agreement reads the whole log: only while the page is seen (showEvent catches up).
    if (isVisible()) {
        m_agreement->refresh();
        m_agreementFresh = true;
    } else {
        m_agreementFresh = false;
    }
    const QStringList &classes = m_session->classes();
    const int k = int(classes.size());
    std::vector<qint64> given(std::size_t(k), 0), current(std::size_t(k), 0);
    std::vector<qint64> cats(std::size_t(k) * 4, 0); // easy, hard, need review, unknown
    std::vector<qint64> confusion(std::size_t(k) * std::size_t(k), 0);
    const int n = m_session->isOpen() ? m_session->count() : 0;
    for (int i = 0; i < n; ++i) {
        const SampleRow &r = m_session->row(i);
        if (r.givenLabel >= 0 && r.givenLabel < k)
            ++given[std::size_t(r.givenLabel)];
        if (r.label >= 0 && r.label < k && !r.excluded)
            ++current[std::size_t(r.label)];
        const SampleScore *s = m_session->score(i);
        if (r.givenLabel >= 0 && r.givenLabel < k && (s || !ReviewSession::isTestSample(r))) {
            const Category c = m_session->category(i);
            const int slot = c == Category::Easy ? 0 : c == Category::Hard ? 1 : c == Category::NeedReview ? 2 : 3;
            ++cats[std::size_t(r.givenLabel) * 4 + slot];
        }
        if (s && s->predLabel >= 0 && s->predLabel < k && r.givenLabel >= 0 && r.givenLabel < k)
            ++confusion[std::size_t(r.givenLabel) * k + s->predLabel];
    }

    clearChart(m_classChart);
    auto *givenSet = new QBarSet(tr("Given label"));
    auto *currentSet = new QBarSet(tr("Current label (excluded not counted)"));
    givenSet->setColor(QColor(0x9e, 0xb9, 0xd4));
    currentSet->setColor(QColor(0x1f, 0x5f, 0xd7));
    qint64 maxCount = 0;
    for (int c = 0; c < k; ++c) {
        *givenSet << double(given[std::size_t(c)]);
        *currentSet << double(current[std::size_t(c)]);
        maxCount = std::max({maxCount, given[std::size_t(c)], current[std::size_t(c)]});
    }
    auto *classSeries = new QBarSeries;
    classSeries->append(givenSet);
    classSeries->append(currentSet);
    m_classChart->addSeries(classSeries);
    showBarToolTips(classSeries, classes);
    nameClasses(m_classChart, classes.size());
    QBarCategoryAxis *x1 = classAxis(classes);
    QValueAxis *y1 = countAxis(double(maxCount), tr("samples"));
    m_classChart->addAxis(x1, Qt::AlignBottom);
    m_classChart->addAxis(y1, Qt::AlignLeft);
    classSeries->attachAxis(x1);
    classSeries->attachAxis(y1);

    clearChart(m_categoryChart);
    auto *stacked = new QStackedBarSeries;
    const Category order[4] = {Category::Easy, Category::Hard, Category::NeedReview, Category::Unknown};
    qint64 maxStack = 0;
    for (int c = 0; c < k; ++c)
        maxStack = std::max(maxStack, cats[std::size_t(c) * 4] + cats[std::size_t(c) * 4 + 1]
                                          + cats[std::size_t(c) * 4 + 2] + cats[std::size_t(c) * 4 + 3]);
    for (int slot = 0; slot < 4; ++slot) {
        auto *set = new QBarSet(categoryLabel(order[slot]));
        set->setColor(categoryColor(order[slot]));
        for (int c = 0; c < k; ++c)
            *set << double(cats[std::size_t(c) * 4 + slot]);
        stacked->append(set);
    }
    m_categoryChart->addSeries(stacked);
    showBarToolTips(stacked, classes);
    nameClasses(m_categoryChart, classes.size());
    QBarCategoryAxis *x2 = classAxis(classes);
    QValueAxis *y2 = countAxis(double(maxStack), tr("samples"));
    m_categoryChart->addAxis(x2, Qt::AlignBottom);
    m_categoryChart->addAxis(y2, Qt::AlignLeft);
    stacked->attachAxis(x2);
    stacked->attachAxis(y2);

    m_confusion->setMatrix(m_session->runId() > 0 ? classes : QStringList(),
                           m_session->runId() > 0 ? confusion : std::vector<qint64>());
}

void StatisticsPage::startImageStats()
{
    if (!m_session->isOpen())
        return;
    JobRunner *jobs = jobRunnerFor(this);
    if (m_running) {
        m_restart = true;
        jobs->cancel(kImageStatsJob);
        return;
    }
    m_stale = false;
    m_restart = false;
    const int k = int(m_session->classes().size());
    std::vector<int> labels;
    labels.reserve(std::size_t(m_session->count()));
    for (int i = 0; i < m_session->count(); ++i) {
        const SampleRow &r = m_session->row(i);
        labels.push_back(r.excluded ? -1 : r.label);
    }
    const std::vector<int> picked = sampleForImageStats(labels, k, kImagesPerClass);
    std::vector<Sample> samples;
    std::vector<int> pickedLabels;
    samples.reserve(picked.size());
    for (int i : picked) {
        samples.push_back(m_session->row(i).sample);
        pickedLabels.push_back(labels[std::size_t(i)]);
    }
    m_running = true;
    connect(jobs, &JobRunner::progress, this, [this](const JobProgress &p) {
        if (p.job == kImageStatsJob && m_running)
            m_imageStatus->setText(tr("Measuring images\u2026 %1").arg(p.detail));
    }, Qt::UniqueConnection);
    QPointer<StatisticsPage> self(this);
    jobs->start<ImageStatsResult>(
        kImageStatsJob,
        [samples = std::move(samples), pickedLabels = std::move(pickedLabels), k](JobContext &context) {
            return computeImageStats(samples, pickedLabels, k, context);
        },
        [self](Result<ImageStatsResult> result) {
            if (self)
                self->onImageStatsFinished(std::move(result));
        });
    m_imageStatus->setText(tr("Measuring images\u2026"));
}

void StatisticsPage::cancelImageStats() { jobRunnerFor(this)->cancel(kImageStatsJob); }

void StatisticsPage::onImageStatsFinished(Result<ImageStatsResult> result)
{
    m_running = false;
    if (m_restart) {
        startImageStats();
        return;
    }
    if (result.isCancelled()) {
        m_imageStatus->setText(tr("Image statistics cancelled."));
        m_stale = true;
        return;
    }
    if (!result) {
        m_imageStatus->setText(tr("Image statistics failed: %1").arg(result.error()));
        m_stale = true;
        return;
    }
    m_imageStats = std::move(result).value();
    showImageStats();
    Q_EMIT imageStatsReady();
}

void StatisticsPage::showImageStats()
{
    const QStringList &classes = m_session->classes();
    const int k = int(std::min<qsizetype>(classes.size(), qsizetype(m_imageStats.perClass.size())));
    clearChart(m_imageChart);
    auto *bright = new QBarSet(tr("Mean brightness"));
    auto *contrast = new QBarSet(tr("Mean contrast (std of grey)"));
    bright->setColor(QColor(0xf0, 0xb4, 0x29));
    contrast->setColor(QColor(0x55, 0x55, 0x55));
    m_imageTable->setRowCount(k);
    qint64 measured = 0, failed = 0;
    for (int c = 0; c < k; ++c) {
        const ClassImageStats &s = m_imageStats.perClass[std::size_t(c)];
        *bright << s.meanBrightness;
        *contrast << s.meanContrast;
        measured += s.images;
        failed += s.failed;
        const QStringList cells = {classes.at(c), QString::number(s.images),
                                   s.images ? QStringLiteral("%1 \u00d7 %2").arg(s.meanWidth, 0, 'f', 1).arg(s.meanHeight, 0, 'f', 1)
                                            : QString(),
                                   s.images ? QString::number(s.meanBrightness, 'f', 1) : QString(),
                                   s.images ? QString::number(s.meanContrast, 'f', 1) : QString(),
                                   s.images ? QStringLiteral("%1%").arg(s.colourShare * 100.0, 0, 'f', 0) : QString()};
        for (int col = 0; col < cells.size(); ++col)
            m_imageTable->setItem(c, col, new QTableWidgetItem(cells.at(col)));
    }
    auto *series = new QBarSeries;
    series->append(bright);
    series->append(contrast);
    m_imageChart->addSeries(series);
    showBarToolTips(series, classes.mid(0, k));
    nameClasses(m_imageChart, k);
    QBarCategoryAxis *x = classAxis(classes.mid(0, k));
    auto *y = new QValueAxis;
    y->setTruncateLabels(false);
    y->setRange(0, 255);
    y->setTitleText(tr("grey level (0\u2013255)"));
    y->setLabelFormat(QStringLiteral("%.0f"));
    m_imageChart->addAxis(x, Qt::AlignBottom);
    m_imageChart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    QString status = tr("Measured %L1 images (at most %2 per class).").arg(measured).arg(kImagesPerClass);
    if (failed > 0)
        status += tr(" %L1 could not be read: %2").arg(failed).arg(m_imageStats.firstError);
    m_imageStatus->setText(status);
}

bool StatisticsPage::exportChart(Chart which, const QString &file, QString *error)
{
    QWidget *w = chartWidget(which);
    if (!w)
        return false;
    if (w->size().isEmpty() || !w->isVisible())
        w->resize(w->sizeHint().expandedTo(QSize(640, 420)));
    const QPixmap pixmap = w->grab();
    if (pixmap.isNull() || !pixmap.save(file, "PNG")) {
        if (error)
            *error = tr("Cannot write %1").arg(file);
        return false;
    }
    return true;
}

void StatisticsPage::exportDialog(Chart which)
{
    static const char *const names[] = {"classes", "categories", "image-statistics", "confusion"};
    const QFileInfo project(m_session->fileName());
    const QString suggested = project.absoluteDir().filePath(
        QStringLiteral("%1-%2.png").arg(project.completeBaseName(), QLatin1String(names[int(which)])));
    const QString file = QFileDialog::getSaveFileName(this, tr("Export chart"), suggested, tr("PNG images (*.png)"));
    if (file.isEmpty())
        return;
    QString error;
    if (!exportChart(which, file, &error))
        QMessageBox::warning(this, tr("Export chart"), error);
}

} // namespace labelscope::ui
