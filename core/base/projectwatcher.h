#pragma once
// ProjectWatcher (issue 18): tells a window that another connection changed its project (an
// annotator's decision in another window, a class change, a new analysis run written by a
// headless worker), so that every open window shows a decision within a second.
//
// PostgreSQL: LISTEN on the project's channel (ProjectLocation::notifyChannel()) through a
// connection of its own and Qt's QSqlDriver notifications; the store sends NOTIFY inside every
// write transaction that changes labels ("labels"), classes ("classes"), runs ("runs"),
// active-learning rounds ("rounds") or health checks ("health"), so a notification arrives
// only after its data is committed. SQLite: QFileSystemWatcher on the project file, its -wal
// file and its folder (the -wal file comes and goes), debounced by 50 ms; what changed is
// unknown there ("").
//
// Threading: a QObject of the thread that calls watch(); it needs that thread's event loop.
// Changes made through this process's own stores are reported too (the receiver's refresh
// must be idempotent). Errors: watch() returns false with *error naming the project.

#include <QObject>
#include <QString>

#include <memory>

namespace labelscope {

class ProjectWatcher : public QObject {
    Q_OBJECT
public:
    explicit ProjectWatcher(QObject *parent = nullptr);
    ~ProjectWatcher() override;

    /// Starts watching LOCATION (a project file or PostgreSQL URL); stops watching any other.
    bool watch(const QString &location, QString *error = nullptr);
    void stop();
    bool isWatching() const;

Q_SIGNALS:
    /// Another connection committed a change; WHAT = "labels", "classes", "runs", "rounds",
    /// "health", or "" when the backend cannot tell (SQLite).
    void changed(const QString &what);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace labelscope
