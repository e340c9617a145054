// The scenario steps that run the team's own tools: the aws CLI against moto, psql and alembic
// against the stage database.

#include <openssl/sha.h>

#include <cstdint>

#include <fmt/format.h>

#include "tests/sandbox/command.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/scenario_steps.hpp"

namespace mgate::sandbox {
namespace {

using backend::ErrorCode;
using backend::make_error;
using Json = nlohmann::json;

constexpr const char* kManifestType = "application/vnd.docker.distribution.manifest.v2+json";

// Runs a tool with the sandbox's environment; a non-zero exit is an error with its stderr tail.
Result<CommandResult> run_tool(const StepContext& ctx, std::vector<std::string> argv, EnvVars extra = {}) {
  Command c;
  c.argv = std::move(argv);
  c.env = ctx.sandbox.environment();
  c.env.insert(c.env.end(), extra.begin(), extra.end());
  c.timeout = std::chrono::seconds(60);
  auto r = run_command(c);
  if (!r) return r.error();
  if (!r->ok()) {
    return make_error(ErrorCode::kIo, fmt::format("{} {}", c.argv.front(), r->describe()),
                      tail_lines(r->err, 15));
  }
  return r;
}

Result<Json> aws_ecr(const StepContext& ctx, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"aws", "--endpoint-url", ctx.sandbox.moto_url(), "--region", "us-east-1",
                                "--output", "json", "ecr"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_tool(ctx, std::move(argv));
  if (!r) return r.error();
  if (r->out.empty()) return Json::object();
  Json parsed = Json::parse(r->out, nullptr, false);
  if (parsed.is_discarded()) return make_error(ErrorCode::kProtocol, "aws printed no JSON", r->out);
  return parsed;
}

// A manifest whose config and layer digests derive from the sha, so every sha is its own image
// (its own digest), as CI's builds are.
std::string manifest_for(const std::string& sha) {
  const std::string config = fmt::format(R"({{"architecture":"amd64","os":"linux","config":{{"Env":["IMAGE_SHA={}"]}}}})", sha);
  const std::string layer = "udab-server layer " + sha;
  const Json manifest = {
      {"schemaVersion", 2},
      {"mediaType", kManifestType},
      {"config",
       {{"mediaType", "application/vnd.docker.container.image.v1+json"},
        {"size", config.size()},
        {"digest", sha256_digest(config)}}},
      {"layers",
       Json::array({{{"mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip"},
                     {"size", 31457280},
                     {"digest", sha256_digest(layer)}}})}};
  return manifest.dump(2);
}

Status ensure_repository(const StepContext& ctx) {
  auto created = aws_ecr(ctx, {"create-repository", "--repository-name", kScenarioRepository});
  // A second push of the same scenario finds it there: fine, that is what ensure means.
  if (!created && created.error().detail.find("RepositoryAlreadyExistsException") == std::string::npos) {
    return created.error();
  }
  return backend::ok_status();
}

Status put_image(const StepContext& ctx, const std::string& tag, const std::string& manifest) {
  const std::string digest = sha256_digest(manifest);
  // moto invents a digest unless told the true one, which ECR itself computes.
  auto put = aws_ecr(ctx, {"put-image", "--repository-name", kScenarioRepository, "--image-tag", tag,
                           "--image-manifest", manifest, "--image-manifest-media-type", kManifestType,
                           "--image-digest", digest});
  if (!put) return put.error();
  const std::string got = (*put)["image"]["imageId"].value("imageDigest", "");
  if (got != digest) {
    return make_error(ErrorCode::kProtocol, fmt::format("put-image {} answered digest {}, not {}", tag, got, digest));
  }
  return backend::ok_status();
}

}  // namespace

std::string sha256_digest(std::string_view data) {
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), hash);
  std::string out = "sha256:";
  for (const unsigned char byte : hash) out += fmt::format("{:02x}", byte);
  return out;
}

std::string sha_of(const StepContext& ctx, const std::string& key) {
  return ctx.shas.contains(key) ? ctx.shas[key].get<std::string>() : key;
}

Status step_push(const StepContext& ctx, const Json& arg) {
  const std::string sha = sha_of(ctx, arg.get<std::string>());
  if (auto s = ensure_repository(ctx); !s) return s;
  return put_image(ctx, "stage-" + sha, manifest_for(sha));
}

Status step_retag(const StepContext& ctx, const Json& arg) {
  const std::string sha = sha_of(ctx, arg.get<std::string>());
  auto found = aws_ecr(ctx, {"describe-images", "--repository-name", kScenarioRepository, "--image-ids",
                             "imageTag=stage-" + sha});
  if (!found) return found.error();
  // The same bytes under the second tag: manifest_for is a function of the sha alone.
  const std::string manifest = manifest_for(sha);
  const std::string digest = (*found)["imageDetails"][0].value("imageDigest", "");
  if (digest != sha256_digest(manifest)) {
    return make_error(ErrorCode::kConflict,
                      fmt::format("{}:stage-{} has digest {}, not the scenario's image", kScenarioRepository, sha, digest));
  }
  return put_image(ctx, "stage-migrated-" + sha, manifest);
}

Status step_psql(const StepContext& ctx, const Json& arg) {
  auto r = run_tool(ctx, {"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                          ctx.sandbox.database_url(kScenarioDatabase), "-c", arg.get<std::string>()});
  if (!r) return r.error();
  return backend::ok_status();
}

Status step_alembic(const StepContext& ctx, const Json& arg) {
  std::vector<std::string> argv{"/usr/bin/python3", "-m", "alembic", "-c", ctx.sandbox.alembic_ini().string()};
  for (const Json& a : arg) argv.push_back(a.get<std::string>());
  auto r = run_tool(ctx, std::move(argv),
                    {{"DATABASE_URL", ctx.sandbox.database_url(kScenarioDatabase)}, {"PYTHONDONTWRITEBYTECODE", "1"}});
  if (!r) return r.error();
  return backend::ok_status();
}

}  // namespace mgate::sandbox
