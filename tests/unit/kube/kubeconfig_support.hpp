#pragma once
// What the kubeconfig tests share: a temp dir, an environment lookup, three kubeconfig files
// whose names collide, and the error of a load or a resolve that must fail.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "backend/kube/kubeconfig.hpp"

namespace mgate::backend::kube {

// gtest prints marks as file:line:column.
inline void PrintTo(const KubeconfigMark& mark, std::ostream* os) { *os << mark.str(); }

namespace kubeconfig_testing {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kubeconfig-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& rel, const std::string& text) const {
    const fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  fs::path path_;
};

inline EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline KubeconfigSources with_kubeconfig_env(const std::string& list) {
  KubeconfigSources s;
  s.getenv = env_of({{"KUBECONFIG", list}});
  return s;
}

inline std::string token_of(const RestConfig& rc) {
  if (const auto* s = std::get_if<Secret>(&rc.auth)) return s->reveal();
  if (const auto* f = std::get_if<std::shared_ptr<TokenFile>>(&rc.auth)) {
    auto t = (*f)->current();
    return t ? t->reveal() : "<error " + t.error().message + ">";
  }
  return "<none>";
}

inline Error load_error(const std::string& text, const fs::path& file = "/k/config") {
  auto r = parse_kubeconfig(text, file);
  if (r.ok()) {
    ADD_FAILURE() << "expected an error";
    return {};
  }
  return r.error();
}

inline Error resolve_error(const std::string& text, std::optional<std::string> ctx = std::nullopt) {
  auto k = parse_kubeconfig(text, "/k/config");
  if (!k.ok()) {
    ADD_FAILURE() << k.error().describe();
    return {};
  }
  auto r = resolve(*k, std::move(ctx), std::nullopt);
  if (r.ok()) {
    ADD_FAILURE() << "expected an error";
    return {};
  }
  return r.error();
}

// Three files in a list; names collide between a and b.
inline constexpr const char* kFileA = R"(apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster:
    server: https://a.example:6443
users:
- name: shared-user
  user:
    token: token-from-a
contexts:
- name: shared-ctx
  context:
    cluster: shared
    user: shared-user
    namespace: ns-a
)";

inline constexpr const char* kFileB = R"(apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster:
    server: https://b.example:6443
- name: only-b
  cluster:
    server: https://only-b.example
users:
- name: shared-user
  user:
    token: token-from-b
- name: b-user
  user:
    token: token-b-user
contexts:
- name: shared-ctx
  context:
    cluster: only-b
    user: b-user
- name: b-ctx
  context:
    cluster: shared
    user: b-user
    namespace: ns-b
current-context: b-ctx
)";

inline constexpr const char* kFileC = R"(current-context: shared-ctx
)";

}  // namespace kubeconfig_testing
}  // namespace mgate::backend::kube
