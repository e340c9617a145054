// backend/kube/exec_credential: real plugin processes (the simulator's exec plugin script and
// small sh scripts written here), counted through a file the plugin appends to.

#include "backend/kube/exec_credential.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/sandbox/kubesim/file_util.hpp"
#include "tests/sandbox/kubesim/kubeconfig_writer.hpp"

namespace mgate::backend::kube {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

class ExecCredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mgate-exec-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    count_file_ = dir_ / "count";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A plugin script in the test's directory.
  std::string script(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    kubesim::write_file(path, text, 0755);
    return path.string();
  }

  // The stanza running `command`, counting its runs through the count file (the env entry
  // reaches only the child: the count proves it arrived).
  ExecPluginConfig config(const std::string& command, const std::string& api_version = kExecApiV1Beta1) {
    ExecPluginConfig c;
    c.api_version = api_version;
    c.command = command;
    c.env = {{"KUBESIM_EXEC_COUNT_FILE", count_file_.string()}};
    c.interactive_mode = "IfAvailable";
    return c;
  }

  int runs() const {
    std::ifstream in(count_file_);
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
  }

  fs::path dir_;
  fs::path count_file_;
};

// A clock the test moves.
struct ManualClock {
  Clock::time_point now = Clock::now();
  std::function<Clock::time_point()> fn() {
    return [this] { return now; };
  }
};

TEST_F(ExecCredentialTest, CachesUntilExpiry) {
  const std::string plugin =
      script("plugin.sh", kubesim::exec_plugin_script("tok-123", kExecApiV1Beta1, 3600));
  ManualClock clock;
  ExecCredentialProvider provider(config(plugin), {std::nullopt, kDefaultExecTimeout, clock.fn()});
  const auto before = std::chrono::time_point_cast<seconds>(Clock::now());

  auto first = provider.credential();
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->token.reveal(), "tok-123");
  EXPECT_TRUE(first->client_certificate_data.empty());
  ASSERT_TRUE(first->expiration.has_value());
  // The script stamps its own `date` + 3600 s in whole seconds.
  EXPECT_GE(*first->expiration, before + seconds(3600));
  EXPECT_LE(*first->expiration, before + seconds(3602));
  EXPECT_EQ(runs(), 1);
  EXPECT_EQ(std::getenv("KUBESIM_EXEC_COUNT_FILE"), nullptr) << "env must reach the child only";

  clock.now = *first->expiration - seconds(1);
  auto second = provider.credential();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->token.reveal(), "tok-123");
  EXPECT_EQ(runs(), 1) << "an unexpired credential must not run the plugin again";

  clock.now = *first->expiration;
  ASSERT_TRUE(provider.credential().ok());
  EXPECT_EQ(runs(), 2) << "an expired credential must run the plugin again";
  EXPECT_EQ(provider.runs(), 2);
}

TEST_F(ExecCredentialTest, InvalidateRunsAgainAndNoExpiryCachesForever) {
  const std::string plugin =
      script("plugin.sh",
             "#!/bin/sh\necho run >> \"$KUBESIM_EXEC_COUNT_FILE\"\n"
             "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
             "\"status\":{\"token\":\"forever\"}}'\n");
  ManualClock clock;
  ExecCredentialProvider provider(config(plugin, kExecApiV1),
                                  {std::nullopt, kDefaultExecTimeout, clock.fn()});
  auto first = provider.credential();
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->token.reveal(), "forever");
  EXPECT_FALSE(first->expiration.has_value());
  clock.now += std::chrono::hours(24 * 365);
  ASSERT_TRUE(provider.credential().ok());
  EXPECT_EQ(runs(), 1);
  provider.invalidate();
  ASSERT_TRUE(provider.credential().ok());
  EXPECT_EQ(runs(), 2);
}

TEST_F(ExecCredentialTest, ExactExpiryAndArgv) {
  // Arguments arrive one by one, unsplit and unexpanded: no shell between us and the plugin.
  const std::string plugin =
      script("plugin.sh",
             "#!/bin/sh\n[ \"$#\" = 2 ] && [ \"$1\" = 'a b' ] && [ \"$2\" = '$HOME;x' ] || exit 9\n"
             "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
             "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"2026-11-21T12:30:00Z\"}}'\n");
  ExecPluginConfig c = config(plugin);
  c.args = {"a b", "$HOME;x"};
  ExecCredentialProvider provider(c);
  auto got = provider.credential();
  ASSERT_TRUE(got.ok()) << got.error().describe();
  ASSERT_TRUE(got->expiration.has_value());
  EXPECT_EQ(format_rfc3339(*got->expiration), "2026-11-21T12:30:00.000Z");
}

TEST_F(ExecCredentialTest, ExecInfoReachesPlugin) {
  // The plugin hands KUBERNETES_EXEC_INFO back as its token, JSON-escaped by sed.
  const std::string plugin = script(
      "echo.sh",
      "#!/bin/sh\ninfo=$(printf '%s' \"$KUBERNETES_EXEC_INFO\" | sed 's/\\\\/\\\\\\\\/g; s/\"/\\\\\"/g')\n"
      "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
      "\"status\":{\"token\":\"%s\"}}' \"$info\"\n");
  ExecPluginConfig c = config(plugin, kExecApiV1);
  {
    ExecCredentialProvider provider(c);
    auto got = provider.credential();
    ASSERT_TRUE(got.ok()) << got.error().describe();
    EXPECT_EQ(
        got->token.reveal(),
        R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}})");
  }
  c.provide_cluster_info = true;
  ExecClusterInfo cluster{"https://127.0.0.1:6443", "-----BEGIN CERTIFICATE-----\nMIIB\n", "kubesim", false};
  ExecCredentialProvider provider(c, {cluster, kDefaultExecTimeout, {}});
  auto got = provider.credential();
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(
      got->token.reveal(),
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false,)"
      R"("cluster":{"server":"https://127.0.0.1:6443","tls-server-name":"kubesim",)"
      R"("certificate-authority-data":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIK"}}})");
}

TEST_F(ExecCredentialTest, ApiVersionMismatch) {
  const std::string plugin = script("plugin.sh", kubesim::exec_plugin_script("tok", kExecApiV1Beta1, 60));
  ExecCredentialProvider provider(config(plugin, kExecApiV1));
  auto got = provider.credential();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(got.error().message,
            "exec credential plugin " + plugin +
                ": is configured to use API version client.authentication.k8s.io/v1, plugin returned "
                "version client.authentication.k8s.io/v1beta1");
  EXPECT_EQ(runs(), 1);
}

TEST_F(ExecCredentialTest, NonZeroExitNamesCommandCodeAndStderrNotToken) {
  const std::string plugin = script(
      "fail.sh",
      "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
      "\"status\":{\"token\":\"leaky-token\"}}'\necho 'starting login' >&2\n"
      "echo 'error: SSO session expired' >&2\nexit 3\n");
  ExecCredentialProvider provider(config(plugin));
  auto got = provider.credential();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(got.error().message, "exec credential plugin " + plugin +
                                     ": exited with code 3: starting login\nerror: SSO session expired");
  EXPECT_EQ(got.error().describe().find("leaky-token"), std::string::npos);
  // A failure is not cached: the next call runs the plugin again.
  EXPECT_FALSE(provider.credential().ok());
  EXPECT_EQ(provider.runs(), 2);
}

TEST_F(ExecCredentialTest, MissingCommandNamesInstallHint) {
  ExecPluginConfig c = config("mgate-no-such-exec-plugin");
  c.install_hint = "Install it with: brew install mgate-plugin\n";
  ExecCredentialProvider provider(c);
  auto got = provider.credential();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(got.error().message,
            "exec credential plugin mgate-no-such-exec-plugin: executable not found. "
            "Install it with: brew install mgate-plugin");
}

TEST_F(ExecCredentialTest, InteractiveAlwaysRefusedWithoutRunning) {
  const std::string plugin = script("plugin.sh", kubesim::exec_plugin_script("tok", kExecApiV1, 60));
  ExecPluginConfig c = config(plugin, kExecApiV1);
  c.interactive_mode = "Always";
  ExecCredentialProvider provider(c);
  auto got = provider.credential();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kRefused);
  EXPECT_NE(got.error().message.find("interactiveMode Always is unsupported inside the console"),
            std::string::npos)
      << got.error().message;
  EXPECT_EQ(runs(), 0);
  c.interactive_mode = "Never";
  ExecCredentialProvider never(c);
  auto ok = never.credential();
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->token.reveal(), "tok");
  EXPECT_EQ(runs(), 1);
}

TEST_F(ExecCredentialTest, TimeoutKillsPlugin) {
  const std::string plugin = script("slow.sh", "#!/bin/sh\nexec sleep 10\n");
  ExecCredentialProvider provider(config(plugin), {std::nullopt, std::chrono::milliseconds(200), {}});
  const auto start = std::chrono::steady_clock::now();
  auto got = provider.credential();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(got.error().message, "exec credential plugin " + plugin + ": did not finish within 200 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ExecCredentialTest, ConcurrentCallersShareOneRun) {
  const std::string plugin =
      script("slow.sh",
             "#!/bin/sh\necho run >> \"$KUBESIM_EXEC_COUNT_FILE\"\nsleep 0.3\n"
             "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
             "\"status\":{\"token\":\"shared\"}}'\n");
  ExecCredentialProvider provider(config(plugin));
  std::string a, b;
  std::thread other([&] {
    auto r = provider.credential();
    a = r.ok() ? r->token.reveal() : r.error().message;
  });
  auto r = provider.credential();
  b = r.ok() ? r->token.reveal() : r.error().message;
  other.join();
  EXPECT_EQ(a, "shared");
  EXPECT_EQ(b, "shared");
  EXPECT_EQ(runs(), 1);
}

TEST(ParseExecCredential, CertificatePairAndErrors) {
  const std::string v1 = kExecApiV1;
  auto pair = parse_exec_credential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":)"
      R"({"clientCertificateData":"CERT","clientKeyData":"KEY"}})",
      v1, "p");
  ASSERT_TRUE(pair.ok()) << pair.error().describe();
  EXPECT_TRUE(pair->token.empty());
  EXPECT_EQ(pair->client_certificate_data.reveal(), "CERT");
  EXPECT_EQ(pair->client_key_data.reveal(), "KEY");

  const auto message = [&](const std::string& out) {
    auto r = parse_exec_credential(out, v1, "p");
    return r.ok() ? std::string("<ok>") : r.error().message;
  };
  const std::string head = R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential")";
  EXPECT_EQ(message("not json secret-xyz"),
            "exec credential plugin p: printed no ExecCredential JSON object");
  EXPECT_EQ(message(head + "}"), "exec credential plugin p: didn't return a status field");
  EXPECT_EQ(message(head + R"(,"status":{}})"),
            "exec credential plugin p: didn't return a token or cert/key pair");
  EXPECT_EQ(message(head + R"(,"status":{"clientKeyData":"KEY"}})"),
            "exec credential plugin p: returned only one of clientCertificateData and clientKeyData");
  EXPECT_EQ(message(head + R"(,"status":{"token":"t","expirationTimestamp":"soon"}})"),
            "exec credential plugin p: returned a bad status.expirationTimestamp");
  EXPECT_EQ(
      message(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"Pod","status":{"token":"t"}})"),
      "exec credential plugin p: returned kind \"Pod\", not ExecCredential");
}

}  // namespace
}  // namespace mgate::backend::kube
