#pragma once
// The Kubernetes REST client: typed errors from metav1 Status, lists that page with
// limit/continue and start over on 410, get, create, delete (propagationPolicy always sent),
// server-side dry runs, and watch streams that resume from the last resourceVersion.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"
#include "backend/http/client.hpp"

namespace mgate::backend::kube {

using Json = nlohmann::json;

/// A resource collection's path parts.
struct ResourceRef {
  std::string group;      ///< "" for the core group
  std::string version;    ///< "v1"
  std::string plural;     ///< "jobs"
  bool namespaced = true;

  /// "jobs.batch", or "pods": how messages name it.
  std::string qualified() const { return group.empty() ? plural : plural + "." + group; }
};

/// The collections mgate reads and writes.
inline const ResourceRef kJobs{"batch", "v1", "jobs"};
inline const ResourceRef kPods{"", "v1", "pods"};
inline const ResourceRef kEvents{"", "v1", "events"};
inline const ResourceRef kDeployments{"apps", "v1", "deployments"};
inline const ResourceRef kApplications{"argoproj.io", "v1alpha1", "applications"};

/// Where a request's bearer token comes from (a static token, a token file, an exec plugin,
/// an EKS token), told when the server answered 401 so it can fetch a fresh one.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  /// The token to send; nullopt sends none (client-certificate auth).
  virtual Result<std::optional<Secret>> token() = 0;
  /// The server refused the last token; true when asking again may give another one.
  virtual bool invalidate() { return false; }
};

/// A fixed token (kubeconfig `token:`), or none.
class StaticToken : public TokenSource {
 public:
  explicit StaticToken(std::optional<Secret> token) : token_(std::move(token)) {}
  /// The token given at construction.
  Result<std::optional<Secret>> token() override { return token_; }

 private:
  std::optional<Secret> token_;
};

/// How to reach one API server.
struct ApiClientOptions {
  std::string server;                  ///< "https://host:port", no trailing slash needed
  http::ClientOptions http;            ///< TLS, timeouts, retries (only idempotent calls retry)
  std::shared_ptr<TokenSource> token;  ///< null: no bearer token
  std::string user_agent = "mgate";
};

/// DeleteOptions.propagationPolicy.
enum class Propagation { kBackground, kForeground, kOrphan };

/// What a list asks for.
struct ListOptions {
  std::string label_selector{};
  std::string field_selector{};
  std::int64_t limit = 500;  ///< page size (the server may cap it)
};

/// Every item of a list, read page by page.
struct ListResult {
  std::vector<Json> items;
  std::string resource_version;  ///< the list's, to start a watch from
  int pages = 0;                 ///< requests it took (after any restart)
  int restarts = 0;              ///< times a 410 Expired continue token made it start over
};

/// One watch event.
struct WatchEvent {
  std::string type;  ///< ADDED, MODIFIED, DELETED, BOOKMARK
  Json object;
};

/// The client of one API server. One thread at a time (it holds one http::Client).
class ApiClient {
 public:
  explicit ApiClient(ApiClientOptions options);

  /// Every object of a collection in `ns` ("" = all namespaces), following `continue` until
  /// the last page; a 410 Expired continue token starts the list over (at most 3 times).
  Result<ListResult> list(const ResourceRef& resource, const std::string& ns,
                          const ListOptions& options = {}, const std::stop_token& stop = {});
  /// The same list handed over page by page: `visit` takes each item as its page is read (the
  /// page is freed before the next is asked for), `restart` is called when a 410 starts the list
  /// over, so the caller drops what it took. The result's `items` stays empty.
  Result<ListResult> list_each(const ResourceRef& resource, const std::string& ns, const ListOptions& options,
                               const std::function<Status(Json& item)>& visit, const std::function<void()>& restart,
                               const std::stop_token& stop = {});
  /// One object; NotFound is ErrorCode::kNotFound.
  Result<Json> get(const ResourceRef& resource, const std::string& ns, const std::string& name,
                   const std::stop_token& stop = {});
  /// Creates an object (never retried); dry_run asks for a server-side dry run (dryRun=All).
  Result<Json> create(const ResourceRef& resource, const std::string& ns, const Json& object,
                      bool dry_run = false, const std::stop_token& stop = {});
  /// Deletes an object with the propagation policy always stated (batch/v1's default would
  /// orphan a Job's pods). Returns the server's answer (a Status, or the object being deleted).
  Result<Json> remove(const ResourceRef& resource, const std::string& ns, const std::string& name,
                      Propagation propagation, bool dry_run = false,
                      const std::stop_token& stop = {});
  /// The text at a path under the server ("/api/v1/namespaces/N/pods/P/log?tailLines=5").
  Result<std::string> get_text(const std::string& path_and_query, const std::stop_token& stop = {});
  /// Streams the body at a path (a followed log) to on_chunk until it ends, on_chunk returns
  /// false, or stop is requested.
  Status stream_text(const std::string& path_and_query,
                     const std::function<bool(std::string_view)>& on_chunk,
                     const std::stop_token& stop = {});
  /// Watches a collection from `resource_version` ("" = from now, after the current objects
  /// arrive as ADDED), calling on_event for each event until it returns false or stop is
  /// requested. A stream the server ends is reopened from the last resourceVersion seen; an
  /// Expired resume point (410) is an error of code kConflict with detail "Expired" (the
  /// caller lists again).
  Status watch(const ResourceRef& resource, const std::string& ns, const ListOptions& options,
               std::string resource_version, const std::function<bool(const WatchEvent&)>& on_event,
               const std::stop_token& stop = {});

 private:
  Result<http::Response> call(http::Request request, const std::string& what,
                              const std::stop_token& stop);
  std::string collection_path(const ResourceRef& resource, const std::string& ns) const;

  ApiClientOptions options_;
  http::Client http_;
};

/// The error a non-2xx answer means: the Status's reason and message when the body is one
/// (404 → kNotFound, 409 AlreadyExists → kAlreadyExists, 409 Conflict → kConflict,
/// 401 → kUnauthenticated, 403 → kPermissionDenied, 410 → kConflict "Expired",
/// 422/400 → kInvalidArgument, 429/5xx → kUnavailable retryable), prefixed with `what`
/// ("Kubernetes GET jobs.batch \"x\" in udab").
Error status_error(const std::string& what, long http_status, const std::string& body);

}  // namespace mgate::backend::kube
