#include "tests/sandbox/kubesim/container_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <system_error>

#include "tests/sandbox/kubesim/object_store.hpp"
#include "tests/sandbox/kubesim/pod_logs.hpp"

namespace mgate::kubesim {

namespace {

namespace fs = std::filesystem;

// After the leader exits, how long output still in flight (or held by a child that escaped the
// group) may take to reach the log before the run is reported finished.
constexpr auto kDrainTime = std::chrono::milliseconds(200);
constexpr int kPollMs = 20;

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a full disk loses log lines, not the container
    }
    done += static_cast<std::size_t>(n);
  }
}

// Everything between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(pid_t parent, int out_w, int err_w, const char* exe, char* const* argv,
                             char* const* envp, const char* cwd) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(137);  // the simulator died before prctl took effect
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  ::dup2(out_w, 1);
  ::dup2(err_w, 2);
  ::close_range(3, ~0U, 0);  // sockets and files other threads opened without O_CLOEXEC
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  if (::chdir(cwd) != 0 && ::chdir("/") != 0) ::_exit(126);
  ::execve(exe, argv, envp);
  ::_exit(127);
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool is_executable(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// Splits `buffer` into complete lines written to the log; keeps the partial tail.
void emit_lines(std::string& buffer, const char* stream, int log_fd, bool flush_tail) {
  std::size_t start = 0;
  for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n', start)) {
    write_all(log_fd, format_cri_line({now_rfc3339_nano(), stream, buffer.substr(start, nl - start)}));
    start = nl + 1;
  }
  buffer.erase(0, start);
  if (flush_tail && !buffer.empty()) {
    write_all(log_fd, format_cri_line({now_rfc3339_nano(), stream, buffer}));
    buffer.clear();
  }
}

}  // namespace

ContainerProcess::ContainerProcess(const ProcessSpec& spec) {
  std::error_code ec;
  fs::create_directories(spec.log_file.parent_path(), ec);
  const int log_fd = ::open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::system_error(errno, std::generic_category(), "pipe");
  }
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = spec.env;
  const std::vector<char*> argv_c = c_strings(argv);
  const std::vector<char*> env_c = c_strings(env);
  const std::string exe = spec.executable.string();
  const std::string cwd = spec.cwd.string();
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    exec_child(parent, out[1], err[1], exe.c_str(), argv_c.data(), env_c.data(), cwd.c_str());
  }
  const int fork_errno = errno;
  ::close(out[1]);
  ::close(err[1]);
  if (pid_ < 0) {
    ::close(out[0]);
    ::close(err[0]);
    if (log_fd >= 0) ::close(log_fd);
    throw std::system_error(fork_errno, std::generic_category(), "fork");
  }
  ::setpgid(pid_, pid_);  // also here, so a signal sent before the child ran setpgid finds it
  io_ = std::thread([this, o = out[0], e = err[0], log_fd] { pump(o, e, log_fd); });
}

ContainerProcess::~ContainerProcess() {
  signal_group(SIGKILL);
  if (io_.joinable()) io_.join();
}

void ContainerProcess::signal_group(int sig) {
  std::lock_guard lock(mu_);
  // Until reaped the leader is at least a zombie, so its pid (the group id) cannot be reused.
  if (!reaped_ && pid_ > 0) ::kill(-pid_, sig);
}

std::optional<ProcessExit> ContainerProcess::exit() const {
  std::lock_guard lock(mu_);
  return exit_;
}

void ContainerProcess::pump(int out_fd, int err_fd, int log_fd) {
  int fds[2] = {out_fd, err_fd};
  const char* streams[2] = {"stdout", "stderr"};
  std::string buffers[2];
  bool leader_done = false;
  auto drain_until = std::chrono::steady_clock::now();
  while (fds[0] >= 0 || fds[1] >= 0 || !leader_done) {
    pollfd pfds[2];
    nfds_t n = 0;
    int index[2];
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) {
        pfds[n] = {fds[i], POLLIN, 0};
        index[n++] = i;
      }
    }
    ::poll(pfds, n, kPollMs);
    for (nfds_t k = 0; k < n; ++k) {
      if ((pfds[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const int i = index[k];
      char chunk[4096];
      const ssize_t got = ::read(fds[i], chunk, sizeof chunk);
      if (got > 0) {
        buffers[i].append(chunk, static_cast<std::size_t>(got));
        if (log_fd >= 0) emit_lines(buffers[i], streams[i], log_fd, false);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        if (log_fd >= 0) emit_lines(buffers[i], streams[i], log_fd, true);
        ::close(fds[i]);
        fds[i] = -1;
      }
    }
    if (!leader_done) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid_) {
        leader_done = true;
        // A container ends with its init process: whatever it left running goes with it.
        ::kill(-pid_, SIGKILL);
        drain_until = std::chrono::steady_clock::now() + kDrainTime;
      }
    } else if (std::chrono::steady_clock::now() > drain_until) {
      break;
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (fds[i] >= 0) {
      if (log_fd >= 0) emit_lines(buffers[i], streams[i], log_fd, true);
      ::close(fds[i]);
    }
  }
  if (log_fd >= 0) ::close(log_fd);
  std::lock_guard lock(mu_);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  reaped_ = true;
  ProcessExit done;
  done.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  done.finished_at = now_rfc3339();
  exit_ = done;
}

std::optional<fs::path> resolve_executable(const std::string& command, const fs::path& root,
                                           const fs::path& cwd, const std::string& path_var) {
  if (command.empty()) return std::nullopt;
  if (command.find('/') != std::string::npos) {
    if (command.front() == '/') {
      const fs::path mapped = root / command.substr(1);
      if (is_executable(mapped)) return mapped;
      if (is_executable(command)) return fs::path(command);
      return std::nullopt;
    }
    const fs::path relative = cwd / command;
    if (is_executable(relative)) return relative;
    return std::nullopt;
  }
  std::size_t start = 0;
  while (start <= path_var.size()) {
    auto end = path_var.find(':', start);
    if (end == std::string::npos) end = path_var.size();
    const std::string dir = path_var.substr(start, end - start);
    start = end + 1;
    if (dir.empty() || dir.front() != '/') continue;
    if (is_executable(root / dir.substr(1) / command)) return root / dir.substr(1) / command;
    if (is_executable(fs::path(dir) / command)) return fs::path(dir) / command;
  }
  return std::nullopt;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace mgate::kubesim
