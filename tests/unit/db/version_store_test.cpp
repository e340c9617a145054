// The row-set helpers every VersionStore shares: comparison as sets, display, id checks.

#include "backend/db/version_store.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::db {
namespace {

TEST(VersionRows, NormalizeSortsAndDropsRepeats) {
  EXPECT_EQ(normalize_rows({"d2c6a8e1f3b9", "0a7f4d3e6c58", "d2c6a8e1f3b9"}),
            (std::vector<std::string>{"0a7f4d3e6c58", "d2c6a8e1f3b9"}));
  EXPECT_TRUE(normalize_rows({}).empty());
}

TEST(VersionRows, FormatShowsBrackets) {
  EXPECT_EQ(format_rows({}), "[]");
  EXPECT_EQ(format_rows({"a", "b"}), "[a, b]");
}

TEST(VersionRows, CharacterCountCountsUtf8Characters) {
  EXPECT_EQ(character_count("abc"), 3);
  EXPECT_EQ(character_count("\xc3\xa9t\xc3\xa9"), 3);  // "été"
  EXPECT_EQ(character_count(""), 0);
}

TEST(VersionRows, ValidateRefusesEmptyRepeatedAndControlIds) {
  EXPECT_TRUE(validate_revision_ids({"a", "b"}, "public.alembic_version").ok());
  EXPECT_TRUE(validate_revision_ids({}, "public.alembic_version").ok());

  const Status empty = validate_revision_ids({"a", ""}, "public.alembic_version");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(empty.error().message, "cannot stamp public.alembic_version: an empty revision id was given");

  const Status twice = validate_revision_ids({"a", "b", "a"}, "t");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().message, "cannot stamp t: the revision id a is given twice");

  const Status control = validate_revision_ids({"a\x1b[2J"}, "t");
  ASSERT_FALSE(control.ok());
  EXPECT_EQ(control.error().message,
            "cannot stamp t: the revision id \"a\\x1b[2J\" holds a control character");
}

TEST(VersionRows, WidthCheckNamesIdLengthAndWidth) {
  const std::string id40(40, 'f');
  EXPECT_TRUE(
      check_column_width({"abc", std::string(32, 'a')}, 32, "public.alembic_version.version_num").ok());
  EXPECT_TRUE(check_column_width({id40}, 0, "c").ok());  // unbounded column
  const Status wide = check_column_width({"abc", id40}, 32, "public.alembic_version.version_num");
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(wide.error().message,
            "the revision id " + id40 +
                " is 40 characters long, but public.alembic_version.version_num holds at "
                "most 32; nothing was changed");
  // VARCHAR(n) counts characters, not bytes: 32 two-byte characters fit.
  std::string accents;
  for (int i = 0; i < 32; ++i) accents += "\xc3\xa9";
  EXPECT_TRUE(check_column_width({accents}, 32, "c").ok());
}

}  // namespace
}  // namespace mgate::backend::db
