#include "tests/integration/kube_migration_support.hpp"

#include <gtest/gtest.h>

#include <httplib.h>
#include <openssl/evp.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <thread>

namespace mgate::sandbox::testing {

namespace {

using nlohmann::json;

// The kubeconfig's `token: "..."` line; the writer quotes values as JSON strings.
std::string read_token(const std::filesystem::path& kubeconfig) {
  std::ifstream in(kubeconfig);
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find("token: ");
    if (at == std::string::npos || line.find_first_not_of(' ') != at) continue;
    const json value = json::parse(line.substr(at + 7), nullptr, false);
    if (value.is_string()) return value.get<std::string>();
  }
  return {};
}

ApiReply reply_of(const httplib::Result& res) {
  ApiReply out;
  if (!res) {
    out.body = httplib::to_string(res.error());
    return out;
  }
  out.status = res->status;
  out.body = res->body;
  out.json = json::parse(res->body, nullptr, false);
  if (out.json.is_discarded()) out.json = nullptr;
  return out;
}

bool has_true_condition(const json& job, const char* type) {
  for (const json& c : job.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  }
  return false;
}

}  // namespace

KubeApi::KubeApi(const Sandbox& sandbox)
    : ca_((sandbox.kube_dir() / "pki" / "ca.crt").string()),
      token_(read_token(sandbox.kube_dir() / "kubeconfig")) {
  const std::string url = sandbox.kube_url();
  port_ = std::stoi(url.substr(url.rfind(':') + 1));
}

ApiReply KubeApi::get(const std::string& path) const {
  httplib::SSLClient client("127.0.0.1", port_);
  client.set_ca_cert_path(ca_.c_str());
  client.enable_server_certificate_verification(true);
  client.set_bearer_token_auth(token_);
  client.set_read_timeout(std::chrono::seconds(20));
  return reply_of(client.Get(path));
}

ApiReply KubeApi::post(const std::string& path, const nlohmann::json& body) const {
  httplib::SSLClient client("127.0.0.1", port_);
  client.set_ca_cert_path(ca_.c_str());
  client.enable_server_certificate_verification(true);
  client.set_bearer_token_auth(token_);
  client.set_read_timeout(std::chrono::seconds(20));
  return reply_of(client.Post(path, body.dump(), "application/json"));
}

std::vector<json> job_pods(const KubeApi& api, const std::string& name) {
  const ApiReply r = api.get("/api/v1/namespaces/udab/pods?labelSelector=job-name%3D" + name);
  std::vector<json> pods;
  if (r.status != 200 || !r.json.is_object()) return pods;
  for (const json& p : r.json.value("items", json::array())) pods.push_back(p);
  std::stable_sort(pods.begin(), pods.end(), [](const json& a, const json& b) {
    return a["metadata"].value("creationTimestamp", "") < b["metadata"].value("creationTimestamp", "");
  });
  return pods;
}

JobHistory watch_job(const KubeApi& api, const std::string& name, std::chrono::seconds timeout,
                     const PodObserver& observe) {
  JobHistory h;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const json& pod : job_pods(api, name)) {
      const std::string pod_name = pod["metadata"].value("name", "");
      h.pods.insert(pod_name);
      for (const json& cs : pod.value("status", json::object()).value("containerStatuses", json::array())) {
        int& most = h.max_restarts[pod_name];
        most = std::max(most, cs.value("restartCount", 0));
        const std::string reason =
            cs.value("state", json::object()).value("waiting", json::object()).value("reason", "");
        if (!reason.empty() && std::find(h.waiting_reasons.begin(), h.waiting_reasons.end(), reason) ==
                                   h.waiting_reasons.end()) {
          h.waiting_reasons.push_back(reason);
        }
      }
      if (observe) observe(pod);
    }
    const ApiReply r = api.get("/apis/batch/v1/namespaces/udab/jobs/" + name);
    if (r.status == 200) h.job = r.json;
    if (has_true_condition(h.job, "Complete") || has_true_condition(h.job, "Failed")) {
      h.finished = true;
      return h;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return h;
}

std::vector<std::string> condition_types(const json& job) {
  std::vector<std::string> out;
  for (const json& c : job.value("status", json::object()).value("conditions", json::array())) {
    out.push_back(c.value("type", ""));
  }
  return out;
}

json job_condition(const json& job, const std::string& type) {
  for (const json& c : job.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

int event_count(const KubeApi& api, const std::string& name, const std::string& reason) {
  const ApiReply r = api.get("/api/v1/namespaces/udab/events");
  int total = 0;
  if (r.status != 200 || !r.json.is_object()) return -1;
  for (const json& e : r.json.value("items", json::array())) {
    if (e["involvedObject"].value("name", "") == name && e.value("reason", "") == reason) {
      total += e.value("count", 1);
    }
  }
  return total;
}

std::string random_sha() {
  std::random_device rd;
  std::string sha;
  while (sha.size() < 40) sha += fmt::format("{:08x}", rd());
  return sha.substr(0, 40);
}

std::string sha256_digest(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex = "sha256:";
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

CommandResult aws_ecr(const Sandbox& sandbox, const std::vector<std::string>& args) {
  Command c;
  c.argv = {"aws", "--endpoint-url", sandbox.moto_url(), "--region", "us-east-1", "--output", "json", "ecr"};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.env = sandbox_env(sandbox);
  auto r = run_command(c);
  if (!r.ok()) return CommandResult{-1, 0, "", r.error().describe()};
  return *r;
}

std::string docker_config_for(const std::string& sha) {
  return fmt::format(R"({{"architecture":"amd64","os":"linux","build":"{}"}})", sha);
}

std::string docker_manifest_for(const std::string& sha) {
  const std::string config = docker_config_for(sha);
  const nlohmann::json manifest = {{"schemaVersion", 2},
                                   {"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
                                   {"config",
                                    {{"mediaType", "application/vnd.docker.container.image.v1+json"},
                                     {"size", config.size()},
                                     {"digest", sha256_digest(config)}}},
                                   {"layers", nlohmann::json::array()}};
  return manifest.dump(3);
}

std::string push_ecr_image(const Sandbox& sandbox, const std::filesystem::path& dir, const std::string& repository,
                           const std::string& tag, const std::string& sha) {
  const std::string bytes = docker_manifest_for(sha);
  const std::string digest = sha256_digest(bytes);
  const auto file = dir / (sha + ".json");
  std::ofstream(file, std::ios::binary) << bytes;
  const CommandResult r = aws_ecr(sandbox, {"put-image", "--repository-name", repository, "--image-tag", tag,
                                            "--image-manifest", "file://" + file.string(), "--image-manifest-media-type",
                                            "application/vnd.docker.distribution.manifest.v2+json", "--image-digest",
                                            digest});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  return r.exit_code == 0 ? digest : std::string();
}

}  // namespace mgate::sandbox::testing
