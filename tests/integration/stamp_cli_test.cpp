// `mgate stamp` and `mgate migrations`, the real binary against the sandbox's PostgreSQL, with
// real alembic creating the database states and judging the result (`alembic current`).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kMerge = "e4b1f9a7c3d2";
constexpr const char* kLinearTip = "b7d3f5a19c20";
constexpr const char* kNotificationsTip = "d2c6a8e1f3b9";
constexpr const char* kPointsTip = "0a7f4d3e6c58";

class StampCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = shared_sandbox();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
    sandbox_ = *sandbox;
    auto stage = create_database(*sandbox_, "stampstage");
    auto prod = create_database(*sandbox_, "stampprod");
    ASSERT_TRUE(stage.ok() && prod.ok());
    stage_ = *stage;
    prod_ = *prod;
    dir_ = make_test_dir("stamp-cli");
    config_ = dir_ / "mgate.yaml";
    std::ofstream(config_) << "project: chores\n"
                           << "alembic:\n  scripts: " << sandbox_->alembic_ini().string() << "\n"
                           << "audit_log: " << (dir_ / "audit.jsonl").string() << "\n"
                           << "environments:\n"
                           << env_block("stage", "STAGE_TEST_URL", false) << env_block("prod", "PROD_TEST_URL", true);
  }

  static std::string env_block(const std::string& name, const std::string& var, bool protected_env) {
    return "  " + name + ":\n" + (protected_env ? "    protected: true\n" : "") +
           "    kube:\n      jobs:\n        selector: component=migration\n        name: db-migration-{sha7}\n"
           "    database:\n      dsn_env: " + var + "\n"
           "    registry:\n      type: ecr\n      region: us-east-1\n      registry_id: \"123456789012\"\n"
           "      repository: chores\n";
  }

  EnvVars env() const {
    return sandbox_env(*sandbox_, {{"STAGE_TEST_URL", sandbox_->database_url(stage_)},
                                   {"PROD_TEST_URL", sandbox_->database_url(prod_)},
                                   {"MGATE_CONFIG", config_.string()}});
  }

  CommandResult mgate(const std::vector<std::string>& args) const { return run_mgate(env(), args); }

  CommandResult alembic(const std::string& db, const std::vector<std::string>& args) const {
    Command c;
    c.argv = {kPython, "-m", "alembic", "-c", sandbox_->alembic_ini().string()};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    c.env = sandbox_env(*sandbox_, {{"DATABASE_URL", sandbox_->database_url(db)}});
    auto r = run_command(c);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->exit_code, 0) << r->describe();
    return r.ok() ? *r : CommandResult{};
  }

  // `alembic current`'s revision ids, sorted.
  std::vector<std::string> current(const std::string& db) const {
    std::vector<std::string> ids;
    std::istringstream in(alembic(db, {"current"}).out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) ids.push_back(line.substr(0, line.find(' ')));
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  void sql(const std::string& db, const std::string& statement) const {
    pqxx::connection conn(sandbox_->postgres().conninfo(db));
    pqxx::work tx(conn);
    tx.exec(statement);
    tx.commit();
  }

  std::vector<nlohmann::json> audit() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(dir_ / "audit.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  Sandbox* sandbox_ = nullptr;
  std::string stage_, prod_;
  fs::path dir_, config_;
};

TEST_F(StampCli, StampHeadsMovesTheTableAndAlembicAgrees) {
  alembic(stage_, {"upgrade", kLinearTip});
  const auto r = mgate({"--env", "stage", "stamp", "heads", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stamped stage: [b7d3f5a19c20] -> [e4b1f9a7c3d2] (verified"), std::string::npos) << r.out;
  EXPECT_EQ(current(stage_), std::vector<std::string>{kMerge});
  const auto records = audit();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["action"], "stamp");
  EXPECT_EQ(records[0]["outcome"], "succeeded");
  EXPECT_EQ(records[0]["before"]["versions"], nlohmann::json::array({kLinearTip}));
  EXPECT_EQ(records[0]["after"]["versions"], nlohmann::json::array({kMerge}));
}

TEST_F(StampCli, TwoTargetsGiveTwoRowsThatAlembicReports) {
  const auto r = mgate({"--env", "stage", "stamp", kNotificationsTip, kPointsTip, "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(current(stage_), (std::vector<std::string>{kPointsTip, kNotificationsTip}));
  const auto m = mgate({"--env", "stage", "migrations", "--json"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const auto j = nlohmann::json::parse(m.out);
  EXPECT_EQ(j["environments"][0]["rows"], nlohmann::json::array({kPointsTip, kNotificationsTip}));
  EXPECT_EQ(j["environments"][0]["relation"]["kind"], "behind");
  EXPECT_EQ(j["environments"][0]["relation"]["pending"][0]["revision"], kMerge);
}

TEST_F(StampCli, DryRunPrintsTheSqlAndTheAlembicCommandAndChangesNothing) {
  alembic(stage_, {"upgrade", kLinearTip});
  const auto r = mgate({"--env", "stage", "stamp", "heads", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("SELECT version_num FROM \"public\".\"alembic_version\" FOR UPDATE"), std::string::npos);
  EXPECT_NE(r.out.find("INSERT INTO \"public\".\"alembic_version\" (version_num) VALUES ('e4b1f9a7c3d2')"),
            std::string::npos);
  EXPECT_NE(r.out.find("equivalent: alembic -c " + sandbox_->alembic_ini().string() + " stamp e4b1f9a7c3d2"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("dry run: nothing was changed"), std::string::npos);
  EXPECT_EQ(current(stage_), std::vector<std::string>{kLinearTip});
  ASSERT_EQ(audit().size(), 1u);
  EXPECT_EQ(audit()[0]["outcome"], "dry_run");
}

TEST_F(StampCli, AStaleExpectationIsRefusedAndChangesNothing) {
  alembic(stage_, {"upgrade", kLinearTip});
  const auto r = mgate({"--env", "stage", "stamp", "heads", "--expect", "3f2a9c1d7b4e", "--yes"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("holds [b7d3f5a19c20], not the expected [3f2a9c1d7b4e]"), std::string::npos) << r.err;
  EXPECT_EQ(current(stage_), std::vector<std::string>{kLinearTip});
  ASSERT_EQ(audit().size(), 1u);
  EXPECT_EQ(audit()[0]["outcome"], "refused");
  const auto ok = mgate({"--env", "stage", "stamp", "heads", "--expect", kLinearTip, "--yes"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(current(stage_), std::vector<std::string>{kMerge});
}

TEST_F(StampCli, AnUnknownTargetIsRefused) {
  const auto r = mgate({"--env", "stage", "stamp", "ffffffffffff", "--yes"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("'ffffffffffff' is not a known revision"), std::string::npos) << r.err;
  EXPECT_EQ(current(stage_), std::vector<std::string>{});
}

TEST_F(StampCli, AfterARestoreOnlyPurgeReplacesAnUnknownRow) {
  alembic(stage_, {"upgrade", kMerge});
  sql(stage_, "UPDATE alembic_version SET version_num = 'a1b2c3d4e5f6'");
  const auto refused = mgate({"--env", "stage", "stamp", kLinearTip, "--yes"});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("--purge"), std::string::npos) << refused.err;
  const auto purged = mgate({"--env", "stage", "stamp", kLinearTip, "--purge", "--yes"});
  EXPECT_EQ(purged.exit_code, 0) << purged.err;
  EXPECT_EQ(current(stage_), std::vector<std::string>{kLinearTip});
}

TEST_F(StampCli, AProtectedEnvironmentNeedsItsNameAndReadOnlyRefuses) {
  const auto only_yes = mgate({"--env", "prod", "stamp", "heads", "--yes"});
  EXPECT_EQ(only_yes.exit_code, 3);
  EXPECT_NE(only_yes.err.find("--confirm-env prod"), std::string::npos) << only_yes.err;
  const auto no_tty = mgate({"--env", "stage", "stamp", "heads"});
  EXPECT_EQ(no_tty.exit_code, 3) << "no terminal and no --yes is never a yes";
  const auto read_only = mgate({"--read-only", "--env", "prod", "stamp", "heads", "--yes", "--confirm-env", "prod"});
  EXPECT_EQ(read_only.exit_code, 3);
  EXPECT_NE(read_only.err.find("--read-only"), std::string::npos) << read_only.err;
  EXPECT_EQ(current(prod_), std::vector<std::string>{});
  const auto typed = mgate({"--env", "prod", "stamp", "heads", "--yes", "--confirm-env", "prod"});
  EXPECT_EQ(typed.exit_code, 0) << typed.err;
  EXPECT_EQ(current(prod_), std::vector<std::string>{kMerge});
  const auto records = audit();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[3]["outcome"], "succeeded");
  EXPECT_EQ(records[2]["outcome"], "refused");
}

TEST_F(StampCli, MigrationsReportsEachEnvironmentAndPartialFailure) {
  alembic(stage_, {"upgrade", kLinearTip});
  const auto r = mgate({"migrations"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("4 behind"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pending e4b1f9a7c3d2  merge notifications and points"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(no version table)"), std::string::npos) << r.out;
  // One environment unreachable: the other still answers, and the exit code says partial.
  Command c;
  c.argv = {(fs::path(std::getenv("MGATE_BUILD_DIR")) / "bin" / "mgate").string(), "migrations"};
  c.env = env();
  c.env.emplace_back("PROD_TEST_URL", "postgresql://mgate:wrongpw@127.0.0.1:1/nowhere?connect_timeout=2");
  auto partial = run_command(c);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->exit_code, 4) << partial->err;
  EXPECT_NE(partial->out.find("4 behind"), std::string::npos);
  EXPECT_EQ(partial->out.find("wrongpw"), std::string::npos);
  EXPECT_EQ(partial->err.find("wrongpw"), std::string::npos);
}

}  // namespace
}  // namespace mgate::sandbox::testing
