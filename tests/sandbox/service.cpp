#include "tests/sandbox/service.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "tests/sandbox/command.hpp"

namespace mgate::sandbox {
namespace {

using backend::ErrorCode;
using backend::make_error;

constexpr int kMaxAttempts = 4;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Each service words it differently: postgres "Address already in use", werkzeug "Port N is in
// use by another program", the registry "bind: address already in use".
bool port_clash_in(const std::string& log) {
  return lower(log).find("in use") != std::string::npos;
}

// What the log gained since `offset`.
std::string log_since(const std::filesystem::path& file, std::uintmax_t offset) {
  std::ifstream in(file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<int> pick_free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::kIo, "cannot create a socket", std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  inet_pton(AF_INET, kLoopback, &addr.sin_addr);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    close(fd);
    return make_error(ErrorCode::kIo, "cannot bind a loopback port", std::strerror(err));
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

int http_get_status(int port, const std::string& path, std::chrono::milliseconds timeout) {
  httplib::Client client(kLoopback, port);
  const auto sec = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(timeout - sec);
  client.set_connection_timeout(sec.count(), usec.count());
  client.set_read_timeout(sec.count(), usec.count());
  const auto response = client.Get(path.c_str());
  return response ? response->status : 0;
}

std::string log_tail(const std::filesystem::path& file, int lines) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return tail_lines(text.str(), lines);
}

Status Service::launch() {
  auto port = pick_free_port();
  if (!port) return port.error();
  port_ = *port;
  ++attempts_;
  // The log is appended to across attempts: a clash is judged on this attempt's lines only.
  std::error_code ec;
  const auto size = std::filesystem::file_size(log_file(), ec);
  log_offset_ = ec ? 0 : size;
  auto child = spawn_on_port();
  if (!child) return child.error();
  child_ = *child;
  return backend::ok_status();
}

Status Service::await_ready(SteadyClock::time_point deadline) {
  auto pause = std::chrono::milliseconds(5);
  while (true) {
    if (host_.stopping())
      return make_error(ErrorCode::kUnavailable, fmt::format("{}: sandbox stopping", name_));
    if (child_ == nullptr) return fail("was not launched");
    if (!child_->running()) {
      const std::string how = describe_wait_status(child_->wait_status().value_or(0));
      if (port_clash_in(log_since(log_file(), log_offset_)) && attempts_ < kMaxAttempts) {
        if (auto s = launch(); !s) return s;
        continue;
      }
      return fail(fmt::format("{} {} while starting on port {}", child_->program(), how, port_));
    }
    if (probe()) break;
    if (SteadyClock::now() >= deadline) return fail(fmt::format("did not answer on port {} in time", port_));
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return after_ready();
}

Status Service::fail(const std::string& what) const {
  // The log goes with the work dir at teardown, so its tail travels in the error.
  const std::string tail = log_tail(log_file());
  const std::string name = log_file().filename().string();
  return make_error(ErrorCode::kUnavailable, fmt::format("sandbox {}: {}", name_, what),
                    tail.empty() ? name + " is empty" : fmt::format("last lines of {}:\n{}", name, tail));
}

}  // namespace mgate::sandbox
