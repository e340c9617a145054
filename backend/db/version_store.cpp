#include "backend/db/version_store.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "backend/core/strings.hpp"

namespace mgate::backend::db {
namespace {

// The id with control bytes shown as \xNN, so a message never carries a raw escape sequence.
std::string printable(const std::string& id) {
  std::string out;
  for (const char c : id) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20U || byte == 0x7FU) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> normalize_rows(std::vector<std::string> rows) {
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

std::string format_rows(const std::vector<std::string>& rows) {
  return "[" + join(rows, ", ") + "]";
}

int character_count(const std::string& text) {
  // Continuation bytes (10xxxxxx) do not start a character.
  int count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++count;
  }
  return count;
}

Status validate_revision_ids(const std::vector<std::string>& rows, const std::string& table) {
  std::set<std::string> seen;
  for (const std::string& id : rows) {
    if (id.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("cannot stamp {}: an empty revision id was given", table));
    }
    const bool control = std::any_of(
        id.begin(), id.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20U || c == '\x7f'; });
    if (control) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("cannot stamp {}: the revision id \"{}\" holds a control character",
                                    table, printable(id)));
    }
    if (!seen.insert(id).second) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("cannot stamp {}: the revision id {} is given twice", table, id));
    }
  }
  return ok_status();
}

Status check_column_width(const std::vector<std::string>& rows, int width, const std::string& column) {
  if (width <= 0) return ok_status();
  for (const std::string& id : rows) {
    const int length = character_count(id);
    if (length > width) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("the revision id {} is {} characters long, but {} holds at most {}; "
                                    "nothing was changed",
                                    id, length, column, width));
    }
  }
  return ok_status();
}

}  // namespace mgate::backend::db
