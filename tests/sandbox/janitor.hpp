#pragma once
// Removes a directory when the process that made it ends, however it ends: SIGKILL included,
// which no handler sees (ctest SIGKILLs a test's process group when it is interrupted).
//
// The janitor is a helper process, this very binary re-executed, in a process group of its
// own and with no parent-death signal, so it outlives its owner. It waits on a pipe whose
// write end only the owner holds: end of file means the owner released it or died. Then,
// if the directory is still there, it gives the processes working inside it a moment to
// exit (they have death signals of their own), kills those that remain, and removes it.

#include <filesystem>
#include <memory>

#include "tests/sandbox/child_process.hpp"

namespace mgate::sandbox {

/// A directory's janitor, owned by the process that created the directory.
class Janitor {
 public:
  /// Starts the helper for `dir`. Call from a thread that lives as long as the janitor.
  static Result<std::unique_ptr<Janitor>> watch(const std::filesystem::path& dir);

  /// Releases the helper (see release()).
  ~Janitor();
  Janitor(const Janitor&) = delete;
  Janitor& operator=(const Janitor&) = delete;

  /// Closes the pipe and waits for the helper: it removes the dir if it is still there, so
  /// an owner that removed it already pays only for the helper's exit. Idempotent.
  void release();
  /// The helper's pid, for tests.
  pid_t pid() const { return helper_->pid(); }

 private:
  Janitor(std::unique_ptr<ChildProcess> helper, int write_fd)
      : helper_(std::move(helper)), write_fd_(write_fd) {}

  std::unique_ptr<ChildProcess> helper_;
  int write_fd_;
};

}  // namespace mgate::sandbox
