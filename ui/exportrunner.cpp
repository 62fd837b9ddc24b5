#include "exportrunner.h"

#include "reviewsession.h"

#include <QFutureWatcher>
#include <QMainWindow>
#include <QMessageBox>
#include <QProgressDialog>
#include <QStatusBar>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <memory>

namespace labelscope::ui {

ExportSnapshot exportSnapshot(const ReviewSession &session)
{
    ExportSnapshot snap;
    snap.classes = session.classes();
    snap.rows = session.rows();
    snap.categories.reserve(snap.rows.size());
    for (int i = 0; i < session.count(); ++i)
        snap.categories.push_back(session.category(i));
    return snap;
}

QFuture<ExportResult> runExportWithProgress(QMainWindow *window, const QString &title,
                                            std::function<ExportResult(ExportStatus *)> job,
                                            const QString &what)
{
    auto status = std::make_shared<ExportStatus>();
    auto *dialog = new QProgressDialog(title, QObject::tr("Cancel"), 0, 1000, window);
    dialog->setObjectName(QStringLiteral("exportProgress"));
    dialog->setWindowModality(Qt::WindowModal);
    dialog->setMinimumDuration(300);
    dialog->setAutoClose(false);
    dialog->setAutoReset(false);
    dialog->setValue(0);
    auto *timer = new QTimer(dialog);
    timer->setInterval(100);
    QObject::connect(timer, &QTimer::timeout, dialog, [dialog, status] {
        const qint64 total = status->total.load();
        if (total > 0)
            dialog->setValue(int(1000 * status->done.load() / total));
    });
    QObject::connect(dialog, &QProgressDialog::canceled, dialog, [status] { status->cancel = true; });
    auto *watcher = new QFutureWatcher<ExportResult>(window);
    QObject::connect(watcher, &QFutureWatcher<ExportResult>::finished, window, [window, watcher, dialog, what] {
        const ExportResult r = watcher->result();
        watcher->deleteLater();
        dialog->deleteLater();
        if (r.cancelled) {
            window->statusBar()->showMessage(QObject::tr("Export cancelled."), 6000);
        } else if (!r.ok) {
            QMessageBox::warning(window, QObject::tr("Export"), r.error);
        } else {
            QString msg = QObject::tr("Exported %L1 %2.").arg(r.written).arg(what);
            if (r.failed > 0) {
                msg += QObject::tr(" %L1 could not be written; first problem: %2").arg(r.failed).arg(r.error);
                QMessageBox::warning(window, QObject::tr("Export"), msg);
            }
            window->statusBar()->showMessage(msg, 10000);
        }
    });
    timer->start();
    QFuture<ExportResult> future = QtConcurrent::run([job = std::move(job), status] { return job(status.get()); });
    watcher->setFuture(future);
    return future;
}

} // namespace labelscope::ui
