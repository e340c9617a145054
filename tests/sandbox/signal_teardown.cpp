#include "tests/sandbox/signal_teardown.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace mgate::sandbox {
namespace {

constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};

std::mutex g_mu;  // guards everything below but the pipe's write end
std::vector<std::pair<const void*, std::function<void()>>> g_live;
std::array<struct sigaction, kSignals.size()> g_previous{};
std::array<bool, kSignals.size()> g_installed{};
bool g_watcher_started = false;
int g_pipe[2] = {-1, -1};
std::atomic<int> g_dying{0};  // the signal the watcher is acting on

void on_signal(int sig) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] const ssize_t n = write(g_pipe[1], &byte, 1);
  errno = saved;
}

[[noreturn]] void die_of(int sig) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  // Only reached if the signal does not end the process (it always does by default).
  _exit(128 + sig);
}

void watch() {
  while (true) {
    unsigned char byte = 0;
    const ssize_t n = read(g_pipe[0], &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    g_dying = byte;
    {
      std::lock_guard lock(g_mu);
      for (const auto& entry : g_live) entry.second();
    }
    die_of(byte);
  }
}

void install_locked() {
  if (!g_watcher_started) {
    if (pipe2(g_pipe, O_CLOEXEC) != 0) return;
    // The watcher lives as long as the process: it is blocked in read() when the process exits.
    std::thread(watch).detach();
    g_watcher_started = true;
  }
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    struct sigaction previous {};
    sigaction(kSignals[i], nullptr, &previous);
    if (previous.sa_handler == SIG_IGN) continue;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    // The main thread's blocking calls go on; the watcher does the work.
    action.sa_flags = SA_RESTART;
    sigaction(kSignals[i], &action, &g_previous[i]);
    g_installed[i] = true;
  }
}

void restore_locked() {
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    if (g_installed[i]) sigaction(kSignals[i], &g_previous[i], nullptr);
    g_installed[i] = false;
  }
}

}  // namespace

void SignalTeardown::enroll(const void* key, std::function<void()> teardown) {
  std::lock_guard lock(g_mu);
  if (g_live.empty()) install_locked();
  g_live.emplace_back(key, std::move(teardown));
}

void SignalTeardown::withdraw(const void* key) {
  std::lock_guard lock(g_mu);
  const auto it = std::find_if(g_live.begin(), g_live.end(), [key](const auto& e) { return e.first == key; });
  if (it == g_live.end()) return;
  g_live.erase(it);
  if (g_live.empty()) restore_locked();
}

void SignalTeardown::wait_if_dying() {
  while (g_dying.load() != 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace mgate::sandbox
