// mgate's alembic reader against the real alembic: every generated script directory (linear,
// branches, merges, labels, depends_on, annotated assignments, sub-folders, several version
// locations, non-hex ids, 2,000 revisions) and the sandbox app. Heads, bases, history order and
// text, labels, upgrade paths, lookups and stamps must be identical to alembic's answers.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>

#include "backend/alembic/listing.hpp"
#include "backend/alembic/relation.hpp"
#include "backend/alembic/script_directory.hpp"
#include "backend/alembic/stamp.hpp"
#include "backend/core/strings.hpp"
#include "tests/conformance/conformance_data.hpp"

namespace mgate::conformance {
namespace {

namespace alembic = backend::alembic;
namespace fs = std::filesystem;
using nlohmann::json;

// Differences found, as lines; a test prints the first few.
using Mismatches = std::vector<std::string>;

std::string show(const std::vector<std::string>& v) {
  return "[" + fmt::format("{}", fmt::join(v, ", ")) + "]";
}

std::string first_lines(const Mismatches& m, std::size_t n = 15) {
  std::string out;
  for (std::size_t i = 0; i < m.size() && i < n; ++i) out += m[i] + "\n";
  if (m.size() > n) out += fmt::format("... and {} more\n", m.size() - n);
  return out;
}

void expect_equal(Mismatches& out, const std::string& what, const std::vector<std::string>& expected,
                  const std::vector<std::string>& actual) {
  if (expected == actual) return;
  out.push_back(fmt::format("{}: alembic {} mgate {}", what, show(expected), show(actual)));
}

// Splits text into lines the way print() wrote them, so multi-line messages compare exactly.
std::vector<std::string> joined_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return {text};
}

class Conformance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto start = std::chrono::steady_clock::now();
    auto prepared = prepare_oracle();
    ASSERT_TRUE(prepared.ok()) << prepared.error().describe();
    oracle_ = std::move(*prepared).release();
    for (const auto& c : oracle_->manifest["cases"]) {
      auto loaded = alembic::load_script_directory(c["scripts"].get<std::string>());
      ASSERT_TRUE(loaded.ok()) << c["name"] << ": " << loaded.error().describe();
      ours_->emplace(c["name"].get<std::string>(), std::move(*loaded));
    }
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("conformance: %zu cases; generator %.2fs, alembic oracle %.2fs, total setup %.2fs\n",
                oracle_->manifest["cases"].size(), oracle_->generate_seconds, oracle_->oracle_seconds, total);
  }
  static void TearDownTestSuite() {
    delete oracle_;
    oracle_ = nullptr;
    ours_->clear();
  }

  // Calls check(name, case, alembic's answer, our directory) for every case that loads.
  template <typename Check>
  static Mismatches each_sound_case(Check check) {
    Mismatches out;
    for (const auto& c : oracle_->manifest["cases"]) {
      const std::string name = c["name"];
      if (c.value("broken", false)) continue;
      const json& answer = oracle_->answers.at(name);
      const auto& ours = ours_->at(name);
      if (answer.contains("error") || !ours.ok()) {
        out.push_back(fmt::format("{}: alembic {} / mgate {}", name, answer.dump(),
                                  ours.ok() ? "ok" : ours.diagnostics.front().format()));
        continue;
      }
      check(name, c, answer, *ours.graph, out);
    }
    return out;
  }

  static Oracle* oracle_;
  static std::unique_ptr<std::map<std::string, alembic::ScriptDirectory>> ours_;
};

Oracle* Conformance::oracle_ = nullptr;
std::unique_ptr<std::map<std::string, alembic::ScriptDirectory>> Conformance::ours_ =
    std::make_unique<std::map<std::string, alembic::ScriptDirectory>>();

// The comparison itself must be able to fail: a history with two entries swapped is caught.
Mismatches compare_history(const json& answer, const std::vector<std::string>& ours) {
  Mismatches m;
  expect_equal(m, "history", strings(answer["history"]), ours);
  return m;
}

TEST_F(Conformance, CoversTheShapesTheIssueNames) {
  std::map<std::string, int> revisions;
  for (const auto& c : oracle_->manifest["cases"]) revisions[c["name"]] = c.value("revisions", 0);
  for (const char* name : {"linear", "hand_made", "branches", "merges", "depends_on", "non_hex", "recursive",
                           "locations_os", "locations_space", "locations_semicolon", "locations_colon",
                           "locations_legacy", "many_heads", "plain_dir", "big", "sandbox_app"}) {
    EXPECT_EQ(revisions.count(name), 1U) << name;
  }
  EXPECT_EQ(revisions["big"], 2000);
  EXPECT_EQ(ours_->at("big").graph->revisions().size(), 2000U);
}

TEST_F(Conformance, HeadsAndBasesAreAlembics) {
  const auto m = each_sound_case([](const std::string& name, const json&, const json& a,
                                    const alembic::RevisionGraph& g, Mismatches& out) {
    expect_equal(out, name + " heads", strings(a["heads"]), g.heads());
    expect_equal(out, name + " real heads", strings(a["real_heads"]), g.real_heads());
    expect_equal(out, name + " bases", strings(a["bases"]), g.bases());
    expect_equal(out, name + " real bases", strings(a["real_bases"]), g.real_bases());
  });
  EXPECT_TRUE(m.empty()) << first_lines(m);
}

TEST_F(Conformance, HistoryOrderAndTextAreAlembics) {
  const auto m = each_sound_case([](const std::string& name, const json&, const json& a,
                                    const alembic::RevisionGraph& g, Mismatches& out) {
    expect_equal(out, name + " history", strings(a["history"]), g.history());
    expect_equal(out, name + " history text", joined_lines(strings(a["history_lines"])),
                 {alembic::history_text(g)});
    expect_equal(out, name + " heads text", joined_lines(strings(a["heads_lines"])),
                 {alembic::heads_text(g)});
  });
  EXPECT_TRUE(m.empty()) << first_lines(m);
}

TEST_F(Conformance, AWrongOrderFailsTheComparison) {
  const json& a = oracle_->answers.at("merges");
  auto history = ours_->at("merges").graph->history();
  ASSERT_TRUE(compare_history(a, history).empty());
  ASSERT_GT(history.size(), 3U);
  std::swap(history[1], history[2]);
  EXPECT_FALSE(compare_history(a, history).empty());
}

TEST_F(Conformance, LabelsMessagesAndFlagsAreAlembics) {
  const auto m = each_sound_case([](const std::string& name, const json&, const json& a,
                                    const alembic::RevisionGraph& g, Mismatches& out) {
    for (const auto& [id, expected] : a["revisions"].items()) {
      const auto* r = g.find(id);
      if (r == nullptr) {
        out.push_back(name + ": mgate lacks " + id);
        continue;
      }
      const std::string where = name + " " + id;
      expect_equal(out, where + " labels", strings(expected["labels"]), r->branch_labels);
      expect_equal(out, where + " message", {expected["message"].get<std::string>()}, {r->script.message});
      auto children = r->children;
      std::sort(children.begin(), children.end());
      expect_equal(out, where + " children", strings(expected["children"]), children);
      const std::vector<std::string> flags_a = {
          expected["is_head"].dump(), expected["is_real_head"].dump(), expected["is_base"].dump(),
          expected["is_branch_point"].dump(), expected["is_merge_point"].dump()};
      const std::vector<std::string> flags_m = {json(r->is_head).dump(), json(r->is_real_head).dump(),
                                                json(r->is_base).dump(), json(r->is_branch_point).dump(),
                                                json(r->is_merge_point).dump()};
      expect_equal(out, where + " head/real head/base/branch point/merge point", flags_a, flags_m);
    }
    if (a["revisions"].size() != g.revisions().size()) {
      out.push_back(fmt::format("{}: alembic has {} revisions, mgate {}", name, a["revisions"].size(),
                                g.revisions().size()));
    }
  });
  EXPECT_TRUE(m.empty()) << first_lines(m);
}

TEST_F(Conformance, UpgradePathsAreAlembics) {
  std::size_t compared = 0;
  const auto m = each_sound_case([&compared](const std::string& name, const json& c, const json& a,
                                             const alembic::RevisionGraph& g, Mismatches& out) {
    const auto& states = c["queries"]["upgrade"];
    for (std::size_t i = 0; i < states.size(); ++i) {
      const auto rows = strings(states[i]);
      const json& expected = a["upgrade"][i];
      const auto path = g.upgrade_path(rows);
      const std::string where = fmt::format("{} upgrade from {}", name, show(rows));
      ++compared;
      if (expected.contains("error")) {
        if (path.ok())
          out.push_back(fmt::format("{}: alembic fails ({}), mgate gives {}", where,
                                    expected["message"].get<std::string>(), show(*path)));
        else
          expect_equal(out, where + " error", {expected["error"].get<std::string>()},
                       {error_kind(path.error().message)});
        continue;
      }
      if (!path.ok()) {
        out.push_back(where + ": mgate fails: " + path.error().message);
        continue;
      }
      expect_equal(out, where, strings(expected["path"]), *path);
    }
  });
  EXPECT_TRUE(m.empty()) << first_lines(m);
  EXPECT_GT(compared, 200U);
}

TEST_F(Conformance, RelationAgreesWithAlembicsUpgrade) {
  const auto m = each_sound_case([](const std::string& name, const json& c, const json& a,
                                    const alembic::RevisionGraph& g, Mismatches& out) {
    const auto& states = c["queries"]["upgrade"];
    for (std::size_t i = 0; i < states.size(); ++i) {
      const auto rows = strings(states[i]);
      const json& expected = a["upgrade"][i];
      const auto relation = alembic::relate(g, rows);
      const std::string where = fmt::format("{} relation of {}: {}", name, show(rows), relation.sentence());
      using Kind = alembic::Relation::Kind;
      if (expected.contains("error")) {
        const std::string kind = expected["error"];
        const bool ok = (kind == "not_found" && relation.kind == Kind::kUnknown) ||
                        (kind == "overlap" && relation.kind == Kind::kInconsistent);
        if (!ok) out.push_back(where + " (alembic: " + kind + ")");
        continue;
      }
      const auto path = strings(expected["path"]);
      expect_equal(out, where, path, relation.pending);
      if (path.empty() != (relation.kind == Kind::kAtHeads)) out.push_back(where + " (alembic path empty?)");
      if (relation.kind == Kind::kBehind && g.real_heads().size() != 1)
        out.push_back(where + " (several heads)");
    }
  });
  EXPECT_TRUE(m.empty()) << first_lines(m);
}

TEST_F(Conformance, LookupsAreAlembics) {
  const auto m = each_sound_case([](const std::string& name, const json& c, const json& a,
                                    const alembic::RevisionGraph& g, Mismatches& out) {
    const auto& args = c["queries"]["lookup"];
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string arg = args[i];
      const json& expected = a["lookup"][i];
      const auto got = g.resolve(arg);
      const std::string where = fmt::format("{} lookup '{}'", name, arg);
      if (!expected.contains("error")) {
        if (!got.ok())
          out.push_back(where + ": mgate fails: " + got.error().message);
        else
          expect_equal(out, where, strings(expected["ids"]), *got);
        continue;
      }
      if (got.ok()) {
        out.push_back(fmt::format("{}: alembic fails ({}), mgate gives {}", where,
                                  expected["message"].get<std::string>(), show(*got)));
        continue;
      }
      const std::string kind = expected["error"];
      expect_equal(out, where + " error", {kind}, {error_kind(got.error().message)});
      if (kind == "ambiguous") {
        // alembic lists the first three candidates; mgate lists them all, in the same order.
        const std::string message = expected["message"];
        const auto colon = message.find(": ");
        for (const auto& candidate : backend::split(message.substr(colon + 2), ',')) {
          const std::string trimmed(
              backend::trim(std::string_view(candidate).substr(0, candidate.rfind('\''))));
          if (got.error().message.find(trimmed) == std::string::npos)
            out.push_back(where + ": mgate does not list " + trimmed + ": " + got.error().message);
        }
      }
    }
  });
  EXPECT_TRUE(m.empty()) << first_lines(m);
}

TEST_F(Conformance, StampRowsAreAlembics) {
  std::size_t compared = 0;
  const auto m = each_sound_case([&compared](const std::string& name, const json& c, const json& a,
                                             const alembic::RevisionGraph& g, Mismatches& out) {
    const auto& stamps = c["queries"]["stamp"];
    for (std::size_t i = 0; i < stamps.size(); ++i) {
      const auto rows = strings(stamps[i]["rows"]);
      const auto targets = strings(stamps[i]["targets"]);
      const json& expected = a["stamp"][i];
      const std::string where = fmt::format("{} stamp {} from {}", name, show(targets), show(rows));
      auto got = alembic::stamp_rows(g, rows, targets);
      ++compared;
      if (expected.contains("error")) {
        if (got.ok())
          out.push_back(fmt::format("{}: alembic fails ({}), mgate gives {}", where,
                                    expected["message"].get<std::string>(), show(*got)));
        else
          expect_equal(out, where + " error", {expected["error"].get<std::string>()},
                       {error_kind(got.error().message)});
        continue;
      }
      if (!got.ok()) {
        out.push_back(where + ": mgate fails: " + got.error().message);
        continue;
      }
      auto sorted = *got;
      std::sort(sorted.begin(), sorted.end());
      expect_equal(out, where, strings(expected["rows"]), sorted);
    }
  });
  EXPECT_TRUE(m.empty()) << first_lines(m);
  EXPECT_GT(compared, 150U);
}

TEST_F(Conformance, BrokenDirectoriesFailInBothWithFileAndLine) {
  for (const char* name : {"broken_dangling", "broken_cycle"}) {
    EXPECT_TRUE(oracle_->answers.at(name).contains("error")) << name << ": alembic accepted it";
    const auto& ours = ours_->at(name);
    ASSERT_FALSE(ours.ok()) << name;
    ASSERT_TRUE(backend::alembic::has_errors(ours.diagnostics));
    const auto& d = ours.diagnostics.back();
    EXPECT_GT(d.line, 0) << d.format();
    EXPECT_TRUE(d.file.ends_with(".py")) << d.format();
  }
}

// The real binary, as a user runs it, against alembic's text for the sandbox app and the big case.
TEST_F(Conformance, CommandLinePrintsWhatAlembicPrints) {
  const std::string mgate = (build_dir() / "bin/mgate").string();
  for (const char* name : {"sandbox_app", "hand_made", "big"}) {
    const json& a = oracle_->answers.at(name);
    std::string scripts;
    for (const auto& c : oracle_->manifest["cases"])
      if (c["name"] == name) scripts = c["scripts"];
    auto heads = run({mgate, "heads", "--scripts", scripts});
    ASSERT_TRUE(heads.ok()) << heads.error().describe();
    EXPECT_EQ(heads->exit_code, 0) << heads->err;
    EXPECT_EQ(heads->out, joined_lines(strings(a["heads_lines"])).front()) << name;
    auto history = run({mgate, "history", "--scripts", scripts});
    ASSERT_TRUE(history.ok());
    EXPECT_EQ(history->exit_code, 0) << history->err;
    EXPECT_EQ(history->out, joined_lines(strings(a["history_lines"])).front()) << name;

    auto history_json = run({mgate, "history", "--json", "--scripts", scripts});
    ASSERT_TRUE(history_json.ok());
    ASSERT_EQ(history_json->exit_code, 0) << history_json->err;
    const json parsed = json::parse(history_json->out);
    std::vector<std::string> ids;
    for (const auto& r : parsed["revisions"]) ids.push_back(r["revision"]);
    EXPECT_EQ(ids, strings(a["history"])) << name;
    EXPECT_EQ(strings(parsed["heads"]), strings(a["heads"])) << name;
    auto heads_json = run({mgate, "heads", "--json", "--scripts", scripts});
    ASSERT_TRUE(heads_json.ok());
    std::vector<std::string> head_ids;
    const json heads_parsed = json::parse(heads_json->out);
    for (const auto& r : heads_parsed["heads"]) head_ids.push_back(r["revision"]);
    EXPECT_EQ(head_ids, strings(a["heads"])) << name;
  }
}

TEST_F(Conformance, CommandLineExitCodes) {
  const std::string mgate = (build_dir() / "bin/mgate").string();
  auto missing = run({mgate, "heads", "--scripts", (oracle_->dir / "no-such-dir").string()});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->exit_code, 2) << missing->err;
  EXPECT_NE(missing->err.find("does not exist"), std::string::npos) << missing->err;

  std::string broken;
  for (const auto& c : oracle_->manifest["cases"])
    if (c["name"] == "broken_dangling") broken = c["scripts"];
  auto failed = run({mgate, "history", "--scripts", broken});
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->exit_code, 1) << failed->err;
  EXPECT_TRUE(failed->out.empty()) << failed->out;
  EXPECT_NE(failed->err.find(".py:"), std::string::npos) << failed->err;
  EXPECT_NE(failed->err.find(": error: down_revision names '0123456789ab'"), std::string::npos)
      << failed->err;

  // A non-literal branch_labels is a warning with file:line; the command still succeeds.
  const fs::path warn_dir = oracle_->dir / "warned";
  fs::create_directories(warn_dir);
  std::ofstream(warn_dir / "a1.py") << "\"\"\"first\"\"\"\nrevision = 'a1'\ndown_revision = None\n"
                                       "branch_labels = (cli.EXPAND_BRANCH,)\n";
  auto warned = run({mgate, "heads", "--scripts", warn_dir.string()});
  ASSERT_TRUE(warned.ok());
  EXPECT_EQ(warned->exit_code, 0) << warned->err;
  EXPECT_EQ(warned->out, "a1 (head)\n");
  EXPECT_NE(warned->err.find("a1.py:4: warning: branch_labels is not a literal"), std::string::npos)
      << warned->err;
}

}  // namespace
}  // namespace mgate::conformance
