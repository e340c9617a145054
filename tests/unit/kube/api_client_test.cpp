// backend/kube's ApiClient against the simulated API server (tests/sandbox/kubesim), in process
// over plain HTTP: paging, the 410 restart, typed errors, propagation, 401 refresh, watch.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "backend/kube/api_client.hpp"
#include "backend/kube/watched_list.hpp"
#include "tests/sandbox/kubesim/api_server.hpp"
#include "tests/sandbox/kubesim/deletion.hpp"

namespace mgate::backend::kube {
namespace {

using namespace std::chrono_literals;
namespace sim = mgate::kubesim;

constexpr const char* kToken = "good-token";

/// A token source that can be told to hand out a stale token first, or to run a hook on each
/// request (to compact the server's history between two pages).
class ScriptedToken : public TokenSource {
 public:
  Result<std::optional<Secret>> token() override {
    if (hook) hook();
    return std::optional<Secret>(Secret(stale ? "stale-token" : kToken));
  }
  bool invalidate() override {
    ++invalidations;
    stale = false;
    return true;
  }
  bool stale = false;
  int invalidations = 0;
  std::function<void()> hook;
};

class ApiClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    access_.add_token(kToken, sim::Principal{{"tester", {}}, {sim::AccessRule{}}});
    server_ = std::make_unique<sim::ApiServer>(store_, access_, sim::ServerOptions{});
    server_->start();
    store_.create(sim::kNamespaces, {{"metadata", {{"name", "udab"}}}});
    token_ = std::make_shared<ScriptedToken>();
    ApiClientOptions o;
    o.server = "http://127.0.0.1:" + std::to_string(server_->port());
    o.token = token_;
    client_ = std::make_unique<ApiClient>(o);
  }
  void TearDown() override {
    client_.reset();  // its kept-alive connection closed first, so the server stops at once
    server_->stop();
  }

  void store_job(const std::string& name) {
    store_.create(sim::kJobs, {{"metadata", {{"name", name}, {"namespace", "udab"},
                                             {"labels", {{"component", "migration"}}}}},
                               {"spec", Json::object()}});
  }
  static Json job(const std::string& name) {
    return {{"apiVersion", "batch/v1"},
            {"kind", "Job"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"template",
               {{"spec",
                 {{"restartPolicy", "Never"},
                  {"containers", {{{"name", "m"}, {"image", "x:1"}}}}}}}}}}};
  }

  sim::ObjectStore store_;
  sim::AccessControl access_;
  std::unique_ptr<sim::ApiServer> server_;
  std::shared_ptr<ScriptedToken> token_;
  std::unique_ptr<ApiClient> client_;
};

TEST_F(ApiClientTest, ListingTwoThousandJobsGoesThroughPages) {
  for (int i = 0; i < 2000; ++i) store_job(fmt::format("job-{:04}", i));
  auto list = client_->list(kJobs, "udab", ListOptions{"component=migration", "", 500});
  ASSERT_TRUE(list.ok()) << list.error().describe();
  EXPECT_EQ(list->items.size(), 2000u);
  EXPECT_EQ(list->pages, 4);
  EXPECT_EQ(list->items.front()["metadata"]["name"], "job-0000");
  EXPECT_EQ(list->items.back()["metadata"]["name"], "job-1999");
  EXPECT_FALSE(list->resource_version.empty());
}

TEST_F(ApiClientTest, ListedItemsComeWithoutManagedFieldsAndKeepEverythingElse) {
  Json j = job("db-migration-1");
  j["metadata"]["annotations"] = {{"managedFields", "an annotation by that name stays"}};
  ASSERT_TRUE(client_->create(kJobs, "udab", j, false).ok());
  auto got = client_->get(kJobs, "udab", "db-migration-1");
  ASSERT_TRUE(got.ok()) << got.error().describe();
  ASSERT_TRUE((*got)["metadata"].contains("managedFields"));  // the server keeps them

  auto list = client_->list(kJobs, "udab", ListOptions{});
  ASSERT_TRUE(list.ok()) << list.error().describe();
  ASSERT_EQ(list->items.size(), 1u);
  Json expected = *got;
  expected["metadata"].erase("managedFields");
  expected.erase("apiVersion");  // a list's items carry no kind of their own, as on a real server
  expected.erase("kind");
  EXPECT_EQ(list->items[0], expected);
  EXPECT_EQ(list->items[0]["metadata"]["annotations"]["managedFields"], "an annotation by that name stays");
}

TEST_F(ApiClientTest, AnExpiredContinueTokenStartsTheListOver) {
  for (int i = 0; i < 5; ++i) store_job(fmt::format("job-{}", i));
  int requests = 0;
  // The second request (the first continue) finds the history compacted: 410 Expired.
  token_->hook = [&] {
    if (++requests == 2) store_.compact();
  };
  auto list = client_->list(kJobs, "udab", ListOptions{"", "", 2});
  ASSERT_TRUE(list.ok()) << list.error().describe();
  EXPECT_EQ(list->restarts, 1);
  EXPECT_EQ(list->items.size(), 5u);
  EXPECT_EQ(list->pages, 4) << "one page before the restart, three after";
}

TEST_F(ApiClientTest, StatusErrorsBecomeTypedErrors) {
  auto missing = client_->get(kJobs, "udab", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message,
            "Kubernetes get jobs.batch \"nope\" in udab: NotFound: jobs.batch \"nope\" not found");

  ASSERT_TRUE(client_->create(kJobs, "udab", job("j1")).ok());
  auto again = client_->create(kJobs, "udab", job("j1"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);

  Json bad = job("j2");
  bad["spec"]["template"]["spec"].erase("restartPolicy");
  auto invalid = client_->create(kJobs, "udab", bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(invalid.error().message.find("spec.template.spec.restartPolicy: Required value"),
            std::string::npos)
      << invalid.error().message;
}

TEST_F(ApiClientTest, DryRunStoresNothing) {
  auto dry = client_->create(kJobs, "udab", job("dry"), /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.error().describe();
  EXPECT_EQ((*dry)["spec"]["backoffLimit"], 6) << "the server's defaults come back";
  EXPECT_FALSE(store_.get(sim::kJobs, "udab", "dry"));
}

TEST_F(ApiClientTest, DeleteAlwaysStatesThePropagationPolicy) {
  const auto owned_pod = [&](const std::string& job_name) {
    const Json j = *store_.get(sim::kJobs, "udab", job_name);
    store_.create(sim::kPods, {{"metadata", {{"name", job_name + "-pod"}, {"namespace", "udab"},
                                             {"ownerReferences", {{{"apiVersion", "batch/v1"}, {"kind", "Job"},
                                                                   {"name", job_name}, {"uid", j["metadata"]["uid"]},
                                                                   {"controller", true}}}}}},
                               {"status", {{"phase", "Succeeded"}}}});
  };
  store_job("bg");
  owned_pod("bg");
  ASSERT_TRUE(client_->remove(kJobs, "udab", "bg", Propagation::kBackground).ok());
  sim::GarbageCollector(store_).sweep();
  EXPECT_FALSE(store_.get(sim::kPods, "udab", "bg-pod")) << "Background: the pod follows its Job";

  store_job("orphan");
  owned_pod("orphan");
  ASSERT_TRUE(client_->remove(kJobs, "udab", "orphan", Propagation::kOrphan).ok());
  sim::GarbageCollector(store_).sweep();
  EXPECT_TRUE(store_.get(sim::kPods, "udab", "orphan-pod"));

  store_job("kept");
  ASSERT_TRUE(client_->remove(kJobs, "udab", "kept", Propagation::kBackground, /*dry_run=*/true).ok());
  EXPECT_TRUE(store_.get(sim::kJobs, "udab", "kept"));
}

TEST_F(ApiClientTest, A401AsksTheTokenSourceOnceForAFreshToken) {
  store_job("visible");
  token_->stale = true;
  auto got = client_->get(kJobs, "udab", "visible");
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(token_->invalidations, 1);

  ApiClientOptions o;
  o.server = "http://127.0.0.1:" + std::to_string(server_->port());
  o.token = std::make_shared<StaticToken>(Secret("wrong"));
  auto refused = ApiClient(o).get(kJobs, "udab", "visible");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(refused.error().message.find("wrong"), std::string::npos) << "no token in errors";
}

TEST_F(ApiClientTest, WatchDeliversEventsFromAResourceVersionAndReportsExpiry) {
  store_job("before");
  const std::string rv = std::to_string(store_.resource_version());
  std::thread writer([&] {
    std::this_thread::sleep_for(100ms);
    store_job("after");
  });
  std::vector<std::string> seen;
  auto s = client_->watch(kJobs, "udab", {}, rv, [&](const WatchEvent& e) {
    seen.push_back(e.type + " " + e.object["metadata"]["name"].get<std::string>());
    return false;  // one is enough
  });
  writer.join();
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(seen, std::vector<std::string>{"ADDED after"});

  store_.compact();
  auto expired = client_->watch(kJobs, "udab", {}, rv, [](const WatchEvent&) { return true; });
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kConflict);
  EXPECT_EQ(expired.error().detail, "Expired");
}

TEST_F(ApiClientTest, AWatchFromAListsVersionSeesWhatChangedSinceAsTheApiServerSaysIt) {
  store_job("job-0");
  auto list = client_->list(kJobs, "udab", ListOptions{"component=migration"});
  ASSERT_TRUE(list.ok());
  // Both before the watch opens: a deletion of an object the list had, and a creation.
  store_.remove(sim::kJobs, "udab", "job-0");
  store_job("job-1");
  std::vector<std::pair<std::string, std::string>> events;
  auto watched = client_->watch(kJobs, "udab", ListOptions{"component=migration"}, list->resource_version,
                                [&](const WatchEvent& e) {
                                  events.emplace_back(e.type, e.object["metadata"].value("name", ""));
                                  return events.size() < 2;
                                });
  ASSERT_TRUE(watched.ok()) << watched.error().describe();
  EXPECT_EQ(events, (std::vector<std::pair<std::string, std::string>>{{"DELETED", "job-0"}, {"ADDED", "job-1"}}));
}

TEST_F(ApiClientTest, AWatchedListFollowsEventsWithoutListingAgain) {
  for (int i = 0; i < 3; ++i) store_job(fmt::format("job-{}", i));
  std::atomic<int> requests = 0;
  token_->hook = [&] { ++requests; };  // the token is asked once per request, by either client
  ApiClientOptions o;
  o.server = "http://127.0.0.1:" + std::to_string(server_->port());
  o.token = token_;
  std::set<std::string> names;
  auto read_names = [&](WatchedList<std::string>& list) {
    auto now = list.current(5s);
    EXPECT_TRUE(now.ok()) << now.error().describe();
    names = now.ok() ? std::set<std::string>(now->begin(), now->end()) : std::set<std::string>{};
  };
  {
    WatchedList<std::string> list(std::make_unique<ApiClient>(o), kJobs, "udab", ListOptions{"component=migration"},
                                  [](Json& job) { return std::optional<std::string>(job["metadata"]["name"]); });
    read_names(list);
    EXPECT_EQ(names, (std::set<std::string>{"job-0", "job-1", "job-2"}));
    EXPECT_EQ(list.lists(), 1);

    store_job("job-3");
    store_.remove(sim::kJobs, "udab", "job-0");
    for (int i = 0; i < 100 && names != std::set<std::string>{"job-1", "job-2", "job-3"}; ++i) {
      std::this_thread::sleep_for(20ms);
      read_names(list);
    }
    EXPECT_EQ(names, (std::set<std::string>{"job-1", "job-2", "job-3"}));
    const int before = requests.load();
    for (int i = 0; i < 10; ++i) read_names(list);
    EXPECT_EQ(requests, before) << "reading the watched list sends nothing";
    EXPECT_EQ(list.lists(), 1) << "one list, then events";
    EXPECT_LE(requests, 2) << "the list and the watch";
  }  // stops the watch

  // A server that went away is what current() answers, once the watch notices.
  WatchedList<std::string> list(std::make_unique<ApiClient>(o), kJobs, "udab", ListOptions{},
                                [](Json& job) { return std::optional<std::string>(job["metadata"]["name"]); },
                                50ms);
  read_names(list);
  EXPECT_EQ(names.size(), 3u);
  server_->stop();
  Result<std::vector<std::string>> after = std::vector<std::string>{};
  for (int i = 0; i < 100 && after.ok(); ++i) {
    std::this_thread::sleep_for(20ms);
    after = list.current(1s);
  }
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().message.find("Kubernetes"), std::string::npos) << after.error().message;
}

}  // namespace
}  // namespace mgate::backend::kube
