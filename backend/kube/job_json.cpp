#include "backend/kube/job_json.hpp"

#include <fmt/format.h>

#include "backend/core/json_values.hpp"

namespace mgate::backend::kube {
namespace {

using Json = nlohmann::json;

const char* kind_name(ContainerStateView::Kind kind) {
  switch (kind) {
    case ContainerStateView::Kind::kWaiting:
      return "waiting";
    case ContainerStateView::Kind::kRunning:
      return "running";
    case ContainerStateView::Kind::kTerminated:
      return "terminated";
    case ContainerStateView::Kind::kUnknown:
      break;
  }
  return "unknown";
}

Json state_json(const ContainerStateView& s) {
  return {{"state", kind_name(s.kind)}, {"reason", s.reason}, {"exit_code", or_null(s.exit_code)},
          {"started_at", time_or_null(s.started_at)}, {"finished_at", time_or_null(s.finished_at)}};
}

Json hooks_json(const HookAnnotations& h) {
  return {{"argocd_hook", or_null(h.argocd_hook)},
          {"argocd_hook_delete_policy", or_null(h.argocd_hook_delete_policy)},
          {"argocd_sync_wave", or_null(h.argocd_sync_wave)},
          {"helm_hook", or_null(h.helm_hook)},
          {"helm_hook_delete_policy", or_null(h.helm_hook_delete_policy)},
          {"helm_hook_weight", or_null(h.helm_hook_weight)}};
}

}  // namespace

Json to_json(const PodView& pod) {
  Json containers = Json::array();
  for (const auto* list : {&pod.init_containers, &pod.containers}) {
    for (const ContainerView& c : *list) {
      containers.push_back({{"name", c.name},
                            {"image", c.image},
                            {"init", c.init},
                            {"ready", c.ready},
                            {"restarts", c.restart_count},
                            {"current", state_json(c.state)},
                            {"last", state_json(c.last_state)}});
    }
  }
  return {{"name", pod.name},       {"uid", pod.uid},
          {"phase", pod.phase},     {"node", pod.node},
          {"created", format_rfc3339(pod.created)},
          {"restarts", pod.restarts()}, {"exit_code", or_null(pod.exit_code())},
          {"containers", containers}};
}

Json to_json(const JobEntry& entry, const std::vector<PodView>& pods) {
  const MigrationJob& j = entry.view;
  Json pods_json = Json::array();
  for (const PodView& p : pods) pods_json.push_back(to_json(p));
  return {{"name", j.name},
          {"namespace", j.namespace_},
          {"uid", j.uid},
          {"from_record", entry.from_record},
          {"created", format_rfc3339(j.created)},
          {"image", j.image},
          {"sha", or_null(j.sha)},
          {"status", to_string(j.status.phase)},
          {"reason", j.status.reason},
          {"message", j.status.message},
          {"active", j.active},
          {"succeeded", j.succeeded},
          {"failed", j.failed},
          {"attempts", attempts_with_restarts(j, pods)},
          {"start", time_or_null(j.start)},
          {"finished", time_or_null(j.finished)},
          {"duration_seconds", j.duration ? Json(j.duration->count()) : Json(nullptr)},
          {"ttl_seconds_after_finished", or_null(j.ttl_seconds_after_finished)},
          {"ttl_left_seconds", j.ttl_left ? Json(j.ttl_left->count()) : Json(nullptr)},
          {"backoff_limit", or_null(j.backoff_limit)},
          {"restart_policy", j.restart_policy},
          {"hooks", hooks_json(j.hooks)},
          {"pods", pods_json}};
}

std::string short_duration(std::chrono::seconds d) {
  const long long s = std::max<long long>(0, d.count());
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return s % 60 == 0 || s >= 600 ? fmt::format("{}m", s / 60) : fmt::format("{}m{}s", s / 60, s % 60);
  if (s < 86400) return (s % 3600) / 60 == 0 ? fmt::format("{}h", s / 3600) : fmt::format("{}h{}m", s / 3600, (s % 3600) / 60);
  return (s % 86400) / 3600 == 0 ? fmt::format("{}d", s / 86400) : fmt::format("{}d{}h", s / 86400, (s % 86400) / 3600);
}

}  // namespace mgate::backend::kube
