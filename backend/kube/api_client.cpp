#include "backend/kube/api_client.hpp"

#include <fmt/format.h>

#include "backend/aws/canonical_request.hpp"

namespace mgate::backend::kube {

namespace {

constexpr int kMaxListRestarts = 3;

std::string encode(const std::string& value) { return aws::uri_encode(value, false); }

// "?a=1&b=2" from the non-empty pairs.
std::string query_string(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string q;
  for (const auto& [k, v] : pairs) {
    if (v.empty()) continue;
    q += (q.empty() ? "?" : "&") + k + "=" + encode(v);
  }
  return q;
}

std::string in_namespace(const std::string& ns) { return ns.empty() ? "" : " in " + ns; }

const char* propagation_name(Propagation p) {
  switch (p) {
    case Propagation::kBackground: return "Background";
    case Propagation::kForeground: return "Foreground";
    case Propagation::kOrphan: return "Orphan";
  }
  return "Background";
}

Result<Json> parse_json(const std::string& what, const std::string& body,
                        const Json::parser_callback_t& filter = nullptr) {
  try {
    return Json::parse(body, filter);
  } catch (const Json::parse_error& e) {
    return make_error(ErrorCode::kProtocol, what + ": the answer is not JSON", e.what());
  }
}

// A list page without each item's metadata.managedFields: the server's field-ownership
// bookkeeping, often the biggest part of an object, and nothing mgate reads. Depth 4 is
// page → items → item → metadata → its keys.
Result<Json> parse_list_page(const std::string& what, const std::string& body) {
  return parse_json(what, body, [](int depth, Json::parse_event_t event, Json& parsed) {
    return !(event == Json::parse_event_t::key && depth == 4 && parsed == "managedFields");
  });
}

}  // namespace

Error status_error(const std::string& what, long http_status, const std::string& body) {
  std::string reason;
  std::string message;
  try {
    const Json s = Json::parse(body);
    if (s.is_object() && s.value("kind", "") == "Status") {
      reason = s.value("reason", "");
      message = s.value("message", "");
    }
  } catch (const Json::parse_error&) {
    // Not a Status (a proxy's page): the HTTP status speaks alone.
  }
  ErrorCode code = ErrorCode::kProtocol;
  bool retryable = false;
  switch (http_status) {
    case 400: case 422: code = ErrorCode::kInvalidArgument; break;
    case 401: code = ErrorCode::kUnauthenticated; break;
    case 403: code = ErrorCode::kPermissionDenied; break;
    case 404: code = ErrorCode::kNotFound; break;
    case 409: code = reason == "AlreadyExists" ? ErrorCode::kAlreadyExists : ErrorCode::kConflict; break;
    case 410: code = ErrorCode::kConflict; break;
    case 429: case 500: case 502: case 503: case 504:
      code = ErrorCode::kUnavailable;
      retryable = true;
      break;
    default: break;
  }
  if (reason.empty()) reason = fmt::format("HTTP {}", http_status);
  const std::string text = message.empty() ? reason : reason + ": " + message;
  return make_error(code, what + ": " + text, reason, retryable);
}

ApiClient::ApiClient(ApiClientOptions options)
    : options_(std::move(options)), http_([&] {
        http::ClientOptions o = options_.http;
        if (o.user_agent.empty()) o.user_agent = options_.user_agent;
        return o;
      }()) {
  while (!options_.server.empty() && options_.server.back() == '/') options_.server.pop_back();
}

std::string ApiClient::collection_path(const ResourceRef& r, const std::string& ns) const {
  std::string path = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced && !ns.empty()) path += "/namespaces/" + encode(ns);
  return path + "/" + r.plural;
}

Result<http::Response> ApiClient::call(http::Request request, const std::string& what,
                                       const std::stop_token& stop) {
  for (int attempt = 0;; ++attempt) {
    http::Request r = request;
    if (options_.token) {
      auto token = options_.token->token();
      if (!token) return Error{token.error().code, what + ": " + token.error().message, token.error().detail};
      if (*token) r.set_bearer(**token);
    }
    auto res = http_.send(r, stop);
    if (!res) return Error{res.error().code, what + ": " + res.error().message, res.error().detail,
                           res.error().retryable};
    // A 401 may mean an expired exec or EKS token: ask the source once for a fresh one.
    if (res->status == 401 && attempt == 0 && options_.token && options_.token->invalidate()) continue;
    return res;
  }
}

Result<ListResult> ApiClient::list(const ResourceRef& resource, const std::string& ns,
                                   const ListOptions& options, const std::stop_token& stop) {
  std::vector<Json> items;
  auto out = list_each(
      resource, ns, options,
      [&](Json& item) {
        items.push_back(std::move(item));
        return ok_status();
      },
      [&] { items.clear(); }, stop);
  if (!out) return out.error();
  out->items = std::move(items);
  return out;
}

Result<ListResult> ApiClient::list_each(const ResourceRef& resource, const std::string& ns, const ListOptions& options,
                                        const std::function<Status(Json& item)>& visit,
                                        const std::function<void()>& restart, const std::stop_token& stop) {
  const std::string what = fmt::format("Kubernetes list {}{}", resource.qualified(), in_namespace(ns));
  ListResult out;
  std::string token;
  for (;;) {
    const std::string url =
        options_.server + collection_path(resource, ns) +
        query_string({{"labelSelector", options.label_selector},
                      {"fieldSelector", options.field_selector},
                      {"limit", options.limit > 0 ? std::to_string(options.limit) : ""},
                      {"continue", token}});
    auto res = call(http::Request{.method = "GET", .url = url, .headers = {{"Accept", "application/json"}}},
                    what, stop);
    if (!res) return res.error();
    if (res->status == 410 && !token.empty() && out.restarts < kMaxListRestarts) {
      // The continue token outlived the server's history: the pages so far may no longer
      // agree with the rest, so the list starts over, as client-go's pager does.
      ++out.restarts;
      restart();
      token.clear();
      continue;
    }
    if (!res->ok()) return status_error(what, res->status, res->body);
    auto page = parse_list_page(what, res->body);
    if (!page) return page.error();
    res->body = std::string();  // the text is parsed: free it before the items are visited
    ++out.pages;
    auto items = page->find("items");
    if (items != page->end() && items->is_array()) {
      for (auto& item : *items) {
        if (Status s = visit(item); !s) return s.error();
      }
    }
    const Json meta = page->value("metadata", Json::object());
    if (out.resource_version.empty() || token.empty()) out.resource_version = meta.value("resourceVersion", "");
    token = meta.value("continue", "");
    if (token.empty()) return out;
  }
}

Result<Json> ApiClient::get(const ResourceRef& resource, const std::string& ns,
                            const std::string& name, const std::stop_token& stop) {
  const std::string what =
      fmt::format("Kubernetes get {} \"{}\"{}", resource.qualified(), name, in_namespace(ns));
  auto res = call(http::Request{.method = "GET",
                                .url = options_.server + collection_path(resource, ns) + "/" + encode(name),
                                .headers = {{"Accept", "application/json"}}},
                  what, stop);
  if (!res) return res.error();
  if (!res->ok()) return status_error(what, res->status, res->body);
  return parse_json(what, res->body);
}

Result<Json> ApiClient::create(const ResourceRef& resource, const std::string& ns,
                               const Json& object, bool dry_run, const std::stop_token& stop) {
  const std::string name = object.value("metadata", Json::object()).value("name", "");
  const std::string what = fmt::format("Kubernetes create {} \"{}\"{}{}", resource.qualified(), name,
                                       in_namespace(ns), dry_run ? " (dry run)" : "");
  auto res = call(http::Request{.method = "POST",
                                .url = options_.server + collection_path(resource, ns) +
                                       query_string({{"dryRun", dry_run ? "All" : ""},
                                                     {"fieldManager", "mgate"}}),
                                .headers = {{"Accept", "application/json"},
                                            {"Content-Type", "application/json"}},
                                .body = object.dump()},
                  what, stop);
  if (!res) return res.error();
  if (!res->ok()) return status_error(what, res->status, res->body);
  return parse_json(what, res->body);
}

Result<Json> ApiClient::remove(const ResourceRef& resource, const std::string& ns,
                               const std::string& name, Propagation propagation, bool dry_run,
                               const std::stop_token& stop) {
  const std::string what = fmt::format("Kubernetes delete {} \"{}\"{}{}", resource.qualified(), name,
                                       in_namespace(ns), dry_run ? " (dry run)" : "");
  Json options = {{"kind", "DeleteOptions"},
                  {"apiVersion", "v1"},
                  {"propagationPolicy", propagation_name(propagation)}};
  if (dry_run) options["dryRun"] = {"All"};
  auto res = call(http::Request{.method = "DELETE",
                                .url = options_.server + collection_path(resource, ns) + "/" + encode(name),
                                .headers = {{"Accept", "application/json"},
                                            {"Content-Type", "application/json"}},
                                .body = options.dump()},
                  what, stop);
  if (!res) return res.error();
  if (!res->ok()) return status_error(what, res->status, res->body);
  return parse_json(what, res->body);
}

Result<std::string> ApiClient::get_text(const std::string& path_and_query, const std::stop_token& stop) {
  const std::string what = "Kubernetes GET " + path_and_query.substr(0, path_and_query.find('?'));
  auto res = call(http::Request{.method = "GET", .url = options_.server + path_and_query}, what, stop);
  if (!res) return res.error();
  if (!res->ok()) return status_error(what, res->status, res->body);
  return std::move(res->body);
}

Status ApiClient::stream_text(const std::string& path_and_query,
                              const std::function<bool(std::string_view)>& on_chunk,
                              const std::stop_token& stop) {
  const std::string what = "Kubernetes GET " + path_and_query.substr(0, path_and_query.find('?'));
  http::Request r{.method = "GET", .url = options_.server + path_and_query};
  if (options_.token) {
    auto token = options_.token->token();
    if (!token) return token.error();
    if (*token) r.set_bearer(**token);
  }
  auto res = http_.stream(r, on_chunk, stop);
  if (!res) return Error{res.error().code, what + ": " + res.error().message, res.error().detail};
  if (!res->ok()) return status_error(what, res->status, res->body);
  return ok_status();
}

}  // namespace mgate::backend::kube
