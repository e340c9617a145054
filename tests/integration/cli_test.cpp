// mgate-sandbox up / status / down, as `make sandbox` and `make sandbox-down` use them.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/process_checks.hpp"
#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;

CommandResult sandbox_command(const std::vector<std::string>& args) {
  Command command;
  command.argv = {MGATE_SANDBOX_BIN};
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  command.timeout = std::chrono::seconds(90);
  // Should this binary die first, `up` still tears down what it started.
  command.death_signal = SIGTERM;
  auto result = run_command(command);
  EXPECT_TRUE(result.ok()) << result.error().describe();
  return result.ok() ? *result : CommandResult{};
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

pid_t holder_pid(const fs::path& dir) {
  std::ifstream in(dir / "pid");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("pid=")) return static_cast<pid_t>(std::stol(line.substr(4)));
  }
  return 0;
}

// The env file and mgate.yaml `up` wrote into dir name the same, passwordless endpoints.
void expect_files_describe_the_sandbox(const fs::path& dir, const EnvVars& env) {
  const std::string pg_port = env_value(env, "PGPORT");
  EXPECT_EQ(env_value(env, "MGATE_SANDBOX_DIR"), dir.string());
  EXPECT_EQ(env_value(env, "MGATE_CONFIG"), (dir / "mgate.yaml").string());
  EXPECT_EQ(env_value(env, "PGHOST"), "127.0.0.1");
  EXPECT_EQ(env_value(env, "PGUSER"), "mgate");
  EXPECT_EQ(env_value(env, "STAGE_DATABASE_URL"), "postgresql://mgate@127.0.0.1:" + pg_port + "/stage");
  EXPECT_EQ(env_value(env, "PROD_DATABASE_URL"), "postgresql://mgate@127.0.0.1:" + pg_port + "/prod");
  EXPECT_EQ(env_value(env, "AWS_ACCESS_KEY_ID"), "testing");
  EXPECT_EQ(env_value(env, "AWS_REGION"), "us-east-1");
  EXPECT_EQ(env_value(env, "AWS_ENDPOINT_URL"), env_value(env, "MGATE_MOTO_URL"));
  EXPECT_TRUE(env_value(env, "MGATE_REGISTRY_URL").starts_with("http://127.0.0.1:"));

  const std::string config = slurp(dir / "mgate.yaml");
  EXPECT_NE(config.find("endpoint: \"" + env_value(env, "MGATE_MOTO_URL") + "\""), std::string::npos)
      << config;
  EXPECT_NE(config.find("url: \"" + env_value(env, "MGATE_REGISTRY_URL") + "\""), std::string::npos)
      << config;
  EXPECT_NE(config.find("audit_log: \"" + (dir / "audit.jsonl").string() + "\""), std::string::npos)
      << config;
  EXPECT_NE(config.find("registry_id: \"123456789012\""), std::string::npos) << config;
}

TEST(SandboxCommand, UpWritesEnvAndConfigAndDownLeavesNothing) {
  const fs::path dir = make_test_dir("cli");
  ASSERT_FALSE(dir.empty());
  // --exit-with: should this binary be killed before its `down`, the holder goes anyway.
  const CommandResult up =
      sandbox_command({"up", "--dir", dir.string(), "--exit-with", std::to_string(getpid())});
  ASSERT_EQ(up.exit_code, 0) << up.describe() << "\n" << slurp(dir / "sandbox.log");
  EXPECT_NE(up.out.find("sandbox up in"), std::string::npos) << up.out;

  const EnvVars env = read_env_file(dir / "env");
  const fs::path work_dir = env_value(env, "MGATE_SANDBOX_WORK_DIR");
  expect_files_describe_the_sandbox(dir, env);

  // The env file is enough to reach the database: URL plus PGPASSFILE.
  {
    pqxx::connection conn(env_value(env, "STAGE_DATABASE_URL") + "?passfile=" + env_value(env, "PGPASSFILE"));
    pqxx::work tx(conn);
    EXPECT_EQ(tx.exec1("SELECT current_database()")[0].as<std::string>(), "stage");
  }

  const pid_t holder = holder_pid(dir);
  ASSERT_GT(holder, 0);
  const std::vector<ProcStat> tree = process_tree(holder);
  EXPECT_GE(tree.size(), 8u) << describe(tree);  // holder, moto, registry, postmaster and its helpers
  const CommandResult status = sandbox_command({"status", "--dir", dir.string()});
  EXPECT_EQ(status.exit_code, 0) << status.describe();
  // A second up finds it running and leaves it alone.
  const CommandResult again = sandbox_command({"up", "--dir", dir.string()});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("already running"), std::string::npos) << again.out;

  const CommandResult down = sandbox_command({"down", "--dir", dir.string()});
  EXPECT_EQ(down.exit_code, 0) << down.describe();
  EXPECT_TRUE(survivors(tree).empty()) << "left running: " << describe(survivors(tree));
  EXPECT_FALSE(fs::exists(work_dir)) << work_dir;
  EXPECT_FALSE(fs::exists(dir / "env"));
  EXPECT_FALSE(fs::exists(dir / "pid"));
  EXPECT_TRUE(processes_mentioning(work_dir.string()).empty());
  EXPECT_TRUE(processes_inside(work_dir).empty()) << describe(processes_inside(work_dir));
  EXPECT_EQ(sandbox_command({"status", "--dir", dir.string()}).exit_code, 1);
  EXPECT_EQ(sandbox_command({"down", "--dir", dir.string()}).exit_code, 0) << "down when not running is fine";
  fs::remove_all(dir);
}

TEST(SandboxCommand, UpWithExitWithStopsWhenThatProcessExits) {
  const fs::path dir = make_test_dir("exitwith");
  ASSERT_FALSE(dir.empty());
  SpawnOptions spawn;
  spawn.argv = {"/bin/sleep", "60"};
  auto sleeper = ChildProcess::spawn(spawn);
  ASSERT_TRUE(sleeper.ok()) << sleeper.error().describe();
  const CommandResult up =
      sandbox_command({"up", "--dir", dir.string(), "--exit-with", std::to_string((*sleeper)->pid())});
  ASSERT_EQ(up.exit_code, 0) << up.describe();
  const fs::path work_dir = env_value(read_env_file(dir / "env"), "MGATE_SANDBOX_WORK_DIR");
  const std::vector<ProcStat> tree = process_tree(holder_pid(dir));
  EXPECT_GE(tree.size(), 8u) << describe(tree);

  ASSERT_TRUE((*sleeper)->stop(SIGTERM, std::chrono::seconds(5)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while ((!survivors(tree).empty() || fs::exists(work_dir)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(survivors(tree).empty()) << "left running: " << describe(survivors(tree));
  EXPECT_FALSE(fs::exists(work_dir)) << work_dir;
  EXPECT_FALSE(fs::exists(dir / "env"));
  fs::remove_all(dir);
}

TEST(SandboxCommand, RunPassesTheEnvToTheCommandAndReturnsItsStatus) {
  const CommandResult run = sandbox_command(
      {"run", "--", "sh", "-c", "test -f \"$MGATE_CONFIG\" && echo \"$STAGE_DATABASE_URL\" && exit 7"});
  EXPECT_EQ(run.exit_code, 7) << run.describe();
  EXPECT_NE(run.out.find("postgresql://mgate@127.0.0.1:"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace mgate::sandbox::testing
