// The cost of one audit append: open, lock, one write, fsync, close. An action
// pays it once; the figure shows it is far below any API round trip.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "backend/ops/audit_log.hpp"

namespace {

using mgate::backend::ops::AuditLog;
using mgate::backend::ops::AuditRecord;

void BM_AuditAppend(benchmark::State& state) {
  char tmpl[] = "/tmp/mgate-bench-audit-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  const AuditLog log(dir / "audit.jsonl");
  AuditRecord r;
  r.user = "oncall";
  r.env = "stage";
  r.action = "promote";
  r.arguments.set("sha", "3f2a1c9e0b7d").set("from", "stage-3f2a1c9e0b7d").set("to", "stage-migrated-3f2a1c9e0b7d");
  for (auto _ : state) {
    if (!log.append(r).ok()) state.SkipWithError("append failed");
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AuditAppend)->Unit(benchmark::kMicrosecond);

}  // namespace
