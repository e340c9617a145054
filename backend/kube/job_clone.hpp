#pragma once
// A resubmitted migration Job made from the last one (or a template): what the server and
// Argo CD set is dropped, so the API server accepts it as new (DESIGN.md §6, resubmit).

#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace mgate::backend::kube {

/// How to make the new Job.
struct CloneOptions {
  std::string name{};                 ///< the new Job's metadata.name
  /// The image for every container that ran `from_image` (another sha's built tag); unset:
  /// the images stay.
  std::optional<std::string> image{};
  std::string from_image{};           ///< the image the source ran (for `image`)
  /// Drop the `app.kubernetes.io/instance` label too: Argo CD tracks this app by label, and a
  /// Job carrying it would be taken for part of the app (and pruned).
  bool drop_instance_label = false;
};

/// The labels, annotations and metadata the new Job must not carry, spelled once:
/// the Job controller's selector labels, Argo CD's tracking, and hook annotations.
inline const std::set<std::string> kServerSetLabels = {
    "controller-uid", "batch.kubernetes.io/controller-uid", "job-name",
    "batch.kubernetes.io/job-name"};

/// A Job to create from `source` (a Job as the API serves it, or a template manifest):
/// without spec.selector (and manualSelector), the four selector labels (Job and template),
/// uid, resourceVersion, creationTimestamp, generation, managedFields, selfLink, deletion
/// fields, ownerReferences, finalizers, status; without Argo CD's tracking-id and the hook
/// annotations (argocd.argoproj.io/hook, hook-delete-policy, sync-wave, sync-options;
/// helm.sh/hook, hook-weight, hook-delete-policy), last-applied-configuration and
/// batch.kubernetes.io/job-tracking; named `options.name`, its image switched when asked.
nlohmann::json clone_job(const nlohmann::json& source, const CloneOptions& options);

/// `base` when free, else the first of base-2, base-3, ... not in `taken` (a per-sha name
/// resubmitted again).
std::string next_free_name(const std::string& base, const std::set<std::string>& taken);

}  // namespace mgate::backend::kube
