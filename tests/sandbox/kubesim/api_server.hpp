#pragma once
// The simulated kube-apiserver: HTTPS (cpp-httplib + OpenSSL), authentication and simple
// authorization, discovery, and the REST verbs over the ObjectStore — list (selectors,
// limit/continue), get, create (admission for Jobs), update, merge patch, delete (propagation,
// dryRun), watch streams, and pod logs. Every error is a metav1 Status.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "tests/sandbox/kubesim/access.hpp"
#include "tests/sandbox/kubesim/object_store.hpp"

namespace httplib {
class Server;
}

namespace mgate::kubesim {

/// How the server listens and whom it trusts.
struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  ///< 0: any free port (see ApiServer::port())
  /// Sets up the TLS context (certificate, key, client CA); empty: plain HTTP (unit tests).
  std::function<bool(void* ssl_ctx)> setup_tls;
  /// The verified client certificate's identity of a connection (its SSL*), if any.
  std::function<std::optional<Identity>(const void* ssl)> peer_identity;
  /// Where the kubelet keeps container logs (pod_logs.hpp).
  std::filesystem::path log_root;
  /// How often a follow / watch stream looks for news.
  std::chrono::milliseconds poll{50};
};

/// The server. Serves on its own threads between start() and stop().
class ApiServer {
 public:
  ApiServer(ObjectStore& store, AccessControl& access, ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  /// Binds and starts serving; throws std::runtime_error when it cannot bind.
  void start();
  /// Stops serving and ends every stream.
  void stop();
  /// The bound port.
  int port() const { return port_; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string options_host_;
  int options_port_ = 0;
  int port_ = 0;
};

}  // namespace mgate::kubesim
