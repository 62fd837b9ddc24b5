#include "projectlocation.h"

#include <QRegularExpression>
#include <QSqlDatabase>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

namespace labelscope {

bool ProjectLocation::isUrl(const QString &text)
{
    return text.startsWith(QLatin1String("postgresql://"), Qt::CaseInsensitive)
        || text.startsWith(QLatin1String("postgres://"), Qt::CaseInsensitive);
}

Result<ProjectLocation> ProjectLocation::parse(const QString &text)
{
    ProjectLocation l;
    if (!isUrl(text)) {
        l.file = text;
        return l;
    }
    l.backend = Backend::PostgreSQL;
    auto refuse = [&](const QString &why) {
        // The text is echoed only when it holds no password (checked first below).
        return Result<ProjectLocation>::failure(QStringLiteral("%1: %2").arg(text, why));
    };
    const QUrl url(text, QUrl::StrictMode);
    // USER:PASSWORD@ in the authority (before the first '/' or '?'), even an empty password.
    const QString authority = text.section(QLatin1String("://"), 1).section(QRegularExpression(QStringLiteral("[/?]")), 0, 0);
    const qsizetype at = authority.lastIndexOf(QLatin1Char('@'));
    if (!url.password().isEmpty() || (at >= 0 && authority.left(at).contains(QLatin1Char(':'))))
        return Result<ProjectLocation>::failure(QStringLiteral(
            "a PostgreSQL project URL must not hold a password: give it through libpq (~/.pgpass or "
            "PGPASSFILE, PGPASSWORD, or a service file), never in the project's name"));
    if (!url.isValid())
        return refuse(QStringLiteral("not a valid URL (%1)").arg(url.errorString()));
    l.host = url.host();
    l.port = url.port(-1);
    l.user = url.userName();
    l.database = url.path().mid(1);
    if (l.database.contains(QLatin1Char('/')))
        return refuse(QStringLiteral("the path must be one database name"));
    const QUrlQuery query(url);
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (key == QLatin1String("project"))
            l.project = value;
        else if (key == QLatin1String("sslmode"))
            l.sslmode = value;
        else if (key == QLatin1String("connect_timeout")) {
            bool ok = false;
            l.connectTimeout = value.toInt(&ok);
            if (!ok || l.connectTimeout < 1 || l.connectTimeout > 600)
                return refuse(QStringLiteral("connect_timeout must be 1..600 seconds"));
        } else if (key == QLatin1String("host"))
            l.host = value;
        else if (key == QLatin1String("port")) {
            bool ok = false;
            l.port = value.toInt(&ok);
            if (!ok)
                return refuse(QStringLiteral("the port must be a number"));
        } else if (key == QLatin1String("user"))
            l.user = value;
        else if (key == QLatin1String("dbname"))
            l.database = value;
        else if (key == QLatin1String("service"))
            l.service = value;
        else if (key == QLatin1String("password"))
            return Result<ProjectLocation>::failure(QStringLiteral(
                "a PostgreSQL project URL must not hold a password: give it through libpq (~/.pgpass "
                "or PGPASSFILE, PGPASSWORD, or a service file)"));
        else
            return refuse(QStringLiteral("unknown parameter '%1' (known: project, sslmode, connect_timeout, "
                                         "host, port, user, dbname, service)")
                              .arg(key));
    }
    if (l.port != -1 && (l.port < 1 || l.port > 65535))
        return refuse(QStringLiteral("the port must be 1..65535"));
    static const QStringList sslModes = {QStringLiteral("disable"), QStringLiteral("allow"), QStringLiteral("prefer"),
                                         QStringLiteral("require"), QStringLiteral("verify-ca"),
                                         QStringLiteral("verify-full")};
    if (!l.sslmode.isEmpty() && !sslModes.contains(l.sslmode))
        return refuse(QStringLiteral("sslmode must be one of %1").arg(sslModes.join(QStringLiteral(", "))));
    if (l.project.isEmpty())
        return refuse(QStringLiteral("name the project: ?project=NAME (one database holds many projects)"));
    static const QRegularExpression name(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]{0,59}$"));
    if (!name.match(l.project).hasMatch())
        return refuse(QStringLiteral("the project name '%1' must be letters, digits and _ (at most 60, not "
                                     "starting with a digit)")
                          .arg(l.project));
    if (l.project.startsWith(QLatin1String("pg_"), Qt::CaseInsensitive)
        || l.project.compare(QLatin1String("public"), Qt::CaseInsensitive) == 0
        || l.project.compare(QLatin1String("information_schema"), Qt::CaseInsensitive) == 0)
        return refuse(QStringLiteral("the project name '%1' is reserved by PostgreSQL").arg(l.project));
    return l;
}

QString ProjectLocation::display() const
{
    if (!isPostgres())
        return file;
    QUrl url;
    url.setScheme(QStringLiteral("postgresql"));
    if (!host.startsWith(QLatin1Char('/')))
        url.setHost(host);
    url.setPort(port);
    url.setUserName(user);
    url.setPath(QLatin1Char('/') + database);
    QUrlQuery query;
    if (host.startsWith(QLatin1Char('/')))
        query.addQueryItem(QStringLiteral("host"), host);
    query.addQueryItem(QStringLiteral("project"), project);
    if (!sslmode.isEmpty())
        query.addQueryItem(QStringLiteral("sslmode"), sslmode);
    if (!service.isEmpty())
        query.addQueryItem(QStringLiteral("service"), service);
    url.setQuery(query);
    return url.toString();
}

QString ProjectLocation::key() const
{
    if (!isPostgres())
        return file;
    return QStringLiteral("postgresql|%1|%2|%3|%4|%5|%6").arg(host).arg(port).arg(user, database, service, project);
}

void ProjectLocation::configure(QSqlDatabase &db) const
{
    if (!host.isEmpty())
        db.setHostName(host);
    if (port > 0)
        db.setPort(port);
    if (!user.isEmpty())
        db.setUserName(user);
    if (!database.isEmpty())
        db.setDatabaseName(database);
    QStringList options{QStringLiteral("connect_timeout=%1").arg(connectTimeout),
                        QStringLiteral("application_name=labelscope"),
                        // The server's notices ("schema ... does not exist, skipping") stay off stderr.
                        QStringLiteral("options=-cclient_min_messages=warning")};
    if (!sslmode.isEmpty())
        options << QStringLiteral("sslmode=%1").arg(sslmode);
    if (!service.isEmpty())
        options << QStringLiteral("service=%1").arg(service);
    db.setConnectOptions(options.join(QLatin1Char(';')));
}

QString ProjectLocation::quotedSchema() const
{
    // parse() admits only [A-Za-z0-9_]: quoting keeps the case as written.
    return QLatin1Char('"') + project + QLatin1Char('"');
}

} // namespace labelscope
