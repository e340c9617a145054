// `mgate tags`: each environment's registry tags grouped by commit.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "backend/core/strings.hpp"
#include "backend/registry/media_types.hpp"
#include "backend/registry/open_registry.hpp"
#include "backend/registry/tag_model.hpp"
#include "src/cli.hpp"

namespace mgate::cli {
namespace {

namespace reg = backend::registry;
using nlohmann::json;

// One environment's answer, or why it has none.
struct EnvTags {
  std::string env;
  std::optional<reg::TagModel> model;
  std::optional<backend::Error> error;
};

EnvTags read_env_tags(const backend::config::Environment& env) {
  EnvTags t{env.name, {}, {}};
  auto patterns = reg::TagPatterns::for_env(env);
  if (!patterns) {
    t.error = patterns.error();
    return t;
  }
  auto registry = reg::open_registry(env);
  if (!registry) {
    t.error = registry.error();
    return t;
  }
  reg::TagReader reader(**registry, std::move(*patterns));
  auto model = reader.read();
  if (!model) {
    t.error = model.error();
    return t;
  }
  t.model = std::move(*model);
  return t;
}

std::string short_type(std::string_view media_type) {
  if (media_type == reg::kDockerManifestV2) return "docker";
  if (media_type == reg::kDockerManifestList) return "docker-list";
  if (media_type == reg::kOciManifest) return "oci";
  if (media_type == reg::kOciIndex) return "oci-index";
  return media_type.empty() ? "?" : std::string(media_type);
}

std::string short_digest(const std::string& digest) {
  return digest.size() > 19 ? digest.substr(0, 19) : digest;  // "sha256:" + 12 hex
}

std::string migrated_column(const reg::ShaImages& row) {
  if (!row.migrated) return "no";
  if (!row.built) return "yes (built tag gone)";
  if (row.same_digest()) return "yes";
  return "OTHER DIGEST " + short_digest(row.migrated->digest);
}

std::string date_column(const reg::ShaImages& row) {
  if (!row.build_date) return "?";
  std::string text = backend::format_rfc3339(*row.build_date).substr(0, 19) + "Z";
  if (row.build_date_source == reg::BuildDateSource::kPushedTime) text += " (pushed)";
  return text;
}

void print_text(Io& io, const std::vector<EnvTags>& all) {
  bool first = true;
  for (const auto& t : all) {
    if (!first) io.out << "\n";
    first = false;
    if (t.error) {
      io.out << fmt::format("{}: ERROR {}\n", t.env, t.error->message);
      continue;
    }
    const auto& m = *t.model;
    io.out << fmt::format("{}: {}  ({} -> {}; {} other tags)\n", t.env, m.registry, m.built_pattern,
                          m.migrated_pattern, m.other_tags);
    if (m.shas.empty()) {
      io.out << "  no tags match the patterns\n";
      continue;
    }
    io.out << fmt::format("  {:<14} {:<20} {:<22} {:<31} {}\n", "SHA", "DIGEST", "MIGRATED", "BUILD DATE", "TYPE");
    for (const auto& row : m.shas) {
      const std::string sha = backend::short_commit(row.sha);
      io.out << fmt::format("  {:<14} {:<20} {:<22} {:<31} {}\n", sha, short_digest(row.digest()),
                            migrated_column(row), date_column(row), short_type(row.media_type));
    }
  }
}

ExitCode show_tags(const GlobalOptions& global, bool as_json, Io& io) {
  auto loaded = load_config(global, io);
  if (!loaded.loaded) return loaded.exit;
  const auto& config = loaded.loaded->config;
  std::vector<EnvTags> all;
  std::size_t failed = 0;
  for (const auto* env : selected_environments(config, global)) {
    all.push_back(read_env_tags(*env));
    failed += all.back().error ? 1 : 0;
  }
  if (as_json) {
    json out = {{"environments", json::array()}};
    for (const auto& t : all) {
      json j = t.model ? reg::to_json(*t.model) : json::object();
      j["env"] = t.env;
      j["error"] = t.error ? error_json(*t.error) : json(nullptr);
      out["environments"].push_back(std::move(j));
    }
    io.out << out.dump(2) << "\n";
  } else {
    print_text(io, all);
  }
  for (const auto& t : all)
    if (t.error) print_error(io, *t.error);
  if (failed == 0) return ExitCode::kOk;
  return failed == all.size() ? ExitCode::kFailed : ExitCode::kPartial;
}

}  // namespace

void add_tags_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("tags", "each environment's registry tags per commit: built, migrated, same digest");
  cmd->add_flag("--json", *as_json, "print JSON (docs/cli-json.md)");
  cmd->callback([&global, &io, run, as_json] {
    *run = [&global, &io, as_json] { return show_tags(global, *as_json, io); };
  });
}

}  // namespace mgate::cli
