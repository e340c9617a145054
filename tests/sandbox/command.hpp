#pragma once
// Run a program to completion and capture what it printed: initdb in the launcher, and the
// aws / alembic command lines in the integration tests.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/sandbox/child_process.hpp"

namespace mgate::sandbox {

/// A program, its arguments and its environment.
struct Command {
  std::vector<std::string> argv;  ///< argv[0] is looked up on $PATH when it has no '/'
  EnvVars env;                    ///< set on top of the launcher's environment
  std::filesystem::path cwd;      ///< empty: the launcher's
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::optional<RunAs> run_as;  ///< switch to this account before exec (needs root)
  /// Sent to the program if the caller dies first. SIGTERM lets a program that owns
  /// processes of its own (mgate-sandbox) tear them down.
  int death_signal = SIGKILL;
};

/// How it ended and what it wrote.
struct CommandResult {
  int exit_code = -1;  ///< -1 when killed by a signal
  int signal = 0;      ///< the signal that killed it, else 0
  std::string out;     ///< everything on stdout
  std::string err;     ///< everything on stderr

  /// True when it exited with 0.
  bool ok() const { return exit_code == 0; }
  /// "exited with 2: <last lines of stderr>" for failure messages.
  std::string describe() const;
};

/// Runs the command and waits for it. An error only when it could not be started or did not
/// finish in time (then it is killed); a non-zero exit is a CommandResult, for the caller to judge.
Result<CommandResult> run_command(const Command& command);

/// The last `lines` lines of text (all of it when shorter).
std::string tail_lines(const std::string& text, int lines);

}  // namespace mgate::sandbox
