// The ZeroMQ side of the coordinator: one ROUTER socket, owned by one I/O thread. Incoming
// frames are decoded and handed to a callback (which only enqueues); outgoing messages are
// queued by any thread and written by the I/O thread. Malformed messages (see wire::Decode,
// and routing ids that are not storable text) are counted and dropped, never fatal.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>

#include "scheduler.hpp"

namespace krige::dispatch {

using MessageHandler = std::function<void(std::string worker_id, wire::Message message,
                                          service::Clock::time_point received)>;

// The largest frame a worker may send (ZMQ_MAXMSGSIZE): results carry per-fold scores only,
// so 16 MiB is ample, and a peer sending more is disconnected by ZeroMQ before the frame is
// buffered (without it a 256 MiB frame cost the server 827 MiB).
inline constexpr std::int64_t kDefaultMaxMessageBytes = std::int64_t{16} << 20;

struct DispatcherOptions {
  // Per incoming frame; -1 for no limit.
  std::int64_t max_message_bytes = kDefaultMaxMessageBytes;
  // CurveZMQ: the server's secret key (Z85). Empty: plaintext. When set, the link is
  // encrypted and a ZAP handler admits only peers whose public key is in `worker_keys`;
  // a plaintext peer fails the handshake.
  std::string curve_secret_key;
  std::set<std::string> worker_keys;  // Z85 public keys
};

class Dispatcher : public service::Outbox {
 public:
  // endpoint: e.g. "tcp://127.0.0.1:5555", or "tcp://127.0.0.1:*" for a free port.
  Dispatcher(std::string endpoint, MessageHandler handler, DispatcherOptions options = {});
  ~Dispatcher() override;

  // Binds and starts the I/O thread; returns the bound endpoint with its real port.
  std::string Start();
  void Stop();

  // Thread-safe.
  void Send(const std::string& worker_id, const wire::Message& message) override;
  std::uint64_t malformed() const { return malformed_.load(); }
  std::uint64_t denied() const { return denied_.load(); }  // CURVE handshakes refused
  // Messages that decoded and were handed to the handler, by type name (HELLO, READY,
  // HEARTBEAT, REPORT, RESULT, FAIL, BYE: what a worker sends), since Start.
  std::map<std::string, std::uint64_t> received() const;

 private:
  struct Impl;
  void AnswerZap();
  void NoteHandshakeFailure();
  std::unique_ptr<Impl> impl_;
  std::atomic<std::uint64_t> malformed_{0};
  std::atomic<std::uint64_t> denied_{0};
  std::array<std::atomic<std::uint64_t>, std::variant_size_v<wire::Message>> received_{};
};

}  // namespace krige::dispatch
