#include "scheduler_loop.hpp"

#include <spdlog/spdlog.h>

namespace krige::service {
namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(250);

}  // namespace

SchedulerLoop::SchedulerLoop(Scheduler& scheduler) : scheduler_(scheduler) {}

SchedulerLoop::~SchedulerLoop() {
  Stop();
}

void SchedulerLoop::Start() {
  scheduler_.Recover(Clock::now());
  thread_ = std::thread([this] { Run(); });
}

void SchedulerLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SchedulerLoop::PostMessage(std::string worker_id, wire::Message message,
                                Clock::time_point received) {
  Post(MessageEvent{std::move(worker_id), std::move(message), received});
}

void SchedulerLoop::PostExperimentCreated(std::int64_t experiment_id) {
  Post(CreatedEvent{experiment_id});
}

std::future<void> SchedulerLoop::PostControl(std::int64_t experiment_id, ExperimentControl action) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> future = done->get_future();
  Post(ControlEvent{experiment_id, action, std::move(done)});
  return future;
}

void SchedulerLoop::Post(Event event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Counted before the loop can take it: counted after, the loop's decrement could come
    // first and the gauge wrapped below zero (a depth of 2^64 on /metrics).
    ++depth_;
    inbox_.push_back(std::move(event));
  }
  wake_.notify_one();
}

void SchedulerLoop::RunControl(const ControlEvent& control) {
  try {
    scheduler_.Control(control.experiment_id, control.action, Clock::now());
    control.done->set_value();
  } catch (const Error& e) {
    control.done->set_exception(std::current_exception());
    // Refusals (unknown id, a transition the state does not allow) are answers; anything
    // else is the store failing.
    if (e.code() != ErrorCode::kNotFound && e.code() != ErrorCode::kFailedPrecondition)
      scheduler_.StoreFailed();
  } catch (const std::exception& e) {
    control.done->set_exception(std::current_exception());
    spdlog::error("scheduler: {}", e.what());
    scheduler_.StoreFailed();
  }
}

void SchedulerLoop::Guarded(const std::function<void()>& step) {
  // A failing store call (database down) must not kill the thread: the worker resends
  // unacknowledged results, and the next tick that reaches the store rebuilds the
  // scheduler's state from it (Scheduler::StoreFailed).
  try {
    step();
  } catch (const std::exception& e) {
    spdlog::error("scheduler: {}", e.what());
    scheduler_.StoreFailed();
  }
}

void SchedulerLoop::Run() {
  auto next_tick = Clock::now() + kTickInterval;
  for (;;) {
    std::deque<Event> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_until(lock, next_tick, [&] { return stopping_ || !inbox_.empty(); });
      if (stopping_) return;
      batch.swap(inbox_);
    }
    // Group commit: the messages that arrived together are received one by one and written
    // in one go (Scheduler::Commit), before any other event and before the tick.
    std::optional<Clock::time_point> uncommitted;  // the arrival of the last one received
    const auto commit = [&] {
      if (!uncommitted) return;
      Guarded([&] { scheduler_.Commit(*uncommitted); });
      uncommitted.reset();
    };
    for (auto& event : batch) {
      if (auto* m = std::get_if<MessageEvent>(&event)) {
        Guarded([&] { scheduler_.Receive(m->worker_id, m->message, m->received); });
        uncommitted = std::max(uncommitted.value_or(m->received), m->received);
      } else {
        commit();
        if (auto* c = std::get_if<ControlEvent>(&event)) {
          RunControl(*c);
        } else {
          Guarded([&] {
            scheduler_.OnExperimentCreated(std::get<CreatedEvent>(event).experiment_id,
                                           Clock::now());
          });
        }
      }
      --depth_;
    }
    commit();
    if (Clock::now() >= next_tick) {
      // Leases are judged as of the arrival time of the oldest message not yet applied: a
      // backlog on this thread (a slow fit, a slow database) must not pass for silence.
      Clock::time_point as_of = Clock::now();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& event : inbox_)
          if (const auto* m = std::get_if<MessageEvent>(&event))
            as_of = std::min(as_of, m->received);
      }
      try {
        scheduler_.Tick(as_of);
      } catch (const std::exception& e) {
        spdlog::error("scheduler tick: {}", e.what());
        scheduler_.StoreFailed();
      }
      next_tick = Clock::now() + kTickInterval;
    }
  }
}

}  // namespace krige::service
