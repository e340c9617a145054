#include "backend/http/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "loopback_server.hpp"

namespace mgate::backend::http {
namespace {

using std::chrono::milliseconds;
using testing::closed_port;
using testing::LoopbackServer;
using testing::Recorder;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    httplib::Server& s = server_.server();
    const auto echo = [this](const httplib::Request& req, httplib::Response& res) {
      seen_.record(req);
      res.status = req.method == "POST" ? 201 : 200;
      res.set_header("X-Method", req.method);
      res.set_header("Link", "</echo?page=2>; rel=\"next\"");
      res.set_header("Link", "</echo?page=9>; rel=\"last\"");
      res.set_content(req.method + ":" + req.body, "text/plain");
    };
    s.Get("/echo", echo);
    s.Post("/echo", echo);
    s.Put("/echo", echo);
    s.Delete("/echo", echo);
    s.Patch("/echo", echo);
    s.Get("/slow", [this](const httplib::Request& req, httplib::Response& res) {
      seen_.record(req);
      wait_for_release(std::chrono::seconds(3));
      res.set_content("late", "text/plain");
    });
    s.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(R"({"kind":"Status","reason":"NotFound"})", "application/json");
    });
    s.Get("/chunks", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
        for (const char* piece : {"one\n", "two\n", "three\n"}) {
          // The pause makes each chunk its own read on the client side.
          std::this_thread::sleep_for(milliseconds(40));
          if (!sink.write(piece, std::strlen(piece))) return false;
        }
        sink.done();
        return true;
      });
    });
    s.Get("/endless", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [this](size_t, httplib::DataSink& sink) {
        for (int i = 0; i < 300 && !released_; ++i) {
          std::this_thread::sleep_for(milliseconds(10));
          if (!sink.write("tick\n", 5)) return false;
        }
        sink.done();
        return true;
      });
    });
    s.Get("/quiet", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [this](size_t, httplib::DataSink& sink) {
        if (!sink.write("first\n", 6)) return false;
        wait_for_release(std::chrono::seconds(3));
        sink.done();
        return true;
      });
    });
    ASSERT_TRUE(server_.start());
  }

  void TearDown() override {
    released_ = true;
    server_.stop();
  }

  void wait_for_release(std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!released_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(5));
    }
  }

  static ClientOptions options() {
    ClientOptions o;
    o.proxy = "";  // the environment's proxy must not see loopback tests
    o.user_agent = "mgate-test/1";
    o.retry.max_attempts = 1;
    return o;
  }

  std::atomic<bool> released_{false};
  Recorder seen_;
  LoopbackServer server_;
};

TEST_F(ClientTest, GetSendsPathQueryAndHeadersAndReadsTheResponse) {
  Client client(options());
  Request request{.method = "GET", .url = server_.url("/echo?n=10&last=b%20c")};
  request.add_header("Accept", "application/json").add_header("X-Trace", "abc");
  auto response = client.send(request);
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET:");
  EXPECT_EQ(response->attempts, 1);
  EXPECT_EQ(response->header("x-method"), "GET");
  EXPECT_EQ(response->header_all("LINK"),
            (std::vector<std::string>{"</echo?page=2>; rel=\"next\"", "</echo?page=9>; rel=\"last\""}));
  ASSERT_EQ(seen_.count(), 1u);
  const auto seen = seen_.all()[0];
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "/echo");
  EXPECT_EQ(seen.target, "/echo?n=10&last=b%20c");
  EXPECT_EQ(seen.header("Accept"), "application/json");
  EXPECT_EQ(seen.header("X-Trace"), "abc");
  EXPECT_EQ(seen.header("User-Agent"), "mgate-test/1");
  EXPECT_EQ(seen.header("Host"), "127.0.0.1:" + std::to_string(server_.port()));
  EXPECT_EQ(seen.header("Content-Type"), "<absent>");
}

TEST_F(ClientTest, PostSendsExactlyTheBodyAndHeadersGiven) {
  Client client(options());
  const std::string json = R"({"repositoryName":"udab-server","imageIds":[{"imageTag":"x"}]})";
  Request request{.method = "POST", .url = server_.url("/echo"), .body = json};
  request.add_header("Content-Type", "application/x-amz-json-1.1");
  request.add_header("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.BatchGetImage");
  auto response = client.send(request);
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "POST:" + json);
  const auto seen = seen_.all().at(0);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.body, json);
  EXPECT_EQ(seen.header("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(seen.header("Content-Length"), std::to_string(json.size()));
  EXPECT_EQ(seen.header("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921.BatchGetImage");
}

TEST_F(ClientTest, PostWithoutContentTypeGetsNoFormDefault) {
  Client client(options());
  auto response = client.send({.method = "POST", .url = server_.url("/echo"), .body = "a=b"});
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(seen_.all().at(0).header("Content-Type"), "<absent>");
}

TEST_F(ClientTest, LargeBodyIsSentWithoutExpectContinue) {
  Client client(options());
  const std::string big(std::size_t{1536} * 1024, 'x');
  auto response = client.send({.method = "PUT", .url = server_.url("/echo"), .body = big});
  ASSERT_TRUE(response.ok()) << response.error().describe();
  const auto seen = seen_.all().at(0);
  EXPECT_EQ(seen.body.size(), big.size());
  EXPECT_EQ(seen.header("Expect"), "<absent>");
}

TEST_F(ClientTest, PutPatchDeleteAndHeadRoundTrip) {
  Client client(options());
  auto put = client.send({.method = "PUT", .url = server_.url("/echo"), .body = "manifest"});
  auto empty_put = client.send({.method = "PUT", .url = server_.url("/echo?digest=sha256:ab")});
  auto patch = client.send({.method = "PATCH", .url = server_.url("/echo"), .body = "{}"});
  auto del = client.send({.method = "DELETE", .url = server_.url("/echo")});
  auto head = client.send({.method = "HEAD", .url = server_.url("/echo")});
  for (const auto* r : {&put, &empty_put, &patch, &del, &head}) {
    ASSERT_TRUE(r->ok()) << r->error().describe();
  }
  EXPECT_EQ(put->body, "PUT:manifest");
  EXPECT_EQ(patch->body, "PATCH:{}");
  EXPECT_EQ(del->body, "DELETE:");
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->header("X-Method"), "HEAD");
  const auto seen = seen_.all();
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].body, "manifest");
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(seen[1].target, "/echo?digest=sha256:ab");
  EXPECT_EQ(seen[1].header("Content-Length"), "0");  // an OCI upload's closing PUT needs it
  EXPECT_EQ(seen[2].method, "PATCH");
  EXPECT_EQ(seen[3].method, "DELETE");
  EXPECT_EQ(seen[3].body, "");
  EXPECT_EQ(seen[4].method, "HEAD");
}

TEST_F(ClientTest, ReusesOneConnectionAcrossRequests) {
  Client client(options());
  ASSERT_TRUE(client.send({.url = server_.url("/echo")}).ok());
  ASSERT_TRUE(client.send({.method = "POST", .url = server_.url("/echo"), .body = "x"}).ok());
  ASSERT_TRUE(client.send({.url = server_.url("/echo")}).ok());
  Client other(options());
  ASSERT_TRUE(other.send({.url = server_.url("/echo")}).ok());
  const auto seen = seen_.all();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1].remote_port, seen[0].remote_port);
  EXPECT_EQ(seen[2].remote_port, seen[0].remote_port);
  EXPECT_NE(seen[3].remote_port, seen[0].remote_port);  // another client, another connection
}

TEST_F(ClientTest, TimeoutNamesTheRequestWithoutItsQuery) {
  Client client(options());
  Request request{.url = server_.url("/slow?X-Amz-Signature=querysecret"), .timeout = milliseconds(150)};
  const auto start = std::chrono::steady_clock::now();
  auto response = client.send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  const Error& error = response.error();
  EXPECT_EQ(error.code, ErrorCode::kTimeout);
  EXPECT_TRUE(error.retryable);
  EXPECT_EQ(error.message, "GET " + server_.url("/slow") + ": timed out");
  EXPECT_NE(error.detail, "");
  EXPECT_EQ(error.describe().find("querysecret"), std::string::npos);
}

TEST_F(ClientTest, ClientTimeoutAppliesWhenTheRequestSetsNone) {
  ClientOptions o = options();
  o.timeout = milliseconds(150);
  Client client(o);
  auto response = client.send({.url = server_.url("/slow")});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kTimeout);
}

TEST_F(ClientTest, StreamDeliversChunksInOrder) {
  Client client(options());
  std::vector<std::string> chunks;
  auto response = client.stream({.url = server_.url("/chunks")}, [&](std::string_view chunk) {
    chunks.emplace_back(chunk);
    return true;
  });
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_FALSE(response->stopped);
  EXPECT_EQ(response->body, "");
  EXPECT_EQ(chunks, (std::vector<std::string>{"one\n", "two\n", "three\n"}));
}

TEST_F(ClientTest, StreamStopsWhenTheCallbackSaysSo) {
  Client client(options());
  int calls = 0;
  auto response = client.stream({.url = server_.url("/endless")}, [&](std::string_view chunk) {
    EXPECT_EQ(chunk, "tick\n");
    return ++calls < 2;
  });
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->stopped);
  EXPECT_EQ(calls, 2);
  // The aborted connection is not reused by mistake: the next call works.
  auto next = client.send({.url = server_.url("/echo")});
  ASSERT_TRUE(next.ok()) << next.error().describe();
  EXPECT_EQ(next->body, "GET:");
}

TEST_F(ClientTest, StreamEndsPromptlyWhenStopIsRequested) {
  Client client(options());
  std::stop_source stop;
  std::vector<std::string> chunks;
  std::jthread stopper;
  const auto start = std::chrono::steady_clock::now();
  auto response = client.stream(
      {.url = server_.url("/quiet")},
      [&](std::string_view chunk) {
        chunks.emplace_back(chunk);
        // Stop from another thread while the client waits for the next chunk.
        stopper = std::jthread([&] {
          std::this_thread::sleep_for(milliseconds(100));
          stop.request_stop();
        });
        return true;
      },
      stop.get_token());
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_TRUE(response->stopped);
  EXPECT_EQ(chunks, (std::vector<std::string>{"first\n"}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(ClientTest, SendIsCancelledByStopBeforeTheResponse) {
  Client client(options());
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  auto response = client.send({.url = server_.url("/slow")}, stop.get_token());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(response.error().message, "GET " + server_.url("/slow") + ": cancelled");
  EXPECT_FALSE(response.error().retryable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(ClientTest, StreamCollectsAnErrorBodyInsteadOfStreamingIt) {
  Client client(options());
  int calls = 0;
  auto response = client.stream({.url = server_.url("/missing")}, [&](std::string_view) {
    ++calls;
    return true;
  });
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, R"({"kind":"Status","reason":"NotFound"})");
  EXPECT_EQ(calls, 0);
}

TEST_F(ClientTest, StreamTimesOutWaitingForHeaders) {
  ClientOptions o = options();
  o.timeout = milliseconds(150);
  Client client(o);
  auto response = client.stream({.url = server_.url("/slow")}, [](std::string_view) { return true; });
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(response.error().message, "GET " + server_.url("/slow") + ": timed out");
}

TEST_F(ClientTest, CallbackExceptionPropagatesAndTheClientStaysUsable) {
  Client client(options());
  EXPECT_THROW(
      (void)client.stream({.url = server_.url("/chunks")},
                          [](std::string_view) -> bool { throw std::runtime_error("parse failed"); }),
      std::runtime_error);
  auto next = client.send({.url = server_.url("/echo")});
  ASSERT_TRUE(next.ok()) << next.error().describe();
}

TEST_F(ClientTest, BearerTokenIsSentButNeverShown) {
  Client client(options());
  Request request{.url = server_.url("/echo")};
  request.set_bearer(Secret("tok-9f8e7d6c5b4a"));
  auto response = client.send(request);
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(seen_.all().at(0).header("Authorization"), "Bearer tok-9f8e7d6c5b4a");

  const std::string closed = "http://user:pw-77aa@127.0.0.1:" + std::to_string(closed_port());
  Request refused{.url = closed + "/api?token=qs-31337"};
  refused.set_bearer(Secret("tok-9f8e7d6c5b4a"));
  refused.add_secret_header("X-Registry-Auth", Secret("reg-auth-5e5e"));
  auto failed = client.send(refused);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  const std::string text = failed.error().describe() + refused.describe();
  for (const char* secret : {"tok-9f8e7d6c5b4a", "qs-31337", "pw-77aa", "reg-auth-5e5e"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in: " << text;
  }
  EXPECT_NE(text.find("127.0.0.1"), std::string::npos);
}

TEST_F(ClientTest, RejectsHeadersThatWouldSplitTheRequest) {
  Client client(options());
  Request request{.url = server_.url("/echo")};
  request.add_header("X-Bad", "a\r\nX-Injected: 1");
  auto response = client.send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(seen_.count(), 0u);
}

TEST_F(ClientTest, RejectsUrlsThatAreNotHttp) {
  Client client(options());
  auto ftp = client.send({.url = "ftp://127.0.0.1/x"});
  ASSERT_FALSE(ftp.ok());
  EXPECT_EQ(ftp.error().code, ErrorCode::kInvalidArgument);
  auto broken = client.send({.url = "http://[broken/x?sig=hidden-1"});
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(broken.error().describe().find("hidden-1"), std::string::npos);
}

TEST_F(ClientTest, MovedClientKeepsWorking) {
  Client first(options());
  ASSERT_TRUE(first.send({.url = server_.url("/echo")}).ok());
  Client second = std::move(first);
  auto response = second.send({.url = server_.url("/echo")});
  ASSERT_TRUE(response.ok()) << response.error().describe();
  const auto seen = seen_.all();
  EXPECT_EQ(seen.at(1).remote_port, seen.at(0).remote_port);
}

}  // namespace
}  // namespace mgate::backend::http
