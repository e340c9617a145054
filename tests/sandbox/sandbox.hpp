#pragma once
// The sandbox: real PostgreSQL, moto_server and docker-registry on loopback, each on a free
// port, for the integration tests, the e2e tests and `make sandbox` (DESIGN.md §5).
//
//   auto sandbox = Sandbox::start({});            // a missing service is an error, never a skip
//   sandbox.value()->database_url("stage");       // postgresql://mgate@127.0.0.1:PORT/stage
//   sandbox.value()->write_env_file(dir / "env");
//
// Teardown — stop() or the destructor, and SIGINT / SIGTERM / SIGHUP through SignalTeardown —
// stops every service, reaps it and removes the work dir. Services get a parent-death signal
// and the work dir has a Janitor, so even a SIGKILLed launcher leaves neither a process nor
// the dir; a dir that still survives (the janitor killed too) is swept by the next start.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tests/sandbox/child_process.hpp"
#include "tests/sandbox/endpoint_files.hpp"
#include "tests/sandbox/janitor.hpp"
#include "tests/sandbox/postgres_service.hpp"
#include "tests/sandbox/service.hpp"
#include "tests/sandbox/work_dir.hpp"

#ifndef MGATE_SANDBOX_SOURCE_DIR
#define MGATE_SANDBOX_SOURCE_DIR ""
#endif

namespace mgate::sandbox {

class MotoService;
class RegistryService;
class KubeService;

/// The environments the sandbox serves: one database each, named after it.
inline constexpr const char* kEnvironments[] = {"stage", "prod"};

/// Which services to start.
struct Services {
  bool postgres = true;
  bool moto = true;
  bool registry = true;
  bool kube = true;  ///< the simulated Kubernetes API; needs postgres, moto and registry
};

/// How to start a sandbox.
struct Options {
  Services services;
  /// The services' work dir; empty: a fresh mgate-sandbox-XXXXXX under $TMPDIR or /tmp.
  /// Either way it is removed at teardown.
  std::filesystem::path work_dir;
  /// The repository root, for the example app (tests/sandbox/app).
  std::filesystem::path source_dir = MGATE_SANDBOX_SOURCE_DIR;
  /// How long all services together may take to answer.
  std::chrono::seconds start_timeout{60};
  /// moto_server to run; empty: $MGATE_MOTO_SERVER, then $PATH.
  std::filesystem::path moto_server;
  /// docker-registry to run; empty: $MGATE_DOCKER_REGISTRY, then $PATH.
  std::filesystem::path docker_registry;
  /// Remove leftovers of launchers that died (their owner pid is gone) before starting.
  bool sweep_stale = true;
};

/// A running set of sandbox services. Start it from a thread that outlives it: the services'
/// parent-death signal follows the thread that started them.
class Sandbox final : private ProcessHost {
 public:
  /// Starts the chosen services and waits until each answers. On failure everything started
  /// so far is torn down, and the error names the service with the tail of its log.
  static Result<std::unique_ptr<Sandbox>> start(const Options& options = {});

  /// Tears down (see stop()).
  ~Sandbox() override;
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  /// The services' work dir (logs, data, pgpass); gone after stop().
  const std::filesystem::path& work_dir() const override { return work_dir_; }
  /// The example app's alembic.ini.
  std::filesystem::path alembic_ini() const;

  /// PostgreSQL's endpoint; only when services.postgres.
  const PostgresEndpoint& postgres() const;
  /// The passwordless URL of an environment's database ("stage", "prod") or any other
  /// database name on the server.
  std::string database_url(std::string_view environment) const;
  /// moto_server's base URL, "http://127.0.0.1:PORT"; empty when not started.
  std::string moto_url() const;
  /// docker-registry's base URL, "http://127.0.0.1:PORT"; empty when not started.
  std::string registry_url() const;

  /// The simulated API server's URL, "https://127.0.0.1:PORT"; empty when not started.
  std::string kube_url() const;
  /// The simulator's state dir (kubeconfig, kubeconfig-cert, kubeconfig-exec, kubeconfig-eks,
  /// pki/, logs/); empty when not started.
  std::filesystem::path kube_dir() const;

  /// Everything the env file and the config name. `config_file` empty: work_dir/mgate.yaml.
  SandboxEndpoints endpoints(const std::filesystem::path& config_file = {}) const;
  /// The env file's variables, to pass to a child process.
  EnvVars environment(const std::filesystem::path& config_file = {}) const;
  /// Writes the sh-sourceable env file (atomically). MGATE_CONFIG names `config_file`,
  /// by default mgate.yaml next to the env file.
  Status write_env_file(const std::filesystem::path& path,
                        const std::filesystem::path& config_file = {}) const;
  /// Writes the mgate configuration (atomically); its audit log sits next to it.
  Status write_config(const std::filesystem::path& path) const;

  /// Every process the sandbox started (services and initdb), pid and start time.
  std::vector<RecordedProcess> processes() const;

  /// Stops every service (PostgreSQL with a fast shutdown, the others with SIGTERM; SIGKILL
  /// after a grace period), reaps them and removes the work dir. Idempotent and thread-safe.
  Status stop();
  /// True once stop() began.
  bool stopped() const { return stopping_.load(); }

 private:
  explicit Sandbox(Options options);
  Status start_services(SteadyClock::time_point deadline);

  Result<ChildProcess*> spawn_child(const std::string& name, const SpawnOptions& options,
                                    StopPolicy policy) override;
  bool stopping() const override { return stopping_.load(); }
  Status write_work_file(const std::filesystem::path& relative, const std::string& text,
                         unsigned mode) override;
  Status make_work_dir(const std::filesystem::path& relative, unsigned mode) override;
  // Writes a file anywhere, refused once teardown began (the target may be in the work dir).
  Status write_guarded(const std::filesystem::path& path, const std::string& text) const;

  struct Child {
    std::string name;
    std::unique_ptr<ChildProcess> process;
    StopPolicy policy;
  };

  Options options_;
  std::filesystem::path work_dir_;
  std::unique_ptr<Janitor> janitor_;  // removes work_dir_ should this process die unannounced
  std::unique_ptr<PostgresService> postgres_;
  std::unique_ptr<MotoService> moto_;
  std::unique_ptr<RegistryService> registry_;
  std::unique_ptr<KubeService> kube_;

  mutable std::mutex mu_;        // guards children_, writes into the work dir, and the stop
  std::vector<Child> children_;  // in start order; never shrinks before destruction
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
  Status stop_status_ = backend::ok_status();
};

}  // namespace mgate::sandbox
