#include "classrowsview.h"

#include "reviewsession.h"
#include "thumbnaildelegate.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

namespace {
const Category kRowCategories[3] = {Category::Easy, Category::Hard, Category::NeedReview};
}

// ---------------------------------------------------------------------------------------------

TileStrip::TileStrip(ReviewSession *session, ThumbnailLoader *loader, QWidget *parent)
    : QWidget(parent), m_session(session), m_loader(loader)
{
    connect(m_loader, &ThumbnailLoader::thumbnailReady, this, [this](qint64 id) {
        for (int i : std::as_const(m_indices))
            if (m_session->row(i).id == id) {
                update();
                return;
            }
    });
    setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
}

void TileStrip::setSamples(const QVector<int> &sessionIndices, int slots)
{
    m_indices = sessionIndices;
    m_slots = std::max(1, slots);
    updateGeometry();
    update();
}

QSize TileStrip::sizeHint() const
{
    const QSize t = ThumbnailDelegate::tileSize(m_loader->thumbnailSize());
    return {t.width() * m_slots, t.height()};
}

QRect TileStrip::tileRect(int i) const
{
    const QSize t = ThumbnailDelegate::tileSize(m_loader->thumbnailSize());
    return {QPoint(i * t.width(), 0), t};
}

void TileStrip::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    if (m_indices.isEmpty()) {
        p.setPen(palette().color(QPalette::Disabled, QPalette::Text));
        p.drawText(rect().adjusted(8, 0, 0, 0), Qt::AlignVCenter | Qt::AlignLeft,
                   tr("No sample of this class is in this category."));
        return;
    }
    const QStringList &classes = m_session->classes();
    for (int k = 0; k < m_indices.size(); ++k) {
        const int i = m_indices[k];
        const SampleRow &r = m_session->row(i);
        TileInfo tile;
        ThumbnailLoader::State st;
        tile.image = m_loader->thumbnail(r.id, r.sample, &st);
        tile.failed = st == ThumbnailLoader::State::Failed;
        tile.category = m_session->category(i);
        tile.relabelled = r.label != r.givenLabel;
        tile.excluded = r.excluded;
        tile.kept = m_session->isKept(i);
        tile.caption = QString::number(double(m_session->noiseScore(i)), 'f', 3);
        if (tile.relabelled)
            tile.caption += QStringLiteral(" \u2192 ") + className(classes, r.label);
        ThumbnailDelegate::paintTile(&p, tileRect(k), tile, palette(), font());
    }
}

void TileStrip::mousePressEvent(QMouseEvent *event)
{
    for (int k = 0; k < m_indices.size(); ++k)
        if (tileRect(k).contains(event->position().toPoint())) {
            Q_EMIT sampleActivated(m_session->row(m_indices[k]).id);
            return;
        }
    QWidget::mousePressEvent(event);
}

// ---------------------------------------------------------------------------------------------

ClassRowsView::ClassRowsView(ReviewSession *session, ThumbnailLoader *loader, QWidget *parent)
    : QWidget(parent), m_session(session), m_loader(loader)
{
    m_classCombo = new QComboBox(this);
    m_classCombo->setObjectName(QStringLiteral("rowsClass"));
    m_classCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_perRow = new QSpinBox(this);
    m_perRow->setRange(3, 30);
    m_perRow->setValue(10);
    m_perRow->setSuffix(tr(" per row"));
    m_export = new QPushButton(tr("Export PNG\u2026"), this);
    m_export->setObjectName(QStringLiteral("exportRowsPng"));

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(4, 4, 4, 0);
    bar->addWidget(new QLabel(tr("Class:"), this));
    bar->addWidget(m_classCombo);
    bar->addWidget(m_perRow);
    bar->addStretch(1);
    bar->addWidget(m_export);

    m_figure = new QWidget;
    m_figure->setObjectName(QStringLiteral("classRowsFigure"));
    m_figure->setAutoFillBackground(true);
    QPalette pal = m_figure->palette();
    pal.setColor(QPalette::Window, Qt::white);
    pal.setColor(QPalette::WindowText, Qt::black);
    pal.setColor(QPalette::Text, Qt::black);
    m_figure->setPalette(pal);
    auto *fig = new QVBoxLayout(m_figure);
    fig->setContentsMargins(12, 10, 12, 10);
    fig->setSpacing(4);
    m_heading = new QLabel(m_figure);
    QFont hf = m_heading->font();
    hf.setBold(true);
    hf.setPointSizeF(hf.pointSizeF() * 1.2);
    m_heading->setFont(hf);
    fig->addWidget(m_heading);
    for (int r = 0; r < 3; ++r) {
        m_titles[r] = new QLabel(m_figure);
        m_titles[r]->setTextFormat(Qt::RichText);
        m_rows[r] = new TileStrip(session, loader, m_figure);
        m_rows[r]->setObjectName(QStringLiteral("row_%1").arg(categoryName(kRowCategories[r])));
        connect(m_rows[r], &TileStrip::sampleActivated, this, &ClassRowsView::sampleActivated);
        fig->addSpacing(r ? 6 : 0);
        fig->addWidget(m_titles[r]);
        fig->addWidget(m_rows[r]);
    }
    fig->addStretch(1);

    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_figure);
    scroll->setWidgetResizable(false);
    scroll->setAlignment(Qt::AlignLeft | Qt::AlignTop);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(scroll, 1);

    connect(m_classCombo, &QComboBox::currentIndexChanged, this, &ClassRowsView::rebuildRows);
    connect(m_perRow, &QSpinBox::valueChanged, this, &ClassRowsView::rebuildRows);
    connect(m_export, &QPushButton::clicked, this, &ClassRowsView::exportClicked);
    connect(m_session, &ReviewSession::reloaded, this, &ClassRowsView::rebuildClasses);
    connect(m_session, &ReviewSession::samplesChanged, this, [this] {
        for (TileStrip *s : m_rows)
            s->update();
    });
    rebuildClasses();
}

void ClassRowsView::rebuildClasses()
{
    const int previous = currentClass();
    {
        const QSignalBlocker block(m_classCombo);
        m_classCombo->clear();
        const QStringList &classes = m_session->classes();
        for (int k = 0; k < classes.size(); ++k)
            m_classCombo->addItem(classes.at(k), k);
        m_classCombo->setCurrentIndex(std::clamp(previous, 0, int(classes.size()) - 1));
    }
    rebuildRows();
}

void ClassRowsView::setClass(int label)
{
    const int at = m_classCombo->findData(label);
    if (at >= 0)
        m_classCombo->setCurrentIndex(at);
}

int ClassRowsView::currentClass() const
{
    return m_classCombo->currentData().isValid() ? m_classCombo->currentData().toInt() : -1;
}

QVector<int> ClassRowsView::rowSamples(Category category) const
{
    for (int r = 0; r < 3; ++r)
        if (kRowCategories[r] == category)
            return m_rows[r]->samples();
    return {};
}

QVector<int> ClassRowsView::representatives(const ReviewSession &session, int label,
                                            Category category, int count)
{
    QVector<int> members;
    for (int i = 0; i < session.count(); ++i)
        if (session.row(i).givenLabel == label && session.category(i) == category
            && session.noiseScore(i) >= 0.f)
            members.push_back(i);
    if (members.isEmpty())
        return members;
    auto score = [&session](int i) { return session.noiseScore(i); };
    if (category == Category::Easy) {
        std::sort(members.begin(), members.end(),
                  [&](int a, int b) { return score(a) != score(b) ? score(a) < score(b) : a < b; });
    } else if (category == Category::Hard) {
        std::sort(members.begin(), members.end(),
                  [&](int a, int b) { return score(a) != score(b) ? score(a) > score(b) : a < b; });
    } else {
        // Closest to the median of the band: the most typical undecided samples.
        QVector<float> s;
        s.reserve(members.size());
        for (int i : members)
            s.push_back(score(i));
        std::nth_element(s.begin(), s.begin() + s.size() / 2, s.end());
        const float mid = s[s.size() / 2];
        std::sort(members.begin(), members.end(), [&](int a, int b) {
            const float da = std::fabs(score(a) - mid), db = std::fabs(score(b) - mid);
            return da != db ? da < db : a < b;
        });
    }
    members.resize(std::min<qsizetype>(members.size(), count));
    return members;
}

void ClassRowsView::rebuildRows()
{
    const int label = currentClass();
    const int per = m_perRow->value();
    const QStringList &classes = m_session->classes();
    if (label < 0) {
        m_heading->setText(m_session->isOpen() ? tr("No classes") : QString());
    } else if (m_session->runId() <= 0) {
        m_heading->setText(tr("Class \u201c%1\u201d \u2014 no analysis run yet").arg(classes.value(label)));
    } else {
        m_heading->setText(tr("Class \u201c%1\u201d (given label), run %2")
                               .arg(classes.value(label))
                               .arg(m_session->runId()));
    }
    int inClass[3] = {0, 0, 0};
    for (int i = 0; i < m_session->count(); ++i) {
        if (m_session->row(i).givenLabel != label)
            continue;
        for (int r = 0; r < 3; ++r)
            if (m_session->category(i) == kRowCategories[r])
                ++inClass[r];
    }
    const QString what[3] = {tr("the clearest"), tr("the most likely wrong"),
                             tr("the least certain")};
    for (int r = 0; r < 3; ++r) {
        const Category c = kRowCategories[r];
        m_rows[r]->setSamples(label < 0 ? QVector<int>() : representatives(*m_session, label, c, per), per);
        m_titles[r]->setText(QStringLiteral("<span style='color:%1'><b>%2</b></span> \u2014 %3 "
                                            "<span style='color:#666'>(%L4 in class)</span>")
                                 .arg(categoryColor(c).name(), categoryLabel(c), what[r])
                                 .arg(inClass[r]));
    }
    m_figure->adjustSize();
}

bool ClassRowsView::exportPng(const QString &file, QString *error)
{
    const QPixmap pm = m_figure->grab();
    if (pm.isNull() || !pm.save(file, "PNG")) {
        if (error)
            *error = tr("Could not write %1").arg(file);
        return false;
    }
    return true;
}

void ClassRowsView::exportClicked()
{
    const QString suggested = QStringLiteral("class-rows-%1.png")
                                  .arg(m_classCombo->currentText().replace(QLatin1Char('/'), QLatin1Char('_')));
    const QString file = QFileDialog::getSaveFileName(this, tr("Export class rows"), suggested,
                                                      tr("PNG image (*.png)"));
    if (file.isEmpty())
        return;
    QString error;
    if (!exportPng(file, &error))
        QMessageBox::warning(this, tr("Export PNG"), error);
}

} // namespace labelscope::ui
