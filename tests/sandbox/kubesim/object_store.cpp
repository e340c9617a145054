#include "tests/sandbox/kubesim/object_store.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <chrono>
#include <ctime>
#include <random>

namespace mgate::kubesim {

const char* to_string(ChangeType type) {
  switch (type) {
    case ChangeType::kAdded: return "ADDED";
    case ChangeType::kModified: return "MODIFIED";
    case ChangeType::kDeleted: return "DELETED";
  }
  return "MODIFIED";
}

namespace {

std::mt19937_64& rng() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

// The kinds the real server stores without metadata.generation.
bool has_generation(const std::string& resource) {
  return resource != kPods && resource != kEvents && resource != kSecrets &&
         resource != kConfigMaps && resource != kNamespaces;
}

// Continue tokens are base64url without padding, as apiserver's EncodeContinue writes them.
std::string base64url(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string unbase64url(std::string in) {
  for (char& c : in) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (in.size() % 4 != 0) in += '=';
  if (in.empty()) throw bad_request("invalid continue token");
  std::string out(3 * in.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) throw bad_request("invalid continue token");
  std::size_t len = static_cast<std::size_t>(n);
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) --len;
  out.resize(len);
  return out;
}

}  // namespace

std::string generate_name(const std::string& prefix) {
  // apiserver's SimpleNameGenerator: 5 characters from "bcdfghjklmnpqrstvwxz2456789".
  static const std::string alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (int i = 0; i < 5; ++i) s += alphabet[rng()() % alphabet.size()];
  return prefix + s;
}

std::string new_uid() {
  auto a = rng()();
  auto b = rng()();
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xFFFF,
                     a & 0xFFFF, b >> 48, b & 0xFFFFFFFFFFFFULL);
}

namespace {
std::string format_now(bool micro) {
  const auto now = std::chrono::system_clock::now();
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::string s = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (micro) s += fmt::format(".{:06}", us % 1000000);
  return s + "Z";
}
}  // namespace

std::string now_rfc3339() { return format_now(false); }
std::string now_rfc3339_micro() { return format_now(true); }

ObjectStore::ObjectStore(std::size_t history) : history_limit_(history) {}

void ObjectStore::record(ChangeType type, const std::string& resource, const Json& object) {
  history_.push_back(Change{rv_, type, resource, object});
  while (history_.size() > history_limit_) history_.pop_front();
  changed_.notify_all();
}

Json ObjectStore::create(const std::string& resource, Json object) {
  const ResourceInfo& info = kubesim::resource(resource);
  std::lock_guard lock(mu_);
  Json& meta = object["metadata"];
  if (!meta.is_object()) meta = Json::object();
  if (!meta.contains("name") || meta["name"].get<std::string>().empty()) {
    const std::string prefix = meta.value("generateName", "");
    if (prefix.empty()) throw bad_request("name or generateName is required");
    meta["name"] = generate_name(prefix);
  }
  const std::string name = meta["name"];
  const std::string ns = info.namespaced ? meta.value("namespace", "default") : "";
  if (info.namespaced) meta["namespace"] = ns;
  auto& bucket = objects_[resource];
  if (bucket.count({ns, name})) throw already_exists(info.plural, info.group, name);
  if (!meta.contains("uid")) meta["uid"] = new_uid();
  ++rv_;
  meta["resourceVersion"] = std::to_string(rv_);
  meta["creationTimestamp"] = now_rfc3339();
  if (has_generation(resource)) meta["generation"] = 1;
  object["apiVersion"] = info.api_version();
  object["kind"] = info.kind;
  bucket[{ns, name}] = object;
  record(ChangeType::kAdded, resource, object);
  return object;
}

std::optional<Json> ObjectStore::get(const std::string& resource, const std::string& ns,
                                     const std::string& name) const {
  std::lock_guard lock(mu_);
  auto b = objects_.find(resource);
  if (b == objects_.end()) return std::nullopt;
  auto it = b->second.find({ns, name});
  if (it == b->second.end()) return std::nullopt;
  return it->second;
}

Json ObjectStore::get_or_throw(const std::string& resource, const std::string& ns,
                               const std::string& name) const {
  if (auto o = get(resource, ns, name)) return *o;
  const ResourceInfo& info = kubesim::resource(resource);
  throw not_found(info.plural, info.group, name);
}

std::vector<Json> ObjectStore::list(const std::string& resource, const std::string& ns) const {
  std::lock_guard lock(mu_);
  std::vector<Json> out;
  auto b = objects_.find(resource);
  if (b == objects_.end()) return out;
  for (const auto& [key, obj] : b->second) {
    if (ns.empty() || key.first == ns) out.push_back(obj);
  }
  return out;
}

ListPage ObjectStore::list_page(const std::string& resource, const std::string& ns,
                                const std::function<bool(const Json&)>& keep,
                                std::int64_t limit, const std::string& continue_token) const {
  std::lock_guard lock(mu_);
  ListPage page;
  page.rv = rv_;
  Key start;
  bool have_start = false;
  if (!continue_token.empty()) {
    Json token;
    try {
      token = Json::parse(unbase64url(continue_token));
    } catch (const Json::exception&) {
      throw bad_request("invalid continue token");
    }
    if (!token.is_object() || token.value("v", "") != "meta.k8s.io/v1" ||
        !token.contains("rv") || !token.contains("start")) {
      throw bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                        "(version meta.k8s.io/v1)");
    }
    const auto rv = token["rv"].get<std::uint64_t>();
    if (rv <= compacted_rv_) throw expired_continue();
    const std::string s = token["start"];
    const auto slash = s.find('/');
    start = {s.substr(0, slash), slash == std::string::npos ? "" : s.substr(slash + 1)};
    have_start = true;
    page.rv = rv;  // a continued list reports the first page's resourceVersion
  }
  auto b = objects_.find(resource);
  if (b == objects_.end()) return page;
  const auto& bucket = b->second;
  auto it = have_start ? bucket.upper_bound(start) : bucket.begin();
  for (; it != bucket.end(); ++it) {
    if (!ns.empty() && it->first.first != ns) continue;
    if (!keep(it->second)) continue;
    if (limit > 0 && static_cast<std::int64_t>(page.items.size()) == limit) {
      // More remain: the token resumes after the last key returned.
      const auto& last = page.items.back()["metadata"];
      Json token = {{"v", "meta.k8s.io/v1"},
                    {"rv", page.rv},
                    {"start", last.value("namespace", "") + "/" + last.value("name", "")}};
      page.continue_token = base64url(token.dump());
      std::int64_t remaining = 0;
      for (; it != bucket.end(); ++it) {
        if ((ns.empty() || it->first.first == ns) && keep(it->second)) ++remaining;
      }
      page.remaining = remaining;
      break;
    }
    page.items.push_back(it->second);
  }
  return page;
}

Json ObjectStore::update(const std::string& resource, const std::string& ns,
                         const std::string& name, const std::function<bool(Json&)>& mutate) {
  std::lock_guard lock(mu_);
  auto& bucket = objects_[resource];
  auto it = bucket.find({ns, name});
  if (it == bucket.end()) {
    const ResourceInfo& info = kubesim::resource(resource);
    throw not_found(info.plural, info.group, name);
  }
  Json copy = it->second;
  if (!mutate(copy)) return it->second;
  ++rv_;
  copy["metadata"]["resourceVersion"] = std::to_string(rv_);
  if (has_generation(resource) && copy.value("spec", Json()) != it->second.value("spec", Json())) {
    copy["metadata"]["generation"] = it->second["metadata"].value("generation", 1) + 1;
  }
  it->second = copy;
  record(ChangeType::kModified, resource, copy);
  return copy;
}

Json ObjectStore::remove(const std::string& resource, const std::string& ns,
                         const std::string& name) {
  std::lock_guard lock(mu_);
  auto& bucket = objects_[resource];
  auto it = bucket.find({ns, name});
  if (it == bucket.end()) {
    const ResourceInfo& info = kubesim::resource(resource);
    throw not_found(info.plural, info.group, name);
  }
  Json gone = std::move(it->second);
  bucket.erase(it);
  ++rv_;
  gone["metadata"]["resourceVersion"] = std::to_string(rv_);
  record(ChangeType::kDeleted, resource, gone);
  return gone;
}

std::uint64_t ObjectStore::resource_version() const {
  std::lock_guard lock(mu_);
  return rv_;
}

std::vector<Change> ObjectStore::changes_since(const std::string& resource, std::uint64_t after_rv,
                                               std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // The history covers (oldest-1, rv_]; a resume point before that lost events.
    const std::uint64_t oldest = history_.empty() ? rv_ + 1 : history_.front().rv;
    if (after_rv + 1 < oldest && after_rv < rv_) throw too_old_resource_version(after_rv, oldest - 1);
    std::vector<Change> out;
    for (auto it = history_.rbegin(); it != history_.rend() && it->rv > after_rv; ++it) {
      if (resource.empty() || it->resource == resource) out.push_back(*it);
    }
    if (!out.empty()) {
      std::reverse(out.begin(), out.end());
      return out;
    }
    after_rv = std::max(after_rv, rv_);  // nothing of ours up to now
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return {};
  }
}

std::uint64_t ObjectStore::wait_for_change(std::uint64_t seen,
                                           std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  changed_.wait_for(lock, timeout, [&] { return rv_ > seen; });
  return rv_;
}

void ObjectStore::notify_all() const { changed_.notify_all(); }

void ObjectStore::compact() {
  std::lock_guard lock(mu_);
  history_.clear();
  compacted_rv_ = rv_;
  // Lists after the compaction carry a newer resourceVersion than it, so their continue
  // tokens stay valid (an etcd compaction never expires a read at the current revision).
  ++rv_;
}

}  // namespace mgate::kubesim
