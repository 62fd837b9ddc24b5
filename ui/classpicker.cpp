#include "classpicker.h"

#include "reviewsession.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace labelscope::ui {

ClassPicker::ClassPicker(ReviewSession *session, QWidget *parent)
    : QFrame(parent, Qt::Popup), m_session(session)
{
    setObjectName(QStringLiteral("classPicker"));
    setFrameStyle(QFrame::StyledPanel | QFrame::Raised);
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("classPickerFilter"));
    m_filter->setPlaceholderText(tr("Type a class name, Enter applies, Esc closes"));
    m_filter->setClearButtonEnabled(true);
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("classPickerList"));
    m_list->setFocusPolicy(Qt::NoFocus);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(new QLabel(tr("<b>Label as\u2026</b>"), this));
    layout->addWidget(m_filter);
    layout->addWidget(m_list, 1);
    connect(m_filter, &QLineEdit::textChanged, this, &ClassPicker::refill);
    connect(m_list, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        m_list->setCurrentItem(item);
        apply();
    });
    m_filter->installEventFilter(this);
    resize(320, 360);
}

QVector<int> ClassPicker::matches(const QStringList &classes, const QString &text)
{
    const QString t = text.trimmed();
    QVector<int> prefix, contains;
    for (int k = 0; k < classes.size(); ++k) {
        if (t.isEmpty() || classes.at(k).startsWith(t, Qt::CaseInsensitive))
            prefix.push_back(k);
        else if (classes.at(k).contains(t, Qt::CaseInsensitive))
            contains.push_back(k);
    }
    return prefix + contains;
}

void ClassPicker::refill()
{
    m_list->clear();
    const QStringList &classes = m_session->classes();
    for (int k : matches(classes, m_filter->text())) {
        if (m_session->isMergedAway(k))
            continue;
        auto *item = new QListWidgetItem(QStringLiteral("%1   (%2)").arg(classes.at(k)).arg(k), m_list);
        item->setData(Qt::UserRole, k);
    }
    if (m_list->count() > 0)
        m_list->setCurrentRow(0);
}

void ClassPicker::popup(QWidget *anchor, const QString &initialText)
{
    m_filter->setText(initialText);
    refill();
    if (anchor) {
        const QPoint centre = anchor->mapToGlobal(anchor->rect().center());
        move(centre - QPoint(width() / 2, height() / 2));
    }
    show();
    raise();
    activateWindow();
    m_filter->setFocus();
}

void ClassPicker::apply()
{
    QListWidgetItem *item = m_list->currentItem();
    if (!item)
        return;
    const int k = item->data(Qt::UserRole).toInt();
    hide();
    Q_EMIT classChosen(k);
}

bool ClassPicker::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_filter && event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        switch (key->key()) {
        case Qt::Key_Return:
        case Qt::Key_Enter: apply(); return true;
        case Qt::Key_Escape: hide(); return true;
        case Qt::Key_Down:
        case Qt::Key_Up: {
            const int step = key->key() == Qt::Key_Down ? 1 : -1;
            const int row = std::clamp(m_list->currentRow() + step, 0, std::max(0, m_list->count() - 1));
            m_list->setCurrentRow(row);
            return true;
        }
        default: break;
        }
    }
    return QFrame::eventFilter(watched, event);
}

// ---------------------------------------------------------------------------------------------

ClassesDialog::ClassesDialog(ReviewSession *session, QWidget *parent) : QDialog(parent), m_session(session)
{
    setObjectName(QStringLiteral("classesDialog"));
    setWindowTitle(tr("Classes"));
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("classesList"));
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("className"));
    m_name->setPlaceholderText(tr("Class name"));
    m_add = new QPushButton(tr("Add"), this);
    m_add->setObjectName(QStringLiteral("addClass"));
    m_rename = new QPushButton(tr("Rename selected"), this);
    m_rename->setObjectName(QStringLiteral("renameClass"));
    m_target = new QComboBox(this);
    m_target->setObjectName(QStringLiteral("mergeTarget"));
    m_merge = new QPushButton(tr("Merge selected into"), this);
    m_merge->setObjectName(QStringLiteral("mergeClass"));
    m_merge->setToolTip(tr("Relabels every sample of the selected class to the chosen one (one undo step); "
                           "the class stays in the list for the given labels"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("classesMessage"));
    m_message->setWordWrap(true);
    auto *nameRow = new QHBoxLayout;
    nameRow->addWidget(m_name, 1);
    nameRow->addWidget(m_add);
    nameRow->addWidget(m_rename);
    auto *mergeRow = new QHBoxLayout;
    mergeRow->addWidget(m_merge);
    mergeRow->addWidget(m_target, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_list, 1);
    layout->addLayout(nameRow);
    layout->addLayout(mergeRow);
    layout->addWidget(m_message);

    connect(m_add, &QPushButton::clicked, this, [this] {
        QString error;
        const QString name = m_name->text().trimmed();
        report(m_session->addClass(name, &error), tr("Added \u201c%1\u201d.").arg(name), error);
    });
    connect(m_rename, &QPushButton::clicked, this, [this] {
        const int k = m_list->currentRow();
        QString error;
        if (k < 0) {
            report(false, {}, tr("Select the class to rename."));
            return;
        }
        const QString old = m_session->classes().value(k), name = m_name->text().trimmed();
        report(m_session->renameClass(k, name, &error), tr("Renamed \u201c%1\u201d to \u201c%2\u201d.").arg(old, name),
               error);
    });
    connect(m_merge, &QPushButton::clicked, this, [this] {
        const int from = m_list->currentRow(), into = m_target->currentIndex();
        QString error;
        if (from < 0) {
            report(false, {}, tr("Select the class to merge."));
            return;
        }
        const QStringList &c = m_session->classes();
        const QString done = tr("Merged \u201c%1\u201d into \u201c%2\u201d (Ctrl+Z undoes it).").arg(c.value(from), c.value(into));
        report(m_session->mergeClass(from, into, &error), done, error);
    });
    connect(m_session, &ReviewSession::classesChanged, this, &ClassesDialog::refresh);
    connect(m_session, &ReviewSession::reloaded, this, &ClassesDialog::refresh);
    resize(420, 480);
    refresh();
}

void ClassesDialog::refresh()
{
    const int row = m_list->currentRow();
    const QStringList &classes = m_session->classes();
    m_list->clear();
    m_target->clear();
    for (int k = 0; k < classes.size(); ++k) {
        QString text = QStringLiteral("%1   (%2)").arg(classes.at(k)).arg(k);
        if (m_session->isMergedAway(k))
            text += tr("  \u2014 merged, no samples");
        m_list->addItem(text);
        m_target->addItem(classes.at(k), k);
    }
    if (row >= 0 && row < m_list->count())
        m_list->setCurrentRow(row);
    const bool writable = m_session->isOpen() && !m_session->isReadOnly();
    for (QWidget *w : {static_cast<QWidget *>(m_add), static_cast<QWidget *>(m_rename), static_cast<QWidget *>(m_merge)})
        w->setEnabled(writable);
}

void ClassesDialog::report(bool ok, const QString &done, const QString &error)
{
    m_message->setStyleSheet(ok ? QStringLiteral("color: #2e7d32;") : QStringLiteral("color: #c62828;"));
    m_message->setText(ok ? done : error);
    if (ok)
        m_name->clear();
}

} // namespace labelscope::ui
