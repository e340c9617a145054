#pragma once
// Internal to backend/config: walking a yaml-cpp document while collecting diagnostics.
// Not part of the public API (config.hpp is); only the loader's .cpp files include it, so
// yaml-cpp stays out of every other module's includes.

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/config/config.hpp"

namespace mgate::backend::config::detail {

/// Where every reader reports: the file's name, its directory and the diagnostics so far.
class Sink {
 public:
  /// `file` as the caller named it (it prints in every diagnostic); `base_dir` anchors
  /// relative paths; `home` expands `~` (empty when $HOME is unset).
  Sink(std::string file, std::filesystem::path base_dir, std::string home);

  /// Reports an error at a mark.
  void error(const Mark& at, std::string path, std::string message);
  /// Reports a warning at a mark.
  void warning(const Mark& at, std::string path, std::string message);
  /// The 1-based mark of a node; a parser mark with no position gives line 0.
  Mark mark(const YAML::Mark& at) const;
  /// The mark of a node, 1-based.
  Mark mark(const YAML::Node& node) const { return mark(node.Mark()); }

  /// The file as given; the directory relative paths resolve against; $HOME.
  const std::string& file() const { return file_; }
  const std::filesystem::path& base_dir() const { return base_dir_; }
  const std::string& home() const { return home_; }

  /// True once any error (not a warning) was reported.
  bool has_errors() const;
  /// Every diagnostic, sorted by line then column (stable, so same-place reports keep order).
  std::vector<Diagnostic> sorted() const;

 private:
  std::string file_;
  std::filesystem::path base_dir_;
  std::string home_;
  std::vector<Diagnostic> diagnostics_;
};

/// The keys valid at one level of the file.
using KeyList = std::span<const std::string_view>;

/// Whether a key must be present.
enum class Need { kOptional, kRequired };

/// What a path value must name on disk.
enum class PathMust { kAnything, kExistAsFile, kExistAsDirectory, kExistAsFileOrDirectory };

/// The text for the "got …" half of a message: a quoted scalar, "a sequence", "a mapping", "nothing".
std::string describe(const YAML::Node& node);

/// s in double quotes with quotes, backslashes and control characters escaped, cut at 120 characters.
std::string quote(std::string_view s);

/// A YAML mapping checked against the keys valid at its level. Constructing it reports a
/// non-mapping node, unknown keys (with a did-you-mean) and duplicate keys; the typed getters
/// then report wrong values at the value and missing required keys at the mapping's own key.
class MapReader {
 public:
  /// One key of the mapping: its text, the mark of the key and the value node.
  struct Entry {
    std::string key;
    Mark key_mark;
    YAML::Node value;
  };

  /// A mapping whose keys must be among `keys`. `path` names it ("environments.stage.kube",
  /// "" for the top level); `where` is the mark of the key that holds it.
  MapReader(Sink& sink, const YAML::Node& node, std::string path, Mark where, KeyList keys);
  /// A mapping whose keys are names the user chooses (the environments).
  static MapReader any_keys(Sink& sink, const YAML::Node& node, std::string path, Mark where);

  /// False when the node was not a mapping (already reported).
  bool valid() const { return valid_; }
  /// The first occurrence of every key, in file order.
  const std::vector<Entry>& entries() const { return entries_; }
  /// The entry for a key, or nullptr when it is absent.
  const Entry* find(std::string_view key) const;
  /// True when the key is present with a non-null value.
  bool has(std::string_view key) const;
  /// "path.key", or "key" at the top level.
  std::string child_path(std::string_view key) const;
  /// This mapping's path and the mark of the key that holds it.
  const std::string& path() const { return path_; }
  const Mark& where() const { return where_; }
  Sink& sink() const { return *sink_; }

  /// Reports "missing required key" at this mapping's own key, with this mapping's path.
  void missing(std::string_view key) const;
  /// Reports an error (or a warning) at the key's value, or at the key when the value is null.
  void value_error(std::string_view key, std::string message) const;
  void value_warning(std::string_view key, std::string message) const;
  /// Reports an error at the key itself.
  void key_error(std::string_view key, std::string message) const;

  /// A non-empty scalar, as its text.
  std::optional<std::string> text(std::string_view key, Need need) const;
  /// An integer in [lo, hi].
  std::optional<int> integer(std::string_view key, int lo, int hi, Need need) const;
  /// true or false (and the other spellings yaml-cpp accepts: yes/no, on/off).
  std::optional<bool> boolean(std::string_view key) const;
  /// One of `choices`, or an alias (pairs of alias, canonical) returned as its canonical name.
  std::optional<std::string> choice(std::string_view key, const std::vector<std::string>& choices,
                                    const std::vector<std::pair<std::string, std::string>>& aliases,
                                    Need need) const;
  /// A path: `~` expanded, relative to the file's directory, lexically normal, checked on disk.
  std::optional<std::filesystem::path> path_value(std::string_view key, Need need, PathMust must) const;
  /// A sequence of non-empty scalars; a single scalar counts as a one-item list.
  std::optional<std::vector<std::string>> text_list(std::string_view key) const;
  /// The nested mapping under a key, when present and a mapping.
  std::optional<MapReader> map(std::string_view key, KeyList keys, Need need) const;

 private:
  MapReader(Sink& sink, std::string path, Mark where);
  void read_entries(const YAML::Node& node, bool any_key, KeyList keys);
  // The value of a present, non-null key; reports a missing required key or a null one.
  const YAML::Node* present(std::string_view key, Need need, std::string_view expected) const;
  // The scalar under a key, or reports "expected …, got a mapping".
  const YAML::Node* scalar(std::string_view key, Need need, std::string_view expected) const;

  Sink* sink_;
  std::string path_;
  Mark where_;
  bool valid_ = false;
  std::vector<Entry> entries_;
  // Keys an unknown key was taken for ("projet" → "project"): the did-you-mean already says
  // they are missing, so one typo gives one diagnostic, not two.
  std::vector<std::string> suggested_;
};

}  // namespace mgate::backend::config::detail
