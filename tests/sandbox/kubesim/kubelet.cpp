#include "tests/sandbox/kubesim/kubelet.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <system_error>

#include "tests/sandbox/kubesim/events.hpp"
#include "tests/sandbox/kubesim/pod_logs.hpp"
#include "tests/sandbox/kubesim/pod_status.hpp"

namespace mgate::kubesim {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Sync period while something is in flight (a process may exit, a back-off may end); idle
// pods only need the store's change notifications.
constexpr milliseconds kActiveTick{50};
constexpr milliseconds kIdleTick{200};
constexpr std::int64_t kDefaultGraceSeconds = 30;

std::string pod_ns(const Json& pod) { return pod["metadata"].value("namespace", "default"); }
std::string pod_name(const Json& pod) { return pod["metadata"].value("name", ""); }
std::string pod_uid(const Json& pod) { return pod["metadata"].value("uid", ""); }

// format.Pod(pod): "NAME_NAMESPACE(UID)", as the kubelet names pods in messages.
std::string format_pod(const Json& pod) {
  return fmt::format("{}_{}({})", pod_name(pod), pod_ns(pod), pod_uid(pod));
}

std::optional<Json> script_of(const Json& pod) {
  const Json annotations = pod["metadata"].value("annotations", Json::object());
  const auto it = annotations.find(kScriptAnnotation);
  if (it == annotations.end() || !it->is_string()) return std::nullopt;
  Json script = Json::parse(it->get<std::string>(), nullptr, false);
  if (script.is_discarded() || !script.is_object()) return std::nullopt;
  return script;
}

// The scripted attempt as a shell program: print the lines, wait, exit (or hang).
std::string script_program(const Json& script, int attempt) {
  const Json attempts = script.value("attempts", Json::array());
  Json run = Json::object();
  if (!attempts.empty()) {
    run = attempts[std::min(static_cast<std::size_t>(attempt), attempts.size() - 1)];
  }
  std::string program;
  for (const Json& line : run.value("stdout", Json::array())) {
    program += "printf '%s\\n' " + shell_quote(line.get<std::string>()) + "\n";
  }
  for (const Json& line : run.value("stderr", Json::array())) {
    program += "printf '%s\\n' " + shell_quote(line.get<std::string>()) + " >&2\n";
  }
  if (script.value("hang", false)) return program + "while :; do sleep 3600; done\n";
  const double seconds = run.value("seconds", 0.0);
  if (seconds > 0) program += fmt::format("sleep {}\n", seconds);
  return program + fmt::format("exit {}\n", run.value("exitCode", 0));
}

std::vector<std::string> strings_of(const Json& array) {
  std::vector<std::string> out;
  for (const Json& s : array) out.push_back(s.get<std::string>());
  return out;
}

std::string env_value(const EnvList& env, const std::string& name) {
  for (const auto& [k, v] : env) {
    if (k == name) return v;
  }
  return {};
}

// argv of one run: the script's shell program, or command (default: the image's ENTRYPOINT)
// + args with $(VAR) expanded as the kubelet does.
std::vector<std::string> container_argv(const Json& pod, const Json& spec, const ContainerEnv& env,
                                        const ImageMapping* mapping, int attempt) {
  if (const auto script = script_of(pod)) {
    return {"/bin/sh", "-c", script_program(*script, attempt)};
  }
  std::vector<std::string> argv;
  if (spec.contains("command")) {
    argv = strings_of(spec["command"]);
  } else if (mapping != nullptr) {
    argv = mapping->entrypoint;
  }
  for (auto& arg : strings_of(spec.value("args", Json::array()))) argv.push_back(arg);
  return expand_args(argv, env.expansion_env);
}

// workingDir under the image root when it exists there, else the root.
fs::path container_cwd(const Json& spec, const fs::path& root) {
  const std::string working_dir = spec.value("workingDir", "");
  std::error_code ec;
  if (!working_dir.empty() && working_dir.front() == '/' &&
      fs::is_directory(root / working_dir.substr(1), ec)) {
    return root / working_dir.substr(1);
  }
  return root;
}

// The runtime's error for a command it cannot exec (containerd + runc wording).
std::string start_error_message(const std::string& command) {
  const std::string why =
      command.find('/') == std::string::npos
          ? fmt::format("exec: \"{}\": executable file not found in $PATH", command)
          : fmt::format("exec: \"{}\": stat {}: no such file or directory", command, command);
  return "failed to create containerd task: failed to create shim task: OCI runtime create "
         "failed: runc create failed: unable to start container process: " +
         why + ": unknown";
}

}  // namespace

Kubelet::Kubelet(ObjectStore& store, KubeletConfig config)
    : store_(store), config_(std::move(config)) {}

Kubelet::~Kubelet() { stop(); }

void Kubelet::start() {
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void Kubelet::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  pods_.clear();  // each ContainerProcess kills its group and joins its reader
}

void Kubelet::run() {
  while (!stop_) {
    const std::uint64_t seen = store_.resource_version();
    try {
      sync_once();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "kubesim kubelet: sync failed: %s\n", e.what());
    }
    bool active = false;
    for (const auto& [uid, rt] : pods_) {
      for (const auto& c : rt->containers) active = active || c.stage != ContainerStage::kTerminated;
    }
    store_.wait_for_change(seen, active ? kActiveTick : kIdleTick);
  }
}

void Kubelet::sync_once() {
  std::set<std::string> present;
  for (Json pod : store_.list(kPods)) {
    const std::string uid = pod_uid(pod);
    present.insert(uid);
    const Json& spec = pod.value("spec", Json::object());
    if (spec.value("nodeName", "").empty()) {
      if (pod["metadata"].contains("deletionTimestamp")) continue;
      bind(pod);
      continue;  // the bind's change brings it back on the next pass
    }
    if (spec.value("nodeName", "") != config_.node_name) continue;
    auto it = pods_.find(uid);
    if (pod["metadata"].contains("deletionTimestamp")) {
      if (sync_deletion(pod, it == pods_.end() ? nullptr : it->second.get())) pods_.erase(uid);
      continue;
    }
    if (it == pods_.end()) {
      const std::string phase = pod.value("status", Json::object()).value("phase", "");
      if (phase == "Succeeded" || phase == "Failed") continue;  // finished before we knew it
      auto rt = std::make_unique<PodRuntime>();
      rt->ns = pod_ns(pod);
      rt->name = pod_name(pod);
      rt->uid = uid;
      rt->pod_ip = fmt::format("10.244.{}.{}", next_ip_ / 250, next_ip_ % 250 + 2);
      ++next_ip_;
      rt->start_time = now_rfc3339();
      rt->restart_policy = spec.value("restartPolicy", "Always");
      for (const Json& c : spec.value("containers", Json::array())) {
        ContainerRuntime cr;
        cr.name = c.value("name", "");
        cr.spec = c;
        rt->containers.push_back(std::move(cr));
      }
      write_status(pod, *rt);  // Pending, ContainerCreating: the sandbox is up
      it = pods_.emplace(uid, std::move(rt)).first;
    }
    sync_pod(pod, *it->second);
  }
  for (auto it = pods_.begin(); it != pods_.end();) {
    if (present.count(it->first) == 0) {
      it = pods_.erase(it);  // gone from the store: its processes die with it
    } else {
      ++it;
    }
  }
}

void Kubelet::bind(const Json& pod) {
  Json bound;
  try {
    bound = store_.update(kPods, pod_ns(pod), pod_name(pod), [&](Json& obj) {
      if (pod_uid(obj) != pod_uid(pod) || !obj["spec"].value("nodeName", "").empty()) return false;
      obj["spec"]["nodeName"] = config_.node_name;
      Json& status = obj["status"];
      if (!status.is_object()) status = Json::object();
      if (!status.contains("phase")) status["phase"] = "Pending";
      Json conditions = status.value("conditions", Json::array());
      conditions.push_back({{"type", "PodScheduled"},
                            {"status", "True"},
                            {"lastProbeTime", nullptr},
                            {"lastTransitionTime", now_rfc3339()}});
      status["conditions"] = conditions;
      return true;
    });
  } catch (const ApiError& e) {
    if (e.code() == 404) return;
    throw;
  }
  EventSpec spec;
  spec.reason = "Scheduled";
  spec.message = fmt::format("Successfully assigned {}/{} to {}", pod_ns(pod), pod_name(pod),
                             config_.node_name);
  spec.component = "default-scheduler";
  Json involved = bound;
  if (!involved.contains("kind")) involved["kind"] = "Pod";
  if (!involved.contains("apiVersion")) involved["apiVersion"] = "v1";
  record_event(store_, involved, spec);
}

void Kubelet::sync_pod(const Json& pod, PodRuntime& rt) {
  const auto now = Clock::now();
  for (std::size_t i = 0; i < rt.containers.size(); ++i) {
    ContainerRuntime& c = rt.containers[i];
    switch (c.stage) {
      case ContainerStage::kWaiting:
      case ContainerStage::kConfigError:
        if (now >= c.retry_at) try_start(pod, rt, i);
        break;
      case ContainerStage::kPullError:
        if (now >= c.retry_at) fail_pull(pod, rt, i);
        break;
      case ContainerStage::kRunning:
        if (const auto done = c.process->exit()) {
          on_exit(rt, i, done->exit_code, done->finished_at,
                  done->exit_code == 0 ? "Completed" : "Error", "");
        }
        break;
      case ContainerStage::kBackOff:
        if (now >= c.retry_at) {
          if (c.crash_wait) c.backoff = std::min(c.backoff * 2, config_.max_restart_backoff);
          c.crash_wait = false;
          try_start(pod, rt, i);
        } else if (c.state.contains("terminated")) {
          enter_crash_loop(pod, c);
        }
        break;
      case ContainerStage::kTerminated:
        break;
    }
  }
  write_status(pod, rt);
}

const ImageMapping* Kubelet::image_for(const std::string& image) const {
  const std::string repo = image_repository(image);
  const std::string normalized = image_repository(normalize_image(image));
  for (const auto& m : config_.images) {
    if (m.repository == repo || m.repository == normalized) return &m;
  }
  return nullptr;
}

void Kubelet::try_start(const Json& pod, PodRuntime& rt, std::size_t index) {
  ContainerRuntime& c = rt.containers[index];
  const std::string image = c.spec.value("image", "");
  const ImageMapping* mapping = image_for(image);
  if (mapping == nullptr && !script_of(pod)) {
    fail_pull(pod, rt, index);
    return;
  }
  event(pod, c.name, "Normal", "Pulled",
        fmt::format("Container image \"{}\" already present on machine", image));
  EnvSources sources;
  sources.base_env = config_.base_env;
  if (mapping != nullptr) sources.image_env = mapping->env;
  sources.host_ip = kHostIp;
  sources.pod_ip = rt.pod_ip;
  sources.lookup = [this](const std::string& res, const std::string& ns, const std::string& name) {
    return store_.get(res, ns, name);
  };
  ContainerEnv env;
  try {
    env = resolve_container_env(pod, c.spec, sources);
  } catch (const EnvConfigError& e) {
    if (c.state.contains("terminated")) c.last_state = c.state;  // a restart that cannot start
    c.stage = ContainerStage::kConfigError;
    c.state = {{"waiting", {{"reason", "CreateContainerConfigError"}, {"message", e.what()}}}};
    c.retry_at = Clock::now() + config_.restart_backoff;
    event(pod, c.name, "Warning", "Failed", fmt::format("Error: {}", e.what()));
    return;
  }
  for (const auto& warning : env.warnings) {
    event(pod, "", "Warning", "InvalidEnvironmentVariableNames", warning);
  }
  start_process(pod, rt, index, env, mapping);
}

void Kubelet::start_process(const Json& pod, PodRuntime& rt, std::size_t index,
                            const ContainerEnv& env, const ImageMapping* mapping) {
  ContainerRuntime& c = rt.containers[index];
  const int attempt = c.runs == 0 ? 0 : c.restart_count + 1;
  if (c.state.contains("terminated")) c.last_state = c.state;
  c.restart_count = attempt;
  ++c.runs;
  c.container_id = new_container_id();
  c.image_id = image_id_for(c.spec.value("image", ""));
  c.started_at = now_rfc3339();
  c.ready = false;
  const fs::path root = mapping != nullptr ? mapping->root : fs::path("/");
  const std::vector<std::string> argv = container_argv(pod, c.spec, env, mapping, attempt);
  const fs::path cwd = container_cwd(c.spec, root);
  std::error_code ec;
  // The kubelet keeps the current and the previous attempt's log, nothing older.
  if (attempt >= 2) {
    fs::remove(container_log_path(config_.log_root, rt.ns, rt.name, rt.uid, c.name, attempt - 2),
               ec);
  }
  const auto exe = argv.empty() ? std::nullopt
                                : resolve_executable(argv[0], root, cwd,
                                                     env_value(env.env, "PATH"));
  event(pod, c.name, "Normal", "Created", fmt::format("Created container {}", c.name));
  std::string failure;
  if (!exe) {
    failure = start_error_message(argv.empty() ? std::string() : argv[0]);
  } else {
    ProcessSpec spec;
    spec.executable = *exe;
    spec.argv = argv;
    for (const auto& [k, v] : env.env) spec.env.push_back(k + "=" + v);
    spec.cwd = cwd;
    spec.log_file =
        container_log_path(config_.log_root, rt.ns, rt.name, rt.uid, c.name, attempt);
    try {
      c.process = std::make_unique<ContainerProcess>(spec);
    } catch (const std::system_error& e) {
      failure = e.what();
    }
  }
  if (!failure.empty()) {
    // A container that never started reports the zero time as its start, as containerd does.
    c.started_at = "1970-01-01T00:00:00Z";
    event(pod, c.name, "Warning", "Failed", "Error: " + failure);
    on_exit(rt, index, 128, now_rfc3339(), "StartError", failure);
    return;
  }
  c.stage = ContainerStage::kRunning;
  c.state = {{"running", {{"startedAt", c.started_at}}}};
  c.ready = true;
  event(pod, c.name, "Normal", "Started", fmt::format("Started container {}", c.name));
}

void Kubelet::fail_pull(const Json& pod, PodRuntime& rt, std::size_t index) {
  ContainerRuntime& c = rt.containers[index];
  const std::string image = c.spec.value("image", "");
  if (c.stage != ContainerStage::kPullError || c.pull_backoff) {
    const std::string ref = normalize_image(image);
    const std::string error = fmt::format(
        "rpc error: code = NotFound desc = failed to pull and unpack image \"{}\": failed to "
        "resolve reference \"{}\": {}: not found",
        ref, ref, ref);
    event(pod, c.name, "Normal", "Pulling", fmt::format("Pulling image \"{}\"", image));
    event(pod, c.name, "Warning", "Failed",
          fmt::format("Failed to pull image \"{}\": {}", image, error));
    event(pod, c.name, "Warning", "Failed", "Error: ErrImagePull");
    c.state = {{"waiting", {{"reason", "ErrImagePull"}, {"message", error}}}};
    c.pull_backoff = false;
    c.stage = ContainerStage::kPullError;
    c.retry_at = Clock::now() + config_.restart_backoff;
    return;
  }
  const std::string message = fmt::format("Back-off pulling image \"{}\"", image);
  event(pod, c.name, "Normal", "BackOff", message);
  event(pod, c.name, "Warning", "Failed", "Error: ImagePullBackOff");
  c.state = {{"waiting", {{"reason", "ImagePullBackOff"}, {"message", message}}}};
  c.pull_backoff = true;
  c.backoff = c.backoff.count() == 0 ? config_.restart_backoff
                                     : std::min(c.backoff * 2, config_.max_restart_backoff);
  c.retry_at = Clock::now() + c.backoff;
}

void Kubelet::on_exit(PodRuntime& rt, std::size_t index, int exit_code,
                      const std::string& finished_at, const std::string& reason,
                      const std::string& message) {
  ContainerRuntime& c = rt.containers[index];
  Json terminated = {{"containerID", c.container_id}, {"exitCode", exit_code},
                     {"finishedAt", finished_at},     {"reason", reason},
                     {"startedAt", c.started_at}};
  if (!message.empty()) terminated["message"] = message;
  c.state = {{"terminated", terminated}};
  c.ready = false;
  c.process.reset();
  const bool restart =
      !rt.terminating && (rt.restart_policy == "Always" ||
                          (rt.restart_policy == "OnFailure" && exit_code != 0));
  if (!restart) {
    c.stage = ContainerStage::kTerminated;
    return;
  }
  // The exit shows as terminated for one sync ("Error"), as the kubelet reports what PLEG saw
  // before its next sync decides on the back-off.
  c.stage = ContainerStage::kBackOff;
  if (c.backoff.count() == 0) {
    // The kubelet's back-off has no entry for a container's first exit: it restarts at once.
    c.backoff = config_.restart_backoff;
    c.crash_wait = false;
    c.retry_at = Clock::now();
    return;
  }
  c.crash_wait = true;
  c.retry_at = Clock::now() + c.backoff;
}

void Kubelet::enter_crash_loop(const Json& pod, ContainerRuntime& c) {
  c.last_state = c.state;
  c.state = {{"waiting",
              {{"reason", "CrashLoopBackOff"},
               {"message", fmt::format("back-off {} restarting failed container={} pod={}",
                                       go_duration(c.backoff), c.name, format_pod(pod))}}}};
  event(pod, c.name, "Warning", "BackOff",
        fmt::format("Back-off restarting failed container {} in pod {}", c.name,
                    format_pod(pod)));
}

bool Kubelet::sync_deletion(const Json& pod, PodRuntime* rt) {
  if (rt != nullptr) {
    const auto now = Clock::now();
    if (!rt->terminating) {
      rt->terminating = true;
      const Json& meta = pod["metadata"];
      std::int64_t grace = pod["spec"].value("terminationGracePeriodSeconds", kDefaultGraceSeconds);
      if (meta.contains("deletionGracePeriodSeconds")) {
        grace = meta["deletionGracePeriodSeconds"].get<std::int64_t>();
      }
      rt->kill_deadline = now + std::min<milliseconds>(milliseconds(grace * 1000), config_.max_grace);
      for (auto& c : rt->containers) {
        if (c.stage != ContainerStage::kRunning) continue;
        event(pod, c.name, "Normal", "Killing", fmt::format("Stopping container {}", c.name));
        c.process->signal_group(grace > 0 ? SIGTERM : SIGKILL);
      }
    }
    if (!rt->killed && now >= rt->kill_deadline) {
      rt->killed = true;
      for (auto& c : rt->containers) {
        if (c.process) c.process->signal_group(SIGKILL);
      }
    }
    bool running = false;
    for (std::size_t i = 0; i < rt->containers.size(); ++i) {
      ContainerRuntime& c = rt->containers[i];
      if (c.stage != ContainerStage::kRunning) continue;
      if (const auto done = c.process->exit()) {
        on_exit(*rt, i, done->exit_code, done->finished_at,
                done->exit_code == 0 ? "Completed" : "Error", "");
      } else {
        running = true;
      }
    }
    if (running) return false;
    write_status(pod, *rt);
  }
  try {
    const auto current = store_.get(kPods, pod_ns(pod), pod_name(pod));
    if (current && pod_uid(*current) == pod_uid(pod)) store_.remove(kPods, pod_ns(pod), pod_name(pod));
  } catch (const ApiError& e) {
    if (e.code() != 404) throw;
  }
  return true;
}

void Kubelet::write_status(const Json& pod, const PodRuntime& rt) {
  const std::string qos = qos_class(pod);
  try {
    store_.update(kPods, rt.ns, rt.name, [&](Json& obj) {
      if (pod_uid(obj) != rt.uid) return false;  // a new pod of the same name is not ours
      const Json old = obj.value("status", Json::object());
      Json status = build_pod_status(rt, old, qos);
      if (status == old) return false;
      obj["status"] = std::move(status);
      return true;
    });
  } catch (const ApiError& e) {
    if (e.code() != 404) throw;
  }
}

void Kubelet::event(const Json& pod, const std::string& container, const std::string& type,
                    const std::string& reason, const std::string& message) {
  Json involved = pod;
  if (!involved.contains("kind")) involved["kind"] = "Pod";
  if (!involved.contains("apiVersion")) involved["apiVersion"] = "v1";
  EventSpec spec;
  spec.type = type;
  spec.reason = reason;
  spec.message = message;
  spec.component = "kubelet";
  spec.host = config_.node_name;
  if (!container.empty()) spec.field_path = fmt::format("spec.containers{{{}}}", container);
  try {
    record_event(store_, involved, spec);
  } catch (const ApiError&) {
    // An event that cannot be recorded (namespace going away) is dropped, as the recorder does.
  }
}

}  // namespace mgate::kubesim
