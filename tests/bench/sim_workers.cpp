// Many simulated one-slot workers in one process, for the `workers` benchmark: N DEALER
// sockets in one ZeroMQ context, each with its own routing id, driven by one poll loop (no
// thread per worker). Each speaks the protocol as krige-worker does (sdk/runtime/worker.cpp,
// framing by wire::Encode): HELLO and READY at start; on ASSIGN it "runs" the trial for
// --trial-ms, then sends RESULT and READY; a HEARTBEAT every --heartbeat-ms listing the running
// trial and the unacknowledged results; an unacknowledged RESULT is resent every --resend-ms;
// PRUNE ends the trial with a FAIL. It records, per worker, the time from sending a RESULT to
// receiving its next ASSIGN. On SIGTERM or SIGINT it sends BYE, stops and writes --out (JSON).
//   sim_workers --connect tcp://127.0.0.1:5555 --workers 250 --first 0 --out sim0.json
//               [--prefix sim] [--kind function:sleep] [--trial-ms 100] [--heartbeat-ms 1000]
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "krige/codec.hpp"
#include "wire/wire.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace wire = krige::wire;

struct Options {
  std::string connect;
  std::string prefix = "sim";
  std::string kind = "function:sleep";
  std::string out = "sim.json";
  int workers = 250;
  int first = 0;
  std::chrono::milliseconds trial{100};
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds resend{2000};  // krige::WorkerOptions::resend
};

struct Unacked {  // a RESULT or FAIL
  wire::TrialRef ref;
  wire::Message message;
  Clock::time_point sent;
};

struct SimWorker {
  std::string id;
  std::unique_ptr<zmq::socket_t> socket;
  std::optional<wire::TrialRef> running;
  double value = 0;  // the running trial's x
  Clock::time_point due;
  std::map<std::int64_t, Unacked> unacked;  // by trial id
  std::optional<Clock::time_point> result_sent;
  Clock::time_point next_beat;
};

struct Counters {
  std::uint64_t assigns = 0;
  std::uint64_t duplicate_assigns = 0;  // the trial it runs already
  std::uint64_t busy_assigns = 0;       // another trial while its one slot is taken
  std::uint64_t results = 0;
  std::uint64_t resends = 0;
  std::uint64_t acks = 0;
  std::uint64_t discarded = 0;  // ACK accepted=false
  std::uint64_t prunes = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t malformed = 0;
};

void Send(zmq::socket_t& socket, const wire::Message& message) {
  zmq::multipart_t frames;
  frames.addstr("");
  for (auto& f : wire::Encode(message)) frames.addstr(std::move(f));
  frames.send(socket);
}

// 1 000 sockets need about 2 000 descriptors (a TCP connection and a mailbox each).
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const std::string v = argv[i + 1];
    if (a == "--connect") o.connect = v;
    if (a == "--prefix") o.prefix = v;
    if (a == "--kind") o.kind = v;
    if (a == "--out") o.out = v;
    if (a == "--workers") o.workers = std::stoi(v);
    if (a == "--first") o.first = std::stoi(v);
    if (a == "--trial-ms") o.trial = std::chrono::milliseconds(std::stoi(v));
    if (a == "--heartbeat-ms") o.heartbeat = std::chrono::milliseconds(std::stoi(v));
    if (a == "--resend-ms") o.resend = std::chrono::milliseconds(std::stoi(v));
  }
  if (o.connect.empty() || o.workers < 1) {
    std::fprintf(stderr, "usage: sim_workers --connect ENDPOINT [--workers N] [--first K] ...\n");
    return 2;
  }
  RaiseFileLimit();
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::atomic<bool> stopping{false};
  std::thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    stopping = true;
  }).detach();

  zmq::context_t context(1);
  context.set(zmq::ctxopt::max_sockets, o.workers + 16);
  std::vector<SimWorker> sims(o.workers);
  const auto start = Clock::now();
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  for (int i = 0; i < o.workers; ++i) {
    SimWorker& w = sims[i];
    char id[64];
    std::snprintf(id, sizeof id, "%s-%04d", o.prefix.c_str(), o.first + i);
    w.id = id;
    w.socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
    w.socket->set(zmq::sockopt::routing_id, w.id);
    w.socket->set(zmq::sockopt::linger, 2000);
    w.socket->connect(o.connect);
    Send(*w.socket, wire::Hello{w.id, 1, host, "0.1.0", {o.kind}, 0});
    Send(*w.socket, wire::Ready{1});
    // Spread the heartbeats over the interval, as independent machines would.
    w.next_beat = start + o.heartbeat * i / o.workers;
  }
  std::printf("sim_workers: %d workers %s-%04d.. connecting to %s\n", o.workers, o.prefix.c_str(),
              o.first, o.connect.c_str());
  std::fflush(stdout);

  Counters n;
  std::vector<double> samples_ms;   // RESULT sent -> next ASSIGN received
  std::vector<double> lateness_ms;  // how late this loop ran a trial's end (its own lag)
  samples_ms.reserve(1 << 20);
  lateness_ms.reserve(1 << 20);
  std::vector<zmq::pollitem_t> items(o.workers);
  for (int i = 0; i < o.workers; ++i) items[i] = {sims[i].socket->handle(), 0, ZMQ_POLLIN, 0};
  std::mt19937_64 rng(o.first + 1);

  while (!stopping.load()) {
    auto now = Clock::now();
    Clock::time_point wake = now + std::chrono::milliseconds(50);
    for (SimWorker& w : sims) {
      if (w.running && now >= w.due) {
        lateness_ms.push_back(std::chrono::duration<double, std::milli>(now - w.due).count());
        wire::Result result;
        result.trial = *w.running;
        result.value = w.value;
        result.metrics = {{"x", w.value}};
        result.seconds = std::chrono::duration<double>(o.trial).count();
        w.running.reset();
        w.unacked[result.trial.trial_id] = {result.trial, result, now};
        w.result_sent = Clock::now();
        Send(*w.socket, result);
        Send(*w.socket, wire::Ready{1});  // what krige-worker sends when a slot frees
        ++n.results;
      }
      if (now >= w.next_beat) {
        wire::Heartbeat beat;
        beat.slots = 1;
        beat.kinds = {o.kind};
        if (w.running) beat.running.push_back(*w.running);
        for (const auto& [trial, u] : w.unacked) beat.running.push_back(u.ref);
        Send(*w.socket, beat);
        ++n.heartbeats;
        for (auto& [trial, u] : w.unacked)
          if (now - u.sent >= o.resend) {
            Send(*w.socket, u.message);
            u.sent = now;
            ++n.resends;
          }
        w.next_beat += o.heartbeat;
        if (w.next_beat <= now) w.next_beat = now + o.heartbeat;
      }
      if (w.running) wake = std::min(wake, w.due);
      wake = std::min(wake, w.next_beat);
    }
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        wake - Clock::now() + std::chrono::microseconds(999));
    zmq::poll(items.data(), items.size(), std::max(std::chrono::milliseconds(0), timeout));
    for (int i = 0; i < o.workers; ++i) {
      if (!(items[i].revents & ZMQ_POLLIN)) continue;
      SimWorker& w = sims[i];
      for (;;) {
        zmq::multipart_t msg;
        if (!msg.recv(*w.socket, static_cast<int>(zmq::recv_flags::dontwait))) break;
        const auto received = Clock::now();
        std::vector<std::string> frames;
        while (!msg.empty()) frames.push_back(msg.popstr());
        if (!frames.empty() && frames.front().empty()) frames.erase(frames.begin());
        wire::Message m;
        try {
          m = wire::Decode(frames);
        } catch (const std::exception&) {
          ++n.malformed;
          continue;
        }
        if (const auto* assign = std::get_if<wire::Assign>(&m)) {
          ++n.assigns;
          if (w.running && w.running->trial_id == assign->trial.trial_id) {
            ++n.duplicate_assigns;
            continue;
          }
          if (w.running) {
            ++n.busy_assigns;  // the coordinator will see it is not listed and requeue it
            continue;
          }
          if (w.result_sent) {
            samples_ms.push_back(
                std::chrono::duration<double, std::milli>(received - *w.result_sent).count());
            w.result_sent.reset();
          }
          w.running = assign->trial;
          const auto x = assign->params.find("x");
          w.value = x != assign->params.end() ? krige::AsDouble(x->second)
                                              : std::uniform_real_distribution<double>()(rng);
          w.due = received + o.trial;
        } else if (const auto* ack = std::get_if<wire::Ack>(&m)) {
          if (w.unacked.erase(ack->trial.trial_id) > 0) ++n.acks;
          if (!ack->accepted) ++n.discarded;
        } else if (const auto* prune = std::get_if<wire::Prune>(&m)) {
          if (w.running && w.running->trial_id == prune->trial.trial_id &&
              w.running->attempt == prune->trial.attempt) {
            // As a worker whose objective honours the stop flag: FAIL, then the slot is free.
            ++n.prunes;
            const wire::Fail fail{*w.running, "pruned"};
            w.unacked[fail.trial.trial_id] = {fail.trial, fail, received};
            w.running.reset();
            w.result_sent.reset();
            Send(*w.socket, fail);
            Send(*w.socket, wire::Ready{1});
          }
        }
      }
    }
  }

  for (SimWorker& w : sims) Send(*w.socket, wire::Bye{});
  std::size_t unacked = 0;
  for (SimWorker& w : sims) unacked += w.unacked.size();
  krige::Json out = {{"workers", o.workers},
                     {"first", o.first},
                     {"seconds", std::chrono::duration<double>(Clock::now() - start).count()},
                     {"assigns", n.assigns},
                     {"duplicate_assigns", n.duplicate_assigns},
                     {"busy_assigns", n.busy_assigns},
                     {"results", n.results},
                     {"resends", n.resends},
                     {"acks", n.acks},
                     {"discarded", n.discarded},
                     {"prunes", n.prunes},
                     {"heartbeats", n.heartbeats},
                     {"malformed", n.malformed},
                     {"unacked_at_exit", unacked},
                     {"samples_ms", samples_ms},
                     {"lateness_ms", lateness_ms}};
  std::ofstream(o.out) << out.dump() << "\n";
  for (SimWorker& w : sims) w.socket->close();  // lingers until BYE and the last beats are out
  context.close();
  return 0;
}
