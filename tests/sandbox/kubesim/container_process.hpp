#pragma once
// One run of one container as a local process: its own process group (deleting the pod kills
// the whole tree), PR_SET_PDEATHSIG so nothing outlives the simulator, stdout and stderr
// copied line by line into the container's CRI log file as they arrive.

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mgate::kubesim {

/// What to run.
struct ProcessSpec {
  std::filesystem::path executable;  ///< resolved absolute path of argv[0]
  std::vector<std::string> argv;     ///< argv[0] as the container spec names it, then the rest
  std::vector<std::string> env;      ///< "NAME=value", the whole environment
  std::filesystem::path cwd;
  std::filesystem::path log_file;    ///< CRI log of this attempt (created, appended to)
};

/// How the process ended.
struct ProcessExit {
  int exit_code = 0;        ///< the exit status, or 128 + signal for a killed process
  std::string finished_at;  ///< RFC 3339, seconds
};

/// A running container process. The destructor kills the group and waits for it.
class ContainerProcess {
 public:
  /// Forks and execs; throws std::system_error when fork or pipe fails. Call from a thread
  /// that lives as long as the process should (PR_SET_PDEATHSIG follows the forking thread).
  explicit ContainerProcess(const ProcessSpec& spec);
  ~ContainerProcess();
  ContainerProcess(const ContainerProcess&) = delete;
  ContainerProcess& operator=(const ContainerProcess&) = delete;

  /// Sends `sig` to the whole process group (nothing once the process has been reaped).
  void signal_group(int sig);
  /// The exit, once the process has ended and its output has been written to the log.
  std::optional<ProcessExit> exit() const;
  /// The leader's pid.
  pid_t pid() const { return pid_; }

 private:
  void pump(int out_fd, int err_fd, int log_fd);

  pid_t pid_ = -1;
  mutable std::mutex mu_;
  bool reaped_ = false;
  std::optional<ProcessExit> exit_;
  std::thread io_;
};

/// Finds `command` as a runtime would: a path with a '/' is taken under `root` first
/// (absolute paths) or relative to `cwd`; a bare name is searched in `path_var`'s
/// directories under `root`, then on the host. nullopt when nothing executable is found.
std::optional<std::filesystem::path> resolve_executable(const std::string& command,
                                                        const std::filesystem::path& root,
                                                        const std::filesystem::path& cwd,
                                                        const std::string& path_var);

/// A shell word quoted for /bin/sh: 'it'\''s'.
std::string shell_quote(const std::string& text);

}  // namespace mgate::kubesim
