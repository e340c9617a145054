#pragma once
// The `credential_process` source: an external command that prints credentials as JSON.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "backend/aws/sigv4.hpp"
#include "backend/core/error.hpp"
#include "backend/core/time.hpp"

namespace mgate::backend::aws {

/// How long a credential process may run before it is killed.
inline constexpr std::chrono::seconds kDefaultProcessTimeout{60};

/// Splits a command line as Python's shlex.split does (POSIX mode, what botocore uses on
/// Linux): white space separates words, '...' is literal, "..." honours \\ \" \$ \` escapes,
/// a backslash outside quotes escapes the next character. An unclosed quote is an error.
Result<std::vector<std::string>> split_command(std::string_view command);

/// Reads the process's JSON: {"Version": 1, "AccessKeyId", "SecretAccessKey",
/// "SessionToken"?, "Expiration"?}. Errors never quote the output, which holds the secret.
/// `name` names the source in messages ("credential_process of profile dev").
Result<Credentials> parse_process_output(std::string_view output, const std::string& name);

/// Runs `command` (split by split_command, executed from its argv through PATH, no shell)
/// and reads its output. A non-zero exit is an error quoting the first line of stderr.
Result<Credentials> run_credential_process(const std::string& command, const std::string& name,
                                           std::chrono::milliseconds timeout = kDefaultProcessTimeout);

}  // namespace mgate::backend::aws
