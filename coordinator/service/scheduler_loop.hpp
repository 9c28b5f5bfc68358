// The scheduler's thread and its inbox. The ZeroMQ loop and the HTTP handlers post events;
// this thread alone touches the Scheduler, so a slow tuner fit never blocks message I/O, and
// lease decisions use the time each message was received, not when it was processed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "scheduler.hpp"

namespace krige::service {

class SchedulerLoop {
 public:
  explicit SchedulerLoop(Scheduler& scheduler);
  ~SchedulerLoop();  // stops and joins

  void Start();  // recovers state from the store, then runs
  void Stop();

  // Thread-safe.
  void PostMessage(std::string worker_id, wire::Message message, Clock::time_point received);
  void PostExperimentCreated(std::int64_t experiment_id);
  // Events posted and not yet applied (GET /metrics: krige_scheduler_queue_depth).
  std::size_t queue_depth() const { return depth_.load(); }
  // Runs Scheduler::Control on the scheduler thread; the future holds its outcome (the
  // exception it threw, if any).
  std::future<void> PostControl(std::int64_t experiment_id, ExperimentControl action);

 private:
  struct MessageEvent {
    std::string worker_id;
    wire::Message message;
    Clock::time_point received;
  };
  struct CreatedEvent {
    std::int64_t experiment_id;
  };
  struct ControlEvent {
    std::int64_t experiment_id;
    ExperimentControl action;
    std::shared_ptr<std::promise<void>> done;
  };
  using Event = std::variant<MessageEvent, CreatedEvent, ControlEvent>;

  void Run();
  void RunControl(const ControlEvent& control);
  // Runs one step of the loop; a throw is logged and counts as a failed store call.
  void Guarded(const std::function<void()>& step);
  void Post(Event event);

  Scheduler& scheduler_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Event> inbox_;
  bool stopping_ = false;
  std::atomic<std::size_t> depth_{0};
  std::thread thread_;
};

}  // namespace krige::service
