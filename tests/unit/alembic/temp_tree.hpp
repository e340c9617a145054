#pragma once
// A temporary directory tree for the alembic unit tests, removed when the test ends.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace mgate::backend::alembic {

/// A fresh directory under the temp dir; files and folders are created by relative path.
class TempTree {
 public:
  TempTree() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mgate-alembic-unit-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) root_ = pattern;
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  /// The absolute path of rel inside the tree.
  std::filesystem::path path(const std::string& rel = {}) const { return (root_ / rel).lexically_normal(); }

  /// Creates the folder rel (and its parents).
  void dir(const std::string& rel) const { std::filesystem::create_directories(path(rel)); }

  /// Writes text to rel, creating its folder.
  void write(const std::string& rel, const std::string& text) const {
    std::filesystem::create_directories(path(rel).parent_path());
    std::ofstream(path(rel), std::ios::binary) << text;
  }

 private:
  std::filesystem::path root_;
};

}  // namespace mgate::backend::alembic
