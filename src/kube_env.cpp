#include "src/kube_env.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "backend/core/strings.hpp"

namespace mgate::cli {

namespace kube = backend::kube;
using backend::ErrorCode;
using backend::Result;

Result<std::unique_ptr<KubeEnv>> open_kube_env(const backend::config::Environment& env) {
  auto out = std::make_unique<KubeEnv>();
  out->env = &env;
  auto patterns = backend::registry::TagPatterns::for_env(env);
  if (!patterns) return patterns.error();
  out->patterns = std::move(*patterns);
  auto connection = kube::connect(env.kube, kube::KubeconfigSources::from_process(env.kube.kubeconfig),
                                  kube::InClusterSources::from_process());
  if (!connection) {
    const auto& e = connection.error();
    return backend::Error{e.code, fmt::format("{}: {}", env.name, e.message), e.detail, e.retryable};
  }
  out->connection = std::move(*connection);
  out->jobs = std::make_unique<kube::MigrationJobs>(*out->connection.client, out->connection.ns, env.kube.jobs.selector,
                                                    kube::sha_of_tag(out->patterns.built));
  auto root = kube::JobRecordCache::default_root([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  });
  if (root) out->records.emplace(*root);
  return out;
}

Result<std::vector<kube::JobEntry>> KubeEnv::jobs_with_records() {
  auto live = jobs->list();
  if (!live) return live.error();
  if (!records) return live;
  // What is decided now is saved before a TTL or a hook policy can delete it.
  if (auto saved = jobs->record_decided(*records, env->name, *live); !saved) return saved.error();
  auto recorded = records->load_all(env->name);
  if (!recorded) return recorded.error();
  return jobs->with_records(std::move(*live), *recorded);
}

Result<std::vector<nlohmann::json>> KubeEnv::list_pods() {
  auto listed = connection.client->list(kube::kPods, connection.ns);
  if (!listed) return listed.error();
  return std::move(listed->items);
}

std::optional<kube::JobRecord> KubeEnv::record_of(const kube::JobEntry& job) {
  if (!records) return std::nullopt;
  auto record = records->load_uid(env->name, job.view.uid);
  if (!record || !*record) return std::nullopt;
  return std::move(**record);
}

std::vector<kube::PodView> KubeEnv::pods_of(const kube::JobEntry& job, const std::vector<nlohmann::json>& live_pods) {
  if (!job.from_record) return kube::pods_of_job(live_pods, job.view);
  std::vector<nlohmann::json> recorded;
  if (auto record = record_of(job)) {
    for (auto& p : record->pods) recorded.push_back(std::move(p.pod));
  }
  return kube::pods_of_job(recorded, job.view);
}

Result<kube::JobEntry> KubeEnv::find(const std::string& name) {
  auto live = jobs->get(name);
  if (!live) return live.error();
  if (*live) {
    if (records && (*live)->view.status.decided()) {
      (void)jobs->record_decided(*records, env->name, {**live});  // best effort: the Job itself is here
    }
    return std::move(**live);
  }
  if (records) {
    auto recorded = records->find(env->name, name);
    if (!recorded) return recorded.error();
    if (*recorded) {
      auto view = jobs->parse((*recorded)->job);
      if (!view) return view.error();
      view->ttl_left.reset();
      return kube::JobEntry{std::move(*view), (*recorded)->job, true};
    }
  }
  return backend::make_error(ErrorCode::kNotFound,
                             fmt::format("no Job {} in namespace {} ({}), and no record of one", name,
                                         connection.ns, env->name));
}

Result<LocatedJob> locate_job(const backend::config::Config& config, const GlobalOptions& global,
                              const std::string& name) {
  std::vector<std::string> looked;
  std::optional<backend::Error> first_error;
  for (const auto* env : selected_environments(config, global)) {
    auto k = open_kube_env(*env);
    if (!k) {
      if (!first_error) first_error = k.error();
      continue;
    }
    auto job = (*k)->find(name);
    if (job) return LocatedJob{std::move(*k), std::move(*job)};
    if (job.error().code != ErrorCode::kNotFound) {
      if (!first_error) first_error = job.error();
      continue;
    }
    looked.push_back(fmt::format("{} (namespace {})", env->name, (*k)->connection.ns));
  }
  if (first_error) return *first_error;
  return backend::make_error(ErrorCode::kNotFound, fmt::format("no Job {} in {}, and no record of one", name,
                                                               looked.empty() ? std::string("any environment")
                                                                              : backend::join(looked, ", ")));
}

}  // namespace mgate::cli
