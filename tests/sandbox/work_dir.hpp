#pragma once
// The sandbox's temporary directory: named mgate-sandbox-XXXXXX under $TMPDIR (or /tmp),
// marked with the pid of the process that owns it and the pids of the services it started,
// so that a launcher killed with SIGKILL leaves nothing a later launcher cannot clean up.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "backend/core/error.hpp"
#include "tests/sandbox/process_table.hpp"

namespace mgate::sandbox {

using backend::Result;
using backend::Status;

/// The prefix of every work dir the launcher creates; the stale sweep looks for it.
inline constexpr const char* kWorkDirPrefix = "mgate-sandbox-";

/// $TMPDIR when set and non-empty, else /tmp.
std::filesystem::path temp_root();

/// Creates the work dir: a fresh mkdtemp under temp_root() when `path` is empty, else `path`
/// (created with its parents; it must be empty if it exists). Records this process as its owner.
Result<std::filesystem::path> create_work_dir(const std::filesystem::path& path);

/// A service process as recorded in the work dir.
struct RecordedProcess {
  std::string name;
  pid_t pid = 0;
  std::uint64_t start_time = 0;
};

/// Appends a service process to the work dir's `pids` file.
Status record_process(const std::filesystem::path& dir, const RecordedProcess& process);

/// The processes recorded in the work dir's `pids` file, in start order.
std::vector<RecordedProcess> recorded_processes(const std::filesystem::path& dir);

/// True when the process that created the work dir is still alive.
bool work_dir_owner_alive(const std::filesystem::path& dir);

/// Waits up to `grace` for the dir's processes (recorded, or working inside it) to exit,
/// SIGKILLs those that remain, and removes the dir.
Status clear_work_dir(const std::filesystem::path& dir, std::chrono::milliseconds grace);

/// When the owner of the work dir is dead: clear_work_dir without grace. True when it
/// removed the dir.
bool remove_if_stale(const std::filesystem::path& dir);

/// Runs remove_if_stale on every mgate-sandbox-* dir under root owned by this user.
/// Returns how many it removed.
int sweep_stale_work_dirs(const std::filesystem::path& root);

/// Live processes whose working directory is the dir or inside it: every process a sandbox
/// starts runs there, helpers it never recorded included.
std::vector<ProcStat> processes_inside(const std::filesystem::path& dir);

/// Removes the dir and everything in it.
Status remove_work_dir(const std::filesystem::path& dir);

}  // namespace mgate::sandbox
