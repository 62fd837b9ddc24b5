#include "exportrunner.h"

#include "reviewsession.h"
#include "uicommon.h"

#include "jobs/jobrunner.h"

#include <QPointer>
#include <QMainWindow>
#include <QMessageBox>
#include <QProgressDialog>
#include <QStatusBar>
#include <QTimer>

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

QString exportJobName()
{
    return QStringLiteral("export");
}

void runExportWithProgress(QMainWindow *window, const QString &title, std::function<ExportResult(ExportStatus *)> job,
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
    JobRunner *jobs = jobRunnerFor(window);
    QObject::connect(dialog, &QProgressDialog::canceled, dialog, [jobs, status] {
        status->cancel = true;
        jobs->cancel(exportJobName());
    });
    QPointer<QMainWindow> win(window);
    QPointer<QProgressDialog> dlg(dialog);
    timer->start();
    jobs->start<ExportResult>(
        exportJobName(),
        [job = std::move(job), status](JobContext &context) {
            const ExportResult r = job(status.get());
            if (r.cancelled || context.isCancelled())
                return Result<ExportResult>::cancelled();
            return Result<ExportResult>(r);
        },
        [win, dlg, what](Result<ExportResult> result) {
            if (dlg)
                dlg->deleteLater();
            if (!win)
                return;
            if (result.isCancelled()) {
                win->statusBar()->showMessage(QObject::tr("Export cancelled."), 6000);
            } else if (!result) {
                QMessageBox::warning(win, QObject::tr("Export"), result.error());
            } else if (!result->ok) {
                QMessageBox::warning(win, QObject::tr("Export"), result->error);
            } else {
                QString msg = result->images > 0
                    ? QObject::tr("Exported %L1 %2 and %L3 image files.").arg(result->written).arg(what).arg(result->images)
                    : QObject::tr("Exported %L1 %2.").arg(result->written).arg(what);
                if (result->failed > 0) {
                    msg += QObject::tr(" %L1 could not be written; first problem: %2").arg(result->failed).arg(result->error);
                    QMessageBox::warning(win, QObject::tr("Export"), msg);
                }
                win->statusBar()->showMessage(msg, 10000);
            }
        });
}

} // namespace labelscope::ui
