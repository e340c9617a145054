#include "tests/sandbox/postgres_service.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>

#include <fmt/format.h>

namespace mgate::sandbox {
namespace {

namespace fs = std::filesystem;
using backend::ErrorCode;
using backend::make_error;

constexpr const char* kDefaultRunAsUser = "postgres";

// A libpq key/value value, quoted so that spaces and quotes in paths survive.
std::string quote_value(const std::string& value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

Result<std::string> random_password() {
  unsigned char bytes[24];
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(bytes), sizeof bytes)) {
    return make_error(ErrorCode::kIo, "cannot read /dev/urandom");
  }
  std::string hex;
  for (const unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

// The newest /usr/lib/postgresql/<major>/bin that holds initdb and postgres.
std::optional<fs::path> debian_bindir() {
  std::optional<fs::path> best;
  int best_major = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (access((bin / "initdb").c_str(), X_OK) != 0 || access((bin / "postgres").c_str(), X_OK) != 0)
      continue;
    const int major = std::atoi(entry.path().filename().c_str());
    if (major > best_major) {
      best_major = major;
      best = bin;
    }
  }
  return best;
}

Status chown_for(const fs::path& path, const std::optional<RunAs>& user) {
  if (!user) return backend::ok_status();
  if (chown(path.c_str(), user->uid, user->gid) != 0) {
    return make_error(ErrorCode::kIo, fmt::format("cannot hand {} to {}", path.string(), user->name),
                      std::strerror(errno));
  }
  return backend::ok_status();
}

}  // namespace

std::string PostgresEndpoint::url(std::string_view database) const {
  return fmt::format("postgresql://{}@{}:{}/{}", user, host, port, database);
}

std::string PostgresEndpoint::conninfo(std::string_view database) const {
  return fmt::format("host={} port={} user={} dbname={} passfile={} connect_timeout=5", host, port, user,
                     quote_value(std::string(database)), quote_value(passfile.string()));
}

PostgresService::PostgresService(ProcessHost& host, std::vector<std::string> databases)
    : Service(host, "postgres"), databases_(std::move(databases)) {}

Status PostgresService::locate() {
  if (const char* env = std::getenv("MGATE_PG_BINDIR"); env != nullptr && *env != '\0') {
    bindir_ = env;
  } else if (auto debian = debian_bindir()) {
    bindir_ = *debian;
  } else if (auto initdb = find_executable("initdb")) {
    bindir_ = initdb->parent_path();
  }
  if (bindir_.empty() || access((bindir_ / "postgres").c_str(), X_OK) != 0) {
    return make_error(ErrorCode::kNotFound,
                      "PostgreSQL server binaries (initdb, postgres) not found: install the postgresql "
                      "package or set MGATE_PG_BINDIR to their directory");
  }
  // initdb and postgres refuse to run as root.
  if (geteuid() == 0) {
    const char* env = std::getenv("MGATE_PG_USER");
    auto user = lookup_user(env != nullptr && *env != '\0' ? env : kDefaultRunAsUser);
    if (!user) return user.error();
    run_as_ = *user;
  }
  return backend::ok_status();
}

Status PostgresService::init_cluster() {
  std::error_code ec;
  // Through the host: should a signal tear the sandbox down meanwhile, the work dir must
  // stay gone rather than be recreated here.
  for (const char* sub : {"postgres", "postgres/run"}) {
    if (auto s = host_.make_work_dir(sub, 0700); !s) return s;
  }
  if (run_as_) {
    // The server's account must pass through the work dir to reach its own directory.
    chmod(host_.work_dir().c_str(), 0711);
    for (const fs::path& p : {dir(), dir() / "run"}) {
      if (auto s = chown_for(p, run_as_); !s) return s;
    }
  }
  auto password = random_password();
  if (!password) return password.error();
  password_ = backend::Secret(*password);
  const fs::path pwfile = dir() / "pwfile";
  if (auto s = host_.write_work_file("postgres/pwfile", password_.reveal() + "\n", 0600); !s) return s;
  if (auto s = chown_for(pwfile, run_as_); !s) return s;

  SpawnOptions initdb;
  initdb.argv = {(bindir_ / "initdb").string(),
                 "-D",
                 (dir() / "data").string(),
                 "-U",
                 endpoint_.user,
                 "--auth-local=trust",
                 "--auth-host=scram-sha-256",
                 "--pwfile=" + pwfile.string(),
                 "--encoding=UTF8",
                 "--no-locale",
                 "--no-sync",
                 "--no-instructions"};
  initdb.cwd = dir();
  initdb.log_file = log_file();
  initdb.run_as = run_as_;
  // initdb traps SIGTERM and removes what it made; its bootstrap backend then reads EOF and
  // ends. A SIGKILL would orphan that backend.
  initdb.death_signal = SIGTERM;
  auto child = host_.spawn_child("initdb", initdb, StopPolicy{SIGKILL, std::chrono::milliseconds(0)});
  if (!child) return child.error();
  const bool finished = (*child)->wait_for(std::chrono::seconds(60));
  fs::remove(pwfile, ec);
  const int status = (*child)->wait_status().value_or(-1);
  if (!finished || status != 0) {
    return make_error(
        ErrorCode::kUnavailable,
        fmt::format("sandbox postgres: initdb {}", finished ? describe_wait_status(status) : "timed out"),
        log_tail(log_file()));
  }
  initialized_ = true;
  return backend::ok_status();
}

Result<ChildProcess*> PostgresService::spawn_on_port() {
  if (!initialized_) {
    if (auto s = init_cluster(); !s) return s.error();
  }
  endpoint_.port = port();
  endpoint_.socket_dir = dir() / "run";
  SpawnOptions server;
  // One flag and its value per line, for reading.
  // clang-format off
  server.argv = {(bindir_ / "postgres").string(),
                 "-D", (dir() / "data").string(),
                 "-p", std::to_string(port()),
                 "-c", std::string("listen_addresses=") + kLoopback,
                 "-c", "unix_socket_directories=" + endpoint_.socket_dir.string(),
                 // A throwaway cluster: durability only costs time.
                 "-c", "fsync=off",
                 "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off",
                 "-c", "shared_buffers=16MB",
                 "-c", "max_connections=60"};
  // clang-format on
  server.cwd = dir();
  server.log_file = log_file();
  server.run_as = run_as_;
  // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster takes its backends with it.
  server.death_signal = SIGQUIT;
  // SIGINT is the fast shutdown: open sessions are cut, the cluster closes cleanly.
  return host_.spawn_child("postgres", server, StopPolicy{SIGINT, std::chrono::seconds(10)});
}

bool PostgresService::probe() {
  // PQPING_OK even before authentication: it only asks whether the server accepts connections.
  const std::string conninfo = fmt::format("host={} port={} user={} dbname=postgres connect_timeout=1",
                                           kLoopback, port(), endpoint_.user);
  return PQping(conninfo.c_str()) == PQPING_OK;
}

Status PostgresService::after_ready() {
  if (auto s = write_client_files(); !s) return s;
  return create_databases();
}

Status PostgresService::write_client_files() {
  const fs::path passfile = host_.work_dir() / "pgpass";
  std::string lines;
  for (const char* host : {kLoopback, "localhost"}) {
    lines += fmt::format("{}:{}:*:{}:{}\n", host, port(), endpoint_.user, password_.reveal());
  }
  // 0600 from the start: libpq ignores a password file others can read.
  if (auto s = host_.write_work_file("pgpass", lines, 0600); !s) return s;
  std::string services;
  std::vector<std::string> names = databases_;
  names.insert(names.begin(), "postgres");
  for (const std::string& db : names) {
    services += fmt::format("[{}]\nhost={}\nport={}\nuser={}\ndbname={}\npassfile={}\n\n", db, kLoopback,
                            port(), endpoint_.user, db, passfile.string());
  }
  endpoint_.passfile = passfile;
  endpoint_.service_file = host_.work_dir() / "pg_service.conf";
  return host_.write_work_file("pg_service.conf", services);
}

Status PostgresService::create_databases() const {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(endpoint_.conninfo("postgres").c_str()),
                                                    &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return make_error(ErrorCode::kUnavailable, "sandbox postgres: cannot connect with the password file",
                      PQerrorMessage(conn.get()));
  }
  for (const std::string& db : databases_) {
    std::unique_ptr<char, decltype(&PQfreemem)> ident(PQescapeIdentifier(conn.get(), db.data(), db.size()),
                                                      &PQfreemem);
    const std::string sql = std::string("CREATE DATABASE ") + ident.get();
    std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("sandbox postgres: cannot create database {}", db),
                        PQresultErrorMessage(res.get()));
    }
  }
  return backend::ok_status();
}

}  // namespace mgate::sandbox
