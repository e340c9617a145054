#include "tests/sandbox/kubesim/simulator.hpp"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <fstream>
#include <sstream>

#include "tests/sandbox/kubesim/access.hpp"
#include "tests/sandbox/kubesim/api_server.hpp"
#include "tests/sandbox/kubesim/deletion.hpp"
#include "tests/sandbox/kubesim/eks_token.hpp"
#include "tests/sandbox/kubesim/job_controller.hpp"
#include "tests/sandbox/kubesim/kubeconfig_writer.hpp"
#include "tests/sandbox/kubesim/kubelet.hpp"
#include "tests/sandbox/kubesim/object_store.hpp"
#include "tests/sandbox/kubesim/pki.hpp"

namespace mgate::kubesim {

namespace fs = std::filesystem;

Json read_config_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read", file.string()));
  try {
    return Json::parse(in);
  } catch (const Json::parse_error& e) {
    throw std::runtime_error(fmt::format("{}: {}", file.string(), e.what()));
  }
}

namespace {

std::vector<std::string> strings(const Json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& s : j) out.push_back(s.get<std::string>());
  }
  return out;
}

std::vector<AccessRule> rules(const Json& j) {
  std::vector<AccessRule> out;
  if (!j.is_array()) return {AccessRule{}};  // no rules given: everything
  for (const auto& r : j) {
    AccessRule rule;
    if (r.contains("verbs")) rule.verbs = strings(r["verbs"]);
    if (r.contains("resources")) rule.resources = strings(r["resources"]);
    if (r.contains("namespaces")) rule.namespaces = strings(r["namespaces"]);
    out.push_back(rule);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> pairs(const Json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) out.emplace_back(k, v.get<std::string>());
  }
  return out;
}

std::chrono::milliseconds ms(const Json& j, const char* key, std::chrono::milliseconds fallback) {
  return j.is_object() && j.contains(key) ? std::chrono::milliseconds(j[key].get<long>()) : fallback;
}

void write_atomically(const fs::path& path, const std::string& text, unsigned mode) {
  const fs::path tmp = path.string() + ".tmp";
  write_file(tmp, text, mode);
  fs::rename(tmp, path);
}

}  // namespace

struct Simulator::Parts {
  Json config;
  fs::path state_dir;
  Pki pki;
  ObjectStore store;
  AccessControl access;
  std::unique_ptr<ApiServer> server;
  std::unique_ptr<GarbageCollector> gc;
  std::unique_ptr<JobController> jobs;
  std::unique_ptr<Kubelet> kubelet;
  std::thread compactor;
  std::mutex compactor_mu;
  std::condition_variable compactor_cv;
  bool stopping = false;

  void configure_access();
  void seed();
  void write_kubeconfigs() const;
  std::string url() const { return fmt::format("https://127.0.0.1:{}", server->port()); }
};

void Simulator::Parts::configure_access() {
  for (const auto& t : config.value("tokens", Json::array())) {
    access.add_token(t.at("token"), Principal{{t.at("user"), strings(t.value("groups", Json()))},
                                              rules(t.value("rules", Json()))});
  }
  for (const auto& u : config.value("certificate_users", Json::array())) {
    access.add_certificate_user(u.at("user"), rules(u.value("rules", Json())));
  }
  if (config.contains("exec")) {
    const Json& e = config["exec"];
    access.add_token(e.at("token"), Principal{{e.value("user", "exec-user"), {}},
                                              rules(e.value("rules", Json()))});
  }
  if (config.contains("eks")) {
    const Json& e = config["eks"];
    EksCheck check;
    check.sts_endpoint = e.at("sts_endpoint");
    check.cluster_name = e.value("cluster", "sandbox");
    const Json keys = e.value("secret_keys", Json::object());  // outlives the loop's proxy
    for (const auto& [id, secret] : keys.items()) check.secret_keys[id] = secret.get<std::string>();
    access.set_eks(
        [check](const std::string& token) {
          return verify_eks_token(token, check, std::chrono::system_clock::now()).arn;
        },
        {{"*", Principal{{"", {"system:authenticated"}}, rules(e.value("rules", Json()))}}});
  }
}

void Simulator::Parts::seed() {
  std::vector<std::string> namespaces = {"default", "kube-system", "kube-public",
                                         "kube-node-lease"};
  for (const auto& n : strings(config.value("namespaces", Json()))) namespaces.push_back(n);
  for (const auto& n : namespaces) {
    if (store.get(kNamespaces, "", n)) continue;
    store.create(kNamespaces,
                 {{"metadata", {{"name", n}, {"labels", {{"kubernetes.io/metadata.name", n}}}}},
                  {"spec", {{"finalizers", {"kubernetes"}}}},
                  {"status", {{"phase", "Active"}}}});
  }
  for (const auto& object : config.value("objects", Json::array())) {
    store.create(resource_key_of(object), object);
  }
}

void Simulator::Parts::write_kubeconfigs() const {
  KubeconfigParams p;
  p.server = url();
  p.ca_cert = pki.ca_cert;
  p.ns = config.value("default_namespace", "default");
  p.cluster_name = config.value("cluster_name", "kubesim");
  const auto tokens = config.value("tokens", Json::array());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string user = tokens[i].at("user");
    KubeconfigParams q = p;
    q.user_name = user;
    // The first token is the sandbox's main identity: its file is plain `kubeconfig`.
    const std::string file = i == 0 ? "kubeconfig" : "kubeconfig-" + user;
    write_atomically(state_dir / file, token_kubeconfig(q, tokens[i].at("token")), 0600);
  }
  if (!pki.clients.empty()) {
    const auto& [cert, key] = pki.clients.begin()->second;
    write_atomically(state_dir / "kubeconfig-cert", client_cert_kubeconfig(p, cert, key), 0600);
  }
  if (config.contains("exec")) {
    const Json& e = config["exec"];
    for (const auto& [suffix, version] :
         {std::pair{"", "client.authentication.k8s.io/v1beta1"},
          std::pair{"-v1", "client.authentication.k8s.io/v1"}}) {
      const fs::path script = state_dir / fmt::format("exec-plugin{}.sh", suffix);
      write_atomically(script, exec_plugin_script(e.at("token"), version, e.value("expires_in", 900)),
                       0755);
      write_atomically(state_dir / fmt::format("kubeconfig-exec{}", suffix),
                       exec_kubeconfig(p, script, version, {}), 0600);
    }
  }
  if (config.contains("eks")) {
    const Json& e = config["eks"];
    write_atomically(state_dir / "kubeconfig-eks",
                     eks_kubeconfig(p, e.value("cluster", "sandbox"), e.value("region", "us-east-1"),
                                    pairs(e.value("env", Json()))),
                     0600);
  }
}

Simulator::Simulator(const Json& config) : parts_(std::make_unique<Parts>()) {
  Parts& p = *parts_;
  p.config = config;
  p.state_dir = config.at("state_dir").get<std::string>();
  fs::create_directories(p.state_dir / "logs");
  std::vector<ClientIdentity> clients;
  for (const auto& u : config.value("certificate_users", Json::array())) {
    clients.push_back({u.at("user"), strings(u.value("groups", Json())), "client-" + u.at("user").get<std::string>()});
  }
  p.pki = create_pki(p.state_dir / "pki", clients);
  p.configure_access();
  p.seed();

  ServerOptions options;
  options.host = config.value("host", "127.0.0.1");
  options.port = config.value("port", 0);
  options.log_root = p.state_dir / "logs";
  const Pki pki = p.pki;
  options.setup_tls = [pki](void* ctx) { return configure_server_ctx(*static_cast<SSL_CTX*>(ctx), pki); };
  options.peer_identity = [](const void* ssl) -> std::optional<Identity> {
    auto id = peer_identity(static_cast<const SSL*>(ssl));
    if (!id) return std::nullopt;
    return Identity{id->user, id->groups};
  };
  p.server = std::make_unique<ApiServer>(p.store, p.access, options);
  p.server->start();

  p.gc = std::make_unique<GarbageCollector>(p.store);
  p.gc->start();
  JobControllerConfig jc;
  jc.pod_backoff = ms(config.value("job_controller", Json()), "pod_backoff_ms", jc.pod_backoff);
  jc.max_pod_backoff = ms(config.value("job_controller", Json()), "max_pod_backoff_ms", jc.max_pod_backoff);
  p.jobs = std::make_unique<JobController>(p.store, jc);
  p.jobs->start();

  KubeletConfig kc;
  kc.log_root = options.log_root;
  for (const auto& image : config.value("images", Json::array())) {
    ImageMapping m;
    m.repository = image.at("repository");
    m.root = image.value("root", "/");
    m.entrypoint = strings(image.value("entrypoint", Json()));
    m.env = pairs(image.value("env", Json()));
    kc.images.push_back(m);
  }
  kc.base_env = pairs(config.value("base_env", Json()));
  kc.base_env.emplace_back("KUBERNETES_SERVICE_HOST", "127.0.0.1");
  kc.base_env.emplace_back("KUBERNETES_SERVICE_PORT", std::to_string(p.server->port()));
  const Json k = config.value("kubelet", Json());
  kc.restart_backoff = ms(k, "restart_backoff_ms", kc.restart_backoff);
  kc.max_restart_backoff = ms(k, "max_restart_backoff_ms", kc.max_restart_backoff);
  p.kubelet = std::make_unique<Kubelet>(p.store, kc);
  p.kubelet->start();

  // etcd's compaction (the API server asks for one every 5 minutes): continue tokens and watch
  // resume points older than it answer 410 Expired.
  const auto interval = std::chrono::seconds(config.value("compaction_interval_seconds", 300));
  p.compactor = std::thread([&p, interval] {
    std::unique_lock lock(p.compactor_mu);
    while (!p.compactor_cv.wait_for(lock, interval, [&] { return p.stopping; })) p.store.compact();
  });

  p.write_kubeconfigs();
  write_atomically(p.state_dir / "ready",
                   Json{{"port", p.server->port()}, {"server", p.url()},
                        {"ca", p.pki.ca_cert.string()}}.dump() + "\n",
                   0644);
}

Simulator::~Simulator() { stop(); }

int Simulator::port() const { return parts_->server->port(); }

std::string Simulator::server_url() const { return parts_->url(); }

void Simulator::stop() {
  if (!parts_) return;
  {
    std::lock_guard lock(parts_->compactor_mu);
    parts_->stopping = true;
  }
  parts_->compactor_cv.notify_all();
  if (parts_->compactor.joinable()) parts_->compactor.join();
  if (parts_->server) parts_->server->stop();
  if (parts_->kubelet) parts_->kubelet->stop();
  if (parts_->jobs) parts_->jobs->stop();
  if (parts_->gc) parts_->gc->stop();
  parts_->store.notify_all();
}

}  // namespace mgate::kubesim
