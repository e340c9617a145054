#pragma once
// Running a helper program the way credential helpers are run (an aws `credential_process`, a
// kubeconfig exec plugin): argv, never a shell string; stdin from /dev/null (the console owns
// the terminal); stdout and stderr captured; killed when it overruns its time.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mgate::backend {

/// What to run.
struct SubprocessRequest {
  std::vector<std::string> argv;  ///< argv[0] is searched in PATH (posix_spawnp)
  /// The child's environment as NAME=VALUE entries; nullopt: this process's own.
  std::optional<std::vector<std::string>> env{};
  std::chrono::milliseconds timeout{10000};
};

/// How it went. The caller words the error, since a credential helper and an exec plugin are
/// named differently to the person reading it.
struct SubprocessResult {
  enum class Outcome {
    kExited,       ///< it ran and ended: `status` is waitpid's
    kTimedOut,     ///< it overran `timeout` and was killed (SIGKILL) and reaped
    kSpawnFailed,  ///< it never ran: `failed_call` ("pipe", "posix_spawnp") failed with `error_number`
  };
  Outcome outcome = Outcome::kExited;
  std::string failed_call;
  int error_number = 0;
  std::string out;  ///< everything on stdout (up to the timeout)
  std::string err;  ///< everything on stderr (up to the timeout)
  int status = 0;
};

/// Runs the request to its end (or its timeout). Never throws.
SubprocessResult run_subprocess(const SubprocessRequest& request);

}  // namespace mgate::backend
