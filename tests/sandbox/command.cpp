#include "tests/sandbox/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace mgate::sandbox {
namespace {

using backend::ErrorCode;
using backend::make_error;

// Reads whatever is available on the fd; false at end of file.
bool drain(int fd, std::string& into) {
  char buf[8192];
  const ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) {
    into.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

// Collects stdout and stderr until both are closed, then closes them. False on timeout.
bool read_until_closed(int out_fd, int err_fd, std::chrono::steady_clock::time_point deadline,
                       CommandResult& result) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  bool in_time = true;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      in_time = false;
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      if (!drain(fds[i].fd, i == 0 ? result.out : result.err)) {
        close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  return in_time;
}

}  // namespace

std::string CommandResult::describe() const {
  const std::string how =
      signal != 0 ? fmt::format("killed by signal {}", signal) : fmt::format("exited with {}", exit_code);
  const std::string text = tail_lines(err.empty() ? out : err, 15);
  return text.empty() ? how : how + ": " + text;
}

std::string tail_lines(const std::string& text, int lines) {
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '\n') --end;
  std::size_t pos = end;
  for (int i = 0; i < lines; ++i) {
    const std::size_t nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text.substr(0, end);
    pos = nl;
  }
  return text.substr(pos + 1, end - pos - 1);
}

Result<CommandResult> run_command(const Command& command) {
  if (command.argv.empty()) return make_error(ErrorCode::kInvalidArgument, "empty command");
  const auto program = find_executable(command.argv[0]);
  if (!program) {
    return make_error(ErrorCode::kNotFound, fmt::format("{} not found on PATH", command.argv[0]));
  }
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, "pipe failed", std::strerror(errno));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return make_error(ErrorCode::kIo, "pipe failed", std::strerror(errno));
  }
  SpawnOptions spawn;
  spawn.argv = command.argv;
  spawn.argv[0] = program->string();
  spawn.env = command.env;
  spawn.cwd = command.cwd;
  spawn.stdout_fd = out_pipe[1];
  spawn.stderr_fd = err_pipe[1];
  spawn.run_as = command.run_as;
  spawn.death_signal = command.death_signal;
  auto child = ChildProcess::spawn(spawn);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (!child) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return child.error();
  }

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + command.timeout;
  const bool timed_out = !read_until_closed(out_pipe[0], err_pipe[0], deadline, result);
  // Output closed does not mean exited (a daemon may have kept the pipe): bound the wait too.
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (timed_out || !(*child)->wait_for(std::max(left, std::chrono::milliseconds(0)))) {
    (*child)->stop(SIGKILL, std::chrono::milliseconds(0));
    return make_error(ErrorCode::kTimeout,
                      fmt::format("{} did not finish within {} ms", command.argv[0], command.timeout.count()),
                      tail_lines(result.err, 15));
  }
  const int status = (*child)->wait_status().value_or(0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace mgate::sandbox
