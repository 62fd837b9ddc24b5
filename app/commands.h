#pragma once
// Sub-commands of the labelscope executable. Each command lives in its own app/*command.cpp and
// registers itself with a file-scope CommandRegistration, so adding a command touches no other
// file:
//
//     static const labelscope::app::CommandRegistration registration{
//         "tsne", "2-D t-SNE layout of a float32 .npy matrix", runTsneCommand};
//
// A command's function receives every argument (argv[0] is the program, argv[1] the command
// name) and returns the process exit code. It runs inside a QCoreApplication.

#include <QString>
#include <QStringList>

#include <vector>

namespace labelscope::app {

using CommandFunction = int (*)(const QStringList &arguments);

struct Command {
    QString name;     ///< as typed: "analyze", "find-issues", ...
    QString summary;  ///< one line for the usage text
    CommandFunction run = nullptr;
};

/// All registered headless commands, sorted by name.
std::vector<Command> commands();

/// The command with this name (or alias), or nullptr.
const Command *findCommand(const QString &name);

struct CommandRegistration {
    CommandRegistration(const char *name, const char *summary, CommandFunction run);
};

/// `labelscope analyze ...`: headless analysis; returns the process exit code.
int runAnalyzeCommand(const QStringList &arguments);

/// Top-level usage text.
QString usage();

} // namespace labelscope::app
