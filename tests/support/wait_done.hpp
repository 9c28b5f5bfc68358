// For tests that drive a server through the SDK client.
#pragma once

#include <chrono>
#include <thread>

#include "krige/client.hpp"

namespace krige::testing {

// Polls until the experiment leaves `running` or the timeout passes; returns its last state.
inline Experiment WaitDone(const Client& client, std::int64_t id, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Experiment e = client.GetExperiment(id);
  while (e.state == ExperimentState::kRunning && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    e = client.GetExperiment(id);
  }
  return e;
}

}  // namespace krige::testing
