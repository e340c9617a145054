#include "tests/sandbox/work_dir.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "tests/sandbox/process_table.hpp"

namespace mgate::sandbox {
namespace {

namespace fs = std::filesystem;
using backend::ErrorCode;
using backend::make_error;

constexpr const char* kOwnerFile = "owner";
constexpr const char* kPidsFile = "pids";
// A dir without an owner file may be one another launcher is creating right now.
constexpr auto kOwnerlessGrace = std::chrono::minutes(1);

// Written to a temp name and renamed, so a sweeper in another process never reads a
// half-written record (an empty owner file would look like a dead owner).
Status write_owner(const fs::path& dir) {
  const pid_t self = getpid();
  const auto st = read_proc_stat(self);
  const fs::path temp = dir / (std::string(kOwnerFile) + ".tmp");
  std::ofstream out(temp, std::ios::trunc);
  out << self << ' ' << (st ? st->start_time : 0) << '\n';
  out.close();
  std::error_code ec;
  if (out) fs::rename(temp, dir / kOwnerFile, ec);
  if (!out || ec) return make_error(ErrorCode::kIo, fmt::format("cannot write {}", (dir / kOwnerFile).string()));
  return backend::ok_status();
}

// True while a dir has no complete owner record yet and is young enough to be one another
// launcher is still setting up.
bool ownerless_and_fresh(const fs::path& dir) {
  std::ifstream in(dir / kOwnerFile);
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  if (in && (in >> pid >> start_time)) return false;  // a complete record: judged by its pid
  std::error_code ec;
  const auto written = fs::last_write_time(dir, ec);
  if (ec) return false;
  return fs::file_time_type::clock::now() - written < kOwnerlessGrace;
}

}  // namespace

std::vector<ProcStat> processes_inside(const fs::path& dir) {
  std::vector<ProcStat> out;
  const std::string prefix = dir.string() + "/";
  for (const ProcStat& p : list_processes()) {
    std::error_code ec;
    const fs::path cwd = fs::read_symlink("/proc/" + std::to_string(p.pid) + "/cwd", ec);
    if (ec || !p.alive()) continue;
    if (cwd == dir || cwd.string().starts_with(prefix)) out.push_back(p);
  }
  return out;
}

fs::path temp_root() {
  const char* tmp = std::getenv("TMPDIR");
  if (tmp != nullptr && *tmp != '\0') return tmp;
  return "/tmp";
}

Result<fs::path> create_work_dir(const fs::path& path) {
  fs::path dir;
  if (path.empty()) {
    std::string templ = (temp_root() / (std::string(kWorkDirPrefix) + "XXXXXX")).string();
    if (mkdtemp(templ.data()) == nullptr) {
      return make_error(ErrorCode::kIo,
                        fmt::format("cannot create a temp dir under {}", temp_root().string()),
                        std::strerror(errno));
    }
    dir = templ;
  } else {
    std::error_code ec;
    dir = fs::absolute(path);
    fs::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::kIo, fmt::format("cannot create {}", dir.string()), ec.message());
    if (!fs::is_empty(dir, ec)) {
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("work dir {} is not empty; the sandbox removes it at teardown", dir.string()));
    }
  }
  if (auto s = write_owner(dir); !s) {
    static_cast<void>(remove_work_dir(dir));  // the write error is the one to report
    return s.error();
  }
  return dir;
}

Status record_process(const fs::path& dir, const RecordedProcess& p) {
  std::ofstream out(dir / kPidsFile, std::ios::app);
  out << p.name << ' ' << p.pid << ' ' << p.start_time << '\n';
  out.close();
  if (!out) return make_error(ErrorCode::kIo, fmt::format("cannot write {}", (dir / kPidsFile).string()));
  return backend::ok_status();
}

std::vector<RecordedProcess> recorded_processes(const fs::path& dir) {
  std::vector<RecordedProcess> out;
  std::ifstream in(dir / kPidsFile);
  RecordedProcess p;
  while (in >> p.name >> p.pid >> p.start_time) out.push_back(p);
  return out;
}

bool work_dir_owner_alive(const fs::path& dir) {
  std::ifstream in(dir / kOwnerFile);
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  if (!(in >> pid >> start_time)) return false;
  return process_alive(pid, start_time);
}

Status clear_work_dir(const fs::path& dir, std::chrono::milliseconds grace) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return backend::ok_status();
  // Recorded services, and helpers nobody recorded (initdb's bootstrap backend) known by
  // their working directory: every sandbox process runs inside the work dir.
  const auto still_running = [&dir] {
    std::vector<RecordedProcess> out;
    for (const RecordedProcess& p : recorded_processes(dir)) {
      if (process_alive(p.pid, p.start_time)) out.push_back(p);
    }
    for (const ProcStat& p : processes_inside(dir)) out.push_back({"helper", p.pid, p.start_time});
    return out;
  };
  // They have death signals of their own: a moment, usually, and they are gone.
  const auto polite = std::chrono::steady_clock::now() + grace;
  while (!still_running().empty() && std::chrono::steady_clock::now() < polite) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::vector<RecordedProcess> stubborn = still_running();
  for (const RecordedProcess& p : stubborn) {
    if (p.name != "helper") kill(-p.pid, SIGKILL);  // its group: the helpers it forked
    kill(p.pid, SIGKILL);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (const RecordedProcess& p : stubborn) {
    while (process_alive(p.pid, p.start_time) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return remove_work_dir(dir);
}

bool remove_if_stale(const fs::path& dir) {
  if (work_dir_owner_alive(dir) || ownerless_and_fresh(dir)) return false;
  return clear_work_dir(dir, std::chrono::milliseconds(0)).ok();
}

int sweep_stale_work_dirs(const fs::path& root) {
  int removed = 0;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kWorkDirPrefix) || !entry.is_directory(ec)) continue;
    struct stat st {};
    if (lstat(entry.path().c_str(), &st) != 0 || st.st_uid != geteuid()) continue;
    if (remove_if_stale(entry.path())) ++removed;
  }
  return removed;
}

Status remove_work_dir(const fs::path& dir) {
  std::error_code ec;
  // A process that was just killed may still have had a file being created; a second pass
  // catches what the first one raced with.
  for (int attempt = 0; attempt < 5; ++attempt) {
    ec.clear();
    fs::remove_all(dir, ec);
    if (!ec && !fs::exists(dir)) return backend::ok_status();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return make_error(ErrorCode::kIo, fmt::format("cannot remove {}", dir.string()), ec.message());
}

}  // namespace mgate::sandbox
