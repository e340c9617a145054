// The launch-and-wait loop every sandbox service shares, with stand-in processes: a port
// clash is retried on a fresh port; a process that dies reports its log in the error.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/shared_sandbox.hpp"
#include "tests/sandbox/service.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;

// The smallest host: children kept for teardown, files written as asked.
class TestHost : public ProcessHost {
 public:
  TestHost() : dir_(make_test_dir("service")) {}
  ~TestHost() override {
    for (auto& child : children_) child->stop(SIGTERM, std::chrono::seconds(2));
    fs::remove_all(dir_);
  }
  Result<ChildProcess*> spawn_child(const std::string&, const SpawnOptions& options, StopPolicy) override {
    auto child = ChildProcess::spawn(options);
    if (!child) return child.error();
    children_.push_back(std::move(*child));
    return children_.back().get();
  }
  bool stopping() const override { return false; }
  const fs::path& work_dir() const override { return dir_; }
  Status write_work_file(const fs::path& relative, const std::string& text, unsigned) override {
    std::ofstream(dir_ / relative) << text;
    return backend::ok_status();
  }
  Status make_work_dir(const fs::path& relative, unsigned) override {
    fs::create_directory(dir_ / relative);
    return backend::ok_status();
  }

 private:
  fs::path dir_;
  std::vector<std::unique_ptr<ChildProcess>> children_;
};

// Fails the way a taken port fails `clashes` times, then serves HTTP on its port.
class StandIn : public Service {
 public:
  StandIn(ProcessHost& host, int clashes, std::string failure = {})
      : Service(host, "standin"), clashes_(clashes), failure_(std::move(failure)) {}
  std::vector<int> ports;

 protected:
  Result<ChildProcess*> spawn_on_port() override {
    ports.push_back(port());
    SpawnOptions o;
    o.log_file = log_file();
    if (!failure_.empty()) {
      o.argv = {"/bin/sh", "-c", "echo \"$0\" >&2; exit 3", failure_};
    } else if (static_cast<int>(ports.size()) <= clashes_) {
      o.argv = {"/bin/sh", "-c", "echo 'bind: address already in use' >&2; exit 1"};
    } else {
      o.argv = {find_executable("python3").value_or("/usr/bin/python3").string(),
                "-m",
                "http.server",
                std::to_string(port()),
                "--bind",
                kLoopback};
    }
    return host_.spawn_child(name(), o, StopPolicy{});
  }
  bool probe() override { return http_get_status(port(), "/", std::chrono::milliseconds(300)) == 200; }

 private:
  int clashes_;
  std::string failure_;
};

TEST(SandboxService, APortClashIsRetriedOnAFreshPort) {
  TestHost host;
  StandIn service(host, 2);
  ASSERT_TRUE(service.launch().ok());
  const Status ready = service.await_ready(SteadyClock::now() + std::chrono::seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.error().describe();
  EXPECT_EQ(service.attempts(), 3);
  ASSERT_EQ(service.ports.size(), 3u);
  EXPECT_EQ(service.port(), service.ports.back());
  EXPECT_EQ(http_get_status(service.port(), "/", std::chrono::seconds(2)), 200);
}

TEST(SandboxService, AProcessThatDiesReportsItsLogTail) {
  TestHost host;
  StandIn service(host, 0, "FATAL: data directory has wrong ownership");
  ASSERT_TRUE(service.launch().ok());
  const Status ready = service.await_ready(SteadyClock::now() + std::chrono::seconds(30));
  ASSERT_FALSE(ready.ok());
  EXPECT_EQ(service.attempts(), 1);
  EXPECT_NE(ready.error().message.find("sandbox standin: /bin/sh exited with 3 while starting on port"),
            std::string::npos)
      << ready.error().message;
  EXPECT_NE(ready.error().detail.find("FATAL: data directory has wrong ownership"), std::string::npos)
      << ready.error().detail;
}

TEST(SandboxService, ASilentServiceTimesOut) {
  TestHost host;
  class Silent : public Service {
   public:
    using Service::Service;

   protected:
    Result<ChildProcess*> spawn_on_port() override {
      SpawnOptions o;
      o.argv = {"/bin/sleep", "30"};
      o.log_file = log_file();
      return host_.spawn_child(name(), o, StopPolicy{});
    }
    bool probe() override { return false; }
  } service(host, "silent");
  ASSERT_TRUE(service.launch().ok());
  const Status ready = service.await_ready(SteadyClock::now() + std::chrono::milliseconds(300));
  ASSERT_FALSE(ready.ok());
  EXPECT_NE(ready.error().message.find("did not answer on port"), std::string::npos) << ready.error().message;
  EXPECT_EQ(ready.error().detail, "silent.log is empty");
}

}  // namespace
}  // namespace mgate::sandbox::testing
