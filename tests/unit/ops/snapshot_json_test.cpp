// What `mgate status --json` lists of a big namespace and a big repository: the Jobs and commits
// that matter to the gate, with the totals; `mgate jobs` and `mgate tags` list everything.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

#include "backend/ops/snapshot.hpp"

namespace mgate::backend::ops {
namespace {

using Json = nlohmann::json;

std::string hex_sha(int n) { return fmt::format("{:040x}", n + 1); }

kube::JobEntry snapshot_job(int n, kube::JobPhase phase) {
  kube::JobEntry j;
  j.view.name = fmt::format("db-migration-{:03}", n);
  j.view.uid = fmt::format("uid-{}", n);
  j.view.status.phase = phase;
  return j;
}

std::set<std::string> names_of(const Json& jobs) {
  std::set<std::string> out;
  for (const Json& j : jobs) out.insert(j["name"].get<std::string>());
  return out;
}

TEST(SnapshotJson, StatusListsTheJobsAndCommitsTheGateNeedsWithTheTotals) {
  EnvSnapshot s;
  s.env = "stage";
  // 40 Jobs, oldest first: #3 still runs, #5 is the one a gate names, #7 is suspended.
  JobsData jobs;
  jobs.ns = "udab";
  for (int n = 0; n < 40; ++n) {
    const kube::JobPhase phase = n == 3   ? kube::JobPhase::kActive
                                 : n == 7 ? kube::JobPhase::kSuspended
                                          : kube::JobPhase::kComplete;
    jobs.jobs.push_back(snapshot_job(n, phase));
    jobs.pods.emplace_back();
  }
  s.jobs.value = std::make_shared<const JobsData>(std::move(jobs));
  // 500 commits; the gates judge two, and a third one runs.
  registry::TagModel tags;
  for (int n = 0; n < 500; ++n) {
    registry::ShaImages row;
    row.sha = hex_sha(n);
    row.built = registry::TagState{"stage-" + row.sha, fmt::format("sha256:{:064x}", n), "", std::nullopt};
    tags.shas.push_back(std::move(row));
  }
  s.tags.value = std::make_shared<const registry::TagModel>(std::move(tags));
  ShaGate first;
  first.sha = hex_sha(0);
  first.job = "db-migration-005";
  ShaGate second;
  second.sha = hex_sha(1);
  s.gates = {first, second};
  s.deployed_sha = hex_sha(250);

  const Json j = to_json(s);
  const Json& listed = j["sources"]["jobs"]["value"];
  EXPECT_EQ(listed["total"], 40);
  std::set<std::string> want = {"db-migration-003", "db-migration-005"};
  for (int n = 30; n < 40; ++n) want.insert(fmt::format("db-migration-{:03}", n));
  EXPECT_EQ(names_of(listed["jobs"]), want) << "a suspended Job is not in flight";
  EXPECT_EQ(listed["jobs"][0]["name"], "db-migration-003") << "oldest first, as mgate jobs lists them";

  const Json& model = j["sources"]["tags"]["value"];
  EXPECT_EQ(model["shas_total"], 500);
  std::set<std::string> shas;
  for (const Json& row : model["shas"]) shas.insert(row["sha"].get<std::string>());
  EXPECT_EQ(shas, (std::set<std::string>{hex_sha(0), hex_sha(1), hex_sha(250)}));
}

TEST(SnapshotJson, TheTagsCommandStillListsEveryCommit) {
  registry::TagModel tags;
  for (int n = 0; n < 30; ++n) {
    registry::ShaImages row;
    row.sha = hex_sha(n);
    tags.shas.push_back(std::move(row));
  }
  const Json j = registry::to_json(tags);
  EXPECT_EQ(j["shas_total"], 30);
  EXPECT_EQ(j["shas"].size(), 30u);
}

}  // namespace
}  // namespace mgate::backend::ops
