#pragma once
// Secrets are types, not strings (CONVENTIONS.md 9).

#include <ostream>
#include <string>
#include <utility>

namespace mgate::backend {

/// A token, password or key. It prints as "***"; only reveal() gives the bytes,
/// and only code that hands them to a peer (an HTTP header, libpq) calls it.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  /// The bytes, for the one place that sends them.
  const std::string& reveal() const { return value_; }
  /// True when no secret is held.
  bool empty() const { return value_.empty(); }
  /// What every printer shows.
  static constexpr const char* kMask = "***";

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << kMask; }
  friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }

 private:
  std::string value_;
};

}  // namespace mgate::backend
