#include "pointgrid.h"

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

namespace {
constexpr int kMaxSide = 2048;

struct Edge {
    double xi, yi, xj, yj; // PNPOLY's (i, j = i - 1) orientation; keep it for identical results
};

std::vector<Edge> edgesOf(const QPolygonF &polygon)
{
    std::vector<Edge> edges;
    const int n = int(polygon.size());
    edges.reserve(std::size_t(n));
    for (int i = 0, j = n - 1; i < n; j = i++)
        edges.push_back({polygon[i].x(), polygon[i].y(), polygon[j].x(), polygon[j].y()});
    return edges;
}

// The one crossing test used everywhere, so that cell centres and single points agree.
inline bool spans(const Edge &e, double y) { return (e.yi > y) != (e.yj > y); }
inline double crossingX(const Edge &e, double y) { return (e.xj - e.xi) * (y - e.yi) / (e.yj - e.yi) + e.xi; }
} // namespace

void PointGrid::clear()
{
    m_xy.clear();
    m_cellStart.clear();
    m_cellPoints.clear();
    m_rank.clear();
    m_sortedXy.clear();
    m_gx = m_gy = 0;
}

void PointGrid::build(std::vector<float> xy, int targetPerCell)
{
    clear();
    m_xy = std::move(xy);
    m_xy.resize(m_xy.size() / 2 * 2);
    const int n = size();
    if (n == 0)
        return;
    for (float &v : m_xy)
        if (!std::isfinite(v))
            v = 0.f;
    m_minX = m_maxX = m_xy[0];
    m_minY = m_maxY = m_xy[1];
    for (int i = 1; i < n; ++i) {
        m_minX = std::min<double>(m_minX, x(i));
        m_maxX = std::max<double>(m_maxX, x(i));
        m_minY = std::min<double>(m_minY, y(i));
        m_maxY = std::max<double>(m_maxY, y(i));
    }
    const double w = std::max(m_maxX - m_minX, 1e-12), h = std::max(m_maxY - m_minY, 1e-12);
    const double cells = std::max(1.0, double(n) / std::max(1, targetPerCell));
    m_gx = std::clamp(int(std::ceil(std::sqrt(cells * w / h))), 1, kMaxSide);
    m_gy = std::clamp(int(std::ceil(cells / m_gx)), 1, kMaxSide);
    m_x0 = m_minX;
    m_y0 = m_minY;
    m_cw = w / m_gx;
    m_ch = h / m_gy;

    // Counting sort of the points by cell (CSR).
    std::vector<int> cellOf(static_cast<std::size_t>(n));
    m_cellStart.assign(std::size_t(m_gx) * m_gy + 1, 0);
    for (int i = 0; i < n; ++i) {
        const int c = cellY(y(i)) * m_gx + cellX(x(i));
        cellOf[std::size_t(i)] = c;
        ++m_cellStart[std::size_t(c) + 1];
    }
    for (std::size_t c = 1; c < m_cellStart.size(); ++c)
        m_cellStart[c] += m_cellStart[c - 1];
    m_cellPoints.resize(std::size_t(n));
    std::vector<int> fill(m_cellStart.begin(), m_cellStart.end() - 1);
    for (int i = 0; i < n; ++i)
        m_cellPoints[std::size_t(fill[std::size_t(cellOf[std::size_t(i)])]++)] = i;
    m_rank.resize(std::size_t(n));
    m_sortedXy.resize(std::size_t(n) * 2);
    for (int j = 0; j < n; ++j) {
        const int i = m_cellPoints[std::size_t(j)];
        m_rank[std::size_t(i)] = j;
        m_sortedXy[std::size_t(j) * 2] = x(i);
        m_sortedXy[std::size_t(j) * 2 + 1] = y(i);
    }
}

QRectF PointGrid::bounds() const
{
    if (m_xy.empty())
        return {};
    return QRectF(QPointF(m_minX, m_minY), QPointF(m_maxX, m_maxY));
}

int PointGrid::cellX(double x) const
{
    const double c = std::floor((x - m_x0) / m_cw);
    if (!(c >= 0)) // also NaN
        return 0;
    return c >= m_gx ? m_gx - 1 : int(c);
}

int PointGrid::cellY(double y) const
{
    const double c = std::floor((y - m_y0) / m_ch);
    if (!(c >= 0))
        return 0;
    return c >= m_gy ? m_gy - 1 : int(c);
}

bool PointGrid::polygonContains(const QPolygonF &polygon, double x, double y)
{
    bool inside = false;
    const int n = int(polygon.size());
    for (int i = 0, j = n - 1; i < n; j = i++) {
        const Edge e{polygon[i].x(), polygon[i].y(), polygon[j].x(), polygon[j].y()};
        if (spans(e, y) && x < crossingX(e, y))
            inside = !inside;
    }
    return inside;
}

std::vector<int> PointGrid::pointsInPolygon(const QPolygonF &polygon, const std::vector<std::uint8_t> *mask) const
{
    std::vector<int> result;
    const int n = size();
    if (n == 0 || polygon.size() < 3)
        return result;
    if (mask && int(mask->size()) != n)
        mask = nullptr;
    const std::vector<Edge> edges = edgesOf(polygon);
    const QRectF box = polygon.boundingRect();
    const int c0 = cellX(box.left()), c1 = cellX(box.right());
    const int r0 = cellY(box.top()), r1 = cellY(box.bottom());
    const int nRows = r1 - r0 + 1, nCols = c1 - c0 + 1;

    // Cells the boundary touches (a supercover of every edge, padded by a hair against rounding):
    // only their points are tested one by one.
    std::vector<std::uint8_t> boundary(std::size_t(nRows) * nCols, 0);
    const double ex = m_cw * 1e-6, ey = m_ch * 1e-6;
    // Edges that can span a y inside each row: a point's test needs only those.
    std::vector<std::vector<int>> rowEdges(static_cast<std::size_t>(nRows));
    for (int k = 0; k < int(edges.size()); ++k) {
        const Edge &e = edges[std::size_t(k)];
        const double xlo = std::min(e.xi, e.xj), xhi = std::max(e.xi, e.xj);
        const double ylo = std::min(e.yi, e.yj), yhi = std::max(e.yi, e.yj);
        for (int r = cellY(ylo); r <= cellY(yhi); ++r)
            rowEdges[std::size_t(r - r0)].push_back(k);
        const int ca = cellX(xlo - ex), cb = cellX(xhi + ex);
        for (int c = ca; c <= cb; ++c) {
            const double lo = std::clamp(m_x0 + c * m_cw, xlo, xhi);
            const double hi = std::clamp(m_x0 + (c + 1) * m_cw, xlo, xhi);
            double ya, yb;
            if (xhi - xlo <= 0) {
                ya = ylo;
                yb = yhi;
            } else {
                const double ta = (lo - e.xi) / (e.xj - e.xi), tb = (hi - e.xi) / (e.xj - e.xi);
                ya = e.yi + ta * (e.yj - e.yi);
                yb = e.yi + tb * (e.yj - e.yi);
                if (ya > yb)
                    std::swap(ya, yb);
                ya = std::max(ya, ylo);
                yb = std::min(yb, yhi);
            }
            const int ra = cellY(ya - ey), rb = cellY(yb + ey);
            for (int r = ra; r <= rb; ++r)
                boundary[std::size_t(r - r0) * nCols + (c - c0)] = 1;
        }
    }

    std::vector<std::uint8_t> hit(std::size_t(n), 0);
    std::vector<double> crossings;
    for (int r = r0; r <= r1; ++r) {
        const std::vector<int> &re = rowEdges[std::size_t(r - r0)];
        if (re.empty())
            continue; // no edge reaches this row: nothing in it is inside
        const double yc = m_y0 + (r + 0.5) * m_ch;
        crossings.clear();
        for (int k : re)
            if (spans(edges[std::size_t(k)], yc))
                crossings.push_back(crossingX(edges[std::size_t(k)], yc));
        std::sort(crossings.begin(), crossings.end());
        std::size_t passed = 0; // crossings <= the current cell centre
        for (int c = c0; c <= c1; ++c) {
            const int cell = r * m_gx + c;
            const int begin = m_cellStart[std::size_t(cell)], end = m_cellStart[std::size_t(cell) + 1];
            if (begin == end)
                continue;
            if (boundary[std::size_t(r - r0) * nCols + (c - c0)]) {
                for (int p = begin; p < end; ++p) {
                    const int i = m_cellPoints[std::size_t(p)];
                    if (mask && !(*mask)[std::size_t(i)])
                        continue;
                    const double px = x(i), py = y(i);
                    bool inside = false;
                    for (int k : re) {
                        const Edge &e = edges[std::size_t(k)];
                        if (spans(e, py) && px < crossingX(e, py))
                            inside = !inside;
                    }
                    if (inside)
                        hit[std::size_t(i)] = 1;
                }
                continue;
            }
            const double xc = m_x0 + (c + 0.5) * m_cw;
            while (passed < crossings.size() && !(xc < crossings[passed]))
                ++passed;
            if ((crossings.size() - passed) % 2 == 0)
                continue; // the whole cell is outside
            for (int p = begin; p < end; ++p) {
                const int i = m_cellPoints[std::size_t(p)];
                if (!mask || (*mask)[std::size_t(i)])
                    hit[std::size_t(i)] = 1;
            }
        }
    }
    std::size_t count = 0;
    for (std::uint8_t h : hit)
        count += h;
    result.reserve(count);
    for (int i = 0; i < n; ++i)
        if (hit[std::size_t(i)])
            result.push_back(i);
    return result;
}

std::vector<int> PointGrid::pointsInRect(const QRectF &rectIn, const std::vector<std::uint8_t> *mask) const
{
    std::vector<int> result;
    const int n = size();
    if (n == 0)
        return result;
    if (mask && int(mask->size()) != n)
        mask = nullptr;
    const QRectF rect = rectIn.normalized();
    const double l = rect.left(), r = rect.right(), t = rect.top(), b = rect.bottom();
    for (int row = cellY(t); row <= cellY(b); ++row) {
        for (int c = cellX(l); c <= cellX(r); ++c) {
            const int cell = row * m_gx + c;
            for (int p = m_cellStart[std::size_t(cell)]; p < m_cellStart[std::size_t(cell) + 1]; ++p) {
                const int i = m_cellPoints[std::size_t(p)];
                if (mask && !(*mask)[std::size_t(i)])
                    continue;
                const double px = x(i), py = y(i);
                if (px >= l && px <= r && py >= t && py <= b)
                    result.push_back(i);
            }
        }
    }
    std::sort(result.begin(), result.end());
    return result;
}

int PointGrid::nearest(QPointF p, double radius, const std::vector<std::uint8_t> *mask) const
{
    const int n = size();
    if (n == 0 || !(radius > 0))
        return -1;
    if (mask && int(mask->size()) != n)
        mask = nullptr;
    int best = -1;
    double bestD = radius * radius;
    for (int row = cellY(p.y() - radius); row <= cellY(p.y() + radius); ++row) {
        for (int c = cellX(p.x() - radius); c <= cellX(p.x() + radius); ++c) {
            const int cell = row * m_gx + c;
            for (int q = m_cellStart[std::size_t(cell)]; q < m_cellStart[std::size_t(cell) + 1]; ++q) {
                const int i = m_cellPoints[std::size_t(q)];
                if (mask && !(*mask)[std::size_t(i)])
                    continue;
                const double dx = x(i) - p.x(), dy = y(i) - p.y();
                const double d = dx * dx + dy * dy;
                if (d < bestD || (d == bestD && best >= 0 && i < best) || (d <= bestD && best < 0)) {
                    bestD = d;
                    best = i;
                }
            }
        }
    }
    return best;
}

} // namespace labelscope::ui
