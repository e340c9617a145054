#pragma once
// One try of a request on a libcurl easy handle (internal to backend/http).

#include <curl/curl.h>

#include <exception>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "backend/core/error.hpp"
#include "backend/http/client.hpp"

namespace mgate::backend::http {

/// Frees a curl_slist.
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
/// An owned curl_slist.
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

/// The state of one attempt, shared with libcurl's header and body callbacks.
/// It must outlive the transfer it configured.
class Attempt {
 public:
  /// An attempt at request with options; on_chunk is null for a buffered send().
  Attempt(const Request& request, const ClientOptions& options, const ChunkCallback* on_chunk,
          std::stop_token stop);
  Attempt(const Attempt&) = delete;
  Attempt& operator=(const Attempt&) = delete;

  /// Sets every option of easy, which the caller has just reset.
  Status configure(CURL* easy, char* error_buffer);

  /// The response as far as it has been received (status, headers, collected body).
  Response& response() { return response_; }
  /// True once the final (non-1xx) response's header block has ended.
  bool headers_complete() const { return headers_complete_; }
  /// True once a chunk has reached the caller: the request can no longer be retried.
  bool delivered() const { return delivered_; }
  /// True when the chunk callback asked to stop.
  bool stopped() const { return stopped_; }
  /// True when the body callback saw the stop token triggered.
  bool cancelled() const { return cancelled_; }
  /// What the chunk callback threw, if it threw.
  std::exception_ptr callback_error() const { return callback_error_; }
  /// The strings that must never appear in an error: secret header values, the
  /// client key, the URL's query and passwords.
  std::vector<std::string> secrets() const;

 private:
  static size_t on_header(char* data, size_t size, size_t count, void* self);
  static size_t on_body(char* data, size_t size, size_t count, void* self);
  Status build_target();
  Status build_headers();
  void set_method(CURL* easy) const;
  Status set_tls(CURL* easy) const;

  const Request& request_;
  const ClientOptions& options_;
  const ChunkCallback* on_chunk_;
  std::stop_token stop_;
  std::string target_url_;   // the URL handed to libcurl: host swapped for tls.server_name
  std::string host_header_;  // the original Host when the URL's host was swapped
  SlistPtr headers_;
  SlistPtr connect_to_;
  Response response_;
  long status_ = 0;  // from the last status line seen: 1xx, proxy CONNECT, then final
  bool headers_complete_ = false;
  bool delivered_ = false;
  bool stopped_ = false;
  bool cancelled_ = false;
  std::exception_ptr callback_error_;
};

}  // namespace mgate::backend::http
