// Client::StreamTrials and Client::Wait: GET /api/v1/events read as server-sent events over
// Transport::Stream, reopened with Last-Event-ID after a drop. No socket code here.
#include <algorithm>
#include <exception>
#include <thread>
#include <utility>

#include "krige/client.hpp"

namespace krige {
namespace {

using Clock = std::chrono::steady_clock;

// One dispatched block of the stream: `data` is empty for an id-only block (the server's
// opening position), which moves the resume point but is no event.
struct SseBlock {
  std::string id;
  bool has_id = false;
  std::string type;  // "message" when the block named none
  std::string data;
};

// The text/event-stream grammar (HTML Living Standard, "Server-sent events"): lines end in
// CR LF, LF or CR (also split across pieces); a blank line dispatches; a line starting with
// ':' is a comment; otherwise "field: value" with one optional space after the colon, several
// data lines joined by LF. Unknown fields are ignored. Lines and data are bounded.
class SseParser {
 public:
  SseParser(std::size_t max_line, std::size_t max_event)
      : max_line_(max_line), max_event_(max_event) {}

  // Feeds bytes; `dispatch(const SseBlock&)` returns false to stop (Feed then returns false).
  template <typename Dispatch>
  bool Feed(const char* data, std::size_t size, Dispatch&& dispatch) {
    for (std::size_t i = 0; i < size; ++i) {
      const char c = data[i];
      if (after_cr_) {
        after_cr_ = false;
        if (c == '\n') continue;
      }
      if (c == '\r' || c == '\n') {
        after_cr_ = c == '\r';
        if (!Line(dispatch)) return false;
        continue;
      }
      if (line_.size() >= max_line_)
        throw Error(ErrorCode::kPayloadTooLarge, "the event stream sent a line longer than " +
                                                     std::to_string(max_line_) + " bytes");
      line_ += c;
    }
    return true;
  }

 private:
  template <typename Dispatch>
  bool Line(Dispatch& dispatch) {
    if (line_.empty()) {
      SseBlock block;
      block.has_id = has_id_;
      block.id = id_;
      block.type = type_.empty() ? "message" : type_;
      block.data = std::move(data_);
      if (!block.data.empty()) block.data.pop_back();  // the LF after the last data line
      data_.clear();
      type_.clear();
      has_id_ = false;
      return dispatch(block);
    }
    if (line_[0] == ':') {
      line_.clear();
      return true;
    }
    const auto colon = line_.find(':');
    const std::string field = line_.substr(0, colon);
    std::string value;
    if (colon != std::string::npos) {
      value = line_.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    }
    line_.clear();
    if (field == "data") {
      if (data_.size() + value.size() + 1 > max_event_)
        throw Error(ErrorCode::kPayloadTooLarge, "the event stream sent an event larger than " +
                                                     std::to_string(max_event_) + " bytes");
      data_ += value;
      data_ += '\n';
    } else if (field == "event") {
      type_ = std::move(value);
    } else if (field == "id" && value.find('\0') == std::string::npos) {
      id_ = std::move(value);
      has_id_ = true;
    }
    return true;
  }

  const std::size_t max_line_;
  const std::size_t max_event_;
  bool after_cr_ = false;
  std::string line_;
  std::string data_;
  std::string type_;
  std::string id_;
  bool has_id_ = false;
};

std::optional<std::int64_t> ParseSeq(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool Retryable(int status) {
  return status == 502 || status == 503 || status == 504;
}

// The error of a non-200 answer to the stream, naming the status.
Error StatusError(const HttpResponse& response) {
  const std::string prefix = "event stream: HTTP " + std::to_string(response.status);
  try {
    ThrowHttpError(response);
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.compare(0, 5, "HTTP ") == 0) return Error(e.code(), "event stream: " + message);
    return Error(e.code(), prefix + ": " + message, e.field());
  }
  return Error(ErrorCode::kInternal, prefix);  // not reached: ThrowHttpError always throws
}

// Sleeps `d` in ticks; false when on_tick asked to stop.
bool Pause(std::chrono::milliseconds d, const TrialStreamOptions& options) {
  const auto until = Clock::now() + d;
  const auto tick = std::max(options.tick, std::chrono::milliseconds(1));
  while (Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(tick, until - Clock::now()));
    if (options.on_tick && !options.on_tick()) return false;
  }
  return true;
}

// StreamTrials over `transport`. With `unsupported` set, a 404 or 501 answer sets it and
// returns instead of throwing (Wait then polls).
std::int64_t StreamOver(Transport& transport, std::int64_t experiment_id,
                        std::optional<std::int64_t> after,
                        const std::function<bool(const TrialEvent&)>& callback,
                        const TrialStreamOptions& options, bool* unsupported) {
  std::optional<std::int64_t> last = after;
  int failures = 0;
  for (;;) {
    HttpRequest request;
    request.target = "/api/v1/events?experiment=" + std::to_string(experiment_id);
    request.headers["Accept"] = "text/event-stream";
    if (last) request.headers["Last-Event-ID"] = std::to_string(*last);

    SseParser parser(options.max_line, options.max_event);
    bool stopped = false;
    bool delivered = false;     // an event of this connection reached the callback
    std::exception_ptr raised;  // a callback's exception, rethrown as it was
    // Runs a callback of the caller; its exception stops the stream and is rethrown below,
    // never taken for a dropped connection.
    const auto guarded = [&](const auto& f) {
      try {
        if (f()) return true;
      } catch (...) {
        raised = std::current_exception();
      }
      stopped = true;
      return false;
    };
    StreamHandlers handlers;
    handlers.tick = options.tick;
    handlers.idle_timeout = options.idle_timeout;
    handlers.on_head = [&](const HttpResponse& head) {
      if (head.status != 200 || !options.on_open) return true;
      return guarded([&] { return options.on_open(); });
    };
    if (options.on_tick)
      handlers.on_tick = [&] { return guarded([&] { return options.on_tick(); }); };
    handlers.on_data = [&](const char* data, std::size_t size) {
      return parser.Feed(data, size, [&](const SseBlock& block) {
        const auto seq = block.has_id ? ParseSeq(block.id) : std::nullopt;
        if (block.data.empty()) {  // the opening position (or an empty event): resume from it
          if (seq && (!last || *seq > *last)) last = seq;
          return true;
        }
        if (block.type != "trial") return true;
        if (!seq)
          throw Error(ErrorCode::kInternal,
                      "the event stream sent a trial event without a sequence id (\"" +
                          block.id.substr(0, 40) + "\")");
        if (last && *seq <= *last) return true;  // seen already
        TrialEvent event;
        event.seq = *seq;
        try {
          event.trial = TrialFromJson(Json::parse(block.data));
        } catch (const std::exception& e) {
          throw Error(ErrorCode::kInternal, "malformed trial event " + std::to_string(*seq) +
                                                " from the event stream: " + e.what());
        }
        if (event.trial.experiment_id == 0) event.trial.experiment_id = experiment_id;
        last = *seq;
        delivered = true;
        return guarded([&] { return callback(event); });
      });
    };

    const auto opened_at = Clock::now();
    std::optional<Error> failure;
    try {
      const HttpResponse head = transport.Stream(request, handlers);
      if (raised) std::rethrow_exception(raised);
      if (stopped) return last.value_or(0);
      if (head.status != 200) {
        if (unsupported && (head.status == 404 || head.status == 501)) {
          *unsupported = true;
          return last.value_or(0);
        }
        if (!Retryable(head.status)) throw StatusError(head);
        failure = StatusError(head);
      }
      // A 200 that ended: the server closed the stream (shutting down, or a slow reader was
      // cut); resume where it stopped.
    } catch (const Error& e) {
      if (raised) std::rethrow_exception(raised);
      if (e.code() != ErrorCode::kUnavailable) throw;
      failure = e;
    }
    // A connection that delivered events, or lived as long as a healthy idle one, is resumed
    // at once; others count towards max_failures and wait `retry` first.
    const auto healthy =
        options.idle_timeout.count() > 0 ? options.idle_timeout : std::chrono::milliseconds(45000);
    if (delivered || Clock::now() - opened_at >= healthy) {
      failures = 0;
      continue;
    }
    if (++failures >= options.max_failures) {
      if (failure) throw *failure;
      throw Error(ErrorCode::kUnavailable,
                  "the event stream of experiment " + std::to_string(experiment_id) + " ended " +
                      std::to_string(failures) + " times without an event");
    }
    if (!Pause(options.retry, options)) return last.value_or(0);
  }
}

bool Ended(const Experiment& e) {
  return e.state != ExperimentState::kRunning && e.state != ExperimentState::kPaused;
}

}  // namespace

std::int64_t Client::StreamTrials(std::int64_t experiment_id, std::optional<std::int64_t> after,
                                  const std::function<bool(const TrialEvent&)>& callback,
                                  const TrialStreamOptions& options) const {
  return StreamOver(*transport_, experiment_id, after, callback, options, nullptr);
}

Experiment Client::Wait(std::int64_t id, const std::function<void(const Experiment&)>& progress,
                        std::chrono::milliseconds poll) const {
  Experiment e = GetExperiment(id);
  if (progress) progress(e);
  if (Ended(e)) return e;

  auto last_read = Clock::now();
  bool changed = false;  // an event arrived since the last read
  bool ended = false;
  const auto read = [&] {
    e = GetExperiment(id);
    last_read = Clock::now();
    changed = false;
    if (progress) progress(e);
    ended = Ended(e);
    return !ended;
  };
  TrialStreamOptions options;
  options.tick = std::clamp(poll, std::chrono::milliseconds(1), std::chrono::milliseconds(200));
  options.on_open = read;  // what changed before this connection's position
  options.on_tick = [&] {
    const auto since = Clock::now() - last_read;
    if ((changed && since >= poll) || since >= 4 * poll) return read();
    return true;
  };
  bool unsupported = false;
  StreamOver(
      *transport_, id, std::nullopt,
      [&](const TrialEvent&) {
        changed = true;
        return Clock::now() - last_read >= poll ? read() : true;
      },
      options, &unsupported);
  if (ended) return e;
  // No stream on this server: poll.
  for (;;) {
    std::this_thread::sleep_for(poll);
    e = GetExperiment(id);
    if (progress) progress(e);
    if (Ended(e)) return e;
  }
}

}  // namespace krige
