// SigV4 throughput: header signing of a typical ECR POST (JSON 1.1, 200-byte body), presigning
// an EKS-token-like STS GetCallerIdentity GET, and the SHA-256 / HMAC-SHA256 primitives under them.

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "backend/aws/crypto.hpp"
#include "backend/aws/sigv4.hpp"

namespace {

namespace aws = mgate::backend::aws;
using mgate::backend::Secret;

aws::Credentials credentials() {
  return aws::Credentials{"ASIAEXAMPLEEXAMPLE12", Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                          Secret(std::string(600, 'T')), std::nullopt};  // a session token is ~600 bytes
}

aws::SigningParams params(const char* service) {
  aws::SigningParams p;
  p.region = "eu-west-1";
  p.service = service;
  p.when = mgate::backend::Clock::time_point(std::chrono::seconds(1767225600));
  return p;
}

/// A 200-byte DescribeImages body.
std::string ecr_body() {
  std::string body =
      R"({"repositoryName":"udab-server","registryId":"123456789012","maxResults":1000,"nextToken":")";
  body.append(200 - body.size() - 2, 'n');
  body += "\"}";
  return body;
}

void BM_SignEcrPost(benchmark::State& state) {
  const auto request =
      aws::signing_request("POST", "https://api.ecr.eu-west-1.amazonaws.com/",
                           {{"Content-Type", "application/x-amz-json-1.1"},
                            {"X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.DescribeImages"}},
                           ecr_body());
  if (!request || request->body.size() != 200) {
    state.SkipWithError("bad request");
    return;
  }
  const auto creds = credentials();
  const auto p = params("ecr");
  for (auto _ : state) {
    auto signed_request = aws::sign(*request, creds, p);
    benchmark::DoNotOptimize(signed_request);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignEcrPost);

void BM_PresignEksToken(benchmark::State& state) {
  const auto request = aws::signing_request(
      "GET", "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
      {{"x-k8s-aws-id", "udab-stage"}});
  if (!request) {
    state.SkipWithError("bad request");
    return;
  }
  const auto creds = credentials();
  const auto p = params("sts");
  for (auto _ : state) {
    auto url = aws::presign(*request, creds, p, std::chrono::seconds(60));
    benchmark::DoNotOptimize(url);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PresignEksToken);

void BM_SigningKey(benchmark::State& state) {
  const auto creds = credentials();
  const auto p = params("ecr");
  for (auto _ : state) {
    auto key = aws::signing_key(creds.secret_access_key, p);
    benchmark::DoNotOptimize(key);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SigningKey);

void BM_HexSha256(benchmark::State& state) {
  const std::string data(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    auto hex = aws::hex_sha256(data);
    benchmark::DoNotOptimize(hex);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_HexSha256)->Arg(200)->Arg(64 << 10);

void BM_HmacSha256(benchmark::State& state) {
  const std::string key(32, 'k');
  const std::string data(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    auto mac = aws::hmac_sha256(key, data);
    benchmark::DoNotOptimize(mac);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HmacSha256)->Arg(12)->Arg(200);

}  // namespace
