// Job cloning for resubmit, judged by the simulated API server's own admission (defaults,
// generated selector, validation): a clone must be accepted as a new Job.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "backend/kube/job_clone.hpp"
#include "tests/sandbox/kubesim/job_admission.hpp"

namespace mgate::backend::kube {
namespace {

using Json = nlohmann::json;

// A Job captured from a real cluster (OpenShift, 2023), owned by a CronJob: see
// ../shared/testdata/kube/README.md.
Json captured_job() {
  const char* shared = std::getenv("MGATE_SHARED_DIR");
  std::ifstream in(std::string(shared ? shared : "../shared") + "/testdata/kube/job-complete-openshift-2023.json");
  return Json::parse(in);
}

TEST(JobClone, DropsWhatTheServerSetAndKeepsTheSpec) {
  const Json source = captured_job();
  const Json clone = clone_job(source, {.name = "example-cj-rerun"});
  EXPECT_EQ(clone["metadata"]["name"], "example-cj-rerun");
  for (const char* key : {"uid", "resourceVersion", "creationTimestamp", "generation", "ownerReferences"}) {
    EXPECT_FALSE(clone["metadata"].contains(key)) << key;
  }
  EXPECT_FALSE(clone.contains("status"));
  EXPECT_FALSE(clone["spec"].contains("selector"));
  EXPECT_FALSE(clone["metadata"].contains("annotations")) << "job-tracking was the only one";
  EXPECT_EQ(clone["metadata"]["labels"], Json({{"backstage.io/kubernetes-id", "nationalparks-py"}}));
  const Json& tl = clone["spec"]["template"]["metadata"]["labels"];
  EXPECT_FALSE(tl.contains("controller-uid"));
  EXPECT_FALSE(tl.contains("job-name"));
  EXPECT_EQ(clone["spec"]["backoffLimit"], source["spec"]["backoffLimit"]);
  EXPECT_EQ(clone["spec"]["template"]["spec"]["containers"], source["spec"]["template"]["spec"]["containers"]);
}

TEST(JobClone, TheServerAcceptsTheCloneButNotTheUnstrippedJob) {
  Json clone = clone_job(captured_job(), {.name = "example-cj-rerun"});
  clone["metadata"]["uid"] = "11111111-2222-4333-8444-555555555555";  // what the server assigns
  mgate::kubesim::prepare_job_for_create(clone);
  EXPECT_TRUE(mgate::kubesim::job_validation_errors(clone).empty());
  EXPECT_EQ(clone["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            "11111111-2222-4333-8444-555555555555");

  // The same Job merely renamed keeps the old selector and labels: the server refuses it.
  Json renamed = captured_job();
  renamed["metadata"] = {{"name", "example-cj-rerun"}, {"uid", "11111111-2222-4333-8444-555555555555"}};
  mgate::kubesim::prepare_job_for_create(renamed);
  EXPECT_FALSE(mgate::kubesim::job_validation_errors(renamed).empty());
}

TEST(JobClone, ArgoTrackingHooksAndInstanceLabelGo) {
  Json source = {
      {"metadata",
       {{"name", "chores-tracker-migration"},
        {"labels", {{"app.kubernetes.io/instance", "chores"}, {"component", "migration"}}},
        {"annotations",
         {{"argocd.argoproj.io/hook", "PreSync"},
          {"argocd.argoproj.io/hook-delete-policy", "BeforeHookCreation"},
          {"argocd.argoproj.io/sync-wave", "-1"},
          {"argocd.argoproj.io/tracking-id", "chores:batch/Job:udab/chores-tracker-migration"},
          {"team", "db"}}}}},
      {"spec",
       {{"template",
         {{"metadata", {{"labels", {{"app.kubernetes.io/instance", "chores"}}}}},
          {"spec",
           {{"restartPolicy", "OnFailure"},
            {"containers", {{{"name", "migrate"}, {"image", "repo:stage-aaa"}},
                            {{"name", "sidecar"}, {"image", "proxy:1"}}}}}}}}}}};
  const Json clone = clone_job(source, {.name = "chores-tracker-migration",
                                        .image = "repo:stage-bbb",
                                        .from_image = "repo:stage-aaa",
                                        .drop_instance_label = true});
  EXPECT_EQ(clone["metadata"]["annotations"], Json({{"team", "db"}}));
  EXPECT_EQ(clone["metadata"]["labels"], Json({{"component", "migration"}}));
  EXPECT_FALSE(clone["spec"]["template"].contains("metadata"));
  EXPECT_EQ(clone["spec"]["template"]["spec"]["containers"][0]["image"], "repo:stage-bbb");
  EXPECT_EQ(clone["spec"]["template"]["spec"]["containers"][1]["image"], "proxy:1");

  const Json kept = clone_job(source, {.name = "x"});
  EXPECT_EQ(kept["metadata"]["labels"]["app.kubernetes.io/instance"], "chores")
      << "kept unless the app tracks by label";
}

TEST(JobClone, PerShaNamesGetAnAttemptSuffixWhenTaken) {
  EXPECT_EQ(next_free_name("db-migration-3f2a1c9", {}), "db-migration-3f2a1c9");
  EXPECT_EQ(next_free_name("db-migration-3f2a1c9", {"db-migration-3f2a1c9"}), "db-migration-3f2a1c9-2");
  EXPECT_EQ(next_free_name("db-migration-3f2a1c9", {"db-migration-3f2a1c9", "db-migration-3f2a1c9-2"}),
            "db-migration-3f2a1c9-3");
}

}  // namespace
}  // namespace mgate::backend::kube
