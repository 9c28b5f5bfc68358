// A deliberately small HTTP/1.1 client over a POSIX socket, so the server tests control every
// byte (keep-alive, pipelining, oversize bodies) and need no second Beast translation unit.
// Understands Content-Length responses only, which is all krige's server sends.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace krige::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class HttpConnection {
 public:
  // Connects to 127.0.0.1:port; every receive gives up after `timeout`.
  explicit HttpConnection(std::uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends raw bytes; false when the peer has closed or reset.
  bool Send(const std::string& bytes);
  // Reads one response; nullopt on close, reset or timeout.
  std::optional<HttpReply> Receive();
  // True when the server closed the connection (EOF or reset) within the timeout.
  bool WaitClosed();

  // A GET request with Host and the given extra header lines ("Connection: close\r\n").
  static std::string Get(const std::string& target, const std::string& extra_headers = {});
  static std::string Post(const std::string& target, const std::string& body);

 private:
  bool Fill();  // one recv into buffer_; false on EOF/error/timeout
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace krige::testing
