// Pods and Events read from the JSON the API serves.

#include <algorithm>

#include "backend/kube/view_json.hpp"
#include "backend/kube/views.hpp"

namespace mgate::backend::kube {

namespace {

ContainerStateView read_state(const Fields& state) {
  ContainerStateView out;
  if (state.has("waiting")) {
    const Fields w = state.object("waiting");
    out.kind = ContainerStateView::Kind::kWaiting;
    out.reason = w.string("reason");
    out.message = w.string("message");
  } else if (state.has("running")) {
    out.kind = ContainerStateView::Kind::kRunning;
    out.started_at = state.object("running").optional_time("startedAt");
  } else if (state.has("terminated")) {
    const Fields t = state.object("terminated");
    out.kind = ContainerStateView::Kind::kTerminated;
    out.reason = t.string("reason");
    out.message = t.string("message");
    out.exit_code = static_cast<int>(t.integer("exitCode"));
    out.started_at = t.optional_time("startedAt");
    out.finished_at = t.optional_time("finishedAt");
  }
  return out;
}

/// The spec's containers with the statuses merged in by name; a status without a spec entry
/// (a partial object) still shows.
std::vector<ContainerView> read_containers(const Fields& pod, std::string_view spec_key,
                                           std::string_view status_key, bool init) {
  std::vector<ContainerView> out;
  for (const Fields& c : pod.objects(spec_key)) {
    ContainerView v;
    v.name = c.required_string("name");
    v.image = c.string("image");
    v.init = init;
    out.push_back(std::move(v));
  }
  for (const Fields& s : pod.objects(status_key)) {
    const std::string name = s.required_string("name");
    auto it = std::find_if(out.begin(), out.end(), [&](const ContainerView& c) { return c.name == name; });
    if (it == out.end()) {
      out.push_back(ContainerView{name, s.string("image"), init, false, 0, {}, {}});
      it = std::prev(out.end());
    }
    it->ready = s.boolean("ready");
    it->restart_count = static_cast<int>(s.integer("restartCount"));
    it->state = read_state(s.object("state"));
    it->last_state = read_state(s.object("lastState"));
  }
  return out;
}

}  // namespace

int PodView::restarts() const {
  int sum = 0;
  for (const auto& c : init_containers) sum += c.restart_count;
  for (const auto& c : containers) sum += c.restart_count;
  return sum;
}

std::optional<int> PodView::exit_code() const {
  for (const auto* list : {&init_containers, &containers}) {
    for (const auto& c : *list) {
      if (c.state.exit_code && *c.state.exit_code != 0) return c.state.exit_code;
    }
  }
  for (const auto& c : containers) {
    if (c.state.exit_code) return c.state.exit_code;
  }
  return std::nullopt;
}

Result<PodView> parse_pod(const Json& pod) {
  const Fields f(pod, "Pod");
  PodView v;
  v.name = f.required_string("metadata.name");
  v.namespace_ = f.string("metadata.namespace");
  v.uid = f.string("metadata.uid");
  v.created = f.optional_time("metadata.creationTimestamp").value_or(Clock::time_point{});
  v.labels = f.string_map("metadata.labels");
  v.phase = f.string("status.phase");
  v.node = f.string("spec.nodeName");
  v.start = f.optional_time("status.startTime");
  v.init_containers = read_containers(f, "spec.initContainers", "status.initContainerStatuses", true);
  v.containers = read_containers(f, "spec.containers", "status.containerStatuses", false);
  if (f.error()) return *f.error();
  return v;
}

namespace {

void oldest_first(std::vector<PodView>& pods) {
  std::stable_sort(pods.begin(), pods.end(), [](const PodView& a, const PodView& b) {
    return a.created != b.created ? a.created < b.created : a.name < b.name;
  });
}

bool in_namespace(const PodView& pod, const std::string& ns) {
  return pod.namespace_.empty() || ns.empty() || pod.namespace_ == ns;
}

}  // namespace

const std::string* job_name_of(const PodView& pod) {
  auto label = pod.labels.find("batch.kubernetes.io/job-name");
  if (label == pod.labels.end()) label = pod.labels.find("job-name");
  return label == pod.labels.end() ? nullptr : &label->second;
}

std::vector<PodView> pods_of_job(const std::vector<Json>& pods, const MigrationJob& job) {
  std::vector<PodView> out;
  for (const Json& json : pods) {
    auto pod = parse_pod(json);
    if (!pod) continue;
    const std::string* name = job_name_of(*pod);
    if (name == nullptr || *name != job.name || !in_namespace(*pod, job.namespace_)) continue;
    out.push_back(std::move(pod).value());
  }
  oldest_first(out);
  return out;
}

std::map<std::string, std::vector<PodView>> pods_by_job(const std::vector<Json>& pods, const std::string& ns) {
  std::vector<PodView> views;
  views.reserve(pods.size());
  for (const Json& json : pods) {
    if (auto pod = parse_pod(json)) views.push_back(std::move(pod).value());
  }
  return pods_by_job(std::move(views), ns);
}

std::map<std::string, std::vector<PodView>> pods_by_job(std::vector<PodView> pods, const std::string& ns) {
  std::map<std::string, std::vector<PodView>> out;
  for (PodView& pod : pods) {
    const std::string* name = job_name_of(pod);
    if (name == nullptr || !in_namespace(pod, ns)) continue;
    const std::string job = *name;
    out[job].push_back(std::move(pod));
  }
  for (auto& [job, list] : out) oldest_first(list);
  return out;
}

Result<EventView> parse_event(const Json& event) {
  const Fields f(event, "Event");
  EventView v;
  v.name = f.required_string("metadata.name");
  v.type = f.string("type");
  v.reason = f.string("reason");
  // events.k8s.io/v1 names the text `note` and the object `regarding`.
  v.message = f.has("message") ? f.string("message") : f.string("note");
  const auto event_time = f.optional_time("eventTime");
  const auto series_count = f.optional_int("series.count");
  v.count = f.optional_int("count").value_or(series_count.value_or(1));
  v.first = f.optional_time("firstTimestamp");
  if (!v.first) v.first = event_time;
  v.last = f.optional_time("lastTimestamp");
  if (!v.last) v.last = f.optional_time("series.lastObservedTime");
  if (!v.last) v.last = event_time;
  v.source = f.string("source.component");
  if (v.source.empty()) v.source = f.string("reportingComponent");
  if (v.source.empty()) v.source = f.string("reportingController");
  const Fields involved = f.has("involvedObject") ? f.object("involvedObject") : f.object("regarding");
  v.involved_kind = involved.string("kind");
  v.involved_name = involved.string("name");
  if (f.error()) return *f.error();
  return v;
}

}  // namespace mgate::backend::kube
