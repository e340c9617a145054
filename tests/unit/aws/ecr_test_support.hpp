#pragma once
// What the EcrClient unit tests share: a scripted loopback ECR and client options aimed at it.

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/aws/ecr_client.hpp"
#include "tests/unit/http/loopback_server.hpp"

namespace mgate::backend::aws::testing {

using http::testing::LoopbackServer;
using http::testing::Recorder;
using nlohmann::json;

inline constexpr const char* kSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
inline constexpr const char* kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[]})";

inline Clock::time_point fixed_time() {
  return Clock::time_point(std::chrono::seconds(1767225600));
}  // 2026-01-01

/// Answers scripted (status, body) pairs in order and records every request.
struct ScriptedEcr {
  LoopbackServer server;
  Recorder seen;
  std::mutex mutex;
  std::deque<std::pair<int, std::string>> answers;

  explicit ScriptedEcr(std::deque<std::pair<int, std::string>> script) : answers(std::move(script)) {
    server.server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      seen.record(req);
      std::lock_guard lock(mutex);
      if (answers.empty()) {
        res.status = 500;
        return;
      }
      res.status = answers.front().first;
      res.set_content(answers.front().second, "application/x-amz-json-1.1");
      answers.pop_front();
    });
  }
};

struct Sleeps {
  std::vector<std::chrono::milliseconds> delays;
};

inline EcrOptions options_for(const LoopbackServer& server, Sleeps* sleeps = nullptr) {
  EcrOptions options;
  options.region = "eu-west-1";
  options.endpoint = server.url("/");
  options.credentials = Credentials{"AKIDEXAMPLE", Secret(kSecretKey), Secret(), std::nullopt};
  options.http.retry.max_attempts = 1;
  options.http.jitter = [] { return 0.5; };
  options.http.sleep = [sleeps](std::chrono::milliseconds d, std::stop_token) {
    if (sleeps != nullptr) sleeps->delays.push_back(d);
  };
  options.now = fixed_time;
  return options;
}
inline constexpr const char* kThrottled = R"({"__type":"ThrottlingException","message":"Rate exceeded"})";

inline std::string page(const std::vector<std::string>& digests, const std::string& next) {
  json j{{"imageDetails", json::array()}};
  for (const auto& d : digests) {
    j["imageDetails"].push_back({{"imageDigest", d}, {"imageTags", {"t-" + d}}, {"imageSizeInBytes", 42}});
  }
  if (!next.empty()) j["nextToken"] = next;
  return j.dump();
}

}  // namespace mgate::backend::aws::testing
