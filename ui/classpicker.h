#pragma once
// Many classes (issue 17): ClassPicker, a type-ahead popup over the class list (L opens it on the
// shown sample or the selection; typing filters — names that start with the text first, then
// names that contain it, ignoring case; Enter applies the first match or the highlighted one,
// Esc closes), and ClassesDialog (Review › Classes): add, rename and merge classes, each a
// recorded event in the project (ProjectStore::addClass / renameClass / mergeClass).

#include <QDialog>
#include <QFrame>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;

namespace labelscope::ui {

class ReviewSession;

class ClassPicker : public QFrame {
    Q_OBJECT
public:
    explicit ClassPicker(ReviewSession *session, QWidget *parent = nullptr);
    /// Shows the popup centred over ANCHOR with an empty filter and focus in the text field.
    void popup(QWidget *anchor, const QString &initialText = QString());
    QLineEdit *filterField() const { return m_filter; }
    QListWidget *list() const { return m_list; }
    /// Class ids in the order shown for TEXT (prefix matches, then substring matches).
    static QVector<int> matches(const QStringList &classes, const QString &text);

Q_SIGNALS:
    void classChosen(int classId);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void refill();
    void apply();

    ReviewSession *m_session;
    QLineEdit *m_filter;
    QListWidget *m_list;
};

class ClassesDialog : public QDialog {
    Q_OBJECT
public:
    explicit ClassesDialog(ReviewSession *session, QWidget *parent = nullptr);
    void refresh();
    QListWidget *list() const { return m_list; }
    QLineEdit *nameField() const { return m_name; }
    QComboBox *mergeTarget() const { return m_target; }
    QPushButton *addButton() const { return m_add; }
    QPushButton *renameButton() const { return m_rename; }
    QPushButton *mergeButton() const { return m_merge; }
    /// The last refusal or confirmation ("" when none).
    QLabel *message() const { return m_message; }

private:
    void report(bool ok, const QString &done, const QString &error);

    ReviewSession *m_session;
    QListWidget *m_list;
    QLineEdit *m_name;
    QComboBox *m_target;
    QPushButton *m_add, *m_rename, *m_merge;
    QLabel *m_message;
};

} // namespace labelscope::ui
