// The sandbox's PostgreSQL: reachable with the passwordless URL plus the passfile, and
// really protected by a password over TCP.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <string>

#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {
namespace {

std::string with_passfile(const std::string& url, const std::filesystem::path& passfile) {
  return url + "?passfile=" + passfile.string() + "&connect_timeout=5";
}

TEST(SandboxPostgres, EnvironmentDatabasesExistAndUrlsCarryNoPassword) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  const PostgresEndpoint& pg = (*sandbox)->postgres();
  EXPECT_EQ((*sandbox)->database_url("stage"),
            "postgresql://mgate@127.0.0.1:" + std::to_string(pg.port) + "/stage");
  EXPECT_EQ((*sandbox)->database_url("prod"),
            "postgresql://mgate@127.0.0.1:" + std::to_string(pg.port) + "/prod");

  pqxx::connection conn(with_passfile((*sandbox)->database_url("stage"), pg.passfile));
  pqxx::work tx(conn);
  const pqxx::result dbs =
      tx.exec("SELECT datname FROM pg_database WHERE datname IN ('stage', 'prod') ORDER BY 1");
  ASSERT_EQ(dbs.size(), 2u);
  EXPECT_EQ(dbs[0][0].as<std::string>(), "prod");
  EXPECT_EQ(dbs[1][0].as<std::string>(), "stage");
  EXPECT_EQ(tx.exec1("SELECT current_user")[0].as<std::string>(), "mgate");
  EXPECT_EQ(tx.exec1("SELECT current_database()")[0].as<std::string>(), "stage");
}

TEST(SandboxPostgres, CreatesADatabaseAndRoundTripsARow) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  const PostgresEndpoint& pg = (*sandbox)->postgres();
  auto name = create_database(**sandbox, "roundtrip");
  ASSERT_TRUE(name.ok()) << name.error().describe();

  pqxx::connection conn(with_passfile((*sandbox)->database_url(*name), pg.passfile));
  {
    pqxx::work tx(conn);
    tx.exec("CREATE TABLE chores (id serial PRIMARY KEY, title text NOT NULL, points int NOT NULL)");
    tx.exec("INSERT INTO chores (title, points) VALUES ('take out the bins', 3)");
    tx.commit();
  }
  pqxx::work tx(conn);
  const pqxx::row row = tx.exec1("SELECT id, title, points FROM chores");
  EXPECT_EQ(row[0].as<int>(), 1);
  EXPECT_EQ(row[1].as<std::string>(), "take out the bins");
  EXPECT_EQ(row[2].as<int>(), 3);
  EXPECT_EQ(tx.exec1("SELECT current_database()")[0].as<std::string>(), *name);
}

TEST(SandboxPostgres, TcpConnectionsNeedThePassword) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  const std::string url = (*sandbox)->database_url("stage");
  const std::filesystem::path dir = make_test_dir("pgpass");
  ASSERT_FALSE(dir.empty());

  // No password at all: a passfile that does not exist (and not ~/.pgpass either).
  try {
    pqxx::connection conn(with_passfile(url, dir / "missing"));
    ADD_FAILURE() << "connected without a password";
  } catch (const pqxx::broken_connection& e) {
    EXPECT_NE(std::string(e.what()).find("no password supplied"), std::string::npos) << e.what();
  }
  // A wrong password: scram-sha-256 really checks it.
  {
    std::ofstream out(dir / "wrong");
    out << "127.0.0.1:" << (*sandbox)->postgres().port << ":*:mgate:not-the-password\n";
  }
  std::filesystem::permissions(dir / "wrong",
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  try {
    pqxx::connection conn(with_passfile(url, dir / "wrong"));
    ADD_FAILURE() << "connected with a wrong password";
  } catch (const pqxx::broken_connection& e) {
    EXPECT_NE(std::string(e.what()).find("password authentication failed"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(SandboxPostgres, ServiceFileNamesEveryDatabase) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  setenv("PGSERVICEFILE", (*sandbox)->postgres().service_file.c_str(), 1);
  pqxx::connection conn("service=prod");
  unsetenv("PGSERVICEFILE");
  pqxx::work tx(conn);
  EXPECT_EQ(tx.exec1("SELECT current_database()")[0].as<std::string>(), "prod");
}

}  // namespace
}  // namespace mgate::sandbox::testing
