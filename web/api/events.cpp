// The live stream: GET /api/v1/events?experiment=ID (text/event-stream). Each event is one
// trial's state after a change:
//   id: <seq>\nevent: trial\ndata: {"id":..,"number":..,"state":..,"value":..,...}\n\n
// The stream opens with "id: <position>" (no data) so a client knows where it starts. A client
// resumes with Last-Event-ID: <seq> (or ?after=<seq>) and misses nothing: seq is assigned in
// commit order (migrations/0007_trial_seq.sql).
#include "krige/web/events.hpp"

#include <algorithm>
#include <map>

#include "decode.hpp"
#include "feed_handlers.hpp"
#include "krige/error.hpp"

namespace krige::web {

struct EventHub::Subscriber {
  std::int64_t experiment = 0;
  std::int64_t last = 0;  // the last seq sent
  std::shared_ptr<http::StreamSink> sink;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
};

EventHub::EventHub(service::TrialFeed& feed, EventHubOptions options)
    : feed_(feed), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

EventHub::~EventHub() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (auto& s : subscribers_)
    if (s->sink) s->sink->Close();
}

int EventHub::Streams() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(subscribers_.size());
}

http::Handler EventHub::Handler() {
  return [this](const http::Request& request) {
    const auto experiment = QueryParam(request, "experiment");
    if (!experiment)
      throw Error(ErrorCode::kInvalidArgument, "experiment is required (an experiment id)",
                  "experiment");
    const std::int64_t id = ParseSeq(*experiment, "experiment");
    if (id < 1)
      throw Error(ErrorCode::kInvalidArgument, "experiment must be an id (1 or more)",
                  "experiment");
    // Without a position: from now on. LastSeq also answers 404 for an unknown experiment.
    std::int64_t after = feed_.LastSeq(id);
    const auto header = request.headers.find("last-event-id");
    if (header != request.headers.end() && !header->second.empty())
      after = ParseSeq(header->second, "Last-Event-ID");
    else if (request.query.count("after"))
      after = QuerySeq(request, "after");

    // A slot is held from here until the stream ends (or the response is dropped unsent).
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (static_cast<int>(subscribers_.size()) + pending_ >= options_.max_streams)
        throw Error(ErrorCode::kUnavailable, "too many event streams open (" +
                                                 std::to_string(options_.max_streams) +
                                                 "); try again later");
      ++pending_;
    }
    struct Slot {
      EventHub* hub;
      ~Slot() {
        std::lock_guard<std::mutex> lock(hub->mutex_);
        --hub->pending_;
      }
    };
    auto slot = std::make_shared<Slot>(Slot{this});
    auto subscriber = std::make_shared<Subscriber>();
    subscriber->experiment = id;
    subscriber->last = after;

    http::Response response;
    response.content_type = "text/event-stream; charset=utf-8";
    response.headers["Cache-Control"] = "no-cache";
    response.headers["X-Accel-Buffering"] = "no";  // proxies: do not buffer the stream
    // First the position the stream starts from: an `id:` field without data sets the
    // client's last event id (EventSource's too) without dispatching an event, so a client
    // that connected "from now" can resume from here even if it drops before any change.
    response.body = "id: " + std::to_string(after) + "\nretry: 2000\n: experiment " +
                    std::to_string(id) + " after " + std::to_string(after) + "\n\n";
    response.stream = [this, slot, subscriber](std::shared_ptr<http::StreamSink> sink) {
      subscriber->sink = std::move(sink);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        subscribers_.push_back(subscriber);
      }
      wake_.notify_all();  // send what changed since `after` now
    };
    return response;
  };
}

void EventHub::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    lock.unlock();
    Poll();
    lock.lock();
    wake_.wait_for(lock, options_.poll);
  }
}

void EventHub::Poll() {
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                      [](const auto& s) { return s->sink->Closed(); }),
                       subscribers_.end());
    subscribers = subscribers_;
  }
  std::map<std::int64_t, std::vector<Subscriber*>> by_experiment;
  for (auto& s : subscribers) by_experiment[s->experiment].push_back(s.get());
  const auto now = std::chrono::steady_clock::now();
  for (auto& [experiment, subs] : by_experiment) {
    std::int64_t from = subs.front()->last;
    for (auto* s : subs) from = std::min(from, s->last);
    service::TrialChanges changes;
    try {
      changes = feed_.Changes(experiment, from, 1000);  // the rest on the next round
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kNotFound)  // the experiment was deleted: end its streams
        for (auto* s : subs) s->sink->Close();
      continue;  // the database is away: try again next round
    }
    std::vector<std::string> events;
    events.reserve(changes.rows.size());
    for (const auto& row : changes.rows)
      events.push_back("id: " + std::to_string(row.seq) + "\nevent: trial\ndata: " +
                       TrialRowJson(row).dump(-1, ' ', false, Json::error_handler_t::replace) +
                       "\n\n");
    for (auto* s : subs) {
      std::string text;
      for (std::size_t i = 0; i < changes.rows.size(); ++i)
        if (changes.rows[i].seq > s->last) text += events[i];
      if (!changes.rows.empty()) s->last = std::max(s->last, changes.rows.back().seq);
      if (text.empty() && now - s->last_write < options_.heartbeat) continue;
      if (text.empty()) text = ": heartbeat\n\n";
      s->sink->Write(std::move(text));
      s->last_write = now;
    }
  }
}

}  // namespace krige::web
