// Server-side printing. Fixtures are captured Kubernetes objects from
// $MGATE_SHARED_DIR/testdata/kube (see its README.md) where one fits, and small inline objects
// for the rest; expected cells are what the v1.31 printers compute for them at a fixed `now`.

#include "tests/sandbox/kubesim/table.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/core/time.hpp"

namespace mgate::kubesim {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;

Json fixture(const std::string& name) {
  const char* shared = std::getenv("MGATE_SHARED_DIR");
  const fs::path path = fs::path(shared != nullptr ? shared : "../shared") / "testdata" / "kube" / name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return Json::parse(in);
}

TimePoint at(const std::string& rfc3339) {
  auto t = backend::parse_rfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return *t;
}

/// The cells of a one-item list's only row.
Json cells_of(const std::string& key, const Json& item, const std::string& now) {
  const Json table = to_table(key, std::vector<Json>{item}, Json::object(), IncludeObject::kNone, at(now));
  return table["rows"][0]["cells"];
}

std::vector<std::pair<std::string, int>> columns_of(const std::string& key) {
  const Json table =
      to_table(key, std::vector<Json>{}, Json::object(), IncludeObject::kNone, at("2026-11-21T10:00:00Z"));
  std::vector<std::pair<std::string, int>> out;
  for (const Json& c : table["columnDefinitions"]) out.emplace_back(c["name"], c["priority"]);
  return out;
}

using Cols = std::vector<std::pair<std::string, int>>;

TEST(TableHumanDuration, MatchesApimachinery) {
  const std::vector<std::pair<seconds, std::string>> cases = {
      {seconds(-5), "<invalid>"},
      {seconds(-2), "<invalid>"},
      {seconds(-1), "0s"},
      {seconds(0), "0s"},
      {seconds(59), "59s"},
      {seconds(119), "119s"},
      {seconds(120), "2m"},
      {seconds(123), "2m3s"},
      {minutes(9) + seconds(59), "9m59s"},
      {minutes(10) + seconds(5), "10m"},
      {minutes(90), "90m"},
      {minutes(179), "179m"},
      {hours(3), "3h"},
      {hours(3) + minutes(5), "3h5m"},
      {hours(8) + minutes(5), "8h"},
      {hours(47), "47h"},
      {hours(48), "2d"},
      {hours(49), "2d1h"},
      {hours(24 * 9), "9d"},
      {hours(24 * 729), "729d"},
      {hours(24 * 730), "2y"},
      {hours(24 * 733), "2y3d"},
      {hours(24 * 365 * 8), "8y"},
      {hours(24 * 365 * 9 + 24 * 5), "9y"},
  };
  for (const auto& [d, want] : cases) EXPECT_EQ(human_duration(d), want) << d.count() << "s";
}

TEST(TableHumanDuration, ShortForm) {
  EXPECT_EQ(short_human_duration(seconds(-2)), "<invalid>");
  EXPECT_EQ(short_human_duration(seconds(-1)), "0s");
  EXPECT_EQ(short_human_duration(seconds(59)), "59s");
  EXPECT_EQ(short_human_duration(seconds(123)), "2m");
  EXPECT_EQ(short_human_duration(minutes(90)), "1h");
  EXPECT_EQ(short_human_duration(hours(49)), "2d");
  EXPECT_EQ(short_human_duration(hours(24 * 400)), "1y");
}

TEST(TableIncludeObject, ParsesTheQueryParameter) {
  EXPECT_EQ(parse_include_object(""), IncludeObject::kMetadata);
  EXPECT_EQ(parse_include_object("Metadata"), IncludeObject::kMetadata);
  EXPECT_EQ(parse_include_object("Object"), IncludeObject::kObject);
  EXPECT_EQ(parse_include_object("None"), IncludeObject::kNone);
  try {
    parse_include_object("Everything");
    FAIL() << "no error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 400);
    EXPECT_EQ(e.reason(), "BadRequest");
    EXPECT_STREQ(e.what(), "unrecognized includeObject value: \"Everything\"");
  }
}

TEST(TableColumns, NamesAndPrioritiesPerResource) {
  EXPECT_EQ(columns_of("jobs.batch"), (Cols{{"Name", 0},
                                            {"Status", 0},
                                            {"Completions", 0},
                                            {"Duration", 0},
                                            {"Age", 0},
                                            {"Containers", 1},
                                            {"Images", 1},
                                            {"Selector", 1}}));
  EXPECT_EQ(columns_of("pods"), (Cols{{"Name", 0},
                                      {"Ready", 0},
                                      {"Status", 0},
                                      {"Restarts", 0},
                                      {"Age", 0},
                                      {"IP", 1},
                                      {"Node", 1},
                                      {"Nominated Node", 1},
                                      {"Readiness Gates", 1}}));
  EXPECT_EQ(columns_of("events"), (Cols{{"Last Seen", 0},
                                        {"Type", 0},
                                        {"Reason", 0},
                                        {"Object", 0},
                                        {"Subobject", 1},
                                        {"Source", 1},
                                        {"Message", 0},
                                        {"First Seen", 1},
                                        {"Count", 1},
                                        {"Name", 1}}));
  EXPECT_EQ(columns_of("deployments.apps"), (Cols{{"Name", 0},
                                                  {"Ready", 0},
                                                  {"Up-to-date", 0},
                                                  {"Available", 0},
                                                  {"Age", 0},
                                                  {"Containers", 1},
                                                  {"Images", 1},
                                                  {"Selector", 1}}));
  EXPECT_EQ(columns_of("namespaces"), (Cols{{"Name", 0}, {"Status", 0}, {"Age", 0}}));
  EXPECT_EQ(columns_of("secrets"), (Cols{{"Name", 0}, {"Type", 0}, {"Data", 0}, {"Age", 0}}));
  EXPECT_EQ(columns_of("configmaps"), (Cols{{"Name", 0}, {"Data", 0}, {"Age", 0}}));
  // A CRD with additionalPrinterColumns gets Name plus its columns, no Age.
  EXPECT_EQ(columns_of("applications.argoproj.io"),
            (Cols{{"Name", 0}, {"Sync Status", 0}, {"Health Status", 0}, {"Revision", 10}, {"Project", 10}}));
  EXPECT_EQ(columns_of("serviceaccounts"), (Cols{{"Name", 0}, {"Created At", 0}}));
}

TEST(TableColumns, DefinitionsCarryTypeFormatAndFieldDocs) {
  const Json table = to_table("jobs.batch", std::vector<Json>{}, Json::object(), IncludeObject::kMetadata,
                              at("2026-11-21T10:00:00Z"));
  const Json& cols = table["columnDefinitions"];
  EXPECT_EQ(
      cols[0].dump(),
      R"({"description":"Name must be unique within a namespace. Is required when creating resources, )"
      R"(although some resources may allow a client to request the generation of an appropriate name )"
      R"(automatically. Name is primarily intended for creation idempotence and configuration definition. )"
      R"(Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/)"
      R"(names#names","format":"name","name":"Name","priority":0,"type":"string"})");
  EXPECT_EQ(cols[3]["description"], "Time required to complete the job.");
  EXPECT_EQ(cols[3]["format"], "");
  EXPECT_EQ(
      cols[4]["description"],
      "CreationTimestamp is a timestamp representing the server time when this object was created. It is "
      "not guaranteed to be set in happens-before order across separate operations. Clients may not set "
      "this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. "
      "Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
      "api-conventions.md#metadata");
  const Json apps = to_table("applications.argoproj.io", std::vector<Json>{}, Json::object(),
                             IncludeObject::kMetadata, at("2026-11-21T10:00:00Z"));
  EXPECT_EQ(apps["columnDefinitions"][1]["description"],
            "Custom resource definition column (in JSONPath format): .status.sync.status");
  const Json other = to_table("serviceaccounts", std::vector<Json>{}, Json::object(),
                              IncludeObject::kMetadata, at("2026-11-21T10:00:00Z"));
  EXPECT_EQ(other["columnDefinitions"][1]["type"], "date");
  EXPECT_EQ(other["rows"], Json::array());
}

TEST(TableJobs, CompleteJobFromJobComplete2019Fixture) {
  const Json job = fixture("job-complete-2019.json");
  EXPECT_EQ(cells_of("jobs.batch", job, "2019-08-30T17:33:02Z"),
            Json::parse(R"(["hello-1567179180","Complete","1/1","8s","120m","c1","blang/busybox-bash",
                            "controller-uid=7473e6d0-cb3b-11e9-990f-42010a800218"])"));
}

TEST(TableJobs, FailedJobFromBackoffLimitFixtureRunsItsDurationToNow) {
  const Json job = fixture("job-failed-backofflimit-2018.json");
  EXPECT_EQ(cells_of("jobs.batch", job, "2018-12-02T08:19:25Z"),
            Json::parse(R"(["fail","Failed","0/1","10m","10m","fail","alpine:latest",
                            "controller-uid=95052288-f609-11e8-aa53-42010a80021b"])"));
}

TEST(TableJobs, StatusPrecedenceAndCompletions) {
  Json job = fixture("job-complete-openshift-2023.json");
  const std::string now = "2023-05-23T11:31:00Z";
  EXPECT_EQ(cells_of("jobs.batch", job, now)[1], "Complete");
  EXPECT_EQ(cells_of("jobs.batch", job, now)[3], "9s");
  job["metadata"]["deletionTimestamp"] = "2023-05-23T11:30:00Z";
  EXPECT_EQ(cells_of("jobs.batch", job, now)[1], "Complete");  // Complete wins over Terminating
  job["status"] = {{"startTime", "2023-05-23T11:21:00Z"}};
  EXPECT_EQ(cells_of("jobs.batch", job, now)[1], "Terminating");
  EXPECT_EQ(cells_of("jobs.batch", job, now)[3], "10m");  // running: start to now
  job["metadata"].erase("deletionTimestamp");
  EXPECT_EQ(cells_of("jobs.batch", job, now)[1], "Running");
  job["status"]["conditions"] = Json::parse(R"([{"type":"SuccessCriteriaMet","status":"True"}])");
  EXPECT_EQ(cells_of("jobs.batch", job, now)[1], "Running");  // v1.31 has no SuccessCriteriaMet status
  job["status"]["conditions"] = Json::parse(R"([{"type":"FailureTarget","status":"True"}])");
  EXPECT_EQ(cells_of("jobs.batch", job, now)[1], "FailureTarget");
  job["status"]["conditions"] =
      Json::parse(R"([{"type":"Suspended","status":"True"},{"type":"FailureTarget","status":"True"}])");
  EXPECT_EQ(cells_of("jobs.batch", job, now)[1], "Suspended");
  job["status"]["conditions"] = Json::parse(R"([{"type":"Complete","status":"False"}])");
  EXPECT_EQ(cells_of("jobs.batch", job, now)[1], "Running");
  job["status"] = Json::object();
  EXPECT_EQ(cells_of("jobs.batch", job, now)[3], "");  // not started: no duration
  job["spec"].erase("completions");
  job["spec"]["parallelism"] = 3;
  EXPECT_EQ(cells_of("jobs.batch", job, now)[2], "0/1 of 3");
  job["spec"]["parallelism"] = 1;
  job["spec"]["selector"] = Json::object();
  EXPECT_EQ(cells_of("jobs.batch", job, now)[2], "0/1");
  EXPECT_EQ(cells_of("jobs.batch", job, now)[7], "<none>");
}

TEST(TablePods, RestartingPodFromMinikubeFixture) {
  const Json pod = fixture("pod-error-restarting-minikube-2018.json");
  const Json table = to_table("pods", std::vector<Json>{pod}, Json::object(), IncludeObject::kMetadata,
                              at("2018-12-02T09:24:41Z"));
  const Json& row = table["rows"][0];
  EXPECT_EQ(row["cells"], Json::parse(R"j(["my-pod","0/1","Error","2 (5m ago)","5m5s","172.17.0.9","minikube",
                                         "<none>","<none>"])j"));
  EXPECT_FALSE(row.contains("conditions"));
  EXPECT_EQ(row["object"], (Json{{"kind", "PartialObjectMetadata"},
                                 {"apiVersion", "meta.k8s.io/v1"},
                                 {"metadata", pod["metadata"]}}));
}

TEST(TablePods, CompletedJobPodFromOpenshiftFixture) {
  const Json pod = fixture("pod-of-job-completed-openshift-2023.json");
  const Json table = to_table("pods", std::vector<Json>{pod}, Json::object(), IncludeObject::kNone,
                              at("2023-05-23T12:21:00Z"));
  EXPECT_EQ(table["rows"][0]["cells"],
            Json::parse(R"(["example-cj-28080681-clstf","0/1","Completed","0","60m","10.129.2.93",
                            "ip-10-0-142-122.sa-east-1.compute.internal","<none>","<none>"])"));
  EXPECT_EQ(table["rows"][0]["conditions"],
            Json::parse(R"([{"type":"Completed","status":"True","reason":"Succeeded",
                             "message":"The pod has completed successfully."}])"));
  EXPECT_TRUE(table["rows"][0]["object"].is_null());
}

TEST(TablePods, FailedPodFromMinikubeFixture) {
  const Json pod = fixture("pod-failed-exit1-minikube-2018.json");
  const Json table = to_table("pods", std::vector<Json>{pod}, Json::object(), IncludeObject::kNone,
                              at("2018-12-02T09:17:56Z"));
  EXPECT_EQ(table["rows"][0]["cells"][2], "Error");
  EXPECT_EQ(table["rows"][0]["cells"][4], "0s");
  EXPECT_EQ(table["rows"][0]["conditions"][0]["message"], "The pod failed.");
}

Json running_pod() {
  return Json::parse(R"({"metadata":{"name":"web-1","creationTimestamp":"2026-11-21T09:00:00Z"},
    "spec":{"containers":[{"name":"web","image":"nginx"}],"nodeName":"kubesim-node",
            "readinessGates":[{"conditionType":"example.com/a"},{"conditionType":"example.com/b"}]},
    "status":{"phase":"Running","podIPs":[{"ip":"10.0.0.7"}],
      "conditions":[{"type":"Ready","status":"True"},{"type":"example.com/a","status":"True"},
                    {"type":"example.com/b","status":"False"}],
      "containerStatuses":[{"name":"web","ready":true,"restartCount":0,
                            "state":{"running":{"startedAt":"2026-11-21T09:00:01Z"}}}]}})");
}

TEST(TablePods, StatusReasons) {
  const std::string now = "2026-11-21T10:00:00Z";
  Json pod = running_pod();
  EXPECT_EQ(cells_of("pods", pod, now),
            Json::parse(R"(["web-1","1/1","Running","0","60m","10.0.0.7","kubesim-node","<none>","1/2"])"));
  pod["metadata"]["deletionTimestamp"] = "2026-11-21T09:59:00Z";
  EXPECT_EQ(cells_of("pods", pod, now)[2], "Terminating");
  pod = running_pod();
  pod["status"]["containerStatuses"][0] = Json::parse(
      R"({"name":"web","ready":false,"restartCount":3,"state":{"waiting":{"reason":"CrashLoopBackOff"}},
          "lastState":{"terminated":{"exitCode":1,"finishedAt":"2026-11-21T09:58:30Z"}}})");
  EXPECT_EQ(cells_of("pods", pod, now)[1], "0/1");
  EXPECT_EQ(cells_of("pods", pod, now)[2], "CrashLoopBackOff");
  EXPECT_EQ(cells_of("pods", pod, now)[3], "3 (90s ago)");
  pod["status"]["containerStatuses"][0]["state"] =
      Json::parse(R"({"terminated":{"exitCode":137,"signal":9}})");
  EXPECT_EQ(cells_of("pods", pod, now)[2], "Signal:9");
  pod["status"]["containerStatuses"][0]["state"] =
      Json::parse(R"({"waiting":{"reason":"ContainerCreating"}})");
  EXPECT_EQ(cells_of("pods", pod, now)[2], "ContainerCreating");
}

TEST(TablePods, InitContainersAndPendingPods) {
  const std::string now = "2026-11-21T10:00:00Z";
  Json pod = running_pod();
  pod["status"] = Json::parse(R"({"phase":"Pending","conditions":[{"type":"Initialized","status":"False"}],
    "initContainerStatuses":[{"name":"setup","restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}],
    "containerStatuses":[{"name":"web","ready":false,"restartCount":0,
                          "state":{"waiting":{"reason":"PodInitializing"}}}]})");
  pod["spec"]["initContainers"] = Json::parse(R"([{"name":"setup","image":"busybox"}])");
  EXPECT_EQ(cells_of("pods", pod, now)[2], "Init:0/1");
  pod["status"]["initContainerStatuses"][0]["state"] = Json::parse(R"({"terminated":{"exitCode":2}})");
  EXPECT_EQ(cells_of("pods", pod, now)[2], "Init:ExitCode:2");
  pod["status"]["initContainerStatuses"][0]["state"] =
      Json::parse(R"({"waiting":{"reason":"ErrImagePull"}})");
  EXPECT_EQ(cells_of("pods", pod, now)[2], "Init:ErrImagePull");
  Json bare = Json::parse(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]},
                              "status":{"phase":"Pending"}})");
  EXPECT_EQ(cells_of("pods", bare, now),
            Json::parse(R"(["p","0/1","Pending","0","<unknown>","<none>","<none>","<none>","<none>"])"));
}

TEST(TablePods, SidecarsCompletedContainersGatesAndLostNodes) {
  const std::string now = "2026-11-21T10:00:00Z";
  Json pod = running_pod();
  pod["spec"]["initContainers"] =
      Json::parse(R"([{"name":"proxy","image":"envoy","restartPolicy":"Always"}])");
  pod["status"]["conditions"] = Json::parse(R"([{"type":"Initialized","status":"True"}])");
  pod["status"]["initContainerStatuses"] = Json::parse(
      R"([{"name":"proxy","ready":true,"started":true,"restartCount":1,"state":{"running":{}},
           "lastState":{"terminated":{"exitCode":1,"finishedAt":"2026-11-21T09:59:00Z"}}}])");
  pod["spec"]["containers"].push_back({{"name", "job"}, {"image", "busybox"}});
  pod["status"]["containerStatuses"].push_back(
      Json::parse(R"({"name":"job","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":0,
                      "reason":"Completed"}}})"));
  Json cells = cells_of("pods", pod, now);
  EXPECT_EQ(cells[1], "2/3");          // the sidecar counts among the containers
  EXPECT_EQ(cells[2], "NotReady");     // Completed, but a container still runs; no Ready condition
  EXPECT_EQ(cells[3], "1 (60s ago)");  // the sidecar's restarts count once initialized
  pod["status"]["conditions"].push_back({{"type", "Ready"}, {"status", "True"}});
  EXPECT_EQ(cells_of("pods", pod, now)[2], "Running");
  Json gated = running_pod();
  gated["status"] = Json::parse(
      R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]})");
  EXPECT_EQ(cells_of("pods", gated, now)[2], "SchedulingGated");
  Json lost = running_pod();
  lost["metadata"]["deletionTimestamp"] = "2026-11-21T09:59:00Z";
  lost["status"]["reason"] = "NodeLost";
  EXPECT_EQ(cells_of("pods", lost, now)[2], "Unknown");
}

TEST(TableEvents, CoreEventWithTimestampsAndCount) {
  const Json ev = Json::parse(R"({"metadata":{"name":"migrate.187a1b2c3d4e5f60","namespace":"default"},
    "involvedObject":{"kind":"Job","name":"migrate","namespace":"default"},
    "reason":"SuccessfulCreate","message":"  Created pod: migrate-x7k2p\n","type":"Normal",
    "source":{"component":"job-controller"},"count":3,
    "firstTimestamp":"2026-11-21T10:00:00Z","lastTimestamp":"2026-11-21T10:04:00Z","eventTime":null})");
  EXPECT_EQ(cells_of("events", ev, "2026-11-21T10:05:00Z"),
            Json::parse(R"(["60s","Normal","SuccessfulCreate","job/migrate","","job-controller",
                            "Created pod: migrate-x7k2p","5m",3,"migrate.187a1b2c3d4e5f60"])"));
}

TEST(TableEvents, SeriesEventTimeAndReportingFields) {
  Json ev = Json::parse(R"({"metadata":{"name":"web-1.1"},"involvedObject":{"kind":"Pod","name":"web-1",
    "fieldPath":"spec.containers{web}"},"reason":"BackOff","message":"Back-off restarting","type":"Warning",
    "firstTimestamp":null,"lastTimestamp":null,"eventTime":"2026-11-21T10:03:00.123456Z",
    "series":{"count":4,"lastObservedTime":"2026-11-21T10:04:30.000000Z"},
    "reportingComponent":"kubelet","reportingInstance":"kubesim-node"})");
  EXPECT_EQ(
      cells_of("events", ev, "2026-11-21T10:05:00Z"),
      Json::parse(R"(["30s","Warning","BackOff","pod/web-1","spec.containers{web}","kubelet, kubesim-node",
                            "Back-off restarting","119s",4,"web-1.1"])"));
  ev.erase("series");
  ev["involvedObject"].erase("name");
  const Json cells = cells_of("events", ev, "2026-11-21T10:05:00Z");
  EXPECT_EQ(cells[0], "119s");  // no lastTimestamp: first seen
  EXPECT_EQ(cells[3], "pod");
  EXPECT_EQ(cells[8], 1);  // a singleton has no count
}

TEST(TableDeployments, ReadyUpToDateAvailableAndSelector) {
  const Json d = Json::parse(R"({"metadata":{"name":"web","creationTimestamp":"2026-11-19T08:00:00Z"},
    "spec":{"replicas":3,"selector":{"matchLabels":{"tier":"fe","app":"web"},
      "matchExpressions":[{"key":"env","operator":"In","values":["prod","dev"]}]},
      "template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"},{"name":"proxy","image":"envoy:1.30"}]}}},
    "status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}})");
  EXPECT_EQ(cells_of("deployments.apps", d, "2026-11-21T10:00:00Z"),
            Json::parse(R"(["web","2/3",3,2,"2d2h","web,proxy","nginx:1.27,envoy:1.30",
                            "app=web,env in (dev,prod),tier=fe"])"));
  const Json bare = Json::parse(R"({"metadata":{"name":"x"},"spec":{}})");
  EXPECT_EQ(cells_of("deployments.apps", bare, "2026-11-21T10:00:00Z"),
            Json::parse(R"(["x","0/1",0,0,"<unknown>","","",""])"));
}

TEST(TableSimpleResources, NamespacesSecretsConfigMaps) {
  const std::string now = "2026-11-21T10:00:00Z";
  EXPECT_EQ(cells_of("namespaces",
                     Json::parse(R"({"metadata":{"name":"ci","creationTimestamp":"2026-11-21T09:59:00Z"},
                                                   "status":{"phase":"Active"}})"),
                     now),
            Json::parse(R"(["ci","Active","60s"])"));
  EXPECT_EQ(cells_of("secrets",
                     Json::parse(R"({"metadata":{"name":"tok","creationTimestamp":"2026-11-11T10:00:00Z"},
                                                "type":"kubernetes.io/dockerconfigjson","data":{"a":"","b":""}})"),
                     now),
            Json::parse(R"(["tok","kubernetes.io/dockerconfigjson",2,"10d"])"));
  EXPECT_EQ(cells_of("configmaps",
                     Json::parse(R"({"metadata":{"name":"cfg","creationTimestamp":"2026-11-21T06:55:00Z"},
                                                   "data":{"a":"1"},"binaryData":{"b":"AA=="}})"),
                     now),
            Json::parse(R"(["cfg",2,"3h5m"])"));
}

TEST(TableApplications, CrdColumnsFromJsonPaths) {
  const Json app = Json::parse(R"({"metadata":{"name":"guestbook","creationTimestamp":"2026-11-21T09:00:00Z"},
    "spec":{"project":"default"},"status":{"sync":{"status":"Synced","revision":"a1b2c3"}}})");
  EXPECT_EQ(cells_of("applications.argoproj.io", app, "2026-11-21T10:00:00Z"),
            Json::parse(R"(["guestbook","Synced",null,"a1b2c3","default"])"));
}

TEST(TableDefault, NameAndCreatedAt) {
  const Json sa =
      Json::parse(R"({"metadata":{"name":"default","creationTimestamp":"2026-11-20T07:08:09Z"}})");
  EXPECT_EQ(cells_of("serviceaccounts", sa, "2026-11-21T10:00:00Z"),
            Json::parse(R"(["default","2026-11-20T07:08:09Z"])"));
  EXPECT_EQ(
      cells_of("serviceaccounts", Json::parse(R"({"metadata":{"name":"x"}})"), "2026-11-21T10:00:00Z")[1],
      "0001-01-01T00:00:00Z");
}

TEST(TableShape, ListMetadataAndFullObjectsFromJobListFixture) {
  const Json list = fixture("joblist-page1-continue.assembled.json");
  std::vector<Json> items(list["items"].begin(), list["items"].end());
  const Json table =
      to_table("jobs.batch", items, list["metadata"], IncludeObject::kObject, at("2023-05-23T11:31:00Z"));
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(table["metadata"], list["metadata"]);
  ASSERT_EQ(table["rows"].size(), 1u);
  Json expected = items[0];
  expected["kind"] = "Job";
  expected["apiVersion"] = "batch/v1";
  EXPECT_EQ(table["rows"][0]["object"], expected);
  EXPECT_EQ(table["rows"][0]["cells"][0], "example-cj-28080681");
}

TEST(TableShape, SingleObjectCarriesItsResourceVersion) {
  const Json job = fixture("job-complete-2019.json");
  const Json table = to_table("jobs.batch", job, IncludeObject::kMetadata, at("2019-08-30T17:33:02Z"));
  EXPECT_EQ(table["metadata"], (Json{{"resourceVersion", "49735780"}}));
  ASSERT_EQ(table["rows"].size(), 1u);
  EXPECT_EQ(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(table["rows"][0]["object"]["metadata"], job["metadata"]);
  EXPECT_EQ(table["rows"][0]["cells"][1], "Complete");
  const Json empty = to_table("pods", std::vector<Json>{}, Json{{"resourceVersion", "7"}},
                              IncludeObject::kMetadata, at("2019-08-30T17:33:02Z"));
  EXPECT_EQ(empty["metadata"], (Json{{"resourceVersion", "7"}}));
  EXPECT_EQ(empty["rows"], Json::array());
}

}  // namespace
}  // namespace mgate::kubesim
