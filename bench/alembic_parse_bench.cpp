// The alembic reader's steps on a 2,000-revision script directory, timed apart: listing the
// files, reading and parsing them, building the graph, and the history order. The whole-process
// figure beside `alembic heads` is bench/alembic_heads.sh.
//
// MGATE_ALEMBIC_BENCH_DIR names a directory to read (e.g. one written by
// tests/conformance/generate_scripts.py); without it a synthetic one is written to a temp dir.

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "backend/alembic/script_directory.hpp"
#include "backend/alembic/script_parser.hpp"

namespace {

namespace alembic = mgate::backend::alembic;
namespace fs = std::filesystem;

constexpr int kRevisions = 2000;

// A long line with a branch and a merge every 100 revisions, in the shape alembic writes files.
fs::path synthetic_directory() {
  char tmpl[] = "/tmp/mgate-bench-alembic-XXXXXX";
  const fs::path root = ::mkdtemp(tmpl);
  fs::create_directories(root / "versions");
  std::string previous;
  for (int i = 0; i < kRevisions; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%012x", 0x1000 + i * 7919);
    std::string down = previous.empty() ? "None" : "'" + previous + "'";
    if (i % 100 == 99) down = "('" + previous + "', '" + previous + "')";
    std::ofstream(root / "versions" / (std::string(id) + "_step.py"))
        << "\"\"\"step " << i << "\n\nRevision ID: " << id << "\nRevises: " << previous
        << "\nCreate Date: 2024-03-02 10:14:27.331052\n\n\"\"\"\nfrom alembic import op\nimport sqlalchemy "
           "as sa\n\n\n"
        << "# revision identifiers, used by Alembic.\nrevision = '" << id << "'\ndown_revision = " << down
        << "\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.add_column('t', "
           "sa.Column('c"
        << i << "', sa.Integer()))\n\n\ndef downgrade():\n    op.drop_column('t', 'c" << i << "')\n";
    previous = id;
  }
  return root;
}

// The directory read by every benchmark; a synthetic one is removed at exit.
const fs::path& directory() {
  struct Directory {
    fs::path path;
    bool synthetic = false;
    ~Directory() {
      std::error_code ec;
      if (synthetic) fs::remove_all(path, ec);
    }
  };
  static const Directory dir = [] {
    const char* given = std::getenv("MGATE_ALEMBIC_BENCH_DIR");
    return given != nullptr ? Directory{given, false} : Directory{synthetic_directory(), true};
  }();
  return dir.path;
}

void BM_ListFiles(benchmark::State& state) {
  auto source = alembic::locate_scripts(directory());
  if (!source) return state.SkipWithError(source.error().message.c_str());
  for (auto _ : state) {
    std::vector<alembic::Diagnostic> diagnostics;
    benchmark::DoNotOptimize(alembic::list_revision_files(*source, diagnostics));
  }
}
BENCHMARK(BM_ListFiles)->Unit(benchmark::kMillisecond);

void BM_ParseFiles(benchmark::State& state) {
  auto source = alembic::locate_scripts(directory());
  if (!source) return state.SkipWithError(source.error().message.c_str());
  std::vector<alembic::Diagnostic> diagnostics;
  std::vector<std::string> texts;
  std::vector<std::string> files = alembic::list_revision_files(*source, diagnostics);
  for (const auto& f : files) {
    std::ifstream in(f);
    texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  for (auto _ : state) {
    for (std::size_t i = 0; i < files.size(); ++i)
      benchmark::DoNotOptimize(alembic::parse_script(texts[i], files[i]));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * files.size()));
}
BENCHMARK(BM_ParseFiles)->Unit(benchmark::kMillisecond);

void BM_LoadScriptDirectory(benchmark::State& state) {
  for (auto _ : state) {
    auto loaded = alembic::load_script_directory(directory());
    if (!loaded || !loaded->ok()) return state.SkipWithError("the directory does not load");
    benchmark::DoNotOptimize(loaded->graph->heads());
  }
}
BENCHMARK(BM_LoadScriptDirectory)->Unit(benchmark::kMillisecond);

void BM_BuildGraph(benchmark::State& state) {
  auto loaded = alembic::load_script_directory(directory());
  if (!loaded || !loaded->ok()) return state.SkipWithError("the directory does not load");
  std::vector<alembic::Script> scripts;
  for (const auto& r : loaded->graph->revisions()) scripts.push_back(r.script);
  for (auto _ : state) benchmark::DoNotOptimize(alembic::RevisionGraph::build(scripts));
}
BENCHMARK(BM_BuildGraph)->Unit(benchmark::kMillisecond);

void BM_History(benchmark::State& state) {
  auto loaded = alembic::load_script_directory(directory());
  if (!loaded || !loaded->ok()) return state.SkipWithError("the directory does not load");
  for (auto _ : state) benchmark::DoNotOptimize(loaded->graph->history());
}
BENCHMARK(BM_History)->Unit(benchmark::kMillisecond);

}  // namespace
