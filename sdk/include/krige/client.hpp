// The REST client: a Client is a cheap value over a shared Transport. The HTTP transport is
// one keep-alive connection (Boost.Beast, kept out of this header); tests substitute their own
// Transport to script responses.
//
// Errors: a non-2xx answer throws krige::Error with the code named in the body
// ({"error":{"code","message","field"}}), or krige::ValidationError listing every problem when
// the body has "problems"; a server that cannot be reached throws Error(kUnavailable) naming
// the URL. Nothing else is thrown except std::bad_alloc.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krige/codec.hpp"
#include "krige/error.hpp"
#include "krige/spec.hpp"
#include "krige/trial.hpp"

namespace krige {

struct HttpRequest {
  std::string method = "GET";  // GET, POST, ...
  std::string target;          // path and query, e.g. "/api/v1/experiments?limit=10"
  std::string body;            // sent with Content-Type: application/json when not empty
  std::map<std::string, std::string> headers;  // extra headers (e.g. Authorization)
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

// Sends one request and returns the server's answer, whatever its status.
// Thread-safety: implementations must allow concurrent Send calls (the HTTP transport
// serializes them over its one connection). Throws Error(kUnavailable) when the server cannot
// be reached or does not answer within the timeout.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual HttpResponse Send(const HttpRequest& request) = 0;
};

// An HTTP/1.1 transport to `base_url` ("http://127.0.0.1:8080", optionally with a path prefix
// that is prepended to every target). Keeps the connection alive between requests and
// reconnects once, transparently, when the server has dropped an idle connection. `timeout`
// bounds connect, write and read of each request. Throws Error(kInvalidArgument) for a URL that
// is not http://host[:port][/prefix] (https is not supported).
std::shared_ptr<Transport> MakeHttpTransport(
    const std::string& base_url, std::chrono::milliseconds timeout = std::chrono::seconds(30));

enum class TrialSort {
  kNumber,      // oldest first
  kNumberDesc,  // newest first
  kValue,       // best objective first (completed trials; the server knows the goal)
};

// A dataset stored on the server (POST /api/v1/datasets), named by the SHA-256 of its bytes.
struct DatasetInfo {
  std::string sha256;  // lower-case hex
  std::string name;    // of its latest upload
  std::int64_t size = 0;
  std::string created_at;
};

// Thread-safety: as safe as its Transport (the HTTP one is); copies share the transport.
class Client {
 public:
  explicit Client(std::shared_ptr<Transport> transport);
  // Shorthand for Client(MakeHttpTransport(base_url, timeout)).
  static Client Connect(const std::string& base_url,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // POST /api/v1/experiments. Throws ValidationError when the server rejects the spec.
  Experiment CreateExperiment(const ExperimentSpec& spec) const;
  Experiment GetExperiment(std::int64_t id) const;
  // The experiment as the server sent it, including fields this SDK does not model yet.
  Json GetExperimentJson(std::int64_t id) const;
  // Follows next_cursor until `limit` experiments (0: all) have been read.
  std::vector<Experiment> ListExperiments(int limit = 0) const;
  // Follows next_cursor until `limit` trials (0: all) have been read, optionally only those in
  // `state`.
  std::vector<Trial> ListTrials(std::int64_t experiment_id, TrialSort sort = TrialSort::kNumber,
                                int limit = 0,
                                std::optional<TrialState> state = std::nullopt) const;
  // The best completed trial, or nullopt when there is none yet. Throws Error(kNotFound) when
  // the experiment does not exist.
  std::optional<Trial> Best(std::int64_t experiment_id) const;
  // POST /api/v1/datasets?name=NAME with the file's bytes. Idempotent: the same bytes give
  // the same sha256 (a spec then names the dataset "sha256:<hex>" or "name:<name>").
  DatasetInfo UploadDataset(const std::string& name, const std::string& bytes) const;
  // The server's description of a dataset, or nullopt when it has none with that hash.
  std::optional<DatasetInfo> FindDataset(const std::string& sha256) const;
  // The bytes of a dataset (not checked against the hash here: callers that care do that).
  // Throws Error(kNotFound) for an unknown hash.
  std::string DownloadDataset(const std::string& sha256) const;
  // True when GET /healthz answers 200; never throws.
  bool Healthy() const;

 private:
  Json Call(const std::string& method, const std::string& target, const std::string& body,
            const std::string& content_type = "") const;
  std::shared_ptr<Transport> transport_;
};

// The exception a non-2xx response stands for (Error or ValidationError), as a thrown
// exception. Exposed for transports and tests; Client calls it on every non-2xx answer.
[[noreturn]] void ThrowHttpError(const HttpResponse& response);

}  // namespace krige
