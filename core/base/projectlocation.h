#pragma once
// Where a project lives (issue 18): an SQLite file (any path: the embedded default) or a
// project inside a PostgreSQL database that a team shares, named by a URL
//
//   postgresql://[USER@]HOST[:PORT]/DBNAME?project=NAME[&sslmode=MODE][&connect_timeout=S]
//   postgresql:///DBNAME?project=NAME&host=/run/postgresql     (a Unix socket folder)
//   postgresql:///?service=SERVICE&project=NAME                (libpq's service file)
//
// (also postgres://). A PostgreSQL project is one schema of the database, named NAME
// ([A-Za-z_][A-Za-z0-9_]*, at most 60 characters); its tables are those of the SQLite file.
// Credentials go only through libpq's own mechanisms (~/.pgpass or PGPASSFILE, PGPASSWORD, a
// service file): a URL with a password is refused, so a password never reaches a project,
// the settings, a log or an error message.
//
// Errors: parse() refuses a malformed URL naming what is wrong (unknown parameter, missing
// project, bad port, password given, bad sslmode); it never touches the network.

#include "result.h"

#include <QString>

class QSqlDatabase;

namespace labelscope {

struct ProjectLocation {
    enum class Backend { SQLite, PostgreSQL };
    Backend backend = Backend::SQLite;
    QString file; ///< SQLite: the path as given

    // PostgreSQL (empty = libpq's default or environment: PGHOST, PGPORT, PGUSER, ...)
    QString host;
    int port = -1;
    QString user;
    QString database;
    QString project;        ///< the schema holding the project
    QString sslmode;        ///< disable, allow, prefer, require, verify-ca, verify-full
    int connectTimeout = 5; ///< seconds before a server that does not answer is reported
    QString service;        ///< a libpq service name

    bool isPostgres() const { return backend == Backend::PostgreSQL; }
    /// The location as a user writes it (the file, or the URL without anything secret).
    QString display() const;
    /// What identifies the project in this process (the writer registry's key; the file's
    /// canonical path for SQLite is computed by the store).
    QString key() const;
    /// Sets up DB (a QPSQL connection, not yet open): host, port, user, database and the connect
    /// options (sslmode, connect_timeout, service). The password is left to libpq.
    void configure(QSqlDatabase &db) const;
    /// The schema name quoted as an SQL identifier.
    QString quotedSchema() const;
    /// The LISTEN/NOTIFY channel of the project ("ls_" + project: at most 63 characters).
    QString notifyChannel() const { return QStringLiteral("ls_") + project; }

    /// True for text that names a PostgreSQL project (postgresql:// or postgres://).
    static bool isUrl(const QString &text);
    /// Parses TEXT: a URL as above, anything else is a file path.
    static Result<ProjectLocation> parse(const QString &text);
};

} // namespace labelscope
