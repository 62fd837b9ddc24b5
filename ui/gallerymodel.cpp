#include "gallerymodel.h"

#include "reviewsession.h"
#include "thumbnailloader.h"
#include "uicommon.h"

#include "base/projectstore.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace labelscope::ui {

GalleryModel::GalleryModel(ReviewSession *session, ThumbnailLoader *loader, QObject *parent)
    : QAbstractListModel(parent), m_session(session), m_loader(loader)
{
    connect(m_session, &ReviewSession::reloaded, this, &GalleryModel::rebuild);
    connect(m_session, &ReviewSession::samplesChanged, this, &GalleryModel::onSamplesChanged);
    connect(m_loader, &ThumbnailLoader::thumbnailReady, this, &GalleryModel::onThumbnailReady);
    rebuild();
}

int GalleryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int GalleryModel::totalCount() const { return m_session->count(); }

int GalleryModel::sessionIndexAt(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? m_rows[std::size_t(row)] : -1;
}

qint64 GalleryModel::sampleIdAt(int row) const
{
    const int i = sessionIndexAt(row);
    return i < 0 ? -1 : m_session->row(i).id;
}

int GalleryModel::rowOfSample(qint64 id) const
{
    const int i = m_session->indexOf(id);
    return i < 0 || i >= int(m_pos.size()) ? -1 : m_pos[std::size_t(i)];
}

QModelIndex GalleryModel::indexOfSample(qint64 id) const
{
    const int r = rowOfSample(id);
    return r < 0 ? QModelIndex() : index(r);
}

Qt::ItemFlags GalleryModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
}

QColor GalleryModel::uncertaintyColor(double t)
{
    // Blue → sky → yellow → orange → red, evenly spaced (saturated throughout, so that a thin
    // frame stays readable; a two-stop blue → yellow mix would pass through grey).
    static const QColor stops[] = {QColor(0x2c, 0x7b, 0xb6), QColor(0x4e, 0xb3, 0xd3), QColor(0xf5, 0xc8, 0x1b),
                                   QColor(0xf4, 0x6d, 0x1e), QColor(0xd7, 0x19, 0x1c)};
    constexpr int segments = int(sizeof(stops) / sizeof(stops[0])) - 1;
    if (!std::isfinite(t))
        t = 0;
    t = std::clamp(t, 0.0, 1.0) * segments;
    const int k = std::min(segments - 1, int(t));
    const double u = t - k;
    const QColor &a = stops[k], &b = stops[k + 1];
    auto mix = [u](int x, int y) { return int(std::lround(x + (y - x) * u)); };
    return QColor(mix(a.red(), b.red()), mix(a.green(), b.green()), mix(a.blue(), b.blue()));
}

float GalleryModel::uncertainty(int i) const
{
    if (m_alView != AlView::Pool || i < 0 || std::size_t(i) >= m_alScore.size())
        return std::numeric_limits<float>::quiet_NaN();
    return m_alScore[std::size_t(i)];
}

QString GalleryModel::caption(int i) const
{
    const SampleRow &r = m_session->row(i);
    QString text = className(m_session->classes(), r.label);
    if (r.label != r.givenLabel)
        text += QStringLiteral(" \u270E"); // pencil: relabelled
    if (r.excluded)
        text += QStringLiteral(" \u2715"); // cross: excluded
    const float u = uncertainty(i);
    if (std::isfinite(u))
        text = QStringLiteral("%1 \u00B7 %2").arg(double(u), 0, 'f', 3).arg(text);
    return text;
}

QString GalleryModel::toolTip(int i) const
{
    const SampleRow &r = m_session->row(i);
    const QStringList &classes = m_session->classes();
    QString tip = QStringLiteral("#%1  %2\nGiven: %3\nCurrent: %4")
                      .arg(r.id)
                      .arg(samplePath(r.sample), className(classes, r.givenLabel),
                           className(classes, r.label));
    if (r.excluded)
        tip += QStringLiteral(" (excluded)");
    const float u = uncertainty(i);
    if (std::isfinite(u))
        tip += QStringLiteral("\nUncertainty: %1 (rank %2 of %3 in the pool of active-learning round %4)")
                   .arg(double(u), 0, 'f', 4)
                   .arg(m_alPos[std::size_t(i)] + 1)
                   .arg(m_alCount)
                   .arg(m_alRound);
    else if (m_alView == AlView::Queue && std::size_t(i) < m_alPos.size() && m_alPos[std::size_t(i)] >= 0)
        tip += QStringLiteral("\nQueued by active-learning round %1 at position %2")
                   .arg(m_alRound).arg(m_alPos[std::size_t(i)] + 1);
    if (std::size_t(i) < m_issueNote.size() && !m_issueNote[std::size_t(i)].isEmpty())
        tip += QLatin1Char('\n') + m_issueNote[std::size_t(i)];
    if (const SampleScore *s = m_session->score(i)) {
        tip += QStringLiteral("\nPredicted: %1 (%2%)\nNoise score: %3 — %4")
                   .arg(className(classes, s->predLabel))
                   .arg(s->predProb * 100.0, 0, 'f', 1)
                   .arg(double(s->noiseScore), 0, 'f', 3)
                   .arg(categoryLabel(s->category));
        if (s->suggestedLabel >= 0)
            tip += QStringLiteral("\nSuggested: %1 (%2%)%3")
                       .arg(className(classes, s->suggestedLabel))
                       .arg(double(s->suggestedProb) * 100.0, 0, 'f', 1)
                       .arg(s->clIssue ? QStringLiteral(" \u2014 flagged by Confident Learning") : QString());
    }
    return tip;
}

QVariant GalleryModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const int i = m_rows[std::size_t(index.row())];
    const SampleRow &r = m_session->row(i);
    switch (role) {
    case Qt::DisplayRole:
    case CaptionRole: return caption(i);
    case Qt::ToolTipRole: return toolTip(i);
    case SampleIdRole: return r.id;
    case SessionIndexRole: return i;
    case LabelRole: return r.label;
    case GivenLabelRole: return r.givenLabel;
    case CategoryRole: return int(m_session->category(i));
    case NoiseScoreRole: return m_session->noiseScore(i);
    case RelabelledRole: return r.label != r.givenLabel;
    case ExcludedRole: return r.excluded;
    case ReviewedRole: return m_session->isReviewed(i);
    case KeptRole: return m_session->isKept(i);
    case PredictedLabelRole: {
        const SampleScore *s = m_session->score(i);
        return s ? s->predLabel : -1;
    }
    case ThumbnailRole: return m_loader->thumbnail(r.id, r.sample);
    case ThumbnailStateRole: return int(m_loader->state(r.id));
    case UncertaintyRole: return uncertainty(i);
    case FrameColorRole: {
        const float u = uncertainty(i);
        if (!std::isfinite(u))
            return std::size_t(i) < m_issueFrame.size() ? m_issueFrame[std::size_t(i)] : QColor();
        return uncertaintyColor(m_alMax > m_alMin ? double(u - m_alMin) / double(m_alMax - m_alMin) : 0.5);
    }
    default: break;
    }
    return {};
}

bool GalleryModel::accepts(int i) const
{
    const SampleRow &r = m_session->row(i);
    if (!m_rank.empty() && (std::size_t(i) >= m_rank.size() || m_rank[std::size_t(i)] < 0))
        return false;
    if (!m_subset.empty() && (std::size_t(i) >= m_subset.size() || !m_subset[std::size_t(i)]))
        return false;
    if (!m_issueShown.empty() && (std::size_t(i) >= m_issueShown.size() || !m_issueShown[std::size_t(i)]))
        return false;
    switch (m_alView) {
    case AlView::Off: break;
    case AlView::Queue:
    case AlView::Pool:
        if (std::size_t(i) >= m_alPos.size() || m_alPos[std::size_t(i)] < 0)
            return false;
        break;
    case AlView::Labelled: // what runAlProjectRound trains on
        if (r.label < 0 || r.excluded || ReviewSession::isTestSample(r))
            return false;
        break;
    }
    if (m_classFilter >= 0 && r.label != m_classFilter)
        return false;
    if (m_categoryFilter != kAllCategories && int(m_session->category(i)) != m_categoryFilter)
        return false;
    if (m_splitFilter != SplitFilter::All
        && ReviewSession::isTestSample(r) != (m_splitFilter == SplitFilter::Test))
        return false;
    if (m_pairGiven >= 0 || m_pairSuggested >= 0) {
        const SampleScore *s = m_session->score(i);
        if (!s || r.givenLabel != m_pairGiven || s->suggestedLabel != m_pairSuggested)
            return false;
    }
    switch (m_stateFilter) {
    case StateFilter::All: return true;
    case StateFilter::Relabelled: return r.label != r.givenLabel;
    case StateFilter::NotRelabelled: return r.label == r.givenLabel && !r.excluded;
    case StateFilter::Excluded: return r.excluded;
    case StateFilter::Disagrees: {
        const int model = m_session->suggestion(i);
        return model >= 0 && model != r.label;
    }
    case StateFilter::Flagged: {
        const SampleScore *s = m_session->score(i);
        return s && s->clIssue;
    }
    case StateFilter::Unreviewed: return !m_session->isReviewed(i);
    case StateFilter::Reviewed: return m_session->isReviewed(i);
    }
    return true;
}

bool GalleryModel::lessThan(int a, int b) const
{
    if (!m_rank.empty())
        return m_rank[std::size_t(a)] < m_rank[std::size_t(b)];
    if ((m_alView == AlView::Queue || m_alView == AlView::Pool) && m_alPos[std::size_t(a)] != m_alPos[std::size_t(b)])
        return m_alPos[std::size_t(a)] < m_alPos[std::size_t(b)];
    if (m_sortOrder == SortOrder::NoiseDescending) {
        const float na = m_session->noiseScore(a), nb = m_session->noiseScore(b);
        if (na != nb)
            return na > nb;
    }
    return a < b; // session order = id order
}

void GalleryModel::refreshPositions()
{
    m_pos.assign(std::size_t(m_session->count()), -1);
    for (std::size_t r = 0; r < m_rows.size(); ++r)
        m_pos[std::size_t(m_rows[r])] = int(r);
}

void GalleryModel::rebuild()
{
    beginResetModel();
    m_rows.clear();
    const int n = m_session->count();
    if (m_classFilter >= m_session->classes().size())
        m_classFilter = -1;
    if (!m_subset.empty() && m_subset.size() != std::size_t(n)) { // another project
        m_subset.clear();
        m_subsetSize = 0;
    }
    loadActiveLearning();
    m_rows.reserve(std::size_t(n));
    for (int i = 0; i < n; ++i)
        if (accepts(i))
            m_rows.push_back(i);
    std::sort(m_rows.begin(), m_rows.end(), [this](int a, int b) { return lessThan(a, b); });
    refreshPositions();
    endResetModel();
    Q_EMIT countsChanged(shownCount(), totalCount());
    Q_EMIT viewStateChanged();
}

void GalleryModel::loadActiveLearning()
{
    const int n = m_session->count();
    m_alPos.assign(std::size_t(n), -1);
    m_alScore.assign(std::size_t(n), std::numeric_limits<float>::quiet_NaN());
    m_alMin = m_alMax = 0.f;
    m_alCount = 0;
    m_alRound = 0;
    m_alNote.clear();
    if (m_alView == AlView::Off)
        return;
    ProjectStore *store = m_session->isOpen() ? m_session->store() : nullptr;
    const std::vector<AlRoundInfo> rounds = store ? store->alRounds() : std::vector<AlRoundInfo>();
    if (rounds.empty()) {
        m_alNote = tr("no active-learning round yet");
        return;
    }
    m_alRound = rounds.back().id;
    if (m_alView == AlView::Queue) {
        int position = 0;
        for (const AlQueueItem &q : store->alQueue(m_alRound)) {
            const int i = m_session->indexOf(q.sampleId);
            if (i >= 0 && m_alPos[std::size_t(i)] < 0)
                m_alPos[std::size_t(i)] = position++;
        }
        m_alCount = position;
        m_alNote = tr("queue of round %1: %2 samples").arg(m_alRound).arg(position);
    } else if (m_alView == AlView::Pool) {
        std::vector<qint64> ids;
        std::vector<float> scores;
        if (!store->alScores(m_alRound, &ids, &scores)) {
            m_alNote = tr("pool scores unreadable: %1").arg(store->lastError());
            return;
        }
        // Most uncertain first; ties (and NaN scores, last) in sample-id order.
        std::vector<std::size_t> order(ids.size());
        for (std::size_t j = 0; j < order.size(); ++j)
            order[j] = j;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const float x = scores[a], y = scores[b];
            if (std::isnan(x) || std::isnan(y))
                return !std::isnan(x) && std::isnan(y);
            return x != y ? x > y : ids[a] < ids[b];
        });
        bool any = false;
        int position = 0;
        for (std::size_t j : order) {
            const int i = m_session->indexOf(ids[j]);
            if (i < 0 || m_alPos[std::size_t(i)] >= 0)
                continue;
            m_alPos[std::size_t(i)] = position++;
            m_alScore[std::size_t(i)] = scores[j];
            if (std::isfinite(scores[j])) {
                m_alMin = any ? std::min(m_alMin, scores[j]) : scores[j];
                m_alMax = any ? std::max(m_alMax, scores[j]) : scores[j];
                any = true;
            }
        }
        m_alCount = position;
        m_alNote = position > 0 ? tr("pool of round %1: %2 scored").arg(m_alRound).arg(position)
                                : tr("round %1 scored no pool (a cold start)").arg(m_alRound);
    } else {
        m_alNote = tr("labelled training samples");
    }
}

void GalleryModel::setAlView(AlView view)
{
    if (view == m_alView)
        return;
    m_alView = view;
    rebuild();
}

void GalleryModel::refreshActiveLearning()
{
    if (m_alView != AlView::Off)
        rebuild();
}

void GalleryModel::setRanking(const QVector<qint64> &sampleIds)
{
    m_rank.clear();
    if (!sampleIds.isEmpty()) {
        m_rank.assign(std::size_t(m_session->count()), -1);
        for (int k = 0; k < sampleIds.size(); ++k) {
            const int i = m_session->indexOf(sampleIds[k]);
            if (i >= 0 && m_rank[std::size_t(i)] < 0)
                m_rank[std::size_t(i)] = k;
        }
    }
    rebuild();
}

void GalleryModel::setSubset(const QVector<qint64> &sampleIds)
{
    m_subset.clear();
    m_subsetSize = 0;
    if (!sampleIds.isEmpty()) {
        m_subset.assign(std::size_t(m_session->count()), 0);
        for (qint64 id : sampleIds) {
            const int i = m_session->indexOf(id);
            if (i >= 0 && !m_subset[std::size_t(i)]) {
                m_subset[std::size_t(i)] = 1;
                ++m_subsetSize;
            }
        }
    }
    rebuild();
}

void GalleryModel::setClassFilter(int label)
{
    if (label == m_classFilter)
        return;
    m_classFilter = label;
    rebuild();
}

void GalleryModel::setCategoryFilter(int category)
{
    if (category == m_categoryFilter)
        return;
    m_categoryFilter = category;
    rebuild();
}

void GalleryModel::setStateFilter(StateFilter filter)
{
    if (filter == m_stateFilter)
        return;
    m_stateFilter = filter;
    rebuild();
}

void GalleryModel::setSplitFilter(SplitFilter filter)
{
    if (filter == m_splitFilter)
        return;
    m_splitFilter = filter;
    rebuild();
}

void GalleryModel::setIssueFilter(std::vector<std::uint8_t> shown)
{
    if (shown == m_issueShown)
        return;
    m_issueShown = std::move(shown);
    rebuild();
}

void GalleryModel::setIssueMarks(std::vector<QColor> frames, std::vector<QString> notes)
{
    m_issueFrame = std::move(frames);
    m_issueNote = std::move(notes);
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0), index(int(m_rows.size()) - 1), {FrameColorRole, Qt::ToolTipRole});
}

void GalleryModel::setSortOrder(SortOrder order)
{
    if (order == m_sortOrder)
        return;
    m_sortOrder = order;
    rebuild();
}

void GalleryModel::setPairFilter(int given, int suggested)
{
    if (given == m_pairGiven && suggested == m_pairSuggested)
        return;
    m_pairGiven = given;
    m_pairSuggested = suggested;
    rebuild();
}

void GalleryModel::onSamplesChanged(const QVector<int> &indices)
{
    if (indices.size() > 64) {
        // A big bulk decision: one reset is cheaper for the view than many row moves.
        rebuild();
        return;
    }
    bool countChanged = false;
    for (int i : indices) {
        if (i < 0 || i >= int(m_pos.size()))
            continue;
        const int row = m_pos[std::size_t(i)];
        const bool want = accepts(i);
        if (row >= 0 && want) {
            const QModelIndex idx = index(row);
            Q_EMIT dataChanged(idx, idx);
        } else if (row >= 0) {
            beginRemoveRows(QModelIndex(), row, row);
            m_rows.erase(m_rows.begin() + row);
            refreshPositions();
            endRemoveRows();
            countChanged = true;
        } else if (want) {
            auto it = std::lower_bound(m_rows.begin(), m_rows.end(), i,
                                       [this](int a, int b) { return lessThan(a, b); });
            const int at = int(it - m_rows.begin());
            beginInsertRows(QModelIndex(), at, at);
            m_rows.insert(it, i);
            refreshPositions();
            endInsertRows();
            countChanged = true;
        }
    }
    if (countChanged)
        Q_EMIT countsChanged(shownCount(), totalCount());
}

void GalleryModel::onThumbnailReady(qint64 sampleId)
{
    const int r = rowOfSample(sampleId);
    if (r < 0)
        return;
    const QModelIndex idx = index(r);
    Q_EMIT dataChanged(idx, idx, {ThumbnailRole, ThumbnailStateRole});
}

void GalleryModel::prefetch(int first, int count)
{
    const int end = std::min(int(m_rows.size()), first + count);
    for (int row = std::max(0, first); row < end; ++row) {
        const SampleRow &r = m_session->row(m_rows[std::size_t(row)]);
        m_loader->prefetch(r.id, r.sample);
    }
}

} // namespace labelscope::ui
