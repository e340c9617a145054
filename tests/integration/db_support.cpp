#include "tests/integration/db_support.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace mgate::backend::db::testing {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

// env.py of the custom-table copy: the example app's online path plus the two version table
// options alembic offers.
constexpr const char* kCustomEnvPy = R"(import os

from alembic import context
from sqlalchemy import create_engine, pool

engine = create_engine(os.environ["DATABASE_URL"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table=os.environ["VERSION_TABLE"],
        version_table_schema=os.environ.get("VERSION_TABLE_SCHEMA") or None,
    )
    with context.begin_transaction():
        context.run_migrations()
)";

std::filesystem::path make_custom_scripts(const sandbox::Sandbox& sandbox) {
  const std::filesystem::path dir = sandbox::testing::make_test_dir("db-alembic");
  if (dir.empty()) return {};
  const std::filesystem::path versions = sandbox.alembic_ini().parent_path() / "migrations/versions";
  std::filesystem::create_directories(dir / "migrations/versions");
  for (const auto& entry : std::filesystem::directory_iterator(versions)) {
    if (entry.path().extension() == ".py") {
      std::filesystem::copy_file(entry.path(), dir / "migrations/versions" / entry.path().filename());
    }
  }
  std::ofstream(dir / "migrations/env.py") << kCustomEnvPy;
  std::ofstream(dir / "alembic.ini") << "[alembic]\nscript_location = %(here)s/migrations\n";
  return dir / "alembic.ini";
}

}  // namespace

std::vector<std::string> ids(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  return values;
}

void DbTest::SetUp() {
  auto sandbox = sandbox::testing::shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  sandbox_ = *sandbox;
  // libpq in this process finds the password where a deployment's .pgpass would hold it.
  setenv("PGPASSFILE", sandbox_->postgres().passfile.c_str(), 1);
  auto name = sandbox::testing::create_database(*sandbox_, "db");
  ASSERT_TRUE(name.ok()) << name.error().describe();
  database_ = *name;
}

sandbox::CommandResult DbTest::alembic(const std::vector<std::string>& args, const std::filesystem::path& ini,
                                       const sandbox::EnvVars& extra) {
  sandbox::Command command;
  command.argv = {kPython, "-m", "alembic", "-c", (ini.empty() ? sandbox_->alembic_ini() : ini).string()};
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  sandbox::EnvVars env = {{"DATABASE_URL", url()}};
  env.insert(env.end(), extra.begin(), extra.end());
  command.env = sandbox::testing::sandbox_env(*sandbox_, env);
  command.timeout = std::chrono::seconds(60);
  auto result = sandbox::run_command(command);
  EXPECT_TRUE(result.ok()) << result.error().describe();
  return result.ok() ? *result : sandbox::CommandResult{};
}

std::vector<std::string> DbTest::alembic_current(const std::filesystem::path& ini,
                                                 const sandbox::EnvVars& extra) {
  const sandbox::CommandResult current = alembic({"current"}, ini, extra);
  EXPECT_TRUE(current.ok()) << current.describe();
  // Each line is "<id>[ (head)][ (label)]..."; nothing at all for base.
  std::vector<std::string> out;
  std::istringstream lines(current.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string first;
    if (words >> first) out.push_back(first);
  }
  return ids(out);
}

void DbTest::upgrade(const std::string& target) {
  const sandbox::CommandResult up = alembic({"upgrade", target});
  ASSERT_TRUE(up.ok()) << up.describe();
}

std::unique_ptr<VersionStore> DbTest::store(const std::string& schema, const std::string& table) {
  config::DatabaseConfig database;
  database.dsn = url();
  database.schema = schema;
  database.version_table = table;
  auto opened = open_postgres(database, "test");
  EXPECT_TRUE(opened.ok()) << opened.error().describe();
  return opened.ok() ? std::move(opened.value()) : nullptr;
}

pqxx::connection DbTest::connect() const {
  return pqxx::connection(sandbox_->postgres().conninfo(database_));
}

bool wait_for_lock_waiters(pqxx::connection& observer, const std::string& database, int count,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pqxx::nontransaction tx(observer);
    const int waiting = tx.exec_params1(
                              "SELECT count(*) FROM pg_catalog.pg_locks AS l "
                              "JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid "
                              "WHERE NOT l.granted AND a.datname = $1",
                              database)[0]
                            .as<int>();
    if (waiting >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::filesystem::path custom_table_alembic_ini(const sandbox::Sandbox& sandbox) {
  static std::mutex mu;
  static std::filesystem::path ini;
  std::lock_guard lock(mu);
  if (ini.empty()) ini = make_custom_scripts(sandbox);
  EXPECT_FALSE(ini.empty()) << "could not copy the example app's scripts";
  return ini;
}

}  // namespace mgate::backend::db::testing
