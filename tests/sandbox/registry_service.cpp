#include "tests/sandbox/registry_service.hpp"

#include <cstdlib>
#include <random>

#include <fmt/format.h>

namespace mgate::sandbox {

using backend::ErrorCode;
using backend::make_error;

RegistryService::RegistryService(ProcessHost& host, std::filesystem::path program)
    : Service(host, "registry"), program_(std::move(program)) {}

Status RegistryService::locate() {
  std::string wanted = program_.string();
  if (wanted.empty()) {
    const char* env = std::getenv("MGATE_DOCKER_REGISTRY");
    wanted = env != nullptr && *env != '\0' ? env : "";
  }
  std::optional<std::filesystem::path> found;
  if (!wanted.empty()) {
    found = find_executable(wanted);
  } else {
    found = find_executable("docker-registry");
    if (!found) found = find_executable("registry");
  }
  if (!found) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("docker-registry not found {}: install the Debian package docker-registry, "
                                  "or set MGATE_DOCKER_REGISTRY to its path",
                                  wanted.empty() ? "on PATH" : "at " + wanted));
  }
  program_ = *found;
  return backend::ok_status();
}

std::string RegistryService::url() const {
  return fmt::format("http://{}:{}", kLoopback, port());
}

Status RegistryService::write_config() const {
  // The upload state is HMAC-signed with this secret; a fixed one per sandbox is enough.
  std::random_device rd;
  const std::string secret = fmt::format("{:08x}{:08x}{:08x}{:08x}", rd(), rd(), rd(), rd());
  const std::string text = fmt::format(
      "version: 0.1\n"
      "log:\n  level: warn\n"
      "storage:\n"
      "  filesystem:\n    rootdirectory: {}\n"
      "  delete:\n    enabled: true\n"
      "  maintenance:\n    uploadpurging:\n      enabled: false\n"
      "http:\n"
      "  addr: {}:{}\n"
      "  secret: {}\n",
      (host_.work_dir() / "registry").string(), kLoopback, port(), secret);
  return host_.write_work_file(config_file().filename(), text);
}

Result<ChildProcess*> RegistryService::spawn_on_port() {
  if (auto s = write_config(); !s) return s.error();
  SpawnOptions o;
  o.argv = {program_.string(), "serve", config_file().string()};
  o.cwd = host_.work_dir();
  o.log_file = log_file();
  return host_.spawn_child(name(), o, StopPolicy{SIGTERM, std::chrono::seconds(5)});
}

bool RegistryService::probe() {
  return http_get_status(port(), "/v2/", std::chrono::milliseconds(500)) == 200;
}

}  // namespace mgate::sandbox
