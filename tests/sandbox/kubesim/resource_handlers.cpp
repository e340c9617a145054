// The REST verbs on resources: list, get, create, update, patch, delete.

#include <fmt/format.h>

#include <openssl/evp.h>

#include <chrono>

#include "tests/sandbox/kubesim/api_handlers.hpp"
#include "tests/sandbox/kubesim/deletion.hpp"
#include "tests/sandbox/kubesim/job_admission.hpp"
#include "tests/sandbox/kubesim/selector.hpp"
#include "tests/sandbox/kubesim/table.hpp"

namespace mgate::kubesim {

std::string query(const httplib::Request& req, const std::string& key) {
  return req.has_param(key.c_str()) ? req.get_param_value(key.c_str()) : std::string();
}

bool query_flag(const httplib::Request& req, const std::string& key) {
  const std::string v = query(req, key);
  return v == "true" || v == "1";
}

void write_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-cache, private");
  res.set_content(body.dump(), "application/json");
}

bool wants_table(const httplib::Request& req) {
  const std::string accept = req.get_header_value("Accept");
  return accept.find("as=Table") != std::string::npos;
}

void disable_compression(const httplib::Request& req) {
  // httplib decides on compression from the request's headers after the handler returns; the
  // handler's request is the server's own object, so dropping the header here is safe.
  const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
}

Json as_list_item(const ResourceInfo& info, Json object) {
  if (info.group != "argoproj.io") {
    object.erase("apiVersion");
    object.erase("kind");
  }
  return object;
}

namespace {

const char* kDryRunAll = "All";

bool dry_run(const httplib::Request& req, const Json& options = Json::object()) {
  const std::string q = query(req, "dryRun");
  if (!q.empty() && q != kDryRunAll) {
    throw bad_request(fmt::format("Invalid dryRun value: [{}]", q));
  }
  if (q == kDryRunAll) return true;
  const Json& list = options.is_object() ? options.value("dryRun", Json::array()) : Json::array();
  return std::find(list.begin(), list.end(), kDryRunAll) != list.end();
}

Json parse_body(const httplib::Request& req) {
  try {
    Json body = Json::parse(req.body);
    if (!body.is_object()) throw bad_request("the body of the request was in an unknown format");
    return body;
  } catch (const Json::parse_error& e) {
    throw bad_request(fmt::format("error decoding request body: {}", e.what()));
  }
}

void require_namespace(ObjectStore& store, const std::string& ns) {
  if (!ns.empty() && !store.get(kNamespaces, "", ns)) throw not_found("namespaces", "", ns);
}

std::int64_t parse_limit(const httplib::Request& req) {
  const std::string text = query(req, "limit");
  if (text.empty()) return 0;
  try {
    return std::stoll(text);
  } catch (const std::exception&) {
    throw bad_request(fmt::format("invalid limit: {}", text));
  }
}

std::string list_kind(const ResourceInfo& info) { return info.kind + "List"; }

// What the server sets on every create before admission: the server-owned metadata goes,
// the manager that wrote the object is recorded.
void prepare_metadata(const ResourceInfo& info, Json& object, const std::string& ns,
                      const std::string& field_manager) {
  Json& meta = object["metadata"];
  if (!meta.is_object()) meta = Json::object();
  if (meta.contains("resourceVersion") && !meta["resourceVersion"].get<std::string>().empty()) {
    throw bad_request("resourceVersion should not be set on objects to be created");
  }
  for (const char* k : {"uid", "creationTimestamp", "generation", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "selfLink", "managedFields"}) {
    meta.erase(k);
  }
  if (info.namespaced) {
    const std::string body_ns = meta.value("namespace", "");
    if (!body_ns.empty() && body_ns != ns) {
      throw bad_request("the namespace of the provided object does not match the namespace "
                        "sent on the request");
    }
    meta["namespace"] = ns;
  }
  // The name is generated before admission, so defaulting sees it (job-name labels).
  if (meta.value("name", "").empty() && !meta.value("generateName", "").empty()) {
    meta["name"] = generate_name(meta["generateName"].get<std::string>());
  }
  meta["uid"] = new_uid();
  meta["managedFields"] = Json::array({{{"manager", field_manager},
                                        {"operation", "Update"},
                                        {"apiVersion", info.api_version()},
                                        {"time", now_rfc3339()},
                                        {"fieldsType", "FieldsV1"},
                                        {"fieldsV1", Json::object()}}});
}

// Kind-specific create rules: the REST strategies' PrepareForCreate plus validation.
void admit(const ResourceInfo& info, Json& object) {
  const std::string key = info.key();
  Json& meta = object["metadata"];
  if (key == kJobs) {
    prepare_job_for_create(object);
    validate_job(object);
    object["status"] = Json::object();
    return;
  }
  if (!meta.contains("name") && !meta.contains("generateName")) {
    throw invalid(info.kind, info.group, "",
                  {{"metadata.name", "FieldValueRequired",
                    "Required value: name or generateName is required"}});
  }
  if (key == kNamespaces) {
    meta["labels"]["kubernetes.io/metadata.name"] = meta.value("name", "");
    object["spec"] = {{"finalizers", {"kubernetes"}}};
    object["status"] = {{"phase", "Active"}};
  } else if (key == kSecrets) {
    if (!object.contains("type")) object["type"] = "Opaque";
    if (object.contains("stringData")) {
      for (auto& [k, v] : object["stringData"].items()) {
        const std::string s = v.get<std::string>();
        std::string out(4 * ((s.size() + 2) / 3), '\0');
        out.resize(static_cast<std::size_t>(EVP_EncodeBlock(
            reinterpret_cast<unsigned char*>(out.data()),
            reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()))));
        object["data"][k] = out;
      }
      object.erase("stringData");
    }
  } else if (key == kPods) {
    object["status"] = {{"phase", "Pending"}, {"qosClass", "BestEffort"}};
  } else if (key == kDeployments) {
    object["status"] = Json::object();
  }
}

std::string field_manager(const httplib::Request& req, const std::string& fallback) {
  std::string fm = query(req, "fieldManager");
  if (!fm.empty()) return fm;
  // The server defaults the manager to the user agent's program name.
  const std::string ua = req.get_header_value("User-Agent");
  fm = ua.substr(0, ua.find('/'));
  return fm.empty() ? fallback : fm;
}

}  // namespace

void handle_list(HandlerContext& ctx, Call& call) {
  const ResourceInfo& info = *call.target.info;
  AccessControl::authorize(call.principal, "list", info, "", call.target.ns, "");
  const std::string key = info.key();
  const auto labels = LabelSelector::parse(query(call.req, "labelSelector"));
  const auto fields = FieldSelector::parse(query(call.req, "fieldSelector"), key);
  const auto keep = [&](const Json& o) {
    return labels.matches(o["metadata"].value("labels", Json())) && fields.matches(o);
  };
  ListPage page = ctx.store.list_page(key, call.target.ns, keep, parse_limit(call.req),
                                      query(call.req, "continue"));
  Json meta = {{"resourceVersion", std::to_string(page.rv)}};
  if (!page.continue_token.empty()) {
    meta["continue"] = page.continue_token;
    meta["remainingItemCount"] = page.remaining;
  }
  if (wants_table(call.req)) {
    write_json(call.res, 200,
               to_table(key, page.items, meta, parse_include_object(query(call.req, "includeObject")),
                        std::chrono::system_clock::now()));
    return;
  }
  Json items = Json::array();
  for (auto& o : page.items) items.push_back(as_list_item(info, std::move(o)));
  write_json(call.res, 200,
             {{"kind", list_kind(info)},
              {"apiVersion", info.api_version()},
              {"metadata", meta},
              {"items", std::move(items)}});
}

void handle_get(HandlerContext& ctx, Call& call) {
  const ResourceInfo& info = *call.target.info;
  AccessControl::authorize(call.principal, "get", info, call.target.subresource, call.target.ns,
                           call.target.name);
  Json object = ctx.store.get_or_throw(info.key(), call.target.ns, call.target.name);
  if (wants_table(call.req)) {
    write_json(call.res, 200,
               to_table(info.key(), object, parse_include_object(query(call.req, "includeObject")),
                        std::chrono::system_clock::now()));
    return;
  }
  write_json(call.res, 200, object);
}

void handle_create(HandlerContext& ctx, Call& call) {
  const ResourceInfo& info = *call.target.info;
  AccessControl::authorize(call.principal, "create", info, "", call.target.ns, "");
  if (!call.target.name.empty() || !call.target.subresource.empty()) {
    throw method_not_allowed("POST");
  }
  Json object = parse_body(call.req);
  const std::string api_version = object.value("apiVersion", info.api_version());
  if (api_version != info.api_version()) {
    throw bad_request(fmt::format(
        "the API version in the data ({}) does not match the expected API version ({})",
        api_version, info.api_version()));
  }
  const std::string kind = object.value("kind", info.kind);
  if (kind != info.kind) {
    throw bad_request(fmt::format("the kind in the data ({}) does not match the expected kind ({})",
                                  kind, info.kind));
  }
  object["apiVersion"] = info.api_version();
  object["kind"] = info.kind;
  if (info.namespaced) require_namespace(ctx.store, call.target.ns);
  prepare_metadata(info, object, call.target.ns, field_manager(call.req, "unknown"));
  admit(info, object);
  if (dry_run(call.req)) {
    // A dry run answers as the create would, without storing or taking a resourceVersion.
    if (ctx.store.get(info.key(), call.target.ns, object["metadata"].value("name", ""))) {
      throw already_exists(info.plural, info.group, object["metadata"].value("name", ""));
    }
    object["metadata"]["creationTimestamp"] = now_rfc3339();
    if (info.key() != kPods && info.key() != kSecrets && info.key() != kConfigMaps &&
        info.key() != kEvents && info.key() != kNamespaces) {
      object["metadata"]["generation"] = 1;
    }
    write_json(call.res, 201, object);
    return;
  }
  write_json(call.res, 201, ctx.store.create(info.key(), std::move(object)));
}

namespace {

// The part of an object a verb may change: the status subresource changes status only, the
// main resource everything but status (for kinds with a status subresource).
Json apply_scope(const ResourceInfo& info, const std::string& subresource, const Json& current,
                 Json wanted) {
  const bool has_status = std::find(info.subresources.begin(), info.subresources.end(),
                                    "status") != info.subresources.end();
  Json result = current;
  if (subresource == "status") {
    result["status"] = wanted.value("status", Json::object());
  } else {
    wanted["metadata"]["uid"] = current["metadata"]["uid"];
    wanted["metadata"]["creationTimestamp"] = current["metadata"]["creationTimestamp"];
    if (current["metadata"].contains("generation")) {
      wanted["metadata"]["generation"] = current["metadata"]["generation"];
    }
    if (has_status) wanted["status"] = current.value("status", Json::object());
    result = wanted;
  }
  return result;
}

}  // namespace

void handle_update(HandlerContext& ctx, Call& call) {
  const ResourceInfo& info = *call.target.info;
  AccessControl::authorize(call.principal, "update", info, call.target.subresource,
                           call.target.ns, call.target.name);
  Json wanted = parse_body(call.req);
  const std::string rv = wanted["metadata"].value("resourceVersion", "");
  Json result = ctx.store.update(info.key(), call.target.ns, call.target.name, [&](Json& cur) {
    if (!rv.empty() && rv != cur["metadata"].value("resourceVersion", "")) {
      throw conflict(info.plural, info.group, call.target.name,
                     "the object has been modified; please apply your changes to the latest "
                     "version and try again");
    }
    Json next = apply_scope(info, call.target.subresource, cur, wanted);
    next["apiVersion"] = info.api_version();
    next["kind"] = info.kind;
    next["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"];
    if (next == cur) return false;
    cur = std::move(next);
    return true;
  });
  write_json(call.res, 200, result);
}

void handle_patch(HandlerContext& ctx, Call& call) {
  const ResourceInfo& info = *call.target.info;
  AccessControl::authorize(call.principal, "patch", info, call.target.subresource,
                           call.target.ns, call.target.name);
  const std::string type = call.req.get_header_value("Content-Type");
  if (type.rfind("application/merge-patch+json", 0) != 0 &&
      type.rfind("application/strategic-merge-patch+json", 0) != 0) {
    throw ApiError(415, "UnsupportedMediaType",
                   fmt::format("the body of the request was in an unknown format - accepted "
                               "media types include: application/merge-patch+json, "
                               "application/strategic-merge-patch+json; got {}",
                               type));
  }
  const Json patch = parse_body(call.req);
  Json result = ctx.store.update(info.key(), call.target.ns, call.target.name, [&](Json& cur) {
    Json patched = cur;
    patched.merge_patch(patch);
    Json next = apply_scope(info, call.target.subresource, cur, patched);
    next["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"];
    if (next == cur) return false;
    cur = std::move(next);
    return true;
  });
  write_json(call.res, 200, result);
}

void handle_delete(HandlerContext& ctx, Call& call) {
  const ResourceInfo& info = *call.target.info;
  AccessControl::authorize(call.principal, "delete", info, "", call.target.ns, call.target.name);
  if (call.target.name.empty()) throw method_not_allowed("DELETE");
  Json options = call.req.body.empty() ? Json::object() : parse_body(call.req);
  std::string policy_text = options.value("propagationPolicy", query(call.req, "propagationPolicy"));
  if (options.value("orphanDependents", false)) policy_text = "Orphan";
  const Propagation policy =
      policy_text.empty() ? default_propagation(info.key()) : parse_propagation(policy_text);
  std::optional<std::int64_t> grace;
  if (options.contains("gracePeriodSeconds")) grace = options["gracePeriodSeconds"].get<std::int64_t>();
  if (!query(call.req, "gracePeriodSeconds").empty()) {
    grace = std::stoll(query(call.req, "gracePeriodSeconds"));
  }
  Json current = ctx.store.get_or_throw(info.key(), call.target.ns, call.target.name);
  const Json& pre = options.value("preconditions", Json::object());
  if (pre.contains("uid") && pre["uid"] != current["metadata"]["uid"]) {
    throw conflict(info.plural, info.group, call.target.name,
                   fmt::format("Precondition failed: UID in precondition: {}, UID in object meta: {}",
                               pre["uid"].get<std::string>(),
                               current["metadata"].value("uid", "")));
  }
  if (dry_run(call.req, options)) {
    write_json(call.res, 200, current);
    return;
  }
  Json out = delete_object(ctx.store, info.key(), call.target.ns, call.target.name, policy, grace);
  const bool gone = !ctx.store.get(info.key(), call.target.ns, call.target.name);
  if (!gone) {
    write_json(call.res, 202, out);  // deletion in progress: the object as marked
  } else if (info.key() == kPods) {
    write_json(call.res, 200, out);  // the pod store returns the deleted object
  } else {
    Json details = {{"name", call.target.name},
                    {"kind", info.plural},
                    {"uid", current["metadata"].value("uid", "")}};
    if (!info.group.empty()) details["group"] = info.group;
    write_json(call.res, 200,
               {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
                {"status", "Success"}, {"details", details}});
  }
}

}  // namespace mgate::kubesim
