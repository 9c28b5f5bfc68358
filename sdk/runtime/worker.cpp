#include "krige/worker.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "curve/curve.hpp"

#include "wire/wire.hpp"

namespace krige {
namespace {

std::string DefaultId() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06x", rd() & 0xffffff);
  return std::string(host) + "-" + std::to_string(::getpid()) + "-" + suffix;
}

using Clock = std::chrono::steady_clock;

// How long a trial waits for the coordinator's verdict on a REPORT before its next step.
constexpr auto kVerdictWait = std::chrono::seconds(1);

}  // namespace

std::vector<std::string> Objectives::Served() const {
  std::vector<std::string> served;
  for (const auto& [kind, fn] : kinds)
    if (kind != "function") served.push_back(kind);
  for (const auto& [name, fn] : functions) {
    TrainingSpec training;
    training.kind = "function";
    training.function = name;
    served.push_back(ServedKind(training));
  }
  return served;
}

const ObjectiveFn* Objectives::Find(const TrainingSpec& training) const {
  const auto& table = training.kind == "function" ? functions : kinds;
  const auto it = table.find(training.kind == "function" ? training.function : training.kind);
  return it != table.end() && it->second ? &it->second : nullptr;
}

std::string ResolveApiUrl(const std::string& api_url, const std::string& connect) {
  // api_url: scheme://host[:port][/path]; connect: tcp://host:port
  const auto scheme_end = api_url.find("://");
  if (scheme_end == std::string::npos) return api_url;
  const auto host_begin = scheme_end + 3;
  std::string::size_type host_end;
  if (api_url.compare(host_begin, 1, "[") == 0) {
    host_end = api_url.find(']', host_begin);
    if (host_end == std::string::npos) return api_url;
    ++host_end;
  } else {
    host_end = api_url.find_first_of(":/", host_begin);
    if (host_end == std::string::npos) host_end = api_url.size();
  }
  const std::string host = api_url.substr(host_begin, host_end - host_begin);
  if (host != "0.0.0.0" && host != "[::]" && host != "*") return api_url;

  const auto connect_scheme = connect.find("://");
  if (connect_scheme == std::string::npos) return api_url;
  std::string connect_host = connect.substr(connect_scheme + 3);
  const auto port = connect_host.rfind(':');
  if (port != std::string::npos && connect_host.back() != ']') connect_host.resize(port);
  if (connect_host.empty() || connect_host == "*") return api_url;
  return api_url.substr(0, host_begin) + connect_host + api_url.substr(host_end);
}

struct Worker::Impl {
  struct Running {
    wire::TrialRef ref;
    std::atomic<bool> stop{false};
    std::thread thread;
    bool done = false;  // guarded by mutex
    // With a pruner (ASSIGN await_verdicts), the trial thread waits after each REPORT until
    // the coordinator answered that step (CONTINUE) or pruned the trial (stop).
    bool await_verdicts = false;
    int verdict_step = -1;  // the last step answered; guarded by mutex
    std::condition_variable verdict;
  };
  struct Unacked {
    wire::TrialRef ref;
    wire::Message message;
    Clock::time_point sent;
  };

  WorkerOptions options;
  Objectives objectives;
  std::atomic<bool> stopping{false};

  // Wakes Run()'s poll when a trial thread queued something (set while Run() runs).
  std::function<void()> wake;

  std::mutex mutex;                    // guards below
  std::deque<wire::Message> outgoing;  // from trial threads
  std::map<std::int64_t, std::unique_ptr<Running>> running;
  std::map<std::int64_t, Unacked> unacked;  // by trial id

  void RunTrial(Running& slot, wire::Assign assign) {
    TrialContext context;
    context.experiment_id = assign.experiment_id;
    context.experiment_name = assign.experiment_name;
    context.trial_id = assign.trial.trial_id;
    context.attempt = assign.trial.attempt;
    context.number = assign.number;
    context.params = std::move(assign.params);
    context.training = std::move(assign.training);
    context.objective = assign.objective;
    context.api_url = ResolveApiUrl(assign.api_url, options.connect);
    context.dataset_capability = assign.dataset_capability;
    context.stop = &slot.stop;
    const wire::TrialRef ref = assign.trial;
    context.report = [this, ref, &slot](const StepScores& scores) {
      std::unique_lock<std::mutex> lock(mutex);
      wire::Report report;
      report.trial = ref;
      report.scores = scores;
      outgoing.emplace_back(std::in_place_type<wire::Report>, std::move(report));
      wake();
      // Bounded: a coordinator that is down or slow costs a step this long, not the trial.
      if (slot.await_verdicts)
        slot.verdict.wait_for(lock, kVerdictWait,
                              [&] { return slot.verdict_step >= scores.step || slot.stop.load(); });
    };
    const auto start = Clock::now();
    std::string error;
    try {
      // The coordinator sends only what HELLO listed; an older one might not.
      const ObjectiveFn* objective = objectives.Find(context.training);
      if (!objective) {
        const auto served = objectives.Served();
        std::string list;
        for (const auto& k : served) list += (list.empty() ? "" : ", ") + k;
        throw Error(ErrorCode::kFailedPrecondition, "this worker does not run " +
                                                        ServedKind(context.training) +
                                                        " trials (it runs " + list + ")");
      }
      TrialOutput out = (*objective)(context);
      wire::Result result;
      result.trial = ref;
      result.value = out.value;
      result.metrics = std::move(out.metrics);
      result.steps = std::move(out.steps);
      result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      std::lock_guard<std::mutex> lock(mutex);
      outgoing.emplace_back(std::move(result));
      slot.done = true;
      wake();
      return;
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown error";
    }
    std::lock_guard<std::mutex> lock(mutex);
    outgoing.emplace_back(wire::Fail{ref, error});
    wake();
    slot.done = true;
  }
};

Worker::Worker(WorkerOptions options, Objectives objectives) : impl_(std::make_unique<Impl>()) {
  if (options.id.empty()) options.id = DefaultId();
  // The coordinator drops HELLOs and heartbeats beyond wire::kMaxSlots; say so here instead.
  if (options.slots < 1 || options.slots > wire::kMaxSlots)
    throw Error(ErrorCode::kInvalidArgument,
                "slots must be between 1 and " + std::to_string(wire::kMaxSlots), "slots");
  if (options.only_experiment < 0)
    throw Error(ErrorCode::kInvalidArgument, "only_experiment must be an experiment id or 0",
                "only_experiment");
  for (const auto& [name, fn] : objectives.functions) {
    ExperimentSpec probe;
    probe.training.kind = "function";
    probe.training.function = name;
    for (const auto& problem : Validate(probe))
      if (problem.field == "training.function")
        throw Error(ErrorCode::kInvalidArgument,
                    "objective name \"" + name + "\": " + problem.message, "functions");
  }
  const auto served = objectives.Served();
  if (served.empty() || served.size() > wire::kMaxKinds)
    throw Error(ErrorCode::kInvalidArgument,
                "a worker serves between 1 and " + std::to_string(wire::kMaxKinds) + " objectives",
                "objectives");
  impl_->options = std::move(options);
  impl_->objectives = std::move(objectives);
}

Worker::~Worker() {
  Stop();
  for (auto& [id, slot] : impl_->running)
    if (slot->thread.joinable()) slot->thread.join();
}

const std::string& Worker::id() const {
  return impl_->options.id;
}

void Worker::Stop() {
  impl_->stopping = true;
}

void Worker::Run() {
  Impl& w = *impl_;
  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::routing_id, w.options.id);
  socket.set(zmq::sockopt::linger, 1000);
  if (!w.options.curve_server_key.empty() || !w.options.curve_secret_key.empty()) {
    if (w.options.curve_server_key.empty() || w.options.curve_secret_key.empty())
      throw Error(ErrorCode::kInvalidArgument,
                  "CURVE needs both the coordinator's public key and this worker's secret key");
    socket.set(zmq::sockopt::curve_serverkey, w.options.curve_server_key);
    socket.set(zmq::sockopt::curve_secretkey, w.options.curve_secret_key);
    socket.set(zmq::sockopt::curve_publickey, curve::PublicOf(w.options.curve_secret_key));
  }
  socket.connect(w.options.connect);
  // Trial threads wake the loop through an inproc pair, so a finished trial's RESULT leaves
  // at once instead of at the next poll timeout. The sending end is used under w.mutex.
  zmq::socket_t wake_in(context, zmq::socket_type::pull);
  zmq::socket_t wake_out(context, zmq::socket_type::push);
  wake_in.set(zmq::sockopt::linger, 0);
  wake_out.set(zmq::sockopt::linger, 0);
  wake_in.bind("inproc://krige-worker-wake");
  wake_out.connect("inproc://krige-worker-wake");
  w.wake = [&wake_out] { wake_out.send(zmq::str_buffer("w"), zmq::send_flags::dontwait); };

  auto send = [&](const wire::Message& m) {
    zmq::multipart_t msg;
    msg.addstr("");
    for (auto& f : wire::Encode(m)) msg.addstr(std::move(f));
    msg.send(socket);
  };
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  const std::vector<std::string> served = w.objectives.Served();
  send(
      wire::Hello{w.options.id, w.options.slots, host, "0.1.0", served, w.options.only_experiment});
  send(wire::Ready{w.options.slots});
  std::string served_list;
  for (const auto& k : served) served_list += (served_list.empty() ? "" : ", ") + k;
  spdlog::info("worker {} connecting to {} with {} slots, running {}", w.options.id,
               w.options.connect, w.options.slots, served_list);

  auto next_beat = Clock::now();
  std::uint64_t malformed = 0;
  for (;;) {
    const bool stopping = w.stopping.load();
    // Finished trials, reports and results from the trial threads.
    std::deque<wire::Message> out;
    int freed = 0;
    {
      std::lock_guard<std::mutex> lock(w.mutex);
      out.swap(w.outgoing);
      for (auto it = w.running.begin(); it != w.running.end();) {
        if (it->second->done) {
          it->second->thread.join();
          it = w.running.erase(it);
          ++freed;
        } else {
          ++it;
        }
      }
      if (stopping)
        for (auto& [id, slot] : w.running) {
          slot->stop = true;
          slot->verdict.notify_all();
        }
    }
    for (auto& m : out) {
      if (const auto* r = std::get_if<wire::Result>(&m)) {
        w.unacked[r->trial.trial_id] = {r->trial, m, Clock::now()};
      } else if (const auto* f = std::get_if<wire::Fail>(&m)) {
        w.unacked[f->trial.trial_id] = {f->trial, m, Clock::now()};
      }
      send(m);
    }
    if (freed > 0 && !stopping) send(wire::Ready{freed});

    const auto now = Clock::now();
    if (now >= next_beat) {
      wire::Heartbeat beat;
      beat.slots = w.options.slots;
      beat.kinds = served;
      beat.experiment = w.options.only_experiment;
      {
        std::lock_guard<std::mutex> lock(w.mutex);
        for (const auto& [id, slot] : w.running) beat.running.push_back(slot->ref);
      }
      // A finished but unacknowledged trial is still ours: keep its lease.
      for (const auto& [id, u] : w.unacked) beat.running.push_back(u.ref);
      send(beat);
      for (auto& [id, u] : w.unacked) {
        if (now - u.sent >= w.options.resend) {
          send(u.message);
          u.sent = now;
        }
      }
      next_beat = now + w.options.heartbeat;
    }

    if (stopping) {
      std::lock_guard<std::mutex> lock(w.mutex);
      if (w.running.empty() && w.outgoing.empty()) break;
    }

    zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0},
                               {wake_in.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, std::chrono::milliseconds(100));
    if (items[1].revents & ZMQ_POLLIN) {
      zmq::message_t drain;
      while (wake_in.recv(drain, zmq::recv_flags::dontwait)) {
      }
    }
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    for (;;) {
      zmq::multipart_t msg;
      if (!msg.recv(socket, static_cast<int>(zmq::recv_flags::dontwait))) break;
      std::vector<std::string> frames;
      while (!msg.empty()) frames.push_back(msg.popstr());
      if (!frames.empty() && frames.front().empty()) frames.erase(frames.begin());
      wire::Message m;
      try {
        m = wire::Decode(frames);
      } catch (const std::exception& e) {
        if (++malformed <= 10) spdlog::warn("dropped a malformed message: {}", e.what());
        continue;
      }
      if (auto* assign = std::get_if<wire::Assign>(&m)) {
        if (stopping) continue;  // the coordinator requeues it when our lease ends
        std::lock_guard<std::mutex> lock(w.mutex);
        if (w.running.count(assign->trial.trial_id)) continue;  // a duplicate ASSIGN
        auto slot = std::make_unique<Impl::Running>();
        slot->ref = assign->trial;
        slot->await_verdicts = assign->await_verdicts;
        Impl::Running& ref = *slot;
        spdlog::info("trial {} (attempt {}): {}", assign->trial.trial_id, assign->trial.attempt,
                     assign->params.size());
        slot->thread = std::thread(
            [&w, &ref, a = std::move(*assign)]() mutable { w.RunTrial(ref, std::move(a)); });
        w.running[ref.ref.trial_id] = std::move(slot);
      } else if (const auto* ack = std::get_if<wire::Ack>(&m)) {
        const auto it = w.unacked.find(ack->trial.trial_id);
        if (it != w.unacked.end()) w.unacked.erase(it);
        if (!ack->accepted)
          spdlog::warn(
              "trial {} (attempt {}): result discarded by the coordinator "
              "(accepted=false: the attempt is no longer this worker's)",
              ack->trial.trial_id, ack->trial.attempt);
      } else if (const auto* prune = std::get_if<wire::Prune>(&m)) {
        std::lock_guard<std::mutex> lock(w.mutex);
        const auto it = w.running.find(prune->trial.trial_id);
        if (it != w.running.end() && it->second->ref.attempt == prune->trial.attempt) {
          it->second->stop = true;
          it->second->verdict.notify_all();
        }
      } else if (const auto* go_on = std::get_if<wire::Continue>(&m)) {
        std::lock_guard<std::mutex> lock(w.mutex);
        const auto it = w.running.find(go_on->trial.trial_id);
        if (it != w.running.end() && it->second->ref.attempt == go_on->trial.attempt) {
          it->second->verdict_step = std::max(it->second->verdict_step, go_on->step);
          it->second->verdict.notify_all();
        }
      }
    }
  }
  send(wire::Bye{});
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    w.wake = [] {};  // wake_out dies with this frame
  }
  spdlog::info("worker {} stopped", w.options.id);
}

}  // namespace krige
