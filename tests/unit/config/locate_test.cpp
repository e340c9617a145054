// Where the configuration comes from: --config, then $MGATE_CONFIG, then
// $XDG_CONFIG_HOME/mgate/config.yaml (default ~/.config/mgate/config.yaml).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "backend/config/config.hpp"
#include "tests/unit/config/config_test_support.hpp"

namespace mgate::backend::config {
namespace {

using ::testing::HasSubstr;
using testing::ScopedEnv;

namespace fs = std::filesystem;

// A fresh directory per test with the files the lookup may find.
class ConfigLocate : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() / fmt_name(info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::string fmt_name(const std::string& test) {
    return "mgate-config-locate-" + std::to_string(::getpid()) + "-" + test;
  }

  fs::path touch(const fs::path& relative) {
    const fs::path p = root_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "project: p\n";
    return p;
  }

  fs::path root_;
};

TEST_F(ConfigLocate, FlagWinsOverEverything) {
  const fs::path flag = touch("flag.yaml");
  const ScopedEnv env("MGATE_CONFIG", touch("env.yaml").string());
  const ScopedEnv xdg("XDG_CONFIG_HOME", root_.string());
  touch("mgate/config.yaml");
  const auto located = locate(flag);
  ASSERT_TRUE(located.ok()) << located.error().message;
  EXPECT_EQ(located->path, flag);
  EXPECT_EQ(located->origin, "--config");
}

TEST_F(ConfigLocate, MgateConfigComesSecond) {
  const fs::path env_file = touch("env.yaml");
  const ScopedEnv env("MGATE_CONFIG", env_file.string());
  const ScopedEnv xdg("XDG_CONFIG_HOME", root_.string());
  touch("mgate/config.yaml");
  const auto located = locate(std::nullopt);
  ASSERT_TRUE(located.ok()) << located.error().message;
  EXPECT_EQ(located->path, env_file);
  EXPECT_EQ(located->origin, "MGATE_CONFIG");
}

TEST_F(ConfigLocate, MgateConfigExpandsTilde) {
  const ScopedEnv home("HOME", root_.string());
  const ScopedEnv env("MGATE_CONFIG", "~/conf/m.yaml");
  const fs::path file = touch("conf/m.yaml");
  const auto located = locate(std::nullopt);
  ASSERT_TRUE(located.ok()) << located.error().message;
  EXPECT_EQ(located->path, file);
}

TEST_F(ConfigLocate, XdgConfigHomeComesThird) {
  const ScopedEnv env("MGATE_CONFIG", std::nullopt);
  const ScopedEnv xdg("XDG_CONFIG_HOME", (root_ / "xdg").string());
  const fs::path file = touch("xdg/mgate/config.yaml");
  const auto located = locate(std::optional<fs::path>());
  ASSERT_TRUE(located.ok()) << located.error().message;
  EXPECT_EQ(located->path, file);
  EXPECT_EQ(located->origin, "$XDG_CONFIG_HOME/mgate/config.yaml");
}

TEST_F(ConfigLocate, HomeDotConfigIsTheDefault) {
  const ScopedEnv env("MGATE_CONFIG", "");
  const ScopedEnv xdg("XDG_CONFIG_HOME", std::nullopt);
  const ScopedEnv home("HOME", root_.string());
  const fs::path file = touch(".config/mgate/config.yaml");
  const auto located = locate(std::nullopt);
  ASSERT_TRUE(located.ok()) << located.error().message;
  EXPECT_EQ(located->path, file);
  EXPECT_THAT(located->origin, HasSubstr("~/.config/mgate/config.yaml"));
}

TEST_F(ConfigLocate, MissingFileNamesThePathTheRuleAndWhatToDo) {
  const fs::path flag = root_ / "absent.yaml";
  const auto by_flag = locate(flag);
  ASSERT_FALSE(by_flag.ok());
  EXPECT_EQ(by_flag.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(by_flag.error().message, HasSubstr(flag.string()));
  EXPECT_THAT(by_flag.error().message, HasSubstr("does not exist (chosen by --config)"));
  EXPECT_THAT(by_flag.error().message, HasSubstr("pass --config FILE or set MGATE_CONFIG"));

  const ScopedEnv env("MGATE_CONFIG", std::nullopt);
  const ScopedEnv xdg("XDG_CONFIG_HOME", root_.string());
  const auto by_default = locate(std::nullopt);
  ASSERT_FALSE(by_default.ok());
  EXPECT_THAT(by_default.error().message, HasSubstr((root_ / "mgate/config.yaml").string()));
  EXPECT_THAT(by_default.error().message, HasSubstr("chosen by $XDG_CONFIG_HOME"));
  EXPECT_THAT(by_default.error().message, HasSubstr("pass --config FILE or set MGATE_CONFIG"));
}

TEST_F(ConfigLocate, ADirectoryIsNotAConfigurationFile) {
  const auto located = locate(root_);
  ASSERT_FALSE(located.ok());
  EXPECT_THAT(located.error().message, HasSubstr("is not a regular file"));
}

}  // namespace
}  // namespace mgate::backend::config
