// The env file is real sh: values with quotes, spaces and '$' come back unchanged when sourced.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/integration/shared_sandbox.hpp"
#include "tests/sandbox/endpoint_files.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;

TEST(SandboxEnvFile, SourcingItInShGivesBackEveryValue) {
  const fs::path dir = make_test_dir("envfile");
  ASSERT_FALSE(dir.empty());
  const std::string tricky = "it's a $HOME `x` \"quoted\" path\\with spaces";
  const EnvVars vars = {{"MGATE_SANDBOX_DIR", tricky}, {"PGPORT", "5432"}};
  ASSERT_TRUE(write_file_atomically(dir / "env", render_env_file(vars)).ok());

  Command command;
  command.argv = {"/bin/sh", "-c", ". \"$0\" && printf '%s|%s' \"$MGATE_SANDBOX_DIR\" \"$PGPORT\"",
                  (dir / "env").string()};
  auto result = run_command(command);
  ASSERT_TRUE(result.ok()) << result.error().describe();
  ASSERT_TRUE(result->ok()) << result->describe();
  EXPECT_EQ(result->out, tricky + "|5432");
  fs::remove_all(dir);
}

TEST(SandboxEnvFile, ConfigNeedsEveryService) {
  SandboxEndpoints endpoints;
  endpoints.moto_url = "http://127.0.0.1:1";
  endpoints.registry_url = "http://127.0.0.1:2";
  const auto text = render_config(endpoints);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().message,
            "the mgate configuration needs every sandbox service; postgres was not started");
}

TEST(SandboxEnvFile, TailLinesKeepsTheLastLines) {
  EXPECT_EQ(tail_lines("a\nb\nc\n", 2), "b\nc");
  EXPECT_EQ(tail_lines("a\nb\nc", 5), "a\nb\nc");
  EXPECT_EQ(tail_lines("", 3), "");
}

}  // namespace
}  // namespace mgate::sandbox::testing
