#include "loopback_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mgate::backend::http::testing {

int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace mgate::backend::http::testing

namespace mgate::backend::http::testing {
namespace {

// The Content-Length of a raw header block, 0 when absent.
std::size_t content_length(const std::string& head) {
  const std::string key = "\r\nContent-Length: ";
  const std::size_t at = head.find(key);
  if (at == std::string::npos) return 0;
  return std::stoul(head.substr(at + key.size()));
}

}  // namespace

RawCaptureServer::RawCaptureServer() {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener_, 1) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

RawCaptureServer::~RawCaptureServer() {
  if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR);  // unblocks accept() if unused
  if (thread_.joinable()) thread_.join();
  if (listener_ >= 0) ::close(listener_);
}

void RawCaptureServer::serve() {
  const int fd = ::accept(listener_, nullptr, nullptr);
  if (fd < 0) return;
  std::string data;
  char buffer[65536];
  std::size_t head_end = std::string::npos;
  while (head_end == std::string::npos ||
         data.size() < head_end + 4 + content_length(data.substr(0, head_end))) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
    if (head_end == std::string::npos) head_end = data.find("\r\n\r\n");
  }
  raw_ = data;
  const std::string reply = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
  (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
  ::close(fd);
}

std::string RawCaptureServer::request() {
  if (thread_.joinable()) thread_.join();
  return raw_;
}

}  // namespace mgate::backend::http::testing
