#include "backend/alembic/script_directory.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "backend/alembic/script_parser.hpp"

namespace mgate::backend::alembic {
namespace fs = std::filesystem;
namespace {

// Below this many files one thread is faster than starting others.
constexpr std::size_t kParallelFrom = 64;
// Reading is bound by system calls; more threads than this stop helping.
constexpr std::size_t kMaxReaders = 4;
// Larger than nearly every revision file.
constexpr std::size_t kReadChunk = 65536;

bool is_directory(const std::string& dir, std::string_view name, const dirent* entry) {
  if (entry->d_type == DT_DIR) return true;
  if (entry->d_type != DT_UNKNOWN && entry->d_type != DT_LNK) return false;
  const std::string path = dir + "/" + std::string(name);
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// One folder: its files sorted, then (recursive) its sub-folders sorted, each walked the same
// way; names are relative to the version location. POSIX calls rather than std::filesystem:
// this runs once per file of a directory that can hold thousands.
void walk(const std::string& root, const std::string& rel, bool recursive, std::vector<std::string>& out) {
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> files, dirs;
  while (const dirent* entry = ::readdir(d)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (!is_directory(dir, name, entry)) {
      files.emplace_back(name);
    } else if (entry->d_type != DT_LNK) {  // os.walk does not follow links to folders
      dirs.emplace_back(name);
    }
  }
  ::closedir(d);
  // alembic's listing skips the files of a folder whose path ends with "__pycache__".
  if (!std::string_view(dir).ends_with("__pycache__")) {
    std::sort(files.begin(), files.end());
    for (const auto& f : files)
      if (is_revision_file_name(f)) out.push_back(rel.empty() ? f : rel + "/" + f);
  }
  if (!recursive) return;
  std::sort(dirs.begin(), dirs.end());
  for (const auto& sub : dirs) walk(root, rel.empty() ? sub : rel + "/" + sub, true, out);
}

// Opens files relative to their folder's descriptor: the kernel then resolves one name, not the
// whole path, for each of thousands of files.
class FolderCache {
 public:
  FolderCache() = default;
  FolderCache(const FolderCache&) = delete;
  FolderCache& operator=(const FolderCache&) = delete;
  ~FolderCache() {
    if (fd_ >= 0) ::close(fd_);
  }

  int open(const std::string& full) {
    const auto slash = full.rfind('/');
    if (slash == std::string::npos) return ::open(full.c_str(), O_RDONLY | O_CLOEXEC);
    const std::string_view folder(full.data(), slash);
    if (fd_ < 0 || folder != folder_) {
      if (fd_ >= 0) ::close(fd_);
      folder_ = std::string(folder);
      fd_ = ::open(folder_.empty() ? "/" : folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd_ < 0) return -1;
    }
    return ::openat(fd_, full.c_str() + slash + 1, O_RDONLY | O_CLOEXEC);
  }

 private:
  std::string folder_;
  int fd_ = -1;
};

bool read_file(FolderCache& folders, const std::string& path, std::string& out) {
  const int fd = folders.open(path);
  if (fd < 0) return false;
  out.clear();
  char buf[kReadChunk];
  ssize_t n;
  // A short read of a regular file is its end: one read is enough for a revision file.
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < sizeof buf) {
      n = 0;
      break;
    }
  }
  ::close(fd);
  return n == 0;
}

// Reads and parses the files on a few threads (opening 2,000 files is most of a load); the
// results keep the files' order, so the outcome does not depend on the threads.
std::vector<ParsedScript> read_all(const std::vector<std::string>& files) {
  std::vector<ParsedScript> parsed(files.size());
  auto work = [&files, &parsed](std::size_t first, std::size_t step) {
    std::string text;
    FolderCache folders;
    for (std::size_t i = first; i < files.size(); i += step) {
      if (read_file(folders, files[i], text)) {
        parsed[i] = parse_script(text, files[i]);
      } else {
        parsed[i].diagnostics.push_back(error_at(files[i], 0, "cannot read the file"));
      }
    }
  };
  const std::size_t workers =
      files.size() < kParallelFrom
          ? 1
          : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, kMaxReaders);
  {
    std::vector<std::jthread> helpers;
    for (std::size_t w = 1; w < workers; ++w) helpers.emplace_back(work, w, workers);
    work(0, workers);
  }
  return parsed;
}

// The files' diagnostics after the listing's, then the graph, built only when nothing was an
// error; parsed[i] belongs to the i-th file in load order.
void assemble_script_directory(ScriptDirectory& out, std::vector<ParsedScript>& parsed) {
  std::vector<Script> scripts;
  scripts.reserve(parsed.size());
  for (auto& p : parsed) {
    out.diagnostics.insert(out.diagnostics.end(), p.diagnostics.begin(), p.diagnostics.end());
    if (p.script) scripts.push_back(std::move(*p.script));
  }
  const bool read_errors = has_errors(out.diagnostics);
  auto built = RevisionGraph::build(std::move(scripts));
  out.diagnostics.insert(out.diagnostics.end(), built.diagnostics.begin(), built.diagnostics.end());
  if (!read_errors) out.graph = std::move(built.graph);
}

std::string without_trailing_slash(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

bool is_revision_file_name(std::string_view name) {
  return name.size() > 3 && name.ends_with(".py") && !name.starts_with(".#") && !name.starts_with("__init__");
}

std::vector<std::string> list_revision_files(const ScriptSource& source,
                                             std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (const auto& location : source.version_locations) {
    std::error_code ec;
    if (!fs::is_directory(location, ec)) {
      if (source.explicit_locations) {
        diagnostics.push_back(warning_at(location.string(), 0,
                                         "version location does not exist; skipped, as alembic skips it"));
      } else {
        diagnostics.push_back(error_at(location.string(), 0, "the versions folder does not exist"));
      }
      continue;
    }
    const std::string root = without_trailing_slash(location.string());
    std::vector<std::string> files;
    walk(root, {}, source.recursive, files);
    // Overlapping locations are found by the folder's real path, resolved once per location.
    fs::path real_location = fs::weakly_canonical(location, ec);
    const std::string real_root = ec ? root : without_trailing_slash(real_location.string());
    for (const auto& rel : files) {
      if (!seen.insert(real_root + "/" + rel).second) {
        diagnostics.push_back(warning_at(
            root + "/" + rel, 0, "loaded twice (version_locations overlap); the second copy is ignored"));
        continue;
      }
      out.emplace_back(root + "/" + rel);
    }
  }
  return out;
}

Result<std::shared_ptr<const RevisionGraph>> graph_of(std::shared_ptr<const ScriptDirectory> dir,
                                                      const std::string& where) {
  if (dir->ok()) return std::shared_ptr<const RevisionGraph>(dir, &*dir->graph);
  std::string first;
  for (const auto& d : dir->diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) {
      first = d.format();
      break;
    }
  }
  return make_error(ErrorCode::kProtocol, "the alembic scripts at " + where + " have errors", first);
}

Result<ScriptDirectory> load_script_directory(const fs::path& ini_or_directory) {
  auto source = locate_scripts(ini_or_directory);
  if (!source) return source.error();
  ScriptDirectory out;
  out.source = std::move(*source);
  const auto files = list_revision_files(out.source, out.diagnostics);
  auto parsed = read_all(files);
  assemble_script_directory(out, parsed);
  return out;
}

ScriptDirectory parse_script_directory(ScriptSource source, std::vector<Diagnostic> diagnostics,
                                       const std::vector<RevisionFileText>& files) {
  ScriptDirectory out;
  out.source = std::move(source);
  out.diagnostics = std::move(diagnostics);
  std::vector<ParsedScript> parsed;
  parsed.reserve(files.size());
  for (const auto& f : files) {
    if (f.text) {
      parsed.push_back(parse_script(*f.text, f.path));
    } else {
      parsed.emplace_back().diagnostics.push_back(error_at(f.path, 0, "cannot read the file"));
    }
  }
  assemble_script_directory(out, parsed);
  return out;
}

Result<std::shared_ptr<const RevisionGraph>> load_graph(const fs::path& ini_or_directory) {
  auto dir = load_script_directory(ini_or_directory);
  if (!dir) return dir.error();
  return graph_of(std::make_shared<const ScriptDirectory>(std::move(*dir)), ini_or_directory.string());
}

}  // namespace mgate::backend::alembic
