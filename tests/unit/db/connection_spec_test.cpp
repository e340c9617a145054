// Building the libpq connection string from an environment's `database:` section, and keeping
// every spelling of a password out of what is shown.

#include "backend/db/connection_spec.hpp"

#include <gtest/gtest.h>

#include <map>

namespace mgate::backend::db {
namespace {

GetEnv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

config::DatabaseConfig from_env(const std::string& variable) {
  config::DatabaseConfig db;
  db.dsn_env = variable;
  return db;
}

TEST(ConnectionSpec, UriFromTheVariableGetsTimeoutAndApplicationName) {
  auto spec = make_connection_spec(from_env("STAGE_DATABASE_URL"), "stage",
                                   env_of({{"STAGE_DATABASE_URL", "postgresql://app@db:5432/stage"}}));
  ASSERT_TRUE(spec.ok()) << spec.error().describe();
  EXPECT_EQ(spec->conninfo.reveal(),
            "postgresql://app@db:5432/stage?fallback_application_name=mgate&connect_timeout=5");
  EXPECT_EQ(spec->target, "postgresql://app@db:5432/stage");
  EXPECT_TRUE(spec->secrets.empty());
}

TEST(ConnectionSpec, UriWithQueryKeepsItsOwnConnectTimeout) {
  config::DatabaseConfig db = from_env("URL");
  db.connect_timeout_seconds = 9;
  auto spec = make_connection_spec(
      db, "stage", env_of({{"URL", " postgresql://db/x?sslmode=require&connect_timeout=2\n"}}));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->conninfo.reveal(),
            "postgresql://db/x?sslmode=require&connect_timeout=2&fallback_application_name=mgate");
}

TEST(ConnectionSpec, PasswordInTheVariableIsASecretAndNotInTheTarget) {
  auto spec = make_connection_spec(from_env("URL"), "prod",
                                   env_of({{"URL", "postgresql://mgate:s%40cret@10.0.0.1:5433/prod"}}));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->target, "postgresql://mgate:***@10.0.0.1:5433/prod");
  ASSERT_EQ(spec->secrets.size(), 2u);
  EXPECT_EQ(spec->secrets[0].reveal(), "s%40cret");
  EXPECT_EQ(spec->secrets[1].reveal(), "s@cret");
}

TEST(ConnectionSpec, KeyValueStringGetsDefaultsAppended) {
  auto spec = make_connection_spec(from_env("DSN"), "stage",
                                   env_of({{"DSN", "host=db dbname=stage password='p w\\'x'"}}));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->conninfo.reveal(),
            "host=db dbname=stage password='p w\\'x' fallback_application_name=mgate connect_timeout=5");
  ASSERT_EQ(spec->secrets.size(), 1u);
  EXPECT_EQ(spec->secrets[0].reveal(), "p w'x");
  EXPECT_EQ(spec->target.find("p w"), std::string::npos) << spec->target;
}

TEST(ConnectionSpec, ServiceNameIsQuoted) {
  config::DatabaseConfig db;
  db.service = "stage";
  db.connect_timeout_seconds = 3;
  auto spec = make_connection_spec(db, "stage", env_of({}));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->conninfo.reveal(), "service='stage' fallback_application_name=mgate connect_timeout=3");
  EXPECT_EQ(spec->target, "service=stage");
}

TEST(ConnectionSpec, DsnIsUsedAsWritten) {
  config::DatabaseConfig db;
  db.dsn = "postgresql://app@db/stage";
  auto spec = make_connection_spec(db, "stage", env_of({}));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->conninfo.reveal(),
            "postgresql://app@db/stage?fallback_application_name=mgate&connect_timeout=5");
}

TEST(ConnectionSpec, NothingConfiguredMeansThePgVariables) {
  auto spec =
      make_connection_spec(config::DatabaseConfig{}, "stage",
                           env_of({{"PGHOST", "db"}, {"PGDATABASE", "stage"}, {"PGPASSWORD", "hunter22"}}));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->conninfo.reveal(), "fallback_application_name=mgate connect_timeout=5");
  EXPECT_EQ(spec->target, "the PG* environment (PGHOST=db PGDATABASE=stage)");
  ASSERT_EQ(spec->secrets.size(), 1u);
  EXPECT_EQ(spec->secrets[0].reveal(), "hunter22");
}

TEST(ConnectionSpec, MissingOrEmptyVariableNamesItAndTheEnvironment) {
  auto missing = make_connection_spec(from_env("STAGE_DATABASE_URL"), "stage", env_of({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(missing.error().message,
            "environment stage: the variable STAGE_DATABASE_URL (database.dsn_env) is not set");

  auto empty = make_connection_spec(from_env("PROD_URL"), "prod", env_of({{"PROD_URL", "  "}}));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "environment prod: the variable PROD_URL (database.dsn_env) is empty");
}

TEST(ConninfoPasswords, FollowsLibpqWhereTheUserInfoEnds) {
  // libpq reads the user info up to the first '@' or '/', so '?' and '#' belong to the password.
  EXPECT_EQ(conninfo_passwords("postgresql://u:p?x#y@h/db"), std::vector<std::string>{"p?x#y"});
  EXPECT_EQ(conninfo_passwords("postgresql://u@h/db?password=a%2Fb"),
            (std::vector<std::string>{"a%2Fb", "a/b"}));
  EXPECT_EQ(conninfo_passwords("postgres://u:wrong%zzpw@h/db"), std::vector<std::string>{"wrong%zzpw"});
  EXPECT_TRUE(conninfo_passwords("postgresql://u@h/db").empty());
  EXPECT_TRUE(conninfo_passwords("postgresql://h/a:b@c").empty());  // after '/', not user info
  EXPECT_EQ(conninfo_passwords("host=h password = secret1 user=u"), std::vector<std::string>{"secret1"});
}

TEST(ConninfoSets, ReadsUriQueriesAndKeywords) {
  EXPECT_TRUE(conninfo_sets("postgresql://h/db?connect_timeout=3", "connect_timeout"));
  EXPECT_TRUE(conninfo_sets("postgresql://h/db?connect%5Ftimeout=3", "connect_timeout"));
  EXPECT_FALSE(conninfo_sets("postgresql://h/connect_timeout", "connect_timeout"));
  EXPECT_TRUE(conninfo_sets("host=h connect_timeout = 3", "connect_timeout"));
  EXPECT_FALSE(conninfo_sets("host=h application_name='connect_timeout=3'", "connect_timeout"));
}

TEST(Scrub, MasksEverySecretInMessageAndDetail) {
  const std::vector<Secret> secrets = {Secret("wrong%zzpw"), Secret("pw")};
  EXPECT_EQ(scrub("invalid percent-encoded token: \"wrong%zzpw\"", secrets),
            "invalid percent-encoded token: \"***\"");
  const Error error = scrub(make_error(ErrorCode::kUnavailable, "a pw b", "pwpw"), secrets);
  EXPECT_EQ(error.message, "a *** b");
  EXPECT_EQ(error.detail, "******");
}

}  // namespace
}  // namespace mgate::backend::db
