#pragma once
// The alembic script directory as it is at a git commit, read from the repository's object
// database (no checkout): the heads of the commit an image was built from.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "backend/alembic/script_directory.hpp"
#include "backend/core/error.hpp"

namespace mgate::backend::alembic {

/// How CommitScripts runs git.
struct CommitScriptsOptions {
  std::string git = "git";                    ///< the git program, looked up in PATH
  std::chrono::milliseconds timeout{30'000};  ///< for one exchange with `git cat-file`
  std::size_t cache_entries = 32;             ///< parsed script directories kept (LRU)
};

/// Reads an alembic script directory at any commit of the application's repository.
///
/// The working tree's alembic.ini (or versions folder) is resolved once, when opened: its
/// version locations, relative to the repository root, are then read at each commit asked for,
/// through one long-lived `git -C <repo> cat-file --batch --follow-symlinks` child. Folders are
/// listed from tree objects, in alembic's load order (list_revision_files' rules), and the files
/// parsed by parse_script_directory, so the result is what load_script_directory gives for a
/// checkout of that commit — except that paths (Script::path, diagnostics, and
/// `source.version_locations`) are relative to the repository root, and a changed alembic.ini
/// at that commit is not read.
///
/// Results are cached by the tree ids of the version locations: commits whose version folders
/// are identical share one parsed ScriptDirectory. A child that dies or times out is killed,
/// and a new one is started by the next call. Not thread-safe: one thread at a time (the
/// refresher's git worker) may call at(); moving the object to another thread is fine.
class CommitScripts {
 public:
  /// Resolves `scripts` (an alembic.ini, or a folder, as locate_scripts takes it) in the working
  /// tree of the repository rooted at `repo`, and starts git. kInvalidArgument when the scripts
  /// cannot be located or a version location lies outside the repository; kIo when git cannot
  /// be started or does not run in `repo` (e.g. it is not a repository).
  static Result<CommitScripts> open(const std::filesystem::path& repo, const std::filesystem::path& scripts,
                                    CommitScriptsOptions options = {});

  /// The script directory at `sha`, a full or abbreviated (at least 4 hex digits) commit id,
  /// resolved as `git rev-parse --verify <sha>^{commit}` does. Errors: kInvalidArgument for a
  /// sha that is not hexadecimal or is ambiguous, kNotFound "commit <sha> is not in the
  /// repository <repo>", kIo / kTimeout / kProtocol when git fails (naming the call and why).
  /// Problems in the files themselves, or a version location missing at that commit, are the
  /// result's diagnostics, as for load_script_directory.
  Result<std::shared_ptr<const ScriptDirectory>> at(const std::string& sha);

  /// How many times a script directory was read and parsed (cache misses), for tests and logs.
  std::size_t parsed() const;

  /// The repository root, as given.
  const std::filesystem::path& repository() const;

  /// The working tree's script source, whose version locations are read at each commit.
  const ScriptSource& source() const;

  /// Kills and reaps the git child.
  ~CommitScripts();
  /// Moves the child and the cache.
  CommitScripts(CommitScripts&&) noexcept;
  /// Moves the child and the cache; this one's child is killed first.
  CommitScripts& operator=(CommitScripts&&) noexcept;
  CommitScripts(const CommitScripts&) = delete;
  CommitScripts& operator=(const CommitScripts&) = delete;

 private:
  struct Impl;
  explicit CommitScripts(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mgate::backend::alembic
