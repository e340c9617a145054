// The simulated API server's REST semantics, in process over plain HTTP: Status errors, list
// paging and its 410, watch resume and its 410, dry runs, deletion propagation, and pod logs.

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/sandbox/kubesim/api_server.hpp"
#include "tests/sandbox/kubesim/deletion.hpp"
#include "tests/sandbox/kubesim/pod_logs.hpp"

namespace mgate::kubesim {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAdmin = "admin-token";
constexpr const char* kViewer = "viewer-token";

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    access_.add_token(kAdmin, Principal{{"admin", {}}, {AccessRule{}}});
    access_.add_token(kViewer, Principal{{"viewer", {}}, {AccessRule{{"get", "list"}, {"jobs", "pods"}, {"udab"}}}});
    log_root_ = std::filesystem::temp_directory_path() /
                ("kubesim-api-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(log_root_);
    ServerOptions options;
    options.log_root = log_root_;
    options.poll = 20ms;
    server_ = std::make_unique<ApiServer>(store_, access_, options);
    server_->start();
    store_.create(kNamespaces, {{"metadata", {{"name", "udab"}}}});
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }
  void TearDown() override {
    server_->stop();
    std::filesystem::remove_all(log_root_);
  }

  httplib::Headers auth(const char* token = kAdmin) {
    return {{"Authorization", std::string("Bearer ") + token}};
  }
  Json get_json(const std::string& path, int want, const char* token = kAdmin) {
    auto r = client_->Get(path.c_str(), auth(token));
    EXPECT_TRUE(r);
    if (!r) return nullptr;
    EXPECT_EQ(r->status, want) << path << ": " << r->body;
    return Json::parse(r->body);
  }
  Json post_json(const std::string& path, const Json& body, int want) {
    auto r = client_->Post(path.c_str(), auth(), body.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return nullptr;
    EXPECT_EQ(r->status, want) << path << ": " << r->body;
    return Json::parse(r->body);
  }
  Json pod(const std::string& name, const Json& labels = Json::object()) {
    return {{"metadata", {{"name", name}, {"namespace", "udab"}, {"labels", labels}}},
            {"spec", {{"containers", {{{"name", "main"}, {"image", "busybox"}}}}}}};
  }
  static Json job(const std::string& name) {
    return {{"apiVersion", "batch/v1"},
            {"kind", "Job"},
            {"metadata", {{"name", name}, {"labels", {{"component", "migration"}}}}},
            {"spec",
             {{"template",
               {{"spec",
                 {{"restartPolicy", "Never"},
                  {"containers", {{{"name", "migrate"}, {"image", "example/app:1"}}}}}}}}}}};
  }

  ObjectStore store_;
  AccessControl access_;
  std::filesystem::path log_root_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ApiServerTest, ErrorsAreStatusObjectsWithTheRealReasonAndCode) {
  auto r = client_->Get("/api/v1/namespaces/udab/pods");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Json::parse(r->body), Json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
    "status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})"));

  Json s = get_json("/apis/batch/v1/namespaces/udab/jobs/nope", 404);
  EXPECT_EQ(s["message"], "jobs.batch \"nope\" not found");
  EXPECT_EQ(s["reason"], "NotFound");
  EXPECT_EQ(s["details"], Json::parse(R"({"name":"nope","group":"batch","kind":"jobs"})"));

  s = get_json("/apis/batch/v1/namespaces/prod/jobs", 403, kViewer);
  EXPECT_EQ(s["message"],
            "jobs.batch is forbidden: User \"viewer\" cannot list resource \"jobs\" in API group "
            "\"batch\" in the namespace \"prod\"");
  s = get_json("/api/v1/namespaces/udab/pods/p/log", 403, kViewer);
  EXPECT_EQ(s["message"],
            "pods \"p\" is forbidden: User \"viewer\" cannot get resource \"pods/log\" in API group "
            "\"\" in the namespace \"udab\"");

  s = get_json("/apis/batch/v1/namespaces/udab/cronjobs", 404);
  EXPECT_EQ(s["message"], "the server could not find the requested resource");

  post_json("/apis/batch/v1/namespaces/udab/jobs", job("j1"), 201);
  s = post_json("/apis/batch/v1/namespaces/udab/jobs", job("j1"), 409);
  EXPECT_EQ(s["reason"], "AlreadyExists");
  EXPECT_EQ(s["message"], "jobs.batch \"j1\" already exists");

  Json bad = job("j2");
  bad["spec"]["template"]["spec"].erase("restartPolicy");
  s = post_json("/apis/batch/v1/namespaces/udab/jobs", bad, 422);
  EXPECT_EQ(s["reason"], "Invalid");
  EXPECT_EQ(s["details"]["causes"][0]["field"], "spec.template.spec.restartPolicy");

  s = post_json("/apis/batch/v1/namespaces/missing/jobs", job("j3"), 404);
  EXPECT_EQ(s["message"], "namespaces \"missing\" not found");
}

TEST_F(ApiServerTest, ListPagesWithContinueAndAnExpiredTokenIsGone) {
  for (int i = 0; i < 5; ++i) store_.create(kPods, pod("p" + std::to_string(i), {{"app", i % 2 ? "odd" : "even"}}));
  Json page = get_json("/api/v1/namespaces/udab/pods?limit=2", 200);
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["items"][0]["metadata"]["name"], "p0");
  EXPECT_FALSE(page["items"][0].contains("kind")) << "typed list items carry no kind";
  EXPECT_EQ(page["metadata"]["remainingItemCount"], 3);
  const std::string token = page["metadata"]["continue"];
  Json next = get_json("/api/v1/namespaces/udab/pods?limit=2&continue=" + token, 200);
  EXPECT_EQ(next["items"][0]["metadata"]["name"], "p2");
  EXPECT_EQ(next["metadata"]["resourceVersion"], page["metadata"]["resourceVersion"]);

  Json odd = get_json("/api/v1/namespaces/udab/pods?labelSelector=app%20in%20(odd)", 200);
  ASSERT_EQ(odd["items"].size(), 2u);
  EXPECT_EQ(odd["items"][1]["metadata"]["name"], "p3");
  Json named = get_json("/api/v1/namespaces/udab/pods?fieldSelector=metadata.name%3Dp4", 200);
  ASSERT_EQ(named["items"].size(), 1u);

  store_.compact();
  Json gone = get_json("/api/v1/namespaces/udab/pods?limit=2&continue=" + token, 410);
  EXPECT_EQ(gone["reason"], "Expired");
}

TEST_F(ApiServerTest, WatchResumesFromAResourceVersionAndReportsExpiryInTheStream) {
  store_.create(kPods, pod("a"));
  const std::string rv = std::to_string(store_.resource_version());
  std::thread writer([this] {
    std::this_thread::sleep_for(100ms);
    store_.create(kPods, pod("b"));
    store_.update(kPods, "udab", "b", [](Json& p) { p["metadata"]["labels"]["x"] = "1"; return true; });
    store_.remove(kPods, "udab", "b");
  });
  std::string body;
  auto r = client_->Get(("/api/v1/namespaces/udab/pods?watch=1&timeoutSeconds=1&resourceVersion=" + rv).c_str(),
                        auth(), [&](const char* data, size_t n) { body.append(data, n); return true; });
  writer.join();
  ASSERT_TRUE(r);
  std::vector<std::string> seen;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    const Json e = Json::parse(line);
    seen.push_back(e["type"].get<std::string>() + " " + e["object"]["metadata"]["name"].get<std::string>());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED b", "MODIFIED b", "DELETED b"}));

  store_.compact();
  std::string expired;
  client_->Get(("/api/v1/namespaces/udab/pods?watch=1&timeoutSeconds=1&resourceVersion=" + rv).c_str(), auth(),
               [&](const char* data, size_t n) { expired.append(data, n); return true; });
  const Json e = Json::parse(expired.substr(0, expired.find('\n')));
  EXPECT_EQ(e["type"], "ERROR");
  EXPECT_EQ(e["object"]["code"], 410);
  EXPECT_EQ(e["object"]["reason"], "Expired");
}

TEST_F(ApiServerTest, DryRunCreatesNothing) {
  Json out = post_json("/apis/batch/v1/namespaces/udab/jobs?dryRun=All", job("dry"), 201);
  EXPECT_EQ(out["metadata"]["name"], "dry");
  EXPECT_FALSE(out["metadata"]["uid"].get<std::string>().empty());
  EXPECT_FALSE(out["metadata"].contains("resourceVersion"));
  EXPECT_EQ(out["spec"]["backoffLimit"], 6);
  EXPECT_FALSE(store_.get(kJobs, "udab", "dry"));
}

TEST_F(ApiServerTest, DeletionFollowsThePropagationPolicy) {
  const auto make = [&](const std::string& name) {
    Json j = store_.create(kJobs, {{"metadata", {{"name", name}, {"namespace", "udab"}}}, {"spec", Json::object()}});
    Json p = pod(name + "-pod");
    p["metadata"]["ownerReferences"] = {{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", name},
                                         {"uid", j["metadata"]["uid"]}, {"controller", true}}};
    p["status"] = {{"phase", "Succeeded"}};
    store_.create(kPods, p);
  };
  make("orphan");
  make("background");
  make("foreground");
  GarbageCollector gc(store_);

  // No policy: batch/v1 orphans, as the real REST strategy does.
  auto r = client_->Delete("/apis/batch/v1/namespaces/udab/jobs/orphan", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Json::parse(r->body)["status"], "Success");
  gc.sweep();
  auto orphan = store_.get(kPods, "udab", "orphan-pod");
  ASSERT_TRUE(orphan);
  EXPECT_FALSE((*orphan)["metadata"].contains("ownerReferences"));

  r = client_->Delete("/apis/batch/v1/namespaces/udab/jobs/background", auth(),
                      R"({"propagationPolicy":"Background"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(store_.get(kPods, "udab", "background-pod")) << "the collector, not the delete, removes it";
  gc.sweep();
  EXPECT_FALSE(store_.get(kPods, "udab", "background-pod"));

  r = client_->Delete("/apis/batch/v1/namespaces/udab/jobs/foreground?propagationPolicy=Foreground", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(Json::parse(r->body)["metadata"]["finalizers"], Json::array({"foregroundDeletion"}));
  EXPECT_FALSE(store_.get(kPods, "udab", "foreground-pod")) << "a terminal pod goes at once";
  EXPECT_TRUE(store_.get(kJobs, "udab", "foreground"));
  gc.sweep();
  EXPECT_FALSE(store_.get(kJobs, "udab", "foreground"));
}

TEST_F(ApiServerTest, PodLogsFollowTheKubeletsRules) {
  Json p = pod("runner");
  p["status"] = {{"phase", "Running"},
                 {"containerStatuses",
                  {{{"name", "main"}, {"restartCount", 1}, {"state", {{"running", {{"startedAt", "2026-11-21T10:00:00Z"}}}}},
                    {"lastState", {{"terminated", {{"exitCode", 1}}}}}}}}};
  Json stored = store_.create(kPods, p);
  const std::string uid = stored["metadata"]["uid"];
  const auto file = [&](int attempt) {
    auto path = container_log_path(log_root_, "udab", "runner", uid, "main", attempt);
    std::filesystem::create_directories(path.parent_path());
    return path;
  };
  std::ofstream(file(0)) << format_cri_line({"2026-11-21T09:59:00.000000001Z", "stdout", "first run"});
  std::ofstream(file(1)) << format_cri_line({"2026-11-21T10:00:00.000000001Z", "stdout", "one"})
                         << format_cri_line({"2026-11-21T10:00:01.000000001Z", "stderr", "two"});

  auto r = client_->Get("/api/v1/namespaces/udab/pods/runner/log", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "one\ntwo\n");
  r = client_->Get("/api/v1/namespaces/udab/pods/runner/log?tailLines=1&timestamps=true", auth());
  EXPECT_EQ(r->body, "2026-11-21T10:00:01.000000001Z two\n");
  r = client_->Get("/api/v1/namespaces/udab/pods/runner/log?previous=true", auth());
  EXPECT_EQ(r->body, "first run\n");
  r = client_->Get("/api/v1/namespaces/udab/pods/runner/log?container=other", auth());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Json::parse(r->body)["message"], "container other is not valid for pod runner");

  // follow: a line appended while streaming arrives, and the stream ends with the container.
  std::thread appender([&] {
    std::this_thread::sleep_for(150ms);
    std::ofstream(file(1), std::ios::app) << format_cri_line({"2026-11-21T10:00:02.000000001Z", "stdout", "three"});
    std::this_thread::sleep_for(150ms);
    store_.update(kPods, "udab", "runner", [](Json& q) {
      q["status"]["containerStatuses"][0]["state"] = {{"terminated", {{"exitCode", 0}}}};
      return true;
    });
  });
  std::string streamed;
  r = client_->Get("/api/v1/namespaces/udab/pods/runner/log?follow=true", auth(),
                   [&](const char* data, size_t n) { streamed.append(data, n); return true; });
  appender.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(streamed, "one\ntwo\nthree\n");
}

TEST_F(ApiServerTest, KubectlGetsTablesAndDiscovery) {
  post_json("/apis/batch/v1/namespaces/udab/jobs", job("tabled"), 201);
  auto r = client_->Get("/apis/batch/v1/namespaces/udab/jobs",
                        {{"Authorization", std::string("Bearer ") + kAdmin},
                         {"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}});
  ASSERT_TRUE(r);
  const Json t = Json::parse(r->body);
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["rows"][0]["cells"][0], "tabled");
  EXPECT_EQ(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");

  const Json batch = get_json("/apis/batch/v1", 200);
  EXPECT_EQ(batch["groupVersion"], "batch/v1");
  EXPECT_EQ(batch["resources"][0]["name"], "jobs");
  EXPECT_EQ(batch["resources"][0]["kind"], "Job");
  const Json version = get_json("/version", 200);
  EXPECT_EQ(version["gitVersion"], "v1.31.4");
}

}  // namespace
}  // namespace mgate::kubesim
