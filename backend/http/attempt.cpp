#include "backend/http/attempt.hpp"

#include <charconv>
#include <memory>

#include "backend/core/strings.hpp"
#include "backend/http/curl_global.hpp"
#include "backend/http/headers.hpp"
#include "backend/http/url.hpp"

namespace mgate::backend::http {
namespace {

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

// libcurl's header list syntax: "Name: value"; "Name;" sends a header with an
// empty value ("Name:" alone would remove it instead).
std::string header_line(std::string_view name, std::string_view value) {
  if (value.empty()) return std::string(name) + ";";
  return std::string(name) + ": " + std::string(value);
}

Status append(SlistPtr& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown == nullptr) return make_error(ErrorCode::kInternal, "out of memory building headers");
  (void)list.release();  // curl_slist_append returned the same list, now one longer
  list.reset(grown);
  return ok_status();
}

// "HTTP/1.1 200 OK", "HTTP/2 404" -> the code.
long status_of(std::string_view status_line) {
  const std::size_t space = status_line.find(' ');
  if (space == std::string_view::npos) return 0;
  long code = 0;
  const char* begin = status_line.data() + space + 1;
  std::from_chars(begin, status_line.data() + status_line.size(), code);
  return code;
}

}  // namespace

Attempt::Attempt(const Request& request, const ClientOptions& options, const ChunkCallback* on_chunk,
                 std::stop_token stop)
    : request_(request), options_(options), on_chunk_(on_chunk), stop_(std::move(stop)) {}

Status Attempt::build_target() {
  auto url = parse_url(request_.url);
  if (!url)
    return make_error(ErrorCode::kInvalidArgument, request_.describe() + ": invalid URL",
                      url.error().message);
  if (url->scheme != "http" && url->scheme != "https") {
    return make_error(ErrorCode::kInvalidArgument,
                      request_.describe() + ": only http and https URLs are supported");
  }
  target_url_ = request_.url;
  const auto& server_name = options_.tls.server_name;
  if (!server_name || server_name->empty() || url->scheme != "https") return ok_status();
  // libcurl 7.88 has no option to verify against another name: SNI and
  // verification always use the URL's host. So the URL names server_name and
  // CURLOPT_CONNECT_TO sends the TCP connection to the real host and port.
  CurluPtr handle(curl_url());
  char* rewritten = nullptr;
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, request_.url.c_str(), 0) != CURLUE_OK ||
      curl_url_set(handle.get(), CURLUPART_HOST, server_name->c_str(), 0) != CURLUE_OK ||
      curl_url_get(handle.get(), CURLUPART_URL, &rewritten, 0) != CURLUE_OK) {
    return make_error(ErrorCode::kInvalidArgument,
                      request_.describe() + ": tls server name is not a valid host name");
  }
  target_url_ = rewritten;
  curl_free(rewritten);
  const std::string port = std::to_string(url->port);
  if (auto s = append(connect_to_, *server_name + ":" + port + ":" + url->host + ":" + port); !s) {
    return s;
  }
  // The Host header would now name server_name; keep the URL's host, as kubectl does.
  host_header_ = url->host_header();
  return ok_status();
}

Status Attempt::build_headers() {
  const auto check = [&](std::string_view name, std::string_view value) -> Status {
    if (name.empty() || has_line_break(name) || has_line_break(value) ||
        name.find(':') != std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument, request_.describe() + ": header \"" + std::string(name) +
                                                         "\" has an empty name, a colon or a line break");
    }
    return ok_status();
  };
  for (const auto& [name, value] : request_.headers) {
    if (auto s = check(name, value); !s) return s;
    if (auto s = append(headers_, header_line(name, value)); !s) return s;
  }
  for (const auto& [name, value] : request_.secret_headers) {
    // The value stays out of the message: only the name is quoted.
    if (auto s = check(name, value.reveal()); !s) return s;
    if (auto s = append(headers_, header_line(name, value.reveal())); !s) return s;
  }
  // "Name:" removes a header libcurl would add by itself.
  if (!request_.has_header("Expect")) {
    if (auto s = append(headers_, "Expect:"); !s) return s;
  }
  if (!request_.has_header("Content-Type")) {
    if (auto s = append(headers_, "Content-Type:"); !s) return s;
  }
  if (!host_header_.empty() && !request_.has_header("Host")) {
    if (auto s = append(headers_, "Host: " + host_header_); !s) return s;
  }
  return ok_status();
}

void Attempt::set_method(CURL* easy) const {
  const std::string& method = request_.method;
  if (method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    return;
  }
  const bool has_body = !request_.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (has_body) {
    // POSTFIELDS sends any method's body with Content-Length (0 for an empty
    // PUT, which an OCI upload needs); CUSTOMREQUEST then names the method.
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_.body.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request_.body.data());
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  }
  if (method != (has_body ? "POST" : "GET")) {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
}

Status Attempt::set_tls(CURL* easy) const {
  const TlsOptions& tls = options_.tls;
  CURLcode rc = CURLE_OK;
  const auto set = [&rc](CURLcode result) {
    if (rc == CURLE_OK) rc = result;
  };
  if (tls.insecure_skip_verify) {
    set(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L));
    set(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L));
  }
  // The blobs point into options_, which the Client keeps at a stable address
  // for its whole life, so libcurl need not copy them (the key least of all).
  if (tls.ca_pem) {
    curl_blob blob{const_cast<char*>(tls.ca_pem->data()), tls.ca_pem->size(), CURL_BLOB_NOCOPY};
    set(curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob));
  } else if (tls.ca_file) {
    set(curl_easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file->c_str()));
  }
  if (tls.ca_pem || tls.ca_file) {
    // Debian's libcurl also trusts /etc/ssl/certs by default; a cluster CA
    // replaces the system store, as it does for kubectl.
    set(curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr));
  }
  if (tls.client_cert_pem) {
    curl_blob blob{const_cast<char*>(tls.client_cert_pem->data()), tls.client_cert_pem->size(),
                   CURL_BLOB_NOCOPY};
    set(curl_easy_setopt(easy, CURLOPT_SSLCERT_BLOB, &blob));
    set(curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM"));
  } else if (tls.client_cert_file) {
    set(curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.client_cert_file->c_str()));
  }
  if (tls.client_key_pem) {
    const std::string& key = tls.client_key_pem->reveal();
    curl_blob blob{const_cast<char*>(key.data()), key.size(), CURL_BLOB_NOCOPY};
    set(curl_easy_setopt(easy, CURLOPT_SSLKEY_BLOB, &blob));
    set(curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM"));
  } else if (tls.client_key_file) {
    set(curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.client_key_file->c_str()));
  }
  if (rc != CURLE_OK) {
    return make_error(ErrorCode::kInvalidArgument,
                      request_.describe() + ": this libcurl does not support the TLS settings",
                      curl_easy_strerror(rc));
  }
  return ok_status();
}

Status Attempt::configure(CURL* easy, char* error_buffer) {
  if (auto s = build_target(); !s) return s;
  if (auto s = build_headers(); !s) return s;
  error_buffer[0] = '\0';
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_URL, target_url_.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  // Signals cannot be used for DNS timeouts in a threaded program.
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_.get());
  if (connect_to_) curl_easy_setopt(easy, CURLOPT_CONNECT_TO, connect_to_.get());
  set_method(easy);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  // A stream has no overall deadline unless the request sets one; the Client
  // bounds its wait for the headers instead.
  const auto total = on_chunk_ ? request_.timeout.value_or(std::chrono::milliseconds{0})
                               : request_.timeout.value_or(options_.timeout);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
  if (!options_.user_agent.empty()) {
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  }
  if (options_.proxy) curl_easy_setopt(easy, CURLOPT_PROXY, options_.proxy->c_str());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Attempt::on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Attempt::on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  return set_tls(easy);
}

size_t Attempt::on_header(char* data, size_t size, size_t count, void* self) {
  auto* attempt = static_cast<Attempt*>(self);
  const size_t length = size * count;
  std::string_view line(data, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  Headers& headers = attempt->response_.headers;
  if (line.starts_with("HTTP/")) {
    // A new status line starts a new header block: a 100 Continue's headers
    // are not the final response's.
    headers.clear();
    attempt->status_ = status_of(line);
    attempt->headers_complete_ = false;
  } else if (line.empty()) {
    if (attempt->status_ >= 200) attempt->headers_complete_ = true;
  } else if (line.front() == ' ' || line.front() == '\t') {
    headers.append_to_last(trim(line));
  } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    headers.add(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }
  return length;
}

size_t Attempt::on_body(char* data, size_t size, size_t count, void* self) {
  auto* attempt = static_cast<Attempt*>(self);
  const size_t length = size * count;
  const bool to_caller = attempt->on_chunk_ != nullptr && attempt->status_ >= 200 && attempt->status_ < 300;
  if (!to_caller) {
    attempt->response_.body.append(data, length);
    return length;
  }
  if (attempt->stop_.stop_requested()) {
    attempt->cancelled_ = true;
    return CURL_WRITEFUNC_ERROR;
  }
  attempt->delivered_ = true;
  try {
    if (!(*attempt->on_chunk_)(std::string_view(data, length))) {
      attempt->stopped_ = true;
      return CURL_WRITEFUNC_ERROR;
    }
  } catch (...) {
    // An exception must not unwind through libcurl's C frames: keep it and
    // rethrow once the transfer has been taken down.
    attempt->callback_error_ = std::current_exception();
    return CURL_WRITEFUNC_ERROR;
  }
  return length;
}

std::vector<std::string> Attempt::secrets() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : request_.secret_headers) {
    out.push_back(value.reveal());
    // "Bearer <token>": the token alone must not leak either.
    if (const std::size_t space = value.reveal().find(' '); space != std::string::npos) {
      out.push_back(value.reveal().substr(space + 1));
    }
  }
  if (options_.tls.client_key_pem) out.push_back(options_.tls.client_key_pem->reveal());
  if (auto url = parse_url(request_.url); url && !url->query.empty()) out.push_back(url->query);
  for (const std::string* text : {&request_.url, options_.proxy ? &*options_.proxy : nullptr}) {
    if (text == nullptr) continue;
    CurluPtr handle(curl_url());
    char* password = nullptr;
    if (handle && curl_url_set(handle.get(), CURLUPART_URL, text->c_str(), 0) == CURLUE_OK &&
        curl_url_get(handle.get(), CURLUPART_PASSWORD, &password, 0) == CURLUE_OK) {
      out.emplace_back(password);
      curl_free(password);
    }
  }
  return out;
}

}  // namespace mgate::backend::http
