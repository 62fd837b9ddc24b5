#include "scatterview.h"

#include <QElapsedTimer>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

namespace {
constexpr std::uint32_t kBackground = 0xffffffff;
constexpr std::uint32_t kDimmed = 0xffdadada;    // filtered out by the gallery
constexpr std::uint32_t kNoColour = 0xff7f7f7f;
constexpr double kHoverRadiusPx = 5.0;

} // namespace

ScatterView::ScatterView(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("scatterView"));
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setCursor(Qt::CrossCursor);
    setMinimumSize(200, 150);
}

void ScatterView::setPoints(std::vector<float> xy)
{
    m_grid.build(std::move(xy));
    m_levels.clear();
    m_emphasis.clear();
    m_sortedColors.clear();
    m_selection.clear();
    m_selectable.clear();
    if (m_colors.size() != std::size_t(m_grid.size()))
        m_colors.clear();
    m_hover = -1;
    m_hoverImage = {};
    m_hoverText.clear();
    fitToView();
}

void ScatterView::setColors(std::vector<std::uint32_t> colors)
{
    m_colors = std::move(colors);
    m_sortedColors.clear();
    invalidate();
}

std::uint32_t ScatterView::colorAt(int index) const
{
    const bool painted = m_colors.size() == std::size_t(pointCount()) && index >= 0 && index < pointCount();
    return painted ? m_colors[std::size_t(index)] : kNoColour;
}

void ScatterView::setSelectable(std::vector<std::uint8_t> mask)
{
    m_selectable = std::move(mask);
    if (!m_selectable.empty() && m_selectable.size() != std::size_t(pointCount()))
        m_selectable.clear();
    if (!m_selectable.empty()) {
        m_selection.erase(std::remove_if(m_selection.begin(), m_selection.end(),
                                         [this](int i) { return !m_selectable[std::size_t(i)]; }),
                          m_selection.end());
        if (m_hover >= 0 && !m_selectable[std::size_t(m_hover)]) {
            m_hover = -1;
            Q_EMIT pointHovered(-1);
        }
    }
    m_levels.clear(); // rebuilt by render()
    invalidate();
}

void ScatterView::setEmphasis(std::vector<std::uint8_t> mask)
{
    m_emphasis = std::move(mask);
    if (!m_emphasis.empty() && m_emphasis.size() != std::size_t(pointCount()))
        m_emphasis.clear();
    m_levels.clear(); // rebuilt by render()
    invalidate();
}

bool ScatterView::isEmphasised(int index) const
{
    return index >= 0 && std::size_t(index) < m_emphasis.size() && m_emphasis[std::size_t(index)];
}

bool ScatterView::isSelectable(int index) const
{
    if (index < 0 || index >= pointCount())
        return false;
    return m_selectable.empty() || m_selectable[std::size_t(index)];
}

void ScatterView::setSelection(std::vector<int> indices)
{
    indices.erase(std::remove_if(indices.begin(), indices.end(), [this](int i) { return !isSelectable(i); }),
                  indices.end());
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    if (indices == m_selection)
        return;
    m_selection = std::move(indices);
    m_levels.clear();
    invalidate();
}

void ScatterView::setTool(Tool tool)
{
    m_tool = tool;
    setCursor(tool == Tool::Pan ? Qt::OpenHandCursor : Qt::CrossCursor);
}

void ScatterView::setPointSize(int pixels)
{
    m_pointSize = std::clamp(pixels, 0, 4);
    invalidate();
}

int ScatterView::effectivePointSize() const
{
    if (m_pointSize > 0)
        return m_pointSize;
    const int n = pointCount();
    return n <= 5000 ? 4 : n <= 50000 ? 3 : 2;
}

QPointF ScatterView::toScreen(QPointF d) const
{
    return {(d.x() - m_centre.x()) * m_scale + width() / 2.0, -(d.y() - m_centre.y()) * m_scale + height() / 2.0};
}

QPointF ScatterView::toData(QPointF s) const
{
    return {m_centre.x() + (s.x() - width() / 2.0) / m_scale, m_centre.y() - (s.y() - height() / 2.0) / m_scale};
}

void ScatterView::fitToView()
{
    const QRectF b = m_grid.bounds();
    const double margin = 12.0;
    const double w = std::max(1.0, width() - 2 * margin), h = std::max(1.0, height() - 2 * margin);
    if (b.isNull() && pointCount() == 0) {
        m_scale = 1.0;
        m_centre = {};
    } else {
        const double bw = std::max(b.width(), 1e-9), bh = std::max(b.height(), 1e-9);
        m_scale = std::min(w / bw, h / bh);
        m_centre = b.center();
    }
    m_autoFit = true;
    invalidate();
    Q_EMIT viewChanged();
}

void ScatterView::panBy(QPointF px)
{
    m_centre += QPointF(-px.x() / m_scale, px.y() / m_scale);
    m_autoFit = false;
    invalidate();
    Q_EMIT viewChanged();
}

void ScatterView::zoomAt(QPointF pos, double factor)
{
    if (!(factor > 0))
        return;
    const QPointF d = toData(pos);
    m_scale = std::clamp(m_scale * factor, 1e-9, 1e12);
    m_centre = {d.x() - (pos.x() - width() / 2.0) / m_scale, d.y() + (pos.y() - height() / 2.0) / m_scale};
    m_autoFit = false;
    invalidate();
    Q_EMIT viewChanged();
}

int ScatterView::pointAt(QPointF pos) const
{
    const double r = std::max(kHoverRadiusPx, double(effectivePointSize()) + 1.0) / m_scale;
    return m_grid.nearest(toData(pos), r, m_selectable.empty() ? nullptr : &m_selectable);
}

void ScatterView::invalidate()
{
    m_dirty = true;
    update();
}

const QImage &ScatterView::render()
{
    QElapsedTimer timer;
    timer.start();
    const QSize sz(std::max(1, width()), std::max(1, height()));
    if (m_cache.size() != sz)
        m_cache = QImage(sz, QImage::Format_RGB32);
    m_cache.fill(kBackground);
    const int n = pointCount();
    const int s = effectivePointSize();
    const int w = sz.width(), h = sz.height();
    auto *bits = reinterpret_cast<std::uint32_t *>(m_cache.bits());
    const int stride = int(m_cache.bytesPerLine() / 4);
    // Per-pixel priority of what was drawn there: a point only overwrites pixels of its own or a
    // lower level, so one pass in any order draws filtered-out points below the others and
    // selected points on top, without sorting or extra passes.
    m_priority.assign(std::size_t(w) * std::size_t(h), 0);
    std::uint8_t *prio = m_priority.data();
    if (m_levels.size() != std::size_t(n))
        updateLevels();
    if (m_sortedColors.size() != std::size_t(n))
        updateSortedColors();
    // Everything per point is read in the grid's cell order (see PointGrid::cellOrder()).
    const std::uint8_t *level = m_levels.data();
    const std::uint32_t *colour = m_sortedColors.data();
    const float *xy = m_grid.xyInCellOrder().data();
    const bool fade = !m_selection.empty(); // with a selection, the other points are faded
    // screen = a * data + b, with the half point size folded into b so that the square is centred.
    const float ax = float(m_scale), bx = float(w / 2.0 - m_centre.x() * m_scale - s / 2.0);
    const float ay = float(-m_scale), by = float(h / 2.0 + m_centre.y() * m_scale - s / 2.0);
    const float maxX = float(w - s - 1), maxY = float(h - s - 1); // room for an emphasised point
    for (int i = 0; i < n; ++i) {
        const float fx = xy[2 * i] * ax + bx, fy = xy[2 * i + 1] * ay + by;
        if (!(fx >= 0.f && fy >= 0.f && fx <= maxX && fy <= maxY))
            continue;
        // Branch-free choices: levels and overlaps are in random order, so branches would
        // mispredict about half the time once a selection or a filter splits the points.
        const std::uint8_t lv = level[i];
        const std::uint32_t own = colour[i];
        const std::uint32_t faded = 0xff000000u | (((own >> 1) & 0x7f7f7fu) + 0x7f7f7fu); // halfway to white
        std::uint32_t c = (fade && (lv == kLevelNormal || lv == kLevelEmphasis)) ? faded : own;
        c = lv == kLevelDimmed ? kDimmed : c;
        // An emphasised point is one pixel larger, drawn from half a pixel up and left.
        const int ps = s + (lv == kLevelEmphasis ? 1 : 0);
        const int ox = lv == kLevelEmphasis && fx >= 1.f ? int(fx) - 1 + (s % 2) : int(fx);
        const int oy = lv == kLevelEmphasis && fy >= 1.f ? int(fy) - 1 + (s % 2) : int(fy);
        const std::ptrdiff_t at = std::ptrdiff_t(oy) * stride + ox;
        const std::ptrdiff_t pat = std::ptrdiff_t(oy) * w + ox;
        for (int dy = 0; dy < ps; ++dy)
            for (int dx = 0; dx < ps; ++dx) {
                std::uint8_t &p = prio[pat + std::ptrdiff_t(dy) * w + dx];
                std::uint32_t &px = bits[at + std::ptrdiff_t(dy) * stride + dx];
                const bool ok = p <= lv;
                p = ok ? lv : p;
                px = ok ? c : px;
            }
    }
    m_dirty = false;
    m_lastRenderMs = double(timer.nsecsElapsed()) / 1e6;
    return m_cache;
}

void ScatterView::updateLevels()
{
    const std::size_t n = std::size_t(pointCount());
    const std::vector<int> &order = m_grid.cellOrder();
    const std::vector<int> &rank = m_grid.rankInCellOrder();
    m_levels.assign(n, kLevelNormal);
    if (m_emphasis.size() == n)
        for (std::size_t j = 0; j < n; ++j)
            if (m_emphasis[std::size_t(order[j])])
                m_levels[j] = kLevelEmphasis;
    if (m_selectable.size() == n)
        for (std::size_t j = 0; j < n; ++j)
            if (!m_selectable[std::size_t(order[j])])
                m_levels[j] = kLevelDimmed;
    for (int i : m_selection)
        m_levels[std::size_t(rank[std::size_t(i)])] = kLevelSelected;
}

void ScatterView::updateSortedColors()
{
    const std::size_t n = std::size_t(pointCount());
    const std::vector<int> &order = m_grid.cellOrder();
    const bool haveColours = m_colors.size() == n;
    m_sortedColors.resize(n);
    for (std::size_t j = 0; j < n; ++j)
        m_sortedColors[j] = haveColours ? m_colors[std::size_t(order[j])] : kNoColour;
}

void ScatterView::paintEvent(QPaintEvent *)
{
    if (m_dirty || m_cache.size() != size())
        render();
    QPainter p(this);
    p.drawImage(0, 0, m_cache);
    p.setRenderHint(QPainter::Antialiasing);
    if (m_drag == Drag::Lasso && m_lasso.size() > 1) {
        p.setPen(QPen(QColor(31, 95, 215), 1.5, Qt::DashLine));
        p.setBrush(QColor(31, 95, 215, 30));
        p.drawPolygon(m_lasso);
    } else if (m_drag == Drag::Rectangle && m_moved) {
        p.setPen(QPen(QColor(31, 95, 215), 1.5, Qt::DashLine));
        p.setBrush(QColor(31, 95, 215, 30));
        p.drawRect(QRectF(m_pressPos, m_lastPos).normalized());
    }
    if (m_hover >= 0 && m_hover < pointCount()) {
        const QPointF at = toScreen({m_grid.x(m_hover), m_grid.y(m_hover)});
        p.setPen(QPen(Qt::black, 1.5));
        p.setBrush(Qt::NoBrush);
        p.drawEllipse(at, 6, 6);
        if (!m_hoverImage.isNull() || !m_hoverText.isEmpty()) {
            const QSize img = m_hoverImage.isNull() ? QSize(0, 0) : m_hoverImage.size();
            const QFontMetrics fm(font());
            const QRect textRect = fm.boundingRect(QRect(0, 0, 260, 400), Qt::TextWordWrap, m_hoverText);
            const int pad = 6;
            const int bw = std::max(img.width(), textRect.width()) + 2 * pad;
            const int bh = img.height() + textRect.height() + 2 * pad + (img.isEmpty() ? 0 : 4);
            QPointF tl = at + QPointF(14, 14);
            if (tl.x() + bw > width())
                tl.setX(at.x() - 14 - bw);
            if (tl.y() + bh > height())
                tl.setY(at.y() - 14 - bh);
            tl.setX(std::max(0.0, tl.x()));
            tl.setY(std::max(0.0, tl.y()));
            const QRectF box(tl, QSizeF(bw, bh));
            p.setPen(QColor(120, 120, 120));
            p.setBrush(QColor(255, 255, 255, 235));
            p.drawRoundedRect(box, 4, 4);
            if (!m_hoverImage.isNull())
                p.drawImage(QPointF(box.left() + pad, box.top() + pad), m_hoverImage);
            p.setPen(Qt::black);
            p.drawText(QRectF(box.left() + pad, box.top() + pad + img.height() + (img.isEmpty() ? 0 : 4),
                              textRect.width(), textRect.height()),
                       Qt::TextWordWrap, m_hoverText);
        }
    }
}

void ScatterView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    if (m_autoFit) // not panned or zoomed since the last fit: keep everything in view
        fitToView();
    invalidate();
}

void ScatterView::setHoverInfo(int index, const QImage &thumbnail, const QString &text)
{
    if (index != m_hover)
        return;
    m_hoverImage = thumbnail;
    m_hoverText = text;
    update();
}

void ScatterView::updateHover(QPointF pos)
{
    const int idx = pointAt(pos);
    if (idx == m_hover)
        return;
    m_hover = idx;
    m_hoverImage = {};
    m_hoverText.clear();
    update();
    Q_EMIT pointHovered(idx);
}

void ScatterView::mousePressEvent(QMouseEvent *event)
{
    m_pressPos = m_lastPos = event->position();
    m_moved = false;
    const Qt::KeyboardModifiers mods = event->modifiers();
    m_dragMode = mods & Qt::ShiftModifier ? SelectMode::Add
        : mods & (Qt::ControlModifier | Qt::AltModifier) ? SelectMode::Subtract
                                                         : SelectMode::Replace;
    if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && m_tool == Tool::Pan)) {
        m_drag = Drag::Pan;
        setCursor(Qt::ClosedHandCursor);
    } else if (event->button() == Qt::LeftButton) {
        m_drag = m_tool == Tool::Rectangle ? Drag::Rectangle : Drag::Lasso;
        m_lasso.clear();
        m_lasso << m_pressPos;
    } else {
        QWidget::mousePressEvent(event);
        return;
    }
    event->accept();
}

void ScatterView::mouseMoveEvent(QMouseEvent *event)
{
    const QPointF pos = event->position();
    if (m_drag == Drag::None) {
        updateHover(pos);
        return;
    }
    if (!m_moved && (pos - m_pressPos).manhattanLength() >= 3)
        m_moved = true;
    switch (m_drag) {
    case Drag::Pan:
        if (m_moved)
            panBy(pos - m_lastPos);
        m_lastPos = pos;
        break;
    case Drag::Lasso:
        if (m_lasso.isEmpty() || (pos - m_lasso.last()).manhattanLength() >= 2)
            m_lasso << pos;
        m_lastPos = pos;
        update();
        break;
    case Drag::Rectangle:
        m_lastPos = pos;
        update();
        break;
    case Drag::None: break;
    }
}

void ScatterView::mouseReleaseEvent(QMouseEvent *event)
{
    const Drag drag = m_drag;
    m_drag = Drag::None;
    setCursor(m_tool == Tool::Pan ? Qt::OpenHandCursor : Qt::CrossCursor);
    if (drag == Drag::None)
        return;
    const QPointF pos = event->position();
    if (!m_moved) {
        // A click: select the point under the cursor (or clear on empty space).
        const int idx = pointAt(pos);
        if (event->button() == Qt::LeftButton || event->button() == Qt::MiddleButton) {
            if (idx >= 0)
                applySelection({idx}, m_dragMode);
            else if (m_dragMode == SelectMode::Replace)
                applySelection({}, SelectMode::Replace);
            Q_EMIT pointClicked(idx);
        }
        update();
        return;
    }
    if (drag == Drag::Lasso) {
        m_lasso << pos;
        const QPolygonF poly = m_lasso;
        m_lasso.clear();
        selectPolygon(poly, m_dragMode);
    } else if (drag == Drag::Rectangle) {
        selectRect(QRectF(m_pressPos, pos).normalized(), m_dragMode);
    }
    update();
}

void ScatterView::wheelEvent(QWheelEvent *event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps != 0)
        zoomAt(event->position(), std::pow(1.25, steps));
    event->accept();
}

void ScatterView::leaveEvent(QEvent *event)
{
    QWidget::leaveEvent(event);
    if (m_hover >= 0) {
        m_hover = -1;
        update();
        Q_EMIT pointHovered(-1);
    }
}

void ScatterView::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape && !m_selection.empty()) {
        applySelection({}, SelectMode::Replace);
        return;
    }
    if (event->key() == Qt::Key_F && event->modifiers() == Qt::NoModifier) {
        fitToView();
        return;
    }
    QWidget::keyPressEvent(event);
}

void ScatterView::selectPolygon(const QPolygonF &screenPolygon, SelectMode mode)
{
    QPolygonF data;
    data.reserve(screenPolygon.size());
    for (const QPointF &p : screenPolygon)
        data << toData(p);
    applySelection(m_grid.pointsInPolygon(data, m_selectable.empty() ? nullptr : &m_selectable), mode);
}

void ScatterView::selectRect(const QRectF &screenRect, SelectMode mode)
{
    const QRectF data = QRectF(toData(screenRect.topLeft()), toData(screenRect.bottomRight())).normalized();
    applySelection(m_grid.pointsInRect(data, m_selectable.empty() ? nullptr : &m_selectable), mode);
}

void ScatterView::applySelection(std::vector<int> hits, SelectMode mode)
{
    std::vector<int> next;
    switch (mode) {
    case SelectMode::Replace: next = std::move(hits); break;
    case SelectMode::Add:
        next.reserve(m_selection.size() + hits.size());
        std::set_union(m_selection.begin(), m_selection.end(), hits.begin(), hits.end(), std::back_inserter(next));
        break;
    case SelectMode::Subtract:
        std::set_difference(m_selection.begin(), m_selection.end(), hits.begin(), hits.end(),
                            std::back_inserter(next));
        break;
    }
    if (next == m_selection)
        return;
    m_selection = std::move(next);
    m_levels.clear();
    invalidate();
    Q_EMIT selectionEdited();
}

} // namespace labelscope::ui
