#include "tests/sandbox/kubesim/api_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include <iostream>
#include <stdexcept>

#include "tests/sandbox/kubesim/api_handlers.hpp"
#include "tests/sandbox/kubesim/discovery.hpp"
#include "tests/sandbox/kubesim/request_target.hpp"

namespace mgate::kubesim {

class ApiServer::Impl {
 public:
  Impl(ObjectStore& store, AccessControl& access, ServerOptions options)
      : store_(store), access_(access), options_(std::move(options)),
        ctx_{store_, options_, stopping_} {}

  void handle(const std::string& method, const httplib::Request& req, httplib::Response& res) {
    try {
      std::optional<Identity> cert;
      if (options_.peer_identity && req.ssl != nullptr) cert = options_.peer_identity(req.ssl);
      const Principal principal =
          access_.authenticate(req.get_header_value("Authorization"), cert);
      const auto target = parse_target(req.path);
      if (!target) throw path_not_found();
      if (target->kind != RequestTarget::Kind::kResource) {
        if (method != "GET") throw method_not_allowed(method);
        serve_discovery(*target, req, res);
        return;
      }
      Call call{req, res, principal, *target};
      dispatch(method, call);
    } catch (const ApiError& e) {
      write_json(res, e.code(), e.status());
    } catch (const Json::exception& e) {
      write_json(res, 400, bad_request(fmt::format("the request could not be decoded: {}", e.what())).status());
    } catch (const std::exception& e) {
      std::cerr << "kubesim: " << method << " " << req.path << ": " << e.what() << "\n";
      write_json(res, 500, ApiError(500, "InternalError", fmt::format("Internal error occurred: {}", e.what())).status());
    }
  }

  std::atomic<bool> stopping_{false};

 private:
  void serve_discovery(const RequestTarget& t, const httplib::Request& req, httplib::Response& res) {
    switch (t.kind) {
      case RequestTarget::Kind::kVersion: write_json(res, 200, version_document()); return;
      case RequestTarget::Kind::kHealth: res.set_content("ok", "text/plain"); return;
      case RequestTarget::Kind::kApiVersions:
        write_json(res, 200, api_versions_document(req.get_header_value("Host")));
        return;
      case RequestTarget::Kind::kApiGroupList: write_json(res, 200, api_group_list_document()); return;
      case RequestTarget::Kind::kApiGroup: write_json(res, 200, api_group_document(t.group)); return;
      case RequestTarget::Kind::kResourceList:
        write_json(res, 200, api_resource_list_document(t.group, t.version));
        return;
      case RequestTarget::Kind::kOpenApiRoot: write_json(res, 200, openapi_v3_root()); return;
      case RequestTarget::Kind::kOpenApiGroup:
        write_json(res, 200, openapi_v3_document(t.group, t.version));
        return;
      case RequestTarget::Kind::kResource: break;
    }
    throw path_not_found();
  }

  void dispatch(const std::string& method, Call& call) {
    const RequestTarget& t = call.target;
    if (t.subresource == "log") {
      if (method != "GET") throw method_not_allowed(method);
      handle_log(ctx_, call);
      return;
    }
    if (method == "GET") {
      if (query_flag(call.req, "watch")) {
        handle_watch(ctx_, call);
      } else if (t.name.empty()) {
        handle_list(ctx_, call);
      } else {
        handle_get(ctx_, call);
      }
    } else if (method == "POST") {
      handle_create(ctx_, call);
    } else if (method == "PUT") {
      handle_update(ctx_, call);
    } else if (method == "PATCH") {
      handle_patch(ctx_, call);
    } else if (method == "DELETE") {
      handle_delete(ctx_, call);
    } else {
      throw method_not_allowed(method);
    }
  }

  ObjectStore& store_;
  AccessControl& access_;
  ServerOptions options_;
  HandlerContext ctx_;
};

ApiServer::ApiServer(ObjectStore& store, AccessControl& access, ServerOptions options)
    : impl_(std::make_unique<Impl>(store, access, options)) {
  if (options.setup_tls) {
    auto setup = options.setup_tls;
    server_ = std::make_unique<httplib::SSLServer>(
        [setup](SSL_CTX& ctx) { return setup(&ctx); });
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  options_host_ = options.host;
  options_port_ = options.port;
  // Watches and log follows hold a worker each for their whole life.
  server_->new_task_queue = [] { return new httplib::ThreadPool(64); };
  // As Go's net package does for every kube-apiserver connection: without it, a response written
  // as headers then body waits for the client's delayed ACK (40 ms on Linux) before the body.
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_max_count(10000);
  server_->set_read_timeout(std::chrono::seconds(300));
  server_->set_write_timeout(std::chrono::seconds(30));
  Impl* impl = impl_.get();
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    const std::string method = m;
    auto h = [impl, method](const httplib::Request& req, httplib::Response& res) {
      impl->handle(method, req, res);
    };
    if (method == "GET") server_->Get(".*", h);
    if (method == "POST") server_->Post(".*", h);
    if (method == "PUT") server_->Put(".*", h);
    if (method == "PATCH") server_->Patch(".*", h);
    if (method == "DELETE") server_->Delete(".*", h);
  }
}

namespace {

constexpr int kListenBacklog = 128;

/// Debian's cpp-httplib compiles listen() with a backlog of 5 into its shared library (the
/// CPPHTTPLIB_LISTEN_BACKLOG define cannot reach it), and a refresh of ten environments opens
/// twenty connections at once: the dropped SYNs each cost a 1 s retransmission. A real API server
/// listens deeper; Linux lets listen() be called again on a listening socket to change the
/// backlog, so the server's own socket, found by its port, is given a real one.
void deepen_listen_backlog(int port) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int listening = 0;
    socklen_t optlen = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 || listening == 0) continue;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
    int bound = -1;
    if (addr.ss_family == AF_INET) bound = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) bound = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
    if (bound == port) ::listen(fd, kListenBacklog);
  }
}

}  // namespace

ApiServer::~ApiServer() { stop(); }

void ApiServer::start() {
  if (!server_->is_valid()) throw std::runtime_error("the TLS context could not be set up");
  if (options_port_ == 0) {
    port_ = server_->bind_to_any_port(options_host_);
  } else {
    port_ = server_->bind_to_port(options_host_, options_port_) ? options_port_ : -1;
  }
  if (port_ <= 0) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{}", options_host_, options_port_));
  }
  deepen_listen_backlog(port_);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing before the accept loop runs, and the loop would then never
  // end: a stop() right after start() (a test that makes no request) must find it running.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void ApiServer::stop() {
  if (impl_) impl_->stopping_ = true;
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mgate::kubesim
