// MainWindow's dataset-health wiring (issue 16): the "Dataset health" tab, the gallery's health
// filter above its tiles, and the scatter view's "Health issue" colouring. Kept out of
// mainwindow.cpp so that the window's main file only calls createHealthPage().

#include "mainwindow.h"

#include "gallerymodel.h"
#include "gallerywidget.h"
#include "healthmodel.h"
#include "healthpage.h"
#include "reviewsession.h"
#include "scatterpanel.h"

#include <QBoxLayout>
#include <QTabWidget>

namespace labelscope::ui {

void MainWindow::createHealthPage()
{
    m_healthModel = new HealthModel(m_session, this);
    m_healthPage = new HealthPage(m_session, m_healthModel, this);
    m_tabs->addTab(m_healthPage, tr("Dataset health"));
    m_healthFilter = new HealthFilterBar(m_healthModel, m_gallery->model(), m_gallery);
    if (auto *box = qobject_cast<QBoxLayout *>(m_gallery->layout()))
        box->insertWidget(0, m_healthFilter);
    connect(m_healthPage, &HealthPage::showInGallery, this, [this](IssueType type) {
        m_healthFilter->setIssue(type);
        m_tabs->setCurrentWidget(m_gallery);
        if (m_gallery->model()->rowCount() > 0)
            m_gallery->setCurrentSample(m_gallery->model()->sampleIdAt(0));
    });
    connect(m_healthPage, &HealthPage::sampleActivated, this, &MainWindow::showSample);
    // The scatter's "Health issue" colouring: the first flagged type of each sample.
    m_scatter->setHealthColors([model = m_healthModel](int index) -> QColor {
        if (!model->hasReport())
            return QColor();
        for (const IssueType t : model->issuesOf(index))
            if (t != IssueType::ClassImbalance)
                return HealthModel::issueColor(t);
        return QColor();
    });
    connect(m_healthModel, &HealthModel::changed, m_scatter, &ScatterPanel::refreshColors);
}

} // namespace labelscope::ui
