// labelscope: thin entry point. Headless commands run on QCoreApplication; the review window
// needs a display and the ui library.
#include "commands.h"

#include "base/projectlocation.h"
#include "jobs/job.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QTextStream>

#ifdef LABELSCOPE_HAVE_UI
#include "reviewapp.h"
#include <QApplication>
#endif

#include <memory>

namespace labelscope::app {

static const CommandRegistration analyzeRegistration{
    "analyze", "analyse a dataset for label noise into a project (headless)", runAnalyzeCommand};

QString usage()
{
    QString text = QStringLiteral(
        "Labelscope: find and fix wrong labels in image datasets.\n\n"
        "Usage:\n"
        "  labelscope COMMAND [options]      headless commands (below)\n"
        "  labelscope open FILE              open a project in the review window\n"
        "  labelscope FILE                   same as open\n"
        "  labelscope                        review window with a start page\n"
        "  labelscope analyze ... --open     open the review window at once and analyse in it\n"
        "  labelscope COMMAND --help         help for a command\n\n"
        "Commands:\n");
    for (const Command &c : commands())
        text += QStringLiteral("  %1 %2\n").arg(c.name.leftJustified(16), c.summary);
    text += QStringLiteral(
        "\nExample:\n"
        "  labelscope analyze --data fashion-mnist --project fmnist.lsproj --inject-noise 0.2\n"
        "  labelscope open fmnist.lsproj\n");
    return text;
}

} // namespace labelscope::app

namespace {

#ifdef LABELSCOPE_HAVE_UI
bool hasDisplay()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        || !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}
#endif

int openWindow(int argc, char **argv, const QString &project)
{
#ifdef LABELSCOPE_HAVE_UI
    if (!hasDisplay()) {
        QTextStream(stderr) << "labelscope: no display found (DISPLAY is not set).\n"
                            << "Open the project on a desktop with:  labelscope open "
                            << (project.isEmpty() ? QStringLiteral("FILE") : project) << "\n"
                            << "or here under a virtual display:  xvfb-run -a labelscope open ...\n";
        return 3;
    }
    if (!project.isEmpty() && !labelscope::ProjectLocation::isUrl(project) && !QFileInfo::exists(project)) {
        QTextStream(stderr) << "labelscope: " << project << ": no such project file. Create one with "
                            << "'labelscope analyze --data SPEC --project " << project << "'.\n";
        return 2;
    }
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Labelscope"));
    return labelscope::ui::runReviewWindow(project);
#else
    (void)argc;
    (void)argv;
    QTextStream(stderr) << "labelscope: this build has no review window (built with LABELSCOPE_BUILD_UI=OFF); "
                        << "project: " << project << "\n";
    return 3;
#endif
}

} // namespace

namespace {

int dispatch(int argc, char **argv)
{
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    const QString command = args.size() > 1 ? args.at(1) : QString();

    const labelscope::app::Command *headless = labelscope::app::findCommand(
        command == QLatin1String("analyse") ? QStringLiteral("analyze") : command);
    if (headless) {
#ifdef LABELSCOPE_HAVE_UI
        // `analyze --open` with a display: the review window opens at once and runs the analysis
        // (app/analyzecommand.cpp); without one the command runs headless and says so.
        if (headless->name == QLatin1String("analyze") && args.contains(QStringLiteral("--open")) && hasDisplay()) {
            QApplication app(argc, argv);
            QApplication::setApplicationName(QStringLiteral("Labelscope"));
            return headless->run(args);
        }
#endif
        QCoreApplication app(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("labelscope"));
        return headless->run(args);
    }
    if (command == QLatin1String("--help") || command == QLatin1String("-h") || command == QLatin1String("help")) {
        QTextStream(stdout) << labelscope::app::usage();
        return 0;
    }
    if (command == QLatin1String("open")) {
        if (args.size() > 2 && (args.at(2) == QLatin1String("--help") || args.at(2) == QLatin1String("-h"))) {
            QTextStream(stdout) << "Usage: labelscope open FILE\nOpens a project in the review window.\n";
            return 0;
        }
        if (args.size() != 3) {
            QTextStream(stderr) << "labelscope open: expects one project file.\n\n" << labelscope::app::usage();
            return 2;
        }
        return openWindow(argc, argv, args.at(2));
    }
    if (command.startsWith(QLatin1Char('-'))) {
        QTextStream(stderr) << "labelscope: unknown option '" << command << "'.\n\n" << labelscope::app::usage();
        return 2;
    }
    if (!command.isEmpty() && !QFileInfo::exists(command) && !command.contains(QLatin1Char('.'))) {
        QTextStream(stderr) << "labelscope: unknown command '" << command << "'.\n\n" << labelscope::app::usage();
        return 2;
    }
    return openWindow(argc, argv, command);
}

} // namespace

int main(int argc, char **argv)
{
    // The process-wide exception boundary: jobs turn their own exceptions into errors
    // (core/jobs/job.h); anything thrown outside a job ends here with a message, not an abort.
    try {
        return dispatch(argc, argv);
    } catch (...) {
        QTextStream(stderr) << "labelscope: " << labelscope::exceptionMessage(std::current_exception()) << '\n';
        return 1;
    }
}
