#include "tests/integration/shared_sandbox.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

namespace mgate::sandbox::testing {
namespace {

std::mutex g_mu;
bool g_tried = false;
std::unique_ptr<Sandbox> g_sandbox;
backend::Error g_error;

// Tears the shared sandbox down after the last test, while the test binary still runs.
class SandboxEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard lock(g_mu);
    if (g_sandbox) {
      const Status stopped = g_sandbox->stop();
      EXPECT_TRUE(stopped.ok()) << stopped.error().describe();
    }
    g_sandbox.reset();
  }
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new SandboxEnvironment);

}  // namespace

Result<Sandbox*> shared_sandbox() {
  std::lock_guard lock(g_mu);
  if (!g_tried) {
    g_tried = true;
    auto started = Sandbox::start();
    if (started) {
      g_sandbox = std::move(started.value());
    } else {
      g_error = started.error();
    }
  }
  if (!g_sandbox) return g_error;
  return g_sandbox.get();
}

EnvVars sandbox_env(const Sandbox& sandbox, const EnvVars& extra) {
  EnvVars vars = sandbox.environment();
  // The source tree stays free of __pycache__ when alembic imports the revision files.
  vars.emplace_back("PYTHONDONTWRITEBYTECODE", "1");
  vars.insert(vars.end(), extra.begin(), extra.end());
  return vars;
}

CommandResult run_mgate(const EnvVars& env, const std::vector<std::string>& args) {
  const char* build = std::getenv("MGATE_BUILD_DIR");
  Command c;
  c.argv = {(std::filesystem::path(build == nullptr ? "." : build) / "bin" / "mgate").string()};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.env = env;
  auto r = run_command(c);
  if (!r) return CommandResult{-1, 0, "", r.error().describe()};
  return *r;
}

CommandResult run_alembic(const Sandbox& sandbox, const std::string& database, const std::vector<std::string>& args) {
  Command c;
  c.argv = {"/usr/bin/python3", "-m", "alembic", "-c", sandbox.alembic_ini().string()};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.env = sandbox_env(sandbox, {{"DATABASE_URL", sandbox.database_url(database)}});
  auto r = run_command(c);
  if (!r) return CommandResult{-1, 0, "", r.error().describe()};
  return *r;
}

Result<std::string> create_database(const Sandbox& sandbox, const std::string& prefix) {
  static int counter = 0;
  const std::string name = fmt::format("{}_{}_{}", prefix, getpid(), ++counter);
  try {
    pqxx::connection conn(sandbox.postgres().conninfo("postgres"));
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE DATABASE " + tx.quote_name(name));
  } catch (const std::exception& e) {
    return backend::make_error(backend::ErrorCode::kUnavailable, "CREATE DATABASE " + name + " failed",
                               e.what());
  }
  return name;
}

std::filesystem::path make_test_dir(const std::string& tag) {
  // Each dir has a janitor: removed at exit at the latest, even when the binary is killed.
  static std::mutex mu;
  static std::vector<std::unique_ptr<Janitor>> janitors;
  std::string templ = (temp_root() / ("mgate-test-" + tag + "-XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) return {};
  auto janitor = Janitor::watch(templ);
  if (!janitor) {
    std::filesystem::remove_all(templ);
    return {};
  }
  std::lock_guard lock(mu);
  janitors.push_back(std::move(*janitor));
  return templ;
}

EnvVars read_env_file(const std::filesystem::path& path) {
  EnvVars vars;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("export ")) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    // The sandbox's values never hold a quote, so stripping the outer pair is enough here.
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
      value = value.substr(1, value.size() - 2);
    vars.emplace_back(line.substr(7, eq - 7), value);
  }
  return vars;
}

std::string env_value(const EnvVars& vars, const std::string& key) {
  for (const auto& [k, v] : vars) {
    if (k == key) return v;
  }
  return {};
}

}  // namespace mgate::sandbox::testing
