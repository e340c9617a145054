// Real alembic (Debian's python3-alembic) against the sandbox's PostgreSQL, on the example
// app's branched-and-merged history: the alembic_version rows mgate will have to read.

#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {
namespace {

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kMerge = "e4b1f9a7c3d2";
constexpr const char* kNotificationsTip = "d2c6a8e1f3b9";
constexpr const char* kPointsTip = "0a7f4d3e6c58";

class SandboxAlembic : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = shared_sandbox();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
    sandbox_ = *sandbox;
    auto name = create_database(*sandbox_, "alembic");
    ASSERT_TRUE(name.ok()) << name.error().describe();
    database_ = *name;
  }

  // alembic -c <the app's alembic.ini> <args...> with DATABASE_URL naming the test's database;
  // the password comes from PGPASSFILE in the sandbox env, through psycopg2's libpq.
  CommandResult alembic(const std::vector<std::string>& args) {
    Command command;
    command.argv = {kPython, "-m", "alembic", "-c", sandbox_->alembic_ini().string()};
    command.argv.insert(command.argv.end(), args.begin(), args.end());
    command.env = sandbox_env(*sandbox_, {{"DATABASE_URL", sandbox_->database_url(database_)}});
    command.timeout = std::chrono::seconds(60);
    auto result = run_command(command);
    EXPECT_TRUE(result.ok()) << result.error().describe();
    return result.ok() ? *result : CommandResult{};
  }

  pqxx::connection connect() { return pqxx::connection(sandbox_->postgres().conninfo(database_)); }

  std::vector<std::string> versions() {
    pqxx::connection conn = connect();
    pqxx::work tx(conn);
    std::vector<std::string> out;
    for (const auto& row : tx.exec("SELECT version_num FROM alembic_version ORDER BY version_num")) {
      out.push_back(row[0].as<std::string>());
    }
    return out;
  }

  bool column_exists(const std::string& table, const std::string& column) {
    pqxx::connection conn = connect();
    pqxx::work tx(conn);
    return tx.exec1("SELECT count(*) FROM information_schema.columns WHERE table_name = " + tx.quote(table) +
                    " AND column_name = " + tx.quote(column))[0]
               .as<int>() == 1;
  }

  Sandbox* sandbox_ = nullptr;
  std::string database_;
};

TEST_F(SandboxAlembic, UpgradeHeadsOnTheMergedTreeLeavesTheMergeRevision) {
  const CommandResult up = alembic({"upgrade", "heads"});
  ASSERT_TRUE(up.ok()) << up.describe();
  EXPECT_EQ(versions(), std::vector<std::string>{kMerge});
  EXPECT_TRUE(column_exists("users", "notify_by_email"));
  EXPECT_TRUE(column_exists("chores", "points"));
  EXPECT_TRUE(column_exists("user_points", "total"));
  // alembic itself agrees with what the table says.
  const CommandResult current = alembic({"current"});
  ASSERT_TRUE(current.ok()) << current.describe();
  EXPECT_NE(current.out.find(std::string(kMerge) + " (head)"), std::string::npos) << current.out;
}

TEST_F(SandboxAlembic, OneBranchTipThenTheOtherGivesTwoRowsThenTheMergeGivesOne) {
  const CommandResult first = alembic({"upgrade", kNotificationsTip});
  ASSERT_TRUE(first.ok()) << first.describe();
  EXPECT_EQ(versions(), std::vector<std::string>{kNotificationsTip});
  EXPECT_TRUE(column_exists("users", "notify_by_email"));
  EXPECT_FALSE(column_exists("chores", "points"));

  const CommandResult second = alembic({"upgrade", kPointsTip});
  ASSERT_TRUE(second.ok()) << second.describe();
  EXPECT_EQ(versions(), (std::vector<std::string>{kPointsTip, kNotificationsTip}));
  EXPECT_TRUE(column_exists("chores", "points"));

  const CommandResult merged = alembic({"upgrade", "heads"});
  ASSERT_TRUE(merged.ok()) << merged.describe();
  EXPECT_EQ(versions(), std::vector<std::string>{kMerge});
}

TEST_F(SandboxAlembic, WithoutThePassfileAlembicIsRefused) {
  Command command;
  command.argv = {kPython, "-m", "alembic", "-c", sandbox_->alembic_ini().string(), "upgrade", "heads"};
  command.env =
      sandbox_env(*sandbox_, {{"DATABASE_URL", sandbox_->database_url(database_)},
                              {"PGPASSFILE", (sandbox_->work_dir() / "no-such-passfile").string()}});
  auto result = run_command(command);
  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_NE(result->exit_code, 0);
  EXPECT_NE(result->err.find("no password supplied"), std::string::npos) << result->err;
}

}  // namespace
}  // namespace mgate::sandbox::testing
