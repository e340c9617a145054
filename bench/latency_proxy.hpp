#pragma once
// A latency-injecting TCP proxy for bench/refresh_bench: listens on 127.0.0.1 (a free port),
// forwards every connection to 127.0.0.1:<target>, and waits `latency` before forwarding each
// burst of client→server bytes. A burst is the client data that follows something the server
// sent (or the connection's first data): one request of a request/response protocol. A burst
// the server answers is a round trip the client waited for; the proxy counts both per client
// connection (a goodbye such as PostgreSQL's Terminate is a burst but no round trip).
//
//   auto proxy = LatencyProxy::start("postgres", pg_port, std::chrono::milliseconds(50));
//   proxy->port();          // point the client here
//   proxy->reset_stats();   // forget the connections seen so far
//   proxy->stats();         // one entry per client connection since the last reset
//
// One thread per connection direction; bytes keep their order (a direction is one thread that
// sleeps, then writes). Not a general-purpose proxy: loopback only, no limits.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mgate::bench {

/// What one client connection did.
struct ConnectionStats {
  std::uint64_t id = 0;
  std::uint64_t bursts = 0;        ///< client→server bursts, each delayed by the latency
  std::uint64_t round_trips = 0;   ///< bursts the server answered (a last Terminate or close_notify is not one)
  std::uint64_t client_bytes = 0;  ///< bytes forwarded client→server
  std::uint64_t server_bytes = 0;  ///< bytes forwarded server→client
};

class LatencyProxy final {
 public:
  /// Listens on 127.0.0.1:0 and starts accepting; throws std::runtime_error on failure.
  static std::unique_ptr<LatencyProxy> start(std::string name, int target_port, std::chrono::milliseconds latency);

  ~LatencyProxy();
  LatencyProxy(const LatencyProxy&) = delete;
  LatencyProxy& operator=(const LatencyProxy&) = delete;

  const std::string& name() const { return name_; }
  int port() const { return port_; }
  int target_port() const { return target_port_; }

  /// Applies to bursts that start after the call.
  void set_latency(std::chrono::milliseconds latency) { latency_ms_.store(latency.count()); }
  std::chrono::milliseconds latency() const { return std::chrono::milliseconds(latency_ms_.load()); }

  /// Forgets every connection seen so far (open ones keep counting but are no longer listed).
  void reset_stats();
  /// One entry per client connection accepted since the last reset_stats().
  std::vector<ConnectionStats> stats() const;

  /// Stops accepting, cuts every open connection and joins every thread. Idempotent.
  void stop();

  struct Connection;  // one accepted connection (defined in latency_proxy.cpp)

 private:
  LatencyProxy(std::string name, int listen_fd, int port, int target_port, std::chrono::milliseconds latency);
  void accept_loop();
  void reap(bool all);

  std::string name_;
  int listen_fd_;
  int port_;
  int target_port_;
  std::atomic<std::int64_t> latency_ms_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> next_id_{1};
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Connection>> live_;     // threads not yet joined
  std::vector<std::shared_ptr<Connection>> counted_;  // since the last reset_stats()
};

}  // namespace mgate::bench
