// The pod printer (printPod of v1.31's pkg/printers/internalversion): STATUS from the phase,
// the init containers and the containers, RESTARTS with the time of the last one, and the wide
// columns.

#include <optional>
#include <string>

#include <fmt/format.h>

#include "backend/core/time.hpp"
#include "tests/sandbox/kubesim/table.hpp"
#include "tests/sandbox/kubesim/table_printers.hpp"

namespace mgate::kubesim::table_printers {

// ---- pods (printPod) ----

/// What printPod accumulates over the container statuses.
struct PodTally {
  std::int64_t restarts = 0;
  std::int64_t restartable_restarts = 0;
  int ready = 0;
  std::optional<TimePoint> last_restart;
  std::optional<TimePoint> last_restartable_restart;
  std::string reason;
  bool initializing = false;
};

void note_restart(std::optional<TimePoint>& last, const Json& status) {
  const auto finished = time_at(status, {"lastState", "terminated", "finishedAt"});
  if (finished && (!last || *last < *finished)) last = finished;
}

bool is_restartable_init(const Json& pod, const std::string& name) {
  const Json* inits = at(pod, {"spec", "initContainers"});
  if (inits == nullptr || !inits->is_array()) return false;
  for (const Json& c : *inits) {
    if (str(c, {"name"}) == name) return str(c, {"restartPolicy"}) == "Always";
  }
  return false;
}

/// The init-container pass: the first init container that has not finished names the status.
void tally_init_containers(const Json& pod, PodTally& t) {
  const Json* statuses = at(pod, {"status", "initContainerStatuses"});
  if (statuses == nullptr || !statuses->is_array()) return;
  const Json* specs = at(pod, {"spec", "initContainers"});
  const std::size_t init_count = specs && specs->is_array() ? specs->size() : 0;
  for (std::size_t i = 0; i < statuses->size(); ++i) {
    const Json& c = (*statuses)[i];
    t.restarts += num(c, {"restartCount"});
    note_restart(t.last_restart, c);
    const bool restartable = is_restartable_init(pod, str(c, {"name"}));
    if (restartable) {
      t.restartable_restarts += num(c, {"restartCount"});
      note_restart(t.last_restartable_restart, c);
    }
    const Json* terminated = at(c, {"state", "terminated"});
    const std::string waiting = str(c, {"state", "waiting", "reason"});
    if (terminated && num(*terminated, {"exitCode"}) == 0) continue;
    if (restartable && at(c, {"started"}) && at(c, {"started"})->is_boolean() &&
        at(c, {"started"})->get<bool>()) {
      if (at(c, {"ready"}) && at(c, {"ready"})->is_boolean() && at(c, {"ready"})->get<bool>()) {
        ++t.ready;
      }
      continue;
    }
    if (terminated) {
      const std::string why = str(*terminated, {"reason"});
      const std::int64_t signal = num(*terminated, {"signal"});
      t.reason = !why.empty()  ? "Init:" + why
                 : signal != 0 ? fmt::format("Init:Signal:{}", signal)
                               : fmt::format("Init:ExitCode:{}", num(*terminated, {"exitCode"}));
    } else if (!waiting.empty() && waiting != "PodInitializing") {
      t.reason = "Init:" + waiting;
    } else {
      t.reason = fmt::format("Init:{}/{}", i, init_count);
    }
    t.initializing = true;
    break;
  }
}

/// The container pass, last container first, so the first container's state wins.
void tally_containers(const Json& pod, PodTally& t) {
  t.restarts = t.restartable_restarts;
  t.last_restart = t.last_restartable_restart;
  bool has_running = false;
  const Json* statuses = at(pod, {"status", "containerStatuses"});
  const std::size_t n = statuses && statuses->is_array() ? statuses->size() : 0;
  for (std::size_t i = n; i-- > 0;) {
    const Json& c = (*statuses)[i];
    t.restarts += num(c, {"restartCount"});
    note_restart(t.last_restart, c);
    const Json* terminated = at(c, {"state", "terminated"});
    const std::string waiting = str(c, {"state", "waiting", "reason"});
    const Json* ready = at(c, {"ready"});
    if (!waiting.empty()) {
      t.reason = waiting;
    } else if (terminated && !str(*terminated, {"reason"}).empty()) {
      t.reason = str(*terminated, {"reason"});
    } else if (terminated) {
      const std::int64_t signal = num(*terminated, {"signal"});
      t.reason = signal != 0 ? fmt::format("Signal:{}", signal)
                             : fmt::format("ExitCode:{}", num(*terminated, {"exitCode"}));
    } else if (ready && ready->is_boolean() && ready->get<bool>() && at(c, {"state", "running"}) != nullptr) {
      has_running = true;
      ++t.ready;
    }
  }
  if (t.reason == "Completed" && has_running) {
    t.reason = condition_true(pod, "Ready") ? "Running" : "NotReady";
  }
}

std::string pod_status_reason(const Json& pod) {
  std::string reason = str(pod, {"status", "phase"});
  if (!str(pod, {"status", "reason"}).empty()) reason = str(pod, {"status", "reason"});
  if (const Json* conditions = at(pod, {"status", "conditions"}); conditions && conditions->is_array()) {
    for (const Json& c : *conditions) {
      if (str(c, {"type"}) == "PodScheduled" && str(c, {"reason"}) == "SchedulingGated") {
        reason = "SchedulingGated";
      }
    }
  }
  return reason;
}

std::string or_none(std::string s) {
  return s.empty() ? "<none>" : s;
}

/// The wide cells: IP, Node, Nominated Node, Readiness Gates.
void append_pod_wide_cells(const Json& pod, Json& cells) {
  // status.podIP is authoritative when set (the v1→internal conversion builds podIPs from it).
  std::string ip = str(pod, {"status", "podIP"});
  if (const Json* ips = at(pod, {"status", "podIPs"});
      ip.empty() && ips && ips->is_array() && !ips->empty()) {
    ip = str((*ips)[0], {"ip"});
  }
  std::string gates = "<none>";
  if (const Json* rg = at(pod, {"spec", "readinessGates"}); rg && rg->is_array() && !rg->empty()) {
    int true_count = 0;
    const Json* conditions = at(pod, {"status", "conditions"});
    for (const Json& g : *rg) {
      const std::string type = str(g, {"conditionType"});
      if (conditions == nullptr || !conditions->is_array()) continue;
      for (const Json& c : *conditions) {
        if (str(c, {"type"}) != type) continue;
        if (str(c, {"status"}) == "True") ++true_count;
        break;
      }
    }
    gates = fmt::format("{}/{}", true_count, rg->size());
  }
  cells.push_back(or_none(ip));
  cells.push_back(or_none(str(pod, {"spec", "nodeName"})));
  cells.push_back(or_none(str(pod, {"status", "nominatedNodeName"})));
  cells.push_back(gates);
}

Row pod_row(const Json& pod, TimePoint now) {
  PodTally t;
  t.reason = pod_status_reason(pod);
  std::size_t total = 0;
  if (const Json* cs = at(pod, {"spec", "containers"}); cs && cs->is_array()) total = cs->size();
  if (const Json* inits = at(pod, {"spec", "initContainers"}); inits && inits->is_array()) {
    for (const Json& c : *inits) total += str(c, {"restartPolicy"}) == "Always" ? 1 : 0;
  }
  tally_init_containers(pod, t);
  if (!t.initializing || condition_true(pod, "Initialized")) tally_containers(pod, t);
  const std::string phase = str(pod, {"status", "phase"});
  if (at(pod, {"metadata", "deletionTimestamp"}) != nullptr) {
    if (str(pod, {"status", "reason"}) == "NodeLost") {
      t.reason = "Unknown";
    } else if (phase != "Succeeded" && phase != "Failed") {
      t.reason = "Terminating";
    }
  }
  std::string restarts = std::to_string(t.restarts);
  if (t.restarts != 0 && t.last_restart) {
    restarts = fmt::format("{} ({} ago)", t.restarts, since(t.last_restart, now));
  }
  Row r;
  r.cells = {str(pod, {"metadata", "name"}), fmt::format("{}/{}", t.ready, total), t.reason, restarts,
             age(pod, now)};
  append_pod_wide_cells(pod, r.cells);
  if (phase == "Succeeded") {
    r.conditions = Json::array({{{"type", "Completed"},
                                 {"status", "True"},
                                 {"reason", "Succeeded"},
                                 {"message", "The pod has completed successfully."}}});
  } else if (phase == "Failed") {
    r.conditions = Json::array(
        {{{"type", "Completed"}, {"status", "True"}, {"reason", "Failed"}, {"message", "The pod failed."}}});
  }
  return r;
}

}  // namespace mgate::kubesim::table_printers
