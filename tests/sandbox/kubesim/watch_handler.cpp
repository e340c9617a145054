// Watch streams: newline-delimited {"type","object"} events over a chunked response, resumable
// from a resourceVersion, filtered by namespace and selectors as the watch cache filters them
// (an object that stops matching is DELETED for the watcher, one that starts matching ADDED).

#include <fmt/format.h>

#include <memory>
#include <set>

#include "tests/sandbox/kubesim/api_handlers.hpp"
#include "tests/sandbox/kubesim/selector.hpp"

namespace mgate::kubesim {

namespace {

struct WatchState {
  std::string key;
  std::string ns;
  LabelSelector labels;
  FieldSelector fields;
  std::uint64_t rv = 0;
  std::set<std::string> visible;  // uids the watcher currently sees
  std::string pending;            // encoded events not yet written
  std::chrono::steady_clock::time_point deadline;
  bool finished = false;
};

std::string encode(const char* type, const Json& object) {
  return Json{{"type", type}, {"object", object}}.dump() + "\n";
}

bool matches(const WatchState& w, const Json& object) {
  const Json& meta = object["metadata"];
  if (!w.ns.empty() && meta.value("namespace", "") != w.ns) return false;
  return w.labels.matches(meta.value("labels", Json())) && w.fields.matches(object);
}

// The event a watcher sees for one change, if any.
void translate(WatchState& w, const Change& change) {
  const std::string uid = change.object["metadata"].value("uid", "");
  // A watch resumed from a resourceVersion starts with the objects that match when it opens, not
  // those that matched at that version: an object created since is not visible yet (it is
  // ADDED), and one deleted since is judged by its last state, as the API server's cache does.
  if (change.type == ChangeType::kAdded) w.visible.erase(uid);
  const bool was = w.visible.count(uid) > 0;
  if (change.type == ChangeType::kDeleted) {
    if (was || matches(w, change.object)) {
      w.visible.erase(uid);
      w.pending += encode("DELETED", change.object);
    }
    return;
  }
  const bool is = matches(w, change.object);
  if (is && !was) {
    w.visible.insert(uid);
    w.pending += encode("ADDED", change.object);
  } else if (is && was) {
    w.pending += encode("MODIFIED", change.object);
  } else if (!is && was) {
    w.visible.erase(uid);
    w.pending += encode("DELETED", change.object);
  }
}

std::uint64_t parse_rv(const std::string& text) {
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    throw bad_request(fmt::format("invalid resource version: {}", text));
  }
}

}  // namespace

void handle_watch(HandlerContext& ctx, Call& call) {
  const ResourceInfo& info = *call.target.info;
  AccessControl::authorize(call.principal, "watch", info, "", call.target.ns, "");
  auto w = std::make_shared<WatchState>();
  w->key = info.key();
  w->ns = call.target.ns;
  w->labels = LabelSelector::parse(query(call.req, "labelSelector"));
  std::string field_text = query(call.req, "fieldSelector");
  if (!call.target.name.empty()) {
    // A watch on a single object path watches that name.
    field_text = "metadata.name=" + call.target.name + (field_text.empty() ? "" : "," + field_text);
  }
  w->fields = FieldSelector::parse(field_text, info.key());
  const std::string timeout = query(call.req, "timeoutSeconds");
  const long seconds = timeout.empty() ? 1800 : std::min(1800L, std::stol(timeout));
  w->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);

  const std::string rv_text = query(call.req, "resourceVersion");
  if (rv_text.empty() || rv_text == "0" || query_flag(call.req, "sendInitialEvents")) {
    // Start from "now": the current objects arrive as ADDED first.
    const ListPage page = ctx.store.list_page(
        w->key, w->ns, [&](const Json& o) { return matches(*w, o); }, 0, "");
    w->rv = page.rv;
    for (const Json& o : page.items) {
      w->visible.insert(o["metadata"].value("uid", ""));
      w->pending += encode("ADDED", o);
    }
    if (query_flag(call.req, "sendInitialEvents")) {
      w->pending += encode("BOOKMARK",
                           {{"kind", info.kind},
                            {"apiVersion", info.api_version()},
                            {"metadata",
                             {{"resourceVersion", std::to_string(page.rv)},
                              {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}});
    }
  } else {
    w->rv = parse_rv(rv_text);
    // Objects that match now are those the watcher already knows from its list.
    for (const Json& o : ctx.store.list(w->key, w->ns)) {
      if (matches(*w, o)) w->visible.insert(o["metadata"].value("uid", ""));
    }
  }

  HandlerContext* c = &ctx;
  disable_compression(call.req);
  call.res.status = 200;
  call.res.set_header("Cache-Control", "no-cache, private");
  call.res.set_chunked_content_provider(
      "application/json", [w, c](std::size_t, httplib::DataSink& sink) {
        if (!sink.is_writable()) return false;
        if (!w->pending.empty()) {
          const std::string out = std::move(w->pending);
          w->pending.clear();
          if (!sink.write(out.data(), out.size())) return false;
        }
        if (w->finished || c->stopping || std::chrono::steady_clock::now() >= w->deadline) {
          sink.done();
          return true;
        }
        try {
          for (const Change& change :
               c->store.changes_since(w->key, w->rv, std::chrono::milliseconds(250))) {
            w->rv = change.rv;
            translate(*w, change);
          }
        } catch (const ApiError& e) {
          // The watch cache reports a resume point older than its history in the stream.
          w->pending += encode("ERROR", e.status());
          w->finished = true;
        }
        return true;
      });
}

}  // namespace mgate::kubesim
