#pragma once
// moto_server, the AWS simulator from the machine's Python, serving ECR and STS.

#include <filesystem>
#include <string>

#include "tests/sandbox/service.hpp"

namespace mgate::sandbox {

/// The account id moto answers with for every request.
inline constexpr const char* kMotoAccountId = "123456789012";
/// The region the sandbox's clients use.
inline constexpr const char* kMotoRegion = "us-east-1";

/// The moto_server of one sandbox.
class MotoService : public Service {
 public:
  /// program: an explicit moto_server path; empty: $MGATE_MOTO_SERVER, then $PATH.
  MotoService(ProcessHost& host, std::filesystem::path program);

  /// Finds moto_server; the error says where it comes from and how to point at it.
  Status locate();
  /// "http://127.0.0.1:PORT".
  std::string url() const;

 protected:
  Result<ChildProcess*> spawn_on_port() override;
  bool probe() override;

 private:
  std::filesystem::path program_;
};

}  // namespace mgate::sandbox
