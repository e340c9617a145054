// bench/refresh_bench: whole-process figures for `mgate status --json` (docs/performance.md,
// "End-to-end refresh, runbook baseline, peak RSS"). Not a Google Benchmark: it starts a
// sandbox, seeds the `healthy` scenario, puts a latency-injecting proxy (bench/latency_proxy)
// in front of PostgreSQL, moto and the simulated API server, and times child processes.
//
//   refresh_bench [--latency-ms 50] [--runs 5] [--runbook-runs 1] [--mgate PATH]
//                 [--images 10000] [--jobs 2000] [--no-runbook] [--no-rss] [--only-rss]
//                 [--save-dir DIR]
//
// a. `mgate status --json` with 1, 3 and 10 environments (copies of stage through the proxy),
//    at the latency and at 0 ms; the critical path is the most round trips any one client
//    connection made during the run, times the latency.
// b. The runbook an on-call person follows per environment (kubectl get jobs, kubectl logs,
//    psql, alembic heads, aws ecr describe-images), sequentially for 3 environments.
// c. Peak RSS of `mgate status --json` for 3 environments once the namespace holds --jobs
//    suspended Jobs and the repository --images images.

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <thread>
#include <nlohmann/json.hpp>

#include "bench/latency_proxy.hpp"
#include "tests/sandbox/endpoint_files.hpp"
#include "tests/sandbox/moto_service.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/scenario.hpp"

#ifndef MGATE_BENCH_BIN_DIR
#define MGATE_BENCH_BIN_DIR ""
#endif

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace {

namespace fs = std::filesystem;
using mgate::bench::LatencyProxy;
using Clock = std::chrono::steady_clock;
using Env = std::map<std::string, std::string>;

struct Args {
  int latency_ms = 50;
  int runs = 5;
  int runbook_runs = 1;
  int images = 10000;
  int jobs = 2000;
  bool runbook = true;
  bool rss = true;
  bool refresh = true;  // part a; --only-rss skips a and b
  fs::path mgate = fs::path(MGATE_BENCH_BIN_DIR) / "mgate";
  bool hold = false;  // after part c: keep the seeded sandbox until DIR/hold is removed
  fs::path save_dir;  // when set: the last `mgate status --json` output of each row is kept here
};

struct RunResult {
  double wall_ms = 0;
  long max_rss_kib = 0;
  int exit_code = -1;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& path, const std::string& text, unsigned mode = 0644) {
  {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
  }
  ::chmod(path.c_str(), mode);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

int port_of(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

// Runs argv with `env` (PATH searched in env's PATH), stdout and stderr to files; wall clock
// from fork to reap, the child's peak RSS from wait4.
RunResult run(const std::vector<std::string>& argv, const Env& env, const fs::path& out, const fs::path& err) {
  std::vector<std::string> env_strings;
  env_strings.reserve(env.size());
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& s : args) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  const auto started = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    if (o < 0 || e < 0 || in < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execvpe(cargv[0], cargv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw std::runtime_error("wait4 failed");
  }
  RunResult r;
  r.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  r.max_rss_kib = usage.ru_maxrss;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string tail(const fs::path& path, std::size_t n = 600) {
  const std::string text = read_file(path);
  return text.size() <= n ? text : text.substr(text.size() - n);
}

// The stage block of the sandbox's mgate.yaml, once per environment, through the proxies.
std::string config_text(int environments, const fs::path& alembic_ini, const fs::path& audit,
                        const std::string& moto_url) {
  std::string out = fmt::format(
      "# refresh_bench: {} copies of the sandbox's stage, through the latency proxy.\n"
      "project: udab-server\nalembic:\n  scripts: \"{}\"\naudit_log: \"{}\"\nrefresh_seconds: 5\n"
      "environments:\n",
      environments, alembic_ini.string(), audit.string());
  for (int i = 1; i <= environments; ++i) {
    out += mgate::sandbox::stage_environment_yaml(fmt::format("env{:02}", i), "MGATE_BENCH_DATABASE_URL", moto_url);
  }
  return out;
}

struct Proxies {
  std::vector<std::unique_ptr<LatencyProxy>> all;
  void reset() {
    for (auto& p : all) p->reset_stats();
  }
  void set_latency(int ms) {
    for (auto& p : all) p->set_latency(std::chrono::milliseconds(ms));
  }
  // The most round trips one connection made, and the connection and round-trip totals.
  struct Count {
    std::uint64_t longest = 0;
    std::string longest_on;
    std::size_t connections = 0;
    std::uint64_t round_trips = 0;
    std::string per_proxy;  // "postgres 9, moto 3, kube-api 4": the longest chain on each
  };
  Count count() const {
    Count c;
    for (const auto& p : all) {
      std::uint64_t longest_here = 0;
      const auto stats = p->stats();
      for (const auto& s : stats) longest_here = std::max(longest_here, s.round_trips);
      c.per_proxy += fmt::format("{}{} {} of {} conn.", c.per_proxy.empty() ? "" : ", ", p->name(), longest_here,
                                 stats.size());
      for (const auto& s : p->stats()) {
        ++c.connections;
        c.round_trips += s.round_trips;
        if (s.round_trips > c.longest) {
          c.longest = s.round_trips;
          c.longest_on = p->name();
        }
      }
    }
    return c;
  }
};

struct Series {
  std::vector<double> wall_ms;
  std::uint64_t longest = 0;  // max over runs of the longest chain
  std::string longest_on;
  std::string per_proxy;        // of the last run
  std::size_t connections = 0;  // of the last run
  std::uint64_t round_trips = 0;
  long max_rss_kib = 0;
  std::vector<int> exit_codes;
  double mean() const { return std::accumulate(wall_ms.begin(), wall_ms.end(), 0.0) / static_cast<double>(wall_ms.size()); }
  double min() const { return *std::min_element(wall_ms.begin(), wall_ms.end()); }
};

Series time_mgate(const Args& args, const Env& env, Proxies& proxies, const fs::path& dir, int runs) {
  Series s;
  const std::vector<std::string> argv = {args.mgate.string(), "status", "--json"};
  // One warm-up run: page cache, moto's and the simulator's first-request paths.
  run(argv, env, dir / "status.out", dir / "status.err");
  for (int i = 0; i < runs; ++i) {
    proxies.reset();
    const RunResult r = run(argv, env, dir / "status.out", dir / "status.err");
    const Proxies::Count c = proxies.count();
    s.wall_ms.push_back(r.wall_ms);
    s.exit_codes.push_back(r.exit_code);
    s.max_rss_kib = std::max(s.max_rss_kib, r.max_rss_kib);
    if (c.longest >= s.longest) {
      s.longest = c.longest;
      s.longest_on = c.longest_on;
    }
    s.connections = c.connections;
    s.round_trips = c.round_trips;
    s.per_proxy = c.per_proxy;
    if (r.exit_code != 0) {
      std::cerr << fmt::format("mgate status exited {}; stderr tail:\n{}\n", r.exit_code, tail(dir / "status.err"));
    }
  }
  return s;
}

std::string codes(const std::vector<int>& v) {
  std::string out;
  for (const int c : v) out += (out.empty() ? "" : ",") + std::to_string(c);
  return out;
}

int parse_args(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--latency-ms") {
      args.latency_ms = std::stoi(next());
    } else if (a == "--runs") {
      args.runs = std::stoi(next());
    } else if (a == "--runbook-runs") {
      args.runbook_runs = std::stoi(next());
    } else if (a == "--images") {
      args.images = std::stoi(next());
    } else if (a == "--jobs") {
      args.jobs = std::stoi(next());
    } else if (a == "--mgate") {
      args.mgate = next();
    } else if (a == "--save-dir") {
      args.save_dir = next();
    } else if (a == "--no-runbook") {
      args.runbook = false;
    } else if (a == "--only-rss") {
      args.refresh = false;
      args.runbook = false;
    } else if (a == "--no-rss") {
      args.rss = false;
    } else if (a == "--hold") {
      args.hold = true;
    } else {
      std::cerr << "usage: refresh_bench [--latency-ms N] [--runs N] [--runbook-runs N] [--mgate PATH]\n"
                   "                     [--images N] [--jobs N] [--no-runbook] [--no-rss] [--only-rss] [--hold] [--save-dir DIR]\n";
      return 2;
    }
  }
  return 0;
}

std::string jobs_list(int count) {
  nlohmann::json items = nlohmann::json::array();
  for (int i = 0; i < count; ++i) {
    const nlohmann::json labels = {{"component", "migration"}, {"app.kubernetes.io/name", "udab-server"}};
    items.push_back(
        {{"apiVersion", "batch/v1"},
         {"kind", "Job"},
         {"metadata", {{"name", fmt::format("db-migration-bench-{:05}", i)}, {"labels", labels}}},
         {"spec",
          {{"suspend", true},
           {"backoffLimit", 3},
           {"template",
            {{"metadata", {{"labels", labels}}},
             {"spec",
              {{"restartPolicy", "Never"},
               {"containers",
                nlohmann::json::array({{{"name", "migrate"},
                                        {"image", "udab-server:bench"},
                                        {"command", {"/migrate.sh"}}}})}}}}}}}});
  }
  return nlohmann::json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}}.dump();
}

int bench(const Args& args) {
  auto started = mgate::sandbox::Sandbox::start({});
  if (!started) {
    std::cerr << "sandbox: " << started.error().message << " " << started.error().detail << "\n";
    return 1;
  }
  mgate::sandbox::Sandbox& sandbox = *started.value();
  const auto t_scenario = Clock::now();
  if (auto s = mgate::sandbox::apply_scenario(sandbox, "healthy"); !s) {
    std::cerr << "scenario healthy: " << s.error().message << " " << s.error().detail << "\n";
    return 1;
  }
  std::cerr << fmt::format("healthy scenario applied in {:.1f} s\n",
                           std::chrono::duration<double>(Clock::now() - t_scenario).count());
  auto scenario = mgate::sandbox::load_scenario(fs::path(MGATE_SANDBOX_SOURCE_DIR), "healthy");
  if (!scenario) {
    std::cerr << "scenario healthy: " << scenario.error().message << "\n";
    return 1;
  }
  const std::string sha7 = (*scenario)["shas"]["A"].get<std::string>().substr(0, 7);

  const int pg_port = sandbox.postgres().port;
  const int moto_port = port_of(sandbox.moto_url());
  const int kube_port = port_of(sandbox.kube_url());
  const auto latency = std::chrono::milliseconds(args.latency_ms);
  Proxies proxies;
  proxies.all.push_back(LatencyProxy::start("postgres", pg_port, latency));
  proxies.all.push_back(LatencyProxy::start("moto", moto_port, latency));
  proxies.all.push_back(LatencyProxy::start("kube-api", kube_port, latency));
  const int pg_proxy = proxies.all[0]->port();
  const int moto_proxy = proxies.all[1]->port();
  const int kube_proxy = proxies.all[2]->port();

  const fs::path dir = sandbox.work_dir() / "refresh-bench";
  fs::create_directories(dir / "state");
  // The kubeconfig with the proxy's port (the certificate is for 127.0.0.1, still valid).
  const fs::path kubeconfig = dir / "kubeconfig";
  write_file(kubeconfig,
             replace_all(read_file(sandbox.kube_dir() / "kubeconfig"), fmt::format("127.0.0.1:{}", kube_port),
                         fmt::format("127.0.0.1:{}", kube_proxy)),
             0600);
  // libpq's password file is keyed by host:port: the same lines for the proxy's port.
  const fs::path passfile = dir / "pgpass";
  write_file(passfile,
             replace_all(read_file(sandbox.postgres().passfile), fmt::format(":{}:", pg_port),
                         fmt::format(":{}:", pg_proxy)),
             0600);
  const std::string moto_url = fmt::format("http://127.0.0.1:{}", moto_proxy);

  Env base;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) base[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : sandbox.environment(dir / "mgate-3.yaml")) base[k] = v;
  base["KUBECONFIG"] = kubeconfig.string();
  base["PGPORT"] = std::to_string(pg_proxy);
  base["PGPASSFILE"] = passfile.string();
  base["STAGE_DATABASE_URL"] = fmt::format("postgresql://mgate@127.0.0.1:{}/stage", pg_proxy);
  base["MGATE_BENCH_DATABASE_URL"] = base["STAGE_DATABASE_URL"];
  base["AWS_ENDPOINT_URL"] = moto_url;
  base["MGATE_MOTO_URL"] = moto_url;
  base["XDG_STATE_HOME"] = (dir / "state").string();  // mgate's job records, not the user's
  base.erase("PGSERVICEFILE");

  const std::vector<int> sizes = {1, 3, 10};
  std::map<int, Env> envs;
  for (const int n : sizes) {
    const fs::path config = dir / fmt::format("mgate-{}.yaml", n);
    write_file(config, config_text(n, sandbox.alembic_ini(), dir / "audit.jsonl", moto_url));
    envs[n] = base;
    envs[n]["MGATE_CONFIG"] = config.string();
  }

  std::cout << fmt::format("\nrefresh_bench: latency {} ms, {} timed runs per row (after 1 warm-up), mgate {}\n\n",
                           args.latency_ms, args.runs, args.mgate.string());
  std::cout << "| case | latency | mean | min | critical path: longest chain (round trips × latency; longest per proxy) | refresh / critical path (mean, min) | connections, round trips | exit codes |\n";
  std::cout << "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  std::map<std::pair<int, int>, Series> results;
  for (const int ms : {args.latency_ms, 0}) {
    if (!args.refresh) break;
    proxies.set_latency(ms);
    for (const int n : sizes) {
      Series s = time_mgate(args, envs[n], proxies, dir, args.runs);
      const double cp = static_cast<double>(s.longest) * ms;
      const std::string ratio =
          ms > 0 ? fmt::format("{:.2f} / {:.2f}", s.mean() / cp, s.min() / cp) : std::string("n/a (0 ms)");
      std::cout << fmt::format("| mgate status --json, {} env | {} ms | {:.1f} ms | {:.1f} ms | {} × {} = {:.0f} ms ({}) | {} | {}, {} | {} |\n",
                               n, ms, s.mean(), s.min(), s.longest, ms, cp, s.per_proxy, ratio, s.connections,
                               s.round_trips, codes(s.exit_codes))
                << std::flush;
      if (!args.save_dir.empty()) {
        fs::create_directories(args.save_dir);
        fs::copy_file(dir / "status.out", args.save_dir / fmt::format("status-{}ms-{}env.json", ms, n),
                      fs::copy_options::overwrite_existing);
      }
      results[{ms, n}] = std::move(s);
    }
    if (ms == 0) break;
  }

  if (args.runbook) {
    for (const int ms : {args.latency_ms, 0}) {
      proxies.set_latency(ms);
      const std::vector<std::string> names = {"kubectl get jobs", "kubectl logs", "psql", "alembic heads",
                                              "aws ecr describe-images"};
      const std::vector<std::vector<std::string>> steps = {
          {"kubectl", "get", "jobs", "-n", "udab"},
          {"kubectl", "logs", "-n", "udab", "job/db-migration-" + sha7},
          {"psql", "-h", "127.0.0.1", "-p", std::to_string(pg_proxy), "-U", "mgate", "-d", "stage", "-c",
           "SELECT version_num FROM alembic_version"},
          {"/usr/bin/python3", "-m", "alembic", "-c", sandbox.alembic_ini().string(), "heads"},
          {"aws", "ecr", "describe-images", "--repository-name", "udab-server"}};
      std::vector<double> totals;
      std::vector<double> per_step(steps.size(), 0.0);
      for (int r = 0; r < args.runbook_runs; ++r) {
        double total = 0;
        for (int env = 0; env < 3; ++env) {
          for (std::size_t i = 0; i < steps.size(); ++i) {
            const RunResult rr = run(steps[i], base, dir / "runbook.out", dir / "runbook.err");
            if (rr.exit_code != 0) {
              std::cerr << fmt::format("runbook step `{}` exited {}: {}\n", steps[i][0] + " " + steps[i][1],
                                       rr.exit_code, tail(dir / "runbook.err"));
            }
            total += rr.wall_ms;
            per_step[i] += rr.wall_ms;
          }
        }
        totals.push_back(total);
      }
      const double mean = std::accumulate(totals.begin(), totals.end(), 0.0) / static_cast<double>(totals.size());
      const double min = *std::min_element(totals.begin(), totals.end());
      const Series& m = results[{ms, 3}];
      std::cout << fmt::format("| runbook, 3 env, sequential ({} run(s)) | {} ms | {:.0f} ms | {:.0f} ms | — | runbook / mgate (3 env): {:.1f}× mean, {:.1f}× min | — | — |\n",
                               args.runbook_runs, ms, mean, min, mean / m.mean(), min / m.min());
      std::string steps_line;
      for (std::size_t i = 0; i < steps.size(); ++i) {
        steps_line += fmt::format("{}{}: {:.0f} ms", i == 0 ? "" : "; ", names[i],
                                  per_step[i] / (3.0 * args.runbook_runs));
      }
      std::cout << fmt::format("|   runbook steps, mean per environment | {} ms | {} | | | | | |\n", ms, steps_line)
                << std::flush;
      if (ms == 0) break;
    }
  }

  if (args.rss) {
    proxies.set_latency(0);
    Env direct = base;  // seed without the proxy
    direct["KUBECONFIG"] = (sandbox.kube_dir() / "kubeconfig").string();
    write_file(dir / "jobs.json", jobs_list(args.jobs));
    auto t = Clock::now();
    const RunResult jr = run({"kubectl", "create", "--validate=false", "-f", (dir / "jobs.json").string(), "-o", "name"}, direct,
                             dir / "seed.out", dir / "seed.err");
    const double jobs_s = std::chrono::duration<double>(Clock::now() - t).count();
    if (jr.exit_code != 0) std::cerr << "seeding jobs failed: " << tail(dir / "seed.err") << "\n";
    t = Clock::now();
    const fs::path script = fs::path(MGATE_SANDBOX_SOURCE_DIR) / "bench" / "seed_images.py";
    const RunResult ir = run({"python3", script.string(), sandbox.moto_url(), std::to_string(args.images)}, direct,
                             dir / "seed.out", dir / "seed.err");
    const double images_s = std::chrono::duration<double>(Clock::now() - t).count();
    if (ir.exit_code != 0) std::cerr << "seeding images failed: " << tail(dir / "seed.err") << "\n";
    std::cerr << fmt::format("seeded {} Jobs in {:.1f} s (exit {}), {} images in {:.1f} s (exit {})\n", args.jobs,
                             jobs_s, jr.exit_code, args.images, images_s, ir.exit_code);
    Series s = time_mgate(args, envs[3], proxies, dir, 3);
    const std::string out = read_file(dir / "status.out");
    if (!args.save_dir.empty()) {
      fs::create_directories(args.save_dir);
      fs::copy_file(dir / "status.out", args.save_dir / "status-rss-3env.json", fs::copy_options::overwrite_existing);
    }
    const std::string images_seeded = ir.exit_code == 0 ? std::to_string(args.images) : "0 (seeding failed)";
    const std::string jobs_seeded = jr.exit_code == 0 ? std::to_string(args.jobs) : "0 (seeding failed)";
    std::cout << fmt::format("| peak RSS, mgate status --json, 3 env, {} images + {} Jobs (+ the scenario's) | 0 ms | {:.0f} ms | {:.0f} ms | {} | peak RSS {:.1f} MiB (target ≤ 64 MiB: {}) | {}, {} | {} |\n",
                             images_seeded, jobs_seeded, s.mean(), s.min(), s.per_proxy,
                             static_cast<double>(s.max_rss_kib) / 1024.0,
                             s.max_rss_kib <= 64 * 1024 ? "holds" : "misses", s.connections, s.round_trips,
                             codes(s.exit_codes));
    std::cout << fmt::format("\nseeding: {} Jobs (kubectl create -f List) {:.1f} s; {} images (boto3 put_image, 8 threads) {:.1f} s; last status output {} bytes\n",
                             args.jobs, jobs_s, args.images, images_s, out.size());
  }
  if (args.hold) {
    // For profiling by hand: the environment of the last run as a sourceable file, then wait.
    std::string lines;
    for (const auto& [k, v] : envs[3]) {
      std::string quoted = "'";
      for (const char c : v) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      lines += "export " + k + "=" + quoted + "'\n";
    }
    write_file(dir / "hold.env", lines);
    write_file(dir / "hold", "");
    std::cerr << fmt::format("holding: . {} && mgate status --json (3 environments, 0 ms); rm {} to stop\n",
                             (dir / "hold.env").string(), (dir / "hold").string());
    while (fs::exists(dir / "hold")) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  for (auto& p : proxies.all) p->stop();
  if (auto s = sandbox.stop(); !s) std::cerr << "sandbox stop: " << s.error().message << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    if (const int rc = parse_args(argc, argv, args); rc != 0) return rc;
    return bench(args);
  } catch (const std::exception& e) {
    std::cerr << "refresh_bench: " << e.what() << "\n";
    return 1;
  }
}
