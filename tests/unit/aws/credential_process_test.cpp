// credential_process: command splitting, the JSON it prints, and running it.

#include "backend/aws/credential_process.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::aws {
namespace {

constexpr const char* kProcSecret = "ProcSecret/Zq8+DistinctiveValue0123";

std::string printing(const std::string& json) {
  // sh -c is the configured command's own choice here, not a shell the runner adds.
  return "sh -c 'printf \"%s\" \"$0\"' '" + json + "'";
}

TEST(SplitCommand, FollowsShlexQuoting) {
  auto words = split_command(R"(  /bin/tool --a 'one two' "x\"y\z" a\ b ''  )");
  ASSERT_TRUE(words.ok());
  EXPECT_EQ(*words, (std::vector<std::string>{"/bin/tool", "--a", "one two", "x\"y\\z", "a b", ""}));
  EXPECT_FALSE(split_command("tool 'open").ok());
  EXPECT_FALSE(split_command("tool \"open").ok());
}

TEST(CredentialProcess, SuccessWithExpiration) {
  const std::string json = std::string(R"({"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": ")") +
                           kProcSecret + R"(", "SessionToken": "tok", "Expiration": "2026-11-21T08:00:00Z"})";
  auto creds = run_credential_process(printing(json), "credential_process of profile p");
  ASSERT_TRUE(creds.ok()) << creds.error().describe();
  EXPECT_EQ(creds->access_key_id, "ASIAPROC");
  EXPECT_EQ(creds->secret_access_key.reveal(), kProcSecret);
  EXPECT_EQ(creds->session_token.reveal(), "tok");
  ASSERT_TRUE(creds->expiration.has_value());
  EXPECT_EQ(format_rfc3339(*creds->expiration), "2026-11-21T08:00:00.000Z");
}

TEST(CredentialProcess, NoExpirationNoToken) {
  auto creds = run_credential_process(
      printing(R"({"Version": 1, "AccessKeyId": "AKIAP", "SecretAccessKey": "s"})"), "p");
  ASSERT_TRUE(creds.ok()) << creds.error().describe();
  EXPECT_TRUE(creds->session_token.empty());
  EXPECT_FALSE(creds->expiration.has_value());
}

void expect_clean_process_error(const Error& e) {
  EXPECT_EQ(e.message.find(kProcSecret), std::string::npos) << e.message;
  EXPECT_EQ(e.detail.find(kProcSecret), std::string::npos) << e.detail;
  EXPECT_EQ(e.describe().find(kProcSecret), std::string::npos);
}

TEST(CredentialProcess, NonZeroExitQuotesFirstStderrLineNotStdout) {
  auto creds = run_credential_process(std::string("sh -c 'echo ") + kProcSecret +
                                          "; echo \"token expired, run login\" >&2; echo more >&2; exit 3'",
                                      "credential_process of profile p");
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(creds.error().message.find("credential_process of profile p"), std::string::npos);
  EXPECT_NE(creds.error().message.find("exited with status 3: token expired, run login"), std::string::npos)
      << creds.error().message;
  EXPECT_EQ(creds.error().message.find("more"), std::string::npos);
  expect_clean_process_error(creds.error());
}

TEST(CredentialProcess, BadJsonAndWrongVersionAndMissingKeys) {
  const std::string secret(kProcSecret);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"Version": 1, "AccessKeyId": "A", "SecretAccessKey": ")" + secret + "\"", "not a JSON"},
      {R"({"Version": 2, "AccessKeyId": "A", "SecretAccessKey": ")" + secret + "\"}", "Version must be 1"},
      {R"({"AccessKeyId": "A", "SecretAccessKey": ")" + secret + "\"}", "Version must be 1"},
      {R"({"Version": 1, "SecretAccessKey": ")" + secret + "\"}", "no string AccessKeyId"},
      {R"({"Version": 1, "AccessKeyId": "A", "SecretAccessKey": ")" + secret + R"(", "Expiration": "soon"})",
       "Expiration is not an RFC 3339 time"},
  };
  for (const auto& [output, why] : cases) {
    auto creds = parse_process_output(output, "p");
    ASSERT_FALSE(creds.ok()) << output;
    EXPECT_EQ(creds.error().code, ErrorCode::kProtocol);
    EXPECT_NE(creds.error().message.find(why), std::string::npos) << creds.error().message;
    expect_clean_process_error(creds.error());
  }
  auto run = run_credential_process(printing(cases[0].first), "p");
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.error().message.find("not a JSON"), std::string::npos);
  expect_clean_process_error(run.error());
}

TEST(CredentialProcess, MissingProgramAndTimeout) {
  auto missing = run_credential_process("/nonexistent/mgate-credential-helper", "p");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  auto slow = run_credential_process("sleep 5", "p", std::chrono::milliseconds(100));
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout);
}

}  // namespace
}  // namespace mgate::backend::aws
