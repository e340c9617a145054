#pragma once
// Errors as values at the backend boundary (CONVENTIONS.md 7).

#include <string>
#include <utility>
#include <variant>

namespace mgate::backend {

/// What kind of failure an Error reports; the CLI maps these to exit codes.
enum class ErrorCode {
  kInvalidArgument,  ///< the caller's input is wrong (usage or configuration)
  kNotFound,         ///< the named thing does not exist
  kAlreadyExists,    ///< the thing to create is already there
  kPermissionDenied, ///< the credentials lack a right
  kUnauthenticated,  ///< no or bad credentials
  kRefused,          ///< a guard refused an action; nothing changed
  kConflict,         ///< the state changed under us (compare-and-set lost)
  kUnavailable,      ///< the service could not be reached or is down
  kTimeout,          ///< the call did not finish in time
  kCancelled,        ///< the caller stopped the call (a stop token fired)
  kIo,               ///< a local file or process failed
  kProtocol,         ///< the peer answered something we cannot read
  kInternal,         ///< a bug of ours
};

/// A short lower-case name for an ErrorCode ("not_found"), stable for JSON output.
const char* to_string(ErrorCode code);

/// A failure for a person to read: what failed and why, plus the raw detail.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;   ///< one sentence for a person: the call and the reason
  std::string detail;    ///< the raw evidence: HTTP body, AWS __type, SQLSTATE
  bool retryable = false;

  /// "message (detail)" or just the message when there is no detail.
  std::string describe() const;
};

/// Builds an Error in one expression.
inline Error make_error(ErrorCode code, std::string message, std::string detail = {},
                        bool retryable = false) {
  return Error{code, std::move(message), std::move(detail), retryable};
}

/// A value or an Error (std::expected arrives with C++23).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  /// True when a value is held.
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  /// The value; only when ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /// The error; only when !ok().
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// A Result that carries no value.
struct Unit {};
using Status = Result<Unit>;

/// The success value of a Status.
inline Status ok_status() { return Unit{}; }

}  // namespace mgate::backend
