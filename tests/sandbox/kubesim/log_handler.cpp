// GET pods/NAME/log: the kubelet's container log rules (which run of the container a request
// reads, and the errors when there is none) over the CRI log files the kubelet-lite writes.

#include <fmt/format.h>

#include <ctime>
#include <fstream>
#include <memory>

#include "tests/sandbox/kubesim/api_handlers.hpp"
#include "tests/sandbox/kubesim/pod_logs.hpp"

namespace mgate::kubesim {

namespace {

struct LogRequest {
  std::string container;
  bool previous = false;
  bool timestamps = false;
  bool follow = false;
  std::int64_t tail = -1;
  std::string since;  // RFC 3339: lines at or after it
  std::int64_t limit_bytes = -1;
};

std::optional<Json> container_status(const Json& pod, const std::string& name) {
  const Json statuses = pod.value("status", Json::object()).value("containerStatuses", Json::array());
  for (const Json& s : statuses) {
    if (s.value("name", "") == name) return s;
  }
  return std::nullopt;
}

std::string rfc3339_seconds_ago(std::int64_t seconds) {
  const std::time_t t = std::time(nullptr) - static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::int64_t int_param(const httplib::Request& req, const std::string& key) {
  const std::string v = query(req, key);
  if (v.empty()) return -1;
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    throw bad_request(fmt::format("invalid {}: {}", key, v));
  }
}

LogRequest parse_request(const httplib::Request& req, const Json& pod) {
  LogRequest r;
  r.container = query(req, "container");
  r.previous = query_flag(req, "previous");
  r.timestamps = query_flag(req, "timestamps");
  r.follow = query_flag(req, "follow");
  r.tail = int_param(req, "tailLines");
  r.limit_bytes = int_param(req, "limitBytes");
  const std::int64_t since_seconds = int_param(req, "sinceSeconds");
  if (since_seconds >= 0) r.since = rfc3339_seconds_ago(since_seconds);
  if (!query(req, "sinceTime").empty()) r.since = query(req, "sinceTime");
  const std::string name = pod["metadata"].value("name", "");
  std::vector<std::string> names;
  for (const Json& c : pod["spec"].value("containers", Json::array())) names.push_back(c.value("name", ""));
  if (r.container.empty()) {
    if (names.size() != 1) {
      throw bad_request(fmt::format("a container name must be specified for pod {}, choose one "
                                    "of: [{}]",
                                    name, fmt::join(names, " ")));
    }
    r.container = names.front();
  } else if (std::find(names.begin(), names.end(), r.container) == names.end()) {
    throw bad_request(fmt::format("container {} is not valid for pod {}", r.container, name));
  }
  return r;
}

// Which run's log file: kubelet's validateContainerLogStatus.
int pick_attempt(const Json& pod, const LogRequest& r) {
  const std::string pod_name = pod["metadata"].value("name", "");
  const auto status = container_status(pod, r.container);
  const Json state = status ? status->value("state", Json::object()) : Json::object();
  const Json last = status ? status->value("lastState", Json::object()) : Json::object();
  const int restarts = status ? status->value("restartCount", 0) : 0;
  const bool has_last = last.contains("terminated");
  // While a container waits to restart, restartCount is still the number of the run that
  // died (the kubelet counts a restart when it starts the next run), and lastState is that run.
  const bool waiting = state.contains("waiting");
  if (r.previous) {
    if (!has_last) {
      throw bad_request(fmt::format("previous terminated container \"{}\" in pod \"{}\" not found",
                                    r.container, pod_name));
    }
    return waiting ? restarts : restarts - 1;
  }
  if (state.contains("running") || state.contains("terminated")) return restarts;
  if (has_last) return restarts;
  std::string reason = state.value("waiting", Json::object()).value("reason", "ContainerCreating");
  if (reason == "ErrImagePull" || reason == "ImagePullBackOff") {
    throw bad_request(fmt::format("container \"{}\" in pod \"{}\" is waiting to start: trying "
                                  "and failing to pull image",
                                  r.container, pod_name));
  }
  throw bad_request(fmt::format("container \"{}\" in pod \"{}\" is waiting to start: {}",
                                r.container, pod_name, reason));
}

std::string render(const LogLine& line, bool timestamps) {
  return (timestamps ? line.time + " " : std::string()) + line.text + "\n";
}

// True while the run that writes `attempt` may still write.
bool still_running(ObjectStore& store, const std::string& ns, const std::string& name,
                   const std::string& uid, const std::string& container, int attempt) {
  auto pod = store.get(kPods, ns, name);
  if (!pod || (*pod)["metadata"].value("uid", "") != uid) return false;
  const auto status = container_status(*pod, container);
  if (!status) return true;  // not started yet
  return status->value("restartCount", 0) == attempt &&
         !status->value("state", Json::object()).contains("terminated") &&
         !status->value("state", Json::object()).contains("waiting");
}

struct FollowState {
  std::filesystem::path file;
  std::streamoff offset = 0;
  std::string partial;
  std::string ns, name, uid, container;
  int attempt = 0;
  bool timestamps = false;
};

}  // namespace

void handle_log(HandlerContext& ctx, Call& call) {
  AccessControl::authorize(call.principal, "get", *call.target.info, "log", call.target.ns,
                           call.target.name);
  const Json pod = ctx.store.get_or_throw(kPods, call.target.ns, call.target.name);
  const LogRequest r = parse_request(call.req, pod);
  const int attempt = pick_attempt(pod, r);
  const std::string uid = pod["metadata"].value("uid", "");
  const auto file = container_log_path(ctx.options.log_root, call.target.ns, call.target.name,
                                       uid, r.container, attempt);
  std::vector<LogLine> lines = read_log_file(file);
  if (!r.since.empty()) {
    std::erase_if(lines, [&](const LogLine& l) { return l.time.substr(0, 19) < r.since.substr(0, 19); });
  }
  if (r.tail >= 0 && lines.size() > static_cast<std::size_t>(r.tail)) {
    lines.erase(lines.begin(), lines.end() - r.tail);
  }
  std::string body;
  for (const auto& l : lines) body += render(l, r.timestamps);
  if (r.limit_bytes >= 0 && body.size() > static_cast<std::size_t>(r.limit_bytes)) {
    body.resize(static_cast<std::size_t>(r.limit_bytes));
  }
  call.res.status = 200;
  if (!r.follow || r.previous) {
    call.res.set_content(body, "text/plain");
    return;
  }
  auto f = std::make_shared<FollowState>();
  f->file = file;
  std::error_code ec;
  f->offset = static_cast<std::streamoff>(std::filesystem::file_size(file, ec));
  if (ec) f->offset = 0;
  f->ns = call.target.ns;
  f->name = call.target.name;
  f->uid = uid;
  f->container = r.container;
  f->attempt = attempt;
  f->timestamps = r.timestamps;
  auto first = std::make_shared<std::string>(std::move(body));
  HandlerContext* c = &ctx;
  disable_compression(call.req);
  call.res.set_chunked_content_provider(
      "text/plain", [f, first, c](std::size_t, httplib::DataSink& sink) {
        if (!sink.is_writable()) return false;
        if (!first->empty()) {
          if (!sink.write(first->data(), first->size())) return false;
          first->clear();
        }
        // Whether the run was still going before reading: then a read after it ends drains all.
        const bool running = still_running(c->store, f->ns, f->name, f->uid, f->container, f->attempt);
        std::ifstream in(f->file, std::ios::binary);
        std::string chunk;
        if (in) {
          in.seekg(f->offset);
          chunk.assign(std::istreambuf_iterator<char>(in), {});
          f->offset += static_cast<std::streamoff>(chunk.size());
        }
        f->partial += chunk;
        std::string out;
        for (auto nl = f->partial.find('\n'); nl != std::string::npos; nl = f->partial.find('\n')) {
          if (auto line = parse_cri_line(f->partial.substr(0, nl))) out += render(*line, f->timestamps);
          f->partial.erase(0, nl + 1);
        }
        if (!out.empty() && !sink.write(out.data(), out.size())) return false;
        if (!running || c->stopping) {
          sink.done();
          return true;
        }
        std::this_thread::sleep_for(c->options.poll);
        return true;
      });
}

}  // namespace mgate::kubesim
