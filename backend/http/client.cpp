#include "backend/http/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>

#include "backend/http/attempt.hpp"
#include "backend/http/curl_global.hpp"
#include "backend/http/transport_error.hpp"

namespace mgate::backend::http {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Never wait in curl_multi_poll longer than this: libcurl's own timers are
// honoured inside it, this only bounds how late a deadline of ours is noticed.
constexpr int kMaxPollMs = 1000;

void default_sleep(milliseconds delay, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_for(lock, std::move(stop), delay, [] { return false; });
}

double default_jitter() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

// How one attempt ended, and whether another may follow.
struct Outcome {
  Result<Response> result;
  bool may_retry = false;
  std::optional<milliseconds> retry_after;
};

// How the multi loop ended.
struct Drive {
  CURLcode code = CURLE_OK;
  bool cancelled = false;       // the stop token fired
  bool header_timeout = false;  // a stream's headers did not arrive in time
  bool multi_failed = false;    // libcurl's multi interface itself failed
};

}  // namespace

struct Client::Impl {
  ClientOptions options;
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};

  explicit Impl(ClientOptions o) : options(std::move(o)) {
    ensure_curl_global_init();
    multi = curl_multi_init();
    easy = curl_easy_init();
    if (!options.sleep) options.sleep = default_sleep;
    if (!options.jitter) options.jitter = default_jitter;
  }
  ~Impl() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Result<Response> run(const Request& request, const ChunkCallback* on_chunk, const std::stop_token& stop);
  Outcome attempt_once(const Request& request, const ChunkCallback* on_chunk, const std::stop_token& stop);
  Drive drive(const Attempt& attempt, std::optional<Clock::time_point> header_deadline,
              const std::stop_token& stop);
  Outcome conclude(const Request& request, Attempt& attempt, const Drive& drive, bool streaming);
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

const ClientOptions& Client::options() const {
  return impl_->options;
}

Result<Response> Client::send(const Request& request, const std::stop_token& stop) {
  if (!impl_) return make_error(ErrorCode::kInternal, request.describe() + ": moved-from client");
  return impl_->run(request, nullptr, stop);
}

Result<Response> Client::stream(const Request& request, const ChunkCallback& on_chunk,
                                const std::stop_token& stop) {
  if (!impl_) return make_error(ErrorCode::kInternal, request.describe() + ": moved-from client");
  return impl_->run(request, &on_chunk, stop);
}

Result<Response> Client::Impl::run(const Request& request, const ChunkCallback* on_chunk,
                                   const std::stop_token& stop) {
  if (multi == nullptr || easy == nullptr) {
    return make_error(ErrorCode::kInternal, request.describe() + ": libcurl failed to start");
  }
  const int max_attempts = std::max(1, options.retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    Outcome outcome = attempt_once(request, on_chunk, stop);
    const bool last = attempt >= max_attempts || !outcome.may_retry || stop.stop_requested();
    if (!last) {
      const milliseconds delay = outcome.retry_after
                                     ? std::min(*outcome.retry_after, options.retry.max_delay)
                                     : backoff_delay(options.retry, attempt, options.jitter());
      options.sleep(delay, stop);
      // Stopped while waiting: the last answer is more use than "cancelled".
      if (!stop.stop_requested()) continue;
    }
    if (outcome.result) {
      outcome.result->attempts = attempt;
      return std::move(outcome.result);
    }
    Error error = outcome.result.error();
    if (attempt > 1) error.message += " (after " + std::to_string(attempt) + " attempts)";
    return error;
  }
}

Outcome Client::Impl::attempt_once(const Request& request, const ChunkCallback* on_chunk,
                                   const std::stop_token& stop) {
  // A reset easy handle keeps its connections, TLS sessions and DNS cache (and
  // they live in the multi handle anyway); only the options start afresh.
  curl_easy_reset(easy);
  Attempt attempt(request, options, on_chunk, stop);
  if (Status configured = attempt.configure(easy, error_buffer); !configured) {
    return {configured.error(), false, std::nullopt};
  }
  std::optional<Clock::time_point> header_deadline;
  if (on_chunk != nullptr && !request.timeout) header_deadline = Clock::now() + options.timeout;
  const Drive result = drive(attempt, header_deadline, stop);
  if (attempt.callback_error()) std::rethrow_exception(attempt.callback_error());
  return conclude(request, attempt, result, on_chunk != nullptr);
}

Drive Client::Impl::drive(const Attempt& attempt, std::optional<Clock::time_point> header_deadline,
                          const std::stop_token& stop) {
  Drive out;
  if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
    out.multi_failed = true;
    return out;
  }
  // A stop request from another thread wakes curl_multi_poll at once.
  std::stop_callback wake(stop, [this] { curl_multi_wakeup(multi); });
  for (;;) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      out.multi_failed = true;
      break;
    }
    bool done = false;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
        out.code = msg->data.result;
        done = true;
      }
    }
    if (done) break;
    if (stop.stop_requested()) {
      out.cancelled = true;
      break;
    }
    int wait_ms = kMaxPollMs;
    if (header_deadline && !attempt.headers_complete()) {
      const auto left = std::chrono::ceil<milliseconds>(*header_deadline - Clock::now());
      if (left.count() <= 0) {
        out.header_timeout = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<milliseconds::rep>(wait_ms, left.count()));
    }
    curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  }
  // Removing an unfinished transfer aborts it and closes its connection.
  curl_multi_remove_handle(multi, easy);
  return out;
}

Outcome Client::Impl::conclude(const Request& request, Attempt& attempt, const Drive& drive, bool streaming) {
  const std::string what = request.describe();
  const bool idempotent = request.is_idempotent();
  if (drive.multi_failed) {
    return {make_error(ErrorCode::kInternal, what + ": libcurl's multi interface failed"), false,
            std::nullopt};
  }
  // Stopping a stream once its headers are in is the caller's choice, not a failure.
  if (attempt.stopped() ||
      ((drive.cancelled || attempt.cancelled()) && streaming && attempt.headers_complete())) {
    attempt.response().stopped = true;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    attempt.response().status = status;
    return {std::move(attempt.response()), false, std::nullopt};
  }
  if (drive.cancelled || attempt.cancelled()) {
    return {make_error(ErrorCode::kCancelled, what + ": cancelled"), false, std::nullopt};
  }
  if (drive.header_timeout) {
    Error error =
        make_error(ErrorCode::kTimeout, what + ": timed out",
                   "no response headers within " + std::to_string(options.timeout.count()) + " ms", true);
    return {std::move(error), idempotent, std::nullopt};
  }
  if (drive.code != CURLE_OK) {
    const std::string detail = scrub_secrets(error_buffer, attempt.secrets());
    Error error = transport_error(what, drive.code, detail);
    const bool may_retry =
        error.retryable && !attempt.delivered() && (idempotent || nothing_was_sent(drive.code));
    return {std::move(error), may_retry, std::nullopt};
  }
  Response& response = attempt.response();
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  std::optional<milliseconds> retry_after;
  if (const auto value = response.header("Retry-After")) {
    retry_after = parse_retry_after(*value, std::chrono::system_clock::now());
  }
  const bool may_retry = idempotent && is_retryable_status(response.status);
  return {std::move(response), may_retry, retry_after};
}

}  // namespace mgate::backend::http
