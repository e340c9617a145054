// `mgate jobs [--env E] [--json]`: each environment's migration Jobs, live and recorded.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "backend/core/strings.hpp"
#include "backend/core/time.hpp"
#include "backend/kube/job_json.hpp"
#include "src/cli.hpp"
#include "src/kube_env.hpp"
#include "src/table.hpp"

namespace mgate::cli {
namespace {

namespace kube = backend::kube;
using nlohmann::json;

struct JobRow {
  kube::JobEntry job;
  std::vector<kube::PodView> pods;
};

// One environment's answer, or why it has none.
struct EnvJobs {
  std::string env;
  std::string ns;
  std::string server;
  std::string selector;
  std::vector<JobRow> rows;
  std::optional<backend::Error> error;
};

EnvJobs read_env(const backend::config::Environment& env) {
  EnvJobs out{env.name, "", "", env.kube.jobs.selector, {}, {}};
  auto k = open_kube_env(env);
  if (!k) {
    out.error = k.error();
    return out;
  }
  KubeEnv& ke = **k;
  out.ns = ke.connection.ns;
  out.server = ke.connection.server;
  auto jobs = ke.jobs_with_records();
  if (!jobs) {
    out.error = jobs.error();
    return out;
  }
  auto pods = ke.list_pods();
  if (!pods) {
    out.error = pods.error();
    return out;
  }
  for (auto& j : *jobs) {
    auto job_pods = ke.pods_of(j, *pods);
    out.rows.push_back(JobRow{std::move(j), std::move(job_pods)});
  }
  return out;
}

std::string status_column(const kube::MigrationJob& j) {
  std::string s = kube::to_string(j.status.phase);
  if (!j.status.reason.empty() && j.status.phase != kube::JobPhase::kComplete) s += " (" + j.status.reason + ")";
  return s;
}

std::string note_column(const JobRow& row) {
  std::vector<std::string> notes;
  if (row.job.from_record) notes.emplace_back("finished, from the record");
  const auto& h = row.job.view.hooks;
  if (h.argocd_hook) notes.push_back("hook " + *h.argocd_hook);
  if (h.helm_hook) notes.push_back("helm " + *h.helm_hook);
  if (h.argocd_sync_wave) notes.push_back("wave " + *h.argocd_sync_wave);
  if (row.job.view.ttl_left) notes.push_back("ttl " + kube::short_duration(*row.job.view.ttl_left));
  for (const auto& p : row.pods) {
    for (const auto& c : p.containers) {
      if (c.state.kind == kube::ContainerStateView::Kind::kWaiting && !c.state.reason.empty() &&
          c.state.reason != "ContainerCreating")
        notes.push_back(p.name + " " + c.state.reason);
    }
  }
  return backend::join(notes, ", ");
}

void print_text(Io& io, const std::vector<EnvJobs>& all) {
  bool first = true;
  const auto now = backend::Clock::now();
  for (const auto& e : all) {
    if (!first) io.out << "\n";
    first = false;
    if (e.error) {
      io.out << fmt::format("{}: ERROR {}\n", e.env, e.error->message);
      continue;
    }
    io.out << fmt::format("{}: namespace {} on {}, selector {}\n", e.env, e.ns, e.server, e.selector);
    if (e.rows.empty()) {
      io.out << "  no migration Jobs\n";
      continue;
    }
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "STATUS", "COMMIT", "ATTEMPTS", "PODS", "STARTED", "DURATION", "AGE", "NOTE"}};
    for (const auto& r : e.rows) {
      const auto& j = r.job.view;
      rows.push_back({j.name, status_column(j), j.sha ? j.sha->substr(0, 12) : "-",
                      std::to_string(kube::attempts_with_restarts(j, r.pods)), std::to_string(r.pods.size()),
                      j.start ? backend::format_rfc3339(*j.start).substr(0, 19) + "Z" : "-",
                      j.duration ? kube::short_duration(*j.duration) : "-",
                      kube::short_duration(std::chrono::duration_cast<std::chrono::seconds>(now - j.created)),
                      note_column(r)});
    }
    print_table(io.out, rows, "  ");
  }
}

ExitCode show_jobs(const GlobalOptions& global, bool as_json, Io& io) {
  auto loaded = load_config(global, io);
  if (!loaded.loaded) return loaded.exit;
  std::vector<EnvJobs> all;
  std::size_t failed = 0;
  for (const auto* env : selected_environments(loaded.loaded->config, global)) {
    all.push_back(read_env(*env));
    failed += all.back().error ? 1 : 0;
  }
  if (as_json) {
    json out = {{"environments", json::array()}};
    for (const auto& e : all) {
      json jobs = json::array();
      for (const auto& r : e.rows) jobs.push_back(kube::to_json(r.job, r.pods));
      out["environments"].push_back({{"env", e.env},
                                     {"namespace", e.ns},
                                     {"server", e.server},
                                     {"selector", e.selector},
                                     {"jobs", jobs},
                                     {"error", e.error ? error_json(*e.error) : json(nullptr)}});
    }
    io.out << out.dump(2) << "\n";
  } else {
    print_text(io, all);
  }
  for (const auto& e : all)
    if (e.error) print_error(io, *e.error);
  if (failed == 0) return ExitCode::kOk;
  return failed == all.size() ? ExitCode::kFailed : ExitCode::kPartial;
}

}  // namespace

void add_jobs_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "jobs", "each environment's migration Jobs: status, commit, attempts, pods; finished ones kept from the record");
  cmd->add_flag("--json", *as_json, "print JSON (docs/cli-json.md)");
  cmd->callback([&global, &io, run, as_json] {
    *run = [&global, &io, as_json] { return show_jobs(global, *as_json, io); };
  });
}

}  // namespace mgate::cli
