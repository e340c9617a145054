#include "tests/sandbox/kube_service.hpp"

#include <cstdlib>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace mgate::sandbox {

using backend::ErrorCode;
using backend::make_error;
using Json = nlohmann::json;

namespace {

std::string random_token() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}{:08x}{:08x}", rd(), rd(), rd(), rd());
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

}  // namespace

KubeService::KubeService(ProcessHost& host, KubeSettings settings)
    : Service(host, "kube"), settings_(std::move(settings)), admin_token_(random_token()) {}

Status KubeService::locate() {
  const std::string wanted = env_or("MGATE_KUBE_SIM", MGATE_KUBE_SIM_BIN);
  const auto found = wanted.empty() ? std::nullopt : find_executable(wanted);
  if (!found) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("mgate-kube-sim not found{}: build the target mgate-kube-sim, or "
                                  "set MGATE_KUBE_SIM to its path",
                                  wanted.empty() ? "" : " at " + wanted));
  }
  program_ = *found;
  return backend::ok_status();
}

std::string KubeService::url() const { return fmt::format("https://{}:{}", kLoopback, port()); }

Status KubeService::write_config() {
  const std::filesystem::path image_root = settings_.source_dir / "tests/sandbox/image";
  const std::string alembic_ini = (settings_.source_dir / "tests/sandbox/app/alembic.ini").string();
  const std::string registry_host = settings_.registry_url.substr(settings_.registry_url.find("//") + 2);
  const Json image_env = {
      {"AWS_ACCESS_KEY_ID", "testing"},
      {"AWS_SECRET_ACCESS_KEY", "testing"},
      {"AWS_DEFAULT_REGION", "us-east-1"},
      {"AWS_ENDPOINT_URL", settings_.moto_url},
      {"ALEMBIC_CONFIG", alembic_ini},
      {"PGPASSFILE", settings_.pgpassfile.string()},
      {"PYTHONDONTWRITEBYTECODE", "1"},
  };
  Json ecr_env = image_env;
  ecr_env["REGISTRY_KIND"] = "ecr";
  ecr_env["REPOSITORY"] = "udab-server";
  Json oci_env = image_env;
  oci_env["REGISTRY_KIND"] = "oci";
  oci_env["REPOSITORY"] = "udab-server";
  oci_env["REGISTRY_URL"] = settings_.registry_url;
  const Json all_rules = Json::array({{{"verbs", {"*"}}, {"resources", {"*"}}, {"namespaces", {"*"}}}});
  const Json config = {
      {"state_dir", dir().string()},
      {"namespaces", {"udab", "udab-prod"}},
      {"default_namespace", "udab"},
      {"cluster_name", "sandbox"},
      {"tokens",
       {{{"token", admin_token_}, {"user", "sandbox-admin"}, {"groups", {"system:masters"}}, {"rules", all_rules}},
        // Read-only on stage (udab), nothing on prod: what a 403 looks like.
        {{"token", random_token()},
         {"user", "stage-viewer"},
         {"rules", {{{"verbs", {"get", "list", "watch"}}, {"resources", {"*"}}, {"namespaces", {"udab"}}}}}}}},
      {"certificate_users", {{{"user", "sandbox-cert-admin"}, {"groups", {"system:masters"}}, {"rules", all_rules}}}},
      {"exec", {{"token", random_token()}, {"user", "sandbox-exec"}, {"rules", all_rules}}},
      {"eks",
       {{"cluster", "sandbox"},
        {"region", "us-east-1"},
        {"sts_endpoint", settings_.moto_url},
        // moto's credentials: the simulator checks token signatures itself (moto does not).
        {"secret_keys", {{"testing", "testing"}}},
        {"rules", all_rules},
        {"env", {{"AWS_ACCESS_KEY_ID", "testing"}, {"AWS_SECRET_ACCESS_KEY", "testing"}}}}},
      {"images",
       {{{"repository", kEcrRepository}, {"root", image_root.string()}, {"entrypoint", {"/migrate.sh"}}, {"env", ecr_env}},
        {{"repository", registry_host + "/udab-server"}, {"root", image_root.string()}, {"entrypoint", {"/migrate.sh"}}, {"env", oci_env}}}},
      {"base_env",
       {{"PATH", env_or("PATH", "/usr/local/bin:/usr/bin:/bin")}, {"HOME", env_or("HOME", "/root")},
        {"LANG", "C.UTF-8"}}},
      {"kubelet", {{"restart_backoff_ms", 1000}, {"max_restart_backoff_ms", 4000}}},
      {"job_controller", {{"pod_backoff_ms", 1000}, {"max_pod_backoff_ms", 4000}}},
  };
  if (auto s = host_.make_work_dir("kube", 0700); !s) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir(), ec)) return s;
  }
  return host_.write_work_file("kube/kubesim.json", config.dump(2) + "\n", 0600);
}

Result<ChildProcess*> KubeService::spawn_on_port() {
  if (auto s = write_config(); !s) return s.error();
  std::error_code ec;
  std::filesystem::remove(dir() / "ready", ec);
  SpawnOptions o;
  o.argv = {program_.string(), "--config", (dir() / "kubesim.json").string(), "--port",
            std::to_string(port())};
  o.cwd = host_.work_dir();
  o.log_file = log_file();
  return host_.spawn_child(name(), o, StopPolicy{SIGTERM, std::chrono::seconds(5)});
}

bool KubeService::probe() {
  std::ifstream in(dir() / "ready");
  if (!in) return false;
  try {
    return Json::parse(in).value("port", 0) == port();
  } catch (const Json::exception&) {
    return false;  // being written
  }
}

}  // namespace mgate::sandbox
