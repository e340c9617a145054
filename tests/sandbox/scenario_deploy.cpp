// The scenario steps for what runs the code: the udab-server Deployment and the Argo CD
// Application udab-server-stage, each with the status its controller would have written.

#include <ctime>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/scenario_steps.hpp"

namespace mgate::sandbox {
namespace {

using backend::ErrorCode;
using backend::make_error;
using Json = nlohmann::json;

constexpr const char* kDeployment = "udab-server";
constexpr const char* kApplication = "udab-server-stage";
constexpr const char* kDeployRepo = "https://github.com/example/udab-deploy.git";

std::string now_rfc3339() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

std::string failure(const std::string& what, const KubeReply& r) {
  return fmt::format("{}: HTTP {}: {}", what, r.status, r.body.value("message", r.body.dump()));
}

// The pod-template-hash the Deployment controller would give this template's ReplicaSet: ten
// characters of the alphabet the controller encodes hashes with.
std::string template_hash(const std::string& image) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  const std::string hex = sha256_digest(image).substr(7);
  std::string out;
  for (std::size_t i = 0; i < 10; ++i) out += kAlphabet[std::stoul(hex.substr(2 * i, 2), nullptr, 16) % kAlphabet.size()];
  return out;
}

Json deployment_object(const std::string& image) {
  const Json selector = {{"app.kubernetes.io/name", "udab-server"}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata",
           {{"name", kDeployment},
            {"labels", {{"app.kubernetes.io/name", "udab-server"}, {"app.kubernetes.io/instance", kApplication}}}}},
          {"spec",
           {{"replicas", 2},
            {"selector", {{"matchLabels", selector}}},
            {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}}},
            {"template",
             {{"metadata", {{"labels", selector}}},
              {"spec",
               {{"containers",
                 Json::array({{{"name", "app"},
                               {"image", image},
                               {"ports", Json::array({{{"containerPort", 8000}, {"protocol", "TCP"}}})},
                               {"envFrom", Json::array({{{"secretRef", {{"name", "udab-db"}}}}})}}})}}}}}}}};
}

// What the Deployment controller reports once both replicas of the template are available.
Json deployment_status(std::int64_t generation, const std::string& image) {
  const std::string now = now_rfc3339();
  const auto condition = [&](const char* type, const char* reason, const std::string& message) {
    return Json{{"type", type},          {"status", "True"},   {"lastUpdateTime", now},
                {"lastTransitionTime", now}, {"reason", reason}, {"message", message}};
  };
  return {{"observedGeneration", generation},
          {"replicas", 2},
          {"updatedReplicas", 2},
          {"readyReplicas", 2},
          {"availableReplicas", 2},
          {"conditions",
           Json::array({condition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                        condition("Progressing", "NewReplicaSetAvailable",
                                  fmt::format("ReplicaSet \"{}-{}\" has successfully progressed.", kDeployment,
                                              template_hash(image)))})}};
}

// POST, or when it exists the current object with the new image (PUT, a new generation).
Result<Json> create_or_replace_deployment(const StepContext& ctx, const std::string& image) {
  const std::string base = fmt::format("/apis/apps/v1/namespaces/{}/deployments", kScenarioNamespace);
  auto created = ctx.kube.call("POST", base, deployment_object(image));
  if (!created) return created.error();
  if (created->status == 201) return created->body;
  if (created->status != 409) return make_error(ErrorCode::kProtocol, failure("create deployment", *created));
  auto current = ctx.kube.call("GET", base + "/" + kDeployment);
  if (!current) return current.error();
  Json object = current->body;
  for (Json& c : object["spec"]["template"]["spec"]["containers"]) {
    if (c.value("name", "") == "app") c["image"] = image;
  }
  auto replaced = ctx.kube.call("PUT", base + "/" + kDeployment, object);
  if (!replaced) return replaced.error();
  if (replaced->status != 200) return make_error(ErrorCode::kProtocol, failure("replace deployment", *replaced));
  return replaced->body;
}

Json application_object(const std::string& image, const std::string& revision) {
  const std::string now = now_rfc3339();
  const Json source = {{"repoURL", kDeployRepo}, {"path", "overlays/stage"}, {"targetRevision", "main"}};
  const Json destination = {{"server", "https://kubernetes.default.svc"}, {"namespace", kScenarioNamespace}};
  const Json annotations = {
      {"argocd-image-updater.argoproj.io/image-list", fmt::format("app={}", kScenarioImage)},
      {"argocd-image-updater.argoproj.io/app.allow-tags", "regexp:^stage-migrated-"},
      {"argocd-image-updater.argoproj.io/app.update-strategy", "newest-build"}};
  const Json sync_result = {{"revision", revision}, {"source", source}};
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Application"},
          {"metadata", {{"name", kApplication}, {"annotations", annotations}}},
          {"spec",
           {{"project", "default"},
            {"source", source},
            {"destination", destination},
            {"syncPolicy", {{"automated", {{"prune", true}, {"selfHeal", true}}}}}}},
          {"status",
           {{"sync", {{"status", "Synced"}, {"revision", revision}, {"comparedTo", {{"source", source}, {"destination", destination}}}}},
            {"health", {{"status", "Healthy"}}},
            {"operationState",
             {{"phase", "Succeeded"},
              {"message", "successfully synced (all tasks run)"},
              {"startedAt", now},
              {"finishedAt", now},
              {"operation", {{"sync", {{"revision", revision}}}, {"initiatedBy", {{"automated", true}}}}},
              {"syncResult", sync_result}}},
            {"summary", {{"images", Json::array({image})}}},
            {"sourceType", "Kustomize"},
            {"reconciledAt", now}}}};
}

}  // namespace

Status step_deployment(const StepContext& ctx, const Json& arg) {
  const std::string image = fmt::format("{}:{}", kScenarioImage, arg.value("tag", ""));
  auto object = create_or_replace_deployment(ctx, image);
  if (!object) return object.error();
  const std::int64_t generation = (*object)["metadata"].value("generation", std::int64_t{1});
  // The simulator runs no Deployment controller: the status it would write goes through the
  // status subresource, as the controller's does.
  const Json body = {{"metadata", {{"name", kDeployment}}}, {"status", deployment_status(generation, image)}};
  auto put = ctx.kube.call(
      "PUT", fmt::format("/apis/apps/v1/namespaces/{}/deployments/{}/status", kScenarioNamespace, kDeployment), body);
  if (!put) return put.error();
  if (put->status != 200) return make_error(ErrorCode::kProtocol, failure("update deployment status", *put));
  return backend::ok_status();
}

Status step_application(const StepContext& ctx, const Json& arg) {
  const std::string image = fmt::format("{}:{}", kScenarioImage, arg.value("tag", ""));
  const Json object = application_object(image, sha_of(ctx, arg.value("revision", "")));
  const std::string base = fmt::format("/apis/argoproj.io/v1alpha1/namespaces/{}/applications", kScenarioNamespace);
  // Applications have no status subresource: Argo CD writes status with the object itself.
  auto created = ctx.kube.call("POST", base, object);
  if (!created) return created.error();
  if (created->status == 201) return backend::ok_status();
  if (created->status != 409) return make_error(ErrorCode::kProtocol, failure("create application", *created));
  auto replaced = ctx.kube.call("PUT", base + "/" + kApplication, object);
  if (!replaced) return replaced.error();
  if (replaced->status != 200) return make_error(ErrorCode::kProtocol, failure("replace application", *replaced));
  return backend::ok_status();
}

}  // namespace mgate::sandbox
