// krige-server SIGKILLed again and again in one sweep, each time restarted on the same database
// and the same ZeroMQ endpoint: the workers reconnect by themselves, and the sweep ends with
// every trial done once.
#include <signal.h>

#include "fault_env.hpp"

namespace krige::testing {
namespace {

class CoordinatorFaultTest : public FaultTest {};

TEST_F(CoordinatorFaultTest, TenKillsOfTheServerInOneSweep) {
  StartServer();
  StartWorker("w0");
  StartWorker("w1");
  Submit(CommandSweep("ten-server-kills", 60, 2, "0.1"));
  for (const int moment : Moments(10, 3, 55)) {
    ASSERT_TRUE(WaitCompleted(moment));
    Jitter(std::chrono::milliseconds(150));  // any phase of a trial
    Note("SIGKILL krige-server after " + std::to_string(moment) + " completed trials");
    KillServer();
    StartServer();
  }
  ASSERT_TRUE(WaitAllEnded());
  ExpectAllComplete();
}

}  // namespace
}  // namespace krige::testing
