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

}  // namespace

struct Dispatcher::Impl {
  std::string endpoint;
  MessageHandler handler;
  std::int64_t max_message_bytes = kDefaultMaxMessageBytes;
  zmq::context_t context{1};
  zmq::socket_t router{context, zmq::socket_type::router};
  zmq::socket_t wake_in{context, zmq::socket_type::pull};
  zmq::socket_t wake_out{context, zmq::socket_type::push};  // guarded by mutex
  std::mutex mutex;
  std::deque<std::pair<std::string, std::vector<std::string>>> outgoing;
  std::atomic<bool> stopping{false};
  std::thread thread;
};

Dispatcher::Dispatcher(std::string endpoint, MessageHandler handler, std::int64_t max_message_bytes)
    : impl_(std::make_unique<Impl>()) {
  impl_->endpoint = std::move(endpoint);
  impl_->handler = std::move(handler);
  impl_->max_message_bytes = max_message_bytes;
}

Dispatcher::~Dispatcher() {
  Stop();
}

std::string Dispatcher::Start() {
  Impl& d = *impl_;
  d.router.set(zmq::sockopt::linger, 0);
  d.router.set(zmq::sockopt::router_mandatory, 0);  // a vanished worker: drop, do not block
  d.router.set(zmq::sockopt::maxmsgsize, d.max_message_bytes);
  d.router.bind(d.endpoint);
  const std::string bound = d.router.get(zmq::sockopt::last_endpoint);
  d.wake_in.set(zmq::sockopt::linger, 0);
  d.wake_out.set(zmq::sockopt::linger, 0);
  d.wake_in.bind(kWakeEndpoint);
  d.wake_out.connect(kWakeEndpoint);

  d.thread = std::thread([this] {
    Impl& d = *impl_;
    zmq::pollitem_t items[] = {{d.router.handle(), 0, ZMQ_POLLIN, 0},
                               {d.wake_in.handle(), 0, ZMQ_POLLIN, 0}};
    while (!d.stopping.load()) {
      try {
        zmq::poll(items, 2, std::chrono::milliseconds(200));
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) break;
        continue;
      }
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
          d.handler(id, wire::Decode(frames), received);
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
  impl_->wake_in.close();
  impl_->wake_out.close();
}

void Dispatcher::Send(const std::string& worker_id, const wire::Message& message) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->outgoing.emplace_back(worker_id, wire::Encode(message));
  impl_->wake_out.send(zmq::str_buffer("w"), zmq::send_flags::dontwait);
}

}  // namespace krige::dispatch
