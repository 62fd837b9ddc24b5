#pragma once
// StatisticsPage: the review window's "Statistics" page — four charts of the open project, each
// with an "Export PNG…" button:
//  - Classes: sample count per class, given label vs current label (Qt Charts bar series);
//  - Categories per class: easy / hard / need review / unknown by given label (stacked bars);
//  - Image statistics per class: mean brightness and contrast (bars) plus a table with the mean
//    size and the share of colour images, measured off the GUI thread on a sample of at most
//    kImagesPerClass images per class (cancellable; restarted when the project changes);
//  - Given label vs prediction of the latest run (a confusion matrix heat map).
// The counts are recomputed when the session reloads or decisions change them.

#include "jobs/imagestatistics.h"

#include <QWidget>

#include <atomic>
#include <memory>

class QChart;
class QChartView;
class QLabel;
class QTableWidget;
class QTimer;

namespace labelscope::ui {

class AgreementView;
class ConfusionMatrixView;
class ReviewSession;

class StatisticsPage : public QWidget {
    Q_OBJECT
public:
    enum class Chart { Classes, Categories, ImageStats, Confusion };
    static constexpr int kImagesPerClass = 200;

    explicit StatisticsPage(ReviewSession *session, QWidget *parent = nullptr);
    ~StatisticsPage() override;

    /// Recomputes the counts and restarts the image statistics.
    void refresh();
    /// Writes chart WHICH as a PNG file; false and *error on failure.
    bool exportChart(Chart which, const QString &file, QString *error = nullptr);
    /// The widget that is exported for WHICH.
    QWidget *chartWidget(Chart which) const;

    /// True while the image statistics are being computed.
    bool isComputingImageStats() const;
    const ImageStatsResult &imageStats() const { return m_imageStats; }
    ConfusionMatrixView *confusion() const { return m_confusion; }
    QChart *classChart() const { return m_classChart; }
    QChart *categoryChart() const { return m_categoryChart; }
    QTableWidget *imageTable() const { return m_imageTable; }
    /// Agreement between annotators and the conflict queue (issue 18: a shared project).
    AgreementView *agreementView() const { return m_agreement; }

Q_SIGNALS:
    void imageStatsReady();

protected:
    void showEvent(QShowEvent *event) override;

private:
    void updateCounts();
    void startImageStats();
    void cancelImageStats();
    void onImageStatsFinished(Result<ImageStatsResult> result);
    void showImageStats();
    void exportDialog(Chart which);

    ReviewSession *m_session;
    QChart *m_classChart, *m_categoryChart, *m_imageChart;
    QChartView *m_classView, *m_categoryView, *m_imageView;
    ConfusionMatrixView *m_confusion;
    AgreementView *m_agreement;
    QWidget *m_imageBox;
    QTableWidget *m_imageTable;
    QLabel *m_imageStatus;
    QTimer *m_countTimer;
    bool m_running = false;    // the image-statistics job runs
    ImageStatsResult m_imageStats;
    bool m_stale = true;       // the image statistics are older than the project
    bool m_agreementFresh = false; // refreshed while visible since the last change
    bool m_restart = false;    // start again when the running computation ends
};

} // namespace labelscope::ui
