#pragma once
// A cpp-httplib server on 127.0.0.1, on a port the kernel picks, in its own
// thread; and a recorder of what it was sent.

#include <httplib.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mgate::backend::http::testing {

/// Owns a server and the thread listening on it; stops and joins on destruction.
class LoopbackServer {
 public:
  /// A plain HTTP server.
  LoopbackServer() : LoopbackServer(std::make_unique<httplib::Server>(), "http") {}
  /// Any server (an SSLServer with "https").
  LoopbackServer(std::unique_ptr<httplib::Server> server, std::string scheme)
      : server_(std::move(server)), scheme_(std::move(scheme)) {}
  ~LoopbackServer() { stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  /// The server, to register handlers before start().
  httplib::Server& server() { return *server_; }

  /// Binds to 127.0.0.1 on a free port and starts listening; false on failure.
  bool start() {
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return false;
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return true;
  }

  /// Stops listening and waits for the handlers to finish.
  void stop() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  /// The bound port.
  int port() const { return port_; }
  /// "http://127.0.0.1:<port><path>".
  std::string url(std::string_view path) const {
    return scheme_ + "://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::string scheme_;
  int port_ = -1;
  std::thread thread_;
};

/// What a handler saw of one request.
struct Seen {
  std::string method;
  std::string target;  ///< path and query as sent
  std::string path;
  std::string body;
  httplib::Headers headers;
  int remote_port = -1;

  /// The first value of a header, or "<absent>".
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "<absent>" : it->second;
  }
};

/// Thread-safe log of the requests handlers saw.
class Recorder {
 public:
  /// Records req.
  void record(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    seen_.push_back(Seen{req.method, req.target, req.path, req.body, req.headers, req.remote_port});
  }
  /// Everything recorded so far.
  std::vector<Seen> all() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  /// The number of requests recorded.
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
};

/// A loopback port nobody listens on (bound, read, closed): connecting is refused.
int closed_port();

/// A bare socket server for one request: it keeps the exact bytes received
/// (request line, header lines, body) and answers 204. cpp-httplib normalises
/// what it parses (it drops empty-valued headers, for one); this does not.
class RawCaptureServer {
 public:
  /// Listens on 127.0.0.1 on a free port and serves one request in a thread.
  RawCaptureServer();
  ~RawCaptureServer();
  RawCaptureServer(const RawCaptureServer&) = delete;
  RawCaptureServer& operator=(const RawCaptureServer&) = delete;

  /// "http://127.0.0.1:<port><path>".
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  /// The bound port.
  int port() const { return port_; }
  /// Waits for the request to be served and returns its raw bytes.
  std::string request();

 private:
  void serve();

  int listener_ = -1;
  int port_ = -1;
  std::string raw_;
  std::thread thread_;
};

}  // namespace mgate::backend::http::testing
