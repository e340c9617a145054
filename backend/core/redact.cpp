#include "backend/core/redact.hpp"

#include <cctype>

#include "backend/core/secret.hpp"

namespace mgate::backend {
namespace {

bool is_uri(std::string_view s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://") ||
         s.find("://") != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// libpq's secret keywords: the password, and the passphrase of the client key.
bool is_secret_key(std::string_view key) { return iequals(key, "password") || iequals(key, "sslpassword"); }

// Returns the URI with the userinfo password and any password= query value masked.
std::string redact_uri(std::string_view uri, bool* found) {
  std::string out(uri);
  const std::size_t scheme_end = out.find("://");
  const std::size_t authority = scheme_end + 3;
  // As libpq reads it: the userinfo ends at the first '@' before the first '/', so a
  // password may hold '?', '#' or ':' unencoded.
  const std::size_t slash = out.find('/', authority);
  const std::size_t at = out.find('@', authority);
  std::size_t rest = authority;
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    const std::size_t colon = out.find(':', authority);
    if (colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, Secret::kMask);
      *found = true;
      rest = colon + 1 + std::string_view(Secret::kMask).size();
    } else {
      rest = at;
    }
  }
  std::size_t q = out.find('?', rest);
  while (q != std::string::npos) {
    const std::size_t key = q + 1;
    const std::size_t eq = out.find('=', key);
    const std::size_t amp = out.find('&', key);
    if (eq == std::string::npos) break;
    const std::size_t end = amp == std::string::npos ? out.size() : amp;
    if (eq < end && is_secret_key(std::string_view(out).substr(key, eq - key))) {
      out.replace(eq + 1, end - eq - 1, Secret::kMask);
      *found = true;
    }
    q = out.find('&', key);
  }
  return out;
}

// Key/value form: "host=db user=app password='p w' dbname=x".
std::string redact_keyvalue(std::string_view dsn, bool* found) {
  std::string out;
  std::size_t i = 0;
  while (i < dsn.size()) {
    while (i < dsn.size() && std::isspace(static_cast<unsigned char>(dsn[i]))) out += dsn[i++];
    const std::size_t key_start = i;
    while (i < dsn.size() && dsn[i] != '=' && !std::isspace(static_cast<unsigned char>(dsn[i])))
      ++i;
    const std::string_view key = dsn.substr(key_start, i - key_start);
    out += key;
    while (i < dsn.size() && std::isspace(static_cast<unsigned char>(dsn[i]))) out += dsn[i++];
    if (i >= dsn.size() || dsn[i] != '=') continue;
    out += dsn[i++];
    while (i < dsn.size() && std::isspace(static_cast<unsigned char>(dsn[i]))) out += dsn[i++];
    const std::size_t value_start = i;
    if (i < dsn.size() && dsn[i] == '\'') {
      ++i;
      while (i < dsn.size() && dsn[i] != '\'') i += (dsn[i] == '\\') ? 2 : 1;
      i = std::min(i + 1, dsn.size());
    } else {
      while (i < dsn.size() && !std::isspace(static_cast<unsigned char>(dsn[i]))) ++i;
    }
    if (is_secret_key(key)) {
      out += Secret::kMask;
      *found = true;
    } else {
      out += dsn.substr(value_start, i - value_start);
    }
  }
  return out;
}

}  // namespace

bool dsn_has_password(std::string_view dsn) {
  bool found = false;
  (void)(is_uri(dsn) ? redact_uri(dsn, &found) : redact_keyvalue(dsn, &found));
  return found;
}

std::string redact_dsn(std::string_view dsn) {
  bool found = false;
  return is_uri(dsn) ? redact_uri(dsn, &found) : redact_keyvalue(dsn, &found);
}

}  // namespace mgate::backend
