// Teardown of a sandbox of its own: every process gone (reaped, not just signalled), the
// work dir removed; a missing service is an error with a clear message, and leaves nothing.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "tests/integration/process_checks.hpp"
#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;

// The work dirs under the temp root that this process owns.
int owned_work_dirs() {
  int count = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(temp_root(), ec)) {
    if (!entry.path().filename().string().starts_with(kWorkDirPrefix)) continue;
    std::ifstream in(entry.path() / "owner");
    pid_t pid = 0;
    if (in >> pid && pid == getpid()) ++count;
  }
  return count;
}

// Every pid in the service trees, with the services themselves checked by kill(pid, 0).
void expect_all_gone(const std::vector<RecordedProcess>& started, const std::vector<ProcStat>& trees) {
  for (const RecordedProcess& p : started) {
    errno = 0;
    EXPECT_EQ(kill(p.pid, 0), -1) << p.name << " (pid " << p.pid << ") still exists";
    EXPECT_EQ(errno, ESRCH) << p.name << " (pid " << p.pid << ")";
  }
  EXPECT_TRUE(survivors(trees).empty()) << "left running: " << describe(survivors(trees));
}

TEST(SandboxTeardown, StopEndsEveryProcessAndRemovesTheWorkDir) {
  auto started = Sandbox::start();
  ASSERT_TRUE(started.ok()) << started.error().describe();
  Sandbox& sandbox = **started;
  const fs::path dir = sandbox.work_dir();
  ASSERT_TRUE(fs::is_directory(dir));
  const std::vector<RecordedProcess> processes = sandbox.processes();
  std::vector<std::string> names;
  std::vector<ProcStat> trees;
  for (const RecordedProcess& p : processes) {
    names.push_back(p.name);
    const std::vector<ProcStat> tree = process_tree(p.pid);
    trees.insert(trees.end(), tree.begin(), tree.end());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"moto", "registry", "initdb", "postgres", "kube"}));
  // The postmaster's helpers (checkpointer, walwriter, ...) are part of what must go.
  const auto postgres =
      std::find_if(processes.begin(), processes.end(), [](const auto& p) { return p.name == "postgres"; });
  ASSERT_NE(postgres, processes.end());
  EXPECT_GE(descendants(postgres->pid).size(), 3u);

  const Status stopped = sandbox.stop();
  ASSERT_TRUE(stopped.ok()) << stopped.error().describe();
  expect_all_gone(processes, trees);
  EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_TRUE(processes_inside(dir).empty()) << describe(processes_inside(dir));
  EXPECT_TRUE(processes_mentioning(dir.string()).empty()) << describe(processes_mentioning(dir.string()));
  EXPECT_TRUE(sandbox.stop().ok()) << "a second stop is a no-op";
}

TEST(SandboxTeardown, DestructorTearsDownToo) {
  std::vector<RecordedProcess> processes;
  std::vector<ProcStat> trees;
  fs::path dir;
  {
    Options options;
    options.services = Services{.postgres = true, .moto = false, .registry = false};
    auto started = Sandbox::start(options);
    ASSERT_TRUE(started.ok()) << started.error().describe();
    dir = (*started)->work_dir();
    processes = (*started)->processes();
    for (const RecordedProcess& p : processes) {
      const std::vector<ProcStat> tree = process_tree(p.pid);
      trees.insert(trees.end(), tree.begin(), tree.end());
    }
    ASSERT_EQ(processes.size(), 2u);  // initdb, postgres
  }
  expect_all_gone(processes, trees);
  EXPECT_FALSE(fs::exists(dir)) << dir;
}

TEST(SandboxTeardown, AMissingMotoServerFailsWithAClearMessageAndLeavesNothing) {
  const int before = owned_work_dirs();
  Options options;
  options.moto_server = "/nonexistent/bin/moto_server";
  auto started = Sandbox::start(options);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, backend::ErrorCode::kNotFound);
  EXPECT_EQ(started.error().message,
            "moto_server not found at /nonexistent/bin/moto_server: it comes with the machine's Python (pip "
            "package moto[server]); set MGATE_MOTO_SERVER to its path");
  EXPECT_EQ(owned_work_dirs(), before);
}

TEST(SandboxTeardown, MotoServerMissingFromPathIsNamedAsSuch) {
  const std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  const char* moto_env = std::getenv("MGATE_MOTO_SERVER");
  const std::optional<std::string> saved_moto =
      moto_env != nullptr ? std::optional<std::string>(moto_env) : std::nullopt;
  setenv("PATH", "/nonexistent", 1);
  unsetenv("MGATE_MOTO_SERVER");
  auto started = Sandbox::start();
  setenv("PATH", path.c_str(), 1);
  if (saved_moto) setenv("MGATE_MOTO_SERVER", saved_moto->c_str(), 1);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(
      started.error().message.rfind("moto_server not found on PATH: it comes with the machine's Python", 0),
      0u)
      << started.error().message;
}

TEST(SandboxTeardown, StaleWorkDirOfADeadLauncherIsSwept) {
  // A work dir whose owner is dead, as a SIGKILLed launcher leaves it.
  const fs::path stale = temp_root() / (std::string(kWorkDirPrefix) + "stale" + std::to_string(getpid()));
  fs::create_directories(stale / "postgres");
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  int status = 0;
  waitpid(dead, &status, 0);
  {
    std::ofstream owner(stale / "owner");
    owner << dead << " 1\n";
  }
  const fs::path live = make_test_dir("live");
  EXPECT_GE(sweep_stale_work_dirs(temp_root()), 1);
  EXPECT_FALSE(fs::exists(stale));
  // The shared sandbox of this very process is never swept.
  auto shared = shared_sandbox();
  ASSERT_TRUE(shared.ok()) << shared.error().describe();
  EXPECT_TRUE(fs::exists((*shared)->work_dir()));
  EXPECT_TRUE(fs::exists(live));
  fs::remove_all(live);
}

}  // namespace
}  // namespace mgate::sandbox::testing
