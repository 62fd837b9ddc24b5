// GUI tests (offscreen) of the persistent review history (issue 17): the undo stack is rebuilt
// from the project's log when a project is reopened, so that Ctrl+Z after a restart undoes the
// last decision of the previous session and Ctrl+Shift+Z redoes what was undone; a class merge is
// one undo step; the reviewed state of a sample follows decisions, undos and redos.

#include "ui/uifixture.h"

#include "gallerymodel.h"
#include "gallerywidget.h"
#include "mainwindow.h"
#include "reviewsession.h"

#include <QComboBox>
#include <QListView>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

class TestReviewHistory : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_file;
    std::unique_ptr<MainWindow> m_window;

    GalleryModel *model() const { return m_window->gallery()->model(); }
    QListView *view() const { return m_window->gallery()->view(); }
    ReviewSession *session() const { return m_window->session(); }

    static std::optional<SampleRow> dbSample(const QString &file, qint64 id)
    {
        ProjectStore s;
        if (!s.open(file))
            return std::nullopt;
        return s.sample(id);
    }
    bool reviewed(qint64 id) const { return session()->isReviewed(session()->indexOf(id)); }

    /// Closes the window and opens the project in a new one, as after a restart.
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
    void selectId(qint64 id) { QVERIFY(m_window->gallery()->setCurrentSample(id)); }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        reopen();
    }

    void cleanup()
    {
        m_window.reset();
        m_dir.reset();
    }

    void undoAndRedoAfterReopen()
    {
        QCOMPARE(session()->undoStack()->count(), 0);
        QVERIFY(!reviewed(1));
        selectId(1);
        QTest::keyClick(view(), Qt::Key_2); // id 1: cat → dog
        selectId(3);
        QTest::keyClick(view(), Qt::Key_X); // id 3 excluded
        QCOMPARE(dbSample(m_file, 1)->label, 1);
        QVERIFY(dbSample(m_file, 3)->excluded);
        QVERIFY(reviewed(1) && reviewed(3) && !reviewed(2));

        reopen();
        QUndoStack *undo = session()->undoStack();
        QCOMPARE(undo->count(), 2);
        QCOMPARE(undo->index(), 2);
        QVERIFY(undo->canUndo() && !undo->canRedo());
        QVERIFY2(undo->undoText().contains(QStringLiteral("Exclude")), qPrintable(undo->undoText()));
        QVERIFY(reviewed(1) && reviewed(3));
        // Reopening wrote nothing.
        QCOMPARE(dbSample(m_file, 1)->label, 1);

        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(!dbSample(m_file, 3)->excluded);
        QVERIFY(!reviewed(3));
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(dbSample(m_file, 1)->label, 0);
        QVERIFY(!reviewed(1));
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(dbSample(m_file, 1)->label, 1);
        QVERIFY(reviewed(1));

        // Again after a restart: one step to undo (id 1), one to redo (the exclusion of id 3).
        reopen();
        undo = session()->undoStack();
        QCOMPARE(undo->count(), 2);
        QCOMPARE(undo->index(), 1);
        QVERIFY2(undo->redoText().contains(QStringLiteral("Exclude")), qPrintable(undo->redoText()));
        QVERIFY(reviewed(1) && !reviewed(3));
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(dbSample(m_file, 3)->excluded);
        QVERIFY(reviewed(3));
        // A new decision clears what could be redone, as before the restart.
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier);
        selectId(2);
        QTest::keyClick(view(), Qt::Key_K);
        reopen();
        QCOMPARE(session()->undoStack()->index(), session()->undoStack()->count());
        QVERIFY(reviewed(1) && reviewed(2) && !reviewed(3));
    }

    // A bulk decision that names one sample twice: undo restores the state before the first.
    void undoOfRepeatedSample()
    {
        std::vector<Decision> batch = {{4, 1, false, QStringLiteral("relabel")}, {4, 2, false, QStringLiteral("relabel")}};
        QString error;
        QVERIFY2(session()->decide(batch, QStringLiteral("twice"), &error), qPrintable(error));
        QCOMPARE(dbSample(m_file, 4)->label, 2);
        reopen();
        QCOMPARE(session()->undoStack()->count(), 1);
        session()->undoStack()->undo();
        QCOMPARE(dbSample(m_file, 4)->label, 0);
        reopen();
        QCOMPARE(session()->undoStack()->index(), 0); // the undo is recognised as such
        session()->undoStack()->redo();
        QCOMPARE(dbSample(m_file, 4)->label, 2);
    }

    void mergeIsOneUndoStep()
    {
        // Fixture labels: ids 1 and 4 are cat (0), 2 and 5 dog (1), 3 and 6 bird (2).
        QString error;
        QVERIFY2(session()->mergeClass(0, 1, &error), qPrintable(error));
        QCOMPARE(dbSample(m_file, 1)->label, 1);
        QCOMPARE(dbSample(m_file, 4)->label, 1);
        QVERIFY(session()->isMergedAway(0));
        reopen();
        QVERIFY(session()->isMergedAway(0));
        QCOMPARE(session()->undoStack()->count(), 1);
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(dbSample(m_file, 1)->label, 0);
        QCOMPARE(dbSample(m_file, 4)->label, 0);
        QVERIFY(!session()->isMergedAway(0));
        // Add and rename are recorded and shown at once.
        QVERIFY2(session()->addClass(QStringLiteral("horse"), &error), qPrintable(error));
        QVERIFY2(session()->renameClass(2, QStringLiteral("bird"), &error), qPrintable(error));
        QCOMPARE(session()->classes(), (QStringList{QStringLiteral("cat"), QStringLiteral("dog"),
                                                    QStringLiteral("bird"), QStringLiteral("horse")}));
        QVERIFY(!session()->renameClass(3, QStringLiteral("Cat"), &error));
        QVERIFY2(error.contains(QStringLiteral("already called")), qPrintable(error));
        reopen();
        QCOMPARE(session()->classes().size(), 4);
    }
};

QTEST_MAIN(TestReviewHistory)
#include "tst_reviewhistory.moc"
