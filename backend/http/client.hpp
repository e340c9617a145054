#pragma once
// The HTTP client every backend module talks through: Kubernetes, ECR, OCI registries.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "backend/core/error.hpp"
#include "backend/http/request.hpp"
#include "backend/http/response.hpp"
#include "backend/http/retry_policy.hpp"
#include "backend/http/tls_options.hpp"

namespace mgate::backend::http {

/// Waits between retries; should return early once stop is requested.
using SleepFunction = std::function<void(std::chrono::milliseconds, std::stop_token)>;
/// Receives body bytes as they arrive; returns false to end the transfer early.
using ChunkCallback = std::function<bool(std::string_view chunk)>;

/// Settings fixed for the life of a Client (one per API server or registry).
struct ClientOptions {
  TlsOptions tls;                                   ///< verification and client identity
  std::chrono::milliseconds connect_timeout{5000};  ///< TCP + TLS handshake
  /// The whole exchange for send(); for stream(), only the wait for the
  /// response headers (a watch may then run as long as it likes).
  std::chrono::milliseconds timeout{30000};
  RetryPolicy retry;  ///< when and how long to retry
  /// Proxy URL (kubeconfig proxy-url). Unset: libcurl reads http_proxy,
  /// https_proxy and no_proxy from the environment; "": no proxy at all.
  std::optional<std::string> proxy;
  std::string user_agent;  ///< "" sends no User-Agent
  /// Replaces the wait between retries (tests record the delays instead).
  /// Unset: a real wait that ends early when the stop token fires.
  SleepFunction sleep;
  /// Replaces the jitter draw, a fraction in [0, 1] (tests pin it).
  /// Unset: uniform random.
  std::function<double()> jitter;
};

/// A libcurl client holding one easy handle (and its multi handle), so
/// connections, TLS sessions and DNS answers are kept between calls.
///
/// A Client is used by one thread at a time: callers that fetch concurrently
/// hold one Client per worker. It may be moved between threads between calls.
///
/// What goes on the wire is the Request's headers and body, plus what libcurl
/// adds on its own: Host (Url::host_header(), unless the Request sets one),
/// Content-Length when there is a body, "Accept: */*" unless the Request sets
/// Accept, and User-Agent when configured. Two libcurl defaults are turned off
/// because they would change what a signer signed or cost a round trip:
/// "Content-Type: application/x-www-form-urlencoded" on bodies, and
/// "Expect: 100-continue" on large ones.
///
/// Retries: a request is sent again, up to RetryPolicy::max_attempts, when it
/// failed with a retryable transport error (connection failure, timeout) or
/// answered 429, 502, 503 or 504 — but only when Request::is_idempotent(), or
/// when the connection was never made (refused, unresolvable), since then
/// nothing reached the server. The wait is the response's Retry-After when
/// given (capped at max_delay), else full-jitter exponential backoff.
///
/// Redirects are not followed: the caller sees the 3xx and decides.
class Client {
 public:
  /// A client with these options; nothing is connected yet.
  explicit Client(ClientOptions options = {});
  /// Closes the kept connections.
  ~Client();
  /// Takes over the handles and their connections; the source may only be
  /// destroyed or assigned to (its calls return kInternal).
  Client(Client&&) noexcept;
  /// As the move constructor; this client's own connections are closed first.
  Client& operator=(Client&&) noexcept;
  /// Not copyable: a connection belongs to one client.
  Client(const Client&) = delete;
  /// Not copyable.
  Client& operator=(const Client&) = delete;

  /// Sends request and reads the whole response. A transport failure is an
  /// Error (kUnavailable, kTimeout, kUnauthenticated for a refused client
  /// certificate, kInvalidArgument for unusable settings); any HTTP status is a
  /// Response. A stop request aborts at once with a kUnavailable "cancelled".
  Result<Response> send(const Request& request, const std::stop_token& stop = {});

  /// Sends request and hands the body of a 2xx response to on_chunk as it
  /// arrives (log follow, watch); a non-2xx body is collected in
  /// Response::body instead, for the caller's error message. The transfer ends
  /// when the body does, when on_chunk returns false, or when stop is requested
  /// after the headers arrived; the last two give a Response with stopped set.
  /// An exception thrown by on_chunk ends the transfer and propagates.
  /// Once a chunk has been delivered the request is never retried.
  Result<Response> stream(const Request& request, const ChunkCallback& on_chunk,
                          const std::stop_token& stop = {});

  /// The options this client was built with (not on a moved-from client).
  const ClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mgate::backend::http
