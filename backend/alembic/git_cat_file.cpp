#include "backend/alembic/git_cat_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

extern char** environ;  // NOLINT: POSIX has the program declare it; posix_spawnp passes it on

namespace mgate::backend::alembic::commit_scripts_detail {

// Starts argv with the three descriptors as its stdin, stdout and stderr.
int spawn_git_child(const std::vector<std::string>& argv, const std::array<int, 3>& stdio, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int i = 0; i < 3; ++i)
    posix_spawn_file_actions_adddup2(&actions, stdio[static_cast<std::size_t>(i)], i);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so the terminal's Ctrl-C (which the console handles) does not kill
  // it; no signal blocked, whatever this thread blocks.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: exec's signature
  args.push_back(nullptr);
  const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

Result<std::unique_ptr<CatFile>> CatFile::start(const std::string& git, const std::string& repo) {
  std::unique_ptr<CatFile> p(new CatFile());
  p->call_ = fmt::format("{} -C {} cat-file --batch", git, repo);
  // stdin is a socket, not a pipe: send(MSG_NOSIGNAL) reports a dead child as EPIPE instead of
  // raising SIGPIPE, which the console does not ignore.
  std::array<int, 2> in{-1, -1}, out{-1, -1}, err{-1, -1};
  const bool made = ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in.data()) == 0 &&
                    ::pipe2(out.data(), O_CLOEXEC) == 0 && ::pipe2(err.data(), O_CLOEXEC) == 0;
  const int why = errno;
  GitFd child_in, child_out, child_err;  // closed here once the child has its copies
  child_in.reset(in[1]);
  child_out.reset(out[1]);
  child_err.reset(err[1]);
  p->in_.reset(in[0]);
  p->out_.reset(out[0]);
  p->err_.reset(err[0]);
  if (!made) {
    return make_error(ErrorCode::kIo,
                      fmt::format("{}: cannot make its pipes: {}", p->call_, std::strerror(why)));
  }
  const std::vector<std::string> argv{git, "-C", repo, "cat-file", "--batch", "--follow-symlinks"};
  const int rc = spawn_git_child(argv, {in[1], out[1], err[1]}, p->pid_);
  if (rc != 0) {
    p->pid_ = -1;
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot run {}: {}", p->call_, git, std::strerror(rc)));
  }
  return p;
}

CatFile::~CatFile() {
  in_.reset();
  end_child(true);
}

int CatFile::end_child(bool kill) {
  int status = 0;
  if (pid_ > 0) {
    if (kill) ::kill(pid_, SIGKILL);  // our own child, which may hang
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  return status;
}

Error CatFile::stopped(std::string why, ErrorCode code) {
  end_child(true);
  in_.reset();
  out_.reset();
  err_.reset();
  return make_error(code, fmt::format("{}: {}", call_, why), err_tail_, code == ErrorCode::kTimeout);
}

// The child closed its output: it is exiting. Its stderr (read to its end) says why.
Error CatFile::exited(Clock::time_point deadline) {
  while (err_.fd >= 0 && Clock::now() < deadline) {
    pollfd fd{err_.fd, POLLIN, 0};
    if (::poll(&fd, 1, 100) > 0) read_stderr();
  }
  const int status = end_child(err_.fd >= 0);  // killed if still running after its stdout closed
  std::string why = WIFEXITED(status) ? fmt::format("git exited with status {}", WEXITSTATUS(status))
                                      : fmt::format("git was killed by signal {}", WTERMSIG(status));
  const std::string first = err_tail_.substr(0, err_tail_.find('\n'));
  if (!first.empty()) why += ": " + first;
  return stopped(std::move(why), ErrorCode::kIo);
}

void CatFile::read_stderr() {
  char chunk[1024];
  const ssize_t got = ::read(err_.fd, chunk, sizeof chunk);
  if (got > 0) {
    err_tail_.append(chunk, static_cast<std::size_t>(got));
    if (err_tail_.size() > kStderrKept) err_tail_.erase(0, err_tail_.size() - kStderrKept);
  } else if (got == 0 || errno != EINTR) {
    err_.reset();
  }
}

// One poll: sends what the socket takes, reads what git wrote.
Status CatFile::pump(const std::string& request, std::size_t& written, Clock::time_point deadline,
                     std::chrono::milliseconds timeout) {
  std::array<pollfd, 3> fds{pollfd{out_.fd, POLLIN, 0}, pollfd{err_.fd, POLLIN, 0},
                            pollfd{written < request.size() ? in_.fd : -1, POLLOUT, 0}};
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  const int n = left.count() > 0 ? ::poll(fds.data(), fds.size(), static_cast<int>(left.count())) : 0;
  if (n == 0) return stopped(fmt::format("no reply within {} ms", timeout.count()), ErrorCode::kTimeout);
  if (n < 0) {
    if (errno == EINTR) return ok_status();
    return stopped(fmt::format("poll: {}", std::strerror(errno)), ErrorCode::kIo);
  }
  if (fds[1].revents != 0) read_stderr();
  if (fds[2].revents != 0) {
    const ssize_t sent =
        ::send(in_.fd, request.data() + written, request.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      written += static_cast<std::size_t>(sent);
    } else if (errno == EPIPE || errno == ECONNRESET) {
      return exited(deadline);
    } else if (errno != EAGAIN && errno != EINTR) {
      return stopped(fmt::format("writing a request: {}", std::strerror(errno)), ErrorCode::kIo);
    }
  }
  if (fds[0].revents != 0) {
    char chunk[65536];
    const ssize_t got = ::read(out_.fd, chunk, sizeof chunk);
    if (got > 0) {
      buf_.append(chunk, static_cast<std::size_t>(got));
    } else if (got == 0) {
      return exited(deadline);
    } else if (errno != EINTR && errno != EAGAIN) {
      return stopped(fmt::format("reading a reply: {}", std::strerror(errno)), ErrorCode::kIo);
    }
  }
  return ok_status();
}

// The reply to `name` if all of it has arrived; nullopt when more must be read. Replies are
// "<oid> <type> <size>\n<content>\n", "<name> missing\n", "<name> ambiguous\n", or (links that
// --follow-symlinks cannot follow) "<symlink|dangling|loop|notdir> <size>\n<target>\n".
Result<std::optional<Reply>> CatFile::next_reply(const std::string& name) {
  const std::size_t eol = buf_.find('\n', pos_);
  if (eol == std::string::npos) return std::optional<Reply>{};
  const std::string_view header(buf_.data() + pos_, eol - pos_);
  Reply reply;
  if (header.size() == name.size() + 8 && header.starts_with(name) && header.ends_with(" missing")) {
    pos_ = eol + 1;
    return std::optional<Reply>{std::move(reply)};
  }
  if (header.size() == name.size() + 10 && header.starts_with(name) && header.ends_with(" ambiguous")) {
    reply.kind = Reply::Kind::kAmbiguous;
    pos_ = eol + 1;
    return std::optional<Reply>{std::move(reply)};
  }
  const std::size_t last = header.rfind(' ');
  const std::size_t first = header.find(' ');
  if (first == last) {
    reply.kind = Reply::Kind::kUnfollowed;
    reply.type = std::string(header.substr(0, first));
  } else {
    reply.kind = Reply::Kind::kObject;
    reply.oid = std::string(header.substr(0, first));
    reply.type = std::string(header.substr(first + 1, last - first - 1));
  }
  std::size_t size = 0;
  const std::string_view digits =
      last == std::string_view::npos ? std::string_view{} : header.substr(last + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
    return stopped(fmt::format("unexpected reply to {}: '{}'", name, header), ErrorCode::kProtocol);
  }
  if (buf_.size() - (eol + 1) < size + 1) return std::optional<Reply>{};
  if (buf_[eol + 1 + size] != '\n') {
    return stopped(fmt::format("the reply to {} does not end where its size says", name),
                   ErrorCode::kProtocol);
  }
  reply.content = buf_.substr(eol + 1, size);
  pos_ = eol + 2 + size;
  return std::optional<Reply>{std::move(reply)};
}

Result<std::vector<Reply>> CatFile::fetch(const std::vector<std::string>& names,
                                          std::chrono::milliseconds timeout) {
  if (!alive()) return make_error(ErrorCode::kInternal, fmt::format("{}: not running", call_));
  std::string request;
  for (const auto& name : names) request.append(name).push_back('\n');
  std::vector<Reply> replies;
  replies.reserve(names.size());
  std::size_t written = 0;
  const auto deadline = Clock::now() + timeout;
  while (replies.size() < names.size()) {
    auto reply = next_reply(names[replies.size()]);
    if (!reply) return reply.error();
    if (*reply) {
      replies.push_back(std::move(**reply));
      continue;
    }
    if (pos_ > 0) {  // keep only what is not consumed, before reading more
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    if (auto st = pump(request, written, deadline, timeout); !st) return st.error();
  }
  return replies;
}

/// One entry of a tree object.

}  // namespace mgate::backend::alembic::commit_scripts_detail
