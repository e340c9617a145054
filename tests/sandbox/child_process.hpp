#pragma once
// A child process started with fork/exec from an argv (never a shell string), in its own
// process group, that dies with its parent and is always reaped.

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::sandbox {

using backend::Result;
using backend::Status;

/// Environment variables to set on top of the inherited environment, in order.
using EnvVars = std::vector<std::pair<std::string, std::string>>;

/// An unprivileged account a child switches to when the launcher runs as root.
struct RunAs {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  ///< supplementary groups, looked up before fork
};

/// The account of that name, with its groups.
Result<RunAs> lookup_user(const std::string& name);

/// The absolute path of an executable: `name` itself when it holds a '/', else the first
/// match on $PATH. Nothing when there is none.
std::optional<std::filesystem::path> find_executable(const std::string& name);

/// How to start a child.
struct SpawnOptions {
  std::vector<std::string> argv;   ///< argv[0] is an absolute path (see find_executable)
  EnvVars env;                     ///< set on top of the launcher's environment
  std::filesystem::path cwd;       ///< empty: the launcher's
  std::filesystem::path log_file;  ///< stdout and stderr appended here; empty: /dev/null
  int stdin_fd = -1;               ///< when >= 0, the child reads this; else /dev/null
  int stdout_fd = -1;              ///< when >= 0, stdout goes here instead of log_file
  int stderr_fd = -1;              ///< when >= 0, stderr goes here instead of log_file
  std::optional<RunAs> run_as;     ///< switch to this account before exec (needs root)
  bool own_process_group = true;   ///< so a stop reaches helpers the child forks
  int death_signal = SIGKILL;      ///< sent to the child when its parent dies; 0: none
};

/// A running (or exited, not yet destroyed) child. Thread-safe: the signal watcher may stop
/// it while the thread that started it polls it.
class ChildProcess {
 public:
  /// Forks and execs. The death signal follows the THREAD that calls spawn (Linux
  /// PR_SET_PDEATHSIG), so call it from a thread that outlives the child.
  /// An exec failure (missing file, no permission) is an error here, not a silent exit 127.
  static Result<std::unique_ptr<ChildProcess>> spawn(const SpawnOptions& options);

  /// Stops the child (SIGKILL) if it still runs, and reaps it.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// The child's pid (also its process group id when own_process_group).
  pid_t pid() const { return pid_; }
  /// Its start time in /proc (clock ticks since boot): with the pid, its identity.
  std::uint64_t start_time() const { return start_time_; }
  /// The program it runs (argv[0]).
  const std::string& program() const { return program_; }

  /// Reaps the child if it has exited, without blocking; true while it runs.
  bool running();
  /// The raw wait status once the child was reaped.
  std::optional<int> wait_status();
  /// Waits up to `timeout` for the child to exit; true when it did (and was reaped).
  bool wait_for(std::chrono::milliseconds timeout);
  /// Sends `sig` to the child, waits up to `grace`, then SIGKILLs its process group.
  /// Descendants that outlive it (daemons that made their own session) get the same
  /// treatment. Always reaps. True when the child exited within `grace`.
  bool stop(int sig, std::chrono::milliseconds grace);

 private:
  ChildProcess(pid_t pid, std::uint64_t start_time, std::string program, bool own_group)
      : pid_(pid), start_time_(start_time), program_(std::move(program)), own_group_(own_group) {}

  const pid_t pid_;
  const std::uint64_t start_time_;
  const std::string program_;
  const bool own_group_;
  std::mutex mu_;  // guards waitpid and status_
  std::optional<int> status_;
  std::mutex stop_mu_;  // one stop at a time
};

/// "exited with 3", "killed by SIGINT" for a raw wait status.
std::string describe_wait_status(int status);

}  // namespace mgate::sandbox
