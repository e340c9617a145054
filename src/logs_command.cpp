// `mgate logs JOB [--previous] [--follow] [--all-attempts] [--container C] [--tail N]`: a
// migration Job's logs, from the cluster, or from the record once the Job is gone.

#include <thread>

#include <fmt/format.h>

#include "backend/core/strings.hpp"
#include "src/cli.hpp"
#include "src/kube_env.hpp"

namespace mgate::cli {
namespace {

namespace kube = backend::kube;
using backend::Result;

constexpr auto kFollowPoll = std::chrono::milliseconds(250);

struct LogsOptions {
  std::string job;
  bool previous = false;
  bool follow = false;
  bool all_attempts = false;
  std::string container;
  std::int64_t tail = -1;
};

/// Where log text comes from: the API server, or a record.
using LogText = std::function<Result<std::string>(const kube::PodView&, const std::string& container, bool previous)>;

std::string container_of(const kube::PodView& pod, const LogsOptions& opts) {
  if (!opts.container.empty()) return opts.container;
  return pod.containers.empty() ? std::string() : pod.containers.front().name;
}

const kube::ContainerView* find_container(const kube::PodView& pod, const std::string& name) {
  for (const auto& c : pod.containers)
    if (c.name == name) return &c;
  for (const auto& c : pod.init_containers)
    if (c.name == name) return &c;
  return nullptr;
}

std::string header(const kube::PodView& pod, std::size_t attempt, std::size_t of, const std::string& what = "") {
  std::string h = fmt::format("==> pod {} (attempt {} of {}, {}", pod.name, attempt, of,
                              pod.phase.empty() ? "Pending" : pod.phase);
  if (auto code = pod.exit_code()) h += fmt::format(", exit {}", *code);
  if (pod.restarts() > 0) h += fmt::format(", restarts {}", pod.restarts());
  return h + ")" + what + " <==\n";
}

ExitCode print_logs(Io& io, const std::vector<kube::PodView>& pods, const LogsOptions& opts, const LogText& text) {
  if (pods.empty()) {
    io.err << fmt::format(
        "mgate: Job {} has no pods (the controller deletes a failed Job's pods; mgate keeps the logs of "
        "the Jobs it follows)\n",
        opts.job);
    return ExitCode::kFailed;
  }
  std::size_t first = opts.all_attempts ? 0 : pods.size() - 1;
  for (std::size_t i = first; i < pods.size(); ++i) {
    const kube::PodView& pod = pods[i];
    const std::string container = container_of(pod, opts);
    if (opts.all_attempts) {
      // With restartPolicy OnFailure the earlier runs are restarts inside the pod: the run
      // before the last is the only one the kubelet keeps.
      if (const auto* c = find_container(pod, container); c && c->restart_count > 0) {
        io.out << header(pod, i + 1, pods.size(), ", the run before the last restart");
        auto before = text(pod, container, true);
        if (before) io.out << *before;
        else io.out << "(" << before.error().message << ")\n";
      }
      io.out << header(pod, i + 1, pods.size());
    }
    auto log = text(pod, container, opts.previous && !opts.all_attempts);
    if (!log) return fail(io, log.error());
    io.out << *log;
    if (!log->empty() && log->back() != '\n') io.out << "\n";
  }
  io.out.flush();
  return ExitCode::kOk;
}

LogText record_text(const kube::JobRecord& record, const LogsOptions& opts) {
  return [&record, opts](const kube::PodView& pod, const std::string& container, bool previous) -> Result<std::string> {
    for (const auto& p : record.pods) {
      if (p.pod["metadata"].value("name", "") != pod.name) continue;
      const auto& logs = previous ? p.previous_logs : p.logs;
      auto it = logs.find(container);
      if (it == logs.end()) {
        return backend::make_error(backend::ErrorCode::kNotFound,
                                   fmt::format("the record has no {}log of container {} in pod {}",
                                               previous ? "previous " : "", container, pod.name));
      }
      return backend::last_lines(it->second, opts.tail);
    }
    return backend::make_error(backend::ErrorCode::kNotFound, "the record has no pod " + pod.name);
  };
}

/// Follows the newest attempt as it runs, then each later one (a new pod, or the container
/// restarted in place), until the Job's outcome is decided.
ExitCode follow(Io& io, KubeEnv& k, const kube::JobEntry& start, const LogsOptions& opts) {
  std::string followed;  // "pod#restarts" of the run last streamed
  bool first = true;
  for (;;) {
    auto job = k.jobs->get(start.view.name);
    if (!job) return fail(io, job.error());
    if (!*job || (*job)->view.uid != start.view.uid) {
      io.err << fmt::format("mgate: Job {} was deleted\n", start.view.name);
      return ExitCode::kOk;
    }
    auto pods = k.jobs->pods((*job)->view);
    if (!pods) return fail(io, pods.error());
    if (!pods->views.empty()) {
      const kube::PodView& pod = pods->views.back();
      const std::string container = container_of(pod, opts);
      const auto* c = find_container(pod, container);
      const bool started = c != nullptr && (c->state.kind == kube::ContainerStateView::Kind::kRunning ||
                                            c->state.kind == kube::ContainerStateView::Kind::kTerminated);
      const std::string key = fmt::format("{}#{}", pod.name, c ? c->restart_count : 0);
      if (started && key != followed) {
        if (!followed.empty()) io.out << header(pod, pods->views.size(), pods->views.size());
        followed = key;
        kube::LogRequest request{pod.name, opts.container, false, std::nullopt};
        if (first && opts.tail >= 0) request.tail_lines = opts.tail;
        first = false;
        auto s = k.jobs->follow_log(request, [&io](std::string_view chunk) {
          io.out << chunk;
          io.out.flush();
          return static_cast<bool>(io.out);
        });
        if (!s) return fail(io, s.error());
        continue;
      }
    }
    if ((*job)->view.status.terminal()) return ExitCode::kOk;
    std::this_thread::sleep_for(kFollowPoll);
  }
}

ExitCode logs(const GlobalOptions& global, const LogsOptions& opts, Io& io) {
  auto loaded = load_config(global, io);
  if (!loaded.loaded) return loaded.exit;
  auto located = locate_job(loaded.loaded->config, global, opts.job);
  if (!located) return fail(io, located.error());
  KubeEnv& k = *located->kube;
  const kube::JobEntry& job = located->job;
  if (job.from_record) {
    auto record = k.record_of(job);
    if (!record) return fail(io, backend::make_error(backend::ErrorCode::kNotFound, "the record of " + opts.job + " is gone"));
    if (opts.follow) io.err << fmt::format("mgate: Job {} is finished (from the record): nothing to follow\n", opts.job);
    std::vector<nlohmann::json> pod_objects;
    for (const auto& p : record->pods) pod_objects.push_back(p.pod);
    return print_logs(io, kube::pods_of_job(pod_objects, job.view), opts, record_text(*record, opts));
  }
  if (opts.follow) return follow(io, k, job, opts);
  auto pods = k.jobs->pods(job.view);
  if (!pods) return fail(io, pods.error());
  return print_logs(io, pods->views, opts,
                    [&k, &opts](const kube::PodView& pod, const std::string& container, bool previous) {
                      kube::LogRequest r{pod.name, container, previous, std::nullopt};
                      if (opts.tail >= 0) r.tail_lines = opts.tail;
                      return k.jobs->log(r);
                    });
}

}  // namespace

void add_logs_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto opts = std::make_shared<LogsOptions>();
  auto* cmd = app.add_subcommand(
      "logs", "a migration Job's logs (its newest attempt); a deleted Job's from the record mgate kept");
  cmd->add_option("job", opts->job, "the Job's name")->required();
  cmd->add_flag("--previous,-p", opts->previous, "the container's run before its last restart");
  cmd->add_flag("--follow,-f", opts->follow, "stream the log as it is written, then each later attempt, until the Job ends");
  cmd->add_flag("--all-attempts", opts->all_attempts, "every attempt's log, oldest first, each under a header");
  cmd->add_option("--container,-c", opts->container, "the container (default: the pod's first)");
  cmd->add_option("--tail", opts->tail, "only the last N lines (default: all; never a time window)");
  cmd->callback([&global, &io, run, opts] {
    *run = [&global, &io, opts] { return logs(global, *opts, io); };
  });
}

}  // namespace mgate::cli
