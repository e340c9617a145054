#include "backend/ops/refresher.hpp"

#include <thread>

#include <fmt/format.h>

#include <map>

#include "backend/db/postgres_version_store.hpp"
#include "backend/kube/connection.hpp"
#include "backend/kube/watched_list.hpp"
#include "backend/ops/gate.hpp"
#include "backend/registry/open_registry.hpp"

namespace mgate::backend::ops {
namespace {

using SteadyClock = std::chrono::steady_clock;

/// Runs one fetch and keeps the previous value when it fails.
template <typename T, typename Fetch>
Sourced<T> fetch_source(const Sourced<T>* previous, Fetch&& fetch) {
  const auto start = SteadyClock::now();
  Result<T> got = fetch();
  Sourced<T> out;
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
  if (got) {
    out.value = std::make_shared<const T>(std::move(*got));
    out.fetched_at = Clock::now();
  } else {
    out.error = got.error();
    if (previous != nullptr) {
      out.value = previous->value;
      out.fetched_at = previous->fetched_at;
    }
  }
  return out;
}

// How long the first refresh with watches waits for their lists.
constexpr std::chrono::seconds kFirstSync{30};

std::optional<std::string> refresher_getenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
  return v == nullptr ? std::nullopt : std::optional<std::string>(v);
}

}  // namespace

/// One environment's clients, opened on first use and kept for later refreshes. Each source
/// has its own client, so the sources of one environment can be fetched at once.
class EnvSources {
 public:
  EnvSources(const config::Environment& env, const RefreshOptions& options) : env_(env), watch_(options.watch) {
    if (auto patterns = registry::TagPatterns::for_env(env)) patterns_ = std::move(*patterns);
    if (options.records_root) records_.emplace(*options.records_root);
  }

  EnvSnapshot fetch(const EnvSnapshot* previous, const Sourced<HeadsData>& heads, const alembic::RevisionGraph* graph,
                    const HeadsAt& heads_at) {
    EnvSnapshot s;
    s.env = env_.name;
    s.heads = heads;
    {
      std::jthread jobs([&] { s.jobs = fetch_source(previous ? &previous->jobs : nullptr, [&] { return read_jobs(); }); });
      std::jthread db([&] {
        s.database = fetch_source(previous ? &previous->database : nullptr, [&] { return read_database(); });
      });
      std::jthread tags([&] { s.tags = fetch_source(previous ? &previous->tags : nullptr, [&] { return read_tags(); }); });
      std::jthread deploy([&] {
        s.deploy = fetch_source(previous ? &previous->deploy : nullptr, [&] { return read_deploy(); });
      });
    }  // the four join here
    s.taken_at = Clock::now();
    if (patterns_) evaluate_gate(s, *patterns_, graph, env_.deploy ? &*env_.deploy : nullptr, heads_at);
    return s;
  }

 private:
  Result<kube::KubeConnection> open_connection() const {
    return kube::connect(env_.kube, kube::KubeconfigSources::from_process(env_.kube.kubeconfig),
                         kube::InClusterSources::from_process());
  }

  Result<kube::KubeConnection*> connection(std::optional<kube::KubeConnection>& slot) {
    if (!slot) {
      auto c = open_connection();
      if (!c) return c.error();
      slot.emplace(std::move(*c));
    }
    return &*slot;
  }

  // A decided Job with no record at its phase yet: its object is needed for the record.
  bool to_record(const kube::MigrationJob& job) const {
    if (!records_ || !job.status.decided()) return false;
    const auto it = recorded_phases_.find(job.uid);
    return it == recorded_phases_.end() || it->second != job.status.phase;
  }

  Result<JobsData> read_jobs() {
    if (!patterns_) return make_error(ErrorCode::kInvalidArgument, env_.name + ": the registry's tag patterns are invalid");
    auto conn = connection(jobs_conn_);
    if (!conn) return conn.error();
    if (!jobs_) {
      jobs_.emplace(*(*conn)->client, (*conn)->ns, env_.kube.jobs.selector, kube::sha_of_tag(patterns_->built));
    }
    std::vector<kube::JobEntry> live;
    std::map<std::string, std::vector<kube::PodView>> live_pods;
    if (watch_) {
      if (Status read = read_watched((*conn)->ns, live, live_pods); !read) return read.error();
    } else {
      auto listed = jobs_->list({}, [this](const kube::MigrationJob& job) { return to_record(job); });
      if (!listed) return listed.error();
      live = std::move(*listed);
      auto pods = (*conn)->client->list(kube::kPods, (*conn)->ns);
      if (!pods) return pods.error();
      live_pods = kube::pods_by_job(pods->items, (*conn)->ns);
    }
    JobsData out;
    out.ns = (*conn)->ns;
    std::vector<kube::JobEntry> recorded;
    if (records_) {
      // Decided Jobs are recorded before a TTL or a hook policy can delete them.
      if (auto saved = jobs_->record_decided(*records_, env_.name, live, {}, &recorded_phases_); !saved) {
        return saved.error();
      }
      if (watches_) {
        // Recorded: the watched copy need not keep the object any longer.
        for (const auto& j : live) {
          if (!j.object.is_null() && !to_record(j.view)) {
            watches_->jobs.modify(j.view.uid, [](kube::JobEntry& kept) { kept.object = kube::Json(); });
          }
        }
      }
      if (Status read = read_records(); !read) return read.error();
      for (const auto& [uid, kept] : kept_records_) recorded.push_back(kube::JobEntry{kept.view, {}, true});
    }
    // The views are what a snapshot shows; the objects were for the records, taken above.
    for (auto& j : live) j.object = kube::Json();
    out.jobs = kube::MigrationJobs::with_recorded(std::move(live), std::move(recorded));
    for (const auto& j : out.jobs) {
      if (j.from_record) {
        out.pods.push_back(kept_records_.at(j.view.uid).pods);
        continue;
      }
      auto it = live_pods.find(j.view.name);
      out.pods.push_back(it == live_pods.end() ? std::vector<kube::PodView>{} : std::move(it->second));
    }
    return out;
  }

  Result<DatabaseData> read_database() {
    if (!store_) {
      auto store = db::open_postgres(env_.database, env_.name);
      if (!store) return store.error();
      store_ = std::move(*store);
    }
    auto state = store_->read();
    if (!state) return state.error();
    return DatabaseData{store_->describe(), std::move(*state)};
  }

  Result<registry::TagModel> read_tags() {
    if (!patterns_) return make_error(ErrorCode::kInvalidArgument, env_.name + ": the registry's tag patterns are invalid");
    if (!reader_) {
      auto reg = registry::open_registry(env_);
      if (!reg) return reg.error();
      registry_ = std::move(*reg);
      reader_.emplace(*registry_, *patterns_);
    }
    return reader_->read();
  }

  // The Jobs and the pods from the watches (opened on the first call, each on a connection of
  // its own), with the time-dependent fields brought to now.
  Status read_watched(const std::string& ns, std::vector<kube::JobEntry>& jobs,
                      std::map<std::string, std::vector<kube::PodView>>& pods) {
    if (!watches_) {
      auto jobs_conn = open_connection();
      if (!jobs_conn) return jobs_conn.error();
      auto pods_conn = open_connection();
      if (!pods_conn) return pods_conn.error();
      watches_.reset(new Watches{
          kube::WatchedList<kube::JobEntry>(
              std::move(jobs_conn->client), kube::kJobs, ns, kube::ListOptions{.label_selector = env_.kube.jobs.selector},
              [this](kube::Json& object) -> std::optional<kube::JobEntry> {
                auto view = jobs_->parse(object);  // const: the Job's fields and the tag pattern only
                if (!view) return std::nullopt;
                // A decided Job keeps its object until it is recorded.
                const bool keep = records_.has_value() && view->status.decided();
                return kube::JobEntry{std::move(*view), keep ? std::move(object) : kube::Json(), false};
              }),
          kube::WatchedList<kube::PodView>(std::move(pods_conn->client), kube::kPods, ns, kube::ListOptions{},
                                           [](kube::Json& object) -> std::optional<kube::PodView> {
                                             auto pod = kube::parse_pod(object);
                                             if (!pod || kube::job_name_of(*pod) == nullptr) return std::nullopt;
                                             return std::move(*pod);
                                           })});
    }
    auto listed = watches_->jobs.current(kFirstSync);
    if (!listed) return listed.error();
    const auto now = Clock::now();
    for (auto& j : *listed) kube::times_at(j.view, now);
    jobs = std::move(*listed);
    auto pod_views = watches_->pods.current(kFirstSync);
    if (!pod_views) return pod_views.error();
    pods = kube::pods_by_job(std::move(*pod_views), ns);
    return ok_status();
  }

  // The environment's records as views, read from disk (without their logs) only when new or
  // rewritten since the last refresh.
  Status read_records() {
    std::map<std::string, KeptRecord> now;
    for (auto& stamp : records_->stamps(env_.name)) {
      auto it = kept_records_.find(stamp.uid);
      if (it != kept_records_.end() && it->second.written == stamp.written) {
        now.emplace(stamp.uid, std::move(it->second));
        continue;
      }
      auto record = records_->load_uid(env_.name, stamp.uid, kube::RecordParts::kWithoutLogs);
      if (!record) return record.error();
      if (!*record) continue;
      auto entry = jobs_->recorded_entry(**record);
      if (!entry || entry->view.uid != stamp.uid) continue;
      std::vector<kube::Json> pods;
      for (auto& p : (*record)->pods) pods.push_back(std::move(p.pod));
      auto pod_views = kube::pods_of_job(pods, entry->view);
      now.emplace(stamp.uid, KeptRecord{stamp.written, std::move(entry->view), std::move(pod_views)});
    }
    kept_records_ = std::move(now);
    return ok_status();
  }

  Result<DeployData> read_deploy() {
    DeployData out;
    if (!env_.deploy || !env_.deploy->deployment) return out;
    out.container = env_.deploy->container.value_or("");
    auto conn = connection(deploy_conn_);
    if (!conn) return conn.error();
    auto deployment = (*conn)->client->get(kube::kDeployments, (*conn)->ns, *env_.deploy->deployment);
    if (!deployment) return deployment.error();
    auto view = kube::parse_deployment(*deployment);
    if (!view) return view.error();
    out.deployment = std::move(*view);
    if (out.container.empty() && !out.deployment->containers.empty()) out.container = out.deployment->containers[0].name;
    if (env_.deploy->argocd_application) {
      // The Application is optional: without it the gate still stands, the prediction uses the file's rule.
      const std::string ns = env_.deploy->argocd_namespace.value_or("argocd");
      auto app = (*conn)->client->get(kube::kApplications, ns, *env_.deploy->argocd_application);
      if (app) {
        auto parsed = kube::parse_application(*app);
        if (parsed) out.application = std::move(*parsed);
        else out.application_error = parsed.error().message;
      } else {
        out.application_error = app.error().message;
      }
    }
    return out;
  }

  const config::Environment& env_;
  std::optional<registry::TagPatterns> patterns_;
  std::optional<kube::JobRecordCache> records_;
  struct KeptRecord {
    std::filesystem::file_time_type written;
    kube::MigrationJob view;
    std::vector<kube::PodView> pods;
  };
  std::map<std::string, KeptRecord> kept_records_;          // by uid: the records, as views
  std::map<std::string, kube::JobPhase> recorded_phases_;  // by uid: the phase its record has
  std::optional<kube::KubeConnection> jobs_conn_;
  std::optional<kube::KubeConnection> deploy_conn_;
  std::optional<kube::MigrationJobs> jobs_;
  std::unique_ptr<db::VersionStore> store_;
  std::unique_ptr<registry::Registry> registry_;
  std::optional<registry::TagReader> reader_;
  bool watch_ = false;
  struct Watches {
    kube::WatchedList<kube::JobEntry> jobs;
    kube::WatchedList<kube::PodView> pods;
  };
  // With RefreshOptions::watch. Last: its threads call into jobs_ and records_, so it goes first.
  std::unique_ptr<Watches> watches_;
};

Refresher::Refresher(const config::Config& config, std::vector<const config::Environment*> envs,
                     RefreshOptions options)
    : config_(config), options_(std::move(options)) {
  if (!options_.records_root) {
    if (auto root = kube::JobRecordCache::default_root(refresher_getenv)) options_.records_root = *root;
  }
  for (const auto* env : envs) envs_.push_back(std::make_unique<EnvSources>(*env, options_));
  if (config_.alembic.git) commits_.emplace(*config_.alembic.git, config_.alembic.scripts);
}

Refresher::~Refresher() = default;

namespace {

/// The revision files' names, sizes and modification times: equal stamps mean the scripts did
/// not change, so a periodic refresh does not parse them again.
std::string scripts_stamp(const std::filesystem::path& scripts) {
  auto source = alembic::locate_scripts(scripts);
  if (!source) return {};
  std::vector<alembic::Diagnostic> ignored;
  std::string stamp;
  for (const auto& file : alembic::list_revision_files(*source, ignored)) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    const auto mtime = std::filesystem::last_write_time(file, ec).time_since_epoch().count();
    stamp += fmt::format("{}\t{}\t{}\n", file, ec ? 0 : size, mtime);
  }
  return stamp;
}

}  // namespace

Sourced<HeadsData> Refresher::read_heads(std::shared_ptr<const alembic::RevisionGraph>& graph) {
  const std::string stamp = scripts_stamp(config_.alembic.scripts);
  if (!stamp.empty() && stamp == scripts_stamp_ && heads_.value && !heads_.error) {
    Sourced<HeadsData> same = heads_;
    same.took = std::chrono::milliseconds(0);
    return same;  // graph stays as it is
  }
  scripts_stamp_ = stamp;
  return fetch_source<HeadsData>(&heads_, [&]() -> Result<HeadsData> {
    auto read = alembic::load_graph(config_.alembic.scripts);
    if (!read) return read.error();
    graph = std::move(*read);
    return HeadsData{config_.alembic.scripts.string(), graph->heads()};
  });
}

std::vector<std::shared_ptr<const EnvSnapshot>> Refresher::refresh(const std::stop_token& stop) {
  std::shared_ptr<const alembic::RevisionGraph> graph;
  heads_ = read_heads(graph);
  if (graph) graph_ = graph;  // a failed read keeps the last good graph, as the heads stay stale
  const auto previous = latest();
  HeadsAt heads_at;
  if (commits_) heads_at = commits_->heads_at();
  std::vector<std::shared_ptr<const EnvSnapshot>> next(envs_.size());
  {
    std::vector<std::jthread> workers;
    for (std::size_t i = 0; i < envs_.size(); ++i) {
      workers.emplace_back([&, i] {
        if (stop.stop_requested()) return;
        const EnvSnapshot* before = i < previous.size() ? previous[i].get() : nullptr;
        next[i] = std::make_shared<const EnvSnapshot>(envs_[i]->fetch(before, heads_, graph_.get(), heads_at));
      });
    }
  }
  std::lock_guard lock(mu_);
  latest_ = next;
  return next;
}

std::vector<std::shared_ptr<const EnvSnapshot>> Refresher::latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

}  // namespace mgate::backend::ops
