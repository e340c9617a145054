#include "backend/db/pg_error.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "backend/core/strings.hpp"

namespace mgate::backend::db {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains_any(const std::string& haystack, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view needle) { return haystack.find(needle) != std::string::npos; });
}

std::string detail_for(const std::string& sqlstate, std::string_view server_message,
                       const std::string& statement) {
  std::string detail =
      fmt::format("SQLSTATE {}: {}", sqlstate.empty() ? "(none)" : sqlstate, one_line(server_message));
  if (!statement.empty()) detail += "; statement: " + statement;
  return detail;
}

// An SQLSTATE whose connection is gone: class 08 (connection exception) and 57P (operator
// intervention: the server shut down or the session was terminated).
bool breaks_connection(const std::string& sqlstate) {
  return sqlstate.starts_with("08") || sqlstate.starts_with("57P");
}

}  // namespace

std::string one_line(std::string_view message) {
  std::vector<std::string> lines;
  for (const std::string& line : split(message, '\n')) {
    std::string text(trim(line));
    std::replace(text.begin(), text.end(), '\t', ' ');
    if (!text.empty()) lines.push_back(std::move(text));
  }
  return join(lines, " | ");
}

std::string first_reason(std::string_view message) {
  std::string_view line = trim(message.substr(0, message.find('\n')));
  if (line.starts_with("connection to server")) {
    if (const std::size_t at = line.rfind(" failed: "); at != std::string_view::npos)
      line = line.substr(at + 9);
  }
  for (std::string_view prefix : {"FATAL:", "ERROR:"}) {
    if (line.starts_with(prefix)) line = trim(line.substr(prefix.size()));
  }
  return std::string(line);
}

Error connect_error(std::string_view libpq_message, const std::string& target, const std::string& env_name) {
  const std::string text = lower(libpq_message);
  const std::string reason = first_reason(libpq_message);
  const std::string message =
      fmt::format("connecting to {} (environment {}) failed: {}", target, env_name, reason);
  const std::string detail = one_line(libpq_message);
  if (contains_any(text, {"password authentication failed", "no password supplied", "authentication failed",
                          "password is required"})) {
    return make_error(ErrorCode::kUnauthenticated, message, detail);
  }
  if (text.find("database") != std::string::npos && text.find("does not exist") != std::string::npos) {
    return make_error(ErrorCode::kNotFound, message, detail);
  }
  // libpq's own complaints about the connection string, before any network traffic.
  if (contains_any(text,
                   {"invalid connection option", "invalid uri", "invalid percent-encoded", "missing \"=\"",
                    "unterminated quoted string", "definition of service", "invalid integer value",
                    "invalid port number", "invalid sslmode", "end of string reached"})) {
    return make_error(ErrorCode::kInvalidArgument, message, detail);
  }
  return make_error(ErrorCode::kUnavailable, message, detail, /*retryable=*/true);
}

Error sql_error(const std::string& sqlstate, std::string_view server_message, const std::string& statement,
                const std::string& operation, const std::string& target) {
  const std::string reason = first_reason(server_message);
  const std::string detail = detail_for(sqlstate, server_message, statement);
  const std::string head = fmt::format("{} on {} failed", operation, target);
  if (sqlstate == "55P03") {
    return make_error(ErrorCode::kConflict,
                      head +
                          ": another session holds the version table (a running migration or another "
                          "stamp); nothing was changed, try again",
                      detail, /*retryable=*/true);
  }
  if (sqlstate == "40P01" || sqlstate == "40001") {
    return make_error(ErrorCode::kConflict,
                      fmt::format("{}: it collided with another session ({}); nothing was changed, try again",
                                  head, reason),
                      detail, /*retryable=*/true);
  }
  if (sqlstate == "23505" || sqlstate == "42P07") {
    // Under our locks only a session that takes none of them (alembic creating the table on its
    // first upgrade) can get here: it won the race.
    return make_error(ErrorCode::kConflict,
                      head +
                          ": another session created or changed the version table at the same moment; "
                          "nothing was changed, try again",
                      detail, /*retryable=*/true);
  }
  if (sqlstate == "57014") {
    return make_error(ErrorCode::kTimeout, fmt::format("{}: a statement ran too long ({})", head, reason),
                      detail,
                      /*retryable=*/true);
  }
  if (sqlstate == "25006") {
    return make_error(ErrorCode::kPermissionDenied,
                      head + ": the server is read-only (a standby?); stamp the primary", detail);
  }
  const std::string message = fmt::format("{}: {}", head, reason);
  if (sqlstate == "42501") return make_error(ErrorCode::kPermissionDenied, message, detail);
  if (sqlstate == "3F000" || sqlstate == "42P01" || sqlstate == "3D000") {
    return make_error(ErrorCode::kNotFound, message, detail);
  }
  if (sqlstate == "22001") return make_error(ErrorCode::kInvalidArgument, message, detail);
  if (sqlstate.starts_with("28")) return make_error(ErrorCode::kUnauthenticated, message, detail);
  if (breaks_connection(sqlstate) || sqlstate.starts_with("53")) {
    return make_error(ErrorCode::kUnavailable, message, detail, /*retryable=*/true);
  }
  return make_error(ErrorCode::kInternal, message, detail);
}

Error current_exception_error(const std::string& operation, const std::string& target, bool* broken) {
  *broken = false;
  try {
    throw;
  } catch (const pqxx::in_doubt_error& e) {
    *broken = true;
    return make_error(
        ErrorCode::kUnavailable,
        fmt::format("{} on {}: the connection broke during COMMIT, so whether it took effect is "
                    "unknown; read the version table again before retrying",
                    operation, target),
        one_line(e.what()));
  } catch (const pqxx::sql_error& e) {
    *broken = breaks_connection(e.sqlstate());
    return sql_error(e.sqlstate(), e.what(), e.query(), operation, target);
  } catch (const pqxx::broken_connection& e) {
    *broken = true;
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("{} on {} failed: the connection was lost ({})", operation, target,
                                  first_reason(e.what())),
                      one_line(e.what()), /*retryable=*/true);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal,
                      fmt::format("{} on {} failed: {}", operation, target, first_reason(e.what())),
                      one_line(e.what()));
  } catch (...) {
    return make_error(ErrorCode::kInternal,
                      fmt::format("{} on {} failed: an unknown exception", operation, target));
  }
}

}  // namespace mgate::backend::db
