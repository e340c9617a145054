// The acceptance list, run with the real kubectl and the simulator's kubeconfig: create -f,
// wait, get jobs / pods (table and JSON), logs (and --previous), describe, delete, a failed Job and
// an invalid one. Every check is on kubectl's exact output: lines, table columns, JSON fields.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/kube_kubectl_support.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Strings = std::vector<std::string>;

class KubectlAcceptance : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = shared_sandbox();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
    sandbox_ = *sandbox;
    dir_ = make_test_dir("kubectl");
  }

  // The Jobs go, so other tests' listings of udab stay short; their pods follow (background).
  void TearDown() override {
    if (sandbox_ == nullptr || created_.empty()) return;
    Strings args = {"delete", "jobs", "--ignore-not-found", "--wait=false"};
    args.insert(args.end(), created_.begin(), created_.end());
    const KubeRun r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe_run("kubectl delete jobs", r);
  }

  // A name no other test (of this or another run in the same sandbox) uses.
  static std::string unique(const std::string& stem) {
    static int counter = 0;
    return fmt::format("kc-{}-{}-{}", stem, ::getpid(), ++counter);
  }

  KubeRun run(const Strings& args) const { return kubectl(*sandbox_, args); }

  // create -f, asserting kubectl's exact confirmation line.
  void create(const ScriptedJob& job) {
    const fs::path file = write_job_yaml(dir_, job);
    const KubeRun r = run({"create", "-f", file.string()});
    if (r.exit_code == 0) created_.push_back(job.name);
    ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl create", r);
    EXPECT_EQ(r.out, fmt::format("job.batch/{} created\n", job.name));
  }

  // kubectl wait for a condition ("complete", "failed"), asserting it was met.
  void wait_for(const std::string& condition, const std::string& name) const {
    const KubeRun r = run({"wait", "--for=condition=" + condition, "job/" + name, "--timeout=30s"});
    ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl wait", r);
    EXPECT_EQ(r.out, fmt::format("job.batch/{} condition met\n", name));
  }

  // The names of the Job's pods, from `get pods -l job-name=NAME -o name`.
  Strings pods_of(const std::string& job) const {
    const KubeRun r =
        run({"get", "pods", "-l", "job-name=" + job, "-o", "jsonpath={.items[*].metadata.name}"});
    EXPECT_EQ(r.exit_code, 0) << describe_run("kubectl get pods", r);
    return fields_of(r.out);
  }

  Sandbox* sandbox_ = nullptr;
  fs::path dir_;
  Strings created_;  // Jobs this test created, deleted in TearDown
};

// A Job that prints two known lines and succeeds.
ScriptedJob printing_job(const std::string& name, const std::string& component, const std::string& run_id) {
  return ScriptedJob{name,
                     {{"component", component}, {"mgate-test", run_id}},
                     "Never",
                     2,
                     json::array({{{"stdout", {"migrating " + name, "done"}}, {"exitCode", 0}}})};
}

TEST_F(KubectlAcceptance, CreateSaysCreatedThenAlreadyExists) {
  const ScriptedJob job = printing_job(unique("dup"), "migration", unique("run"));
  ASSERT_NO_FATAL_FAILURE(create(job));
  const fs::path file = dir_ / (job.name + ".yaml");
  const KubeRun again = run({"create", "-f", file.string()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.out, "");
  EXPECT_EQ(again.err, fmt::format("Error from server (AlreadyExists): error when creating \"{}\": "
                                   "jobs.batch \"{}\" already exists\n",
                                   file.string(), job.name));
}

TEST_F(KubectlAcceptance, GetJobsShowsTheCompletedJob) {
  const ScriptedJob job = printing_job(unique("get"), "migration", unique("run"));
  ASSERT_NO_FATAL_FAILURE(create(job));
  ASSERT_NO_FATAL_FAILURE(wait_for("complete", job.name));
  const KubeRun r = run({"get", "jobs"});
  ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl get jobs", r);
  const Strings lines = lines_of(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(fields_of(lines[0]), (Strings{"NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"}));
  const auto row = table_row(r.out, job.name);
  ASSERT_TRUE(row) << r.out;
  ASSERT_EQ(row->size(), 5U) << r.out;
  EXPECT_EQ((*row)[1], "Complete");
  EXPECT_EQ((*row)[2], "1/1");
  EXPECT_EQ((*row)[3].back(), 's') << "a duration of seconds: " << (*row)[3];
}

TEST_F(KubectlAcceptance, GetJobsJsonSelectsByLabel) {
  const std::string run_id = unique("run");
  const ScriptedJob wanted = printing_job(unique("sel"), "migration", run_id);
  const ScriptedJob other = printing_job(unique("oth"), "other", run_id);
  ASSERT_NO_FATAL_FAILURE(create(wanted));
  ASSERT_NO_FATAL_FAILURE(create(other));
  ASSERT_NO_FATAL_FAILURE(wait_for("complete", wanted.name));
  ASSERT_NO_FATAL_FAILURE(wait_for("complete", other.name));
  // mgate-test keeps other tests' component=migration Jobs out; component does the selecting.
  const KubeRun r = run({"get", "jobs", "-l", "component=migration,mgate-test=" + run_id, "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl get jobs -o json", r);
  const json list = json::parse(r.out);
  EXPECT_EQ(list.at("kind"), "List");
  EXPECT_EQ(list.at("apiVersion"), "v1");
  ASSERT_EQ(list.at("items").size(), 1U) << r.out;
  const json& job = list["items"][0];
  EXPECT_EQ(job.at("kind"), "Job");
  EXPECT_EQ(job.at("apiVersion"), "batch/v1");
  EXPECT_EQ(job["metadata"].at("name"), wanted.name);
  EXPECT_EQ(job["metadata"].at("namespace"), "udab");
  EXPECT_EQ(job["metadata"].at("labels"), (json{{"component", "migration"}, {"mgate-test", run_id}}));
  const std::string uid = job["metadata"].at("uid");
  EXPECT_EQ(job["spec"]["selector"].at("matchLabels"), (json{{"batch.kubernetes.io/controller-uid", uid}}));
  const json template_labels = job["spec"]["template"]["metadata"].at("labels");
  EXPECT_EQ(template_labels, (json{{"batch.kubernetes.io/controller-uid", uid},
                                   {"batch.kubernetes.io/job-name", wanted.name},
                                   {"controller-uid", uid},
                                   {"job-name", wanted.name},
                                   {"component", "migration"},
                                   {"mgate-test", run_id}}));
  Strings types;
  for (const json& c : job["status"].at("conditions")) {
    types.push_back(c.at("type"));
    EXPECT_EQ(c.at("status"), "True");
  }
  EXPECT_EQ(types, (Strings{"SuccessCriteriaMet", "Complete"}));
  EXPECT_EQ(job["status"].at("succeeded"), 1);
}

TEST_F(KubectlAcceptance, GetPodsShowsTheCompletedPod) {
  const ScriptedJob job = printing_job(unique("pod"), "migration", unique("run"));
  ASSERT_NO_FATAL_FAILURE(create(job));
  ASSERT_NO_FATAL_FAILURE(wait_for("complete", job.name));
  const Strings pods = pods_of(job.name);
  ASSERT_EQ(pods.size(), 1U);
  // generateName: NAME- plus five characters.
  EXPECT_EQ(pods[0].size(), job.name.size() + 6) << pods[0];
  EXPECT_EQ(pods[0].rfind(job.name + "-", 0), 0U) << pods[0];
  const KubeRun r = run({"get", "pods"});
  ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl get pods", r);
  EXPECT_EQ(fields_of(lines_of(r.out).at(0)), (Strings{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}));
  const auto row = table_row(r.out, pods[0]);
  ASSERT_TRUE(row) << r.out;
  ASSERT_EQ(row->size(), 5U) << r.out;
  EXPECT_EQ((*row)[1], "0/1");
  EXPECT_EQ((*row)[2], "Completed");
  EXPECT_EQ((*row)[3], "0");
}

TEST_F(KubectlAcceptance, LogsOfJobAreTheScriptLines) {
  const ScriptedJob job = printing_job(unique("log"), "migration", unique("run"));
  ASSERT_NO_FATAL_FAILURE(create(job));
  ASSERT_NO_FATAL_FAILURE(wait_for("complete", job.name));
  const KubeRun r = run({"logs", "job/" + job.name});
  ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl logs", r);
  EXPECT_EQ(r.out, fmt::format("migrating {}\ndone\n", job.name));
  // A container that never restarted has no previous log: kubectl relays the API's 400.
  const Strings pods = pods_of(job.name);
  ASSERT_EQ(pods.size(), 1U);
  const KubeRun previous = run({"logs", pods[0], "--previous"});
  EXPECT_EQ(previous.exit_code, 1);
  EXPECT_EQ(previous.err,
            fmt::format("Error from server (BadRequest): previous terminated container \"main\" "
                        "in pod \"{}\" not found\n",
                        pods[0]));
}

TEST_F(KubectlAcceptance, LogsPreviousShowsTheFailedAttempt) {
  // OnFailure: the kubelet restarts the container in the same pod, so the first run's log is
  // the container's "previous" one.
  const ScriptedJob job{unique("prev"),
                        {{"component", "migration"}},
                        "OnFailure",
                        3,
                        json::array({{{"stdout", {"attempt one"}}, {"exitCode", 1}},
                                     {{"stdout", {"attempt two"}}, {"exitCode", 0}}})};
  ASSERT_NO_FATAL_FAILURE(create(job));
  ASSERT_NO_FATAL_FAILURE(wait_for("complete", job.name));
  const Strings pods = pods_of(job.name);
  ASSERT_EQ(pods.size(), 1U) << "OnFailure restarts in place";
  const KubeRun current = run({"logs", pods[0]});
  ASSERT_EQ(current.exit_code, 0) << describe_run("kubectl logs", current);
  EXPECT_EQ(current.out, "attempt two\n");
  const KubeRun previous = run({"logs", pods[0], "--previous"});
  ASSERT_EQ(previous.exit_code, 0) << describe_run("kubectl logs --previous", previous);
  EXPECT_EQ(previous.out, "attempt one\n");
  const KubeRun r = run({"get", "pods", pods[0]});
  ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl get pods", r);
  const auto row = table_row(r.out, pods[0]);
  ASSERT_TRUE(row) << r.out;
  // RESTARTS reads "1 (2s ago)": the count, then when the last restart was.
  ASSERT_GE(row->size(), 4U) << r.out;
  EXPECT_EQ((*row)[2], "Completed");
  EXPECT_EQ((*row)[3], "1") << r.out;
}

// The value of a top-level "Key:   value" line of kubectl describe; nullopt when absent.
std::optional<std::string> describe_value(const std::string& out, const std::string& key) {
  for (const std::string& line : lines_of(out)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    const auto start = line.find_first_not_of(' ', key.size() + 1);
    return start == std::string::npos ? std::string() : line.substr(start);
  }
  return std::nullopt;
}

// The Events table's rows whose Reason is reason, as fields.
std::vector<Strings> event_rows(const std::string& out, const std::string& reason) {
  std::vector<Strings> rows;
  bool in_events = false;
  for (const std::string& line : lines_of(out)) {
    if (line.rfind("Events:", 0) == 0) in_events = true;
    const Strings f = fields_of(line);
    if (in_events && f.size() >= 2 && f[1] == reason) rows.push_back(f);
  }
  return rows;
}

// An Events row's message: everything after Type, Reason, Age and From.
std::string event_message(const Strings& row) {
  std::string out;
  for (std::size_t i = 4; i < row.size(); ++i) out += (i > 4 ? " " : "") + row[i];
  return out;
}

bool has_line(const std::string& out, const std::string& line) {
  for (const std::string& l : lines_of(out)) {
    if (l == line) return true;
  }
  return false;
}

TEST_F(KubectlAcceptance, DescribeJobShowsSpecCountsTemplateAndEvents) {
  const ScriptedJob job = printing_job(unique("desc"), "migration", unique("run"));
  ASSERT_NO_FATAL_FAILURE(create(job));
  ASSERT_NO_FATAL_FAILURE(wait_for("complete", job.name));
  const Strings pods = pods_of(job.name);
  ASSERT_EQ(pods.size(), 1U);
  const std::string uid = run({"get", "job", job.name, "-o", "jsonpath={.metadata.uid}"}).out;
  ASSERT_EQ(uid.size(), 36U) << uid;
  const KubeRun r = run({"describe", "job", job.name});
  ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl describe job", r);
  const std::string& d = r.out;
  EXPECT_EQ(describe_value(d, "Name"), job.name) << d;
  EXPECT_EQ(describe_value(d, "Namespace"), "udab") << d;
  EXPECT_EQ(describe_value(d, "Selector"), "batch.kubernetes.io/controller-uid=" + uid) << d;
  EXPECT_EQ(describe_value(d, "Labels"), "component=migration") << d;
  EXPECT_EQ(describe_value(d, "Parallelism"), "1") << d;
  EXPECT_EQ(describe_value(d, "Completions"), "1") << d;
  EXPECT_EQ(describe_value(d, "Backoff Limit"), "2") << d;
  for (const char* key : {"Start Time", "Completed At", "Duration"}) {
    const auto v = describe_value(d, key);
    ASSERT_TRUE(v) << key << " missing:\n" << d;
    EXPECT_FALSE(v->empty()) << key;
  }
  EXPECT_TRUE(has_line(d, "Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed")) << d;
  // The template's labels: the Job's own plus the ones the API server adds.
  EXPECT_TRUE(has_line(d, "  Labels:       batch.kubernetes.io/controller-uid=" + uid)) << d;
  for (const std::string& label :
       {"batch.kubernetes.io/job-name=" + job.name, std::string("component=migration"),
        "controller-uid=" + uid, "job-name=" + job.name}) {
    EXPECT_TRUE(has_line(d, "                " + label)) << label << "\n" << d;
  }
  EXPECT_TRUE(has_line(d, "   main:")) << d;
  EXPECT_TRUE(has_line(d, fmt::format("    Image:         {}", kScriptedImage))) << d;
  const auto created = event_rows(d, "SuccessfulCreate");
  ASSERT_EQ(created.size(), 1U) << d;
  EXPECT_EQ(created[0][0], "Normal");
  EXPECT_EQ(created[0][3], "job-controller");
  EXPECT_EQ(event_message(created[0]), "Created pod: " + pods[0]);
  const auto completed = event_rows(d, "Completed");
  ASSERT_EQ(completed.size(), 1U) << d;
  EXPECT_EQ(completed[0][0], "Normal");
  EXPECT_EQ(completed[0][3], "job-controller");
  EXPECT_EQ(event_message(completed[0]), "Job completed");
}

TEST_F(KubectlAcceptance, DeleteJobRemovesItAndItsPods) {
  const ScriptedJob job = printing_job(unique("del"), "migration", unique("run"));
  ASSERT_NO_FATAL_FAILURE(create(job));
  ASSERT_NO_FATAL_FAILURE(wait_for("complete", job.name));
  ASSERT_EQ(pods_of(job.name).size(), 1U);
  const KubeRun r = run({"delete", "job", job.name});
  ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl delete job", r);
  EXPECT_EQ(r.out, fmt::format("job.batch \"{}\" deleted\n", job.name));
  const KubeRun get = run({"get", "job", job.name});
  EXPECT_EQ(get.exit_code, 1);
  EXPECT_EQ(get.err, fmt::format("Error from server (NotFound): jobs.batch \"{}\" not found\n", job.name));
  // kubectl's default cascade is background: the garbage collector removes the pods soon after.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  Strings pods = pods_of(job.name);
  while (!pods.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    pods = pods_of(job.name);
  }
  EXPECT_EQ(pods, Strings{}) << "the Job's pods outlived it by 5 s";
}

TEST_F(KubectlAcceptance, FailedJobIsReportedAsFailed) {
  const ScriptedJob job{unique("fail"),
                        {{"component", "migration"}},
                        "Never",
                        1,
                        json::array({{{"stdout", {"boom"}}, {"exitCode", 2}}})};
  ASSERT_NO_FATAL_FAILURE(create(job));
  ASSERT_NO_FATAL_FAILURE(wait_for("failed", job.name));
  const KubeRun get = run({"get", "jobs"});
  ASSERT_EQ(get.exit_code, 0) << describe_run("kubectl get jobs", get);
  const auto row = table_row(get.out, job.name);
  ASSERT_TRUE(row) << get.out;
  ASSERT_EQ(row->size(), 5U) << get.out;
  EXPECT_EQ((*row)[1], "Failed");
  EXPECT_EQ((*row)[2], "0/1");
  const KubeRun types = run({"get", "job", job.name, "-o", "jsonpath={.status.conditions[*].type}"});
  EXPECT_EQ(types.out, "FailureTarget Failed");
  const KubeRun r = run({"describe", "job", job.name});
  ASSERT_EQ(r.exit_code, 0) << describe_run("kubectl describe job", r);
  // backoffLimit 1: the first pod and one retry, both failed.
  EXPECT_TRUE(has_line(r.out, "Pods Statuses:    0 Active (0 Ready) / 0 Succeeded / 2 Failed")) << r.out;
  EXPECT_EQ(event_rows(r.out, "SuccessfulCreate").size(), 2U) << r.out;
  const auto exceeded = event_rows(r.out, "BackoffLimitExceeded");
  ASSERT_EQ(exceeded.size(), 1U) << r.out;
  EXPECT_EQ(exceeded[0][0], "Warning");
  EXPECT_EQ(exceeded[0][3], "job-controller");
  EXPECT_EQ(event_message(exceeded[0]), "Job has reached the specified backoff limit");
}

TEST_F(KubectlAcceptance, InvalidJobIsRefusedNamingTheField) {
  ScriptedJob job = printing_job(unique("bad"), "migration", unique("run"));
  job.restart_policy.clear();
  const fs::path file = write_job_yaml(dir_, job);
  const KubeRun r = run({"create", "-f", file.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, fmt::format("The Job \"{}\" is invalid: spec.template.spec.restartPolicy: Required value: "
                               "valid values: \"OnFailure\", \"Never\"\n",
                               job.name));
  const KubeRun get = run({"get", "job", job.name});
  EXPECT_EQ(get.exit_code, 1) << "an invalid Job must not be stored";
}

}  // namespace
}  // namespace mgate::sandbox::testing
