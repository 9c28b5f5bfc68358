// GET /api/v1/events?experiment=ID: server-sent events of an experiment's trial changes,
// resumable with Last-Event-ID (the change sequence, migrations/0007). One thread polls the
// (experiment_id, seq) index for every experiment someone watches, every `poll`, and fans
// the changes out to that experiment's streams (docs/architecture.md, "Live").
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "krige/http/router.hpp"
#include "krige/service/trial_feed.hpp"

namespace krige::web {

struct EventHubOptions {
  int max_streams = 64;  // more at once are answered 503 (each holds a connection)
  std::chrono::milliseconds poll{200};
  std::chrono::milliseconds heartbeat{15000};  // a comment line when nothing else was sent
};

class EventHub {
 public:
  explicit EventHub(service::TrialFeed& feed, EventHubOptions options = {});
  ~EventHub();  // ends every stream and joins the thread
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // The handler of GET /api/v1/events.
  http::Handler Handler();
  int Streams() const;

 private:
  struct Subscriber;
  void Run();
  void Poll();

  service::TrialFeed& feed_;
  EventHubOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  int pending_ = 0;  // accepted by the handler, not yet streaming
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  std::thread thread_;
};

}  // namespace krige::web
