#include "cli.h"

#include "base/confidentlearning.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace labelscope::app {

namespace {

void onSignal(int signal)
{
    Cli::cancelFlag().store(true);
    // A second Ctrl+C ends the process at once (the default action), for a user who can't wait.
    std::signal(signal, SIG_DFL);
}

} // namespace

std::atomic_bool &Cli::cancelFlag()
{
    static std::atomic_bool flag{false};
    return flag;
}

void printSkipped(QTextStream &err, const SkippedItem &item)
{
    err << "skipped: " << item.file << (item.location.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(item.location))
        << ": " << item.reason << '\n';
}

void printOverlappingClasses(QTextStream &err, const std::vector<OverlappingClasses> &pairs,
                             const QStringList &classNames, const QString &what)
{
    if (pairs.empty())
        return;
    QStringList first;
    for (std::size_t i = 0; i < std::min<std::size_t>(5, pairs.size()); ++i)
        first << overlappingPairText(pairs[i], classNames);
    err << "overlapping classes (find_overlapping_classes; " << what << "): " << first.join(QStringLiteral("; ")) << '\n';
}

QString formatSeconds(double s)
{
    if (s < 0 || !std::isfinite(s))
        return QStringLiteral("?");
    const qint64 t = qint64(s + 0.5);
    if (t >= 3600)
        return QStringLiteral("%1h%2m").arg(t / 3600).arg((t % 3600) / 60, 2, 10, QLatin1Char('0'));
    return t >= 60 ? QStringLiteral("%1m%2s").arg(t / 60).arg(t % 60, 2, 10, QLatin1Char('0'))
                   : QStringLiteral("%1s").arg(t);
}

Cli::Cli(QString command, const QString &description) : m_command(std::move(command)), m_err(stderr)
{
    m_parser.setApplicationDescription(description);
    m_parser.addHelpOption();
    m_parser.addPositionalArgument(m_command, QStringLiteral("the command"));
    m_tty = isatty(fileno(stderr));
}

std::optional<int> Cli::parse(const QStringList &arguments, const QList<QCommandLineOption> &required)
{
    if (!m_parser.parse(arguments)) {
        m_err << "labelscope " << m_command << ": " << m_parser.errorText() << "\nSee 'labelscope " << m_command
              << " --help'.\n";
        return ExitUsage;
    }
    if (m_parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << m_parser.helpText().replace(QStringLiteral("[options] ") + m_command,
                                                           m_command + QStringLiteral(" [options]"));
        return ExitOk;
    }
    // Everything after the command name is an option: a stray word is a mistake worth naming.
    const QStringList extra = m_parser.positionalArguments().mid(1);
    if (!extra.isEmpty() && !m_positionals) {
        m_err << "labelscope " << m_command << ": unexpected argument '" << extra.first() << "'.\nSee 'labelscope "
              << m_command << " --help'.\n";
        return ExitUsage;
    }
    for (const QCommandLineOption &o : required)
        if (!m_parser.isSet(o))
            m_usageErrors << QStringLiteral("--%1 %2 is required").arg(o.names().first(), o.valueName());
    return usageErrors();
}

qint64 Cli::integer(const QCommandLineOption &option, qint64 min, qint64 max)
{
    bool ok = false;
    const qint64 v = value(option).trimmed().toLongLong(&ok);
    if (!ok || v < min || v > max) {
        QString range;
        if (min != std::numeric_limits<qint64>::min() && max != std::numeric_limits<qint64>::max())
            range = QStringLiteral(" from %1 to %2").arg(min).arg(max);
        else if (min != std::numeric_limits<qint64>::min())
            range = QStringLiteral(" of at least %1").arg(min);
        usageProblem(QStringLiteral("--%1 expects an integer%2, got '%3'").arg(option.names().first(), range, value(option)));
        return std::clamp<qint64>(0, min, max);
    }
    return v;
}

quint64 Cli::unsignedInteger(const QCommandLineOption &option)
{
    bool ok = false;
    const quint64 v = value(option).trimmed().toULongLong(&ok);
    if (!ok || value(option).trimmed().startsWith(QLatin1Char('-'))) {
        usageProblem(QStringLiteral("--%1 expects a non-negative integer, got '%2'").arg(option.names().first(), value(option)));
        return 0;
    }
    return v;
}

double Cli::number(const QCommandLineOption &option, double min, double max)
{
    bool ok = false;
    const double v = value(option).trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(v) || v < min || v > max) {
        QString range;
        if (min > -std::numeric_limits<double>::max() && max < std::numeric_limits<double>::max())
            range = QStringLiteral(" in [%1, %2]").arg(min).arg(max);
        else if (min > -std::numeric_limits<double>::max())
            range = QStringLiteral(" of at least %1").arg(min);
        usageProblem(QStringLiteral("--%1 expects a finite number%2, got '%3'").arg(option.names().first(), range, value(option)));
        return std::isfinite(v) ? std::clamp(v, min, max) : std::max(min, 0.0);
    }
    return v;
}

std::optional<int> Cli::usageErrors()
{
    if (m_usageErrors.isEmpty())
        return std::nullopt;
    for (const QString &e : m_usageErrors)
        m_err << "labelscope " << m_command << ": " << e << ".\n";
    m_err << "See 'labelscope " << m_command << " --help'.\n";
    m_err.flush();
    m_usageErrors.clear();
    return ExitUsage;
}

int Cli::fail(const QString &message, int code)
{
    endProgress();
    m_err << "labelscope " << m_command << ": " << message << '\n';
    m_err.flush();
    return code;
}

void Cli::installSignalHandlers()
{
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

void Cli::printProgress(const JobProgress &p)
{
    QString line = QStringLiteral("[%1%] %2").arg(int(p.fraction * 100), 3).arg(p.stage);
    if (!p.detail.isEmpty())
        line += QLatin1Char(' ') + p.detail;
    if (p.etaSeconds >= 0)
        line += QStringLiteral(" ETA %1").arg(formatSeconds(p.etaSeconds));
    if (m_tty) {
        m_err << '\r' << line.leftJustified(100) << Qt::flush;
        m_lineOpen = true;
    } else if (p.stage != m_lastStage || p.elapsedSeconds - m_lastLineSeconds >= 5.0) {
        // Into a file or pipe: one line per stage and at most one every five seconds.
        m_err << line << '\n' << Qt::flush;
        m_lastLineSeconds = p.elapsedSeconds;
    }
    m_lastStage = p.stage;
}

void Cli::endProgress()
{
    if (m_lineOpen)
        m_err << '\n' << Qt::flush;
    m_lineOpen = false;
}

} // namespace labelscope::app
