#pragma once
// One name table per enumeration: the command line, the YAML config, the JSON summary, the
// store and the window all read and write an option's names through its table, so a name list is
// written once. Each table is a constexpr array of {value, "name"} pairs next to its enum.
//
//     constexpr EnumName<Method> kMethodNames[] = {{Method::All, "all"}, ...};
//     std::optional<Method> m = enumFromName(kMethodNames, text);
//     QString help = enumNameList(kMethodNames);   // "all, data-parameters or confident-learning"

#include <QString>
#include <QStringList>

#include <cstddef>
#include <optional>

namespace labelscope {

template <class E>
struct EnumName {
    E value;
    const char *name;
};

/// The value whose name is NAME (exact, case-sensitive), or nullopt.
template <class E, std::size_t N>
std::optional<E> enumFromName(const EnumName<E> (&table)[N], const QString &name)
{
    for (const EnumName<E> &e : table)
        if (name == QLatin1String(e.name))
            return e.value;
    return std::nullopt;
}

/// The name of VALUE ("" when the table lacks it).
template <class E, std::size_t N>
QString enumName(const EnumName<E> (&table)[N], E value)
{
    for (const EnumName<E> &e : table)
        if (e.value == value)
            return QString::fromLatin1(e.name);
    return QString();
}

/// Every name, in table order.
template <class E, std::size_t N>
QStringList enumNames(const EnumName<E> (&table)[N])
{
    QStringList out;
    for (const EnumName<E> &e : table)
        out << QString::fromLatin1(e.name);
    return out;
}

/// "a, b or c", for help texts and error messages.
template <class E, std::size_t N>
QString enumNameList(const EnumName<E> (&table)[N])
{
    const QStringList names = enumNames(table);
    if (names.size() < 2)
        return names.join(QString());
    return names.mid(0, names.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" or ") + names.last();
}

/// The standard refusal: "unknown WHAT 'text' (use a, b or c)".
template <class E, std::size_t N>
QString unknownNameError(const EnumName<E> (&table)[N], const QString &what, const QString &text)
{
    return QStringLiteral("unknown %1 '%2' (use %3)").arg(what, text, enumNameList(table));
}

} // namespace labelscope
