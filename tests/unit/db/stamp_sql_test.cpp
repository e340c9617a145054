// The SQL text of the PostgreSQL version store: quoting, the advisory key and the stamp plan
// that `mgate stamp --dry-run` prints.

#include "backend/db/stamp_sql.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::db {
namespace {

using std::chrono::milliseconds;

TEST(StampSqlQuoting, IdentifiersAreAlwaysQuotedWithInnerQuotesDoubled) {
  EXPECT_EQ(quote_identifier("alembic_version"), "\"alembic_version\"");
  EXPECT_EQ(quote_identifier("odd \"name\""), "\"odd \"\"name\"\"\"");
  EXPECT_EQ((VersionTable{"Ops", "deploy.versions"}).qualified_sql(), "\"Ops\".\"deploy.versions\"");
  EXPECT_EQ((VersionTable{"Ops", "v"}).display(), "Ops.v");
  EXPECT_EQ((VersionTable{"Ops", "v"}).column_display(), "Ops.v.version_num");
}

TEST(StampSqlQuoting, LiteralsDoubleQuotesAndEscapeBackslashesOnlyInEStrings) {
  EXPECT_EQ(quote_literal("abc"), "'abc'");
  EXPECT_EQ(quote_literal("it's"), "'it''s'");
  EXPECT_EQ(quote_literal("a\\b'c"), "E'a\\\\b''c'");
}

TEST(StampSqlAdvisoryKey, StableAndDifferentPerTable) {
  const AdvisoryKey key = advisory_key(VersionTable{});
  EXPECT_EQ(key.space, 0x6d676174);
  // FNV-1a of "\"public\".\"alembic_version\"": pinned, because two mgate releases stamping one
  // database must take the same lock.
  EXPECT_EQ(key.table, advisory_key(VersionTable{"public", "alembic_version"}).table);
  EXPECT_EQ(static_cast<std::uint32_t>(key.table), 0xd0763288U) << key.table;
  EXPECT_NE(key.table, advisory_key(VersionTable{"ops", "alembic_version"}).table);
  // Quoting keeps "a.b"."c" and "a"."b.c" apart.
  EXPECT_NE(advisory_key(VersionTable{"a.b", "c"}).table, advisory_key(VersionTable{"a", "b.c"}).table);
}

TEST(StampSqlPlan, ExistingTableTwoRows) {
  const StampSql sql(VersionTable{});
  const std::vector<std::string> plan =
      sql.stamp_plan(true, {"0a7f4d3e6c58", "d2c6a8e1f3b9"}, milliseconds(2000));
  const std::string lock = sql.advisory_lock();
  const std::vector<std::string> expected = {
      "BEGIN",
      "SET LOCAL lock_timeout = '2000ms'",
      "SET LOCAL statement_timeout = '12000ms'",
      lock,
      sql.inspect(),
      "LOCK TABLE \"public\".\"alembic_version\" IN SHARE ROW EXCLUSIVE MODE",
      "SELECT version_num FROM \"public\".\"alembic_version\" FOR UPDATE",
      "DELETE FROM \"public\".\"alembic_version\"",
      "INSERT INTO \"public\".\"alembic_version\" (version_num) VALUES ('0a7f4d3e6c58'), ('d2c6a8e1f3b9')",
      "SELECT version_num FROM \"public\".\"alembic_version\"",
      "COMMIT",
  };
  EXPECT_EQ(plan, expected);
  EXPECT_EQ(lock, "SELECT pg_catalog.pg_advisory_xact_lock(1835491700, " +
                      std::to_string(advisory_key(VersionTable{}).table) + ")");
}

TEST(StampSqlPlan, MissingTableCreatesItAsAlembicDoes) {
  const StampSql sql(VersionTable{"ops", "deploy_versions"});
  const std::vector<std::string> plan = sql.stamp_plan(false, {"3f2a9c1d7b4e"}, milliseconds(500));
  ASSERT_EQ(plan.size(), 12u);
  EXPECT_EQ(plan[1], "SET LOCAL lock_timeout = '500ms'");
  EXPECT_EQ(plan[2], "SET LOCAL statement_timeout = '10500ms'");
  EXPECT_EQ(plan[5],
            "CREATE TABLE IF NOT EXISTS \"ops\".\"deploy_versions\" (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT \"deploy_versions_pkc\" PRIMARY KEY (version_num))");
  EXPECT_EQ(plan[6], "LOCK TABLE \"ops\".\"deploy_versions\" IN SHARE ROW EXCLUSIVE MODE");
}

TEST(StampSqlPlan, BaseDeletesWithoutInsert) {
  const StampSql sql(VersionTable{});
  const std::vector<std::string> plan = sql.stamp_plan(true, {}, milliseconds(2000));
  ASSERT_EQ(plan.size(), 10u);
  EXPECT_EQ(plan[7], "DELETE FROM \"public\".\"alembic_version\"");
  EXPECT_EQ(plan[8], "SELECT version_num FROM \"public\".\"alembic_version\"");
}

TEST(StampSqlPlan, BaseOnAMissingTableOnlyInspects) {
  const StampSql sql(VersionTable{});
  const std::vector<std::string> plan = sql.stamp_plan(false, {}, milliseconds(2000));
  ASSERT_EQ(plan.size(), 6u);
  EXPECT_EQ(plan[4], sql.inspect());
  EXPECT_EQ(plan[5], "COMMIT");
}

TEST(StampSqlInspect, NamesTheTableAsAQuotedLiteral) {
  const std::string inspect = StampSql(VersionTable{"it's", "v"}).inspect();
  EXPECT_NE(inspect.find("pg_catalog.to_regclass('\"it''s\".\"v\"')"), std::string::npos) << inspect;
  EXPECT_NE(inspect.find("a.attname = 'version_num'"), std::string::npos) << inspect;
}

}  // namespace
}  // namespace mgate::backend::db
