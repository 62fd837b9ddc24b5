// `labelscope export`: the cleaned dataset as a CSV or an ImageFolder tree per split, the same
// files as the review window's File menu writes (ui/exporter.h; issue 17). Built only with the
// ui library (LABELSCOPE_BUILD_UI), which the exports live in.

#ifdef LABELSCOPE_HAVE_UI

#include "cli.h"
#include "commands.h"

#include "exporter.h"
#include "exportrunner.h"
#include "reviewsession.h"

#include <QFileInfo>

#include <chrono>
#include <future>

namespace labelscope::app {

int runExportCommand(const QStringList &arguments);

int runExportCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("export"), QStringLiteral(
        "Write the project's samples with their current labels, as the review window's File menu does.\n"
        "  --csv FILE         one row per sample: id,path,label,category,relabelled,excluded,split\n"
        "                     (id: the sample's number N in the project; split: train or test)\n"
        "  --images           with --csv: samples stored inside IDX files are also written as PNG\n"
        "                     files FILE_images/<split>/<N>.png (FILE without its suffix) and the\n"
        "                     CSV's path is that file, relative to the CSV's folder; without it\n"
        "                     their path is <idxfile>#<index>, which only Labelscope reads\n"
        "  --image-folder DIR DIR/train/<class>/<N>.png and DIR/test/<class>/<N>.png for every kept\n"
        "                     (labelled, not excluded) sample under its current label, and\n"
        "                     DIR/classes.txt (folder<TAB>class name, in label order)\n"
        "The CSV is written atomically: on an error or Ctrl+C the earlier file (if any) stays."));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Project file or URL."), QStringLiteral("FILE"));
    const QCommandLineOption csv(QStringLiteral("csv"), QStringLiteral("Write the CSV to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption images(QStringLiteral("images"), QStringLiteral("With --csv: write IDX samples as PNG files beside it."));
    const QCommandLineOption folder(QStringLiteral("image-folder"), QStringLiteral("Write the ImageFolder tree into DIR."), QStringLiteral("DIR"));
    cli.addOptions({project, csv, images, folder});
    if (const auto exit = cli.parse(arguments, {project}))
        return *exit;
    if (cli.isSet(csv) == cli.isSet(folder))
        cli.usageProblem(QStringLiteral("give either --csv FILE or --image-folder DIR"));
    if (cli.isSet(images) && !cli.isSet(csv))
        cli.usageProblem(QStringLiteral("--images goes with --csv"));
    if (const auto exit = cli.usageErrors())
        return *exit;

    ui::ReviewSession session;
    QString error;
    if (!session.open(cli.value(project), &error))
        return cli.fail(error);
    const ui::ExportSnapshot snapshot = ui::exportSnapshot(session);
    const bool toCsv = cli.isSet(csv);
    const QString target = toCsv ? cli.value(csv) : cli.value(folder);
    ui::CsvExportOptions options;
    options.writeImages = cli.isSet(images);

    const Result<ui::ExportResult> done = cli.run<ui::ExportResult>(QStringLiteral("export"), [&](JobContext &context) {
        context.stage(toCsv ? QStringLiteral("writing the CSV") : QStringLiteral("writing images"), 0.0, 1.0);
        // The export runs on a worker thread so that this one reports progress and passes Ctrl+C on.
        ui::ExportStatus status;
        std::future<ui::ExportResult> running = std::async(std::launch::async, [&] {
            return toCsv ? ui::exportCsv(snapshot, target, &status, options)
                         : ui::exportImageFolder(snapshot, target, &status);
        });
        while (running.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
            if (context.isCancelled())
                status.cancel = true;
            const qint64 total = status.total.load();
            if (total > 0)
                context.progress(double(status.done.load()) / double(total),
                                 QStringLiteral("%1 of %2").arg(status.done.load()).arg(total));
        }
        const ui::ExportResult r = running.get();
        if (r.cancelled)
            return Result<ui::ExportResult>::cancelled();
        if (!r.ok)
            return Result<ui::ExportResult>::failure(r.error);
        return Result<ui::ExportResult>(r);
    });
    if (!done)
        return cli.fail(done);
    const ui::ExportResult &r = done.value();
    if (toCsv)
        cli.err() << QStringLiteral("exported %1 rows%2 to %3")
                         .arg(r.written)
                         .arg(r.images > 0 ? QStringLiteral(" and %1 image files (%2)").arg(r.images).arg(ui::csvImagesFolder(target))
                                           : QString())
                         .arg(target)
                  << '\n';
    else
        cli.err() << QStringLiteral("exported %1 images to %2").arg(r.written).arg(target) << '\n';
    cli.err().flush();
    if (r.failed > 0)
        return cli.fail(QStringLiteral("%1 images could not be written; the first: %2").arg(r.failed).arg(r.error));
    return ExitOk;
}

static const CommandRegistration exportRegistration{
    "export", "the cleaned dataset as a CSV (optionally with PNG files) or an ImageFolder per split", runExportCommand};

} // namespace labelscope::app

#endif // LABELSCOPE_HAVE_UI
