// Runs the built mgate binary as a user would and checks exit codes and output.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp_fd(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
  return s;
}

fs::path mgate_binary() { return fs::path(std::getenv("MGATE_BUILD_DIR")) / "bin" / "mgate"; }
fs::path source_dir() { return fs::path(std::getenv("MGATE_SOURCE_DIR")); }

// Runs mgate with args and extra environment variables; stdout and stderr go to
// temp files so a large output cannot deadlock the pipe.
Run run_mgate(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
  char out_path[] = "/tmp/mgate-cli-out-XXXXXX";
  char err_path[] = "/tmp/mgate-cli-err-XXXXXX";
  const int out_fd = ::mkstemp(out_path);
  const int err_fd = ::mkstemp(err_path);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::unsetenv("MGATE_CONFIG");
    ::setenv("XDG_CONFIG_HOME", "/nonexistent-mgate-test", 1);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    const std::string bin = mgate_binary().string();
    argv.push_back(const_cast<char*>(bin.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Run r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::lseek(out_fd, 0, SEEK_SET);
  ::lseek(err_fd, 0, SEEK_SET);
  r.out = slurp_fd(out_fd);
  r.err = slurp_fd(err_fd);
  ::close(out_fd);
  ::close(err_fd);
  ::unlink(out_path);
  ::unlink(err_path);
  return r;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mgate-cli-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "alembic");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write_config(const std::string& text) {
    const fs::path p = dir_ / "mgate.yaml";
    std::ofstream(p) << text;
    return p;
  }

  fs::path dir_;
};

constexpr const char* kValidConfig = R"(project: udab-server
alembic:
  scripts: alembic
audit_log: audit/audit.jsonl
environments:
  stage:
    kube:
      namespace: udab
      jobs:
        selector: component=migration
        name: db-migration-{sha7}
    database:
      dsn_env: STAGE_DATABASE_URL
    registry:
      type: ecr
      region: us-east-1
      registry_id: "620167017830"
      repository: udab-server
)";

TEST_F(Cli, VersionAndHelpExitZero) {
  auto v = run_mgate({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, "mgate 0.1.0\n");
  auto h = run_mgate({"--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("config"), std::string::npos);
  EXPECT_NE(h.out.find("audit"), std::string::npos);
  EXPECT_NE(h.out.find("3 refused by a guard"), std::string::npos);
}

TEST_F(Cli, AnUnknownOptionOrSubcommandIsAUsageError) {
  EXPECT_EQ(run_mgate({"--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(run_mgate({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_mgate({"config"}).exit_code, 2);
}

TEST_F(Cli, ThreeMistakesGiveThreeErrorsWithLineAndColumnAndExitTwo) {
  const fs::path fixture = source_dir() / "tests/cli/data/three-mistakes.yaml";
  // The fixture's alembic directory is relative to it: give it one in a copy.
  fs::copy_file(fixture, dir_ / "three.yaml");
  const auto r = run_mgate({"--config", (dir_ / "three.yaml").string(), "config", "check"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  const std::string file = (dir_ / "three.yaml").string();
  std::vector<std::string> lines;
  std::istringstream in(r.err);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 4u) << r.err;
  EXPECT_EQ(lines[0].rfind(file + ":14:7: error: environments.stage.kube.namespce: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("did you mean 'namespace'"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind(file + ":24:13: error: environments.stage.registry.type: ", 0), 0u) << lines[1];
  EXPECT_NE(lines[1].find("ecr, oci"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[2].rfind(file + ":35:12: error: environments.prod.database.dsn: ", 0), 0u) << lines[2];
  EXPECT_NE(lines[2].find("dsn_env"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[3], "mgate: 3 errors in " + file);
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << "the password never reaches the screen";
}

TEST_F(Cli, ConfigCheckPrintsTheResolvedConfigWithTheSecretRedacted) {
  const fs::path config = write_config(kValidConfig);
  const auto r = run_mgate({"--config", config.string(), "config", "check"},
                           {{"STAGE_DATABASE_URL", "postgresql://mgate:s3cret@127.0.0.1:5433/stage"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ok, 1 environment"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find((dir_ / "alembic").string()), std::string::npos) << "paths are resolved";
  EXPECT_NE(r.out.find("postgresql://mgate:***@127.0.0.1:5433/stage"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("s3cret"), std::string::npos);
  EXPECT_NE(r.out.find("stage-migrated-{sha}"), std::string::npos) << "defaults are filled in";
}

TEST_F(Cli, ConfigCheckJsonIsJson) {
  const fs::path config = write_config(kValidConfig);
  const auto r = run_mgate({"--config", config.string(), "config", "check", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.front(), '{');
  EXPECT_NE(r.out.find("\"project\":"), std::string::npos) << r.out;
}

TEST_F(Cli, TheConfigIsFoundThroughMgateConfigThenXdg) {
  const fs::path config = write_config(kValidConfig);
  EXPECT_EQ(run_mgate({"config", "check"}, {{"MGATE_CONFIG", config.string()}}).exit_code, 0);
  fs::create_directories(dir_ / "xdg" / "mgate");
  fs::copy_file(config, dir_ / "xdg" / "mgate" / "config.yaml");
  fs::create_directories(dir_ / "xdg" / "mgate" / "alembic");
  EXPECT_EQ(run_mgate({"config", "check"}, {{"XDG_CONFIG_HOME", (dir_ / "xdg").string()}}).exit_code, 0);
  const auto missing = run_mgate({"config", "check"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("MGATE_CONFIG"), std::string::npos) << missing.err;
}

TEST_F(Cli, AnUnknownEnvironmentIsAUsageErrorNamingTheKnownOnes) {
  const fs::path config = write_config(kValidConfig);
  const auto r = run_mgate({"--config", config.string(), "--env", "prdo", "audit"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no environment 'prdo'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stage"), std::string::npos) << r.err;
}

TEST_F(Cli, AuditListsRecordsFilteredByEnvironment) {
  const fs::path config = write_config(kValidConfig);
  fs::create_directories(dir_ / "audit");
  std::ofstream(dir_ / "audit" / "audit.jsonl")
      << R"({"time":"2026-11-21T05:00:00.000Z","user":"oncall","env":"stage","action":"stamp","arguments":{"revisions":["48871d03964b"]},"before":{},"after":{},"outcome":"succeeded"})"
      << "\n"
      << R"({"time":"2026-11-21T05:01:00.000Z","user":"oncall","env":"prod","action":"promote","arguments":{"sha":"3f2a1c9"},"before":{},"after":{},"outcome":"refused"})"
      << "\n";
  const auto all = run_mgate({"--config", config.string(), "audit"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("stamp"), std::string::npos);
  EXPECT_NE(all.out.find("promote"), std::string::npos);
  const auto json = run_mgate({"--config", config.string(), "audit", "--json", "--action", "promote"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find("\"refused\""), std::string::npos);
  EXPECT_EQ(json.out.find("\"stamp\""), std::string::npos);
}

}  // namespace
