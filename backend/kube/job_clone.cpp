#include "backend/kube/job_clone.hpp"

namespace mgate::backend::kube {

namespace {

using Json = nlohmann::json;

const char* const kDroppedMetadata[] = {
    "uid",          "resourceVersion",   "creationTimestamp",          "generation",
    "managedFields", "selfLink",         "deletionTimestamp",          "deletionGracePeriodSeconds",
    "ownerReferences", "finalizers",     "generateName"};

const char* const kDroppedAnnotations[] = {
    "argocd.argoproj.io/tracking-id",      "argocd.argoproj.io/hook",
    "argocd.argoproj.io/hook-delete-policy", "argocd.argoproj.io/sync-wave",
    "argocd.argoproj.io/sync-options",     "helm.sh/hook",
    "helm.sh/hook-weight",                 "helm.sh/hook-delete-policy",
    "kubectl.kubernetes.io/last-applied-configuration",
    "batch.kubernetes.io/job-tracking"};

void drop_labels(Json& meta, bool drop_instance) {
  if (!meta.is_object() || !meta.contains("labels") || !meta["labels"].is_object()) return;
  Json& labels = meta["labels"];
  for (const auto& key : kServerSetLabels) labels.erase(key);
  if (drop_instance) labels.erase("app.kubernetes.io/instance");
  if (labels.empty()) meta.erase("labels");
}

void switch_images(Json& pod_spec, const CloneOptions& options) {
  if (!options.image) return;
  for (const char* list : {"initContainers", "containers"}) {
    if (!pod_spec.contains(list)) continue;
    for (Json& c : pod_spec[list]) {
      if (c.value("image", "") == options.from_image) c["image"] = *options.image;
    }
  }
}

}  // namespace

Json clone_job(const Json& source, const CloneOptions& options) {
  Json job = {{"apiVersion", "batch/v1"}, {"kind", "Job"}};
  Json meta = source.value("metadata", Json::object());
  for (const char* key : kDroppedMetadata) meta.erase(key);
  if (meta.contains("annotations") && meta["annotations"].is_object()) {
    for (const char* key : kDroppedAnnotations) meta["annotations"].erase(key);
    if (meta["annotations"].empty()) meta.erase("annotations");
  }
  drop_labels(meta, options.drop_instance_label);
  meta["name"] = options.name;
  job["metadata"] = meta;

  Json spec = source.value("spec", Json::object());
  // The server generates a selector matching the new uid; the old one would match nothing.
  spec.erase("selector");
  spec.erase("manualSelector");
  if (spec.contains("template")) {
    Json& tmpl = spec["template"];
    if (tmpl.contains("metadata")) {
      drop_labels(tmpl["metadata"], options.drop_instance_label);
      tmpl["metadata"].erase("creationTimestamp");
      if (tmpl["metadata"].empty()) tmpl.erase("metadata");
    }
    if (tmpl.contains("spec")) switch_images(tmpl["spec"], options);
  }
  job["spec"] = spec;
  return job;
}

std::string next_free_name(const std::string& base, const std::set<std::string>& taken) {
  if (!taken.count(base)) return base;
  for (int attempt = 2;; ++attempt) {
    std::string name = base + "-" + std::to_string(attempt);
    if (!taken.count(name)) return name;
  }
}

}  // namespace mgate::backend::kube
