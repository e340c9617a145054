#include "backend/db/connection_spec.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "backend/core/redact.hpp"
#include "backend/core/strings.hpp"

namespace mgate::backend::db {
namespace {

constexpr std::string_view kApplicationName = "mgate";

bool is_uri(std::string_view conninfo) {
  return conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

// Percent-decoding as libpq does it; nothing when a %XX is malformed (libpq refuses those).
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// The key=value pairs of a URI's query, as written.
std::vector<std::pair<std::string, std::string>> uri_query(std::string_view uri) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::size_t q = uri.find('?');
  if (q == std::string_view::npos) return out;
  for (const std::string& pair : split(uri.substr(q + 1), '&')) {
    const std::size_t eq = pair.find('=');
    if (eq == std::string::npos) continue;
    out.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  }
  return out;
}

// The keyword/value pairs of a key/value string, values unquoted, following libpq's
// conninfo_parse: white space separates, a value may be single-quoted, a backslash escapes.
std::vector<std::pair<std::string, std::string>> keyvalue_pairs(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  const auto skip_space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= s.size()) break;
    const std::size_t key_start = i;
    while (i < s.size() && s[i] != '=' && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::string key(s.substr(key_start, i - key_start));
    skip_space();
    if (i >= s.size() || s[i] != '=') break;  // libpq refuses this string; nothing more to learn
    ++i;
    skip_space();
    std::string value;
    const bool quoted = i < s.size() && s[i] == '\'';
    if (quoted) ++i;
    while (i < s.size()) {
      const char c = s[i];
      if (quoted ? c == '\'' : std::isspace(static_cast<unsigned char>(c)) != 0) break;
      if (c == '\\' && i + 1 < s.size()) ++i;
      value += s[i++];
    }
    if (quoted && i < s.size()) ++i;
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

// A value for a key/value string: always quoted, quotes and backslashes escaped.
std::string keyvalue_quote(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

void add_forms(std::vector<std::string>& out, std::string_view raw) {
  if (raw.empty()) return;
  out.emplace_back(raw);
  if (auto decoded = percent_decode(raw); decoded && !decoded->empty() && *decoded != raw) {
    out.push_back(std::move(*decoded));
  }
}

// The connection string with our two defaults added in the string's own syntax; a keyword that
// comes later overrides an earlier one in both syntaxes, so ours are added only when absent.
std::string with_defaults(const std::string& base, int connect_timeout) {
  std::vector<std::string> extra = {"fallback_application_name=" + std::string(kApplicationName)};
  if (!conninfo_sets(base, "connect_timeout"))
    extra.push_back(fmt::format("connect_timeout={}", connect_timeout));
  if (!is_uri(base)) return base.empty() ? join(extra, " ") : base + " " + join(extra, " ");
  std::string out = base;
  if (out.find('?') == std::string::npos) {
    out += '?';
  } else if (!out.ends_with('?') && !out.ends_with('&')) {
    out += '&';
  }
  return out + join(extra, "&");
}

std::string pg_environment_target(const GetEnv& getenv) {
  std::vector<std::string> parts;
  for (const char* name : {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"}) {
    if (auto value = getenv(name); value && !value->empty())
      parts.push_back(std::string(name) + "=" + *value);
  }
  if (parts.empty()) return "the PG* environment (libpq defaults)";
  return "the PG* environment (" + join(parts, " ") + ")";
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

bool conninfo_sets(std::string_view conninfo, std::string_view keyword) {
  if (is_uri(conninfo)) {
    for (const auto& [key, value] : uri_query(conninfo)) {
      if (percent_decode(key).value_or(key) == keyword) return true;
    }
    return false;
  }
  const auto pairs = keyvalue_pairs(conninfo);
  return std::any_of(pairs.begin(), pairs.end(), [&](const auto& pair) { return pair.first == keyword; });
}

std::vector<std::string> conninfo_passwords(std::string_view conninfo) {
  std::vector<std::string> out;
  if (!is_uri(conninfo)) {
    for (const auto& [key, value] : keyvalue_pairs(conninfo)) {
      if (key == "password") add_forms(out, value);
    }
    return out;
  }
  // libpq looks for the user info up to the first '@' or '/', so a '?' may sit inside a password.
  const std::size_t start = conninfo.find("://") + 3;
  const std::size_t stop = conninfo.find_first_of("@/", start);
  if (stop != std::string_view::npos && conninfo[stop] == '@') {
    const std::string_view userinfo = conninfo.substr(start, stop - start);
    if (const std::size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      add_forms(out, userinfo.substr(colon + 1));
    }
  }
  for (const auto& [key, value] : uri_query(conninfo)) {
    if (percent_decode(key).value_or(key) == "password") add_forms(out, value);
  }
  return out;
}

std::string scrub(std::string text, const std::vector<Secret>& secrets) {
  std::vector<const std::string*> order;
  for (const Secret& secret : secrets) {
    if (!secret.empty()) order.push_back(&secret.reveal());
  }
  // Longest first, so a password that contains another secret is masked whole.
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->size() > b->size(); });
  for (const std::string* secret : order) {
    for (std::size_t at = text.find(*secret); at != std::string::npos;
         at = text.find(*secret, at + std::string_view(Secret::kMask).size())) {
      text.replace(at, secret->size(), Secret::kMask);
    }
  }
  return text;
}

Error scrub(Error error, const std::vector<Secret>& secrets) {
  error.message = scrub(std::move(error.message), secrets);
  error.detail = scrub(std::move(error.detail), secrets);
  return error;
}

Result<ConnectionSpec> make_connection_spec(const config::DatabaseConfig& database,
                                            const std::string& env_name, const GetEnv& getenv) {
  ConnectionSpec spec;
  std::string base;
  if (database.dsn_env) {
    const std::string& variable = *database.dsn_env;
    const std::optional<std::string> value = getenv(variable);
    if (!value || trim(*value).empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("environment {}: the variable {} (database.dsn_env) is {}", env_name,
                                    variable, value ? "empty" : "not set"),
                        "set it to the database's libpq URI, e.g. postgresql://user@host:5432/dbname");
    }
    base = std::string(trim(*value));
  } else if (database.service) {
    base = "service=" + keyvalue_quote(*database.service);
    spec.target = "service=" + *database.service;
  } else if (database.dsn) {
    base = *database.dsn;
  } else {
    spec.target = pg_environment_target(getenv);
  }
  for (const std::string& form : conninfo_passwords(base)) spec.secrets.emplace_back(form);
  if (auto password = getenv("PGPASSWORD"); password && !password->empty())
    spec.secrets.emplace_back(*password);
  if (spec.target.empty()) spec.target = scrub(redact_dsn(base), spec.secrets);
  spec.conninfo = Secret(with_defaults(base, database.connect_timeout_seconds));
  return spec;
}

}  // namespace mgate::backend::db
