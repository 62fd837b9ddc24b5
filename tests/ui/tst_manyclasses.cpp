// GUI tests (offscreen) of a project with 100 classes (issue 17): the type-ahead class picker
// (L opens it, typing filters, Enter applies), the ten classes on the number keys (pinned, then
// most used), the panel's buttons, and adding, renaming and merging classes in the window.

#include "ui/uifixture.h"

#include "classpicker.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "labellingpanel.h"
#include "mainwindow.h"
#include "reviewsession.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

class TestManyClasses : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_file;
    std::unique_ptr<MainWindow> m_window;

    QListView *view() const { return m_window->gallery()->view(); }
    ReviewSession *session() const { return m_window->session(); }

    static std::optional<SampleRow> dbSample(const QString &file, qint64 id)
    {
        ProjectStore s;
        if (!s.open(file))
            return std::nullopt;
        return s.sample(id);
    }
    void reopen()
    {
        m_window.reset();
        m_window = std::make_unique<MainWindow>();
        QString error;
        QVERIFY2(m_window->openProject(m_file, &error), qPrintable(error));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        QComboBox *sort = m_window->gallery()->sortCombo();
        sort->setCurrentIndex(sort->findData(int(GalleryModel::SortOrder::Id)));
        view()->setFocus();
    }
    void typeAndApply(const QString &text)
    {
        QTest::keyClick(view(), Qt::Key_L);
        ClassPicker *picker = m_window->classPicker();
        QVERIFY(picker->isVisible());
        QTest::keyClicks(picker->filterField(), text);
        QTest::keyClick(picker->filterField(), Qt::Key_Return);
        QVERIFY(!picker->isVisible());
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        ProjectStore store;
        QVERIFY2(store.open(m_file, &error), qPrintable(error));
        // Classes 3..99 through the store's recorded API: "species 003" … and one "Sandal".
        for (int k = 3; k < 100; ++k) {
            const QString name = k == 57 ? QStringLiteral("Sandal") : QStringLiteral("species %1").arg(k, 3, 10, QLatin1Char('0'));
            const Result<int> added = store.addClass(name, QStringLiteral("test"));
            QVERIFY2(added, qPrintable(added.error()));
            QCOMPARE(added.value(), k);
        }
        store.close();
        reopen();
    }

    void cleanup()
    {
        m_window.reset();
        m_dir.reset();
    }

    void matchesPrefixFirst()
    {
        const QStringList classes{QStringLiteral("cat"), QStringLiteral("bobcat"), QStringLiteral("Catfish"),
                                  QStringLiteral("dog")};
        QCOMPARE(ClassPicker::matches(classes, QStringLiteral("cat")), (QVector<int>{0, 2, 1}));
        QCOMPARE(ClassPicker::matches(classes, QStringLiteral("  DOG ")), (QVector<int>{3}));
        QCOMPARE(ClassPicker::matches(classes, QString()).size(), 4);
        QVERIFY(ClassPicker::matches(classes, QStringLiteral("horse")).isEmpty());
    }

    void pickerRelabelsAmongHundred()
    {
        QCOMPARE(session()->classes().size(), 100);
        // The panel: ten buttons for the number keys and "Other class…".
        LabellingPanel *panel = m_window->panel();
        QVERIFY(panel->otherClassButton() && panel->otherClassButton()->isVisibleTo(panel));
        QCOMPARE(panel->findChildren<QPushButton *>(QRegularExpression(QStringLiteral("^classButton\\d+$"))).size(), 10);
        QCOMPARE(session()->quickClasses(), (QVector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));

        QVERIFY(m_window->gallery()->setCurrentSample(1));
        typeAndApply(QStringLiteral("sand"));
        QCOMPARE(dbSample(m_file, 1)->label, 57);
        // Escape closes without a decision.
        QVERIFY(m_window->gallery()->setCurrentSample(2));
        QTest::keyClick(view(), Qt::Key_L);
        QVERIFY(m_window->classPicker()->isVisible());
        QTest::keyClicks(m_window->classPicker()->filterField(), QStringLiteral("species 04"));
        QCOMPARE(m_window->classPicker()->list()->count(), 10); // species 040 … 049
        QTest::keyClick(m_window->classPicker()->filterField(), Qt::Key_Escape);
        QVERIFY(!m_window->classPicker()->isVisible());
        QCOMPARE(dbSample(m_file, 2)->label, 1);
        // Down then Enter picks the second match.
        view()->setFocus();
        QTest::keyClick(view(), Qt::Key_L);
        QTest::keyClicks(m_window->classPicker()->filterField(), QStringLiteral("species 04"));
        QTest::keyClick(m_window->classPicker()->filterField(), Qt::Key_Down);
        QTest::keyClick(m_window->classPicker()->filterField(), Qt::Key_Return);
        QCOMPARE(dbSample(m_file, 2)->label, 41);
    }

    void numberKeysPinnedThenMostUsed()
    {
        // Relabels to class 42 (twice) and 57 (once) make them the most used after a reopen.
        QString error;
        QVERIFY(session()->decide({{1, 42, false, QStringLiteral("relabel")}, {2, 42, false, QStringLiteral("relabel")},
                                   {3, 57, false, QStringLiteral("relabel")}},
                                  QStringLiteral("t"), &error));
        QCOMPARE(session()->quickClasses().front(), 0); // fixed while open
        reopen();
        QCOMPARE(session()->quickClasses().mid(0, 3), (QVector<int>{42, 57, 0}));
        QCOMPARE(session()->keyForClass(42), QStringLiteral("1"));
        // Pins come first and are kept in the project.
        QVERIFY2(session()->setPinnedClasses({99, 5}, &error), qPrintable(error));
        QCOMPARE(session()->quickClasses().mid(0, 4), (QVector<int>{99, 5, 42, 57}));
        reopen();
        QCOMPARE(session()->pinnedClasses(), (QVector<int>{99, 5}));
        QVERIFY(m_window->gallery()->setCurrentSample(4));
        QTest::keyClick(view(), Qt::Key_1);
        QCOMPARE(dbSample(m_file, 4)->label, 99);
        QVERIFY(m_window->gallery()->setCurrentSample(5));
        QTest::keyClick(view(), Qt::Key_0); // the tenth on the keys
        QCOMPARE(dbSample(m_file, 5)->label, session()->quickClasses().at(9));
    }

    void addRenameMergeInTheWindow()
    {
        m_window->showClassesDialog();
        ClassesDialog *dlg = m_window->classesDialog();
        QVERIFY(dlg && dlg->isVisible());
        QCOMPARE(dlg->list()->count(), 100);
        dlg->nameField()->setText(QStringLiteral("Heron"));
        dlg->addButton()->click();
        QCOMPARE(session()->classes().size(), 101);
        QCOMPARE(session()->classes().last(), QStringLiteral("Heron"));
        QCOMPARE(dlg->list()->count(), 101);
        // A duplicate is refused with the reason shown.
        dlg->nameField()->setText(QStringLiteral("heron"));
        dlg->addButton()->click();
        QCOMPARE(session()->classes().size(), 101);
        QVERIFY2(dlg->message()->text().contains(QStringLiteral("already called")), qPrintable(dlg->message()->text()));
        // Rename class 2.
        dlg->list()->setCurrentRow(2);
        dlg->nameField()->setText(QStringLiteral("bird"));
        dlg->renameButton()->click();
        QCOMPARE(session()->classes().at(2), QStringLiteral("bird"));
        QCOMPARE(m_window->gallery()->classCombo()->itemText(3), QStringLiteral("bird"));
        // Merge dog (1) into cat (0): ids 2 and 5 move, one undo step.
        dlg->list()->setCurrentRow(1);
        dlg->mergeTarget()->setCurrentIndex(0);
        dlg->mergeButton()->click();
        QCOMPARE(dbSample(m_file, 2)->label, 0);
        QCOMPARE(dbSample(m_file, 5)->label, 0);
        QVERIFY(session()->isMergedAway(1));
        QVERIFY(dlg->list()->item(1)->text().contains(QStringLiteral("merged")));
        session()->undoStack()->undo();
        QCOMPARE(dbSample(m_file, 2)->label, 1);
        // All three are in the project's class log.
        ProjectStore s;
        QVERIFY(s.open(m_file));
        const std::vector<ClassEvent> events = s.classEvents();
        QCOMPARE(events.size(), std::size_t(97 + 3));
        QCOMPARE(events[97].action, QStringLiteral("add"));
        QCOMPARE(events[98].action, QStringLiteral("rename"));
        QCOMPARE(events[99].action, QStringLiteral("merge"));
    }
};

QTEST_MAIN(TestManyClasses)
#include "tst_manyclasses.moc"
