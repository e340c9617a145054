#pragma once
// Redaction of secrets that hide inside ordinary strings (URLs, DSNs).

#include <string>
#include <string_view>

namespace mgate::backend {

/// True when a libpq connection string carries a password: a URI with
/// "user:password@" or a "password=" query parameter, or a key/value string
/// with a password keyword; `sslpassword` (the client key's passphrase) counts too.
bool dsn_has_password(std::string_view dsn);

/// The DSN or URL with every password replaced by "***"; the rest kept so a
/// person can still tell which host and database it names.
std::string redact_dsn(std::string_view dsn);

}  // namespace mgate::backend
