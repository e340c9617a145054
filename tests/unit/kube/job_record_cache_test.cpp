// The job record cache: a Job deleted by its TTL still has its outcome and logs on disk.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "backend/kube/job_record_cache.hpp"

namespace mgate::backend::kube {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class JobRecordCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mgate-records-" + std::to_string(getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  static JobRecord record(const std::string& name, const std::string& uid, const std::string& created) {
    Json job = {{"metadata", {{"name", name}, {"uid", uid}, {"creationTimestamp", created}}},
                {"status", {{"failed", 1}, {"conditions", {{{"type", "Failed"}, {"reason", "BackoffLimitExceeded"}}}}}}};
    Json pod = {{"metadata", {{"name", name + "-abcde"}, {"creationTimestamp", created}}}};
    return JobRecord{job, {PodRecord{pod, {{"migrate", "INFO upgrade\nERROR boom\n"}}, {{"migrate", "first run\n"}}}}};
  }

  fs::path root_;
};

TEST_F(JobRecordCacheTest, ASavedJobComesBackWithItsPodsAndLogs) {
  const JobRecordCache cache(root_);
  ASSERT_TRUE(cache.save("stage", record("db-migration-3f2a1c9", "uid-1", "2026-11-21T10:00:00Z")).ok());
  EXPECT_TRUE(cache.contains("stage", "uid-1"));
  EXPECT_FALSE(cache.contains("prod", "uid-1"));
  auto found = cache.find("stage", "db-migration-3f2a1c9");
  ASSERT_TRUE(found.ok()) << found.error().describe();
  ASSERT_TRUE(found->has_value());
  const JobRecord& r = **found;
  EXPECT_EQ(r.job["status"]["conditions"][0]["reason"], "BackoffLimitExceeded");
  ASSERT_EQ(r.pods.size(), 1u);
  EXPECT_EQ(r.pods[0].logs.at("migrate"), "INFO upgrade\nERROR boom\n");
  EXPECT_EQ(r.pods[0].previous_logs.at("migrate"), "first run\n");
  EXPECT_TRUE(fs::exists(root_ / "jobs/stage/uid-1/logs/db-migration-3f2a1c9-abcde/migrate.log"));
}

TEST_F(JobRecordCacheTest, RecordsListOldestFirstAndFindTakesTheNewestOfAName) {
  const JobRecordCache cache(root_);
  ASSERT_TRUE(cache.save("stage", record("chores-migration", "uid-b", "2026-11-21T11:00:00Z")).ok());
  ASSERT_TRUE(cache.save("stage", record("chores-migration", "uid-a", "2026-11-21T10:00:00Z")).ok());
  ASSERT_TRUE(cache.save("stage", record("other", "uid-c", "2026-11-21T10:30:00Z")).ok());
  auto all = cache.load_all("stage");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].job["metadata"]["uid"], "uid-a");
  EXPECT_EQ((*all)[2].job["metadata"]["uid"], "uid-b");
  auto newest = cache.find("stage", "chores-migration");
  ASSERT_TRUE(newest.ok() && newest->has_value());
  EXPECT_EQ((**newest).job["metadata"]["uid"], "uid-b") << "a static name rerun: the newest run";
  auto none = cache.find("stage", "never");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(JobRecordCacheTest, SavingAgainReplacesTheRecordAndPathsCannotEscape) {
  const JobRecordCache cache(root_);
  JobRecord r = record("j", "uid-1", "2026-11-21T10:00:00Z");
  ASSERT_TRUE(cache.save("stage", r).ok());
  r.pods[0].logs["migrate"] = "second\n";
  r.pods[0].previous_logs.clear();
  ASSERT_TRUE(cache.save("stage", r).ok());
  auto again = cache.find("stage", "j");
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((**again).pods[0].logs.at("migrate"), "second\n");
  EXPECT_TRUE((**again).pods[0].previous_logs.empty());

  JobRecord evil = record("j", "../escape", "2026-11-21T10:00:00Z");
  EXPECT_FALSE(cache.save("stage", evil).ok());
  EXPECT_FALSE(fs::exists(root_ / "jobs/escape"));
}

TEST_F(JobRecordCacheTest, StampsNameEachRecordAndChangeWhenItIsSavedAgain) {
  const JobRecordCache cache(root_);
  EXPECT_TRUE(cache.stamps("stage").empty()) << "no directory yet";
  ASSERT_TRUE(cache.save("stage", record("a", "uid-a", "2026-11-21T10:00:00Z")).ok());
  ASSERT_TRUE(cache.save("stage", record("b", "uid-b", "2026-11-21T11:00:00Z")).ok());
  auto before = cache.stamps("stage");
  ASSERT_EQ(before.size(), 2u);
  std::map<std::string, fs::file_time_type> by_uid;
  for (const auto& s : before) by_uid[s.uid] = s.written;
  ASSERT_EQ(by_uid.size(), 2u);
  ASSERT_TRUE(by_uid.contains("uid-a") && by_uid.contains("uid-b"));

  // Rewritten later (a new phase): its stamp moves, the other's does not.
  fs::last_write_time(root_ / "jobs/stage/uid-a/job.json", by_uid["uid-a"] - std::chrono::seconds(10));
  const auto old_a = fs::last_write_time(root_ / "jobs/stage/uid-a/job.json");
  ASSERT_TRUE(cache.save("stage", record("a", "uid-a", "2026-11-21T10:00:00Z")).ok());
  for (const auto& s : cache.stamps("stage")) {
    if (s.uid == "uid-a") {
      EXPECT_NE(s.written, old_a);
    } else {
      EXPECT_EQ(s.written, by_uid["uid-b"]);
    }
  }
}

TEST_F(JobRecordCacheTest, ALoadWithoutLogsHasThePodsButReadsNoLog) {
  const JobRecordCache cache(root_);
  ASSERT_TRUE(cache.save("stage", record("a", "uid-a", "2026-11-21T10:00:00Z")).ok());
  auto light = cache.load_uid("stage", "uid-a", RecordParts::kWithoutLogs);
  ASSERT_TRUE(light.ok() && light->has_value());
  ASSERT_EQ((*light)->pods.size(), 1u);
  EXPECT_EQ((*light)->pods[0].pod["metadata"]["name"], "a-abcde");
  EXPECT_TRUE((*light)->pods[0].logs.empty());
  EXPECT_TRUE((*light)->pods[0].previous_logs.empty());
  auto full = cache.load_uid("stage", "uid-a");
  ASSERT_TRUE(full.ok() && full->has_value());
  EXPECT_EQ((*full)->pods[0].logs.at("migrate"), "INFO upgrade\nERROR boom\n");
}

TEST_F(JobRecordCacheTest, TheDefaultRootFollowsXdgStateHome) {
  auto with_state = JobRecordCache::default_root([](const std::string& k) -> std::optional<std::string> {
    if (k == "XDG_STATE_HOME") return "/var/state";
    return "/home/op";
  });
  ASSERT_TRUE(with_state.ok());
  EXPECT_EQ(*with_state, fs::path("/var/state/mgate"));
  auto relative = JobRecordCache::default_root([](const std::string& k) -> std::optional<std::string> {
    if (k == "XDG_STATE_HOME") return "relative/state";
    return "/home/op";
  });
  ASSERT_TRUE(relative.ok());
  EXPECT_EQ(*relative, fs::path("/home/op/.local/state/mgate")) << "a relative XDG_STATE_HOME is ignored";
  auto neither = JobRecordCache::default_root([](const std::string&) { return std::optional<std::string>(); });
  EXPECT_FALSE(neither.ok());
}

}  // namespace
}  // namespace mgate::backend::kube
