// Reading a script directory from disk: which files count, in which order, and what a broken
// directory reports.

#include <gtest/gtest.h>

#include "backend/alembic/script_directory.hpp"
#include "tests/unit/alembic/temp_tree.hpp"

namespace mgate::backend::alembic {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

std::string file(const std::string& id, const std::string& down) {
  return "\"\"\"" + id + "\"\"\"\nrevision = '" + id +
         "'\ndown_revision = " + (down.empty() ? "None" : "'" + down + "'") + "\n";
}

Strings names(const std::vector<std::string>& files, const fs::path& root) {
  Strings out;
  for (const auto& f : files) out.push_back(fs::path(f).lexically_relative(root).string());
  return out;
}

TEST(ScriptDirectory, ListingOrderAndSkippedFiles) {
  TempTree t;
  for (const char* f : {"v/b.py", "v/a.py", "v/sub/z.py", "v/sub/deeper/c.py", "v/sub2/d.py", "v/__init__.py",
                        "v/__init__x.py", "v/.#lock.py", "v/README", "v/x.pyc", "v/__pycache__/e.py"}) {
    t.write(f, "");
  }
  std::vector<Diagnostic> diagnostics;
  ScriptSource flat;
  flat.version_locations = {t.path("v")};
  EXPECT_EQ(names(list_revision_files(flat, diagnostics), t.path()), (Strings{"v/a.py", "v/b.py"}));
  ScriptSource deep = flat;
  deep.recursive = true;
  EXPECT_EQ(names(list_revision_files(deep, diagnostics), t.path()),
            (Strings{"v/a.py", "v/b.py", "v/sub/z.py", "v/sub/deeper/c.py", "v/sub2/d.py"}));
  EXPECT_TRUE(diagnostics.empty());
}

TEST(ScriptDirectory, OverlappingAndMissingLocations) {
  TempTree t;
  t.write("v/a.py", "");
  t.write("v/sub/b.py", "");
  ScriptSource source;
  source.explicit_locations = true;
  source.recursive = true;
  source.version_locations = {t.path("v"), t.path("v/sub"), t.path("gone")};
  std::vector<Diagnostic> diagnostics;
  EXPECT_EQ(names(list_revision_files(source, diagnostics), t.path()), (Strings{"v/a.py", "v/sub/b.py"}));
  ASSERT_EQ(diagnostics.size(), 2U);
  EXPECT_EQ(diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_NE(diagnostics[0].message.find("loaded twice"), std::string::npos);
  EXPECT_NE(diagnostics[1].message.find("does not exist"), std::string::npos);
}

TEST(ScriptDirectory, LoadsAnIniWithSeveralLocations) {
  TempTree t;
  t.write("alembic.ini",
          "[alembic]\nscript_location = %(here)s/m\nversion_path_separator = os\n"
          "version_locations = %(here)s/m/versions:%(here)s/extra\n");
  t.write("m/versions/a1_first.py", file("a1", ""));
  t.write("extra/b1_second.py", file("b1", "a1"));
  auto dir = load_script_directory(t.path("alembic.ini"));
  ASSERT_TRUE(dir.ok()) << dir.error().describe();
  ASSERT_TRUE(dir->ok()) << dir->diagnostics.front().format();
  EXPECT_EQ(dir->graph->history(), (Strings{"b1", "a1"}));
  EXPECT_EQ(dir->graph->find("b1")->script.path, t.path("extra/b1_second.py").string());
}

TEST(ScriptDirectory, ABrokenDirectoryReportsEveryProblemWithFileAndLine) {
  TempTree t;
  t.write("versions/a1.py", file("a1", ""));
  t.write("versions/b1.py", file("b1", "zz"));
  t.write("versions/c1.py", "revision = compute()\ndown_revision = 'a1'\n");
  t.write("versions/d1.py", file("a1", ""));
  auto dir = load_script_directory(t.path());
  ASSERT_TRUE(dir.ok());
  EXPECT_FALSE(dir->ok());
  Strings formatted;
  for (const auto& d : dir->diagnostics) formatted.push_back(d.format());
  const std::string v = t.path("versions").string();
  EXPECT_EQ(formatted,
            (Strings{
                v + "/c1.py:1: error: revision is not a string literal (`compute()`): mgate reads revision "
                    "files without running them",
                v + "/d1.py:2: error: revision 'a1' is already defined at " + v + "/a1.py:2",
                v + "/b1.py:3: error: down_revision names 'zz', which no revision file defines",
            }));
}

TEST(ScriptDirectory, ABadPathIsAnError) {
  auto dir = load_script_directory("/nonexistent/mgate/scripts");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().code, ErrorCode::kInvalidArgument);
  TempTree t;
  t.write("app/alembic.ini", "[alembic]\nscript_location = %(here)s/migrations\n");
  t.dir("app/migrations");
  auto no_versions = load_script_directory(t.path("app/alembic.ini"));
  ASSERT_TRUE(no_versions.ok());
  EXPECT_FALSE(no_versions->ok());
  EXPECT_NE(no_versions->diagnostics.at(0).message.find("versions folder does not exist"), std::string::npos);
}

}  // namespace
}  // namespace mgate::backend::alembic
