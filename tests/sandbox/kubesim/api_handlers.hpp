#pragma once
// Internal to the API server: one parsed request and the handlers for each verb.

#include <atomic>
#include <chrono>
#include <string>

#include <httplib.h>

#include "tests/sandbox/kubesim/access.hpp"
#include "tests/sandbox/kubesim/api_server.hpp"
#include "tests/sandbox/kubesim/object_store.hpp"
#include "tests/sandbox/kubesim/request_target.hpp"

namespace mgate::kubesim {

/// What every handler needs.
struct HandlerContext {
  ObjectStore& store;
  const ServerOptions& options;
  const std::atomic<bool>& stopping;
};

/// One authenticated request on a resource path.
struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  const Principal& principal;
  const RequestTarget& target;
};

/// A query parameter, or "" when absent.
std::string query(const httplib::Request& req, const std::string& key);
/// True for "true", "1" (how the server reads boolean query parameters).
bool query_flag(const httplib::Request& req, const std::string& key);
/// Writes a JSON body with the status code.
void write_json(httplib::Response& res, int status, const Json& body);
/// True when the Accept header asks for a meta.k8s.io Table.
bool wants_table(const httplib::Request& req);
/// An object as a list item: built-in kinds drop apiVersion and kind there, as the real
/// server's typed lists do; custom resources keep them.
Json as_list_item(const ResourceInfo& info, Json object);

/// Keeps a streamed response uncompressed. cpp-httplib gzips any JSON or text response whose
/// client accepts gzip (Go's client always does), and its compressor holds chunked data back
/// until the stream ends; the real API server never compresses a watch or a log stream.
void disable_compression(const httplib::Request& req);

/// GET on a collection (not a watch).
void handle_list(HandlerContext& ctx, Call& call);
/// GET on an object.
void handle_get(HandlerContext& ctx, Call& call);
/// POST on a collection.
void handle_create(HandlerContext& ctx, Call& call);
/// PUT on an object or its status.
void handle_update(HandlerContext& ctx, Call& call);
/// PATCH (merge patch) on an object or its status.
void handle_patch(HandlerContext& ctx, Call& call);
/// DELETE on an object.
void handle_delete(HandlerContext& ctx, Call& call);
/// GET with watch=1: a stream of watch events.
void handle_watch(HandlerContext& ctx, Call& call);
/// GET pods/NAME/log.
void handle_log(HandlerContext& ctx, Call& call);

}  // namespace mgate::kubesim
