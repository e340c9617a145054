#pragma once
// Each commit's own revision graph from the application's repository (alembic.git), for the
// gate of the refresher and of promote: one `git cat-file --batch` child, started on first use.

#include <filesystem>
#include <mutex>
#include <optional>

#include "backend/alembic/git_scripts.hpp"
#include "backend/ops/gate.hpp"

namespace mgate::backend::ops {

/// A HeadsAt over a repository; callers on several threads take turns (one git child).
class CommitHeads {
 public:
  CommitHeads(std::filesystem::path repository, std::filesystem::path scripts)
      : repository_(std::move(repository)), scripts_(std::move(scripts)) {}

  /// The commit's graph; the error of opening the repository (kept: it is not tried again), of
  /// reading the commit, or "the alembic scripts at <sha12> have errors".
  Result<std::shared_ptr<const alembic::RevisionGraph>> at(const std::string& sha);

  /// `at` as a HeadsAt; this object must outlive it.
  HeadsAt heads_at() {
    return [this](const std::string& sha) { return at(sha); };
  }

 private:
  std::filesystem::path repository_;
  std::filesystem::path scripts_;
  std::mutex mu_;  // one git child, one caller at a time
  std::optional<alembic::CommitScripts> commits_;
  std::optional<Error> open_error_;
};

}  // namespace mgate::backend::ops
