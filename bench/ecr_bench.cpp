// ECR DescribeImages at registry scale: 10,000 images delivered as 10 pages of 1,000.
// BM_ParseDescribeImagesPages times the JSON → EcrImage decoding alone (the bodies are built
// once, outside the timing); BM_DescribeImagesLoopback times the whole describe_images call
// (10 signed POSTs to a loopback server on this machine, plus the decoding).

#include <benchmark/benchmark.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend/aws/ecr_client.hpp"
#include "tests/unit/http/loopback_server.hpp"

namespace {

namespace aws = mgate::backend::aws;
using nlohmann::json;

constexpr int kPages = 10;
constexpr int kPageSize = 1000;
constexpr int kImages = kPages * kPageSize;

std::string digest_of(int n) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", n * 2654435761U);
  return std::string("sha256:") + hex;
}

/// The ten answer bodies, shaped like real ECR answers: every field ECR sends for a pushed image.
const std::vector<std::string>& pages() {
  static const std::vector<std::string> bodies = [] {
    std::vector<std::string> out;
    for (int p = 0; p < kPages; ++p) {
      json answer{{"imageDetails", json::array()}};
      for (int i = p * kPageSize; i < (p + 1) * kPageSize; ++i) {
        std::string sha = std::to_string(1000000 + i);
        std::string stage = "stage-";
        stage += sha;
        std::string migrated = "stage-migrated-";
        migrated += sha;
        answer["imageDetails"].push_back({
            {"registryId", "123456789012"},
            {"repositoryName", "udab-server"},
            {"imageDigest", digest_of(i)},
            {"imageTags", {stage, migrated}},
            {"imageSizeInBytes", 48'000'000 + i},
            {"imagePushedAt", 1767225600.123 + i},
            {"imageManifestMediaType", mgate::backend::registry::kDockerManifestV2},
            {"artifactMediaType", mgate::backend::registry::kDockerImageConfig},
            {"lastRecordedPullTime", 1767312000.5 + i},
        });
      }
      if (p + 1 < kPages) answer["nextToken"] = std::string("token-").append(std::to_string(p + 1));
      out.push_back(answer.dump());
    }
    return out;
  }();
  return bodies;
}

void BM_ParseDescribeImagesPages(benchmark::State& state) {
  const auto& bodies = pages();
  std::size_t bytes = 0;
  for (const auto& body : bodies) bytes += body.size();
  for (auto _ : state) {
    std::vector<aws::EcrImage> images;
    for (const auto& body : bodies) {
      auto page = aws::parse_describe_images_page(body, "udab-server");
      if (!page) {
        state.SkipWithError(page.error().message.c_str());
        return;
      }
      images.insert(images.end(), std::make_move_iterator(page->images.begin()),
                    std::make_move_iterator(page->images.end()));
    }
    if (images.size() != static_cast<std::size_t>(kImages)) state.SkipWithError("wrong image count");
    benchmark::DoNotOptimize(images.data());
  }
  state.SetItemsProcessed(state.iterations() * kImages);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_ParseDescribeImagesPages)->Unit(benchmark::kMillisecond);

void BM_DescribeImagesLoopback(benchmark::State& state) {
  const auto& bodies = pages();
  mgate::backend::http::testing::LoopbackServer server;
  server.server().Post("/", [&bodies](const httplib::Request& req, httplib::Response& res) {
    const json body = json::parse(req.body);
    std::size_t page = 0;
    if (body.contains("nextToken")) page = std::stoul(body.at("nextToken").get<std::string>().substr(6));
    res.status = 200;
    res.set_content(bodies.at(page), "application/x-amz-json-1.1");
  });
  if (!server.start()) {
    state.SkipWithError("loopback server did not start");
    return;
  }
  aws::EcrOptions options;
  options.region = "eu-west-1";
  options.endpoint = server.url("/");
  options.credentials.access_key_id = "AKIDEXAMPLE";
  options.credentials.secret_access_key = mgate::backend::Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  aws::EcrClient client(options);
  for (auto _ : state) {
    auto images = client.describe_images("udab-server");
    if (!images || images->size() != static_cast<std::size_t>(kImages)) {
      state.SkipWithError(images ? "wrong image count" : images.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(images->data());
  }
  state.SetItemsProcessed(state.iterations() * kImages);
}
BENCHMARK(BM_DescribeImagesLoopback)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
