// The scenario steps on the simulated cluster: the migration Jobs (the Secret they read), and
// the connection to the API server they go through.

#include <httplib.h>

#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "tests/sandbox/command.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/scenario_steps.hpp"

namespace mgate::sandbox {
namespace {

using backend::ErrorCode;
using backend::make_error;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kScriptAnnotation = "kubesim.mgate.dev/script";
constexpr const char* kDbSecret = "udab-db";
constexpr auto kJobTimeout = std::chrono::seconds(90);
constexpr auto kPoll = std::chrono::milliseconds(200);

// The bearer token of the admin kubeconfig (`    token: "..."`, as kubeconfig_writer writes it).
Result<std::string> read_token(const std::filesystem::path& kubeconfig) {
  std::ifstream in(kubeconfig);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t at = line.find("token:");
    if (at == std::string::npos) continue;
    std::string value = line.substr(at + 6);
    value.erase(0, value.find_first_not_of(" \t\"'"));
    value.erase(value.find_last_not_of(" \t\"'\r") + 1);
    if (!value.empty()) return value;
  }
  return make_error(ErrorCode::kNotFound, fmt::format("no token in {}", kubeconfig.string()));
}

std::string jobs_path() { return fmt::format("/apis/batch/v1/namespaces/{}/jobs", kScenarioNamespace); }

std::string api_failure(const std::string& what, const KubeReply& r) {
  return fmt::format("{}: HTTP {}: {}", what, r.status, r.body.value("message", r.body.dump()));
}

// The Secret the Jobs' envFrom names; one per sandbox, so an existing one is kept.
Status ensure_db_secret(const StepContext& ctx) {
  const Json secret = {{"apiVersion", "v1"},
                       {"kind", "Secret"},
                       {"metadata", {{"name", kDbSecret}}},
                       {"type", "Opaque"},
                       {"stringData", {{"DATABASE_URL", ctx.sandbox.database_url(kScenarioDatabase)}}}};
  auto r = ctx.kube.call("POST", fmt::format("/api/v1/namespaces/{}/secrets", kScenarioNamespace), secret);
  if (!r) return r.error();
  if (r->status != 201 && r->status != 409) {
    return make_error(ErrorCode::kProtocol, api_failure("create secret " + std::string(kDbSecret), *r));
  }
  return backend::ok_status();
}

// The common migration Job of the stage environment for `sha`.
Json migration_job(const std::string& sha, const Json& arg) {
  const Json labels = {{"component", "migration"}, {"app.kubernetes.io/name", "udab-server"}};
  Json pod_meta = {{"labels", labels}};
  if (arg.contains("script")) pod_meta["annotations"] = {{kScriptAnnotation, arg["script"].dump()}};
  const Json container = {
      {"name", "migrate"},
      {"image", fmt::format("{}:stage-{}", kScenarioImage, sha)},
      {"command", {"/migrate.sh"}},
      {"env", Json::array({{{"name", "IMAGE_SHA"}, {"value", sha}}})},
      {"envFrom", Json::array({{{"secretRef", {{"name", kDbSecret}}}}})}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", "db-migration-" + sha.substr(0, 7)}, {"labels", labels}}},
          {"spec",
           {{"backoffLimit", arg.value("backoffLimit", 3)},
            {"ttlSecondsAfterFinished", 3600},
            {"template",
             {{"metadata", pod_meta},
              {"spec",
               {{"restartPolicy", arg.value("restartPolicy", "OnFailure")},
                {"containers", Json::array({container})}}}}}}}};
}

// "Complete" / "Failed" once a finished condition is True, else "".
std::string finished(const Json& job) {
  for (const Json& c : job["status"].value("conditions", Json::array())) {
    const std::string type = c.value("type", "");
    if ((type == "Complete" || type == "Failed") && c.value("status", "") == "True") return type;
  }
  return "";
}

Result<Json> job_pods(const StepContext& ctx, const std::string& name) {
  auto r = ctx.kube.call("GET", fmt::format("/api/v1/namespaces/{}/pods?labelSelector=batch.kubernetes.io%2Fjob-name%3D{}",
                                            kScenarioNamespace, name));
  if (!r) return r.error();
  if (r->status != 200) return make_error(ErrorCode::kProtocol, api_failure("list pods of " + name, *r));
  return r->body.value("items", Json::array());
}

std::string pod_log(const StepContext& ctx, const Json& pod) {
  auto r = ctx.kube.call("GET", fmt::format("/api/v1/namespaces/{}/pods/{}/log", kScenarioNamespace,
                                            pod["metadata"].value("name", "")));
  if (!r) return r.error().describe();
  return r->body.is_string() ? r->body.get<std::string>() : r->body.dump();
}

// For a failure message: the Job's conditions and its newest pod's log.
std::string evidence(const StepContext& ctx, const std::string& name, const Json& job) {
  std::string text = "conditions " + job["status"].value("conditions", Json::array()).dump();
  auto pods = job_pods(ctx, name);
  if (pods && !pods->empty()) text += "; log of " + pods->back()["metadata"].value("name", "") + ":\n" +
                                      tail_lines(pod_log(ctx, pods->back()), 15);
  return text;
}

// True when a pod of the Job runs and its log already holds `last_line`.
bool pod_running(const StepContext& ctx, const std::string& name, const std::string& last_line) {
  auto pods = job_pods(ctx, name);
  if (!pods) return false;
  for (const Json& pod : *pods) {
    if (pod["status"].value("phase", "") != "Running") continue;
    if (last_line.empty() || pod_log(ctx, pod).find(last_line) != std::string::npos) return true;
  }
  return false;
}

// Creates the Job and waits for `expect`: "Complete", "Failed" or "Running".
Status create_and_wait(const StepContext& ctx, const Json& job, const std::string& expect,
                       const std::string& last_line) {
  const std::string name = job["metadata"]["name"];
  if (auto s = ensure_db_secret(ctx); !s) return s;
  auto created = ctx.kube.call("POST", jobs_path(), job);
  if (!created) return created.error();
  if (created->status != 201) return make_error(ErrorCode::kProtocol, api_failure("create job " + name, *created));
  const auto deadline = Clock::now() + kJobTimeout;
  Json current;
  while (Clock::now() < deadline) {
    auto got = ctx.kube.call("GET", jobs_path() + "/" + name);
    if (!got) return got.error();
    current = got->body;
    const std::string done = finished(current);
    if (done == expect) return backend::ok_status();
    if (!done.empty()) {
      return make_error(ErrorCode::kConflict, fmt::format("job {} ended {}, not {}", name, done, expect),
                        evidence(ctx, name, current));
    }
    if (expect == "Running" && pod_running(ctx, name, last_line)) return backend::ok_status();
    std::this_thread::sleep_for(kPoll);
  }
  return make_error(ErrorCode::kTimeout,
                    fmt::format("job {} not {} after {} s", name, expect, kJobTimeout.count()),
                    evidence(ctx, name, current));
}

}  // namespace

KubeApi::KubeApi(std::unique_ptr<httplib::SSLClient> client, std::string token)
    : client_(std::move(client)), token_(std::move(token)) {}

KubeApi::~KubeApi() = default;

Result<std::unique_ptr<KubeApi>> KubeApi::connect(const Sandbox& sandbox) {
  const std::string url = sandbox.kube_url();
  if (url.empty()) return make_error(ErrorCode::kInvalidArgument, "the sandbox runs no simulated cluster");
  auto token = read_token(sandbox.kube_dir() / "kubeconfig");
  if (!token) return token.error();
  const std::string host_port = url.substr(url.find("//") + 2);
  const std::size_t colon = host_port.rfind(':');
  auto client = std::make_unique<httplib::SSLClient>(host_port.substr(0, colon),
                                                     std::stoi(host_port.substr(colon + 1)));
  client->set_ca_cert_path((sandbox.kube_dir() / "pki/ca.crt").string());
  client->enable_server_certificate_verification(true);
  client->set_connection_timeout(std::chrono::seconds(5));
  client->set_read_timeout(std::chrono::seconds(30));
  return std::unique_ptr<KubeApi>(new KubeApi(std::move(client), *token));
}

Result<KubeReply> KubeApi::call(const std::string& method, const std::string& path, const Json& body) {
  const httplib::Headers headers = {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
  const std::string text = body.is_null() ? std::string() : body.dump();
  httplib::Result r = method == "GET"    ? client_->Get(path, headers)
                      : method == "POST" ? client_->Post(path, headers, text, "application/json")
                                         : client_->Put(path, headers, text, "application/json");
  if (!r) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("{} {}: {}", method, path, httplib::to_string(r.error())), "", true);
  }
  KubeReply reply{r->status, Json::parse(r->body, nullptr, false)};
  if (reply.body.is_discarded()) reply.body = r->body;  // a log is text
  return reply;
}

Status step_migration_job(const StepContext& ctx, const Json& arg) {
  const std::string sha = sha_of(ctx, arg.value("sha", ""));
  return create_and_wait(ctx, migration_job(sha, arg), arg.value("expect", "Complete"), "");
}

Status step_scripted_job(const StepContext& ctx, const Json& arg) {
  const std::string sha = sha_of(ctx, arg.value("sha", ""));
  const Json script = arg.value("script", Json::object());
  const bool hang = script.value("hang", false);
  std::string last_line;
  const Json attempts = script.value("attempts", Json::array());
  if (hang && !attempts.empty() && !attempts[0].value("stdout", Json::array()).empty()) {
    last_line = attempts[0]["stdout"].back().get<std::string>();
  }
  return create_and_wait(ctx, migration_job(sha, arg), arg.value("expect", hang ? "Running" : "Complete"),
                         last_line);
}

}  // namespace mgate::sandbox
