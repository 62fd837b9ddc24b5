#include "healthpage.h"

#include "gallerymodel.h"
#include "healthmodel.h"
#include "reviewsession.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include "base/savefile.h"

#include <QBuffer>
#include <QtConcurrent/QtConcurrentMap>
#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

namespace {

constexpr int kExamples = 48; ///< examples shown per type (worst first)
constexpr int kExampleSide = 72; ///< their icons, px

QString csvField(QString s)
{
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n')))
        s = QLatin1Char('"') + s.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
    return s;
}

} // namespace

HealthPage::HealthPage(ReviewSession *session, HealthModel *health, QWidget *parent)
    : QWidget(parent), m_session(session), m_health(health)
{
    setObjectName(QStringLiteral("healthPage"));
    auto *layout = new QVBoxLayout(this);
    auto *top = new QHBoxLayout;
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("healthNote"));
    m_note->setWordWrap(true);
    top->addWidget(m_note, 1);
    m_run = new QPushButton(tr("Run checks"), this);
    m_run->setObjectName(QStringLiteral("runHealthChecks"));
    m_run->setToolTip(tr("Duplicates, leakage, image problems and class balance on the project's images; "
                         "outliers from the latest analysis' embeddings (labelscope check does the same)."));
    auto *png = new QPushButton(tr("Export PNG\u2026"), this);
    auto *csvButton = new QPushButton(tr("Export CSV\u2026"), this);
    for (QPushButton *b : {m_run, png, csvButton})
        top->addWidget(b);
    layout->addLayout(top);
    // The running check: stage and detail, progress, Cancel (hidden while idle).
    auto *running = new QHBoxLayout;
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("healthStatus"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("healthProgress"));
    m_progress->setRange(0, 100);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("cancelHealthChecks"));
    running->addWidget(m_status, 1);
    running->addWidget(m_progress, 1);
    running->addWidget(m_cancel);
    layout->addLayout(running);
    m_status->hide();
    m_progress->hide();
    m_cancel->hide();

    auto *split = new QSplitter(Qt::Vertical, this);
    m_table = new QTableWidget(this);
    m_table->setObjectName(QStringLiteral("healthTable"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    split->addWidget(m_table);

    auto *lower = new QWidget(this);
    auto *lowerLayout = new QHBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    auto *setsBox = new QVBoxLayout;
    setsBox->addWidget(new QLabel(tr("Duplicate sets"), lower));
    m_sets = new QListWidget(lower);
    m_sets->setObjectName(QStringLiteral("duplicateSets"));
    setsBox->addWidget(m_sets, 1);
    lowerLayout->addLayout(setsBox, 1);
    auto *examplesBox = new QVBoxLayout;
    m_examplesTitle = new QLabel(lower);
    examplesBox->addWidget(m_examplesTitle);
    m_examples = new QListWidget(lower);
    m_examples->setObjectName(QStringLiteral("healthExamples"));
    m_examples->setViewMode(QListView::IconMode);
    m_examples->setIconSize(QSize(kExampleSide, kExampleSide));
    m_examples->setResizeMode(QListView::Adjust);
    m_examples->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_examples->setMovement(QListView::Static);
    examplesBox->addWidget(m_examples, 1);
    connect(&m_icons, &QFutureWatcher<QImage>::resultReadyAt, this, [this](int k) {
        const QImage image = m_icons.resultAt(k);
        if (QListWidgetItem *item = m_examples->item(k); item && !image.isNull())
            item->setIcon(QIcon(QPixmap::fromImage(image)));
    });
    auto *actions = new QHBoxLayout;
    m_show = new QPushButton(tr("Show in gallery"), lower);
    m_show->setObjectName(QStringLiteral("showIssueInGallery"));
    m_exclude = new QPushButton(tr("Exclude selected"), lower);
    m_exclude->setObjectName(QStringLiteral("excludeIssueSamples"));
    m_keep = new QPushButton(tr("Keep selected, exclude the others"), lower);
    m_keep->setObjectName(QStringLiteral("keepOne"));
    for (QPushButton *b : {m_show, m_exclude, m_keep})
        actions->addWidget(b);
    actions->addStretch(1);
    examplesBox->addLayout(actions);
    lowerLayout->addLayout(examplesBox, 3);
    split->addWidget(lower);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    connect(m_health, &HealthModel::changed, this, &HealthPage::rebuild);
    connect(m_health, &HealthModel::runningChanged, this, [this](bool running) {
        m_run->setEnabled(!running);
        m_run->setText(running ? tr("Checking\u2026") : tr("Run checks"));
        m_progress->setVisible(running);
        m_cancel->setVisible(running);
        m_cancel->setEnabled(running);
        if (running) {
            m_progress->setValue(0);
            m_status->setText(tr("Starting the checks\u2026"));
            m_status->show();
        }
    });
    connect(m_health, &HealthModel::progress, this, [this](const QString &text, double fraction) {
        m_status->setText(text);
        m_progress->setValue(int(std::lround(100.0 * std::clamp(fraction, 0.0, 1.0))));
    });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_cancel->setEnabled(false);
        m_status->setText(tr("Cancelling\u2026"));
        m_health->cancelChecks();
    });
    connect(m_health, &HealthModel::checkFinished, this, [this](const QString &error) {
        if (error == QLatin1String("cancelled")) {
            m_status->setText(tr("Checks cancelled; the previous results are kept."));
            return;
        }
        m_status->hide();
        if (!error.isEmpty())
            QMessageBox::warning(this, tr("Dataset health"), error);
    });
    connect(m_run, &QPushButton::clicked, m_health, &HealthModel::runChecks);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &HealthPage::onTypeChanged);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this] {
        if (const auto type = currentType())
            Q_EMIT showInGallery(*type);
    });
    connect(m_show, &QPushButton::clicked, this, [this] {
        if (const auto type = currentType())
            Q_EMIT showInGallery(*type);
    });
    connect(m_sets, &QListWidget::currentRowChanged, this, &HealthPage::onSetChanged);
    connect(m_examples, &QListWidget::itemSelectionChanged, this, &HealthPage::updateButtons);
    connect(m_examples, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem *item) {
        Q_EMIT sampleActivated(item->data(Qt::UserRole).toLongLong());
    });
    connect(m_exclude, &QPushButton::clicked, this, &HealthPage::excludeSelected);
    connect(m_keep, &QPushButton::clicked, this, [this] {
        QString error;
        if (!keepOne(m_examples->currentRow(), &error) && !error.isEmpty())
            QMessageBox::warning(this, tr("Dataset health"), error);
    });
    connect(png, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Export page as PNG"), QString(), tr("PNG image (*.png)"));
        QString error;
        if (!file.isEmpty() && !exportPng(file, &error))
            QMessageBox::warning(this, tr("Export"), error);
    });
    connect(csvButton, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Export flags as CSV"), QString(), tr("CSV (*.csv)"));
        QString error;
        if (!file.isEmpty() && !exportCsv(file, &error))
            QMessageBox::warning(this, tr("Export"), error);
    });
    connect(m_session, &ReviewSession::samplesChanged, this, [this](const QVector<int> &indices) {
        for (int row = 0; row < m_examples->count(); ++row)
            if (indices.contains(m_shown[std::size_t(row)])) {
                QFont f = m_examples->item(row)->font();
                f.setStrikeOut(m_session->row(m_shown[std::size_t(row)]).excluded);
                m_examples->item(row)->setFont(f);
            }
    });
    rebuild();
}

std::optional<IssueType> HealthPage::currentType() const
{
    const int row = m_table->currentRow();
    if (row < 0 || !m_table->item(row, 0))
        return std::nullopt;
    return IssueType(m_table->item(row, 0)->data(Qt::UserRole).toInt());
}

void HealthPage::selectType(IssueType type)
{
    for (int row = 0; row < m_table->rowCount(); ++row)
        if (m_table->item(row, 0)->data(Qt::UserRole).toInt() == int(type)) {
            m_table->selectRow(row);
            m_table->setCurrentCell(row, 0);
            return;
        }
}

void HealthPage::rebuild()
{
    m_note->setText(m_health->note());
    const QStringList &classes = m_session->classes();
    const HealthReport &report = m_health->report();
    const std::vector<IssueType> types = m_health->computedTypes();
    m_table->clear();
    m_table->setRowCount(int(types.size()));
    QStringList headers{tr("Issue"), tr("Flagged"), tr("Action")};
    for (const QString &c : classes)
        headers << c;
    m_table->setColumnCount(int(headers.size()));
    m_table->setHorizontalHeaderLabels(headers);
    for (std::size_t r = 0; r < types.size(); ++r) {
        const IssueType type = types[r];
        auto *name = new QTableWidgetItem(HealthModel::issueLabel(type));
        name->setData(Qt::UserRole, int(type));
        name->setData(Qt::DecorationRole, HealthModel::issueColor(type));
        name->setToolTip(enumName(kIssueTypeNames, type));
        m_table->setItem(int(r), 0, name);
        const IssueColumn &c = report.column(type);
        auto *count = new QTableWidgetItem;
        count->setData(Qt::DisplayRole, qlonglong(m_health->flaggedCount(type)));
        m_table->setItem(int(r), 1, count);
        m_table->setItem(int(r), 2, new QTableWidgetItem(HealthModel::isExcludeKind(type)  ? tr("exclude")
                                                         : HealthModel::isDuplicateKind(type) ? tr("keep one")
                                                                                              : tr("collect more")));
        std::vector<qlonglong> perClass(std::size_t(classes.size()), 0);
        for (std::size_t i = 0; i < c.flag.size() && i < report.labels.size(); ++i)
            if (c.flag[i] && report.labels[i] >= 0 && report.labels[i] < classes.size())
                ++perClass[std::size_t(report.labels[i])];
        for (int k = 0; k < classes.size(); ++k) {
            auto *item = new QTableWidgetItem;
            item->setData(Qt::DisplayRole, perClass[std::size_t(k)]);
            m_table->setItem(int(r), 3 + k, item);
        }
    }
    m_table->resizeColumnsToContents();

    m_sets->clear();
    for (const HealthModel::Set &s : m_health->duplicateSets()) {
        QString text = (s.exact ? tr("Exact: %1 images") : tr("Near: %1 images")).arg(s.members.size());
        if (!s.members.empty())
            text += QStringLiteral(" \u2014 %1").arg(classes.value(m_session->row(s.members.front()).label));
        if (s.leaks)
            text += tr(" \u2014 train and test");
        auto *item = new QListWidgetItem(text, m_sets);
        item->setForeground(HealthModel::issueColor(s.leaks ? IssueType::Leakage
                                                            : s.exact ? IssueType::ExactDuplicate : IssueType::NearDuplicate));
    }
    if (!types.empty())
        selectType(types.front());
    else
        showExamples({}, QString());
    updateButtons();
}

void HealthPage::showExamples(const std::vector<int> &indices, const QString &title)
{
    m_icons.cancel(); // setFuture below drops the old pictures still on their way
    m_examples->clear();
    m_shown.clear();
    m_examplesTitle->setText(title);
    QList<Sample> samples;
    for (const int i : indices) {
        if (int(m_shown.size()) >= kExamples)
            break;
        const SampleRow &r = m_session->row(i);
        samples << r.sample;
        auto *item = new QListWidgetItem(QStringLiteral("#%1 %2").arg(r.id).arg(m_session->classes().value(r.label)), m_examples);
        item->setData(Qt::UserRole, r.id);
        QStringList issues;
        for (const IssueType t : m_health->issuesOf(i))
            issues << HealthModel::issueLabel(t);
        item->setToolTip(QStringLiteral("%1\n%2").arg(samplePath(r.sample), issues.join(QStringLiteral(", "))));
        QFont f = item->font();
        f.setStrikeOut(r.excluded);
        item->setFont(f);
        m_shown.push_back(i);
    }
    // Decoding 48 camera photos takes a second or more: off the GUI thread, each icon as it comes.
    m_icons.setFuture(QtConcurrent::mapped(samples, [](const Sample &sample) {
        const QImage image = ThumbnailLoader::loadImage(sample, nullptr, kExampleSide);
        return image.isNull() ? image : fitImage(image, QSize(kExampleSide, kExampleSide));
    }));
    updateButtons();
}

void HealthPage::onTypeChanged()
{
    const std::optional<IssueType> type = currentType();
    if (!type)
        return;
    const std::vector<int> flagged = m_health->flaggedByScore(*type);
    showExamples(flagged, tr("%1: %2 flagged, worst first%3")
                              .arg(HealthModel::issueLabel(*type)).arg(flagged.size())
                              .arg(HealthModel::isExcludeKind(*type) ? tr(" \u2014 select and exclude") : QString()));
}

void HealthPage::onSetChanged()
{
    const int row = m_sets->currentRow();
    const std::vector<HealthModel::Set> sets = m_health->duplicateSets();
    if (row < 0 || std::size_t(row) >= sets.size())
        return;
    const HealthModel::Set &s = sets[std::size_t(row)];
    showExamples(s.members, tr("%1 duplicate set %2: select the image to keep").arg(s.exact ? tr("Exact") : tr("Near")).arg(row + 1));
    m_examples->setCurrentRow(0);
}

void HealthPage::updateButtons()
{
    const std::optional<IssueType> type = currentType();
    const bool setShown = m_sets->currentRow() >= 0 && m_examplesTitle->text().contains(tr("select the image to keep"));
    const bool writable = m_session->isOpen() && !m_session->isReadOnly();
    m_show->setEnabled(type.has_value());
    m_exclude->setEnabled(writable && !m_examples->selectedItems().isEmpty() && !setShown);
    m_keep->setEnabled(writable && setShown && m_examples->currentRow() >= 0);
}

void HealthPage::excludeSelected()
{
    std::vector<Decision> decisions;
    for (const QListWidgetItem *item : m_examples->selectedItems()) {
        const int i = m_shown[std::size_t(m_examples->row(item))];
        const SampleRow &r = m_session->row(i);
        if (!r.excluded)
            decisions.push_back({r.id, r.label, true, QStringLiteral("exclude")});
    }
    QString error;
    if (!decisions.empty() && !m_session->decide(decisions, tr("Exclude %n flagged sample(s)", nullptr, int(decisions.size())), &error))
        QMessageBox::warning(this, tr("Dataset health"), error);
}

bool HealthPage::keepOne(int row, QString *error)
{
    if (row < 0 || std::size_t(row) >= m_shown.size()) {
        if (error)
            *error = tr("Select the image to keep.");
        return false;
    }
    std::vector<Decision> decisions;
    for (std::size_t k = 0; k < m_shown.size(); ++k) {
        const SampleRow &r = m_session->row(m_shown[k]);
        const bool exclude = int(k) != row;
        if (r.excluded != exclude)
            decisions.push_back({r.id, r.label, exclude, exclude ? QStringLiteral("exclude") : QStringLiteral("accept")});
    }
    if (decisions.empty())
        return true;
    return m_session->decide(decisions, tr("Keep one of %n duplicates", nullptr, int(m_shown.size())), error);
}

QByteArray HealthPage::csv() const
{
    QByteArray out("sample_id,path,offset,split,label,issue,score\n");
    const HealthReport &report = m_health->report();
    for (const IssueType type : m_health->computedTypes()) {
        const IssueColumn &c = report.column(type);
        for (std::size_t i = 0; i < c.flag.size() && int(i) < m_session->count(); ++i) {
            if (!c.flag[i])
                continue;
            const SampleRow &r = m_session->row(int(i));
            out += QStringLiteral("%1,%2,%3,%4,%5,%6,%7\n")
                       .arg(r.id)
                       .arg(csvField(r.sample.path))
                       .arg(r.sample.offset)
                       .arg(csvField(r.sample.split), csvField(m_session->classes().value(r.label)),
                            enumName(kIssueTypeNames, type))
                       .arg(double(c.score[i]), 0, 'g', 6)
                       .toUtf8();
        }
    }
    return out;
}

bool HealthPage::exportCsv(const QString &file, QString *error)
{
    const Result<> written = writeFileAtomically(file, csv());
    if (!written && error)
        *error = written.error();
    return written.ok();
}

bool HealthPage::exportPng(const QString &file, QString *error)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (!grab().toImage().save(&buffer, "PNG")) {
        if (error)
            *error = tr("%1: cannot encode the page as PNG").arg(file);
        return false;
    }
    const Result<> written = writeFileAtomically(file, bytes);
    if (!written && error)
        *error = written.error();
    return written.ok();
}

// ---- HealthFilterBar --------------------------------------------------------------------------

HealthFilterBar::HealthFilterBar(HealthModel *health, GalleryModel *gallery, QWidget *parent)
    : QWidget(parent), m_health(health), m_gallery(gallery)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Dataset health:"), this));
    m_combo = new QComboBox(this);
    m_combo->setObjectName(QStringLiteral("issueFilter"));
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_combo->setToolTip(tr("Show only the samples the latest dataset-health check flagged with this issue"));
    layout->addWidget(m_combo);
    layout->addStretch(1);
    connect(m_combo, &QComboBox::currentIndexChanged, this, &HealthFilterBar::apply);
    connect(m_health, &HealthModel::changed, this, &HealthFilterBar::rebuild);
    // The gallery's filter chips (issue 17) can end the health filter: show "All samples" then.
    connect(m_gallery, &GalleryModel::viewStateChanged, this, [this] {
        if (!m_gallery->hasIssueFilter() && m_combo->currentIndex() > 0) {
            const QSignalBlocker block(m_combo);
            m_combo->setCurrentIndex(0);
        }
    });
    rebuild();
}

void HealthFilterBar::rebuild()
{
    const QVariant previous = m_combo->currentData();
    {
        const QSignalBlocker block(m_combo);
        m_combo->clear();
        m_combo->addItem(tr("All samples"), -1);
        for (const IssueType type : m_health->computedTypes())
            m_combo->addItem(tr("%1 (%2)").arg(HealthModel::issueLabel(type)).arg(m_health->flaggedCount(type)), int(type));
        const int at = m_combo->findData(previous);
        m_combo->setCurrentIndex(at >= 0 ? at : 0);
    }
    setVisible(m_health->hasReport());
    // Frames and tool-tip lines: outliers and image problems violet (action exclude), duplicate
    // members teal; a wrong label keeps the category's red.
    const int n = m_health->hasReport() ? int(m_health->report().samples) : 0;
    std::vector<QColor> frames(static_cast<std::size_t>(n));
    std::vector<QString> notes(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const std::vector<IssueType> issues = m_health->issuesOf(i);
        QStringList names;
        bool exclude = false;
        for (const IssueType t : issues) {
            if (t == IssueType::ClassImbalance)
                continue;
            names << HealthModel::issueLabel(t);
            exclude = exclude || HealthModel::isExcludeKind(t);
            if (!frames[std::size_t(i)].isValid() || HealthModel::isExcludeKind(t))
                frames[std::size_t(i)] = HealthModel::issueColor(t);
        }
        if (!names.isEmpty())
            notes[std::size_t(i)] = tr("Dataset health: %1%2").arg(names.join(QStringLiteral(", ")),
                                                                   exclude ? tr(" \u2014 action: exclude") : QString());
    }
    m_gallery->setIssueMarks(std::move(frames), std::move(notes));
    apply();
}

void HealthFilterBar::setIssue(std::optional<IssueType> type)
{
    const int at = m_combo->findData(type ? int(*type) : -1);
    m_combo->setCurrentIndex(at >= 0 ? at : 0);
    apply();
}

void HealthFilterBar::apply()
{
    const int type = m_combo->currentData().isValid() ? m_combo->currentData().toInt() : -1;
    m_gallery->setIssueFilter(type >= 0 ? m_health->mask(IssueType(type)) : std::vector<std::uint8_t>());
}

} // namespace labelscope::ui
