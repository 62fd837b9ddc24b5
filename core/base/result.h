#pragma once
// Result<T>: the project's one error convention for new code (cf. qBittorrent's
// nonstd::expected<T, QString>): a value, or an error message that names the file and the place,
// or "cancelled". Long jobs (core/jobs/job.h) return it; I/O helpers return Result<> (no value).
//
//     Result<Dataset> r = load(...);
//     if (!r) return Result<X>::failure(r.error());
//     use(r.value());

#include <QString>

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace labelscope {

template <class T = std::monostate>
class [[nodiscard]] Result {
public:
    /// Success with a value (Result<> is constructed from {} or std::monostate{}).
    Result(T value) : m_value(std::move(value)) {}
    template <class U = T, std::enable_if_t<std::is_same_v<U, std::monostate>, int> = 0>
    Result() : m_value(std::monostate{}) {}

    static Result failure(QString message) { return Result(std::move(message), false); }
    static Result cancelled() { return Result(QStringLiteral("cancelled"), true); }
    /// The failure of another result (any T), keeping "cancelled".
    template <class U>
    static Result from(const Result<U> &other)
    {
        return other.isCancelled() ? cancelled() : failure(other.error());
    }

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    bool isCancelled() const { return m_cancelled; }
    /// Empty on success.
    const QString &error() const { return m_error; }

    const T &value() const & { return *m_value; }
    T &value() & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    const T *operator->() const { return &*m_value; }
    T *operator->() { return &*m_value; }

private:
    Result(QString error, bool cancelled) : m_error(std::move(error)), m_cancelled(cancelled) {}
    std::optional<T> m_value;
    QString m_error;
    bool m_cancelled = false;
};

} // namespace labelscope
