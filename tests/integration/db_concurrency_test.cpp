// Two stamps at once: exactly one wins and the other is refused, whether the table holds rows,
// holds none, or does not exist yet; and a stamp waits for a migration's lock, then gives up.

#include <gtest/gtest.h>

#include <barrier>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backend/db/stamp_sql.hpp"
#include "tests/integration/db_support.hpp"

namespace mgate::backend::db::testing {
namespace {

using Rows = std::vector<std::string>;
using std::chrono::milliseconds;

constexpr milliseconds kPatient{10000};

class DbConcurrency : public DbTest {
 protected:
  // Two stores, connected and agreeing on what they read.
  void open_two(const Rows& expected) {
    for (auto* slot : {&a_, &b_}) {
      *slot = store();
      ASSERT_NE(*slot, nullptr);
      auto state = (*slot)->read();
      ASSERT_TRUE(state.ok()) << state.error().describe();
      ASSERT_EQ(state->rows, ids(expected));
    }
  }

  // Both stores stamp while `blocker` holds a lock they need; once both wait, it lets go.
  void race_behind(pqxx::work& blocker, const Rows& expected, const Rows& rows_a, const Rows& rows_b) {
    std::optional<Result<StampOutcome>> result_a;
    std::optional<Result<StampOutcome>> result_b;
    std::thread ta([&] { result_a = a_->replace_rows(expected, rows_a, {kPatient}); });
    std::thread tb([&] { result_b = b_->replace_rows(expected, rows_b, {kPatient}); });
    pqxx::connection observer = connect();
    const bool both_wait = wait_for_lock_waiters(observer, database_, 2);
    blocker.abort();
    ta.join();
    tb.join();
    ASSERT_TRUE(both_wait) << "the two stamps never both waited for the blocker";
    judge(*result_a, *result_b, expected, rows_a, rows_b);
  }

  // Exactly one stamp won; the loser saw the winner's rows; the table holds the winner's rows.
  void judge(const Result<StampOutcome>& ra, const Result<StampOutcome>& rb, const Rows& expected,
             const Rows& rows_a, const Rows& rows_b) {
    ASSERT_NE(ra.ok(), rb.ok()) << "a: " << (ra.ok() ? "ok" : ra.error().describe())
                                << "; b: " << (rb.ok() ? "ok" : rb.error().describe());
    const Result<StampOutcome>& loser = ra.ok() ? rb : ra;
    const Rows winner_rows = ids(ra.ok() ? rows_a : rows_b);
    EXPECT_EQ(loser.error().code, ErrorCode::kConflict);
    EXPECT_NE(loser.error().message.find("the version table changed since it was read: expected " +
                                         format_rows(ids(expected)) + ", found " + format_rows(winner_rows)),
              std::string::npos)
        << loser.error().describe();
    auto state = a_->read();
    ASSERT_TRUE(state.ok()) << state.error().describe();
    EXPECT_EQ(state->rows, winner_rows);
  }

  std::unique_ptr<VersionStore> a_;
  std::unique_ptr<VersionStore> b_;
};

TEST_F(DbConcurrency, TwoStampsOnATableWithRowsExactlyOneWins) {
  upgrade(kNotificationsTip);
  open_two({kNotificationsTip});
  pqxx::connection conn = connect();
  pqxx::work blocker(conn);
  blocker.exec1(StampSql(VersionTable{}).advisory_lock());
  race_behind(blocker, {kNotificationsTip}, {kPointsTip, kNotificationsTip}, {kMerge});
  EXPECT_EQ(alembic_current(), a_->read()->rows);
}

TEST_F(DbConcurrency, TwoStampsOnAnEmptyTableExactlyOneWins) {
  upgrade(kUsers);
  open_two({kUsers});
  ASSERT_TRUE(a_->replace_rows({kUsers}, {}).ok());
  pqxx::connection conn = connect();
  pqxx::work blocker(conn);
  blocker.exec1(StampSql(VersionTable{}).advisory_lock());
  race_behind(blocker, {}, {kChores}, {kAssignments});
}

TEST_F(DbConcurrency, TwoStampsOnAMissingTableExactlyOneWinsAndOneTableIsCreated) {
  open_two({});
  pqxx::connection conn = connect();
  pqxx::work blocker(conn);
  blocker.exec1(StampSql(VersionTable{}).advisory_lock());
  race_behind(blocker, {}, {kUsers}, {kChores});
  EXPECT_EQ(alembic_current(), a_->read()->rows);
}

TEST_F(DbConcurrency, TwoStampsStartedTogetherWithoutABlockerExactlyOneWins) {
  upgrade(kUsers);
  // The three states in turn: rows (the last winner's), no rows, and no table (a fresh database).
  for (int round = 0; round < 6; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    if (round % 3 == 2) {
      auto name = sandbox::testing::create_database(*sandbox_, "db_race");
      ASSERT_TRUE(name.ok()) << name.error().describe();
      database_ = *name;
    }
    auto first = store();
    auto state = first->read();
    ASSERT_TRUE(state.ok()) << state.error().describe();
    if (round % 3 == 1) {
      ASSERT_TRUE(first->replace_rows(state->rows, {}).ok());
      state = first->read();
    }
    const Rows expected = state->rows;
    open_two(expected);
    const Rows rows_a = {kChores, "a" + std::to_string(round)};
    const Rows rows_b = {kAssignments, "b" + std::to_string(round)};
    std::barrier start(2);
    std::optional<Result<StampOutcome>> ra;
    std::optional<Result<StampOutcome>> rb;
    std::thread ta([&] {
      start.arrive_and_wait();
      ra = a_->replace_rows(expected, rows_a, {kPatient});
    });
    std::thread tb([&] {
      start.arrive_and_wait();
      rb = b_->replace_rows(expected, rows_b, {kPatient});
    });
    ta.join();
    tb.join();
    judge(*ra, *rb, expected, rows_a, rows_b);
  }
}

TEST_F(DbConcurrency, AStampWaitsForAMigrationsLockThenGivesUpChangingNothing) {
  upgrade(kChores);
  auto versions = store();
  ASSERT_TRUE(versions->read().ok());
  // alembic's upgrade transaction holds ROW EXCLUSIVE on the table from its UPDATE to its COMMIT.
  pqxx::connection conn = connect();
  pqxx::work migration(conn);
  migration.exec0("UPDATE alembic_version SET version_num = version_num");

  const auto started = std::chrono::steady_clock::now();
  auto stamped = versions->replace_rows({kChores}, {kUsers}, {milliseconds(300)});
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(stamped.ok());
  EXPECT_EQ(stamped.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(stamped.error().retryable);
  EXPECT_EQ(stamped.error().message,
            "stamping public.alembic_version on " + url() +
                " failed: another session holds the version table (a running migration "
                "or another stamp); nothing was changed, try again");
  EXPECT_EQ(stamped.error().detail.rfind("SQLSTATE 55P03: ", 0), 0u) << stamped.error().detail;
  EXPECT_GE(waited, milliseconds(300));
  EXPECT_LT(waited, milliseconds(5000));
  migration.abort();

  EXPECT_EQ(alembic_current(), Rows{kChores});
  // The store's session survives the refusal and the next stamp goes through.
  auto retried = versions->replace_rows({kChores}, {kUsers});
  ASSERT_TRUE(retried.ok()) << retried.error().describe();
  EXPECT_EQ(alembic_current(), Rows{kUsers});
}

TEST_F(DbConcurrency, AStampThatWaitedForAMigrationSeesItsCommitAndIsRefused) {
  upgrade(kChores);
  auto versions = store();
  ASSERT_TRUE(versions->read().ok());
  pqxx::connection conn = connect();
  pqxx::work migration(conn);
  migration.exec_params0("UPDATE alembic_version SET version_num = $1 WHERE version_num = $2", kAssignments,
                         kChores);

  std::optional<Result<StampOutcome>> stamped;
  std::thread stamper([&] { stamped = versions->replace_rows({kChores}, {kUsers}, {kPatient}); });
  pqxx::connection observer = connect();
  const bool waiting = wait_for_lock_waiters(observer, database_, 1);
  migration.commit();
  stamper.join();
  ASSERT_TRUE(waiting);
  ASSERT_FALSE(stamped->ok());
  EXPECT_EQ(stamped->error().code, ErrorCode::kConflict);
  EXPECT_NE(
      stamped->error().message.find("expected [" + std::string(kChores) + "], found [" + kAssignments + "]"),
      std::string::npos)
      << stamped->error().message;
  EXPECT_EQ(alembic_current(), Rows{kAssignments});
}

TEST_F(DbConcurrency, AStampOnAnEmptyTableWaitsForAnotherSessionsInsert) {
  // FOR UPDATE locks nothing when there are no rows, and a plain client takes no advisory lock:
  // only the table lock makes this stamp wait for the INSERT and then see it.
  upgrade(kUsers);
  auto versions = store();
  ASSERT_TRUE(versions->replace_rows({kUsers}, {}).ok());
  pqxx::connection conn = connect();
  pqxx::work writer(conn);
  writer.exec_params0("INSERT INTO alembic_version (version_num) VALUES ($1)", kChores);

  std::optional<Result<StampOutcome>> stamped;
  std::thread stamper([&] { stamped = versions->replace_rows({}, {kAssignments}, {kPatient}); });
  pqxx::connection observer = connect();
  const bool waiting = wait_for_lock_waiters(observer, database_, 1);
  writer.commit();
  stamper.join();
  ASSERT_TRUE(waiting);
  ASSERT_FALSE(stamped->ok());
  EXPECT_EQ(stamped->error().code, ErrorCode::kConflict);
  EXPECT_NE(stamped->error().message.find("expected [], found [" + std::string(kChores) + "]"),
            std::string::npos)
      << stamped->error().message;
  EXPECT_EQ(alembic_current(), Rows{kChores});
}

}  // namespace
}  // namespace mgate::backend::db::testing
