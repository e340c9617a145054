#pragma once
// A long-lived `git cat-file --batch` child: object names written, replies read, in one
// exchange of any size. Internal to git_scripts.cpp (CommitScripts).

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::backend::alembic {

// Named, not anonymous: the unity build joins these files with the other sources of backend/.
namespace commit_scripts_detail {

using Clock = std::chrono::steady_clock;

// Enough of git's stderr to say why it stopped.
constexpr std::size_t kStderrKept = 4096;

/// A file descriptor closed on every path.
struct GitFd {
  int fd = -1;
  GitFd() = default;
  GitFd(const GitFd&) = delete;
  GitFd& operator=(const GitFd&) = delete;
  ~GitFd() { reset(); }
  void reset(int replacement = -1) {
    if (fd >= 0) ::close(fd);
    fd = replacement;
  }
};

/// One answer of `git cat-file --batch`, for one object name: an object (oid, type, content),
/// none, an ambiguous short id, or a link --follow-symlinks could not resolve (type says how:
/// symlink, dangling, loop, notdir; content is the target).
struct Reply {
  enum class Kind { kObject, kMissing, kAmbiguous, kUnfollowed };
  Kind kind = Kind::kMissing;
  std::string oid;
  std::string type;
  std::string content;
};

/// A running `git -C <repo> cat-file --batch --follow-symlinks`. Requests are written while the
/// replies are read (poll on both), so any number of names can be asked for in one exchange
/// without either side blocking on a full pipe. Any failure kills the child; the owner then
/// starts another.
class CatFile {
 public:
  static Result<std::unique_ptr<CatFile>> start(const std::string& git, const std::string& repo);
  ~CatFile();
  CatFile(const CatFile&) = delete;
  CatFile& operator=(const CatFile&) = delete;

  /// One reply per name, in order; names must not hold a newline.
  Result<std::vector<Reply>> fetch(const std::vector<std::string>& names, std::chrono::milliseconds timeout);
  /// False once an exchange failed: the child is gone.
  bool alive() const { return pid_ > 0; }

 private:
  CatFile() = default;
  Status pump(const std::string& request, std::size_t& written, Clock::time_point deadline,
              std::chrono::milliseconds timeout);
  Result<std::optional<Reply>> next_reply(const std::string& name);
  void read_stderr();
  int end_child(bool kill);
  Error stopped(std::string why, ErrorCode code);
  Error exited(Clock::time_point deadline);

  pid_t pid_ = -1;
  GitFd in_, out_, err_;
  std::string call_;  // "git -C <repo> cat-file --batch", for messages
  std::string buf_;   // stdout not yet consumed, from pos_
  std::size_t pos_ = 0;
  std::string err_tail_;  // the end of git's stderr
};

}  // namespace commit_scripts_detail
}  // namespace mgate::backend::alembic
