#include "tests/sandbox/janitor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "tests/sandbox/work_dir.hpp"

namespace mgate::sandbox {
namespace {

namespace fs = std::filesystem;
using backend::ErrorCode;
using backend::make_error;

// Set only in the helper's environment; its stdin must also be a pipe for it to act.
constexpr const char* kJanitorVar = "MGATE_SANDBOX_JANITOR_DIR";
constexpr auto kGrace = std::chrono::seconds(3);

[[noreturn]] void run_janitor(const char* dir) {
  struct stat st {};
  if (fstat(0, &st) != 0 || !S_ISFIFO(st.st_mode)) _exit(2);
  char buf[64];
  while (true) {
    const ssize_t n = read(0, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  _exit(clear_work_dir(dir, kGrace).ok() ? 0 : 1);
}

// The helper is this binary again: before main() runs (and before anything else of the
// binary is used), it does its one job and exits. Any binary that links the janitor can be
// its own helper, a test binary included.
[[maybe_unused]] const bool kJanitorMode = [] {
  const char* dir = std::getenv(kJanitorVar);
  if (dir != nullptr && *dir != '\0') run_janitor(dir);
  return false;
}();

}  // namespace

Result<std::unique_ptr<Janitor>> Janitor::watch(const fs::path& dir) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, "pipe failed", std::strerror(errno));
  SpawnOptions o;
  // argv[1] and argv[2] are never parsed: they name the helper in ps.
  o.argv = {"/proc/self/exe", "mgate-sandbox-janitor", dir.string()};
  o.env = {{kJanitorVar, dir.string()}};
  o.cwd = "/";  // never inside the dir it is to remove
  o.stdin_fd = fds[0];
  o.own_process_group = true;  // out of reach of a kill aimed at the owner's group
  o.death_signal = 0;          // it must outlive the owner: that is its whole point
  auto helper = ChildProcess::spawn(o);
  close(fds[0]);
  if (!helper) {
    close(fds[1]);
    return helper.error();
  }
  return std::unique_ptr<Janitor>(new Janitor(std::move(*helper), fds[1]));
}

Janitor::~Janitor() {
  release();
}

void Janitor::release() {
  if (write_fd_ < 0) return;
  close(write_fd_);
  write_fd_ = -1;
  if (!helper_->wait_for(kGrace + std::chrono::seconds(5)))
    helper_->stop(SIGKILL, std::chrono::milliseconds(0));
}

}  // namespace mgate::sandbox
