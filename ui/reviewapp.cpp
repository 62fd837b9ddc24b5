#include "reviewapp.h"

#include "mainwindow.h"

#include <QApplication>
#include <QMessageBox>
#include <QTimer>

namespace labelscope::ui {

int runReviewWindow(const QString &projectFile)
{
    if (!qobject_cast<QApplication *>(QCoreApplication::instance())) {
        qWarning("runReviewWindow: a QApplication must exist");
        return 1;
    }
    if (QApplication::applicationDisplayName().isEmpty())
        QApplication::setApplicationDisplayName(QStringLiteral("Labelscope"));
    MainWindow window;
    window.show();
    if (!projectFile.isEmpty()) {
        QString error;
        if (!window.openProject(projectFile, &error)) {
            // Shown once the event loop runs, over the start page.
            QTimer::singleShot(0, &window, [&window, error] {
                QMessageBox::warning(&window, QObject::tr("Open project"), error);
            });
        }
    }
    return QApplication::exec();
}

int runReviewWindowWithAnalysis(const AnalysisParams &params)
{
    if (!qobject_cast<QApplication *>(QCoreApplication::instance())) {
        qWarning("runReviewWindowWithAnalysis: a QApplication must exist");
        return 1;
    }
    if (QApplication::applicationDisplayName().isEmpty())
        QApplication::setApplicationDisplayName(QStringLiteral("Labelscope"));
    MainWindow window;
    window.show();
    window.analyseAndOpen(params);
    return QApplication::exec();
}

} // namespace labelscope::ui
