// moto_server as ECR and STS, driven by the real aws command line (pyenv's aws on PATH).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/shared_sandbox.hpp"
#include "tests/sandbox/moto_service.hpp"

namespace mgate::sandbox::testing {
namespace {

CommandResult aws(const Sandbox& sandbox, const std::vector<std::string>& args) {
  Command command;
  command.argv = {"aws", "--endpoint-url", sandbox.moto_url(), "--output", "json"};
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  // A developer's ~/.aws must not leak in: the sandbox env carries the credentials.
  command.env = sandbox_env(
      sandbox, {{"AWS_CONFIG_FILE", "/nonexistent"}, {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"}});
  auto result = run_command(command);
  EXPECT_TRUE(result.ok()) << result.error().describe();
  return result.ok() ? *result : CommandResult{};
}

TEST(SandboxEcr, CreateAndDescribeARepository) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();

  const CommandResult created =
      aws(**sandbox, {"ecr", "create-repository", "--repository-name", "udab-server"});
  ASSERT_TRUE(created.ok()) << created.describe();
  const auto repo = nlohmann::json::parse(created.out).at("repository");
  EXPECT_EQ(repo.at("repositoryName"), "udab-server");
  EXPECT_EQ(repo.at("registryId"), kMotoAccountId);
  EXPECT_EQ(repo.at("repositoryArn"), "arn:aws:ecr:us-east-1:123456789012:repository/udab-server");
  EXPECT_EQ(repo.at("repositoryUri"), "123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server");

  const CommandResult described = aws(**sandbox, {"ecr", "describe-repositories"});
  ASSERT_TRUE(described.ok()) << described.describe();
  const auto repos = nlohmann::json::parse(described.out).at("repositories");
  ASSERT_EQ(repos.size(), 1u) << described.out;
  EXPECT_EQ(repos[0].at("repositoryName"), "udab-server");
  EXPECT_EQ(repos[0].at("registryId"), "123456789012");

  const CommandResult again =
      aws(**sandbox, {"ecr", "create-repository", "--repository-name", "udab-server"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("RepositoryAlreadyExistsException"), std::string::npos) << again.err;
}

TEST(SandboxEcr, StsAnswersWithMotosAccount) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  const CommandResult who = aws(**sandbox, {"sts", "get-caller-identity"});
  ASSERT_TRUE(who.ok()) << who.describe();
  EXPECT_EQ(nlohmann::json::parse(who.out).at("Account"), kMotoAccountId);
}

}  // namespace
}  // namespace mgate::sandbox::testing
