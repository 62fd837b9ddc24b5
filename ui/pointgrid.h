#pragma once
// PointGrid: a uniform bucket grid over N 2-D points (the scatter view's layout) for hit-testing
// at a million points without testing every point: lasso and rectangle selection, and the
// nearest point under the cursor. Own code (a counting-sort bucket grid in CSR form plus an
// even-odd scanline over the cells; Qt offers nothing at this scale: QPainterPath::contains per
// point is far too slow).
//
// Selection semantics are exactly those of polygonContains() (the even-odd rule with the
// half-open crossing test of W. R. Franklin's PNPOLY) applied to every point: cells that the
// polygon's boundary does not touch are classified whole by their centre, and only points in
// cells the boundary crosses are tested one by one, against the edges that span their grid row.
//
// Coordinates are data units (the layout's own), not pixels. Not thread-safe for concurrent
// build()/query; queries on a built grid are const and may run concurrently.

#include <QPointF>
#include <QPolygonF>
#include <QRectF>

#include <cstdint>
#include <vector>

namespace labelscope::ui {

class PointGrid {
public:
    /// Builds the grid over XY, row-major [N, 2] (the grid keeps it). About TARGETPERCELL points
    /// per cell on average, at most 2048 cells a side. Non-finite coordinates are treated as 0.
    void build(std::vector<float> xy, int targetPerCell = 4);
    void clear();

    int size() const { return int(m_xy.size() / 2); }
    const std::vector<float> &xy() const { return m_xy; }
    float x(int i) const { return m_xy[std::size_t(i) * 2]; }
    float y(int i) const { return m_xy[std::size_t(i) * 2 + 1]; }
    /// Bounding box of the points (empty rect when there are none).
    QRectF bounds() const;
    /// The point indices in cell order (row-major cells), [N], and each point's position in it,
    /// [N]; the coordinates in that order, [N, 2]. Drawing in cell order keeps the writes to the
    /// frame buffer local (neighbouring points land on neighbouring pixels).
    const std::vector<int> &cellOrder() const { return m_cellPoints; }
    const std::vector<int> &rankInCellOrder() const { return m_rank; }
    const std::vector<float> &xyInCellOrder() const { return m_sortedXy; }
    int columns() const { return m_gx; }
    int rows() const { return m_gy; }

    /// Indices, ascending, of the points inside POLYGON (even-odd rule; closed implicitly).
    /// MASK: optional [N], points whose entry is 0 are never returned. Fewer than 3 vertices:
    /// nothing.
    std::vector<int> pointsInPolygon(const QPolygonF &polygon,
                                     const std::vector<std::uint8_t> *mask = nullptr) const;
    /// Indices, ascending, of the points in the closed rectangle RECT (normalised first).
    std::vector<int> pointsInRect(const QRectF &rect, const std::vector<std::uint8_t> *mask = nullptr) const;
    /// The point nearest to P within RADIUS (Euclidean), or -1. Ties: lowest index.
    int nearest(QPointF p, double radius, const std::vector<std::uint8_t> *mask = nullptr) const;

    /// The reference test: is (X, Y) inside POLYGON by the even-odd rule (PNPOLY)?
    static bool polygonContains(const QPolygonF &polygon, double x, double y);

private:
    int cellX(double x) const;
    int cellY(double y) const;

    std::vector<float> m_xy;            // [N, 2]
    std::vector<int> m_cellStart;       // [gx * gy + 1], CSR offsets into m_cellPoints
    std::vector<int> m_cellPoints;      // [N] point indices grouped by cell
    std::vector<int> m_rank;            // [N] position of each point in m_cellPoints
    std::vector<float> m_sortedXy;      // [N, 2] coordinates in m_cellPoints order
    double m_x0 = 0, m_y0 = 0, m_cw = 1, m_ch = 1;
    double m_minX = 0, m_minY = 0, m_maxX = 0, m_maxY = 0;
    int m_gx = 0, m_gy = 0;
};

} // namespace labelscope::ui
