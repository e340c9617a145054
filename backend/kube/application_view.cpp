// Deployments, Argo CD Applications and Argo CD Image Updater settings read from API JSON.

#include <algorithm>

#include "backend/core/strings.hpp"
#include "backend/kube/view_json.hpp"
#include "backend/kube/views.hpp"

namespace mgate::backend::kube {

namespace {

constexpr std::string_view kUpdaterPrefix = "argocd-image-updater.argoproj.io/";

/// The pieces of a comma-separated list, trimmed, empty ones dropped.
std::vector<std::string> comma_list(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string& piece : split(text, ',')) {
    const std::string_view t = trim(piece);
    if (!t.empty()) out.emplace_back(t);
  }
  return out;
}

/// One ImageUpdater commonUpdateSettings block; nothing where the block leaves a field unset.
struct UpdateSettings {
  std::optional<std::string> update_strategy;
  std::optional<std::string> allow_tags;
  std::optional<std::vector<std::string>> ignore_tags;
};

UpdateSettings read_settings(const Fields& owner) {
  const Fields s = owner.object("commonUpdateSettings");
  UpdateSettings out{s.optional_string("updateStrategy"), s.optional_string("allowTags"), std::nullopt};
  if (s.has("ignoreTags")) out.ignore_tags = s.strings("ignoreTags");
  return out;
}

/// `inner` where it sets a field, else `outer` (image over applicationRef over spec).
UpdateSettings merge(const UpdateSettings& outer, const UpdateSettings& inner) {
  return UpdateSettings{inner.update_strategy ? inner.update_strategy : outer.update_strategy,
                        inner.allow_tags ? inner.allow_tags : outer.allow_tags,
                        inner.ignore_tags ? inner.ignore_tags : outer.ignore_tags};
}

}  // namespace

std::optional<std::string> DeploymentView::image_of(std::string_view container) const {
  for (const auto& c : containers) {
    if (c.name == container) return c.image;
  }
  return std::nullopt;
}

bool DeploymentView::rolled_out() const {
  return observed_generation >= generation && updated == replicas && available == replicas &&
         status_replicas == replicas;
}

Result<DeploymentView> parse_deployment(const Json& deployment) {
  const Fields f(deployment, "Deployment");
  DeploymentView v;
  v.name = f.required_string("metadata.name");
  v.namespace_ = f.string("metadata.namespace");
  v.generation = f.integer("metadata.generation");
  for (const Fields& c : f.objects("spec.template.spec.containers")) {
    v.containers.push_back(DeploymentContainer{c.required_string("name"), c.string("image")});
  }
  v.replicas = f.integer("spec.replicas", 1);
  v.status_replicas = f.integer("status.replicas");
  v.ready = f.integer("status.readyReplicas");
  v.updated = f.integer("status.updatedReplicas");
  v.available = f.integer("status.availableReplicas");
  v.observed_generation = f.integer("status.observedGeneration");
  if (f.error()) return *f.error();
  return v;
}

ImageUpdaterAnnotations parse_image_updater_annotations(
    const std::map<std::string, std::string>& annotations) {
  const auto get = [&](const std::string& key) -> std::string {
    const auto it = annotations.find(std::string(kUpdaterPrefix) + key);
    return it == annotations.end() ? std::string() : it->second;
  };
  ImageUpdaterAnnotations out;
  out.write_back_method = get("write-back-method");
  for (const std::string& entry : comma_list(get("image-list"))) {
    UpdaterImage image;
    std::string_view ref = entry;
    const std::size_t eq = ref.find('=');
    if (eq != std::string_view::npos) {
      image.alias = std::string(trim(ref.substr(0, eq)));
      ref = trim(ref.substr(eq + 1));
    }
    // "alias=image:constraint": the constraint sits where a tag would ("nginx:1.x", "host:5000/app:~1").
    image.image = std::string(image_name(ref));
    image.constraint = std::string(image_tag(ref));
    // Per-image options are keyed by the alias; an entry without one has none.
    if (!image.alias.empty()) {
      image.update_strategy = get(image.alias + ".update-strategy");
      image.allow_tags = get(image.alias + ".allow-tags");
      image.ignore_tags = comma_list(get(image.alias + ".ignore-tags"));
    }
    out.images.push_back(std::move(image));
  }
  return out;
}

Result<ApplicationView> parse_application(const Json& application) {
  const Fields f(application, "Application");
  ApplicationView v;
  v.name = f.required_string("metadata.name");
  v.namespace_ = f.string("metadata.namespace");
  v.sync_status = f.string("status.sync.status");
  v.sync_revision = f.string("status.sync.revision");
  if (v.sync_revision.empty()) {
    // Multi-source Applications report one revision per source.
    const auto revisions = f.strings("status.sync.revisions");
    if (!revisions.empty()) v.sync_revision = revisions.front();
  }
  v.health_status = f.string("status.health.status");
  v.health_message = f.string("status.health.message");
  const Fields op = f.object("status.operationState");
  v.operation_phase = op.string("phase");
  v.operation_message = op.string("message");
  v.operation_started = op.optional_time("startedAt");
  v.operation_finished = op.optional_time("finishedAt");
  v.operation_revision = op.string("syncResult.revision");
  if (v.operation_revision.empty()) {
    const auto revisions = op.strings("syncResult.revisions");
    if (!revisions.empty()) v.operation_revision = revisions.front();
  }
  v.image_updater = parse_image_updater_annotations(f.string_map("metadata.annotations"));
  if (f.error()) return *f.error();
  return v;
}

Result<ImageUpdaterView> parse_image_updater(const Json& image_updater) {
  const Fields f(image_updater, "ImageUpdater");
  ImageUpdaterView v;
  v.name = f.required_string("metadata.name");
  v.namespace_ = f.string("metadata.namespace");
  const Fields spec = f.object("spec");
  v.target_namespace = spec.string("namespace");
  const UpdateSettings spec_settings = read_settings(spec);
  const std::string spec_method = spec.string("writeBackConfig.method");
  for (const Fields& ref : spec.objects("applicationRefs")) {
    ImageUpdaterApp app;
    app.name_pattern = ref.required_string("namePattern");
    app.write_back_method = ref.optional_string("writeBackConfig.method").value_or(spec_method);
    const UpdateSettings ref_settings = merge(spec_settings, read_settings(ref));
    for (const Fields& img : ref.objects("images")) {
      const UpdateSettings s = merge(ref_settings, read_settings(img));
      UpdaterImage image;
      image.alias = img.required_string("alias");
      image.image = img.required_string("imageName");
      image.update_strategy = s.update_strategy.value_or("");
      image.allow_tags = s.allow_tags.value_or("");
      image.ignore_tags = s.ignore_tags.value_or(std::vector<std::string>{});
      app.images.push_back(std::move(image));
    }
    v.apps.push_back(std::move(app));
  }
  if (f.error()) return *f.error();
  return v;
}

}  // namespace mgate::backend::kube
