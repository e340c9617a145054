// Deployment, Argo CD Application and ImageUpdater views, from inline objects shaped as the API
// serves them (the ImageUpdater after argoproj-labs/argocd-image-updater api/v1alpha1).

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/core/time.hpp"
#include "backend/kube/views.hpp"

namespace mgate::backend::kube {
namespace {

using Strings = std::vector<std::string>;

TEST(DeploymentView, ImagesAndRollout) {
  const Json json = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "api"}, {"namespace", "stage"}, {"generation", 5}}},
      {"spec",
       {{"replicas", 3},
        {"template",
         {{"spec",
           {{"containers",
             {{{"name", "api"}, {"image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:stage-0123abc"}},
              {{"name", "proxy"}, {"image", "envoyproxy/envoy:v1.31.0"}}}}}}}}}},
      {"status",
       {{"observedGeneration", 4},
        {"replicas", 3},
        {"readyReplicas", 2},
        {"updatedReplicas", 1},
        {"availableReplicas", 2}}}};
  auto d = parse_deployment(json);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->name, "api");
  EXPECT_EQ(d->namespace_, "stage");
  ASSERT_EQ(d->containers.size(), 2u);
  EXPECT_EQ(d->containers[1].name, "proxy");
  EXPECT_EQ(d->image_of("api"), "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:stage-0123abc");
  EXPECT_EQ(d->image_of("proxy"), "envoyproxy/envoy:v1.31.0");
  EXPECT_EQ(d->image_of("worker"), std::nullopt);
  EXPECT_EQ(d->replicas, 3);
  EXPECT_EQ(d->status_replicas, 3);
  EXPECT_EQ(d->ready, 2);
  EXPECT_EQ(d->updated, 1);
  EXPECT_EQ(d->available, 2);
  EXPECT_EQ(d->generation, 5);
  EXPECT_EQ(d->observed_generation, 4);
  EXPECT_FALSE(d->rolled_out());

  Json done = json;
  done["status"] = {{"observedGeneration", 5},
                    {"replicas", 3},
                    {"readyReplicas", 3},
                    {"updatedReplicas", 3},
                    {"availableReplicas", 3}};
  EXPECT_TRUE(parse_deployment(done)->rolled_out());
  // spec.replicas absent means 1 (the API's default); a fresh Deployment has no status yet.
  Json fresh = json;
  fresh["spec"].erase("replicas");
  fresh.erase("status");
  auto f = parse_deployment(fresh);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->replicas, 1);
  EXPECT_EQ(f->available, 0);
  EXPECT_FALSE(f->rolled_out());

  Json bad = json;
  bad["spec"]["template"]["spec"]["containers"][0].erase("name");
  auto b = parse_deployment(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message, "Deployment: spec.template.spec.containers[0].name is missing");
}

Json application() {
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Application"},
          {"metadata",
           {{"name", "app-stage"},
            {"namespace", "argocd"},
            {"annotations",
             {{"argocd-image-updater.argoproj.io/image-list",
               "app=123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:~1.2, registry.local:5000/tools/cli"},
              {"argocd-image-updater.argoproj.io/app.update-strategy", "newest-build"},
              {"argocd-image-updater.argoproj.io/app.allow-tags", "regexp:^stage-[0-9a-f]{7,40}$"},
              {"argocd-image-updater.argoproj.io/app.ignore-tags", "latest, stage-dev*"},
              {"argocd-image-updater.argoproj.io/write-back-method", "git:secret:argocd/git-creds"}}}}},
          {"status",
           {{"sync", {{"status", "OutOfSync"}, {"revision", "4f1c2e9d0a"}}},
            {"health", {{"status", "Progressing"}, {"message", "Waiting for rollout"}}},
            {"operationState",
             {{"phase", "Failed"},
              {"message", "one or more synchronization tasks completed unsuccessfully"},
              {"startedAt", "2026-11-20T10:00:00Z"},
              {"finishedAt", "2026-11-20T10:03:00Z"},
              {"syncResult", {{"revision", "4f1c2e9d0a"}}}}}}}};
}

TEST(ApplicationView, SyncHealthOperationAndUpdaterAnnotations) {
  auto app = parse_application(application());
  ASSERT_TRUE(app.ok()) << app.error().message;
  EXPECT_EQ(app->name, "app-stage");
  EXPECT_EQ(app->namespace_, "argocd");
  EXPECT_EQ(app->sync_status, "OutOfSync");
  EXPECT_EQ(app->sync_revision, "4f1c2e9d0a");
  EXPECT_EQ(app->health_status, "Progressing");
  EXPECT_EQ(app->health_message, "Waiting for rollout");
  EXPECT_EQ(app->operation_phase, "Failed");
  EXPECT_EQ(app->operation_message, "one or more synchronization tasks completed unsuccessfully");
  EXPECT_EQ(app->operation_started, *parse_rfc3339("2026-11-20T10:00:00Z"));
  EXPECT_EQ(app->operation_finished, *parse_rfc3339("2026-11-20T10:03:00Z"));
  EXPECT_EQ(app->operation_revision, "4f1c2e9d0a");

  const ImageUpdaterAnnotations& u = app->image_updater;
  EXPECT_TRUE(u.enabled());
  EXPECT_EQ(u.write_back_method, "git:secret:argocd/git-creds");
  ASSERT_EQ(u.images.size(), 2u);
  EXPECT_EQ(u.images[0].alias, "app");
  EXPECT_EQ(u.images[0].image, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app");
  EXPECT_EQ(u.images[0].constraint, "~1.2");
  EXPECT_EQ(u.images[0].update_strategy, "newest-build");
  EXPECT_EQ(u.images[0].allow_tags, "regexp:^stage-[0-9a-f]{7,40}$");
  EXPECT_EQ(u.images[0].ignore_tags, (Strings{"latest", "stage-dev*"}));
  EXPECT_EQ(u.images[1].alias, "");
  EXPECT_EQ(u.images[1].image, "registry.local:5000/tools/cli");  // a port is not a constraint
  EXPECT_EQ(u.images[1].constraint, "");
  EXPECT_EQ(u.images[1].update_strategy, "");
}

TEST(ApplicationView, MultiSourceNoUpdaterAndErrors) {
  const Json json = {{"metadata", {{"name", "multi"}}},
                     {"status",
                      {{"sync", {{"status", "Synced"}, {"revisions", {"aaa111", "bbb222"}}}},
                       {"health", {{"status", "Healthy"}}}}}};
  auto app = parse_application(json);
  ASSERT_TRUE(app.ok()) << app.error().message;
  EXPECT_EQ(app->sync_revision, "aaa111");
  EXPECT_EQ(app->operation_phase, "");
  EXPECT_EQ(app->operation_finished, std::nullopt);
  EXPECT_FALSE(app->image_updater.enabled());

  Json bad = application();
  bad["status"]["operationState"]["finishedAt"] = "soon";
  auto b = parse_application(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(b.error().message, "Application: status.operationState.finishedAt is not an RFC 3339 time: soon");
  bad = application();
  bad["metadata"].erase("name");
  EXPECT_EQ(parse_application(bad).error().message, "Application: metadata.name is missing");
}

TEST(ImageUpdaterView, SettingsMergeImageOverRefOverSpec) {
  const Json json = {
      {"apiVersion", "argocd-image-updater.argoproj.io/v1alpha1"},
      {"kind", "ImageUpdater"},
      {"metadata", {{"name", "migrations"}, {"namespace", "argocd"}}},
      {"spec",
       {{"namespace", "argocd"},
        {"commonUpdateSettings", {{"updateStrategy", "semver"}, {"ignoreTags", {"latest"}}}},
        {"writeBackConfig", {{"method", "argocd"}}},
        {"applicationRefs",
         {{{"namePattern", "app-stage*"},
           {"commonUpdateSettings", {{"updateStrategy", "newest-build"}, {"allowTags", "regexp:^stage-"}}},
           {"writeBackConfig", {{"method", "git"}, {"gitConfig", {{"branch", "main"}}}}},
           {"images",
            {{{"alias", "app"},
              {"imageName", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:stage-0123abc"}},
             {{"alias", "cli"},
              {"imageName", "tools/cli:1.0"},
              {"commonUpdateSettings", {{"updateStrategy", "digest"}, {"ignoreTags", Json::array()}}}}}}},
          {{"namePattern", "app-prod"}, {"images", {{{"alias", "app"}, {"imageName", "app:1.0"}}}}}}}}}};
  auto u = parse_image_updater(json);
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->name, "migrations");
  EXPECT_EQ(u->namespace_, "argocd");
  EXPECT_EQ(u->target_namespace, "argocd");
  ASSERT_EQ(u->apps.size(), 2u);
  const ImageUpdaterApp& stage = u->apps[0];
  EXPECT_EQ(stage.name_pattern, "app-stage*");
  EXPECT_EQ(stage.write_back_method, "git");
  ASSERT_EQ(stage.images.size(), 2u);
  EXPECT_EQ(stage.images[0].alias, "app");
  EXPECT_EQ(stage.images[0].image, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:stage-0123abc");
  EXPECT_EQ(stage.images[0].update_strategy, "newest-build");  // the ref's over the spec's
  EXPECT_EQ(stage.images[0].allow_tags, "regexp:^stage-");
  EXPECT_EQ(stage.images[0].ignore_tags, Strings{"latest"});  // inherited from the spec
  EXPECT_EQ(stage.images[1].update_strategy, "digest");
  EXPECT_EQ(stage.images[1].ignore_tags, Strings{});  // an explicit empty list overrides
  const ImageUpdaterApp& prod = u->apps[1];
  EXPECT_EQ(prod.write_back_method, "argocd");
  ASSERT_EQ(prod.images.size(), 1u);
  EXPECT_EQ(prod.images[0].update_strategy, "semver");
  EXPECT_EQ(prod.images[0].allow_tags, "");

  Json bad = json;
  bad["spec"]["applicationRefs"][1]["images"][0].erase("imageName");
  auto b = parse_image_updater(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message, "ImageUpdater: spec.applicationRefs[1].images[0].imageName is missing");
}

}  // namespace
}  // namespace mgate::backend::kube
