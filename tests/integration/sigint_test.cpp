// SIGINT during a run: the launcher (mgate-sandbox run, or a test binary holding a sandbox)
// tears everything down and then dies of the signal. Checked by the pids of the whole
// process tree taken before the signal, and by scanning /proc for the work dir.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/process_checks.hpp"
#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;


// Waits for the launcher's env file (written once every service answers).
bool await_env_file(ChildProcess& launcher, const fs::path& env_file) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(env_file)) return true;
    if (!launcher.running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Starts `argv` in its own process group, waits until its sandbox is up, SIGINTs the group,
// and checks that nothing of it is left.
void interrupt_and_check(std::vector<std::string> argv, const fs::path& dir) {
  SpawnOptions spawn;
  spawn.argv = std::move(argv);
  spawn.log_file = dir / "launcher.log";
  spawn.own_process_group = true;
  // Should this binary die first, the launcher still tears down (SIGKILL would not let it).
  spawn.death_signal = SIGTERM;
  auto launcher = ChildProcess::spawn(spawn);
  ASSERT_TRUE(launcher.ok()) << launcher.error().describe();
  ChildProcess& proc = **launcher;
  ASSERT_TRUE(await_env_file(proc, dir / "env")) << "no env file; launcher log:\n"
                                                 << log_tail(dir / "launcher.log", 40);

  const EnvVars env = read_env_file(dir / "env");
  const fs::path work_dir = env_value(env, "MGATE_SANDBOX_WORK_DIR");
  ASSERT_FALSE(work_dir.empty());
  ASSERT_TRUE(fs::is_directory(work_dir));
  const std::vector<ProcStat> tree = process_tree(proc.pid());
  std::vector<std::string> seen;
  for (const RecordedProcess& p : recorded_processes(work_dir)) {
    const bool in_tree =
        std::any_of(tree.begin(), tree.end(), [&](const ProcStat& s) { return s.pid == p.pid; });
    if (in_tree) seen.push_back(p.name);
  }
  // initdb has exited by now; the three services must be in the tree we check afterwards.
  EXPECT_EQ(seen, (std::vector<std::string>{"moto", "registry", "postgres", "kube"}));
  EXPECT_GE(tree.size(), 8u) << describe(tree);

  ASSERT_EQ(kill(-proc.pid(), SIGINT), 0);
  ASSERT_TRUE(proc.wait_for(std::chrono::seconds(60))) << "launcher still running after SIGINT";
  const int status = proc.wait_status().value_or(0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << describe_wait_status(status);
  EXPECT_TRUE(survivors(tree).empty()) << "left running: " << describe(survivors(tree));
  EXPECT_FALSE(fs::exists(work_dir)) << work_dir;
  EXPECT_TRUE(processes_inside(work_dir).empty()) << describe(processes_inside(work_dir));
  EXPECT_TRUE(processes_mentioning(work_dir.string()).empty())
      << describe(processes_mentioning(work_dir.string()));
}

// What ctest does to an interrupted test: SIGKILL to its whole process group. No handler
// runs; the services' death signals and the work dir's janitor must leave nothing behind.
TEST(SandboxSignals, SigkillToTheLaunchersGroupStillLeavesNothing) {
  const fs::path dir = make_test_dir("sigkill");
  ASSERT_FALSE(dir.empty());
  SpawnOptions spawn;
  spawn.argv = {MGATE_SANDBOX_BIN, "run", "--dir", dir.string(), "--", "sleep", "60"};
  spawn.log_file = dir / "launcher.log";
  spawn.death_signal = SIGTERM;
  auto launcher = ChildProcess::spawn(spawn);
  ASSERT_TRUE(launcher.ok()) << launcher.error().describe();
  ASSERT_TRUE(await_env_file(**launcher, dir / "env")) << log_tail(dir / "launcher.log", 40);
  const fs::path work_dir = env_value(read_env_file(dir / "env"), "MGATE_SANDBOX_WORK_DIR");
  ASSERT_TRUE(fs::is_directory(work_dir));
  const std::vector<ProcStat> tree = process_tree((*launcher)->pid());
  EXPECT_GE(tree.size(), 8u) << describe(tree);

  ASSERT_EQ(kill(-(*launcher)->pid(), SIGKILL), 0);
  ASSERT_TRUE((*launcher)->wait_for(std::chrono::seconds(10)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while ((!survivors(tree).empty() || fs::exists(work_dir)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(survivors(tree).empty()) << "left running: " << describe(survivors(tree));
  EXPECT_FALSE(fs::exists(work_dir)) << work_dir << " was not removed by its janitor";
  EXPECT_TRUE(processes_inside(work_dir).empty()) << describe(processes_inside(work_dir));
  fs::remove_all(dir);
}

TEST(SandboxSignals, SigintToMgateSandboxRunTearsEverythingDown) {
  const fs::path dir = make_test_dir("sigint-run");
  ASSERT_FALSE(dir.empty());
  interrupt_and_check({MGATE_SANDBOX_BIN, "run", "--dir", dir.string(), "--", "sleep", "60"}, dir);
  fs::remove_all(dir);
}

TEST(SandboxSignals, SigintToAProcessHoldingASandboxTearsEverythingDown) {
  const fs::path dir = make_test_dir("sigint-holder");
  ASSERT_FALSE(dir.empty());
  interrupt_and_check({MGATE_SIGNAL_TARGET_BIN, dir.string()}, dir);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mgate::sandbox::testing
