#pragma once
// What the backend/db integration tests share: a fresh database per test on the binary's one
// sandbox, real alembic against it, and raw sessions that hold locks the way other clients do.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "backend/db/postgres_version_store.hpp"
#include "backend/db/version_store.hpp"
#include "tests/integration/shared_sandbox.hpp"

namespace mgate::backend::db::testing {

/// The example app's revisions (tests/sandbox/app): linear, then two branches, then a merge.
inline constexpr const char* kUsers = "3f2a9c1d7b4e";
inline constexpr const char* kChores = "8c41e07d2b95";
inline constexpr const char* kAssignments = "b7d3f5a19c20";  ///< the branch point
inline constexpr const char* kNotifications = "5e9b2c8a4f17";
inline constexpr const char* kNotificationsTip = "d2c6a8e1f3b9";  ///< label notifications
inline constexpr const char* kPointsTip = "0a7f4d3e6c58";
inline constexpr const char* kMerge = "e4b1f9a7c3d2";

/// Sorted ids, for comparing with what a store reads.
std::vector<std::string> ids(std::vector<std::string> values);

/// Each test gets the shared sandbox and a database of its own. A sandbox that does not start
/// fails the test: never a skip.
class DbTest : public ::testing::Test {
 protected:
  void SetUp() override;

  /// `alembic -c <ini> args...` with DATABASE_URL naming this test's database (the password comes
  /// from the sandbox's PGPASSFILE); `ini` empty: the example app's alembic.ini.
  sandbox::CommandResult alembic(const std::vector<std::string>& args, const std::filesystem::path& ini = {},
                                 const sandbox::EnvVars& extra = {});
  /// `alembic current` parsed: the first word of each line, sorted; adds a failure when alembic fails.
  std::vector<std::string> alembic_current(const std::filesystem::path& ini = {},
                                           const sandbox::EnvVars& extra = {});
  /// `alembic upgrade <target>`, asserting that it succeeded.
  void upgrade(const std::string& target);

  /// The passwordless URL of this test's database.
  std::string url() const { return sandbox_->database_url(database_); }
  /// A store on this test's database through `dsn` (the URL), for any schema and table.
  std::unique_ptr<VersionStore> store(const std::string& schema = "public",
                                      const std::string& table = "alembic_version");
  /// A raw libpqxx session on this test's database, as another client would open it.
  pqxx::connection connect() const;

  sandbox::Sandbox* sandbox_ = nullptr;
  std::string database_;
};

/// Waits until `count` sessions of `database` wait for a lock (pg_locks.granted is false);
/// false after `timeout`.
bool wait_for_lock_waiters(pqxx::connection& observer, const std::string& database, int count,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// A copy of the example app's scripts whose env.py takes version_table and version_table_schema
/// from VERSION_TABLE and VERSION_TABLE_SCHEMA, as a team with a custom table configures alembic.
/// Returns its alembic.ini, or an empty path after adding a failure.
std::filesystem::path custom_table_alembic_ini(const sandbox::Sandbox& sandbox);

}  // namespace mgate::backend::db::testing
