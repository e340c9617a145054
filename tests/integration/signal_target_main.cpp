// A process that holds a sandbox until a signal ends it, as a test binary does: the target
// that SandboxSignals.SigintToAProcessHoldingASandboxTearsEverythingDown interrupts.
// Usage: sandbox_signal_target DIR   (writes DIR/mgate.yaml and DIR/env once the sandbox is up)

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "tests/sandbox/sandbox.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  auto started = mgate::sandbox::Sandbox::start();
  if (!started.ok()) {
    std::fprintf(stderr, "sandbox: %s\n", started.error().describe().c_str());
    return 1;
  }
  if (!(*started)->write_config(dir / "mgate.yaml").ok() || !(*started)->write_env_file(dir / "env").ok()) return 1;
  std::this_thread::sleep_for(std::chrono::seconds(120));
  std::fprintf(stderr, "never signalled\n");
  return 1;
}
