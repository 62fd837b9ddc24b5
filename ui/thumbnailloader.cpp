#include "thumbnailloader.h"

#include "uicommon.h"

#include <QMutexLocker>
#include <QThread>

#include <algorithm>

namespace labelscope::ui {

ThumbnailLoader::ThumbnailLoader(QObject *parent) : QObject(parent)
{
    m_cache.setMaxCost(96 * 1024);
    m_maxRunning = std::clamp(QThread::idealThreadCount() - 1, 1, 4);
    m_pool.setMaxThreadCount(m_maxRunning);
    m_pool.setExpiryTimeout(5000);
}

ThumbnailLoader::~ThumbnailLoader()
{
    {
        QMutexLocker lock(&m_mutex);
        m_queue.clear();
        m_inQueue.clear();
    }
    m_generation.fetch_add(1);
    m_pool.waitForDone();
}

void ThumbnailLoader::setThumbnailSize(int side)
{
    if (side == m_side)
        return;
    m_side = side;
    clear();
}

void ThumbnailLoader::setCacheLimitKiB(int kib) { m_cache.setMaxCost(std::max(kib, 1)); }

QImage ThumbnailLoader::thumbnail(qint64 id, const Sample &sample, State *state)
{
    if (const QImage *img = m_cache.object(id)) {
        if (state)
            *state = State::Ready;
        return *img;
    }
    if (m_failed.contains(id)) {
        if (state)
            *state = State::Failed;
        return {};
    }
    if (state)
        *state = State::Loading;
    enqueue(id, sample, true);
    return {};
}

ThumbnailLoader::State ThumbnailLoader::state(qint64 id) const
{
    if (m_cache.contains(id))
        return State::Ready;
    return m_failed.contains(id) ? State::Failed : State::Loading;
}

void ThumbnailLoader::prefetch(qint64 id, const Sample &sample)
{
    if (m_cache.contains(id) || m_failed.contains(id))
        return;
    enqueue(id, sample, false);
}

void ThumbnailLoader::enqueue(qint64 id, const Sample &sample, bool front)
{
    QMutexLocker lock(&m_mutex);
    const int gen = m_generation.load();
    if (m_inQueue.contains(id)) {
        if (!front)
            return;
        // Already waiting: move it to the front (it is on screen now).
        auto it = std::find_if(m_queue.begin(), m_queue.end(),
                               [id](const Request &r) { return r.id == id; });
        if (it == m_queue.end() || it == m_queue.begin())
            return; // being decoded, or already first
        Request r = std::move(*it);
        m_queue.erase(it);
        m_queue.push_front(std::move(r));
        return;
    }
    if (front)
        m_queue.push_front({id, sample, gen, m_side});
    else
        m_queue.push_back({id, sample, gen, m_side});
    m_inQueue.insert(id);
    while (m_queue.size() > kMaxQueue) {
        m_inQueue.remove(m_queue.back().id);
        m_queue.pop_back();
    }
    if (m_running < m_maxRunning) {
        ++m_running;
        m_pool.start([this] { work(); });
    }
}

void ThumbnailLoader::work()
{
    for (;;) {
        Request req;
        {
            QMutexLocker lock(&m_mutex);
            if (m_queue.empty()) {
                --m_running;
                return;
            }
            req = std::move(m_queue.front());
            m_queue.pop_front();
        }
        if (req.generation != m_generation.load())
            continue; // the project changed meanwhile
        const QImage image = loadImage(req.sample, nullptr, req.side);
        const QImage thumb = image.isNull() ? QImage() : fitImage(image, QSize(req.side, req.side));
        // Queued to the GUI thread; dropped by Qt if this object is gone (the destructor waits
        // for the pool, so it is alive here).
        QMetaObject::invokeMethod(
            this, [this, id = req.id, thumb, gen = req.generation] { deliver(id, thumb, gen); },
            Qt::QueuedConnection);
    }
}

void ThumbnailLoader::deliver(qint64 id, const QImage &image, int generation)
{
    {
        QMutexLocker lock(&m_mutex);
        if (generation == m_generation.load())
            m_inQueue.remove(id);
    }
    if (generation != m_generation.load())
        return;
    if (image.isNull()) {
        m_failed.insert(id);
    } else {
        const int cost = std::max<qsizetype>(1, image.sizeInBytes() / 1024);
        m_cache.insert(id, new QImage(image), int(cost));
    }
    Q_EMIT thumbnailReady(id);
}

void ThumbnailLoader::clear()
{
    {
        QMutexLocker lock(&m_mutex);
        m_queue.clear();
        m_inQueue.clear();
        m_generation.fetch_add(1);
    }
    m_cache.clear();
    m_failed.clear();
}

int ThumbnailLoader::pending() const
{
    QMutexLocker lock(&m_mutex);
    return int(m_queue.size());
}

QImage ThumbnailLoader::loadImage(const Sample &sample, QString *error, int minSide)
{
    DecodedImage decoded;
    QString err;
    if (!loadSampleImage(sample, &decoded, &err, minSide)) {
        if (error)
            *error = err.isEmpty() ? QStringLiteral("cannot read image") : err;
        return {};
    }
    QImage img = toQImage(decoded);
    if (img.isNull() && error)
        *error = QStringLiteral("unsupported image layout (%1 channels)").arg(decoded.channels);
    return img;
}

} // namespace labelscope::ui
