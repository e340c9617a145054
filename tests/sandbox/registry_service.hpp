#pragma once
// docker-registry (distribution v2, Debian package) with filesystem storage in the work dir.

#include <filesystem>
#include <string>

#include "tests/sandbox/service.hpp"

namespace mgate::sandbox {

/// The OCI / Docker v2 registry of one sandbox.
class RegistryService : public Service {
 public:
  /// program: an explicit path; empty: $MGATE_DOCKER_REGISTRY, then docker-registry or
  /// registry on $PATH.
  RegistryService(ProcessHost& host, std::filesystem::path program);

  /// Finds the registry binary.
  Status locate();
  /// "http://127.0.0.1:PORT".
  std::string url() const;

 protected:
  Result<ChildProcess*> spawn_on_port() override;
  bool probe() override;

 private:
  Status write_config() const;
  std::filesystem::path config_file() const { return host_.work_dir() / "registry.yml"; }

  std::filesystem::path program_;
};

}  // namespace mgate::sandbox
