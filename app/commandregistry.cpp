#include "commands.h"

#include <algorithm>

namespace labelscope::app {

namespace {

// Function-local static: registrations run during static initialisation of other translation
// units, in an unspecified order.
std::vector<Command> &registry()
{
    static std::vector<Command> commands;
    return commands;
}

} // namespace

CommandRegistration::CommandRegistration(const char *name, const char *summary, CommandFunction run)
{
    registry().push_back(Command{QString::fromLatin1(name), QString::fromUtf8(summary), run});
}

std::vector<Command> commands()
{
    std::vector<Command> sorted = registry();
    std::sort(sorted.begin(), sorted.end(), [](const Command &a, const Command &b) { return a.name < b.name; });
    return sorted;
}

const Command *findCommand(const QString &name)
{
    for (const Command &c : registry())
        if (c.name == name)
            return &c;
    return nullptr;
}

} // namespace labelscope::app
