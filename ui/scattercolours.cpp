// ScatterPanel: the point colours for each "Colour by" choice and the legend that explains them.

#include "scatterpanel.h"

#include "healthmodel.h"

#include "exporter.h"
#include "exportrunner.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "reviewsession.h"
#include "scatterview.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include "base/savefile.h"
#include "jobs/jobrunner.h"

#include <QAction>
#include <QActionGroup>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QItemSelection>
#include <QLabel>
#include <QListView>
#include <QMainWindow>
#include <QMenu>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <memory>

namespace labelscope::ui {

namespace {
// Tableau 10 then its light half (matplotlib "tab20" order): distinct at a glance for up to
// 20 classes; beyond that the palette repeats.
constexpr std::uint32_t kPalette[] = {
    0xff1f77b4, 0xffff7f0e, 0xff2ca02c, 0xffd62728, 0xff9467bd, 0xff8c564b, 0xffe377c2,
    0xff7f7f7f, 0xffbcbd22, 0xff17becf, 0xffaec7e8, 0xffffbb78, 0xff98df8a, 0xffff9896,
    0xffc5b0d5, 0xffc49c94, 0xfff7b6d2, 0xffc7c7c7, 0xffdbdb8d, 0xff9edae5};
constexpr std::uint32_t kGrey = 0xffa0a0a0;
constexpr std::uint32_t kAgree = 0xffa6bddb;
constexpr std::uint32_t kDisagree = 0xffd7301f;

std::uint32_t classColour(int label)
{
    if (label < 0)
        return kGrey;
    return kPalette[std::size_t(label) % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

// Viridis at five stops, linearly interpolated (matplotlib's perceptually uniform ramp).
std::uint32_t viridis(float t)
{
    static const float stops[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    t = std::clamp(t, 0.f, 1.f) * 4.f;
    const int k = std::min(3, int(t));
    const float f = t - float(k);
    std::uint32_t c = 0xff000000;
    for (int ch = 0; ch < 3; ++ch) {
        const float v = stops[k][ch] + f * (stops[k + 1][ch] - stops[k][ch]);
        c |= std::uint32_t(std::lround(v)) << (16 - 8 * ch);
    }
    return c;
}

// The legend's text colour for link entries (Qt's rich text has no "inherit" for links).
QString g_legendInk = QStringLiteral("#202020");

QString chip(std::uint32_t colour, const QString &text, const QString &link = QString(), bool active = false)
{
    const QString square = QStringLiteral("<span style='color:#%1'>\u25A0</span>&nbsp;")
                               .arg(colour & 0xffffff, 6, 16, QLatin1Char('0'));
    if (link.isEmpty())
        return square + text.toHtmlEscaped();
    // A link without the underline and link colour: it reads as a legend entry, the pointer
    // and the tool tip say it can be clicked; the active filter's entry is bold.
    return square + QStringLiteral("<a href='%1' style='color:%5; text-decoration:none'>%2%3%4</a>")
                        .arg(link, active ? QStringLiteral("<b>") : QString(), text.toHtmlEscaped(),
                             active ? QStringLiteral("</b>") : QString(), g_legendInk);
}

} // namespace

void ScatterPanel::setColorBy(ColorBy by)
{
    m_colorBy = by;
    const int at = m_colorCombo->findData(int(by));
    if (at >= 0 && at != m_colorCombo->currentIndex()) {
        const QSignalBlocker block(m_colorCombo);
        m_colorCombo->setCurrentIndex(at);
    }
    recolor();
}

void ScatterPanel::recolor()
{
    const std::size_t n = m_pointSession.size();
    std::vector<std::uint32_t> colours(n, kGrey);
    for (std::size_t i = 0; i < n; ++i) {
        const int s = m_pointSession[i];
        if (s < 0)
            continue;
        const SampleRow &r = m_session->row(s);
        const SampleScore *sc = m_session->score(s);
        switch (m_colorBy) {
        case ColorBy::Class: colours[i] = classColour(r.label); break;
        case ColorBy::Category: colours[i] = categoryColor(m_session->category(s)).rgb(); break;
        case ColorBy::Disagreement:
            if (const int model = m_session->suggestion(s); model >= 0)
                colours[i] = model != r.label ? kDisagree : kAgree; // the label as it stands (the gallery's "Model disagrees")
            break;
        case ColorBy::NoiseScore:
            if (sc)
                colours[i] = viridis(sc->noiseScore);
            break;
        case ColorBy::Subcluster: {
            const int c = subclusterOf(r.id);
            if (c >= 0)
                colours[i] = classColour(c);
            break;
        }
        case ColorBy::HealthIssue:
            if (m_healthColor)
                if (const QColor c = m_healthColor(s); c.isValid())
                    colours[i] = c.rgb();
            break;
        }
    }
    if (m_colorBy == ColorBy::Subcluster && !hasSubclusters())
        startSubclusters();
    // By category, the flagged samples (hard, need review) are drawn larger and above the easy
    // ones, so that a few red points are not hidden under thousands of green ones.
    std::vector<std::uint8_t> emphasis;
    if (m_colorBy == ColorBy::Category) {
        emphasis.assign(n, 0);
        for (std::size_t i = 0; i < n; ++i)
            emphasis[i] = m_pointSession[i] >= 0 && m_session->isFlagged(m_pointSession[i]) ? 1 : 0;
    }
    m_view->setEmphasis(std::move(emphasis));
    m_view->setColors(std::move(colours));
    updateLegend();
}

void ScatterPanel::updateLegend()
{
    g_legendInk = m_legend->palette().color(QPalette::WindowText).name();
    QStringList parts;
    switch (m_colorBy) {
    case ColorBy::Class: {
        const QStringList &classes = m_session->classes();
        const int filter = m_gallery->model()->classFilter();
        for (int k = 0; k < classes.size(); ++k)
            parts << chip(classColour(k), classes.at(k), QStringLiteral("class:%1").arg(k), k == filter);
        break;
    }
    case ColorBy::Category: {
        const int filter = m_gallery->categoryCombo()->currentData().toInt();
        const bool filtered = m_gallery->categoryCombo()->currentIndex() > 0;
        for (Category c : {Category::Easy, Category::Hard, Category::NeedReview, Category::Unknown})
            parts << chip(categoryColor(c).rgb(), categoryLabel(c), QStringLiteral("category:%1").arg(int(c)),
                          filtered && filter == int(c));
        break;
    }
    case ColorBy::Disagreement:
        parts << chip(kDisagree, tr("model disagrees with the label"))
              << chip(kAgree, tr("agrees")) << chip(kGrey, tr("no prediction"));
        break;
    case ColorBy::NoiseScore:
        parts << chip(viridis(0.f), tr("0 (clean)")) << chip(viridis(0.5f), QStringLiteral("0.5"))
              << chip(viridis(1.f), tr("1 (likely wrong)")) << chip(kGrey, tr("unscored"));
        break;
    case ColorBy::Subcluster: {
        const int k = m_gallery->model()->classFilter();
        if (!hasSubclusters()) {
            parts << (m_subRunning ? tr("computing sub-clusters\u2026") : tr("no sub-clusters"));
        } else if (k >= 0 && k < int(m_sub.perClass.size())) {
            const std::vector<Subcluster> &cl = m_sub.perClass[std::size_t(k)];
            for (int c = 0; c < int(cl.size()); ++c)
                parts << chip(classColour(c), tr("%L1 (hard %2%, review %3%)")
                                                  .arg(cl[std::size_t(c)].size)
                                                  .arg(cl[std::size_t(c)].hardShare * 100, 0, 'f', 0)
                                                  .arg(cl[std::size_t(c)].needReviewShare * 100, 0, 'f', 0),
                              QStringLiteral("subcluster:%1").arg(c));
        } else {
            parts << tr("clusters of each class (by given label), largest first; choose a class in the "
                        "gallery's Class filter to see one class's clusters and their share of hard samples");
        }
        break;
    }
    case ColorBy::HealthIssue:
        for (const IssueType t : {IssueType::Outlier, IssueType::Blurry, IssueType::ExactDuplicate, IssueType::NearDuplicate,
                                  IssueType::Leakage})
            parts << chip(HealthModel::issueColor(t).rgb(),
                          t == IssueType::Blurry ? tr("image problem") : HealthModel::issueLabel(t).toLower());
        parts << chip(kGrey, tr("no issue (or no check yet)"));
        break;
    }
    parts << chip(0xffdadada, tr("hidden by the gallery's filters"));
    m_legend->setText(parts.join(QStringLiteral(" &nbsp; ")));
}

bool ScatterPanel::activateLegendEntry(const QString &link)
{
    const int colon = link.indexOf(QLatin1Char(':'));
    bool ok = false;
    const int value = colon > 0 ? link.mid(colon + 1).toInt(&ok) : -1;
    if (!ok)
        return false;
    const QString what = link.left(colon);
    // A filter combo: choose the entry, or go back to "all" when it is chosen already.
    const auto toggle = [](QComboBox *combo, int data) {
        const int at = combo->findData(data);
        if (at < 0)
            return false;
        combo->setCurrentIndex(combo->currentIndex() == at ? 0 : at);
        return true;
    };
    if (what == QLatin1String("class")) {
        if (!toggle(m_gallery->classCombo(), value))
            return false;
    } else if (what == QLatin1String("category")) {
        if (!toggle(m_gallery->categoryCombo(), value))
            return false;
    } else if (what == QLatin1String("subcluster")) {
        const int k = m_gallery->model()->classFilter();
        if (k < 0 || !hasSubclusters())
            return false;
        std::vector<int> points;
        for (std::size_t i = 0; i < m_pointIds.size(); ++i) {
            const int s = m_pointSession[i];
            if (s >= 0 && m_session->row(s).givenLabel == k && subclusterOf(m_pointIds[i]) == value)
                points.push_back(int(i));
        }
        m_view->setSelection(std::move(points));
        pushSelectionToGallery();
        updateCountLabel();
    } else {
        return false;
    }
    updateMask();
    updateLegend();
    return true;
}

} // namespace labelscope::ui
