// alembic.ini as alembic reads it (configparser rules, %(here)s, version_locations and their
// separators), and what a plain directory means.

#include <gtest/gtest.h>

#include <fstream>

#include "backend/alembic/ini_file.hpp"
#include "backend/alembic/script_source.hpp"
#include "tests/unit/alembic/temp_tree.hpp"

namespace mgate::backend::alembic {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

TEST(IniFile, SectionsKeysContinuationsAndComments) {
  auto ini = IniFile::parse(
      "# comment\n[alembic]\nScript_Location = migrations\nversion_locations = a\n   b\n\n   c\n"
      "; a comment\nother: value with = sign\n[loggers]\nkeys = root\n",
      {}, "alembic.ini");
  ASSERT_TRUE(ini.ok()) << ini.error().describe();
  EXPECT_EQ(**ini->get("alembic", "script_location"), "migrations");
  EXPECT_EQ(**ini->get("alembic", "version_locations"), "a\nb\n\nc");
  EXPECT_EQ(**ini->get("alembic", "other"), "value with = sign");
  EXPECT_FALSE(ini->get("alembic", "keys")->has_value());
  EXPECT_EQ(ini->line_of("alembic", "other"), 9);
}

TEST(IniFile, InlineCommentsStayInTheValue) {
  // configparser has no inline comments by default: alembic sees the whole text.
  auto ini = IniFile::parse("[alembic]\nversion_path_separator = os  # Use os.pathsep.\n", {}, "x.ini");
  EXPECT_EQ(**ini->get("alembic", "version_path_separator"), "os  # Use os.pathsep.");
}

TEST(IniFile, Interpolation) {
  auto ini = IniFile::parse(
      "[DEFAULT]\nroot = %(here)s/app\n[alembic]\nscript_location = %(root)s/migrations\n"
      "pct = 100%%\nbad = 5%\nmissing = %(nope)s\n",
      {{"here", "/srv"}}, "x.ini");
  ASSERT_TRUE(ini.ok());
  EXPECT_EQ(**ini->get("alembic", "script_location"), "/srv/app/migrations");
  EXPECT_EQ(**ini->get("alembic", "pct"), "100%");
  EXPECT_FALSE(ini->get("alembic", "bad").ok());
  EXPECT_FALSE(ini->get("alembic", "missing").ok());
}

TEST(IniFile, DuplicatesAreErrorsAsInStrictConfigparser) {
  EXPECT_FALSE(IniFile::parse("[a]\nk = 1\nk = 2\n", {}, "x.ini").ok());
  EXPECT_FALSE(IniFile::parse("[a]\n[a]\n", {}, "x.ini").ok());
  auto bad = IniFile::parse("[a]\njust words\n", {}, "x.ini");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("x.ini:2"), std::string::npos) << bad.error().message;
}

TEST(VersionLocations, Separators) {
  EXPECT_EQ(*split_version_locations("a b,c, d", std::nullopt), (Strings{"a", "b", "c", "d"}));
  EXPECT_EQ(*split_version_locations("a:b::c", std::string("os")), (Strings{"a", "b", "c"}));
  EXPECT_EQ(*split_version_locations("a:b", std::string(":")), (Strings{"a", "b"}));
  EXPECT_EQ(*split_version_locations("a b;c", std::string(";")), (Strings{"a b", "c"}));
  EXPECT_EQ(*split_version_locations("a b  c", std::string("space")), (Strings{"a", "b", "c"}));
  EXPECT_EQ(*split_version_locations("a b\nc d", std::string("newline")), (Strings{"a b", "c d"}));
  auto bad = split_version_locations("a", std::string("comma"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'comma' is not a valid value for version_path_separator"),
            std::string::npos);
}

TEST(ScriptSource, HereAndTheDefaultVersionsFolder) {
  TempTree t;
  t.write("app/alembic.ini", "[alembic]\nscript_location = %(here)s/migrations\n");
  t.dir("app/migrations/versions");
  auto source = locate_scripts(t.path("app/alembic.ini"));
  ASSERT_TRUE(source.ok()) << source.error().describe();
  EXPECT_EQ(source->script_location, t.path("app/migrations"));
  EXPECT_EQ(source->version_locations, std::vector<fs::path>{t.path("app/migrations/versions")});
  EXPECT_FALSE(source->explicit_locations);
  EXPECT_FALSE(source->recursive);
  EXPECT_EQ(source->ini, t.path("app/alembic.ini"));
}

TEST(ScriptSource, RelativePathsStartAtTheIniFolder) {
  TempTree t;
  t.write("app/alembic.ini",
          "[alembic]\nscript_location = migrations\nversion_locations = one two\n"
          "recursive_version_locations = true\n");
  t.dir("app/migrations");
  auto source = locate_scripts(t.path("app"));  // a directory holding an alembic.ini
  ASSERT_TRUE(source.ok()) << source.error().describe();
  EXPECT_EQ(source->version_locations, (std::vector<fs::path>{t.path("app/one"), t.path("app/two")}));
  EXPECT_TRUE(source->explicit_locations);
  EXPECT_TRUE(source->recursive);
}

TEST(ScriptSource, SeparatorsFromTheIni) {
  TempTree t;
  t.dir("m");
  t.write("semi.ini",
          "[alembic]\nscript_location = %(here)s/m\nversion_path_separator = ;\n"
          "version_locations = %(here)s/a b;%(here)s/c\n");
  auto source = locate_scripts(t.path("semi.ini"));
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(source->version_locations, (std::vector<fs::path>{t.path("a b"), t.path("c")}));
  t.write("bad.ini",
          "[alembic]\nscript_location = %(here)s/m\nversion_path_separator = os  # comment\n"
          "version_locations = %(here)s/a\n");
  EXPECT_EQ(locate_scripts(t.path("bad.ini")).error().code, ErrorCode::kInvalidArgument);
}

TEST(ScriptSource, UnusableInis) {
  TempTree t;
  t.write("none.ini", "[loggers]\nkeys = root\n");
  EXPECT_NE(locate_scripts(t.path("none.ini")).error().message.find("no [alembic] section"),
            std::string::npos);
  t.write("nokey.ini", "[alembic]\nsqlalchemy.url = x\n");
  EXPECT_NE(locate_scripts(t.path("nokey.ini")).error().message.find("script_location"), std::string::npos);
  t.write("gone.ini", "[alembic]\nscript_location = %(here)s/gone\n");
  EXPECT_NE(locate_scripts(t.path("gone.ini")).error().message.find("gone.ini:2"), std::string::npos);
  t.write("pkg.ini", "[alembic]\nscript_location = myapp:migrations\n");
  EXPECT_NE(locate_scripts(t.path("pkg.ini")).error().message.find("package resource"), std::string::npos);
  EXPECT_EQ(locate_scripts(t.path("missing.ini")).error().code, ErrorCode::kInvalidArgument);
}

TEST(ScriptSource, PlainDirectories) {
  TempTree t;
  t.dir("scripts/versions");
  auto script_dir = locate_scripts(t.path("scripts"));
  ASSERT_TRUE(script_dir.ok());
  EXPECT_EQ(script_dir->script_location, t.path("scripts"));
  EXPECT_EQ(script_dir->version_locations, std::vector<fs::path>{t.path("scripts/versions")});
  auto versions = locate_scripts(t.path("scripts/versions"));
  ASSERT_TRUE(versions.ok());
  EXPECT_TRUE(versions->script_location.empty());
  EXPECT_EQ(versions->version_locations, std::vector<fs::path>{t.path("scripts/versions")});
}

}  // namespace
}  // namespace mgate::backend::alembic
