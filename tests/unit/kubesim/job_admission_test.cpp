#include "tests/sandbox/kubesim/job_admission.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mgate::kubesim {
namespace {

constexpr const char* kUid = "0f6a2c1e-7b4d-4c2a-9e51-3d8f2b6a1c90";
constexpr const char* kName = "db-migration-3f2a1c9";
constexpr const char* kSha = "3f2a1c9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39";

std::string image() {
  return std::string("123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server:stage-") + kSha;
}

// The migration Job as the deploy step submits it.
Json migration_job() {
  return Json{{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", kName}, {"namespace", "udab"}, {"uid", kUid}}},
              {"spec",
               {{"backoffLimit", 3},
                {"ttlSecondsAfterFinished", 3600},
                {"template",
                 {{"spec",
                   {{"restartPolicy", "OnFailure"},
                    {"containers",
                     {{{"name", "migrate"},
                       {"image", image()},
                       {"command", {"/migrate.sh"}},
                       {"env", {{{"name", "IMAGE_SHA"}, {"value", kSha}}}},
                       {"envFrom", {{{"secretRef", {{"name", "db-url"}}}}}}}}}}}}}}}};
}

Json prepared(Json job) {
  prepare_job_for_create(job);
  return job;
}

// The causes of the 422 validate_job throws; fails when it does not throw one.
ApiError invalid_of(const Json& job) {
  try {
    validate_job(job);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "validate_job accepted the Job";
  return ApiError(0, "", "");
}

void expect_causes(const ApiError& e, const std::vector<FieldCause>& want) {
  EXPECT_EQ(e.code(), 422);
  EXPECT_EQ(e.reason(), "Invalid");
  const Json& causes = e.details()["causes"];
  ASSERT_EQ(causes.size(), want.size()) << e.what();
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(causes[i]["field"], want[i].field) << i;
    EXPECT_EQ(causes[i]["reason"], want[i].reason) << i;
    EXPECT_EQ(causes[i]["message"], want[i].message) << i;
  }
}

TEST(JobAdmission, MigrationJobDefaultsFieldByField) {
  const Json job = prepared(migration_job());
  const Json labels = {{"batch.kubernetes.io/controller-uid", kUid},
                       {"batch.kubernetes.io/job-name", kName},
                       {"controller-uid", kUid},
                       {"job-name", kName}};
  const Json& spec = job["spec"];
  EXPECT_EQ(spec["backoffLimit"], 3);
  EXPECT_EQ(spec["ttlSecondsAfterFinished"], 3600);
  EXPECT_EQ(spec["completions"], 1);
  EXPECT_EQ(spec["parallelism"], 1);
  EXPECT_EQ(spec["completionMode"], "NonIndexed");
  EXPECT_EQ(spec["suspend"], false);
  EXPECT_EQ(spec["podReplacementPolicy"], "TerminatingOrFailed");
  EXPECT_FALSE(spec.contains("manualSelector"));
  EXPECT_EQ(spec["selector"], (Json{{"matchLabels", {{"batch.kubernetes.io/controller-uid", kUid}}}}));
  const Json& tmeta = spec["template"]["metadata"];
  EXPECT_TRUE(tmeta.contains("creationTimestamp"));
  EXPECT_TRUE(tmeta["creationTimestamp"].is_null());
  EXPECT_EQ(tmeta["labels"], labels);
  const Json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "OnFailure");
  EXPECT_EQ(pod["dnsPolicy"], "ClusterFirst");
  EXPECT_EQ(pod["schedulerName"], "default-scheduler");
  EXPECT_EQ(pod["securityContext"], Json::object());
  EXPECT_EQ(pod["terminationGracePeriodSeconds"], 30);
  const Json& c = pod["containers"][0];
  EXPECT_EQ(c["name"], "migrate");
  EXPECT_EQ(c["image"], image());
  EXPECT_EQ(c["command"], Json({"/migrate.sh"}));
  EXPECT_EQ(c["env"], (Json{{{"name", "IMAGE_SHA"}, {"value", kSha}}}));
  EXPECT_EQ(c["envFrom"], (Json{{{"secretRef", {{"name", "db-url"}}}}}));
  EXPECT_EQ(c["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(c["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(c["terminationMessagePolicy"], "File");
  EXPECT_EQ(c["resources"], Json::object());
  EXPECT_EQ(job["status"], Json::object());
  // No template labels were given, so the Job itself gets none (the defaulter copies a map).
  EXPECT_FALSE(job["metadata"].contains("labels"));
  EXPECT_EQ(job["metadata"], (Json{{"name", kName}, {"namespace", "udab"}, {"uid", kUid}}));
  EXPECT_FALSE(job["metadata"].contains("generation"));
}

TEST(JobAdmission, MigrationJobWholeObject) {
  Json want = migration_job();
  want["spec"].update(Json{{"completions", 1},
                           {"parallelism", 1},
                           {"completionMode", "NonIndexed"},
                           {"suspend", false},
                           {"podReplacementPolicy", "TerminatingOrFailed"},
                           {"selector", {{"matchLabels", {{"batch.kubernetes.io/controller-uid", kUid}}}}}});
  want["spec"]["template"]["metadata"] = {{"creationTimestamp", nullptr},
                                          {"labels",
                                           {{"batch.kubernetes.io/controller-uid", kUid},
                                            {"batch.kubernetes.io/job-name", kName},
                                            {"controller-uid", kUid},
                                            {"job-name", kName}}}};
  want["spec"]["template"]["spec"].update(Json{{"dnsPolicy", "ClusterFirst"},
                                               {"schedulerName", "default-scheduler"},
                                               {"securityContext", Json::object()},
                                               {"terminationGracePeriodSeconds", 30}});
  want["spec"]["template"]["spec"]["containers"][0].update(
      Json{{"imagePullPolicy", "IfNotPresent"},
           {"terminationMessagePath", "/dev/termination-log"},
           {"terminationMessagePolicy", "File"},
           {"resources", Json::object()}});
  want["status"] = Json::object();
  EXPECT_EQ(prepared(migration_job()), want);
  EXPECT_NO_THROW(validate_job(want));
  EXPECT_TRUE(job_validation_errors(want).empty());
}

TEST(JobAdmission, PullPolicyFollowsTheTag) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"busybox", "Always"},
      {"busybox:latest", "Always"},
      {"localhost:5000/app", "Always"},
      {"localhost:5000/app:1.2", "IfNotPresent"},
      {"busybox@sha256:" + std::string(64, 'a'), "IfNotPresent"},
      {"busybox:latest@sha256:" + std::string(64, 'a'), "Always"},
  };
  for (const auto& [img, policy] : cases) {
    Json job = migration_job();
    job["spec"]["template"]["spec"]["containers"][0]["image"] = img;
    EXPECT_EQ(prepared(job)["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], policy) << img;
  }
  Json given = migration_job();
  given["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Never";
  EXPECT_EQ(prepared(given)["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "Never");
}

TEST(JobAdmission, CountDefaults) {
  Json job = migration_job();
  job["spec"].erase("backoffLimit");
  job["spec"]["parallelism"] = 4;
  Json out = prepared(job);
  EXPECT_EQ(out["spec"]["backoffLimit"], 6);
  EXPECT_EQ(out["spec"]["parallelism"], 4);
  EXPECT_FALSE(out["spec"].contains("completions"));

  job = migration_job();
  job["spec"].erase("backoffLimit");
  job["spec"]["completionMode"] = "Indexed";
  job["spec"]["completions"] = 3;
  job["spec"]["backoffLimitPerIndex"] = 1;
  out = prepared(job);
  EXPECT_EQ(out["spec"]["backoffLimit"], 2147483647);
  EXPECT_EQ(out["spec"]["parallelism"], 1);
  EXPECT_EQ(out["spec"]["completionMode"], "Indexed");
  EXPECT_TRUE(job_validation_errors(out).empty());

  job = migration_job();
  job["spec"]["podFailurePolicy"] = {
      {"rules", {{{"action", "FailJob"}, {"onPodConditions", {{{"type", "DisruptionTarget"}}}}}}}};
  out = prepared(job);
  EXPECT_EQ(out["spec"]["podReplacementPolicy"], "Failed");
  EXPECT_EQ(out["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"], "True");
}

TEST(JobAdmission, ContainerPartsAndStatus) {
  Json job = migration_job();
  Json& c = job["spec"]["template"]["spec"]["containers"][0];
  c["ports"] = {{{"containerPort", 8080}}};
  c["env"].push_back({{"name", "POD"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}});
  job["spec"]["template"]["spec"]["volumes"] = {{{"name", "scratch"}},
                                                {{"name", "s"}, {"secret", {{"secretName", "x"}}}}};
  job["status"] = {{"succeeded", 5}};
  const Json out = prepared(job);
  const Json& oc = out["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(oc["ports"], (Json{{{"containerPort", 8080}, {"protocol", "TCP"}}}));
  EXPECT_EQ(oc["env"][1]["valueFrom"]["fieldRef"],
            (Json{{"apiVersion", "v1"}, {"fieldPath", "metadata.name"}}));
  EXPECT_EQ(out["spec"]["template"]["spec"]["volumes"][0],
            (Json{{"name", "scratch"}, {"emptyDir", Json::object()}}));
  EXPECT_EQ(out["spec"]["template"]["spec"]["volumes"][1]["secret"],
            (Json{{"secretName", "x"}, {"defaultMode", 420}}));
  EXPECT_EQ(out["status"], Json::object());
}

TEST(JobAdmission, TemplateLabelsAreSharedWithTheJob) {
  Json job = migration_job();
  job["spec"]["template"]["metadata"] = {{"labels", {{"app", "udab"}}}};
  const Json out = prepared(job);
  const Json want = {{"app", "udab"},
                     {"batch.kubernetes.io/controller-uid", kUid},
                     {"batch.kubernetes.io/job-name", kName},
                     {"controller-uid", kUid},
                     {"job-name", kName}};
  EXPECT_EQ(out["spec"]["template"]["metadata"]["labels"], want);
  EXPECT_EQ(out["metadata"]["labels"], want);

  job["metadata"]["labels"] = {{"team", "db"}};
  EXPECT_EQ(prepared(job)["metadata"]["labels"], (Json{{"team", "db"}}));
}

TEST(JobAdmission, ManualSelectorIsLeftAlone) {
  Json job = migration_job();
  job["spec"]["manualSelector"] = true;
  job["spec"]["selector"] = {{"matchLabels", {{"app", "m"}}}};
  job["spec"]["template"]["metadata"] = {{"labels", {{"app", "m"}}}};
  const Json out = prepared(job);
  EXPECT_EQ(out["spec"]["selector"], (Json{{"matchLabels", {{"app", "m"}}}}));
  EXPECT_EQ(out["spec"]["template"]["metadata"]["labels"], (Json{{"app", "m"}}));
  EXPECT_TRUE(job_validation_errors(out).empty());
}

// ---------------------------------------------------------------------------------------------

TEST(JobValidation, RestartPolicyMissingOrAlways) {
  Json job = migration_job();
  job["spec"]["template"]["spec"].erase("restartPolicy");
  const Json out = prepared(job);
  EXPECT_EQ(out["spec"]["template"]["spec"]["restartPolicy"], "Always");
  const ApiError e = invalid_of(out);
  expect_causes(e, {{"spec.template.spec.restartPolicy", "FieldValueRequired",
                     "Required value: valid values: \"OnFailure\", \"Never\""}});
  EXPECT_EQ(std::string(e.what()),
            "Job.batch \"db-migration-3f2a1c9\" is invalid: spec.template.spec.restartPolicy: "
            "Required value: valid values: \"OnFailure\", \"Never\"");
  EXPECT_EQ(e.details()["name"], kName);
  EXPECT_EQ(e.details()["kind"], "Job");
  EXPECT_EQ(e.details()["group"], "batch");
}

TEST(JobValidation, RestartPolicyUnsupported) {
  Json job = migration_job();
  job["spec"]["template"]["spec"]["restartPolicy"] = "Sometimes";
  const ApiError e = invalid_of(prepared(job));
  expect_causes(e, {{"spec.template.spec.restartPolicy", "FieldValueNotSupported",
                     "Unsupported value: \"Sometimes\": supported values: \"Always\", "
                     "\"OnFailure\", \"Never\""},
                    {"spec.template.spec.restartPolicy", "FieldValueNotSupported",
                     "Unsupported value: \"Sometimes\": supported values: \"OnFailure\", "
                     "\"Never\""}});
  EXPECT_EQ(std::string(e.what()),
            "Job.batch \"db-migration-3f2a1c9\" is invalid: [spec.template.spec.restartPolicy: "
            "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", "
            "\"Never\", spec.template.spec.restartPolicy: Unsupported value: \"Sometimes\": "
            "supported values: \"OnFailure\", \"Never\"]");
}

TEST(JobValidation, MetadataName) {
  Json job = migration_job();
  job["metadata"].erase("name");
  expect_causes(invalid_of(prepared(job)), {{"metadata.name", "FieldValueRequired",
                                             "Required value: name or generateName is required"}});

  job = migration_job();
  job["metadata"]["name"] = "Bad_Name";
  expect_causes(invalid_of(prepared(job)),
                {{"metadata.name", "FieldValueInvalid",
                  "Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of "
                  "lower case alphanumeric characters, '-' or '.', and must start and end with an "
                  "alphanumeric character (e.g. 'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}});
}

TEST(JobValidation, GenerateName) {
  // The store names the object later; the prefix alone is checked (mask: "x-" reads as "a").
  Json job = migration_job();
  job["metadata"].erase("name");
  job["metadata"]["generateName"] = "db-migration-";
  EXPECT_TRUE(job_validation_errors(prepared(job)).empty());

  job["metadata"]["generateName"] = "Bad_";
  expect_causes(invalid_of(prepared(job)),
                {{"metadata.generateName", "FieldValueInvalid",
                  "Invalid value: \"Bad_\": a lowercase RFC 1123 subdomain must consist of "
                  "lower case alphanumeric characters, '-' or '.', and must start and end with an "
                  "alphanumeric character (e.g. 'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}});
}

TEST(JobValidation, NameLongerThanALabelValue) {
  // Valid as a subdomain, but the generated job-name labels cannot hold it.
  const std::string name(64, 'm');
  Json job = migration_job();
  job["metadata"]["name"] = name;
  const std::string message = "Invalid value: \"" + name + "\": must be no more than 63 characters";
  expect_causes(invalid_of(prepared(job)), {{"spec.template.labels", "FieldValueInvalid", message},
                                            {"spec.template.labels", "FieldValueInvalid", message}});
}

TEST(JobValidation, Containers) {
  Json job = migration_job();
  job["spec"]["template"]["spec"]["containers"] = Json::array();
  expect_causes(invalid_of(prepared(job)),
                {{"spec.template.spec.containers", "FieldValueRequired", "Required value"}});

  job = migration_job();
  Json& c = job["spec"]["template"]["spec"]["containers"][0];
  c["name"] = "Migrate_1";
  c["image"] = "";
  job["spec"]["template"]["spec"]["containers"].push_back({{"name", "Migrate_1"}, {"image", "busybox"}});
  expect_causes(
      invalid_of(prepared(job)),
      {{"spec.template.spec.containers[0].name", "FieldValueInvalid",
        "Invalid value: \"Migrate_1\": a lowercase RFC 1123 label must consist of lower case "
        "alphanumeric characters or '-', and must start and end with an alphanumeric character "
        "(e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"},
       {"spec.template.spec.containers[0].image", "FieldValueRequired", "Required value"},
       {"spec.template.spec.containers[1].name", "FieldValueInvalid",
        "Invalid value: \"Migrate_1\": a lowercase RFC 1123 label must consist of lower case "
        "alphanumeric characters or '-', and must start and end with an alphanumeric character "
        "(e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"},
       {"spec.template.spec.containers[1].name", "FieldValueDuplicate", "Duplicate value: \"Migrate_1\""}});

  job = migration_job();
  job["spec"]["template"]["spec"]["containers"][0].erase("name");
  expect_causes(invalid_of(prepared(job)),
                {{"spec.template.spec.containers[0].name", "FieldValueRequired", "Required value"}});
}

TEST(JobValidation, EnvAndEnvFrom) {
  Json job = migration_job();
  Json& c = job["spec"]["template"]["spec"]["containers"][0];
  c["env"][0]["name"] = "1BAD";
  c["env"].push_back({{"name", ""}, {"value", "x"}});
  c["env"].push_back({{"name", "..cd"}, {"value", "x"}});
  c["envFrom"].push_back(Json::object());
  c["envFrom"].push_back({{"secretRef", {{"name", ""}}}});
  expect_causes(invalid_of(prepared(job)),
                {{"spec.template.spec.containers[0].env[0].name", "FieldValueInvalid",
                  "Invalid value: \"1BAD\": a valid environment variable name must consist of alphabetic "
                  "characters, digits, '_', '-', or '.', and must not start with a digit (e.g. "
                  "'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is "
                  "'[-._a-zA-Z][-._a-zA-Z0-9]*')"},
                 {"spec.template.spec.containers[0].env[1].name", "FieldValueRequired", "Required value"},
                 {"spec.template.spec.containers[0].env[2].name", "FieldValueInvalid",
                  "Invalid value: \"..cd\": must not start with '..'"},
                 {"spec.template.spec.containers[0].envFrom", "FieldValueInvalid",
                  "Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`"},
                 {"spec.template.spec.containers[0].envFrom[2].secretRef.name", "FieldValueRequired",
                  "Required value"}});
}

TEST(JobValidation, NegativeCounts) {
  Json job = migration_job();
  job["spec"]["backoffLimit"] = -1;
  job["spec"]["ttlSecondsAfterFinished"] = -5;
  job["spec"]["parallelism"] = -2;
  job["spec"]["activeDeadlineSeconds"] = -3;
  const ApiError e = invalid_of(prepared(job));
  expect_causes(
      e, {{"spec.parallelism", "FieldValueInvalid", "Invalid value: -2: must be greater than or equal to 0"},
          {"spec.activeDeadlineSeconds", "FieldValueInvalid",
           "Invalid value: -3: must be greater than or equal to 0"},
          {"spec.backoffLimit", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"},
          {"spec.ttlSecondsAfterFinished", "FieldValueInvalid",
           "Invalid value: -5: must be greater than or equal to 0"}});
}

TEST(JobValidation, SelectorMustMatchTemplateLabels) {
  Json job = migration_job();
  job["spec"]["manualSelector"] = true;
  job["spec"]["selector"] = {{"matchLabels", {{"app", "x"}}}};
  job["spec"]["template"]["metadata"] = {{"labels", {{"app", "y"}, {"tier", "db"}}}};
  expect_causes(invalid_of(prepared(job)),
                {{"spec.template.metadata.labels", "FieldValueInvalid",
                  "Invalid value: map[string]string{\"app\":\"y\", \"tier\":\"db\"}: `selector` "
                  "does not match template `labels`"}});

  job = migration_job();
  job["spec"]["manualSelector"] = true;
  expect_causes(invalid_of(prepared(job)),
                {{"spec.selector", "FieldValueRequired", "Required value"},
                 {"spec.template.metadata.labels", "FieldValueInvalid",
                  "Invalid value: map[string]string(nil): `selector` does not match template "
                  "`labels`"}});
}

TEST(JobValidation, GeneratedLabelsMustNameTheJob) {
  Json job = migration_job();
  job["spec"]["template"]["metadata"] = {{"labels", {{"job-name", "other"}}}};
  expect_causes(
      invalid_of(prepared(job)),
      {{"spec.template.metadata.labels[job-name]", "FieldValueInvalid",
        std::string("Invalid value: map[string]string{\"batch.kubernetes.io/controller-uid\":\"") + kUid +
            "\", \"batch.kubernetes.io/job-name\":\"db-migration-3f2a1c9\", "
            "\"controller-uid\":\"" +
            kUid +
            "\", \"job-name\":\"other\"}: must be "
            "'db-migration-3f2a1c9'"}});

  job = migration_job();
  job["spec"]["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", "wrong"}}}};
  expect_causes(
      invalid_of(prepared(job)),
      {{"spec.selector", "FieldValueInvalid",
        "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"
        "\"batch.kubernetes.io/controller-uid\":\"wrong\"}, "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated"},
       {"spec.template.metadata.labels", "FieldValueInvalid",
        std::string("Invalid value: map[string]string{\"batch.kubernetes.io/controller-uid\":\"") + kUid +
            "\", \"batch.kubernetes.io/job-name\":\"db-migration-3f2a1c9\", "
            "\"controller-uid\":\"" +
            kUid +
            "\", \"job-name\":\"db-migration-3f2a1c9\"}: "
            "`selector` does not match template `labels`"}});
}

TEST(JobValidation, PullPolicyAndPorts) {
  Json job = prepared(migration_job());
  Json& c = job["spec"]["template"]["spec"]["containers"][0];
  c["imagePullPolicy"] = "Sometimes";
  c["ports"] = {{{"containerPort", 70000}, {"protocol", "HTTP"}}};
  expect_causes(invalid_of(job),
                {{"spec.template.spec.containers[0].ports[0].containerPort", "FieldValueInvalid",
                  "Invalid value: 70000: must be between 1 and 65535, inclusive"},
                 {"spec.template.spec.containers[0].ports[0].protocol", "FieldValueNotSupported",
                  "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""},
                 {"spec.template.spec.containers[0].imagePullPolicy", "FieldValueNotSupported",
                  "Unsupported value: \"Sometimes\": supported values: \"Always\", "
                  "\"IfNotPresent\", \"Never\""}});
}

}  // namespace
}  // namespace mgate::kubesim
