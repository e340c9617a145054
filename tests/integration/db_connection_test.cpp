// Where a store's connection comes from (a URI in a variable, a service, the PG* variables),
// what it looks like to the server, and that a password in the URI never shows.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/integration/db_support.hpp"

namespace mgate::backend::db::testing {
namespace {

using Rows = std::vector<std::string>;

constexpr const char* kUrlVariable = "MGATE_DB_TEST_URL";

// Sets a variable for one test and removes it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_.c_str()); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
};

class DbConnection : public DbTest {
 protected:
  std::unique_ptr<VersionStore> store_from_variable(const std::string& value) {
    variable_.emplace(kUrlVariable, value);
    config::DatabaseConfig database;
    database.dsn_env = kUrlVariable;
    database.connect_timeout_seconds = 3;
    auto opened = open_postgres(database, "stage");
    EXPECT_TRUE(opened.ok()) << opened.error().describe();
    return opened.ok() ? std::move(opened.value()) : nullptr;
  }

  // Neither the read's error, nor the stamp's, nor the description holds `secret`.
  void expect_hidden(VersionStore& versions, const std::string& secret, ErrorCode code,
                     const std::string& reason) {
    auto state = versions.read();
    ASSERT_FALSE(state.ok());
    EXPECT_EQ(state.error().code, code) << state.error().describe();
    EXPECT_NE(state.error().message.find(reason), std::string::npos) << state.error().describe();
    EXPECT_EQ(state.error().describe().find(secret), std::string::npos) << state.error().describe();
    auto stamped = versions.replace_rows({}, {kUsers});
    ASSERT_FALSE(stamped.ok());
    EXPECT_EQ(stamped.error().describe().find(secret), std::string::npos) << stamped.error().describe();
    EXPECT_EQ(versions.describe().find(secret), std::string::npos) << versions.describe();
  }

  std::string port() const { return std::to_string(sandbox_->postgres().port); }

  std::optional<ScopedEnv> variable_;
};

TEST_F(DbConnection, WrongPasswordInTheUrlNeverAppears) {
  auto versions = store_from_variable("postgresql://mgate:wrongpw@127.0.0.1:" + port() + "/" + database_);
  ASSERT_NE(versions, nullptr);
  EXPECT_EQ(versions->describe(),
            "postgresql://mgate:***@127.0.0.1:" + port() + "/" + database_ + " table public.alembic_version");
  expect_hidden(*versions, "wrongpw", ErrorCode::kUnauthenticated,
                "(environment stage) failed: password authentication failed for user \"mgate\"");
}

TEST_F(DbConnection, UnreachablePortWithAPasswordNeverShowsIt) {
  auto versions = store_from_variable("postgresql://mgate:wrongpw@127.0.0.1:1/" + database_);
  ASSERT_NE(versions, nullptr);
  auto state = versions->read();
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(state.error().retryable);
  EXPECT_EQ(state.error().message, "connecting to postgresql://mgate:***@127.0.0.1:1/" + database_ +
                                       " (environment stage) failed: Connection refused");
  expect_hidden(*versions, "wrongpw", ErrorCode::kUnavailable, "Connection refused");
}

TEST_F(DbConnection, MalformedPasswordThatLibpqEchoesIsScrubbed) {
  // libpq quotes the whole malformed token in its message: here, the password.
  auto versions = store_from_variable("postgresql://mgate:wrong%zzpw@127.0.0.1:" + port() + "/" + database_);
  ASSERT_NE(versions, nullptr);
  expect_hidden(*versions, "zzpw", ErrorCode::kInvalidArgument, "invalid percent-encoded token: \"***\"");
}

TEST_F(DbConnection, PasswordInAKeyValueStringNeverAppears) {
  auto versions = store_from_variable("host=127.0.0.1 port=" + port() + " dbname=" + database_ +
                                      " user=mgate password='wrongpw'");
  ASSERT_NE(versions, nullptr);
  expect_hidden(*versions, "wrongpw", ErrorCode::kUnauthenticated, "password authentication failed");
}

TEST_F(DbConnection, MissingVariableIsAConfigurationError) {
  unsetenv(kUrlVariable);
  config::DatabaseConfig database;
  database.dsn_env = kUrlVariable;
  auto opened = open_postgres(database, "prod");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(opened.error().message,
            "environment prod: the variable MGATE_DB_TEST_URL (database.dsn_env) is not set");
}

TEST_F(DbConnection, UrlFromTheVariableWithThePassfileReads) {
  upgrade(kChores);
  auto versions = store_from_variable(url());
  ASSERT_NE(versions, nullptr);
  auto state = versions->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->rows, Rows{kChores});
}

TEST_F(DbConnection, ServiceNameReachesTheServiceFilesDatabase) {
  ScopedEnv service_file("PGSERVICEFILE", sandbox_->postgres().service_file.string());
  config::DatabaseConfig database;
  database.service = "prod";
  auto opened = open_postgres(database, "prod");
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  EXPECT_EQ((*opened)->describe(), "service=prod table public.alembic_version");
  auto state = (*opened)->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_FALSE(state->table_exists);
  // Once connected, the description names the server the service file chose.
  EXPECT_EQ((*opened)->describe(),
            "postgresql://mgate@127.0.0.1:" + port() + "/prod table public.alembic_version");
}

TEST_F(DbConnection, NoSourceConfiguredUsesThePgVariables) {
  upgrade(kAssignments);
  ScopedEnv host("PGHOST", "127.0.0.1");
  ScopedEnv pg_port("PGPORT", port());
  ScopedEnv user("PGUSER", "mgate");
  ScopedEnv dbname("PGDATABASE", database_);
  auto opened = open_postgres(config::DatabaseConfig{}, "stage");
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  auto state = (*opened)->read();
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->rows, Rows{kAssignments});
  EXPECT_EQ((*opened)->describe(), url() + " table public.alembic_version");
}

TEST_F(DbConnection, SessionIsNamedMgateAndComesBackAfterTheServerDropsIt) {
  upgrade(kChores);
  auto versions = store();
  ASSERT_TRUE(versions->read().ok());
  pqxx::connection admin = connect();
  {
    pqxx::nontransaction tx(admin);
    const pqxx::result sessions = tx.exec_params(
        "SELECT pid FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND application_name = 'mgate'",
        database_);
    ASSERT_EQ(sessions.size(), 1u);
    tx.exec_params("SELECT pg_catalog.pg_terminate_backend($1)", sessions[0][0].as<int>());
  }
  // The first call may notice the loss (kUnavailable, retryable); the next one reconnects.
  auto first = versions->read();
  if (!first.ok()) {
    EXPECT_EQ(first.error().code, ErrorCode::kUnavailable) << first.error().describe();
    EXPECT_TRUE(first.error().retryable);
  }
  auto second = versions->read();
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->rows, Rows{kChores});
}

}  // namespace
}  // namespace mgate::backend::db::testing
