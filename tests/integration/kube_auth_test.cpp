// "Every auth mode works": kubectl with each of the simulator's kubeconfigs (bearer token, client
// certificate, exec plugin v1beta1 and v1, EKS through `aws eks get-token`), and the refusals a
// real API server gives: 401 with its Status body, 403 with kubectl's Forbidden line, and a TLS
// failure for a CA the client does not trust.

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/kube_kubectl_support.hpp"
#include "tests/sandbox/kubesim/pki.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Strings = std::vector<std::string>;

// kubectl's line for a 401, whatever the credential was.
constexpr const char* kUnauthorizedLine = "error: You must be logged in to the server (Unauthorized)\n";

class KubeAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = shared_sandbox();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
    sandbox_ = *sandbox;
    dir_ = make_test_dir("kube-auth");
  }

  fs::path config(const std::string& name) const { return sandbox_->kube_dir() / name; }

  // `kubectl get namespaces -o name` with a kubeconfig, asserting the sandbox's namespaces.
  void expect_lists_namespaces(const fs::path& kubeconfig, const EnvVars& extra = {},
                               const Strings& more_args = {}) const {
    Strings args = {"get", "namespaces", "-o", "name"};
    args.insert(args.end(), more_args.begin(), more_args.end());
    const KubeRun r = kubectl_env(*sandbox_, args, kubeconfig, extra);
    ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl get namespaces with " + kubeconfig.string(), r);
    const Strings names = lines_of(r.out);
    for (const char* ns : {"namespace/udab", "namespace/udab-prod"}) {
      EXPECT_NE(std::find(names.begin(), names.end(), ns), names.end()) << ns << " missing: " << r.out;
    }
  }

  // A GET of the namespace list over TLS (verified against the sandbox CA), with the given
  // Authorization header ("" sends none).
  httplib::Result raw_get(const std::string& authorization) const {
    const std::string url = sandbox_->kube_url();
    const int port = std::stoi(url.substr(url.rfind(':') + 1));
    httplib::SSLClient client("127.0.0.1", port);
    client.set_ca_cert_path((sandbox_->kube_dir() / "pki/ca.crt").string());
    client.enable_server_certificate_verification(true);
    client.set_connection_timeout(std::chrono::seconds(5));
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    return client.Get("/api/v1/namespaces", headers);
  }

  // Fills both kubectl discovery caches with the admin kubeconfig. A refused credential then
  // fails at the request itself with kubectl's one-line 401; with a cold cache kubectl's
  // discovery fails first and logs each retry (as against a real cluster).
  void warm_discovery() const {
    const KubeRun a = kubectl(*sandbox_, {"get", "namespaces", "-o", "name"});
    ASSERT_EQ(a.exit_code, 0) << describe_run("kubectl get namespaces", a);
    const KubeRun b = kubectl_env(*sandbox_, {"get", "namespaces", "-o", "name"}, config("kubeconfig"), {});
    ASSERT_EQ(b.exit_code, 0) << describe_run("kubectl get namespaces", b);
  }

  // An EKS token from the real aws CLI for cluster, with the sandbox's AWS env (moto's STS).
  std::string eks_token(const std::string& cluster) const {
    Command c;
    c.argv = {"aws", "eks", "get-token", "--cluster-name", cluster, "--output", "json"};
    c.env = sandbox_env(*sandbox_);
    auto r = run_command(c);
    EXPECT_TRUE(r.ok() && r->ok()) << (r.ok() ? r->describe() : r.error().describe());
    if (!r.ok() || !r->ok()) return "";
    return json::parse(r->out).at("status").at("token").get<std::string>();
  }

  Sandbox* sandbox_ = nullptr;
  fs::path dir_;
};

// Standard base64, as kubeconfig's *-data fields hold PEM.
std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The exact Status body of a 401.
void expect_unauthorized_status(const httplib::Result& res) {
  ASSERT_TRUE(res) << "request failed: " << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 401);
  const json body = json::parse(res->body);
  EXPECT_EQ(body, (json{{"kind", "Status"},
                        {"apiVersion", "v1"},
                        {"metadata", json::object()},
                        {"status", "Failure"},
                        {"message", "Unauthorized"},
                        {"reason", "Unauthorized"},
                        {"code", 401}}))
      << res->body;
}

TEST_F(KubeAuth, BearerTokenAndClientCertificateList) {
  ASSERT_NO_FATAL_FAILURE(expect_lists_namespaces(config("kubeconfig")));
  ASSERT_NO_FATAL_FAILURE(expect_lists_namespaces(config("kubeconfig-cert")));
}

TEST_F(KubeAuth, ExecPluginsAreRun) {
  for (const char* name : {"kubeconfig-exec", "kubeconfig-exec-v1"}) {
    const fs::path count = dir_ / (std::string(name) + ".count");
    ASSERT_NO_FATAL_FAILURE(
        expect_lists_namespaces(config(name), {{"KUBESIM_EXEC_COUNT_FILE", count.string()}}));
    EXPECT_GE(file_lines(count).size(), 1U) << name << ": kubectl did not run the exec plugin";
  }
}

TEST_F(KubeAuth, EksKubeconfigRunsAwsEksGetToken) {
  // An `aws` first on PATH that records each run, then hands over to the real CLI: proof that
  // kubectl ran the kubeconfig's exec command rather than finding a token elsewhere.
  const auto real_aws = find_executable("aws");
  ASSERT_TRUE(real_aws) << "aws CLI not on PATH";
  const fs::path bin = dir_ / "bin";
  fs::create_directories(bin);
  const fs::path count = dir_ / "aws.count";
  const fs::path wrapper = bin / "aws";
  std::ofstream(wrapper) << fmt::format("#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n", count.string(),
                                        real_aws->string());
  fs::permissions(wrapper, fs::perms::owner_all);
  const char* path = std::getenv("PATH");
  const std::string search = bin.string() + ":" + (path != nullptr ? path : "/usr/bin:/bin");
  ASSERT_NO_FATAL_FAILURE(expect_lists_namespaces(config("kubeconfig-eks"), {{"PATH", search}}));
  const Strings runs = file_lines(count);
  ASSERT_GE(runs.size(), 1U) << "kubectl did not run aws";
  EXPECT_EQ(runs[0], "--region us-east-1 eks get-token --cluster-name sandbox --output json");
}

TEST_F(KubeAuth, EksTokenIsCheckedAgainstSts) {
  // The stage-viewer kubeconfig with --token: only the EKS identity (all rules) may list
  // namespaces, so a listing proves the server accepted the token itself.
  const fs::path viewer = config("kubeconfig-stage-viewer");
  ASSERT_NO_FATAL_FAILURE(warm_discovery());
  const std::string token = eks_token("sandbox");
  ASSERT_EQ(token.rfind("k8s-aws-v1.", 0), 0U) << token;
  ASSERT_NO_FATAL_FAILURE(expect_lists_namespaces(viewer, {}, {"--token", token}));
  const KubeRun garbage =
      kubectl_env(*sandbox_, {"get", "namespaces", "--token", "k8s-aws-v1.Zm9v"}, viewer, {});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_EQ(garbage.err, kUnauthorizedLine);
}

TEST_F(KubeAuth, EksTokenForAnotherClusterIsRefused) {
  // The token signs x-k8s-aws-id: other; the server replays it with x-k8s-aws-id: sandbox, so
  // real STS answers SignatureDoesNotMatch and the API server says 401. moto checks no
  // signatures, so the simulator has to: this fails while it relies on moto alone.
  ASSERT_NO_FATAL_FAILURE(warm_discovery());
  const std::string token = eks_token("other-cluster");
  ASSERT_FALSE(token.empty());
  const KubeRun r =
      kubectl_env(*sandbox_, {"get", "namespaces", "--token", token}, config("kubeconfig-stage-viewer"), {});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(r.err, kUnauthorizedLine);
}

TEST_F(KubeAuth, NoOrWrongCredentialsAre401WithStatus) {
  ASSERT_NO_FATAL_FAILURE(expect_unauthorized_status(raw_get("")));
  ASSERT_NO_FATAL_FAILURE(expect_unauthorized_status(raw_get("Bearer not-a-token")));
  ASSERT_NO_FATAL_FAILURE(warm_discovery());
  const KubeRun r = kubectl(*sandbox_, {"get", "namespaces", "--token", "not-a-token"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, kUnauthorizedLine);
}

TEST_F(KubeAuth, StageViewerReadsStageOnly) {
  const fs::path viewer = config("kubeconfig-stage-viewer");
  const KubeRun stage = kubectl(*sandbox_, {"get", "jobs", "-n", "udab"}, viewer);
  EXPECT_EQ(stage.exit_code, 0) << describe_run("get jobs -n udab", stage);
  EXPECT_EQ(stage.err.find("Forbidden"), std::string::npos) << stage.err;
  const KubeRun prod = kubectl(*sandbox_, {"get", "jobs", "-n", "udab-prod"}, viewer);
  EXPECT_EQ(prod.exit_code, 1);
  EXPECT_EQ(prod.err,
            "Error from server (Forbidden): jobs.batch is forbidden: User \"stage-viewer\" cannot list "
            "resource \"jobs\" in API group \"batch\" in the namespace \"udab-prod\"\n");
  const KubeRun del = kubectl(*sandbox_, {"delete", "job", "kc-auth-x", "-n", "udab"}, viewer);
  EXPECT_EQ(del.exit_code, 1);
  EXPECT_EQ(del.err,
            "Error from server (Forbidden): jobs.batch \"kc-auth-x\" is forbidden: User \"stage-viewer\" "
            "cannot delete resource \"jobs\" in API group \"batch\" in the namespace \"udab\"\n");
}

TEST_F(KubeAuth, UntrustedCaFailsTls) {
  const fs::path ca = dir_ / "other-ca.crt";
  kubesim::write_self_signed_ca(ca, dir_ / "other-ca.key", "not-the-sandbox-ca");
  std::ifstream in(ca);
  const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ifstream original(config("kubeconfig"));
  std::string kubeconfig((std::istreambuf_iterator<char>(original)), std::istreambuf_iterator<char>());
  const std::regex ca_line("certificate-authority-data: .*");
  ASSERT_TRUE(std::regex_search(kubeconfig, ca_line)) << kubeconfig;
  kubeconfig = std::regex_replace(kubeconfig, ca_line, "certificate-authority-data: \"" + base64(pem) + "\"");
  const fs::path copy = dir_ / "kubeconfig-wrong-ca";
  std::ofstream(copy) << kubeconfig;
  const KubeRun r = kubectl(*sandbox_, {"get", "namespaces", "-o", "name"}, copy);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("x509: certificate signed by unknown authority"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mgate::sandbox::testing
