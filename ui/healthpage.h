#pragma once
// The "Dataset health" page (issue 16) and the gallery's health filter.
//
// HealthPage: the latest check's counts per issue type and per class (a table; double-click a
// row, or "Show in gallery", filters the gallery to that type), the worst examples of the
// selected type (their action: "Exclude selected" for outliers and image problems), the
// duplicate sets (select a set, pick the image to keep, "Keep selected, exclude the others"),
// "Run checks" (off the GUI thread through the JobRunner, with its stage, a progress bar and
// Cancel) and exports: PNG of the page, CSV of every flag
// (sample_id,path,offset,split,label,issue,score).
//
// HealthFilterBar: a combo box above the gallery ("Dataset health: any / <type> (n)") that
// limits the gallery to the samples flagged with one type and frames them in its colour.

#include "health/healthreport.h"

#include <QFutureWatcher>
#include <QImage>
#include <QWidget>

#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace labelscope::ui {

class GalleryModel;
class HealthModel;
class ReviewSession;

class HealthPage : public QWidget {
    Q_OBJECT
public:
    HealthPage(ReviewSession *session, HealthModel *health, QWidget *parent = nullptr);

    /// The CSV of every flag, as the export writes it.
    QByteArray csv() const;
    /// Writes the page as PNG / the CSV (checked writes); false with *error on failure.
    bool exportPng(const QString &file, QString *error = nullptr);
    bool exportCsv(const QString &file, QString *error = nullptr);

    QTableWidget *table() const { return m_table; }
    /// While a check runs: its stage and fraction, and the button that cancels it.
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *statusLabel() const { return m_status; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *runButton() const { return m_run; }
    QListWidget *examples() const { return m_examples; }
    QListWidget *sets() const { return m_sets; }
    /// The issue type of the table's current row, or nullopt.
    std::optional<IssueType> currentType() const;
    /// Selects TYPE's row (its examples fill the list).
    void selectType(IssueType type);
    /// Keeps the example at ROW of the current duplicate set and excludes the other members
    /// (one undoable decision). False with *error when nothing is selected or the write fails.
    bool keepOne(int row, QString *error = nullptr);

Q_SIGNALS:
    void showInGallery(labelscope::IssueType type);
    void sampleActivated(qint64 sampleId);

private:
    void rebuild();
    void showExamples(const std::vector<int> &indices, const QString &title);
    void onTypeChanged();
    void onSetChanged();
    void excludeSelected();
    void updateButtons();

    ReviewSession *m_session;
    HealthModel *m_health;
    QLabel *m_note = nullptr, *m_examplesTitle = nullptr, *m_status = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_run = nullptr, *m_cancel = nullptr, *m_show = nullptr, *m_exclude = nullptr, *m_keep = nullptr;
    QTableWidget *m_table = nullptr;
    QListWidget *m_examples = nullptr, *m_sets = nullptr;
    std::vector<int> m_shown; // session indices in m_examples
    QFutureWatcher<QImage> m_icons; // the examples' pictures, decoded off the GUI thread in their order
};

class HealthFilterBar : public QWidget {
    Q_OBJECT
public:
    HealthFilterBar(HealthModel *health, GalleryModel *gallery, QWidget *parent = nullptr);
    QComboBox *combo() const { return m_combo; }
    /// Filters the gallery to TYPE (nullopt: off).
    void setIssue(std::optional<IssueType> type);

private:
    void rebuild();
    void apply();

    HealthModel *m_health;
    GalleryModel *m_gallery;
    QComboBox *m_combo = nullptr;
};

} // namespace labelscope::ui
