// What a stamp refuses, and that a refused stamp leaves the database as it was.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/db_support.hpp"

namespace mgate::backend::db::testing {
namespace {

using Rows = std::vector<std::string>;

TEST_F(DbTest, StaleExpectationIsRefusedAndChangesNothing) {
  upgrade(kChores);
  auto versions = store();
  auto read = versions->read();
  ASSERT_TRUE(read.ok()) << read.error().describe();
  ASSERT_EQ(read->rows, Rows{kChores});

  // Someone migrates between our read and our stamp.
  upgrade(kAssignments);
  auto stamped = versions->replace_rows(read->rows, {kUsers});
  ASSERT_FALSE(stamped.ok());
  EXPECT_EQ(stamped.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(stamped.error().retryable);
  EXPECT_EQ(
      stamped.error().message,
      "stamping public.alembic_version refused: the version table changed since it was read: expected [" +
          std::string(kChores) + "], found [" + kAssignments + "]; nothing was changed");
  EXPECT_EQ(stamped.error().detail, url() + " table public.alembic_version");

  auto after = versions->read();
  ASSERT_TRUE(after.ok()) << after.error().describe();
  EXPECT_EQ(after->rows, Rows{kAssignments});
  EXPECT_EQ(alembic_current(), Rows{kAssignments});
}

TEST_F(DbTest, ExpectationOfRowsOnAMissingTableIsRefusedWithoutCreatingIt) {
  auto versions = store();
  auto stamped = versions->replace_rows({kChores}, {kUsers});
  ASSERT_FALSE(stamped.ok());
  EXPECT_EQ(stamped.error().code, ErrorCode::kConflict);
  EXPECT_NE(stamped.error().message.find("expected [" + std::string(kChores) + "], found []"),
            std::string::npos)
      << stamped.error().message;
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_FALSE(state->table_exists);
}

TEST_F(DbTest, ExpectationIsComparedAsASet) {
  upgrade(kNotificationsTip);
  upgrade(kPointsTip);
  // Order and repeats do not matter; the members do.
  auto stamped = store()->replace_rows({kPointsTip, kNotificationsTip, kPointsTip}, {kMerge});
  ASSERT_TRUE(stamped.ok()) << stamped.error().describe();
  EXPECT_EQ(alembic_current(), Rows{kMerge});

  auto partial = store()->replace_rows({kMerge, kPointsTip}, {kUsers});
  ASSERT_FALSE(partial.ok());
  EXPECT_EQ(partial.error().code, ErrorCode::kConflict);
  EXPECT_EQ(alembic_current(), Rows{kMerge});
}

TEST_F(DbTest, IdLongerThanTheColumnIsRefusedBeforeAnythingChanges) {
  const std::string too_long(40, 'a');
  auto versions = store();

  // A never-migrated database stays without a table.
  auto fresh = versions->replace_rows({}, {kUsers, too_long});
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(fresh.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(fresh.error().message,
            "the revision id " + too_long +
                " is 40 characters long, but public.alembic_version.version_num holds at "
                "most 32; nothing was changed");
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_FALSE(state->table_exists);

  // A migrated one keeps its row.
  upgrade(kChores);
  auto migrated = versions->replace_rows({kChores}, {too_long});
  ASSERT_FALSE(migrated.ok());
  EXPECT_EQ(migrated.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(alembic_current(), Rows{kChores});
}

TEST_F(DbTest, WidenedColumnIsReadFromTheCatalogAndHoldsLongerIds) {
  upgrade(kChores);
  {
    pqxx::connection conn = connect();
    pqxx::work tx(conn);
    tx.exec0("ALTER TABLE alembic_version ALTER COLUMN version_num TYPE VARCHAR(64)");
    tx.commit();
  }
  auto versions = store();
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->column_width, 64);
  const std::string forty(40, 'b');
  auto stamped = versions->replace_rows({kChores}, {forty});
  ASSERT_TRUE(stamped.ok()) << stamped.error().describe();
  EXPECT_EQ(stamped->after, Rows{forty});
  auto wider = versions->replace_rows({forty}, {std::string(65, 'c')});
  ASSERT_FALSE(wider.ok());
  EXPECT_NE(wider.error().message.find(
                "is 65 characters long, but public.alembic_version.version_num holds at most 64"),
            std::string::npos)
      << wider.error().message;
}

TEST_F(DbTest, EmptyAndRepeatedIdsAreRefused) {
  upgrade(kChores);
  auto versions = store();
  auto empty = versions->replace_rows({kChores}, {""});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  auto twice = versions->replace_rows({kChores}, {kUsers, kUsers});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().message, "cannot stamp public.alembic_version: the revision id " +
                                       std::string(kUsers) + " is given twice");
  EXPECT_EQ(alembic_current(), Rows{kChores});
}

TEST_F(DbTest, ZeroLockTimeoutIsRefusedRatherThanWaitingForEver) {
  upgrade(kChores);
  auto stamped = store()->replace_rows({kChores}, {kUsers}, {std::chrono::milliseconds(0)});
  ASSERT_FALSE(stamped.ok());
  EXPECT_EQ(stamped.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(stamped.error().message,
            "stamping public.alembic_version: the lock timeout must be at least 1 ms, not 0 ms");
  EXPECT_EQ(alembic_current(), Rows{kChores});
}

TEST_F(DbTest, MissingSchemaReadsAsNeverMigratedAndStampNamesIt) {
  auto versions = store("nosuch", "alembic_version");
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_FALSE(state->table_exists);
  auto stamped = versions->replace_rows({}, {kUsers});
  ASSERT_FALSE(stamped.ok());
  EXPECT_EQ(stamped.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(stamped.error().message,
            "stamping nosuch.alembic_version on " + url() + " failed: schema \"nosuch\" does not exist");
  EXPECT_EQ(stamped.error().detail.rfind("SQLSTATE 3F000: ", 0), 0u) << stamped.error().detail;
}

TEST_F(DbTest, TableWithoutVersionNumIsNotAnAlembicTable) {
  {
    pqxx::connection conn = connect();
    pqxx::work tx(conn);
    tx.exec0("CREATE TABLE schema_migrations (version bigint PRIMARY KEY)");
    tx.exec0("INSERT INTO schema_migrations VALUES (20240101)");
    tx.commit();
  }
  auto versions = store("public", "schema_migrations");
  auto state = versions->read();
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(state.error().message,
            "public.schema_migrations has no version_num column: it is not an alembic version table");
  auto stamped = versions->replace_rows({}, {kUsers});
  ASSERT_FALSE(stamped.ok());
  EXPECT_EQ(stamped.error().code, ErrorCode::kProtocol);
}

}  // namespace
}  // namespace mgate::backend::db::testing
