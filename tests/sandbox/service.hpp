#pragma once
// What every sandbox service shares: a process the sandbox owns, a free loopback port, a log
// file, and a readiness wait that relaunches on a port clash.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "tests/sandbox/child_process.hpp"

namespace mgate::sandbox {

/// The loopback address every service listens on, and only it.
inline constexpr const char* kLoopback = "127.0.0.1";

using SteadyClock = std::chrono::steady_clock;

/// How the sandbox stops a child at teardown.
struct StopPolicy {
  int signal = SIGTERM;                                      ///< the polite request
  std::chrono::milliseconds grace{std::chrono::seconds(5)};  ///< then SIGKILL
};

/// What a service needs from the sandbox that owns its processes.
class ProcessHost {
 public:
  virtual ~ProcessHost() = default;
  /// Spawns a child the host records (pid file) and stops at teardown. Fails once teardown
  /// began, so that a signal during start leaves nothing behind.
  virtual Result<ChildProcess*> spawn_child(const std::string& name, const SpawnOptions& options,
                                            StopPolicy policy) = 0;
  /// True once teardown began: waits give up.
  virtual bool stopping() const = 0;
  /// Writes a file in the work dir (path relative to it), created with that mode.
  /// Serialised with teardown and refused once it began, so nothing is written into a
  /// work dir being removed (or recreates it).
  virtual Status write_work_file(const std::filesystem::path& relative, const std::string& text,
                                 unsigned mode = 0644) = 0;
  /// Creates a directory in the work dir, under the same rule as write_work_file.
  virtual Status make_work_dir(const std::filesystem::path& relative, unsigned mode = 0755) = 0;
  /// The sandbox's work dir (logs, data, generated configs).
  virtual const std::filesystem::path& work_dir() const = 0;
};

/// A free TCP port on 127.0.0.1 at the time of the call (bind to port 0, read, close).
/// Another process may take it before the service binds it: Service::await_ready retries.
Result<int> pick_free_port();

/// The HTTP status of GET http://127.0.0.1:port/path, or 0 when nothing answered.
int http_get_status(int port, const std::string& path, std::chrono::milliseconds timeout);

/// The last lines of a log file, for error details.
std::string log_tail(const std::filesystem::path& file, int lines = 20);

/// One service of the sandbox: launch, then wait until it answers.
class Service {
 public:
  /// name: "postgres", "moto", "registry": used for the log file and the pids record.
  Service(ProcessHost& host, std::string name) : host_(host), name_(std::move(name)) {}
  virtual ~Service() = default;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  /// The service's name.
  const std::string& name() const { return name_; }
  /// The port it listens on (after launch).
  int port() const { return port_; }
  /// How many times it was launched (more than once after a port clash).
  int attempts() const { return attempts_; }
  /// The log file its stdout and stderr go to.
  std::filesystem::path log_file() const { return host_.work_dir() / (name_ + ".log"); }

  /// Picks a port and starts the process; does not wait.
  Status launch();
  /// Waits until the service answers, relaunching it on a fresh port when the port was
  /// taken meanwhile; then runs its setup (databases, ...). The error carries the log tail.
  Status await_ready(SteadyClock::time_point deadline);

 protected:
  /// Starts the process on port_ (through host_.spawn_child) and returns it.
  virtual Result<ChildProcess*> spawn_on_port() = 0;
  /// True when the service answers on port_.
  virtual bool probe() = 0;
  /// Runs once the service answers.
  virtual Status after_ready() { return backend::ok_status(); }

  ProcessHost& host_;

 private:
  Status fail(const std::string& what) const;

  std::string name_;
  int port_ = 0;
  int attempts_ = 0;
  std::uintmax_t log_offset_ = 0;  // the log's size when the current attempt began
  ChildProcess* child_ = nullptr;
};

}  // namespace mgate::sandbox
