// The PostgreSQL version store against real alembic on the sandbox's server: what the reader
// reports equals what `alembic current` reports, and what a stamp writes alembic accepts.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "backend/db/stamp_sql.hpp"
#include "tests/integration/db_support.hpp"

namespace mgate::backend::db::testing {
namespace {

using Rows = std::vector<std::string>;

// The shape of a table as the catalog has it: columns, types, nullability and constraints.
std::string table_shape(pqxx::connection& conn, const std::string& qualified) {
  pqxx::work tx(conn);
  std::string out;
  for (const auto& row : tx.exec_params(
           "SELECT attname, pg_catalog.format_type(atttypid, atttypmod), attnotnull FROM "
           "pg_catalog.pg_attribute "
           "WHERE attrelid = pg_catalog.to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
           qualified)) {
    out += row[0].as<std::string>() + " " + row[1].as<std::string>() +
           (row[2].as<bool>() ? " not null" : "") + "\n";
  }
  for (const auto& row :
       tx.exec_params("SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint "
                      "WHERE conrelid = pg_catalog.to_regclass($1) ORDER BY conname",
                      qualified)) {
    out += "constraint " + row[0].as<std::string>() + " " + row[1].as<std::string>() + "\n";
  }
  return out;
}

TEST_F(DbTest, NeverMigratedReadsAsNoTableLikeAlembic) {
  auto versions = store();
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(*state, (VersionState{false, {}, 32}));
  EXPECT_EQ(alembic_current(), Rows{});
  EXPECT_EQ(versions->describe(), url() + " table public.alembic_version");
}

TEST_F(DbTest, ReaderMatchesAlembicCurrentOnTheLinearPart) {
  upgrade(kChores);
  auto state = store()->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_TRUE(state->table_exists);
  EXPECT_EQ(state->rows, Rows{kChores});
  EXPECT_EQ(state->column_width, 32);
  EXPECT_EQ(state->rows, alembic_current());
}

TEST_F(DbTest, ReaderMatchesAlembicCurrentWithOneRowPerBranchTip) {
  // Upgrading to one tip and then the other leaves both branches applied and unmerged.
  upgrade(kNotificationsTip);
  upgrade(kPointsTip);
  auto versions = store();
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->rows, ids({kNotificationsTip, kPointsTip}));
  EXPECT_EQ(state->rows, alembic_current());

  upgrade("heads");
  state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->rows, Rows{kMerge});
  EXPECT_EQ(state->rows, alembic_current());
}

TEST_F(DbTest, StampOneRevisionThenAlembicReportsIt) {
  upgrade(kAssignments);
  auto versions = store();
  auto stamped = versions->replace_rows({kAssignments}, {kNotifications});
  ASSERT_TRUE(stamped.ok()) << stamped.error().describe();
  EXPECT_EQ(*stamped, (StampOutcome{{kAssignments}, {kNotifications}, false}));
  EXPECT_EQ(alembic_current(), Rows{kNotifications});
}

TEST_F(DbTest, StampTwoBranchTipsThenAlembicReportsBothAndMergesFromThere) {
  upgrade(kAssignments);
  auto versions = store();
  auto stamped = versions->replace_rows({kAssignments}, {kPointsTip, kNotificationsTip});
  ASSERT_TRUE(stamped.ok()) << stamped.error().describe();
  EXPECT_EQ(stamped->after, ids({kNotificationsTip, kPointsTip}));
  EXPECT_EQ(alembic_current(), ids({kNotificationsTip, kPointsTip}));

  // alembic takes the two rows as its own: upgrading runs only the merge revision.
  upgrade("heads");
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->rows, Rows{kMerge});
}

TEST_F(DbTest, StampBaseDeletesEveryRowAndAlembicReportsNone) {
  upgrade(kNotificationsTip);
  upgrade(kPointsTip);
  auto versions = store();
  auto stamped = versions->replace_rows({kPointsTip, kNotificationsTip}, {});
  ASSERT_TRUE(stamped.ok()) << stamped.error().describe();
  EXPECT_EQ(stamped->before, ids({kNotificationsTip, kPointsTip}));
  EXPECT_EQ(stamped->after, Rows{});
  EXPECT_EQ(alembic_current(), Rows{});
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(*state, (VersionState{true, {}, 32}));
}

TEST_F(DbTest, StampOnANeverMigratedDatabaseCreatesTheTableExactlyAsAlembicDoes) {
  auto stamped = store()->replace_rows({}, {kUsers});
  ASSERT_TRUE(stamped.ok()) << stamped.error().describe();
  EXPECT_EQ(*stamped, (StampOutcome{{}, {kUsers}, true}));
  EXPECT_EQ(alembic_current(), Rows{kUsers});

  // alembic's own table on a second fresh database, for comparison.
  const std::string ours = database_;
  auto theirs = sandbox::testing::create_database(*sandbox_, "db_alembic");
  ASSERT_TRUE(theirs.ok()) << theirs.error().describe();
  database_ = *theirs;
  const sandbox::CommandResult stamp = alembic({"stamp", kUsers});
  ASSERT_TRUE(stamp.ok()) << stamp.describe();
  pqxx::connection alembic_conn = connect();
  const std::string expected = table_shape(alembic_conn, "public.alembic_version");
  database_ = ours;
  pqxx::connection our_conn = connect();
  EXPECT_EQ(table_shape(our_conn, "public.alembic_version"), expected);
  EXPECT_EQ(expected,
            "version_num character varying(32) not null\n"
            "constraint alembic_version_pkc PRIMARY KEY (version_num)\n");
}

TEST_F(DbTest, BaseOnANeverMigratedDatabaseChangesNothing) {
  auto versions = store();
  auto stamped = versions->replace_rows({}, {});
  ASSERT_TRUE(stamped.ok()) << stamped.error().describe();
  EXPECT_EQ(*stamped, (StampOutcome{{}, {}, false}));
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_FALSE(state->table_exists);
}

TEST_F(DbTest, CustomSchemaAndTableReadAndStampLikeAlembic) {
  {
    pqxx::connection conn = connect();
    pqxx::work tx(conn);
    tx.exec0("CREATE SCHEMA ops");
    tx.commit();
  }
  const std::filesystem::path ini = custom_table_alembic_ini(*sandbox_);
  ASSERT_FALSE(ini.empty());
  const sandbox::EnvVars custom = {{"VERSION_TABLE", "deploy_versions"}, {"VERSION_TABLE_SCHEMA", "ops"}};
  const sandbox::CommandResult up = alembic({"upgrade", kChores}, ini, custom);
  ASSERT_TRUE(up.ok()) << up.describe();

  auto versions = store("ops", "deploy_versions");
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(*state, (VersionState{true, {kChores}, 32}));
  EXPECT_EQ(state->rows, alembic_current(ini, custom));
  EXPECT_EQ(versions->describe(), url() + " table ops.deploy_versions");
  // The default table is not there: the custom one is all this database has.
  auto default_state = store()->read();
  ASSERT_TRUE(default_state.ok()) << default_state.error().describe();
  EXPECT_FALSE(default_state->table_exists);

  auto stamped = versions->replace_rows({kChores}, {kAssignments});
  ASSERT_TRUE(stamped.ok()) << stamped.error().describe();
  EXPECT_EQ(alembic_current(ini, custom), Rows{kAssignments});
}

TEST_F(DbTest, CustomTableOnANeverMigratedDatabaseIsCreatedWithItsOwnConstraintName) {
  auto versions = store("public", "Deploy \"Versions\"");
  auto stamped = versions->replace_rows({}, {kUsers});
  ASSERT_TRUE(stamped.ok()) << stamped.error().describe();
  EXPECT_TRUE(stamped->created_table);
  pqxx::connection conn = connect();
  EXPECT_EQ(table_shape(conn, "public.\"Deploy \"\"Versions\"\"\""),
            "version_num character varying(32) not null\n"
            "constraint Deploy \"Versions\"_pkc PRIMARY KEY (version_num)\n");
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->rows, Rows{kUsers});
}

TEST_F(DbTest, ThePlanIsRunnableSqlThatDoesWhatTheStampDoes) {
  upgrade(kAssignments);
  auto versions = store();
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  const Rows target = {kNotificationsTip, kPointsTip};
  const std::vector<std::string> plan = versions->plan_sql(*state, target);
  ASSERT_EQ(plan.size(), 11u);
  EXPECT_EQ(plan.front(), "BEGIN");
  EXPECT_EQ(plan.back(), "COMMIT");
  // Sent one by one, as a person pasting the dry run into psql would.
  pqxx::connection conn = connect();
  pqxx::nontransaction tx(conn);
  for (const std::string& statement : plan) tx.exec(statement);
  EXPECT_EQ(alembic_current(), ids(target));
}

TEST_F(DbTest, ServerNoticesNeverReachStderr) {
  // A 61-byte table name makes the constraint name "<table>_pkc" too long, so the server cuts it
  // and says so in a NOTICE; libpq's default would print that on the console's terminal.
  const std::string table(61, 'v');
  std::FILE* capture = std::tmpfile();
  ASSERT_NE(capture, nullptr);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  dup2(fileno(capture), STDERR_FILENO);
  auto stamped = store("public", table)->replace_rows({}, {kUsers});
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  ASSERT_TRUE(stamped.ok()) << stamped.error().describe();
  EXPECT_TRUE(stamped->created_table);
  std::rewind(capture);
  std::string printed;
  for (int c = std::fgetc(capture); c != EOF; c = std::fgetc(capture)) printed += static_cast<char>(c);
  std::fclose(capture);
  EXPECT_EQ(printed, "");
}

}  // namespace
}  // namespace mgate::backend::db::testing
