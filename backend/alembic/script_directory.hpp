#pragma once
// An alembic script directory read from disk: where it is, its revision files, its graph.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/alembic/diagnostic.hpp"
#include "backend/alembic/revision_graph.hpp"
#include "backend/alembic/script_source.hpp"
#include "backend/core/error.hpp"

namespace mgate::backend::alembic {

/// What load_script_directory found.
struct ScriptDirectory {
  ScriptSource source;                  ///< where the revision files were read from
  std::vector<Diagnostic> diagnostics;  ///< every warning and error, file by file in load order
  std::optional<RevisionGraph> graph;   ///< absent when any diagnostic is an error

  /// True when the graph was built.
  bool ok() const { return graph.has_value(); }
};

/// The graph of a directory that has one, sharing the directory's lifetime; else kProtocol
/// "the alembic scripts at <where> have errors", with the first error as the detail.
Result<std::shared_ptr<const RevisionGraph>> graph_of(std::shared_ptr<const ScriptDirectory> dir,
                                                      const std::string& where);

/// load_script_directory's graph, through graph_of: the scripts' errors are one Error.
Result<std::shared_ptr<const RevisionGraph>> load_graph(const std::filesystem::path& ini_or_directory);

/// Reads the scripts a path names (see locate_scripts): every revision file, in alembic's load
/// order, then the graph. An Error (kInvalidArgument) only when the path or its alembic.ini is
/// unusable; problems in the revision files are diagnostics, and never stop the others from
/// being read.
Result<ScriptDirectory> load_script_directory(const std::filesystem::path& ini_or_directory);

/// The revision files of a source in the order alembic ≥ 1.10 loads them: each version location
/// in turn, its file names sorted, then (when recursive) its sub-folders, sorted, depth first.
/// Only `*.py` files count, not `__init__*` nor `.#*`, nor anything in a `__pycache__` folder;
/// a file reached twice is read once (with a warning). A missing location is a diagnostic.
/// Paths are plain strings: building a std::filesystem::path per file costs more than reading it.
std::vector<std::string> list_revision_files(const ScriptSource& source,
                                             std::vector<Diagnostic>& diagnostics);

/// True when alembic loads a file of this name found in a version location: `*.py`, but not
/// `__init__*` nor `.#*` (an editor's lock file). The rule list_revision_files applies.
bool is_revision_file_name(std::string_view name);

/// One revision file already read: its path (as diagnostics and Script::path name it) and text.
struct RevisionFileText {
  std::string path;                 ///< where the file was found
  std::optional<std::string> text;  ///< its content; absent when it could not be read
};

/// What load_script_directory does once the files are listed and read, for files that come from
/// elsewhere than the file system (a git commit): parses each, in the order given (the load
/// order; a file without text is the error "cannot read the file"), then builds the graph.
/// `diagnostics` are the listing's; the files' and the graph's follow them, and the graph is
/// absent when any is an error.
ScriptDirectory parse_script_directory(ScriptSource source, std::vector<Diagnostic> diagnostics,
                                       const std::vector<RevisionFileText>& files);

}  // namespace mgate::backend::alembic
