#include "tests/sandbox/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "tests/sandbox/process_table.hpp"

extern char** environ;

namespace mgate::sandbox {
namespace {

using backend::ErrorCode;
using backend::make_error;

// What the child reports through the exec pipe when a step before exec fails.
struct ChildFailure {
  int step = 0;
  int err = 0;
};
constexpr const char* kSteps[] = {
    "open stdio", "chdir", "setgroups", "setgid", "setuid", "set the parent-death signal", "exec"};

// The launcher's environment with `extra` applied in order: a later entry for a key wins,
// and each key appears once (getenv would return the first of duplicates).
std::vector<std::string> merged_environment(const EnvVars& extra) {
  std::vector<std::string> out;
  const auto set = [&out](const std::string& key, const std::string& entry) {
    for (std::string& existing : out) {
      if (existing.compare(0, key.size() + 1, key + "=") == 0) {
        existing = entry;
        return;
      }
    }
    out.push_back(entry);
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    set(entry.substr(0, entry.find('=')), entry);
  }
  for (const auto& [k, v] : extra) set(k, k + "=" + v);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void child_fail(int fd, int step) {
  const ChildFailure f{step, errno};
  [[maybe_unused]] ssize_t n = write(fd, &f, sizeof f);
  _exit(127);
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const SpawnOptions& o, char* const* argv, char* const* envp, int in_fd,
                             int out_fd, int err_fd, int report_fd, pid_t parent) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);  // the launcher's handlers are not theirs
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (o.own_process_group) setpgid(0, 0);
  if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) child_fail(report_fd, 0);
  if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) child_fail(report_fd, 1);
  if (o.run_as) {
    if (setgroups(o.run_as->groups.size(), o.run_as->groups.data()) != 0) child_fail(report_fd, 2);
    if (setgid(o.run_as->gid) != 0) child_fail(report_fd, 3);
    if (setuid(o.run_as->uid) != 0) child_fail(report_fd, 4);
  }
  // After setuid: changing credentials clears the parent-death signal.
  if (o.death_signal != 0) {
    if (prctl(PR_SET_PDEATHSIG, o.death_signal) != 0) child_fail(report_fd, 5);
    // The parent may have died before prctl took effect; then nobody would ever signal us.
    if (getppid() != parent) _exit(127);
  }
  execve(argv[0], argv, envp);
  child_fail(report_fd, 6);
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

}  // namespace

Result<RunAs> lookup_user(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return make_error(ErrorCode::kNotFound, fmt::format("no system user '{}' to run services as", name));
  }
  RunAs out{name, pw.pw_uid, pw.pw_gid, {}};
  int count = 32;
  out.groups.resize(count);
  if (getgrouplist(name.c_str(), pw.pw_gid, out.groups.data(), &count) < 0) {
    out.groups.resize(count);
    getgrouplist(name.c_str(), pw.pw_gid, out.groups.data(), &count);
  }
  out.groups.resize(count);
  return out;
}

std::optional<std::filesystem::path> find_executable(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return std::filesystem::absolute(name);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    if (!dir.empty()) {
      const std::filesystem::path candidate = std::filesystem::path(dir) / name;
      if (access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) {
        return std::filesystem::absolute(candidate);
      }
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const SpawnOptions& o) {
  if (o.argv.empty() || o.argv[0].empty() || o.argv[0][0] != '/') {
    return make_error(ErrorCode::kInvalidArgument, "spawn needs an absolute program path");
  }
  std::vector<std::string> args = o.argv;
  std::vector<std::string> envs = merged_environment(o.env);
  std::vector<char*> argv = pointers(args);
  std::vector<char*> envp = pointers(envs);

  Fd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  Fd log;
  if (!o.log_file.empty()) {
    log.reset(open(o.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (log.get() < 0) {
      return make_error(ErrorCode::kIo, fmt::format("cannot open log file {}", o.log_file.string()),
                        std::strerror(errno));
    }
  }
  const int sink = log.get() >= 0 ? log.get() : devnull.get();
  const int in_fd = o.stdin_fd >= 0 ? o.stdin_fd : devnull.get();
  const int out_fd = o.stdout_fd >= 0 ? o.stdout_fd : sink;
  const int err_fd = o.stderr_fd >= 0 ? o.stderr_fd : sink;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    return make_error(ErrorCode::kIo, "cannot create a pipe", std::strerror(errno));
  }
  Fd report_read(report[0]);
  Fd report_write(report[1]);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return make_error(ErrorCode::kIo, "fork failed", std::strerror(errno));
  if (pid == 0) {
    exec_child(o, argv.data(), envp.data(), in_fd, out_fd, err_fd, report_write.get(), parent);
  }
  // Also set the group from the parent, so a stop right after spawn already reaches it.
  if (o.own_process_group) setpgid(pid, pid);
  const std::uint64_t start_time = read_proc_stat(pid).value_or(ProcStat{}).start_time;
  report_write.reset();

  ChildFailure failure{};
  ssize_t n;
  do {
    n = read(report_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot start {}: {} failed", o.argv[0], kSteps[failure.step]),
                      std::strerror(failure.err));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, start_time, o.argv[0], o.own_process_group));
}

ChildProcess::~ChildProcess() {
  stop(SIGKILL, std::chrono::milliseconds(0));
}

bool ChildProcess::running() {
  std::lock_guard lock(mu_);
  if (status_) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
  } else if (r < 0 && errno == ECHILD) {
    status_ = 0;  // reaped elsewhere (SIGCHLD ignored): it is gone all the same
  }
  return !status_.has_value();
}

std::optional<int> ChildProcess::wait_status() {
  running();
  std::lock_guard lock(mu_);
  return status_;
}

bool ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(2);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  return true;
}

bool ChildProcess::stop(int sig, std::chrono::milliseconds grace) {
  std::lock_guard stop_lock(stop_mu_);
  if (!running()) return true;
  // Snapshot the tree first: once the leader is gone its children are reparented and
  // can no longer be found from it.
  const std::vector<ProcStat> tree = descendants(pid_);
  kill(pid_, sig);
  const bool exited = wait_for(grace);
  if (!exited) {
    kill(pid_, SIGKILL);
    wait_for(std::chrono::seconds(10));
  }
  // Helpers left in the group (initdb's bootstrap backend, a shell's children) go too; the
  // group id cannot have been reused while any of them still holds it.
  if (own_group_) kill(-pid_, SIGKILL);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (const ProcStat& p : tree) {
    while (process_alive(p.pid, p.start_time) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (process_alive(p.pid, p.start_time)) kill(p.pid, SIGKILL);
  }
  return exited;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return name != nullptr ? fmt::format("killed by SIG{}", name)
                           : fmt::format("killed by signal {}", WTERMSIG(status));
  }
  return fmt::format("wait status {}", status);
}

}  // namespace mgate::sandbox
