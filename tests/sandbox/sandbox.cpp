#include "tests/sandbox/sandbox.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>
#include <fstream>

#include "tests/sandbox/moto_service.hpp"
#include "tests/sandbox/kube_service.hpp"
#include "tests/sandbox/registry_service.hpp"
#include "tests/sandbox/signal_teardown.hpp"

namespace mgate::sandbox {
namespace {

namespace fs = std::filesystem;
using backend::ErrorCode;
using backend::make_error;

constexpr const char* kAlembicIni = "tests/sandbox/app/alembic.ini";

}  // namespace

Sandbox::Sandbox(Options options) : options_(std::move(options)) {}

Sandbox::~Sandbox() {
  // Stop first, then leave the registry: were it the other way round, a signal in between
  // would find nobody to tear this sandbox down.
  static_cast<void>(stop());
  SignalTeardown::wait_if_dying();
  SignalTeardown::withdraw(this);
}

Result<std::unique_ptr<Sandbox>> Sandbox::start(const Options& options) {
  const auto deadline = SteadyClock::now() + options.start_timeout;
  std::error_code ec;
  if (!fs::exists(options.source_dir / kAlembicIni, ec)) {
    return make_error(
        ErrorCode::kNotFound,
        fmt::format("the example app is not at {}: set Options::source_dir to the repository root",
                    (options.source_dir / kAlembicIni).string()));
  }
  if (options.sweep_stale) sweep_stale_work_dirs(temp_root());
  std::unique_ptr<Sandbox> sandbox(new Sandbox(options));
  auto dir = create_work_dir(options.work_dir);
  if (!dir) return dir.error();
  sandbox->work_dir_ = *dir;
  auto janitor = Janitor::watch(*dir);
  if (!janitor) {
    static_cast<void>(remove_work_dir(*dir));
    return janitor.error();
  }
  sandbox->janitor_ = std::move(*janitor);
  // Enrolled before the first process starts, so a signal during start cleans up too.
  Sandbox* raw = sandbox.get();
  SignalTeardown::enroll(raw, [raw] { static_cast<void>(raw->stop()); });
  if (auto s = sandbox->start_services(deadline); !s) {
    // Torn down by a signal meanwhile: the process is about to die of it.
    if (sandbox->stopped()) SignalTeardown::wait_if_dying();
    return s.error();
  }
  return sandbox;
}

Status Sandbox::start_services(SteadyClock::time_point deadline) {
  std::vector<Service*> order;
  ProcessHost& host = *this;
  // Every program is located before anything starts, so a missing one fails at once.
  if (options_.services.moto) {
    moto_ = std::make_unique<MotoService>(host, options_.moto_server);
    if (auto s = moto_->locate(); !s) return s;
    order.push_back(moto_.get());
  }
  if (options_.services.registry) {
    registry_ = std::make_unique<RegistryService>(host, options_.docker_registry);
    if (auto s = registry_->locate(); !s) return s;
    order.push_back(registry_.get());
  }
  if (options_.services.postgres) {
    std::vector<std::string> databases(std::begin(kEnvironments), std::end(kEnvironments));
    postgres_ = std::make_unique<PostgresService>(host, std::move(databases));
    if (auto s = postgres_->locate(); !s) return s;
    order.push_back(postgres_.get());
  }
  // moto's Python start is the slowest; launching it first overlaps it with initdb.
  for (Service* service : order) {
    if (auto s = service->launch(); !s) return s;
  }
  for (Service* service : order) {
    if (auto s = service->await_ready(deadline); !s) return s;
  }
  // The cluster comes last: its configuration names the others' ports.
  if (options_.services.kube && moto_ && registry_ && postgres_) {
    kube_ = std::make_unique<KubeService>(
        host, KubeSettings{options_.source_dir, moto_->url(), registry_->url(),
                           postgres_->endpoint().passfile});
    if (auto s = kube_->locate(); !s) return s;
    if (auto s = kube_->launch(); !s) return s;
    if (auto s = kube_->await_ready(deadline); !s) return s;
  }
  return backend::ok_status();
}

Result<ChildProcess*> Sandbox::spawn_child(const std::string& name, const SpawnOptions& options,
                                           StopPolicy policy) {
  std::lock_guard lock(mu_);
  if (stopping_)
    return make_error(ErrorCode::kUnavailable, fmt::format("sandbox stopping; {} not started", name));
  auto child = ChildProcess::spawn(options);
  if (!child) return child.error();
  ChildProcess* raw = child->get();
  children_.push_back(Child{name, std::move(*child), policy});
  if (auto s = record_process(work_dir_, {name, raw->pid(), raw->start_time()}); !s) return s.error();
  return raw;
}

Status Sandbox::write_work_file(const fs::path& relative, const std::string& text, unsigned mode) {
  std::lock_guard lock(mu_);
  if (stopping_) return make_error(ErrorCode::kUnavailable, "sandbox stopping; nothing more is written");
  const fs::path path = work_dir_ / relative;
  // Created with the mode, not chmod-ed after: a password file never exists readable by others.
  // fchmod covers a file that was already there (a relaunch rewrites registry.yml).
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return make_error(ErrorCode::kIo, fmt::format("cannot write {}", path.string()), std::strerror(errno));
  const bool ok =
      fchmod(fd, mode) == 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!ok) return make_error(ErrorCode::kIo, fmt::format("cannot write {}", path.string()));
  return backend::ok_status();
}

Status Sandbox::make_work_dir(const fs::path& relative, unsigned mode) {
  std::lock_guard lock(mu_);
  if (stopping_) return make_error(ErrorCode::kUnavailable, "sandbox stopping; nothing more is written");
  const fs::path path = work_dir_ / relative;
  if (mkdir(path.c_str(), mode) != 0) {
    return make_error(ErrorCode::kIo, fmt::format("cannot create {}", path.string()), std::strerror(errno));
  }
  return backend::ok_status();
}

Status Sandbox::write_guarded(const fs::path& path, const std::string& text) const {
  std::lock_guard lock(mu_);
  if (stopping_) return make_error(ErrorCode::kUnavailable, "sandbox stopped; its files are gone");
  return write_file_atomically(path, text);
}

Status Sandbox::stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  if (stopped_) return stop_status_;
  stopped_ = true;
  // Reverse start order; each stop waits for its process, so they are reaped one by one.
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    it->process->stop(it->policy.signal, it->policy.grace);
  }
  if (!work_dir_.empty()) stop_status_ = remove_work_dir(work_dir_);
  // Had the removal failed, the janitor tries once more on release.
  if (janitor_) janitor_->release();
  return stop_status_;
}

fs::path Sandbox::alembic_ini() const {
  return fs::absolute(options_.source_dir / kAlembicIni);
}

const PostgresEndpoint& Sandbox::postgres() const {
  static const PostgresEndpoint kNone;
  return postgres_ ? postgres_->endpoint() : kNone;
}

std::string Sandbox::database_url(std::string_view environment) const {
  return postgres().url(environment);
}

std::string Sandbox::moto_url() const {
  return moto_ ? moto_->url() : std::string();
}

std::string Sandbox::kube_url() const { return kube_ ? kube_->url() : std::string(); }

fs::path Sandbox::kube_dir() const { return kube_ ? kube_->dir() : fs::path(); }

std::string Sandbox::registry_url() const {
  return registry_ ? registry_->url() : std::string();
}

SandboxEndpoints Sandbox::endpoints(const fs::path& config_file) const {
  SandboxEndpoints e;
  e.config_file = config_file.empty() ? work_dir_ / "mgate.yaml" : fs::absolute(config_file);
  e.files_dir = e.config_file.parent_path();
  e.work_dir = work_dir_;
  e.alembic_ini = alembic_ini();
  if (postgres_) e.postgres = postgres_->endpoint();
  e.moto_url = moto_url();
  e.registry_url = registry_url();
  if (kube_) {
    e.kube_url = kube_->url();
    e.kubeconfig = kube_->kubeconfig();
  }
  return e;
}

EnvVars Sandbox::environment(const fs::path& config_file) const {
  return env_vars(endpoints(config_file));
}

Status Sandbox::write_env_file(const fs::path& path, const fs::path& config_file) const {
  const fs::path config = config_file.empty() ? fs::absolute(path).parent_path() / "mgate.yaml" : config_file;
  EnvVars vars = environment(config);
  if (kube_) {
    // The admin kubeconfig next to the env file (build/sandbox/kubeconfig for `make sandbox`).
    const fs::path copy = fs::absolute(path).parent_path() / "kubeconfig";
    std::ifstream in(kube_->kubeconfig());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto s = write_guarded(copy, text); !s) return s;
    for (auto& [key, value] : vars) {
      if (key == "KUBECONFIG") value = copy.string();
    }
  }
  return write_guarded(path, render_env_file(vars));
}

Status Sandbox::write_config(const fs::path& path) const {
  auto text = render_config(endpoints(path));
  if (!text) return text.error();
  return write_guarded(path, *text);
}

std::vector<RecordedProcess> Sandbox::processes() const {
  std::lock_guard lock(mu_);
  std::vector<RecordedProcess> out;
  for (const Child& c : children_) out.push_back({c.name, c.process->pid(), c.process->start_time()});
  return out;
}

}  // namespace mgate::sandbox
