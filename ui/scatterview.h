#pragma once
// ScatterView: a 2-D scatter plot of up to millions of points, painted directly into a cached
// QImage with per-pixel writes (points are 1–4 px squares; no QGraphicsItem or chart series per
// point). Pan by dragging, zoom with the wheel around the cursor, lasso or rectangle selection
// (hit-tested through a PointGrid), hover reports the point under the cursor and shows an overlay
// (thumbnail and text) that the owner supplies.
//
// The view knows nothing about samples: points are indices 0..N-1 into the layout it was given.
// Colours, which points are selectable (the gallery's filters) and the hover overlay come from
// the owner (ScatterPanel). Points that are not selectable are drawn dimmed and are never
// selected. Selection changes made by the user emit selectionEdited(); setSelection() does not.

#include "pointgrid.h"

#include <QImage>
#include <QPolygonF>
#include <QString>
#include <QWidget>

#include <cstdint>
#include <vector>

namespace labelscope::ui {

class ScatterView : public QWidget {
    Q_OBJECT
public:
    enum class Tool { Pan, Lasso, Rectangle };
    enum class SelectMode { Replace, Add, Subtract };

    explicit ScatterView(QWidget *parent = nullptr);

    /// Sets the layout, row-major [N, 2] in data units; clears the selection and fits the view.
    void setPoints(std::vector<float> xy);
    int pointCount() const { return m_grid.size(); }
    const PointGrid &grid() const { return m_grid; }
    /// One colour per point, [N] (0xAARRGGBB); a wrong size paints everything grey.
    void setColors(std::vector<std::uint32_t> colors);
    /// Point INDEX's colour (0xAARRGGBB); grey without colours or out of range.
    std::uint32_t colorAt(int index) const;
    /// [N], 0 = filtered out (dimmed, not selectable); empty = all selectable. Drops selected
    /// points that became unselectable (without selectionEdited()).
    void setSelectable(std::vector<std::uint8_t> mask);
    bool isSelectable(int index) const;
    /// [N], non-zero = emphasised: drawn one pixel larger and above the other unselected points
    /// (the flagged samples when colouring by category); empty = none.
    void setEmphasis(std::vector<std::uint8_t> mask);
    bool isEmphasised(int index) const;
    /// Replaces the selection (ascending or not; out-of-range and unselectable indices dropped).
    void setSelection(std::vector<int> indices);
    /// Selected point indices, ascending.
    const std::vector<int> &selection() const { return m_selection; }

    void setTool(Tool tool);
    Tool tool() const { return m_tool; }
    /// Side of a point in pixels (1..4); 0 = automatic from the point count.
    void setPointSize(int pixels);
    int effectivePointSize() const;

    /// Selects the points inside POLYGON (widget pixel coordinates) and emits selectionEdited().
    void selectPolygon(const QPolygonF &screenPolygon, SelectMode mode = SelectMode::Replace);
    void selectRect(const QRectF &screenRect, SelectMode mode = SelectMode::Replace);

    /// View transform: screen = (data - centre) * scale * (1, -1) + widget centre.
    QPointF toScreen(QPointF data) const;
    QPointF toData(QPointF screen) const;
    double scale() const { return m_scale; }
    /// Shows all points; the view then refits on resize until it is panned or zoomed.
    void fitToView();
    void panBy(QPointF pixels);
    void zoomAt(QPointF screenPos, double factor);
    /// The selectable point nearest to POS within a few pixels, or -1.
    int pointAt(QPointF screenPos) const;

    /// Renders the points into the cache for the current size and transform and returns it
    /// (what paintEvent draws below the overlays; benchmarks call it directly).
    const QImage &render();
    /// Milliseconds the last render() took.
    double lastRenderMs() const { return m_lastRenderMs; }

    /// The hover overlay drawn next to point INDEX (-1 hides it).
    void setHoverInfo(int index, const QImage &thumbnail, const QString &text);
    int hoveredPoint() const { return m_hover; }

    QSize sizeHint() const override { return {640, 480}; }

Q_SIGNALS:
    /// The user changed the selection (lasso, rectangle, click).
    void selectionEdited();
    /// The pointer rests on point INDEX (-1: none).
    void pointHovered(int index);
    /// A click (no drag) on point INDEX (-1: empty space).
    void pointClicked(int index);
    void viewChanged();

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    void applySelection(std::vector<int> hits, SelectMode mode);
    void invalidate();
    void updateHover(QPointF pos);
    void updateLevels();
    void updateSortedColors();

    static constexpr std::uint8_t kLevelDimmed = 1, kLevelNormal = 2, kLevelEmphasis = 3, kLevelSelected = 4;

    PointGrid m_grid;
    std::vector<std::uint32_t> m_colors;
    std::vector<std::uint8_t> m_selectable;  // [N] or empty
    std::vector<std::uint8_t> m_emphasis;    // [N] or empty
    std::vector<int> m_selection;            // ascending
    Tool m_tool = Tool::Lasso;
    int m_pointSize = 0;
    double m_scale = 1.0;
    QPointF m_centre;
    bool m_autoFit = true; // refit on resize until the user pans or zooms
    QImage m_cache;
    std::vector<std::uint8_t> m_levels;    // [N] draw level, in the grid's cell order
    std::vector<std::uint32_t> m_sortedColors; // [N] m_colors in the grid's cell order
    std::vector<std::uint8_t> m_priority;  // [width * height] level drawn at each pixel
    bool m_dirty = true;
    double m_lastRenderMs = 0;

    // interaction
    enum class Drag { None, Pan, Lasso, Rectangle };
    Drag m_drag = Drag::None;
    QPointF m_pressPos, m_lastPos;
    bool m_moved = false;
    SelectMode m_dragMode = SelectMode::Replace;
    QPolygonF m_lasso;

    int m_hover = -1;
    QImage m_hoverImage;
    QString m_hoverText;
};

} // namespace labelscope::ui
