#include "backend/ops/guard.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::ops {
namespace {

config::Environment env_named(const std::string& name, bool protected_env, bool read_only) {
  config::Environment e;
  e.name = name;
  e.protected_ = protected_env;
  e.read_only = read_only;
  return e;
}

TEST(CheckWritable, NamesTheSwitchThatMakesAnEnvironmentReadOnly) {
  config::Config c;
  const auto stage = env_named("stage", false, false);
  EXPECT_TRUE(check_writable(c, stage, false).ok());

  auto flag = check_writable(c, stage, true);
  ASSERT_FALSE(flag.ok());
  EXPECT_EQ(flag.error().code, ErrorCode::kRefused);
  EXPECT_NE(flag.error().message.find("--read-only"), std::string::npos);

  auto per_env = check_writable(c, env_named("prod", false, true), false);
  ASSERT_FALSE(per_env.ok());
  EXPECT_NE(per_env.error().message.find("the environment sets read_only"), std::string::npos);

  c.read_only = true;
  auto global = check_writable(c, stage, false);
  ASSERT_FALSE(global.ok());
  EXPECT_NE(global.error().message.find("the configuration sets read_only"), std::string::npos);
}

TEST(Confirmation, AProtectedEnvironmentNeedsItsNameAsWellAsYes) {
  const auto prod = confirmation_for(env_named("prod", true, false), "Stamp prod?");
  EXPECT_EQ(prod.type_to_confirm, "prod");
  EXPECT_EQ(check_noninteractive(prod, false, std::nullopt).error().code, ErrorCode::kRefused);
  auto only_yes = check_noninteractive(prod, true, std::nullopt);
  ASSERT_FALSE(only_yes.ok());
  EXPECT_NE(only_yes.error().message.find("--confirm-env prod"), std::string::npos);
  EXPECT_FALSE(check_noninteractive(prod, true, std::string("stage")).ok());
  EXPECT_TRUE(check_noninteractive(prod, true, std::string("prod")).ok());

  const auto stage = confirmation_for(env_named("stage", false, false), "Stamp stage?");
  EXPECT_EQ(stage.type_to_confirm, std::nullopt);
  EXPECT_TRUE(check_noninteractive(stage, true, std::nullopt).ok());
  EXPECT_FALSE(check_noninteractive(stage, false, std::nullopt).ok());
}

}  // namespace
}  // namespace mgate::backend::ops
