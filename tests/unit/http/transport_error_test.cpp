#include "backend/http/transport_error.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::http {
namespace {

constexpr const char* kWhat = "GET https://127.0.0.1:6443/api";

// The texts below are libcurl 7.88 + OpenSSL 3 error buffers as seen in practice.
TEST(TransportError, CertificateAlertsMeanTheClientWasRejected) {
  for (const char* text :
       {"OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0",
        "OpenSSL SSL_read: error:0A000418:SSL routines::tlsv1 alert unknown ca, errno 0",
        "error:0A000412:SSL routines::sslv3 alert bad certificate"}) {
    for (CURLcode code : {CURLE_RECV_ERROR, CURLE_SSL_CONNECT_ERROR}) {
      const Error error = transport_error(kWhat, code, text);
      EXPECT_EQ(error.code, ErrorCode::kUnauthenticated) << text;
      EXPECT_FALSE(error.retryable);
      EXPECT_EQ(error.message, std::string(kWhat) + ": TLS client certificate rejected by the server");
      EXPECT_EQ(error.detail, text);
    }
  }
}

TEST(TransportError, ResetsAreRetryableConnectionFailures) {
  const Error error = transport_error(kWhat, CURLE_RECV_ERROR, "Recv failure: Connection reset by peer");
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(error.retryable);
  EXPECT_EQ(error.message, std::string(kWhat) + ": the connection failed");
}

TEST(TransportError, VerificationFailureSaysSoAndIsFinal) {
  const Error error = transport_error(kWhat, CURLE_PEER_FAILED_VERIFICATION,
                                      "SSL certificate problem: unable to get local issuer certificate");
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_FALSE(error.retryable);
  EXPECT_EQ(error.describe(), std::string(kWhat) +
                                  ": TLS certificate verify failed (SSL certificate problem: "
                                  "unable to get local issuer certificate)");
}

TEST(TransportError, TimeoutsAndRefusalsAreRetryable) {
  EXPECT_EQ(transport_error(kWhat, CURLE_OPERATION_TIMEDOUT, "").code, ErrorCode::kTimeout);
  EXPECT_TRUE(transport_error(kWhat, CURLE_OPERATION_TIMEDOUT, "").retryable);
  EXPECT_EQ(transport_error(kWhat, CURLE_OPERATION_TIMEDOUT, "").detail,
            "Timeout was reached");  // libcurl's text stands in for an empty buffer
  EXPECT_TRUE(transport_error(kWhat, CURLE_COULDNT_CONNECT, "").retryable);
  EXPECT_TRUE(nothing_was_sent(CURLE_COULDNT_CONNECT));
  EXPECT_TRUE(nothing_was_sent(CURLE_COULDNT_RESOLVE_HOST));
  EXPECT_FALSE(nothing_was_sent(CURLE_OPERATION_TIMEDOUT));
  EXPECT_FALSE(nothing_was_sent(CURLE_RECV_ERROR));
}

TEST(TransportError, ScrubsEverySecretOccurrence) {
  EXPECT_EQ(scrub_secrets("proxy user:hunter22 said hunter22", {"hunter22", "ab"}),
            "proxy user:*** said ***");
  EXPECT_EQ(scrub_secrets("nothing here", {}), "nothing here");
}

}  // namespace
}  // namespace mgate::backend::http
