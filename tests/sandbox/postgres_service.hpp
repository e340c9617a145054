#pragma once
// PostgreSQL from the Debian packages in a temp data dir: initdb (as an unprivileged user
// when the launcher is root), password authentication over TCP, one database per environment.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/secret.hpp"
#include "tests/sandbox/service.hpp"

namespace mgate::sandbox {

/// Where the sandbox's PostgreSQL listens and how a client authenticates.
struct PostgresEndpoint {
  std::string host = kLoopback;
  int port = 0;
  std::string user = "mgate";
  std::filesystem::path passfile;      ///< libpq password file (0600): PGPASSFILE
  std::filesystem::path service_file;  ///< libpq service file, one section per database
  std::filesystem::path socket_dir;    ///< the unix socket's directory (trust auth there)

  /// "postgresql://mgate@127.0.0.1:PORT/<database>": no password, the passfile supplies it.
  std::string url(std::string_view database) const;
  /// A libpq key/value string for the database, naming the passfile explicitly.
  std::string conninfo(std::string_view database) const;
};

/// The PostgreSQL server of one sandbox.
class PostgresService : public Service {
 public:
  /// `databases` are created once the server answers.
  PostgresService(ProcessHost& host, std::vector<std::string> databases);

  /// Finds the server binaries ($MGATE_PG_BINDIR, the newest /usr/lib/postgresql/*/bin,
  /// then $PATH) and, when root, the account to run them as.
  Status locate();
  /// The endpoint; complete once await_ready succeeded.
  const PostgresEndpoint& endpoint() const { return endpoint_; }

 protected:
  Result<ChildProcess*> spawn_on_port() override;
  bool probe() override;
  Status after_ready() override;

 private:
  Status init_cluster();
  Status write_client_files();
  Status create_databases() const;
  std::filesystem::path dir() const { return host_.work_dir() / "postgres"; }

  std::vector<std::string> databases_;
  std::filesystem::path bindir_;
  std::optional<RunAs> run_as_;
  backend::Secret password_;
  bool initialized_ = false;
  PostgresEndpoint endpoint_;
};

}  // namespace mgate::sandbox
