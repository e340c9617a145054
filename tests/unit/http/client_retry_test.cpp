// The Client's retry loop against a loopback server, with the waits recorded
// instead of slept.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "backend/http/client.hpp"
#include "loopback_server.hpp"

namespace mgate::backend::http {
namespace {

using std::chrono::milliseconds;
using testing::closed_port;
using testing::LoopbackServer;

class ClientRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    httplib::Server& s = server_.server();
    // Answers 503 to the first failures_ hits of each path, then 200.
    const auto flaky = [this](const httplib::Request& req, httplib::Response& res) {
      const int hit = ++hits_;
      if (hit <= failures_) {
        res.status = status_;
        if (!retry_after_.empty()) res.set_header("Retry-After", retry_after_);
        res.set_content("busy", "text/plain");
        return;
      }
      res.set_content(req.method + " ok", "text/plain");
    };
    s.Get("/flaky", flaky);
    s.Post("/flaky", flaky);
    s.Put("/flaky", flaky);
    s.Get("/flaky-stream", [this](const httplib::Request&, httplib::Response& res) {
      if (++hits_ <= failures_) {
        res.status = 503;
        res.set_content("busy", "text/plain");
        return;
      }
      res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
        sink.write("streamed", 8);
        sink.done();
        return true;
      });
    });
    const auto hang = [this](const httplib::Request&, httplib::Response& res) {
      ++hits_;
      std::this_thread::sleep_for(milliseconds(300));
      res.set_content("late", "text/plain");
    };
    s.Get("/hang", hang);
    s.Post("/hang", hang);
    ASSERT_TRUE(server_.start());
  }

  ClientOptions options(double jitter = 1.0) {
    ClientOptions o;
    o.proxy = "";
    o.retry =
        RetryPolicy{.max_attempts = 3, .base_delay = milliseconds(200), .max_delay = milliseconds(5000)};
    o.sleep = [this](milliseconds delay, const std::stop_token&) {
      std::lock_guard lock(mutex_);
      delays_.push_back(delay);
    };
    if (jitter >= 0) o.jitter = [jitter] { return jitter; };
    return o;
  }

  std::vector<milliseconds> delays() {
    std::lock_guard lock(mutex_);
    return delays_;
  }

  std::atomic<int> hits_{0};
  int failures_ = 2;
  int status_ = 503;
  std::string retry_after_;
  std::mutex mutex_;
  std::vector<milliseconds> delays_;
  LoopbackServer server_;
};

TEST_F(ClientRetryTest, GetIsRetriedWithGrowingBackoffUntilItSucceeds) {
  Client client(options(1.0));
  auto response = client.send({.url = server_.url("/flaky")});
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET ok");
  EXPECT_EQ(response->attempts, 3);
  EXPECT_EQ(hits_, 3);
  EXPECT_EQ(delays(), (std::vector<milliseconds>{milliseconds(200), milliseconds(400)}));
}

TEST_F(ClientRetryTest, RandomJitterStaysUnderEachCeiling) {
  Client client(options(-1));  // the real random draw
  for (int round = 0; round < 5; ++round) {
    hits_ = 0;
    ASSERT_TRUE(client.send({.url = server_.url("/flaky")}).ok());
  }
  const auto d = delays();
  ASSERT_EQ(d.size(), 10u);
  for (std::size_t i = 0; i < d.size(); i += 2) {
    EXPECT_GE(d[i].count(), 0);
    EXPECT_LE(d[i], milliseconds(200));
    EXPECT_LE(d[i + 1], milliseconds(400));
  }
}

TEST_F(ClientRetryTest, GivesUpAfterMaxAttemptsWithTheLastResponse) {
  failures_ = 100;
  Client client(options());
  auto response = client.send({.url = server_.url("/flaky")});
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "busy");
  EXPECT_EQ(response->attempts, 3);
  EXPECT_EQ(hits_, 3);
}

TEST_F(ClientRetryTest, PostIsNotRetriedOnA503) {
  Client client(options());
  auto response = client.send({.method = "POST", .url = server_.url("/flaky"), .body = "{}"});
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->attempts, 1);
  EXPECT_EQ(hits_, 1);
  EXPECT_TRUE(delays().empty());
}

TEST_F(ClientRetryTest, ExplicitIdempotencyOverridesTheMethod) {
  Client client(options());
  auto read_only_post =
      client.send({.method = "POST", .url = server_.url("/flaky"), .body = "{}", .idempotent = true});
  ASSERT_TRUE(read_only_post.ok());
  EXPECT_EQ(read_only_post->status, 200);
  EXPECT_EQ(read_only_post->attempts, 3);
  hits_ = 0;
  auto once_put = client.send({.method = "PUT", .url = server_.url("/flaky"), .idempotent = false});
  ASSERT_TRUE(once_put.ok());
  EXPECT_EQ(once_put->status, 503);
  EXPECT_EQ(once_put->attempts, 1);
}

TEST_F(ClientRetryTest, HonoursRetryAfter) {
  failures_ = 1;
  status_ = 429;
  retry_after_ = "2";
  Client client(options());
  auto response = client.send({.url = server_.url("/flaky")});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->attempts, 2);
  EXPECT_EQ(delays(), (std::vector<milliseconds>{milliseconds(2000)}));
}

TEST_F(ClientRetryTest, CapsRetryAfterAtMaxDelay) {
  failures_ = 1;
  retry_after_ = "3600";
  Client client(options());
  auto response = client.send({.url = server_.url("/flaky")});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(delays(), (std::vector<milliseconds>{milliseconds(5000)}));
}

TEST_F(ClientRetryTest, RefusedConnectionIsUnavailableAfterEveryAttempt) {
  Client client(options());
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/api";
  auto response = client.send({.url = url});
  ASSERT_FALSE(response.ok());
  const Error& error = response.error();
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(error.retryable);
  EXPECT_EQ(error.message, "GET " + url + ": could not connect (after 3 attempts)");
  EXPECT_EQ(delays().size(), 2u);
}

TEST_F(ClientRetryTest, RefusedConnectionIsRetriedEvenForPostSinceNothingWasSent) {
  Client client(options());
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/api";
  auto response = client.send({.method = "POST", .url = url, .body = "{}"});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(delays().size(), 2u);
}

TEST_F(ClientRetryTest, TimeoutIsRetriedForGetButNotForPost) {
  ClientOptions o = options();
  o.retry.max_attempts = 2;
  o.timeout = milliseconds(100);
  Client client(o);
  auto get = client.send({.url = server_.url("/hang")});
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(hits_, 2);
  EXPECT_EQ(delays().size(), 1u);

  hits_ = 0;
  auto post = client.send({.method = "POST", .url = server_.url("/hang"), .body = "{}"});
  ASSERT_FALSE(post.ok());
  EXPECT_EQ(post.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(post.error().message, "POST " + server_.url("/hang") + ": timed out");
  EXPECT_EQ(hits_, 1);
  EXPECT_EQ(delays().size(), 1u);
}

TEST_F(ClientRetryTest, StopDuringTheWaitReturnsTheLastAnswer) {
  std::stop_source stop;
  ClientOptions o = options();
  o.sleep = [&stop](milliseconds, const std::stop_token&) { stop.request_stop(); };
  Client client(o);
  auto response = client.send({.url = server_.url("/flaky")}, stop.get_token());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->attempts, 1);
  EXPECT_EQ(hits_, 1);
}

TEST_F(ClientRetryTest, DefaultSleepWaitsAndEndsEarlyOnStop) {
  failures_ = 1;
  ClientOptions o;
  o.proxy = "";
  o.retry = RetryPolicy{.max_attempts = 2, .base_delay = milliseconds(60), .max_delay = milliseconds(60)};
  o.jitter = [] { return 1.0; };
  Client client(o);
  auto start = std::chrono::steady_clock::now();
  auto response = client.send({.url = server_.url("/flaky")});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->attempts, 2);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(60));

  hits_ = 0;
  o.retry.base_delay = o.retry.max_delay = milliseconds(10000);
  Client patient(o);
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));
    stop.request_stop();
  });
  start = std::chrono::steady_clock::now();
  auto stopped = patient.send({.url = server_.url("/flaky")}, stop.get_token());
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->status, 503);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ClientRetryTest, StreamRetriesBeforeAnyChunkAndDeliversOnlyTheFinalBody) {
  failures_ = 1;
  Client client(options());
  std::string received;
  auto response = client.stream({.url = server_.url("/flaky-stream")}, [&](std::string_view c) {
    received += c;
    return true;
  });
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->attempts, 2);
  EXPECT_EQ(received, "streamed");
  EXPECT_EQ(response->body, "");
}

}  // namespace
}  // namespace mgate::backend::http
