#pragma once
// ThumbnailLoader: decodes and scales sample thumbnails off the GUI thread.
//
// thumbnail() is called from paint code, so only visible items are ever requested. A miss queues
// the sample (newest request first, so that after fast scrolling the items now on screen load
// before the ones scrolled past; the queue is capped and stale requests fall off) and returns a
// null image; the delegate paints a placeholder. Results come back on the GUI thread through
// thumbnailReady() and live in a QCache keyed by sample id.

#include "base/dataset.h"

#include <QCache>
#include <QImage>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <QThreadPool>

#include <atomic>
#include <deque>

namespace labelscope::ui {

class ThumbnailLoader : public QObject {
    Q_OBJECT
public:
    enum class State { Loading, Ready, Failed };

    explicit ThumbnailLoader(QObject *parent = nullptr);
    ~ThumbnailLoader() override;

    /// Side of the square box thumbnails are scaled into. Changing it clears the cache.
    void setThumbnailSize(int side);
    int thumbnailSize() const { return m_side; }
    /// Cache size in KiB (default 96 MiB).
    void setCacheLimitKiB(int kib);

    /// The cached thumbnail of sample ID, or a null image (queued for loading) while it loads.
    QImage thumbnail(qint64 id, const Sample &sample, State *state = nullptr);
    /// Queues without returning anything (used to preload the next items).
    void prefetch(qint64 id, const Sample &sample);
    bool isCached(qint64 id) const { return m_cache.contains(id); }
    /// State without queuing anything.
    State state(qint64 id) const;
    /// Forgets everything (another project was opened); running jobs finish and are dropped.
    void clear();
    /// Requests waiting (not yet started).
    int pending() const;
    /// Thumbnails held in the cache.
    int cachedCount() const { return int(m_cache.count()); }

    /// Loads and decodes one sample synchronously (any thread). Null image and *error on failure.
    /// minSide > 0: a large JPEG may come reduced, both sides still at least minSide (for a
    /// picture that will be shown smaller; see decodeImageFile).
    static QImage loadImage(const Sample &sample, QString *error = nullptr, int minSide = 0);

Q_SIGNALS:
    void thumbnailReady(qint64 sampleId);

private:
    struct Request {
        qint64 id;
        Sample sample;
        int generation;
        int side;
    };
    void enqueue(qint64 id, const Sample &sample, bool front);
    void work();
    void deliver(qint64 id, const QImage &image, int generation);

    int m_side = 84;
    QCache<qint64, QImage> m_cache;       // GUI thread only
    QSet<qint64> m_failed;                // GUI thread only
    mutable QMutex m_mutex;               // guards the members below
    std::deque<Request> m_queue;
    QSet<qint64> m_inQueue;               // queued or being decoded
    int m_running = 0;
    int m_maxRunning = 2;
    std::atomic<int> m_generation{0};
    QThreadPool m_pool;
    static constexpr std::size_t kMaxQueue = 400;
};

} // namespace labelscope::ui
