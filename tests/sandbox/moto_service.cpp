#include "tests/sandbox/moto_service.hpp"

#include <cstdlib>

#include <fmt/format.h>

namespace mgate::sandbox {

using backend::ErrorCode;
using backend::make_error;

MotoService::MotoService(ProcessHost& host, std::filesystem::path program)
    : Service(host, "moto"), program_(std::move(program)) {}

Status MotoService::locate() {
  std::string wanted = program_.string();
  if (wanted.empty()) {
    const char* env = std::getenv("MGATE_MOTO_SERVER");
    wanted = env != nullptr && *env != '\0' ? env : "moto_server";
  }
  const auto found = find_executable(wanted);
  if (!found) {
    const std::string where = wanted.find('/') == std::string::npos ? "on PATH" : "at " + wanted;
    return make_error(ErrorCode::kNotFound,
                      fmt::format("moto_server not found {}: it comes with the machine's Python (pip package "
                                  "moto[server]); set MGATE_MOTO_SERVER to its path",
                                  where));
  }
  program_ = *found;
  return backend::ok_status();
}

std::string MotoService::url() const {
  return fmt::format("http://{}:{}", kLoopback, port());
}

Result<ChildProcess*> MotoService::spawn_on_port() {
  SpawnOptions o;
  o.argv = {program_.string(), "-H", kLoopback, "-p", std::to_string(port())};
  o.cwd = host_.work_dir();
  o.log_file = log_file();
  // Python buffers stdout into a file; unbuffered, the log shows why it stopped.
  o.env = {{"PYTHONUNBUFFERED", "1"}, {"PYTHONDONTWRITEBYTECODE", "1"}};
  return host_.spawn_child(name(), o, StopPolicy{SIGTERM, std::chrono::seconds(5)});
}

bool MotoService::probe() {
  return http_get_status(port(), "/", std::chrono::milliseconds(500)) != 0;
}

}  // namespace mgate::sandbox
