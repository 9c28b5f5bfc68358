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
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krige/codec.hpp"
#include "krige/error.hpp"
#include "krige/role.hpp"
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

// What a streamed answer is handed to (Transport::Stream).
struct StreamHandlers {
  // The status and headers, when they have arrived (before any on_data); false stops. May be
  // empty.
  std::function<bool(const HttpResponse& head)> on_head;
  // Each piece of a 2xx answer's body as it arrives; false stops the stream.
  std::function<bool(const char* data, std::size_t size)> on_data;
  // Called about every `tick` while the stream is open (also when nothing arrives); false
  // stops it. May be empty.
  std::function<bool()> on_tick;
  std::chrono::milliseconds tick{200};
  // No byte for this long (heartbeats included) means the connection is dead: Stream throws
  // Error(kUnavailable). 0: the transport's timeout.
  std::chrono::milliseconds idle_timeout{0};
};

// Sends one request and returns the server's answer, whatever its status.
// Thread-safety: implementations must allow concurrent Send calls (the HTTP transport
// serializes them over its one connection). Throws Error(kUnavailable) when the server cannot
// be reached or does not answer within the timeout.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual HttpResponse Send(const HttpRequest& request) = 0;
  // Sends `request` and hands the body of a 2xx answer to `handlers.on_data` as it arrives,
  // until the server ends it (Stream returns) or a handler returns false (Stream returns
  // early). The returned response has the status and headers; its body is empty for a 2xx
  // answer and holds the (bounded) body otherwise, when on_data is not called. Throws
  // Error(kUnavailable) when the server cannot be reached, the connection drops mid-body or
  // stays silent past the idle timeout; exceptions of the handlers propagate. The HTTP
  // transport streams over a connection of its own, so Send can be called meanwhile (also from
  // the handlers). This default, for transports that cannot stream, is Send with the whole
  // body handed over at once.
  virtual HttpResponse Stream(const HttpRequest& request, const StreamHandlers& handlers);
};

// An HTTP/1.1 transport to `base_url` ("http://127.0.0.1:8080", optionally with a path prefix
// that is prepended to every target). Keeps the connection alive between requests and
// reconnects once, transparently, when the server has dropped an idle connection. `timeout`
// bounds connect, write and read of each request. A non-empty `token` goes with every request
// as "Authorization: Bearer <token>" (unless the request sets Authorization itself). An
// https:// URL speaks TLS and verifies the server's certificate and name against `ca_file`
// (PEM), else $KRIGE_CACERT, else the system's CA certificates. Throws Error(kInvalidArgument)
// for a URL that is not http(s)://host[:port][/prefix] or a CA file that cannot be loaded.
std::shared_ptr<Transport> MakeHttpTransport(
    const std::string& base_url, std::chrono::milliseconds timeout = std::chrono::seconds(30),
    const std::string& token = "", const std::string& ca_file = "");

// The token a client uses for `base_url` when none is given: $KRIGE_TOKEN when set, else, for
// a server on this machine (host localhost, 127.0.0.1 or [::1]), the first line of the local
// stack's token file that `krige up` keeps ($KRIGE_TOKEN_FILE, else $KRIGE_HOME/token, else
// ${XDG_DATA_HOME:-~/.local/share}/krige/token; /var/lib/krige/token as root). "" when there is
// none. The file is never sent to another machine's server.
std::string DefaultToken(const std::string& base_url);

// The local stack's token file (see DefaultToken); "" when no directory can be chosen.
std::string DefaultTokenFile();

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

// An API token as the server lists it (never its secret).
struct TokenInfo {
  std::int64_t id = 0;
  std::string name;
  Role role = Role::kRead;
  std::string created_at;
  std::string last_used_at;  // "" when never used
  std::string revoked_at;    // "" while active
};

// A token just created: `secret` is shown this once and stored by the server only as a hash.
struct CreatedToken {
  TokenInfo info;
  std::string secret;
};

// A worker as GET /api/v1/workers lists it.
struct WorkerInfo {
  std::string id;
  std::string hostname;
  int slots = 0;
  std::string version;
  std::string state;       // "alive" or "lost"
  std::string first_seen;  // ISO 8601 UTC
  std::string last_seen;
  int running = 0;                 // trials running on it now
  int done = 0;                    // trials it finished (completed or failed)
  std::vector<std::string> kinds;  // what it runs: cv, command, function:NAME
};

// One event of GET /api/v1/events: a trial's state after a change, and the change's sequence
// number (the event's id).
struct TrialEvent {
  std::int64_t seq = 0;
  Trial trial;  // id, number, state, value, params, attempt, worker, error, times
};

// Client::StreamTrials' knobs; the defaults suit a person watching.
struct TrialStreamOptions {
  // Called when a connection's 200 header has arrived, i.e. when the server has fixed the
  // position the stream starts from: anything read after this call that changes later comes
  // as an event. False stops the stream. May be empty.
  std::function<bool()> on_open;
  // Called about every `tick` while waiting (connected or between reconnects); false stops.
  std::function<bool()> on_tick;
  std::chrono::milliseconds tick{200};
  // Silence this long (the server sends a comment every 15 s) means a dead connection.
  std::chrono::milliseconds idle_timeout{45000};
  // Pause before reconnecting after a connection that delivered nothing (one that delivered
  // something is resumed at once).
  std::chrono::milliseconds retry{1000};
  // Consecutive connections that fail (unreachable, 502/503/504, dropped before any byte)
  // before StreamTrials gives up with the last error.
  int max_failures = 20;
  std::size_t max_line = 1u << 20;   // bytes of one line of the stream
  std::size_t max_event = 4u << 20;  // bytes of one event's data
};

// Thread-safety: as safe as its Transport (the HTTP one is); copies share the transport.
class Client {
 public:
  explicit Client(std::shared_ptr<Transport> transport);
  // Shorthand for Client(MakeHttpTransport(base_url, timeout, token)); without a token,
  // DefaultToken(base_url). Pass "" for no token at all.
  static Client Connect(const std::string& base_url,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30),
                        const std::optional<std::string>& token = std::nullopt,
                        const std::string& ca_file = "");

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
  // Control of an experiment (POST /api/v1/experiments/{id}/stop|pause|resume): each returns
  // the experiment as it is after the transition. Repeating a transition already made is not
  // an error. Throws Error(kNotFound) for an unknown id and Error(kFailedPrecondition) for a
  // transition the experiment's state does not allow (e.g. pausing a completed experiment).
  // Stop: running trials are told to stop (they end failed, "experiment stopped"), queued ones
  // are not run; the experiment ends `stopped`.
  Experiment Stop(std::int64_t id) const;
  // Pause: no new trials are handed out; running ones finish and are recorded.
  Experiment Pause(std::int64_t id) const;
  // Resume (from paused or stopped): the search continues where it was.
  Experiment Resume(std::int64_t id) const;
  // DELETE /api/v1/experiments/{id}: stops it if active and removes it with its trials.
  void Delete(std::int64_t id) const;
  // Follows GET /api/v1/events?experiment=ID: calls `callback` with each trial change after
  // `after` (a seq; nullopt: from when the stream opens), in seq order, each exactly once.
  // When the connection drops, the stream is reopened with Last-Event-ID set to the last seq
  // seen (the server's opening `id:` line counts), so nothing is missed; `callback` returns
  // false to stop. Returns the last seq seen (that of the last event, or the stream's opening
  // position). Blocks the calling thread; `callback` runs on it.
  // Errors: a non-200 answer throws Error with the code the server named and a message naming
  // the status ("HTTP 404: ..."; 502/503/504 are retried first, see max_failures); a line
  // or event larger than its bound, Error(kPayloadTooLarge); a trial that does not decode,
  // Error(kInternal); a server unreachable for max_failures connections, Error(kUnavailable).
  // Exceptions of the callbacks propagate.
  std::int64_t StreamTrials(std::int64_t experiment_id, std::optional<std::int64_t> after,
                            const std::function<bool(const TrialEvent&)>& callback,
                            const TrialStreamOptions& options = {}) const;
  // Waits until experiment `id` is neither running nor paused and returns it as it ended
  // (completed, failed or stopped). It reads the experiment when the event stream
  // (StreamTrials) reports a change, at most every `poll`, and every 4 x `poll` regardless
  // (a pause or stop without running trials changes no trial); `progress` (when set) gets each
  // read. Against a server without the stream (404 or 501 on /api/v1/events) it polls every
  // `poll` instead. Errors of the calls propagate (e.g. kNotFound when it is deleted
  // meanwhile).
  Experiment Wait(std::int64_t id, const std::function<void(const Experiment&)>& progress = {},
                  std::chrono::milliseconds poll = std::chrono::milliseconds(500)) const;
  // POST /api/v1/datasets?name=NAME with the file's bytes. Idempotent: the same bytes give
  // the same sha256 (a spec then names the dataset "sha256:<hex>" or "name:<name>").
  DatasetInfo UploadDataset(const std::string& name, const std::string& bytes) const;
  // The server's description of a dataset, or nullopt when it has none with that hash.
  std::optional<DatasetInfo> FindDataset(const std::string& sha256) const;
  // The bytes of a dataset (not checked against the hash here: callers that care do that).
  // A worker passes the `capability` its ASSIGN carried (sent as X-Krige-Capability) instead
  // of a token. Throws Error(kNotFound) for an unknown hash.
  std::string DownloadDataset(const std::string& sha256, const std::string& capability = "") const;
  // Token management (admin): POST, GET and DELETE /api/v1/tokens.
  CreatedToken CreateToken(const std::string& name, Role role) const;
  std::vector<TokenInfo> ListTokens() const;
  TokenInfo RevokeToken(std::int64_t id) const;
  // GET /api/v1/experiments/{id}/trials/{number}: one trial with its per-step scores. Throws
  // Error(kNotFound) when the experiment or the trial does not exist.
  Trial GetTrial(std::int64_t experiment_id, int number) const;
  // GET /api/v1/workers, following next_cursor until `limit` workers (0: all): the connected
  // ones and those lost within the last hour, by id.
  std::vector<WorkerInfo> ListWorkers(int limit = 0) const;
  // True when GET /healthz answers 200; never throws.
  bool Healthy() const;
  // The transport this client sends through (the Tracker, tracker.hpp, sends its own batches).
  const std::shared_ptr<Transport>& transport() const { return transport_; }

 private:
  Json Call(const std::string& method, const std::string& target, const std::string& body,
            const std::string& content_type = "") const;
  std::shared_ptr<Transport> transport_;
};

// Percent-encodes `text` for one path segment or query value: every byte but letters, digits
// and "-_.~" becomes %XX. Cursors are opaque and may hold any byte.
std::string PercentEncode(const std::string& text);

// The exception a non-2xx response stands for (Error or ValidationError), as a thrown
// exception. Exposed for transports and tests; Client calls it on every non-2xx answer.
[[noreturn]] void ThrowHttpError(const HttpResponse& response);

}  // namespace krige
