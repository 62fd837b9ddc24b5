#include "reportpage.h"

#include "reviewsession.h"

#include "base/savefile.h"

#include <QBarCategoryAxis>
#include <QBuffer>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QMessageBox>
#include <QPushButton>
#include <QShowEvent>
#include <QScatterSeries>
#include <QScrollArea>
#include <QTableWidget>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

namespace {
const char *const kMetaKey = "clean_eval";

QColor variantColor(int i)
{
    static const QColor colors[] = {QColor(0xd7, 0x30, 0x1f), QColor(0xe6, 0x9f, 0x00), QColor(0x1f, 0x5f, 0xd7),
                                    QColor(0x2e, 0x9e, 0x44), QColor(0x55, 0x55, 0x55), QColor(0x7b, 0x3f, 0xbf),
                                    QColor(0x8c, 0x56, 0x4b), QColor(0x17, 0xbe, 0xcf)};
    return colors[std::size_t(i) % (sizeof(colors) / sizeof(colors[0]))];
}

QString percent(double v) { return QString::number(v * 100.0, 'f', 2); }
} // namespace

// ---------------------------------------------------------------------------------------------

ReportPage::ReportPage(ReviewSession *session, QWidget *parent) : QWidget(parent), m_session(session)
{
    setObjectName(QStringLiteral("reportPage"));
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("reportTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont tf = m_title->font();
    tf.setBold(true);
    m_title->setFont(tf);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("reportMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_open = new QPushButton(tr("Open JSON\u2026"), this);
    m_open->setToolTip(tr("Show a report written by `labelscope clean-eval --json --out FILE`"));
    m_exportPng = new QPushButton(tr("Export PNG\u2026"), this);
    m_exportCsv = new QPushButton(tr("Export CSV\u2026"), this);
    m_rateCombo = new QComboBox(this);
    m_rateCombo->setObjectName(QStringLiteral("reportRate"));
    m_rateCombo->setToolTip(tr("Noise rate shown in the bar chart"));
    for (QWidget *w : std::initializer_list<QWidget *>{m_open, m_exportPng, m_exportCsv, m_rateCombo})
        w->setFocusPolicy(Qt::NoFocus); // keep the review keys with the gallery
    connect(m_open, &QPushButton::clicked, this, &ReportPage::openJsonDialog);
    connect(m_exportPng, &QPushButton::clicked, this, &ReportPage::exportPngDialog);
    connect(m_exportCsv, &QPushButton::clicked, this, &ReportPage::exportCsvDialog);
    connect(m_rateCombo, &QComboBox::currentIndexChanged, this, [this](int) { fillBarChart(); });

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_title, 1);
    bar->addWidget(new QLabel(tr("Bars at noise rate:"), this));
    bar->addWidget(m_rateCombo);
    bar->addWidget(m_open);
    bar->addWidget(m_exportPng);
    bar->addWidget(m_exportCsv);

    m_content = new QWidget(this);
    m_content->setObjectName(QStringLiteral("reportContent"));
    m_content->setAutoFillBackground(true);
    m_barChart = new QChart;
    m_barChart->setBackgroundRoundness(0);
    m_barChart->legend()->setVisible(false);
    m_barView = new QChartView(m_barChart, m_content);
    m_lineChart = new QChart;
    m_lineChart->setBackgroundRoundness(0);
    m_lineChart->legend()->setAlignment(Qt::AlignBottom);
    m_lineView = new QChartView(m_lineChart, m_content);
    for (QChartView *v : {m_barView, m_lineView}) {
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumSize(360, 300);
        v->setFocusPolicy(Qt::NoFocus);
    }
    m_table = new QTableWidget(m_content);
    m_table->setObjectName(QStringLiteral("reportTable"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->setVisible(false);
    m_table->setFocusPolicy(Qt::NoFocus);
    m_table->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    auto *charts = new QHBoxLayout;
    charts->addWidget(m_barView, 1);
    charts->addWidget(m_lineView, 1);
    auto *cl = new QVBoxLayout(m_content);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->addLayout(charts, 3);
    cl->addWidget(m_table, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    createRunSummary(layout);
    layout->addLayout(bar);
    createRunControls(bar, layout);
    layout->addWidget(m_message);
    layout->addWidget(m_content, 1);
    layout->addStretch(0); // keeps the message at the top while there are no charts
    m_message->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    m_message->setAlignment(Qt::AlignLeft | Qt::AlignTop);

    connect(m_session, &ReviewSession::reloaded, this, [this] {
        updateRunSummary();
        updateRunnable(); // first: the "no results" message mentions the button when it can run
        // A report opened from a file stays until another project is shown.
        if (m_source.isEmpty() || m_source == QLatin1String(kMetaKey) || !m_session->isOpen())
            loadFromProject();
    });
    updateRunnable();
    loadFromProject();
}

QString ReportPage::message() const { return m_message->isHidden() ? QString() : m_message->text(); }

void ReportPage::showMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #d7301f;") : QString());
    m_message->setVisible(!text.isEmpty());
}

bool ReportPage::loadFromProject()
{
    const QString howTo = tr("Make one with:\n"
                             "    labelscope clean-eval --data fashion-mnist --sweep --seeds 3 --project %1\n"
                             "(noise rates 0\u201340 %; it stores the results in the project), or open a JSON "
                             "file written by `labelscope clean-eval ... --out FILE`.")
                              .arg(m_session->isOpen() ? m_session->fileName() : tr("FILE"));
    m_report = {};
    m_source.clear();
    m_json.clear();
    showReport();
    const QString json = m_session->isOpen() ? m_session->store()->meta(QLatin1String(kMetaKey)) : QString();
    m_metaText = json;
    if (json.trimmed().isEmpty()) {
        showMessage(tr("No clean-eval results in this project. ")
                        + (m_run->isEnabled() ? tr("\u201cRun clean-eval\u2026\u201d above runs a quick one here. ") : QString())
                        + howTo,
                    false);
        return false;
    }
    QString error;
    if (!loadJson(json.toUtf8(), tr("project meta \u201c%1\u201d").arg(QLatin1String(kMetaKey)), &error)) {
        showMessage(error + QStringLiteral("\n") + howTo, true);
        return false;
    }
    m_source = QLatin1String(kMetaKey);
    return true;
}

void ReportPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_session->isOpen() || !(m_source.isEmpty() || m_source == QLatin1String(kMetaKey)))
        return;
    if (m_session->store()->meta(QLatin1String(kMetaKey)) != m_metaText)
        loadFromProject();
}

bool ReportPage::loadFile(const QString &file, QString *error)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        const QString msg = tr("%1: cannot read (%2)").arg(file, f.errorString());
        showMessage(msg, true);
        if (error)
            *error = msg;
        return false;
    }
    return loadJson(f.readAll(), file, error);
}

bool ReportPage::loadJson(const QByteArray &json, const QString &source, QString *error)
{
    CleanEvalReport report;
    QString err;
    if (!CleanEvalReport::parse(json, source, &report, &err)) {
        // Keep what was shown before; say why the new one is refused.
        showMessage(err, true);
        if (error)
            *error = err;
        return false;
    }
    m_report = std::move(report);
    m_source = source;
    m_json = json;
    showMessage(m_report.skippedNote(), false);
    showReport();
    return true;
}

void ReportPage::setBarRate(int index)
{
    if (index >= 0 && index < m_rateCombo->count())
        m_rateCombo->setCurrentIndex(index);
}

void ReportPage::showReport()
{
    const bool have = !m_report.isEmpty();
    m_content->setVisible(have);
    m_exportPng->setEnabled(have);
    m_exportCsv->setEnabled(have);
    m_saveJson->setEnabled(have);
    m_rateCombo->setEnabled(have);
    // Disabled buttons say why.
    const QString none = tr("No report is shown: run clean-eval or open a JSON file first.");
    m_exportPng->setToolTip(have ? tr("Write the charts and the table as a PNG image") : none);
    m_exportCsv->setToolTip(have ? tr("Write the figures as CSV (one row per noise rate and variant)") : none);
    m_saveJson->setToolTip(have ? tr("Write the shown report as the JSON document `labelscope clean-eval --out` writes")
                                : none);
    if (have) {
        QString title = tr("Clean evaluation: %1").arg(m_report.data.isEmpty() ? tr("(dataset not named)") : m_report.data);
        if (!m_report.noiseKind.isEmpty())
            title += tr(", %1 noise").arg(m_report.noiseKind);
        if (m_report.seeds > 0)
            title += tr(", %n seed(s)", nullptr, m_report.seeds);
        if (m_report.limit > 0)
            title += tr(", at most %L1 samples per split").arg(m_report.limit);
        if (!m_report.method.isEmpty())
            title += tr(", flagged by method \u201c%1\u201d").arg(m_report.method);
        m_title->setText(title);
        m_title->setToolTip(tr("From %1").arg(m_source));
    } else {
        m_title->setText(tr("Clean evaluation"));
        m_title->setToolTip(QString());
    }
    {
        const QSignalBlocker block(m_rateCombo);
        m_rateCombo->clear();
        for (const CleanEvalRate &r : m_report.rates)
            m_rateCombo->addItem(QStringLiteral("%1 %").arg(r.rate * 100.0, 0, 'g', 3));
        // Default: the first rate with noise (0 % shows little), else the first.
        int pick = 0;
        for (int i = 0; i < int(m_report.rates.size()); ++i)
            if (m_report.rates[std::size_t(i)].rate > 0) {
                pick = i;
                break;
            }
        if (have)
            m_rateCombo->setCurrentIndex(pick);
    }
    fillBarChart();
    fillLineChart();
    fillTable();
}

void ReportPage::fillBarChart()
{
    m_barChart->removeAllSeries();
    for (QAbstractAxis *a : m_barChart->axes())
        m_barChart->removeAxis(a);
    const int ri = m_rateCombo->currentIndex();
    if (ri < 0 || ri >= int(m_report.rates.size()))
        return;
    const CleanEvalRate &rate = m_report.rates[std::size_t(ri)];
    const QStringList names = m_report.variantNames();
    bool anyRuns = false;
    for (const auto &v : rate.variants)
        anyRuns = anyRuns || !v.second.runs.empty();
    m_barChart->setTitle(tr("Clean test accuracy at %1 % noise (bars: mean; whiskers: %2)")
                             .arg(rate.rate * 100.0, 0, 'g', 3)
                             .arg(anyRuns ? tr("lowest to highest seed") : tr("\u00b1 1 std")));
    auto *series = new QBarSeries;
    auto *set = new QBarSet(tr("accuracy"));
    QStringList categories;
    double lo = 100.0, hi = 0.0;
    for (int i = 0; i < names.size(); ++i) {
        const auto it = rate.variants.find(names.at(i));
        const double mean = it == rate.variants.end() ? 0.0 : it->second.mean * 100.0;
        set->append(mean);
        categories << CleanEvalReport::variantTitle(names.at(i));
        if (it != rate.variants.end()) {
            lo = std::min(lo, it->second.low() * 100.0);
            hi = std::max(hi, it->second.high() * 100.0);
        }
    }
    set->setColor(QColor(0x1f, 0x77, 0xb4).lighter(130));
    set->setBorderColor(QColor(0x1f, 0x77, 0xb4));
    series->append(set);
    // No value labels on the bars: they collide with the whiskers, and the table below has the
    // figures.
    m_barChart->addSeries(series);
    auto *axisX = new QBarCategoryAxis;
    axisX->append(categories);
    auto *axisY = new QValueAxis;
    axisY->setTitleText(tr("accuracy (%)"));
    axisY->setLabelFormat(QStringLiteral("%.0f"));
    // The bars differ by a few points: start the axis below the lowest whisker (not at 0), on a
    // multiple of 5, and say so in the axis title.
    const double from = std::max(0.0, std::floor((lo - 2.0) / 5.0) * 5.0);
    const double to = std::min(100.0, std::max(from + 5.0, std::ceil((hi + 1.0) / 5.0) * 5.0));
    axisY->setRange(from, to);
    axisY->setTickCount(int(std::lround((to - from) / 5.0)) + 1);
    if (from > 0)
        axisY->setTitleText(tr("accuracy (%, axis from %1)").arg(from));
    m_barChart->addAxis(axisX, Qt::AlignBottom);
    m_barChart->addAxis(axisY, Qt::AlignLeft);
    series->attachAxis(axisX);
    series->attachAxis(axisY);
    // Whiskers: a line series per variant on the category axis (category i sits at x = i).
    for (int i = 0; i < names.size(); ++i) {
        const auto it = rate.variants.find(names.at(i));
        if (it == rate.variants.end())
            continue;
        const double l = it->second.low() * 100.0, h = it->second.high() * 100.0;
        auto *w = new QLineSeries;
        w->setPen(QPen(QColor(0x20, 0x20, 0x20), 1.5));
        const double x = i, cap = 0.12;
        w->append({QPointF(x - cap, l), QPointF(x + cap, l), QPointF(x, l), QPointF(x, h), QPointF(x - cap, h),
                   QPointF(x + cap, h)});
        m_barChart->addSeries(w);
        w->attachAxis(axisX);
        w->attachAxis(axisY);
    }
}

void ReportPage::fillLineChart()
{
    m_lineChart->removeAllSeries();
    for (QAbstractAxis *a : m_lineChart->axes())
        m_lineChart->removeAxis(a);
    if (m_report.isEmpty())
        return;
    m_lineChart->setTitle(tr("Clean test accuracy vs noise rate (mean over seeds)"));
    auto *axisX = new QValueAxis;
    axisX->setTitleText(tr("injected noise rate (%)"));
    axisX->setLabelFormat(QStringLiteral("%.0f"));
    auto *axisY = new QValueAxis;
    axisY->setTitleText(tr("accuracy (%)"));
    axisY->setLabelFormat(QStringLiteral("%.0f"));
    m_lineChart->addAxis(axisX, Qt::AlignBottom);
    m_lineChart->addAxis(axisY, Qt::AlignLeft);
    double xmax = 0.0, lo = 100.0, hi = 0.0;
    const QStringList names = m_report.variantNames();
    for (int i = 0; i < names.size(); ++i) {
        auto *s = new QLineSeries;
        s->setName(CleanEvalReport::variantTitle(names.at(i)));
        s->setPointsVisible(true);
        QPen pen(variantColor(i), 2);
        if (names.at(i) == QLatin1String("true_labels"))
            pen.setStyle(Qt::DashLine); // the ceiling
        s->setPen(pen);
        for (const CleanEvalRate &r : m_report.rates) {
            const auto it = r.variants.find(names.at(i));
            if (it == r.variants.end())
                continue;
            s->append(r.rate * 100.0, it->second.mean * 100.0);
            xmax = std::max(xmax, r.rate * 100.0);
            lo = std::min(lo, it->second.mean * 100.0);
            hi = std::max(hi, it->second.mean * 100.0);
        }
        m_lineChart->addSeries(s);
        s->attachAxis(axisX);
        s->attachAxis(axisY);
    }
    const double xTo = std::max(10.0, std::ceil(xmax / 10.0) * 10.0);
    axisX->setRange(0.0, xTo);
    axisX->setTickCount(int(std::lround(xTo / 10.0)) + 1);
    const double from = std::max(0.0, std::floor((lo - 2.0) / 5.0) * 5.0);
    const double to = std::min(100.0, std::max(from + 5.0, std::ceil((hi + 1.0) / 5.0) * 5.0));
    axisY->setRange(from, to);
    axisY->setTickCount(int(std::lround((to - from) / 5.0)) + 1);
}

void ReportPage::fillTable()
{
    const QStringList names = m_report.variantNames();
    m_table->clear();
    m_table->setRowCount(int(m_report.rates.size()));
    bool precision = false;
    for (const CleanEvalRate &r : m_report.rates)
        precision = precision || r.flagPrecision >= 0;
    const int first = precision ? 3 : 2; // first variant column
    m_table->setColumnCount(first + int(names.size()));
    QStringList headers{tr("Noise rate"), tr("Flagged")};
    if (precision)
        headers << tr("Flag precision");
    for (const QString &n : names)
        headers << tr("%1 (%)").arg(CleanEvalReport::variantTitle(n));
    m_table->setHorizontalHeaderLabels(headers);
    auto item = [](const QString &text) {
        auto *it = new QTableWidgetItem(text);
        it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        return it;
    };
    for (int r = 0; r < int(m_report.rates.size()); ++r) {
        const CleanEvalRate &rate = m_report.rates[std::size_t(r)];
        m_table->setItem(r, 0, item(QStringLiteral("%1 %").arg(rate.rate * 100.0, 0, 'g', 3)));
        m_table->setItem(r, 1, item(rate.flagged >= 0 ? QLocale().toString(rate.flagged) : QStringLiteral("\u2014")));
        if (precision)
            m_table->setItem(r, 2, item(rate.flagPrecision >= 0 ? QString::number(rate.flagPrecision, 'f', 3)
                                                                : QStringLiteral("\u2014")));
        for (int c = 0; c < names.size(); ++c) {
            const auto it = rate.variants.find(names.at(c));
            QTableWidgetItem *cell;
            if (it == rate.variants.end()) {
                cell = item(QStringLiteral("\u2014"));
            } else {
                cell = item(QStringLiteral("%1 \u00b1 %2").arg(percent(it->second.mean), percent(it->second.std)));
                QStringList runs;
                for (double v : it->second.runs)
                    runs << percent(v);
                if (!runs.isEmpty())
                    cell->setToolTip(tr("Seeds: %1").arg(runs.join(QStringLiteral(", "))));
            }
            m_table->setItem(r, first + c, cell);
        }
    }
    const QStringList tips{tr("Injected label noise rate"), tr("Samples the analysis flagged (mean over seeds)"),
                           tr("Share of the flagged samples whose label was wrong")};
    for (int c = 0; c < m_table->columnCount(); ++c) {
        QTableWidgetItem *h = m_table->horizontalHeaderItem(c);
        if (c < first)
            h->setToolTip(tips.value(c));
        else
            h->setToolTip(CleanEvalReport::variantDescription(names.at(c - first)));
    }
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setStretchLastSection(false);
    // As tall as its rows: the charts get the rest.
    int h = m_table->horizontalHeader()->height() + 2 * m_table->frameWidth() + 4;
    for (int r = 0; r < m_table->rowCount(); ++r)
        h += m_table->rowHeight(r);
    m_table->setMaximumHeight(h);
}

bool ReportPage::exportPng(const QString &file, QString *error)
{
    if (m_report.isEmpty()) {
        if (error)
            *error = tr("There is no report to export.");
        return false;
    }
    // Render at the page's size, or at a sensible size when the page has not been shown.
    if (!m_content->isVisible() && m_content->size().width() < 600)
        m_content->resize(1100, 760);
    const QPixmap pix = m_content->grab();
    QByteArray png;
    QBuffer buffer(&png);
    if (pix.isNull() || !buffer.open(QIODevice::WriteOnly) || !pix.save(&buffer, "PNG")) {
        if (error)
            *error = tr("%1: cannot encode the PNG image").arg(file);
        return false;
    }
    // Checked: a full disk or a failed rename is reported, the old file kept.
    if (Result<> written = writeFileAtomically(file, png); !written) {
        if (error)
            *error = written.error();
        return false;
    }
    return true;
}

bool ReportPage::exportCsv(const QString &file, QString *error) const
{
    if (m_report.isEmpty()) {
        if (error)
            *error = tr("There is no report to export.");
        return false;
    }
    auto csv = [](const QString &s) {
        if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')))
            return s;
        QString q = s;
        q.replace(QLatin1String("\""), QLatin1String("\"\""));
        return QStringLiteral("\"%1\"").arg(q);
    };
    auto num = [](double v) { return QString::number(v, 'g', 10); };
    QString text = QStringLiteral("data,noise_kind,rate,flagged,flag_precision,variant,mean,std,min,max,runs\n");
    const QStringList names = m_report.variantNames();
    const QLatin1Char comma(',');
    for (const CleanEvalRate &r : m_report.rates) {
        for (const QString &n : names) {
            const auto it = r.variants.find(n);
            if (it == r.variants.end())
                continue;
            const CleanEvalVariant &v = it->second;
            QStringList runs;
            for (double a : v.runs)
                runs << num(a);
            text += csv(m_report.data) + comma + csv(m_report.noiseKind) + comma + num(r.rate) + comma
                + (r.flagged >= 0 ? QString::number(r.flagged) : QString()) + comma
                + (r.flagPrecision >= 0 ? num(r.flagPrecision) : QString()) + comma + csv(n) + comma + num(v.mean)
                + comma + num(v.std) + comma + (v.runs.empty() ? QString() : num(v.low())) + comma
                + (v.runs.empty() ? QString() : num(v.high())) + comma + runs.join(QLatin1Char(';'))
                + QLatin1Char('\n');
        }
    }
    // Checked: a full disk or a failed rename is reported, the old file kept.
    if (Result<> written = writeFileAtomically(file, text.toUtf8()); !written) {
        if (error)
            *error = written.error();
        return false;
    }
    return true;
}

void ReportPage::openJsonDialog()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Open clean-eval report"), QString(),
                                                      tr("JSON files (*.json);;All files (*)"));
    if (file.isEmpty())
        return;
    QString error;
    if (!loadFile(file, &error))
        QMessageBox::warning(this, tr("Open clean-eval report"), error);
}

void ReportPage::exportPngDialog()
{
    const QString file = QFileDialog::getSaveFileName(this, tr("Export report as PNG"), QStringLiteral("clean-eval.png"),
                                                      tr("PNG images (*.png)"));
    if (file.isEmpty())
        return;
    QString error;
    if (!exportPng(file, &error))
        QMessageBox::warning(this, tr("Export PNG"), error);
}

void ReportPage::exportCsvDialog()
{
    const QString file = QFileDialog::getSaveFileName(this, tr("Export report as CSV"), QStringLiteral("clean-eval.csv"),
                                                      tr("CSV files (*.csv)"));
    if (file.isEmpty())
        return;
    QString error;
    if (!exportCsv(file, &error))
        QMessageBox::warning(this, tr("Export CSV"), error);
}

} // namespace labelscope::ui
