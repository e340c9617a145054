// mgate-kube-sim: the simulated Kubernetes API server the sandbox starts.
//   mgate-kube-sim --config kubesim.json [--port N]
// It serves until SIGTERM or SIGINT, then stops its containers and exits 0.

#include <signal.h>

#include <CLI/CLI.hpp>

#include <iostream>

#include "tests/sandbox/kubesim/simulator.hpp"

int main(int argc, char** argv) {
  CLI::App app{"mgate-kube-sim: a simulated Kubernetes API server for tests"};
  std::string config_file;
  int port = -1;
  app.add_option("--config", config_file, "the simulator's JSON configuration")->required();
  app.add_option("--port", port, "listen on this port (overrides the configuration)");
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  // Blocked before any thread starts, so every thread inherits the mask and sigwait gets them.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  try {
    auto config = mgate::kubesim::read_config_file(config_file);
    if (port >= 0) config["port"] = port;
    mgate::kubesim::Simulator sim(config);
    std::cerr << "mgate-kube-sim: serving " << sim.server_url() << "\n";
    int sig = 0;
    sigwait(&signals, &sig);
    sim.stop();
  } catch (const std::exception& e) {
    std::cerr << "mgate-kube-sim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
