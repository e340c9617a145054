#include "backend/ops/commit_heads.hpp"

#include "backend/core/strings.hpp"

namespace mgate::backend::ops {

Result<std::shared_ptr<const alembic::RevisionGraph>> CommitHeads::at(const std::string& sha) {
  std::lock_guard lock(mu_);
  if (!commits_ && !open_error_) {
    auto opened = alembic::CommitScripts::open(repository_, scripts_);
    if (opened) commits_.emplace(std::move(*opened));
    else open_error_ = opened.error();
  }
  if (open_error_) return *open_error_;
  auto dir = commits_->at(sha);
  if (!dir) return dir.error();
  return alembic::graph_of(*dir, short_commit(sha));
}

}  // namespace mgate::backend::ops
