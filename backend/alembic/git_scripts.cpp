#include "backend/alembic/git_scripts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <list>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "backend/alembic/git_cat_file.hpp"

namespace mgate::backend::alembic {
namespace fs = std::filesystem;

// Named, not anonymous: the unity build joins this file with the other sources of backend/.
namespace commit_scripts_detail {

struct TreeEntry {
  std::string_view mode;  ///< octal: 40000 a folder, 100644/100755 a file, 120000 a link, 160000 a submodule
  std::string_view name;
  std::string oid;  ///< hex
};

// A tree object is binary: "<mode> <name>\0<raw id>" repeated, the id as long as the
// repository's hash (20 bytes for SHA-1, 32 for SHA-256).
std::optional<std::vector<TreeEntry>> parse_tree_object(std::string_view tree, std::size_t id_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::vector<TreeEntry> entries;
  while (!tree.empty()) {
    const std::size_t space = tree.find(' ');
    const std::size_t nul = tree.find('\0');
    if (space == std::string_view::npos || nul == std::string_view::npos || space > nul ||
        tree.size() < nul + 1 + id_bytes) {
      return std::nullopt;
    }
    TreeEntry e{tree.substr(0, space), tree.substr(space + 1, nul - space - 1), {}};
    for (std::size_t i = 0; i < id_bytes; ++i) {
      const auto byte = static_cast<unsigned char>(tree[nul + 1 + i]);
      e.oid.push_back(kHex[byte >> 4]);
      e.oid.push_back(kHex[byte & 0xF]);
    }
    entries.push_back(std::move(e));
    tree.remove_prefix(nul + 1 + id_bytes);
  }
  return entries;
}

/// A revision file to read: its path in the repository, and the name to ask git for.
struct FileRef {
  std::string path;
  std::string object;  ///< the blob's id, or "<commit>:<path>" for a link git must follow
  bool link = false;
};

std::string join_path(const std::string& a, const std::string& b) {
  return a.empty() ? b : b.empty() ? a : a + "/" + b;
}

bool is_commit_sha(std::string_view sha) {
  return sha.size() >= 4 && sha.size() <= 64 && std::all_of(sha.begin(), sha.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

// A version location as a path inside the repository ("" for its root), lexically normal.
Result<std::string> location_in_repository(const fs::path& root, const fs::path& location) {
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(fs::absolute(location), ec);
  const fs::path rel = (ec ? fs::absolute(location).lexically_normal() : real).lexically_relative(root);
  const std::string s = rel.string();
  if (rel.empty() || s == ".." || s.starts_with("../")) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("version location {} is outside the repository {}", location.string(), root.string()));
  }
  if (s.find('\n') != std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("version location {} has a newline in its name, which git cat-file "
                                  "--batch cannot be asked for",
                                  location.string()));
  }
  return s == "." ? std::string() : s;
}

}  // namespace commit_scripts_detail

using commit_scripts_detail::CatFile;
using commit_scripts_detail::FileRef;
using commit_scripts_detail::Reply;

struct CommitScripts::Impl {
  fs::path repo;
  ScriptSource source;                 // the working tree's
  std::vector<std::string> locations;  // relative to repo; "" = its root
  CommitScriptsOptions options;
  std::unique_ptr<CatFile> git;
  std::size_t parsed = 0;
  using Entry = std::pair<std::string, std::shared_ptr<const ScriptDirectory>>;
  std::list<Entry> lru;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key;

  /// What one commit needs read: its id, and each location's tree (absent = not a folder there).
  struct Commit {
    std::string oid;
    std::vector<std::optional<Reply>> trees;
    std::string key;
  };

  Result<std::vector<Reply>> fetch(const std::vector<std::string>& names);
  Result<Commit> resolve(const std::string& sha);
  Status walk(const std::string& commit, const std::string& folder, const Reply& tree,
              std::vector<FileRef>& out);
  Result<ScriptDirectory> read(const Commit& commit, bool& cacheable);
  void remember(const std::string& key, std::shared_ptr<const ScriptDirectory> dir);
};

Result<std::vector<Reply>> CommitScripts::Impl::fetch(const std::vector<std::string>& names) {
  if (!git || !git->alive()) {
    auto started = CatFile::start(options.git, repo.string());
    if (!started) return started.error();
    git = std::move(*started);
  }
  return git->fetch(names, options.timeout);
}

// The commit's id and the trees of the version locations in it, which make the cache key.
Result<CommitScripts::Impl::Commit> CommitScripts::Impl::resolve(const std::string& sha) {
  std::string lower = sha;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  auto found = fetch({lower + "^{commit}"});
  if (!found) return found.error();
  const Reply& c = found->front();
  if (c.kind == Reply::Kind::kAmbiguous) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("sha {} is ambiguous in the repository {}", sha, repo.string()));
  }
  if (c.kind != Reply::Kind::kObject || c.type != "commit") {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("commit {} is not in the repository {}", sha, repo.string()));
  }
  Commit out{c.oid, {}, {}};
  // A commit object starts "tree <id>\n": the root tree, for a location that is the root.
  const std::string root = c.content.starts_with("tree ") ? c.content.substr(5, c.oid.size()) : std::string();
  std::vector<std::string> names;
  for (const auto& location : locations) names.push_back(location.empty() ? root : out.oid + ":" + location);
  auto trees = fetch(names);
  if (!trees) return trees.error();
  for (auto& t : *trees) {
    const bool folder = t.kind == Reply::Kind::kObject && t.type == "tree";
    out.key += (folder ? t.oid : std::string("-")) + ",";
    out.trees.push_back(folder ? std::optional<Reply>(std::move(t)) : std::nullopt);
  }
  return out;
}

// One folder, as list_revision_files walks one: its revision files sorted, then (recursive) its
// sub-folders sorted, depth first. The sub-folders' trees come in one exchange.
Status CommitScripts::Impl::walk(const std::string& commit, const std::string& folder, const Reply& tree,
                                 std::vector<FileRef>& out) {
  auto entries = commit_scripts_detail::parse_tree_object(tree.content, tree.oid.size() / 2);
  if (!entries) {
    return make_error(ErrorCode::kProtocol,
                      fmt::format("git: tree {} ({}) cannot be read", tree.oid, folder));
  }
  std::vector<const commit_scripts_detail::TreeEntry*> files, dirs;
  for (const auto& e : *entries) {
    // Submodules (160000) are skipped: their files are not in this repository's objects.
    if (e.mode == "40000")
      dirs.push_back(&e);
    else if (e.mode.starts_with("100") || e.mode == "120000")
      files.push_back(&e);
  }
  // Git orders a tree's folders as if named "name/"; alembic sorts plain names.
  auto by_name = [](const auto* a, const auto* b) { return a->name < b->name; };
  // alembic skips the files of a folder whose path ends with "__pycache__".
  if (!std::string_view(folder).ends_with("__pycache__")) {
    std::sort(files.begin(), files.end(), by_name);
    for (const auto* f : files) {
      if (!is_revision_file_name(f->name)) continue;
      const std::string path = commit_scripts_detail::join_path(folder, std::string(f->name));
      const bool link = f->mode == "120000";
      out.push_back(FileRef{path, link ? fmt::format("{}:{}", commit, path) : f->oid, link});
    }
  }
  if (!source.recursive || dirs.empty()) return ok_status();
  std::sort(dirs.begin(), dirs.end(), by_name);
  std::vector<std::string> names;
  names.reserve(dirs.size());
  for (const auto* d : dirs) names.push_back(d->oid);
  auto subtrees = fetch(names);
  if (!subtrees) return subtrees.error();
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    if (auto st = walk(commit, commit_scripts_detail::join_path(folder, std::string(dirs[i]->name)),
                       (*subtrees)[i], out);
        !st)
      return st;
  }
  return ok_status();
}

// Lists every location's revision files at the commit, reads them in one exchange, parses them.
Result<ScriptDirectory> CommitScripts::Impl::read(const Commit& commit, bool& cacheable) {
  std::vector<Diagnostic> diagnostics;
  std::vector<FileRef> files;
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < locations.size(); ++i) {
    const std::string shown = locations[i].empty() ? "." : locations[i];
    if (!commit.trees[i]) {
      if (source.explicit_locations) {
        diagnostics.push_back(warning_at(
            shown, 0, "version location does not exist at this commit; skipped, as alembic skips it"));
      } else {
        diagnostics.push_back(error_at(shown, 0, "the versions folder does not exist at this commit"));
      }
      continue;
    }
    std::vector<FileRef> found;
    if (auto st = walk(commit.oid, locations[i], *commit.trees[i], found); !st) return st.error();
    for (auto& f : found) {
      if (!seen.insert(f.path).second) {
        diagnostics.push_back(
            warning_at(f.path, 0, "loaded twice (version_locations overlap); the second copy is ignored"));
      } else {
        files.push_back(std::move(f));
      }
    }
  }
  std::vector<std::string> names;
  names.reserve(files.size());
  for (const auto& f : files) names.push_back(f.object);
  auto blobs = fetch(names);
  if (!blobs) return blobs.error();
  std::vector<RevisionFileText> texts;
  for (std::size_t i = 0; i < files.size(); ++i) {
    Reply& r = (*blobs)[i];
    // A link's target is outside the trees the cache is keyed by.
    if (files[i].link) cacheable = false;
    // A link to a folder: os.walk lists it as a folder, which alembic does not follow.
    if (r.kind == Reply::Kind::kObject && r.type == "tree") continue;
    const bool text = r.kind == Reply::Kind::kObject && r.type == "blob";
    texts.push_back(
        RevisionFileText{files[i].path, text ? std::optional(std::move(r.content)) : std::nullopt});
  }
  ScriptSource read_from = source;
  read_from.version_locations.assign(locations.begin(), locations.end());
  return parse_script_directory(std::move(read_from), std::move(diagnostics), texts);
}

void CommitScripts::Impl::remember(const std::string& key, std::shared_ptr<const ScriptDirectory> dir) {
  lru.emplace_front(key, std::move(dir));
  by_key[key] = lru.begin();
  while (lru.size() > std::max<std::size_t>(options.cache_entries, 1)) {
    by_key.erase(lru.back().first);
    lru.pop_back();
  }
}

Result<CommitScripts> CommitScripts::open(const fs::path& repo, const fs::path& scripts,
                                          CommitScriptsOptions options) {
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(fs::absolute(repo), ec);
  if (ec) return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", repo.string(), ec.message()));
  auto source = locate_scripts(scripts);
  if (!source) return source.error();
  auto impl = std::make_unique<Impl>();
  impl->repo = repo;
  impl->options = std::move(options);
  for (const auto& location : source->version_locations) {
    auto rel = commit_scripts_detail::location_in_repository(root, location);
    if (!rel) return rel.error();
    impl->locations.push_back(std::move(*rel));
  }
  impl->source = std::move(*source);
  // Any answer proves git runs in a repository there; a folder that is not one ends git at once.
  auto probe = impl->fetch({"HEAD"});
  if (!probe) return probe.error();
  return CommitScripts(std::move(impl));
}

Result<std::shared_ptr<const ScriptDirectory>> CommitScripts::at(const std::string& sha) {
  if (!commit_scripts_detail::is_commit_sha(sha)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a commit sha (4 to 64 hexadecimal digits)", sha));
  }
  auto commit = impl_->resolve(sha);
  if (!commit) return commit.error();
  if (auto hit = impl_->by_key.find(commit->key); hit != impl_->by_key.end()) {
    impl_->lru.splice(impl_->lru.begin(), impl_->lru, hit->second);
    return hit->second->second;
  }
  bool cacheable = true;
  auto dir = impl_->read(*commit, cacheable);
  if (!dir) return dir.error();
  ++impl_->parsed;
  auto shared = std::make_shared<const ScriptDirectory>(std::move(*dir));
  if (cacheable) impl_->remember(commit->key, shared);
  return shared;
}

std::size_t CommitScripts::parsed() const {
  return impl_->parsed;
}
const fs::path& CommitScripts::repository() const {
  return impl_->repo;
}
const ScriptSource& CommitScripts::source() const {
  return impl_->source;
}

CommitScripts::CommitScripts(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CommitScripts::~CommitScripts() = default;
CommitScripts::CommitScripts(CommitScripts&&) noexcept = default;
CommitScripts& CommitScripts::operator=(CommitScripts&&) noexcept = default;

}  // namespace mgate::backend::alembic
