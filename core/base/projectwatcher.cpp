#include "projectwatcher.h"

#include "projectlocation.h"
#include "projectschema.h"

#include <QAtomicInteger>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>

namespace labelscope {

struct ProjectWatcher::Private {
    QString connection;          // PostgreSQL: the LISTEN connection
    QFileSystemWatcher *files = nullptr;
    QTimer *debounce = nullptr;  // SQLite: one signal for a burst of file events
    QString file;
};

ProjectWatcher::ProjectWatcher(QObject *parent) : QObject(parent), d(std::make_unique<Private>()) {}

ProjectWatcher::~ProjectWatcher()
{
    stop();
}

bool ProjectWatcher::isWatching() const
{
    return !d->connection.isEmpty() || d->files;
}

void ProjectWatcher::stop()
{
    if (!d->connection.isEmpty()) {
        {
            QSqlDatabase db = QSqlDatabase::database(d->connection, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(d->connection);
        d->connection.clear();
    }
    delete d->files;
    d->files = nullptr;
    delete d->debounce;
    d->debounce = nullptr;
}

bool ProjectWatcher::watch(const QString &text, QString *error)
{
    stop();
    const Result<ProjectLocation> location = ProjectLocation::parse(text);
    auto fail = [&](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (!location)
        return fail(location.error());
    if (location->isPostgres()) {
        static QAtomicInteger<quint64> counter;
        const QString name = QStringLiteral("labelscope-watch-%1").arg(counter.fetchAndAddRelaxed(1));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
            location->configure(db);
            if (!db.open()) {
                const QString message = QStringLiteral("%1: watch: %2").arg(location->display(), sqlError(db.lastError()));
                db = QSqlDatabase();
                QSqlDatabase::removeDatabase(name);
                return fail(message);
            }
            if (!db.driver()->subscribeToNotification(location->notifyChannel())) {
                const QString message = QStringLiteral("%1: watch: LISTEN failed: %2")
                                            .arg(location->display(), sqlError(db.driver()->lastError()));
                db.close();
                db = QSqlDatabase();
                QSqlDatabase::removeDatabase(name);
                return fail(message);
            }
            connect(db.driver(), &QSqlDriver::notification, this,
                    [this](const QString &, QSqlDriver::NotificationSource, const QVariant &payload) {
                        Q_EMIT changed(payload.toString());
                    });
        }
        d->connection = name;
        return true;
    }
    const QFileInfo info(location->file);
    if (!info.exists())
        return fail(QStringLiteral("%1: watch: no such project file").arg(location->file));
    d->file = info.absoluteFilePath();
    d->files = new QFileSystemWatcher(this);
    d->debounce = new QTimer(this);
    d->debounce->setSingleShot(true);
    d->debounce->setInterval(50);
    connect(d->debounce, &QTimer::timeout, this, [this] { Q_EMIT changed(QString()); });
    auto rewatch = [this] {
        // The -wal file is created by the first writer and removed by the last one to close.
        const QString wal = d->file + QStringLiteral("-wal");
        if (QFileInfo::exists(wal) && !d->files->files().contains(wal))
            d->files->addPath(wal);
        if (!d->files->files().contains(d->file) && QFileInfo::exists(d->file))
            d->files->addPath(d->file);
    };
    d->files->addPath(d->file);
    d->files->addPath(info.absolutePath());
    rewatch();
    connect(d->files, &QFileSystemWatcher::fileChanged, this, [this, rewatch](const QString &) {
        rewatch();
        d->debounce->start();
    });
    connect(d->files, &QFileSystemWatcher::directoryChanged, this, [this, rewatch](const QString &) {
        const bool hadWal = d->files->files().contains(d->file + QStringLiteral("-wal"));
        rewatch();
        if (!hadWal && d->files->files().contains(d->file + QStringLiteral("-wal")))
            d->debounce->start();
    });
    return true;
}

} // namespace labelscope
