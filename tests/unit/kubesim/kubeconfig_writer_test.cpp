#include "tests/sandbox/kubesim/kubeconfig_writer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include "tests/sandbox/kubesim/pki.hpp"

namespace mgate::kubesim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct CommandResult {
  int status = -1;
  std::string out;
};

// Runs a shell command, capturing stdout (and stderr too when merge_stderr, for messages).
CommandResult run(const std::string& command, bool merge_stderr = true) {
  CommandResult result;
  FILE* pipe = ::popen((command + (merge_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
  const int rc = ::pclose(pipe);
  result.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return result;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

class KubeconfigWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kubesim-kcfg-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    pki_ = create_pki(dir_ / "pki", {{"alice", {"dev"}, "alice"}});
    params_.server = "https://127.0.0.1:6443";
    params_.ca_cert = pki_.ca_cert;
    params_.context_name = "sim-ctx";
    params_.user_name = "sim-user";
    params_.ns = "team-a";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `kubectl config view --raw -o json` of text written to a file: kubectl's own parse.
  json view(const std::string& text) {
    const fs::path file = dir_ / "config";
    write_file(file, text, 0600);
    // stderr apart: the installed kubectl is a version dispatcher that may try the server (and
    // so the exec plugin) first and complain on stderr.
    const auto r = run("kubectl config view --raw -o json --kubeconfig " + file.string(), false);
    EXPECT_EQ(r.status, 0) << r.out;
    return json::parse(r.out);
  }

  fs::path dir_;
  Pki pki_;
  KubeconfigParams params_;
};

TEST_F(KubeconfigWriterTest, TokenConfigParsesInKubectl) {
  const json v = view(token_kubeconfig(params_, "abc.def:#-token"));
  EXPECT_EQ(v["current-context"], "sim-ctx");
  EXPECT_EQ(v["clusters"][0]["name"], "kubesim");
  EXPECT_EQ(v["clusters"][0]["cluster"]["server"], "https://127.0.0.1:6443");
  EXPECT_EQ(v["clusters"][0]["cluster"]["certificate-authority-data"], base64(slurp(pki_.ca_cert)));
  EXPECT_EQ(v["contexts"][0]["name"], "sim-ctx");
  EXPECT_EQ(v["contexts"][0]["context"],
            json({{"cluster", "kubesim"}, {"user", "sim-user"}, {"namespace", "team-a"}}));
  EXPECT_EQ(v["users"][0]["name"], "sim-user");
  EXPECT_EQ(v["users"][0]["user"], json({{"token", "abc.def:#-token"}}));
}

TEST_F(KubeconfigWriterTest, DefaultsContextAndUserNamesAndOmitsEmptyNamespace) {
  KubeconfigParams p;
  p.server = "https://127.0.0.1:1";
  p.ca_cert = pki_.ca_cert;
  const json v = view(token_kubeconfig(p, "t"));
  EXPECT_EQ(v["current-context"], "kubesim");
  EXPECT_EQ(v["contexts"][0]["context"], json({{"cluster", "kubesim"}, {"user", "kubesim-user"}}));
}

TEST_F(KubeconfigWriterTest, ClientCertConfigNamesFiles) {
  const auto& [cert, key] = pki_.clients.at("alice");
  const json v = view(client_cert_kubeconfig(params_, cert, key));
  EXPECT_EQ(v["users"][0]["user"],
            json({{"client-certificate", cert.string()}, {"client-key", key.string()}}));
}

TEST_F(KubeconfigWriterTest, ExecConfigV1) {
  const json v = view(exec_kubeconfig(params_, dir_ / "plugin.sh", "client.authentication.k8s.io/v1",
                                      {{"KUBESIM_EXEC_COUNT_FILE", "/tmp/x y"}, {"B", "yes"}}));
  const json& exec = v["users"][0]["user"]["exec"];
  EXPECT_EQ(exec["command"], (dir_ / "plugin.sh").string());
  EXPECT_EQ(exec["apiVersion"], "client.authentication.k8s.io/v1");
  EXPECT_EQ(exec["args"], nullptr);
  EXPECT_EQ(exec["env"], json::parse(R"([{"name":"KUBESIM_EXEC_COUNT_FILE","value":"/tmp/x y"},
                                         {"name":"B","value":"yes"}])"));
  EXPECT_EQ(exec["interactiveMode"], "Never");
  EXPECT_EQ(exec["provideClusterInfo"], false);
}

TEST_F(KubeconfigWriterTest, EksConfigMatchesAwsUpdateKubeconfig) {
  const json v = view(eks_kubeconfig(params_, "sandbox", "us-east-1", {{"AWS_PROFILE", "sim"}}));
  const json& exec = v["users"][0]["user"]["exec"];
  EXPECT_EQ(exec["command"], "aws");
  EXPECT_EQ(exec["args"], json({"--region", "us-east-1", "eks", "get-token", "--cluster-name", "sandbox",
                                "--output", "json"}));
  EXPECT_EQ(exec["apiVersion"], "client.authentication.k8s.io/v1beta1");
  EXPECT_EQ(exec["env"], json::parse(R"([{"name":"AWS_PROFILE","value":"sim"}])"));
}

TEST_F(KubeconfigWriterTest, WriteFileSetsMode) {
  write_file(dir_ / "f", "hello", 0755);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0755U);
  EXPECT_EQ(slurp(dir_ / "f"), "hello");
  EXPECT_THROW(write_file(dir_ / "missing" / "f", "x", 0600), std::runtime_error);
}

TEST_F(KubeconfigWriterTest, PluginScriptPrintsExecCredentialAndCounts) {
  const fs::path plugin = dir_ / "plugin.sh";
  write_file(plugin, exec_plugin_script("tok'en\"1", "client.authentication.k8s.io/v1", 600), 0755);
  const fs::path count = dir_ / "count";
  const std::time_t before = std::time(nullptr);
  const auto r = run("KUBESIM_EXEC_COUNT_FILE=" + count.string() + " " + plugin.string());
  ASSERT_EQ(r.status, 0) << r.out;
  const json cred = json::parse(r.out);
  EXPECT_EQ(cred["kind"], "ExecCredential");
  EXPECT_EQ(cred["apiVersion"], "client.authentication.k8s.io/v1");
  EXPECT_EQ(cred["spec"], json::object());
  EXPECT_EQ(cred["status"]["token"], "tok'en\"1");
  std::tm tm{};
  const std::string ts = cred["status"]["expirationTimestamp"];
  ASSERT_NE(::strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm), nullptr) << ts;
  const std::time_t expiry = ::timegm(&tm);
  EXPECT_GE(expiry, before + 600);
  EXPECT_LE(expiry, before + 602);
  EXPECT_EQ(ts.size(), 20U);

  ASSERT_EQ(run(plugin.string()).status, 0);  // unset: no counting
  ASSERT_EQ(run("KUBESIM_EXEC_COUNT_FILE=" + count.string() + " " + plugin.string()).status, 0);
  const std::string lines = slurp(count);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 2);
}

// kubectl against a TLS server configured by configure_server_ctx: the generated files really
// authenticate (Go's TLS accepts the certificates; the exec plugin runs with its env).
class KubeconfigLiveTest : public KubeconfigWriterTest {
 protected:
  void SetUp() override {
    KubeconfigWriterTest::SetUp();
    server_ = std::make_unique<httplib::SSLServer>(
        [this](SSL_CTX& ctx) { return configure_server_ctx(ctx, pki_); });
    ASSERT_TRUE(server_->is_valid());
    server_->Get("/whoami", [](const httplib::Request& req, httplib::Response& res) {
      const auto id = peer_identity(req.ssl);
      res.set_content(id ? "cert:" + id->user : req.get_header_value("Authorization"), "text/plain");
    });
    const int port = server_->bind_to_any_port("127.0.0.1");
    params_.server = "https://127.0.0.1:" + std::to_string(port);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
    KubeconfigWriterTest::TearDown();
  }

  CommandResult whoami(const std::string& config) {
    const fs::path file = dir_ / "live-config";
    write_file(file, config, 0600);
    return run("kubectl get --raw /whoami --kubeconfig " + file.string());
  }

  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
};

TEST_F(KubeconfigLiveTest, TokenReachesServer) {
  const auto r = whoami(token_kubeconfig(params_, "secret-token"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "Bearer secret-token");
}

TEST_F(KubeconfigLiveTest, ClientCertificateIdentifiesUser) {
  const auto& [cert, key] = pki_.clients.at("alice");
  const auto r = whoami(client_cert_kubeconfig(params_, cert, key));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "cert:alice");
}

TEST_F(KubeconfigLiveTest, ExecPluginRunsWithEnv) {
  const fs::path plugin = dir_ / "plugin.sh";
  write_file(plugin, exec_plugin_script("exec-token", "client.authentication.k8s.io/v1", 900), 0755);
  const fs::path count = dir_ / "count";
  const auto r = whoami(exec_kubeconfig(params_, plugin, "client.authentication.k8s.io/v1",
                                        {{"KUBESIM_EXEC_COUNT_FILE", count.string()}}));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "Bearer exec-token");
  EXPECT_EQ(slurp(count).empty(), false);
}

TEST_F(KubeconfigLiveTest, WrongCaIsRejectedByKubectl) {
  write_self_signed_ca(dir_ / "wrong.crt", dir_ / "wrong.key", "kubesim-ca");
  params_.ca_cert = dir_ / "wrong.crt";
  const auto r = whoami(token_kubeconfig(params_, "t"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("x509: certificate signed by unknown authority"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mgate::kubesim
