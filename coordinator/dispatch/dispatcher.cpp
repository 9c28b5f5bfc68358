#include "dispatcher.hpp"

#include "krige/limits.hpp"

#include <spdlog/spdlog.h>

#include <deque>
#include <mutex>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace krige::dispatch {
namespace {

const char* const kWakeEndpoint = "inproc://krige-dispatch-wake";
// Where libzmq asks who may connect (ZAP, RFC 27): fixed by the library.
const char* const kZapEndpoint = "inproc://zeromq.zap.01";
// The ROUTER's handshake failures (a plaintext peer, a peer with the wrong server key) are
// told on this socket; ZAP refusals are counted where they are decided.
const char* const kMonitorEndpoint = "inproc://krige-dispatch-monitor";

}  // namespace

struct Dispatcher::Impl {
  std::string endpoint;
  MessageHandler handler;
  DispatcherOptions options;
  zmq::context_t context{1};
  zmq::socket_t zap{context, zmq::socket_type::rep};  // bound only with CURVE
  zmq::socket_t monitor{context, zmq::socket_type::pair};
  zmq::socket_t router{context, zmq::socket_type::router};
  zmq::socket_t wake_in{context, zmq::socket_type::pull};
  zmq::socket_t wake_out{context, zmq::socket_type::push};  // guarded by mutex
  std::mutex mutex;
  std::deque<std::pair<std::string, std::vector<std::string>>> outgoing;
  std::atomic<bool> stopping{false};
  std::thread thread;
};

Dispatcher::Dispatcher(std::string endpoint, MessageHandler handler, DispatcherOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->endpoint = std::move(endpoint);
  impl_->handler = std::move(handler);
  impl_->options = std::move(options);
}

void Dispatcher::NoteHandshakeFailure() {
  zmq::multipart_t event;  // [event id (2 bytes) + value (4 bytes), peer address]
  if (!event.recv(impl_->monitor, static_cast<int>(zmq::recv_flags::dontwait))) return;
  const std::string head = event.popstr();
  const std::string address = event.empty() ? "" : event.popstr();
  const auto n = ++denied_;
  if (n <= 10 || n % 1000 == 0)
    spdlog::warn(
        "refused a worker at {}: the CURVE handshake failed (a plaintext peer, or the "
        "wrong server key) ({} refused so far)",
        address, n);
}

// One ZAP request: [version, request id, domain, address, identity, mechanism, credentials...].
// Admits a CURVE peer whose public key is listed; refuses everything else.
void Dispatcher::AnswerZap() {
  Impl& d = *impl_;
  zmq::multipart_t request;
  if (!request.recv(d.zap, static_cast<int>(zmq::recv_flags::dontwait))) return;
  std::vector<std::string> f;
  while (!request.empty()) f.push_back(request.popstr());
  const std::string version = f.size() > 0 ? f[0] : "1.0";
  const std::string id = f.size() > 1 ? f[1] : "";
  const std::string address = f.size() > 3 ? f[3] : "";
  std::string key;
  if (f.size() >= 7 && f[5] == "CURVE" && f[6].size() == 32) {
    char z85[41];
    if (zmq_z85_encode(z85, reinterpret_cast<const std::uint8_t*>(f[6].data()), 32)) key = z85;
  }
  const bool admitted = !key.empty() && d.options.worker_keys.count(key) > 0;
  zmq::multipart_t reply;
  reply.addstr(version);
  reply.addstr(id);
  reply.addstr(admitted ? "200" : "400");
  reply.addstr(admitted ? "OK" : "key not listed");
  reply.addstr(admitted ? key : "");  // user id
  reply.addstr("");                   // metadata
  reply.send(d.zap);
  if (!admitted) {
    const auto n = ++denied_;
    if (n <= 10 || n % 1000 == 0)
      spdlog::warn("refused a worker from {}: {} ({} refused so far)", address,
                   key.empty() ? "no CURVE key" : "key " + key + " is not in --worker-keys", n);
  }
}

Dispatcher::~Dispatcher() {
  Stop();
}

std::string Dispatcher::Start() {
  Impl& d = *impl_;
  d.router.set(zmq::sockopt::linger, 0);
  d.router.set(zmq::sockopt::router_mandatory, 0);  // a vanished worker: drop, do not block
  d.router.set(zmq::sockopt::maxmsgsize, d.options.max_message_bytes);
  const bool curve = !d.options.curve_secret_key.empty();
  if (curve) {
    // The handler must be bound before the first peer arrives.
    d.zap.set(zmq::sockopt::linger, 0);
    d.zap.bind(kZapEndpoint);
    d.router.set(zmq::sockopt::zap_domain, "krige");
    d.router.set(zmq::sockopt::curve_server, 1);
    d.router.set(zmq::sockopt::curve_secretkey, d.options.curve_secret_key);
    if (zmq_socket_monitor(
            d.router.handle(), kMonitorEndpoint,
            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0)
      throw zmq::error_t();
    d.monitor.set(zmq::sockopt::linger, 0);
    d.monitor.connect(kMonitorEndpoint);
  }
  d.router.bind(d.endpoint);
  const std::string bound = d.router.get(zmq::sockopt::last_endpoint);
  d.wake_in.set(zmq::sockopt::linger, 0);
  d.wake_out.set(zmq::sockopt::linger, 0);
  d.wake_in.bind(kWakeEndpoint);
  d.wake_out.connect(kWakeEndpoint);

  d.thread = std::thread([this, curve] {
    Impl& d = *impl_;
    zmq::pollitem_t items[] = {{d.router.handle(), 0, ZMQ_POLLIN, 0},
                               {d.wake_in.handle(), 0, ZMQ_POLLIN, 0},
                               {curve ? d.zap.handle() : nullptr, 0, ZMQ_POLLIN, 0},
                               {curve ? d.monitor.handle() : nullptr, 0, ZMQ_POLLIN, 0}};
    while (!d.stopping.load()) {
      try {
        zmq::poll(items, curve ? 4 : 2, std::chrono::milliseconds(200));
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) break;
        continue;
      }
      if (curve && (items[2].revents & ZMQ_POLLIN)) AnswerZap();
      if (curve && (items[3].revents & ZMQ_POLLIN)) NoteHandshakeFailure();
      if (items[1].revents & ZMQ_POLLIN) {
        zmq::message_t drain;
        while (d.wake_in.recv(drain, zmq::recv_flags::dontwait)) {
        }
      }
      // Outgoing first: ACKs should not wait behind a burst of incoming messages.
      std::deque<std::pair<std::string, std::vector<std::string>>> out;
      {
        std::lock_guard<std::mutex> lock(d.mutex);
        out.swap(d.outgoing);
      }
      for (auto& [id, frames] : out) {
        zmq::multipart_t msg;
        msg.addstr(id);
        msg.addstr("");
        for (auto& f : frames) msg.addstr(std::move(f));
        if (!msg.send(d.router, static_cast<int>(zmq::send_flags::dontwait)))
          spdlog::debug("dropped a message to {}: not connected", id);
      }
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      for (int burst = 0; burst < 1000; ++burst) {
        zmq::multipart_t msg;
        if (!msg.recv(d.router, static_cast<int>(zmq::recv_flags::dontwait))) break;
        const auto received = service::Clock::now();
        if (msg.size() < 2) {
          ++malformed_;
          continue;
        }
        const std::string id = msg.popstr();
        // The routing id is the worker's name in the database: text only. (A peer without
        // one gets a ZeroMQ-made id that starts with a zero byte.)
        if (!TextProblem(id, limits::kNameBytes).empty()) {
          const auto n = ++malformed_;
          if (n <= 10 || n % 1000 == 0)
            spdlog::warn("dropped a message from a peer whose routing id is not text ({} so far)",
                         n);
          continue;
        }
        std::vector<std::string> frames;
        while (!msg.empty()) frames.push_back(msg.popstr());
        // [""] KRIGE1 type body: the empty delimiter is what a DEALER peer sends first.
        if (!frames.empty() && frames.front().empty()) frames.erase(frames.begin());
        try {
          wire::Message message = wire::Decode(frames);
          const std::size_t type = message.index();
          d.handler(id, std::move(message), received);
          ++received_[type];
        } catch (const std::exception& e) {
          const auto n = ++malformed_;
          if (n <= 10 || n % 1000 == 0)
            spdlog::warn("dropped a malformed message from {} ({} so far): {}", id, n, e.what());
        }
      }
    }
  });
  return bound;
}

void Dispatcher::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->stopping = true;
  impl_->thread.join();
  impl_->router.close();
  impl_->zap.close();
  impl_->monitor.close();
  impl_->wake_in.close();
  impl_->wake_out.close();
}

std::map<std::string, std::uint64_t> Dispatcher::received() const {
  static const wire::Message kFromWorkers[] = {wire::Hello{},  wire::Ready{},  wire::Heartbeat{},
                                               wire::Report{}, wire::Result{}, wire::Fail{},
                                               wire::Bye{}};
  std::map<std::string, std::uint64_t> out;
  for (const auto& m : kFromWorkers) out[wire::TypeName(m)] = received_[m.index()].load();
  return out;
}

void Dispatcher::Send(const std::string& worker_id, const wire::Message& message) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->outgoing.emplace_back(worker_id, wire::Encode(message));
  impl_->wake_out.send(zmq::str_buffer("w"), zmq::send_flags::dontwait);
}

}  // namespace krige::dispatch
