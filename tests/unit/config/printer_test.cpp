// Printing the resolved configuration: YAML that parses back to the same Config, JSON with the
// same content, and no password anywhere, not even one in the dsn_env variable's value.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "backend/config/config.hpp"
#include "tests/unit/config/config_test_support.hpp"

namespace mgate::backend::config {
namespace {

using testing::data_dir;
using testing::dump;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScopedEnv;

constexpr const char* kVariable = "MGATE_TEST_STAGE_DATABASE_URL";
constexpr const char* kPassword = "pw-in-env-123";
constexpr const char* kUrl = "postgresql://mgate:pw-in-env-123@127.0.0.1:5433/stage";

Config load_full_config() {
  auto result = load(data_dir() / "full.yaml");
  if (auto* failure = std::get_if<LoadFailure>(&result)) {
    ADD_FAILURE() << dump(failure->diagnostics);
    return {};
  }
  return std::get<Loaded>(std::move(result)).config;
}

TEST(ConfigPrint, YamlRoundTripsToAnEqualConfig) {
  const ScopedEnv home("HOME", "/home/tester");
  const ScopedEnv url(kVariable, kUrl);
  const Config original = load_full_config();
  const std::string yaml = to_yaml(original);
  // Parsed as the same file, so the source and any relative path would resolve the same way.
  auto again = parse(yaml, data_dir() / "full.yaml");
  ASSERT_TRUE(std::holds_alternative<Loaded>(again))
      << yaml << dump(std::get<LoadFailure>(again).diagnostics);
  EXPECT_EQ(std::get<Loaded>(again).config, original) << yaml;
  EXPECT_TRUE(std::get<Loaded>(again).warnings.empty());
}

TEST(ConfigPrint, YamlShowsDefaultsAbsolutePathsAndCanonicalNames) {
  const ScopedEnv home("HOME", "/home/tester");
  const std::string yaml = to_yaml(load_full_config());
  const std::string dir = data_dir().lexically_normal().string();
  EXPECT_THAT(yaml, HasSubstr("scripts: " + dir + "/alembic.ini\n"));
  EXPECT_THAT(yaml, HasSubstr("docker_config: /home/tester/.docker/config.json\n"));
  EXPECT_THAT(yaml, HasSubstr("built_tag: prod-{sha}\n"));
  EXPECT_THAT(yaml, HasSubstr("migrated_tag: prod-migrated-{sha}\n"));
  EXPECT_THAT(yaml, HasSubstr("update_strategy: newest-build\n"));
  EXPECT_THAT(yaml, HasSubstr("schema: public\n"));
  // Quoted, so no YAML reader takes the account id for a number.
  EXPECT_THAT(yaml, HasSubstr("registry_id: \"620167017830\"\n"));
}

TEST(ConfigPrint, YamlSaysWhetherDsnEnvIsSetAndMasksItsPassword) {
  const Config config = load_full_config();
  {
    const ScopedEnv url(kVariable, kUrl);
    const std::string yaml = to_yaml(config);
    EXPECT_THAT(yaml, HasSubstr(std::string("dsn_env: ") + kVariable +
                                "  # set: postgresql://mgate:***@127.0.0.1:5433/stage\n"));
    EXPECT_THAT(yaml, Not(HasSubstr(kPassword)));
    EXPECT_THAT(to_json(config), Not(HasSubstr(kPassword)));
  }
  const ScopedEnv unset(kVariable, std::nullopt);
  EXPECT_THAT(to_yaml(config),
              HasSubstr(std::string("dsn_env: ") + kVariable + "  # not set in this environment\n"));
}

TEST(ConfigPrint, KeyValueAndBarePasswordValuesNeverPrint) {
  const Config config = load_full_config();
  for (const std::string value : {"host=db user=app password=pw-in-env-123 dbname=x", "pw-in-env-123",
                                  "host=db sslpassword=pw-in-env-123"}) {
    const ScopedEnv url(kVariable, value);
    EXPECT_THAT(to_yaml(config), Not(HasSubstr(kPassword))) << value;
    EXPECT_THAT(to_json(config), Not(HasSubstr(kPassword))) << value;
  }
}

TEST(ConfigPrint, HandBuiltDsnWithPasswordIsMasked) {
  Config config;
  config.project = "p";
  Environment env;
  env.name = "stage";
  env.database.dsn = "postgresql://app:hand-secret@db/app";
  config.environments.push_back(env);
  EXPECT_THAT(to_yaml(config), HasSubstr("dsn: postgresql://app:***@db/app"));
  EXPECT_THAT(to_yaml(config), Not(HasSubstr("hand-secret")));
  EXPECT_THAT(to_json(config), Not(HasSubstr("hand-secret")));
}

TEST(ConfigPrint, JsonCarriesTheSameContent) {
  const ScopedEnv home("HOME", "/home/tester");
  const ScopedEnv url(kVariable, kUrl);
  const Config config = load_full_config();
  const auto j = nlohmann::ordered_json::parse(to_json(config));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["project"], "udab-server");
  EXPECT_EQ(j["refresh_seconds"], 7);
  EXPECT_EQ(j["audit_log"], config.audit_log.string());
  const auto& stage = j["environments"]["stage"];
  EXPECT_EQ(stage["read_only"], true);
  EXPECT_EQ(stage["kube"]["namespace"], "udab");
  EXPECT_EQ(stage["kube"]["jobs"]["name"], "db-migration-{sha7}");
  EXPECT_EQ(stage["database"]["dsn_env"], kVariable);
  EXPECT_EQ(stage["database"]["dsn_env_set"], true);
  EXPECT_EQ(stage["database"]["dsn_env_value"], "postgresql://mgate:***@127.0.0.1:5433/stage");
  EXPECT_EQ(stage["registry"]["registry_id"], "620167017830");
  EXPECT_EQ(stage["deploy"]["ignore_tags"], nlohmann::ordered_json::array({"*-rc*", "*-debug"}));
  const auto& prod = j["environments"]["prod"];
  EXPECT_EQ(prod["protected"], true);
  EXPECT_EQ(prod["registry"]["type"], "oci");
  EXPECT_EQ(prod["database"]["service"], "prod");
  EXPECT_FALSE(prod["database"].contains("dsn_env_set"));
  EXPECT_FALSE(prod.contains("deploy"));
  // Object keys keep the file's order, so environments print in file order.
  EXPECT_EQ(j["environments"].begin().key(), "stage");
}

TEST(ConfigPrint, JsonSaysNullWhenDsnEnvIsUnset) {
  const ScopedEnv unset(kVariable, std::nullopt);
  const auto j = nlohmann::json::parse(to_json(load_full_config()));
  EXPECT_EQ(j["environments"]["stage"]["database"]["dsn_env_set"], false);
  EXPECT_TRUE(j["environments"]["stage"]["database"]["dsn_env_value"].is_null());
}

}  // namespace
}  // namespace mgate::backend::config
