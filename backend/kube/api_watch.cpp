// ApiClient::watch: newline-delimited watch events over a streamed response, reopened from the
// last resourceVersion seen when the server ends the stream (as it does at timeoutSeconds).

#include <fmt/format.h>

#include "backend/aws/canonical_request.hpp"
#include "backend/kube/api_client.hpp"

namespace mgate::backend::kube {

namespace {

// How long the server may hold one watch before it ends it; the client then reopens it.
constexpr int kWatchSeconds = 300;

std::string watch_query_value(const std::string& value) { return aws::uri_encode(value, false); }

// What one stream ended with.
struct StreamState {
  std::string buffer;       // bytes after the last complete line
  std::string last_rv;      // the newest resourceVersion seen
  bool caller_done = false; // on_event returned false
  std::optional<Error> error;
};

// Feeds the complete lines of the buffer to the caller; false ends the stream.
bool drain_lines(StreamState& s, const std::string& what,
                 const std::function<bool(const WatchEvent&)>& on_event) {
  for (auto nl = s.buffer.find('\n'); nl != std::string::npos; nl = s.buffer.find('\n')) {
    const std::string line = s.buffer.substr(0, nl);
    s.buffer.erase(0, nl + 1);
    if (line.empty()) continue;
    Json event;
    try {
      event = Json::parse(line);
    } catch (const Json::parse_error& e) {
      s.error = make_error(ErrorCode::kProtocol, what + ": a watch event is not JSON", e.what());
      return false;
    }
    WatchEvent ev{event.value("type", ""), event.value("object", Json::object())};
    if (ev.type == "ERROR") {
      // The server reports a resume point older than its history inside the stream.
      s.error = status_error(what, ev.object.value("code", 500), ev.object.dump());
      return false;
    }
    const std::string rv = ev.object.value("metadata", Json::object()).value("resourceVersion", "");
    if (!rv.empty()) s.last_rv = rv;
    if (!on_event(ev)) {
      s.caller_done = true;
      return false;
    }
  }
  return true;
}

}  // namespace

Status ApiClient::watch(const ResourceRef& resource, const std::string& ns,
                        const ListOptions& options, std::string resource_version,
                        const std::function<bool(const WatchEvent&)>& on_event,
                        const std::stop_token& stop) {
  const std::string what =
      fmt::format("Kubernetes watch {}{}", resource.qualified(), ns.empty() ? "" : " in " + ns);
  StreamState s;
  s.last_rv = std::move(resource_version);
  while (!stop.stop_requested()) {
    std::string url = options_.server + collection_path(resource, ns) +
                      "?watch=1&allowWatchBookmarks=true&timeoutSeconds=" +
                      std::to_string(kWatchSeconds);
    if (!options.label_selector.empty()) url += "&labelSelector=" + watch_query_value(options.label_selector);
    if (!options.field_selector.empty()) url += "&fieldSelector=" + watch_query_value(options.field_selector);
    if (!s.last_rv.empty()) url += "&resourceVersion=" + watch_query_value(s.last_rv);
    http::Request r{.method = "GET", .url = url, .headers = {{"Accept", "application/json"}}};
    if (options_.token) {
      auto token = options_.token->token();
      if (!token) return token.error();
      if (*token) r.set_bearer(**token);
    }
    s.buffer.clear();
    auto res = http_.stream(
        r,
        [&](std::string_view chunk) {
          s.buffer.append(chunk);
          return drain_lines(s, what, on_event);
        },
        stop);
    if (s.error) return *s.error;
    if (s.caller_done || stop.stop_requested()) return ok_status();
    if (!res) return Error{res.error().code, what + ": " + res.error().message, res.error().detail,
                           res.error().retryable};
    if (!res->ok()) return status_error(what, res->status, res->body);
    // The server ended the stream (timeoutSeconds): reopen it where it stopped.
  }
  return ok_status();
}

}  // namespace mgate::backend::kube
