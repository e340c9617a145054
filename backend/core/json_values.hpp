#pragma once
// Optional values as the JSON outputs write them: the value, or null.

#include <optional>

#include <nlohmann/json.hpp>

#include "backend/core/time.hpp"

namespace mgate::backend {

/// The value, or null.
template <typename T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

/// The time as RFC 3339 text (format_rfc3339), or null.
inline nlohmann::json time_or_null(const std::optional<Clock::time_point>& t) {
  return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
}

}  // namespace mgate::backend
