#include "tests/sandbox/sandbox_cli.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "tests/sandbox/process_table.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/scenario.hpp"

namespace mgate::sandbox {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kStateFile = "pid";
constexpr const char* kEnvFile = "env";
constexpr const char* kConfigFile = "mgate.yaml";
constexpr const char* kLogFile = "sandbox.log";

// What DIR/pid records about the holder process.
struct HolderState {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  fs::path work_dir;
};

std::optional<HolderState> read_state(const fs::path& dir) {
  std::ifstream in(dir / kStateFile);
  HolderState state;
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (key == "pid") state.pid = static_cast<pid_t>(std::stol(value));
    if (key == "start_time") state.start_time = std::stoull(value);
    if (key == "work_dir") state.work_dir = value;
  }
  if (state.pid <= 0) return std::nullopt;
  return state;
}

void remove_state_files(const fs::path& dir) {
  std::error_code ec;
  for (const char* name : {kStateFile, kEnvFile, kConfigFile, "kubeconfig"}) fs::remove(dir / name, ec);
}

std::string summary(const Sandbox& sandbox, const fs::path& dir, Clock::duration took) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  const PostgresEndpoint& pg = sandbox.postgres();
  return fmt::format(
      "sandbox up in {:.1f} s (pid {})\n"
      "  postgres  {}:{}  user {}  databases stage, prod  passfile {}\n"
      "  moto      {}\n"
      "  registry  {}\n"
      "  kube      {}  kubeconfig {}\n"
      "  env       {}   (. {})\n"
      "  config    {}\n",
      static_cast<double>(ms) / 1000.0, getpid(), pg.host, pg.port, pg.user, pg.passfile.string(),
      sandbox.moto_url(), sandbox.registry_url(), sandbox.kube_url(), (dir / "kubeconfig").string(),
      (dir / kEnvFile).string(), (dir / kEnvFile).string(),
      (dir / kConfigFile).string());
}

// False when the reader is gone (EPIPE; SIGPIPE is ignored where this is used).
bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Points stdin at /dev/null and stdout/stderr at the holder's log.
void detach_stdio(const fs::path& log) {
  const int null_fd = open("/dev/null", O_RDONLY);
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (null_fd >= 0) dup2(null_fd, 0);
  if (log_fd >= 0) {
    dup2(log_fd, 1);
    dup2(log_fd, 2);
  }
  for (const int fd : {null_fd, log_fd}) {
    if (fd > 2) close(fd);
  }
}

// Blocks until the process `pid` has exited.
void wait_for_exit(pid_t pid) {
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    // No pidfd (an old kernel): look every so often.
    while (kill(pid, 0) == 0 || errno == EPERM) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return;
  }
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  close(fd);
}

// The background process of `up`: owns the sandbox until SIGTERM, whose teardown (see
// SignalTeardown) stops the services, removes the work dir and ends this process.
int hold(const fs::path& dir, std::chrono::seconds timeout, int report_fd, pid_t up_pid, pid_t exit_with,
         const std::string& scenario) {
  setsid();  // out of the terminal's process group: Ctrl-C in that shell is not for us
  detach_stdio(dir / kLogFile);
  // While `up` waits for the report, the holder must not outlive it: SIGTERM (a clean
  // teardown) if it dies. Cleared once the sandbox is handed over.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != up_pid) return 1;
  std::signal(SIGPIPE, SIG_IGN);
  if (chdir("/") != 0) {
    // Not fatal: the cwd only matters for relative paths, and every path here is absolute.
  }
  const auto began = Clock::now();
  Options options;
  options.start_timeout = timeout;
  auto started = Sandbox::start(options);
  if (!started) {
    write_all(report_fd, "error\n" + started.error().describe() + "\n");
    return 1;
  }
  Sandbox& sandbox = **started;
  // The scenario's state is in place before the env file announces the sandbox.
  if (!scenario.empty()) {
    if (const Status applied = apply_scenario(sandbox, scenario); !applied) {
      write_all(report_fd, "error\n" + applied.error().describe() + "\n");
      return 1;
    }
  }
  const auto self = read_proc_stat(getpid());
  const std::string state = fmt::format("pid={}\nstart_time={}\nwork_dir={}\n", getpid(),
                                        self ? self->start_time : 0, sandbox.work_dir().string());
  for (const Status& s : {sandbox.write_config(dir / kConfigFile), sandbox.write_env_file(dir / kEnvFile),
                          write_file_atomically(dir / kStateFile, state)}) {
    if (!s) {
      write_all(report_fd, "error\n" + s.error().describe() + "\n");
      return 1;
    }
  }
  const std::string text = summary(sandbox, dir, Clock::now() - began) +
                           (scenario.empty() ? "" : fmt::format("  scenario  {}\n", scenario));
  fmt::print("{}", text);
  std::fflush(stdout);
  prctl(PR_SET_PDEATHSIG, 0);
  if (!write_all(report_fd, "ok\n" + text)) {
    // Nobody took the sandbox over: `up` is gone.
    static_cast<void>(sandbox.stop());
    remove_state_files(dir);
    return 1;
  }
  close(report_fd);
  if (exit_with > 0) {
    wait_for_exit(exit_with);
    static_cast<void>(sandbox.stop());
    remove_state_files(dir);
    return 0;
  }
  while (true) pause();
}

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) {
  g_interrupted = 1;
}

// Reads the holder's report; an interrupt stops the holder and gives up.
std::string await_report(int fd, pid_t holder) {
  struct sigaction action {};
  action.sa_handler = on_interrupt;  // no SA_RESTART: read() must return on Ctrl-C
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::string text;
  char buf[4096];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR && !g_interrupted) continue;
    break;
  }
  if (g_interrupted) {
    kill(holder, SIGTERM);
    int status = 0;
    waitpid(holder, &status, 0);
    return "error\ninterrupted; the sandbox was stopped\n";
  }
  return text;
}

// False, with a usage message listing the known ones, for a scenario name that has no file.
bool known_scenario(const std::string& scenario) {
  if (scenario.empty()) return true;
  const std::vector<std::string> known = scenario_names(MGATE_SANDBOX_SOURCE_DIR);
  if (std::find(known.begin(), known.end(), scenario) != known.end()) return true;
  std::string list;
  for (const std::string& name : known) list += (list.empty() ? "" : ", ") + name;
  fmt::print(stderr, "mgate-sandbox: unknown scenario '{}'; known: {}\n", scenario, list);
  return false;
}

}  // namespace

// With a scenario (see scenario.hpp); main() calls these once its --scenario option exists.
int command_up_scenario(const fs::path& dir_arg, std::chrono::seconds timeout, pid_t exit_with,
                        const std::string& scenario);
int command_run_scenario(const std::optional<fs::path>& dir, const std::vector<std::string>& command,
                         std::chrono::seconds timeout, const std::string& scenario);

int command_up(const fs::path& dir_arg, std::chrono::seconds timeout, pid_t exit_with) {
  return command_up_scenario(dir_arg, timeout, exit_with, "");
}

int command_up_scenario(const fs::path& dir_arg, std::chrono::seconds timeout, pid_t exit_with,
                        const std::string& scenario) {
  if (!known_scenario(scenario)) return 2;
  const fs::path dir = fs::absolute(dir_arg);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    fmt::print(stderr, "mgate-sandbox: cannot create {}: {}\n", dir.string(), ec.message());
    return 1;
  }
  if (const auto state = read_state(dir); state && process_alive(state->pid, state->start_time)) {
    fmt::print("sandbox already running (pid {}); its env file: {}\n", state->pid, (dir / kEnvFile).string());
    return 0;
  }
  remove_state_files(dir);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    fmt::print(stderr, "mgate-sandbox: pipe failed: {}\n", std::strerror(errno));
    return 1;
  }
  std::fflush(nullptr);
  const pid_t up_pid = getpid();
  const pid_t holder = fork();
  if (holder < 0) {
    fmt::print(stderr, "mgate-sandbox: fork failed: {}\n", std::strerror(errno));
    return 1;
  }
  if (holder == 0) {
    close(report[0]);
    return hold(dir, timeout, report[1], up_pid, exit_with, scenario);
  }
  close(report[1]);
  const std::string text = await_report(report[0], holder);
  close(report[0]);
  if (text.starts_with("ok\n")) {
    fmt::print("{}", text.substr(3));
    return 0;
  }
  int status = 0;
  waitpid(holder, &status, 0);
  const std::string reason = text.starts_with("error\n")
                                 ? text.substr(6)
                                 : "the holder process died; see " + (dir / kLogFile).string() + "\n";
  fmt::print(stderr, "mgate-sandbox: sandbox failed to start: {}", reason);
  return 1;
}

int command_down(const fs::path& dir_arg, std::chrono::seconds timeout) {
  const fs::path dir = fs::absolute(dir_arg);
  const auto state = read_state(dir);
  if (!state) {
    fmt::print("sandbox not running (no {})\n", (dir / kStateFile).string());
    remove_state_files(dir);
    return 0;
  }
  if (process_alive(state->pid, state->start_time)) {
    kill(state->pid, SIGTERM);
    const auto deadline = Clock::now() + timeout;
    while (process_alive(state->pid, state->start_time) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (process_alive(state->pid, state->start_time)) {
      fmt::print(stderr, "mgate-sandbox: holder {} ignored SIGTERM for {} s; killing it\n", state->pid,
                 timeout.count());
      kill(state->pid, SIGKILL);
    }
  }
  // Its parent is init by now; until init reaps it, ps still lists it (as a zombie), and
  // `down` promises nothing left. Bounded: some inits reap lazily.
  const auto reaped_by = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < reaped_by) {
    const auto st = read_proc_stat(state->pid);
    if (!st || st->start_time != state->start_time) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // A holder that was SIGKILLed took its services with it (parent-death signal) but left
  // its work dir; this removes it, and kills any service still on its way out.
  std::error_code ec;
  if (!state->work_dir.empty() && fs::exists(state->work_dir, ec)) remove_if_stale(state->work_dir);
  remove_state_files(dir);
  fmt::print("sandbox stopped\n");
  return 0;
}

int command_status(const fs::path& dir_arg) {
  const fs::path dir = fs::absolute(dir_arg);
  const auto state = read_state(dir);
  if (!state || !process_alive(state->pid, state->start_time)) {
    fmt::print("sandbox not running\n");
    return 1;
  }
  std::ifstream env(dir / kEnvFile);
  std::stringstream text;
  text << env.rdbuf();
  fmt::print("sandbox running (pid {}, work dir {})\n{}", state->pid, state->work_dir.string(), text.str());
  return 0;
}

int command_run(const std::optional<fs::path>& dir, const std::vector<std::string>& command,
                std::chrono::seconds timeout) {
  return command_run_scenario(dir, command, timeout, "");
}

int command_run_scenario(const std::optional<fs::path>& dir, const std::vector<std::string>& command,
                         std::chrono::seconds timeout, const std::string& scenario) {
  if (!known_scenario(scenario)) return 2;
  const auto program = find_executable(command.front());
  if (!program) {
    fmt::print(stderr, "mgate-sandbox: {} not found on PATH\n", command.front());
    return 127;
  }
  const auto began = Clock::now();
  Options options;
  options.start_timeout = timeout;
  auto started = Sandbox::start(options);
  if (!started) {
    fmt::print(stderr, "mgate-sandbox: sandbox failed to start: {}\n", started.error().describe());
    return 1;
  }
  std::unique_ptr<Sandbox> sandbox = std::move(started.value());
  if (!scenario.empty()) {
    if (const Status applied = apply_scenario(*sandbox, scenario); !applied) {
      fmt::print(stderr, "mgate-sandbox: {}\n", applied.error().describe());
      return 1;
    }
  }
  const fs::path files = dir ? fs::absolute(*dir) : sandbox->work_dir();
  std::error_code ec;
  // Only a --dir is created here; the work dir must never be recreated behind a teardown.
  if (dir) fs::create_directories(files, ec);
  for (const Status& s :
       {sandbox->write_config(files / kConfigFile), sandbox->write_env_file(files / kEnvFile)}) {
    if (!s) {
      fmt::print(stderr, "mgate-sandbox: {}\n", s.error().describe());
      return 1;
    }
  }
  fmt::print(stderr, "{}{}", summary(*sandbox, files, Clock::now() - began),
             scenario.empty() ? "" : fmt::format("  scenario  {}\n", scenario));
  SpawnOptions spawn;
  spawn.argv = command;
  spawn.argv.front() = program->string();
  spawn.env = sandbox->environment(files / kConfigFile);
  // The command stays in the terminal's process group, so Ctrl-C reaches it as usual.
  spawn.own_process_group = false;
  spawn.stdin_fd = 0;
  spawn.stdout_fd = 1;
  spawn.stderr_fd = 2;
  spawn.death_signal = SIGTERM;
  auto child = ChildProcess::spawn(spawn);
  if (!child) {
    fmt::print(stderr, "mgate-sandbox: {}\n", child.error().describe());
    return 127;
  }
  while (!(*child)->wait_for(std::chrono::hours(1))) {
  }
  const int status = (*child)->wait_status().value_or(0);
  sandbox.reset();
  if (dir) remove_state_files(files);
  if (WIFSIGNALED(status)) {
    // End as the command ended, as a shell would report it.
    std::signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace mgate::sandbox
