#pragma once
// ClassRowsView: for one class (by given label, the label the analysis scored), three rows of
// representative samples as in the Data Parameters enrichment figures — easy (lowest noise
// score), hard (highest) and need review (closest to the middle of that band; titled for
// annotators "the clearest", "the most likely wrong", "the least certain") — each framed by
// its category colour. "Export PNG…" saves the figure.

#include "base/category.h"

#include <QVector>
#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace labelscope::ui {

class ReviewSession;
class ThumbnailLoader;

/// One row of tiles; click a tile to open its sample.
class TileStrip : public QWidget {
    Q_OBJECT
public:
    TileStrip(ReviewSession *session, ThumbnailLoader *loader, QWidget *parent = nullptr);
    void setSamples(const QVector<int> &sessionIndices, int slots);
    const QVector<int> &samples() const { return m_indices; }
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

Q_SIGNALS:
    void sampleActivated(qint64 sampleId);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    QRect tileRect(int i) const;
    ReviewSession *m_session;
    ThumbnailLoader *m_loader;
    QVector<int> m_indices;
    int m_slots = 10;
};

class ClassRowsView : public QWidget {
    Q_OBJECT
public:
    ClassRowsView(ReviewSession *session, ThumbnailLoader *loader, QWidget *parent = nullptr);

    void setClass(int label);
    int currentClass() const;
    /// The samples of each row (session indices), for tests.
    QVector<int> rowSamples(Category category) const;
    /// The part that is exported (titles and rows).
    QWidget *figure() const { return m_figure; }
    bool exportPng(const QString &file, QString *error = nullptr);

    /// Picks the representatives of CATEGORY among the samples of class LABEL (by given label).
    static QVector<int> representatives(const ReviewSession &session, int label, Category category,
                                        int count);

Q_SIGNALS:
    void sampleActivated(qint64 sampleId);

private:
    void rebuildClasses();
    void rebuildRows();
    void exportClicked();

    ReviewSession *m_session;
    ThumbnailLoader *m_loader;
    QComboBox *m_classCombo;
    QSpinBox *m_perRow;
    QPushButton *m_export;
    QWidget *m_figure;
    QLabel *m_heading;
    QLabel *m_titles[3];
    TileStrip *m_rows[3];
};

} // namespace labelscope::ui
