#pragma once
// libpqxx exceptions to Errors: the code from the SQLSTATE, a sentence naming the operation and
// the reason, the SQLSTATE and the server's message as the detail. Used inside backend/db only.

#include <string>
#include <string_view>

#include "backend/core/error.hpp"

namespace mgate::backend::db {

/// The Error for a failed connection attempt, from libpq's message (which libpqxx throws as
/// broken_connection): kUnauthenticated for a refused password, kNotFound for a missing
/// database, kInvalidArgument for a malformed connection string, else kUnavailable (retryable).
/// `target` is the password-free name of the database, `env_name` the environment.
Error connect_error(std::string_view libpq_message, const std::string& target, const std::string& env_name);

/// The Error for an SQLSTATE and the server's message during `operation` ("stamping
/// public.alembic_version") on `target`; `statement` is the SQL that failed (may be empty).
Error sql_error(const std::string& sqlstate, std::string_view server_message, const std::string& statement,
                const std::string& operation, const std::string& target);

/// The Error for the exception in flight; call only inside a catch block. libpqxx's
/// sql_error, broken_connection and in_doubt_error each get their own reading; anything else is
/// kInternal. `broken` is set when the connection can no longer be used.
Error current_exception_error(const std::string& operation, const std::string& target, bool* broken);

/// The first line of a libpq or server message, without "ERROR:  " / "FATAL:  " and the
/// "connection to server at …, port … failed: " preamble.
std::string first_reason(std::string_view message);

/// The message on one line: newlines and tabs become " | " and spaces, for a detail field.
std::string one_line(std::string_view message);

}  // namespace mgate::backend::db
