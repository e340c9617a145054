#include "bench/latency_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace mgate::bench {

struct LatencyProxy::Connection {
  std::uint64_t id = 0;
  int client_fd = -1;
  std::atomic<int> server_fd{-1};
  std::atomic<bool> server_spoke{true};  // the next client data starts a burst
  std::atomic<bool> awaiting_answer{false};  // a burst went out and the server has not spoken since
  std::atomic<std::uint64_t> bursts{0};
  std::atomic<std::uint64_t> round_trips{0};
  std::atomic<std::uint64_t> client_bytes{0};
  std::atomic<std::uint64_t> server_bytes{0};
  std::atomic<int> finished{0};  // directions done (2: both threads may be joined)
  std::thread upstream;          // client → server
  std::thread downstream;        // server → client
};

namespace {

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

ssize_t read_some(int fd, char* data, std::size_t size) {
  for (;;) {
    const ssize_t n = ::recv(fd, data, size, 0);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

void no_delay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

std::unique_ptr<LatencyProxy> LatencyProxy::start(std::string name, int target_port,
                                                  std::chrono::milliseconds latency) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("proxy " + name + ": socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = loopback(0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    ::close(fd);
    fail("proxy " + name + ": bind/listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::unique_ptr<LatencyProxy> proxy(
      new LatencyProxy(std::move(name), fd, ntohs(addr.sin_port), target_port, latency));
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->accept_loop(); });
  return proxy;
}

LatencyProxy::LatencyProxy(std::string name, int listen_fd, int port, int target_port,
                           std::chrono::milliseconds latency)
    : name_(std::move(name)),
      listen_fd_(listen_fd),
      port_(port),
      target_port_(target_port),
      latency_ms_(latency.count()) {}

LatencyProxy::~LatencyProxy() { stop(); }

void LatencyProxy::accept_loop() {
  while (!stopping_.load()) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, 100);
    reap(false);
    if (ready <= 0) continue;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    no_delay(client);
    auto conn = std::make_shared<Connection>();
    conn->id = next_id_.fetch_add(1);
    conn->client_fd = client;
    Connection* c = conn.get();
    // The upstream connect happens on the connection's own thread: a target that is slow to
    // accept (a full listen backlog drops the SYN, and the retry comes a second later) delays
    // that connection only, as it would without the proxy, not every connection behind it.
    conn->upstream = std::thread([this, c] {
      const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in target = loopback(target_port_);
      if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
        if (server >= 0) ::close(server);
        ::shutdown(c->client_fd, SHUT_RDWR);
        c->finished.fetch_add(2);
        return;
      }
      no_delay(server);
      c->server_fd.store(server);
      c->downstream = std::thread([c] {
        std::array<char, 64 * 1024> buf{};
        for (;;) {
          const ssize_t n = read_some(c->server_fd.load(), buf.data(), buf.size());
          if (n <= 0) break;
          if (c->awaiting_answer.exchange(false)) c->round_trips.fetch_add(1);
          c->server_spoke.store(true);  // before the client can see the answer
          if (!write_all(c->client_fd, buf.data(), static_cast<std::size_t>(n))) break;
          c->server_bytes.fetch_add(static_cast<std::uint64_t>(n));
        }
        ::shutdown(c->client_fd, SHUT_WR);
        c->finished.fetch_add(1);
      });
      std::array<char, 64 * 1024> buf{};
      for (;;) {
        const ssize_t n = read_some(c->client_fd, buf.data(), buf.size());
        if (n <= 0) break;
        if (c->server_spoke.exchange(false)) {
          c->bursts.fetch_add(1);
          c->awaiting_answer.store(true);
          const std::int64_t ms = latency_ms_.load();
          if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        }
        if (!write_all(server, buf.data(), static_cast<std::size_t>(n))) break;
        c->client_bytes.fetch_add(static_cast<std::uint64_t>(n));
      }
      ::shutdown(server, SHUT_WR);
      c->finished.fetch_add(1);
    });
    const std::lock_guard<std::mutex> lock(mu_);
    live_.push_back(conn);
    counted_.push_back(std::move(conn));
  }
}

void LatencyProxy::reap(bool all) {
  std::vector<std::shared_ptr<Connection>> done;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    for (auto it = live_.begin(); it != live_.end();) {
      if (all || (*it)->finished.load() == 2) {
        done.push_back(std::move(*it));
        it = live_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : done) {
    if (all) {
      ::shutdown(c->client_fd, SHUT_RDWR);
      if (c->server_fd.load() >= 0) ::shutdown(c->server_fd.load(), SHUT_RDWR);
    }
    if (c->upstream.joinable()) c->upstream.join();
    if (c->downstream.joinable()) c->downstream.join();
    ::close(c->client_fd);
    if (c->server_fd.load() >= 0) ::close(c->server_fd.load());
  }
}

void LatencyProxy::reset_stats() {
  const std::lock_guard<std::mutex> lock(mu_);
  counted_.clear();
}

std::vector<ConnectionStats> LatencyProxy::stats() const {
  const std::lock_guard<std::mutex> lock(mu_);
  std::vector<ConnectionStats> out;
  out.reserve(counted_.size());
  for (const auto& c : counted_) {
    out.push_back({c->id, c->bursts.load(), c->round_trips.load(), c->client_bytes.load(), c->server_bytes.load()});
  }
  return out;
}

void LatencyProxy::stop() {
  if (stopping_.exchange(true)) return;
  if (acceptor_.joinable()) acceptor_.join();
  reap(true);
  ::close(listen_fd_);
}

}  // namespace mgate::bench
