#include "backend/core/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>

extern char** environ;  // NOLINT: POSIX has the program declare it; posix_spawnp passes it on

namespace mgate::backend {
namespace {

/// A pipe whose ends are closed on every path.
struct SubprocessPipe {
  std::array<int, 2> fd{-1, -1};
  SubprocessPipe() = default;
  SubprocessPipe(const SubprocessPipe&) = delete;
  SubprocessPipe& operator=(const SubprocessPipe&) = delete;
  ~SubprocessPipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

/// Reads both pipes until they close or the deadline passes; false on timeout.
bool drain_pipes(SubprocessPipe& out, SubprocessPipe& err, SubprocessResult& result, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<std::pair<SubprocessPipe*, std::string*>, 2> targets{std::pair{&out, &result.out},
                                                                  std::pair{&err, &result.err}};
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    std::array<pollfd, 2> fds{pollfd{out.fd[0], POLLIN, 0}, pollfd{err.fd[0], POLLIN, 0}};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      return true;  // the exit status still tells whether the program succeeded
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        targets[i].second->append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        targets[i].first->close_end(0);
      }
    }
  }
  return true;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));  // NOLINT: exec's API
  out.push_back(nullptr);
  return out;
}

}  // namespace

SubprocessResult run_subprocess(const SubprocessRequest& request) {
  SubprocessResult result;
  SubprocessPipe out;
  SubprocessPipe err;
  if (request.argv.empty() || ::pipe2(out.fd.data(), O_CLOEXEC) != 0 || ::pipe2(err.fd.data(), O_CLOEXEC) != 0) {
    result.outcome = SubprocessResult::Outcome::kSpawnFailed;
    result.failed_call = "pipe";
    result.error_number = request.argv.empty() ? EINVAL : errno;
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], STDERR_FILENO);
  std::vector<char*> args = c_strings(request.argv);
  std::vector<char*> envp;
  if (request.env) envp = c_strings(*request.env);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), request.env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.outcome = SubprocessResult::Outcome::kSpawnFailed;
    result.failed_call = "posix_spawnp";
    result.error_number = rc;
    return result;
  }
  out.close_end(1);
  err.close_end(1);
  const bool finished = drain_pipes(out, err, result, request.timeout);
  if (!finished) ::kill(pid, SIGKILL);  // our own child, which overran its time
  while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
  }
  if (!finished) result.outcome = SubprocessResult::Outcome::kTimedOut;
  return result;
}

}  // namespace mgate::backend
