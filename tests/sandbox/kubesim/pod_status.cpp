#include "tests/sandbox/kubesim/pod_status.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <random>

#include "tests/sandbox/kubesim/object_store.hpp"

namespace mgate::kubesim {

namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  std::string out;
  for (std::size_t i = 0; i < size; ++i) out += fmt::format("{:02x}", data[i]);
  return out;
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  return hex(digest, size);
}

// A condition as the kubelet writes it, keeping lastTransitionTime while the status holds.
Json condition(const Json& old_conditions, const std::string& type, const std::string& status,
               const std::string& reason = {}, const std::string& message = {}) {
  std::string transition = now_rfc3339();
  for (const Json& old : old_conditions) {
    if (old.value("type", "") == type && old.value("status", "") == status) {
      transition = old.value("lastTransitionTime", transition);
    }
  }
  Json c = {{"type", type}, {"status", status}, {"lastProbeTime", nullptr},
            {"lastTransitionTime", transition}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  return c;
}

bool is_kubelet_condition(const std::string& type) {
  return type == "PodReadyToStartContainers" || type == "Initialized" || type == "Ready" ||
         type == "ContainersReady" || type == "PodScheduled";
}

Json pod_conditions(const PodRuntime& rt, const std::string& phase, const Json& old_conditions) {
  Json out = Json::array();
  for (const Json& old : old_conditions) {  // others' conditions (DisruptionTarget) stay first
    if (!is_kubelet_condition(old.value("type", ""))) out.push_back(old);
  }
  const bool terminal = phase == "Succeeded" || phase == "Failed";
  out.push_back(condition(old_conditions, "PodReadyToStartContainers", terminal ? "False" : "True"));
  out.push_back(phase == "Succeeded"
                    ? condition(old_conditions, "Initialized", "True", "PodCompleted")
                    : condition(old_conditions, "Initialized", "True"));
  std::string ready = "True";
  std::string reason;
  std::string message;
  if (terminal) {
    ready = "False";
    reason = phase == "Succeeded" ? "PodCompleted" : "PodFailed";
  } else {
    std::vector<std::string> unready;
    for (const auto& c : rt.containers) {
      if (!c.ready) unready.push_back(c.name);
    }
    if (!unready.empty()) {
      ready = "False";
      reason = "ContainersNotReady";
      message = fmt::format("containers with unready status: [{}]", fmt::join(unready, " "));
    }
  }
  out.push_back(condition(old_conditions, "Ready", ready, reason, message));
  out.push_back(condition(old_conditions, "ContainersReady", ready, reason, message));
  out.push_back(condition(old_conditions, "PodScheduled", "True"));
  return out;
}

Json container_status(const ContainerRuntime& c) {
  Json cs = {{"name", c.name},
             {"image", normalize_image(c.spec.value("image", ""))},
             {"imageID", c.image_id},
             {"lastState", c.last_state},
             {"ready", c.ready},
             {"restartCount", c.restart_count},
             {"started", c.stage == ContainerStage::kRunning},
             {"state", c.state}};
  if (!c.container_id.empty()) cs["containerID"] = c.container_id;
  const Json mounts = c.spec.value("volumeMounts", Json::array());
  if (!mounts.empty()) {
    Json out = Json::array();
    for (const Json& m : mounts) {
      Json v = {{"name", m.value("name", "")}, {"mountPath", m.value("mountPath", "")}};
      if (m.value("readOnly", false)) {
        v["readOnly"] = true;
        v["recursiveReadOnly"] = "Disabled";
      }
      out.push_back(v);
    }
    cs["volumeMounts"] = out;
  }
  return cs;
}

}  // namespace

std::string pod_phase(const PodRuntime& rt) {
  int waiting = 0;
  int running = 0;
  int stopped = 0;
  int succeeded = 0;
  for (const auto& c : rt.containers) {
    if (c.state.contains("running")) {
      ++running;
    } else if (c.state.contains("terminated")) {
      ++stopped;
      if (c.state["terminated"].value("exitCode", 1) == 0) ++succeeded;
    } else if (c.last_state.contains("terminated")) {
      ++stopped;  // waiting to restart
    } else {
      ++waiting;
    }
  }
  if (waiting > 0 && !rt.terminating) return "Pending";
  if (running > 0) return "Running";
  if (stopped == 0) return "Pending";
  if (rt.terminating) return stopped == succeeded ? "Succeeded" : "Failed";
  if (rt.restart_policy == "Always") return "Running";
  if (stopped == succeeded) return "Succeeded";
  if (rt.restart_policy == "Never") return "Failed";
  return "Running";  // OnFailure: the failed container restarts
}

Json build_pod_status(const PodRuntime& rt, const Json& old_status, const std::string& qos) {
  Json s = old_status.is_object() ? old_status : Json::object();
  const std::string phase = pod_phase(rt);
  s["phase"] = phase;
  s["conditions"] = pod_conditions(rt, phase, s.value("conditions", Json::array()));
  s["hostIP"] = kHostIp;
  s["hostIPs"] = Json::array({{{"ip", kHostIp}}});
  s["podIP"] = rt.pod_ip;
  s["podIPs"] = Json::array({{{"ip", rt.pod_ip}}});
  s["startTime"] = rt.start_time;
  if (!s.contains("qosClass")) s["qosClass"] = qos;
  Json statuses = Json::array();
  for (const auto& c : rt.containers) statuses.push_back(container_status(c));
  s["containerStatuses"] = statuses;
  return s;
}

std::string new_container_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("containerd://{:016x}{:016x}{:016x}{:016x}", rng(), rng(), rng(), rng());
}

std::string image_id_for(const std::string& image) {
  const std::string repo = image_repository(normalize_image(image));
  const auto at = image.find('@');
  if (at != std::string::npos) return repo + image.substr(at);
  return repo + "@sha256:" + sha256_hex(normalize_image(image));
}

std::string image_repository(const std::string& image) {
  std::string ref = image.substr(0, image.find('@'));
  const auto slash = ref.rfind('/');
  const auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.resize(colon);
  }
  return ref;
}

std::string normalize_image(const std::string& image) {
  if (image.empty()) return image;
  std::string ref = image;
  const auto slash = ref.find('/');
  if (slash == std::string::npos) {
    ref = "docker.io/library/" + ref;
  } else {
    const std::string first = ref.substr(0, slash);
    if (first.find_first_of(".:") == std::string::npos && first != "localhost") {
      ref = "docker.io/" + ref;
    }
  }
  if (ref.find('@') == std::string::npos && image_repository(ref) == ref) ref += ":latest";
  return ref;
}

std::string go_duration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  if (ms < 1000) return fmt::format("{}ms", ms);
  const long long h = ms / 3600000;
  ms %= 3600000;
  const long long m = ms / 60000;
  ms %= 60000;
  std::string secs = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    std::string frac = fmt::format("{:03}", ms % 1000);
    while (frac.back() == '0') frac.pop_back();
    secs += "." + frac;
  }
  std::string out;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  return out + secs + "s";
}

std::string qos_class(const Json& pod) {
  bool any = false;
  bool guaranteed = true;
  const Json spec = pod.value("spec", Json::object());
  for (const char* list : {"initContainers", "containers"}) {
    for (const Json& c : spec.value(list, Json::array())) {
      const Json res = c.value("resources", Json::object());
      const Json limits = res.value("limits", Json::object());
      const Json requests = res.value("requests", Json::object());
      for (const char* r : {"cpu", "memory"}) {
        if (limits.contains(r) || requests.contains(r)) any = true;
        if (!limits.contains(r)) guaranteed = false;
        if (requests.contains(r) && limits.contains(r) && requests[r] != limits[r]) {
          guaranteed = false;
        }
      }
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

}  // namespace mgate::kubesim
