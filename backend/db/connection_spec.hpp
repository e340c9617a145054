#pragma once
// From an environment's `database:` section to the string libpq connects with, and the means
// to keep the password out of everything a person or a log sees.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/config/config.hpp"
#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"

namespace mgate::backend::db {

/// Looks up an environment variable; nothing when it is not set.
using GetEnv = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment (std::getenv).
std::optional<std::string> process_env(const std::string& name);

/// What libpq is given, and what may be shown instead.
struct ConnectionSpec {
  /// The libpq connection string: the configured URI or key/value string (which may carry a
  /// password when it comes from `dsn_env`), a service, or nothing for the PG* variables; plus
  /// connect_timeout and fallback_application_name=mgate.
  Secret conninfo;
  /// Password-free name of the database for messages before a connection exists:
  /// the redacted URI, "service=stage", or "the PG* environment".
  std::string target;
  /// Every spelling of a password found in the string (as written and percent-decoded), and
  /// PGPASSWORD: scrubbed from every message, since some libpq parse errors echo parts of a URI.
  std::vector<Secret> secrets;
};

/// Builds the connection for environment `env_name`:
/// - `dsn_env`: the variable's value, a URI or key/value string (a missing or empty variable is
///   kInvalidArgument naming the variable and the environment);
/// - `service`: "service=NAME" (pg_service.conf, PGSERVICEFILE);
/// - `dsn`: as written (the configuration refuses passwords in it; .pgpass supplies them);
/// - none of them: libpq's PG* variables.
/// connect_timeout comes from the configuration unless the string sets its own;
/// fallback_application_name=mgate names the session in pg_stat_activity unless the string or
/// PGAPPNAME names it otherwise.
Result<ConnectionSpec> make_connection_spec(const config::DatabaseConfig& database,
                                            const std::string& env_name, const GetEnv& getenv = process_env);

/// True when a libpq URI or key/value string sets `keyword` itself.
bool conninfo_sets(std::string_view conninfo, std::string_view keyword);

/// Every spelling of the password in a libpq URI (user info and `password=` query parameter,
/// as written and percent-decoded) or key/value string (`password=`, unquoted).
std::vector<std::string> conninfo_passwords(std::string_view conninfo);

/// `text` with every occurrence of each secret replaced by "***".
std::string scrub(std::string text, const std::vector<Secret>& secrets);

/// The error with the secrets scrubbed from its message and detail.
Error scrub(Error error, const std::vector<Secret>& secrets);

}  // namespace mgate::backend::db
