// Workers SIGKILLed mid-trial (a replacement joins each time), and a worker frozen (SIGSTOP)
// past its lease: its trial is finished elsewhere on the next attempt, and the result it sends
// once thawed is discarded.
#include <signal.h>

#include <set>
#include <sstream>

#include "fault_env.hpp"

namespace krige::testing {
namespace {

using namespace std::chrono_literals;

class WorkerFaultTest : public FaultTest {};

TEST_F(WorkerFaultTest, FiveWorkerKillsMidTrial) {
  StartServer();
  std::set<std::string> alive = {"w0", "w1"};
  for (const auto& id : alive) StartWorker(id);
  Submit(CommandSweep("five-worker-kills", 50, 2, "0.3"));
  int next_worker = 2;
  std::vector<StoredTrial> victims;
  for (const int moment : Moments(5, 3, 40)) {
    ASSERT_TRUE(WaitCompleted(moment));
    Jitter(100ms);
    std::optional<StoredTrial> victim;
    ASSERT_TRUE(WaitUntil("a running trial on a live worker", [&](const auto&) {
      std::vector<StoredTrial> candidates;
      for (const auto& t : RunningTrials())
        if (alive.count(t.worker)) candidates.push_back(t);
      if (candidates.empty()) return false;
      victim =
          candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng())];
      return true;
    }));
    ChildProcess& w = worker(victim->worker);
    w.Kill(SIGKILL);
    ASSERT_EQ(w.Wait(10s), 128 + SIGKILL);
    alive.erase(victim->worker);
    const std::string replacement = "w" + std::to_string(next_worker++);
    StartWorker(replacement);
    alive.insert(replacement);
    Note("SIGKILL " + victim->worker + " in trial " + std::to_string(victim->id) + " attempt " +
         std::to_string(victim->attempt) + " after " + std::to_string(moment) +
         " completed trials; " + replacement + " replaces it");
    victims.push_back(*victim);
  }
  ASSERT_TRUE(WaitAllEnded());
  ExpectAllComplete();
  // Each trial a killed worker held was finished by another worker on a later attempt, or by
  // the victim itself if its result got out just before the kill.
  for (const auto& v : victims) {
    const auto after = ReadTrial(v.id);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->state, "completed") << "trial " << v.id;
    EXPECT_TRUE((after->attempt > v.attempt && after->worker != v.worker) ||
                (after->attempt == v.attempt && after->worker == v.worker))
        << "trial " << v.id << " held by " << v.worker << " (attempt " << v.attempt
        << "): now attempt " << after->attempt << " on " << after->worker;
  }
}

int AssignmentsIn(const std::string& log) {
  std::istringstream lines(log);
  int n = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.find("(attempt ") != std::string::npos) ++n;
  return n;
}

TEST_F(WorkerFaultTest, AStoppedWorkersLateResultIsDiscarded) {
  StartServer();
  StartWorker("w0");
  StartWorker("w1");
  Submit(CommandSweep("stopped-worker", 30, 2, "0.8"));
  ASSERT_TRUE(WaitCompleted(Moments(1, 3, 8)[0]));
  ChildProcess& w0 = worker("w0");
  // Freeze w0 while it runs a trial (if that trial ended just before, thaw and try again).
  std::optional<StoredTrial> held;
  for (int tries = 0; tries < 5 && !held; ++tries) {
    std::optional<StoredTrial> running;
    ASSERT_TRUE(WaitUntil("a running trial on w0", [&](const auto&) {
      for (const auto& t : RunningTrials())
        if (t.worker == "w0") running = t;
      return running.has_value();
    }));
    w0.Kill(SIGSTOP);
    const auto now = ReadTrial(running->id);
    if (now && now->state == "running" && now->attempt == running->attempt) {
      held = running;
    } else {
      w0.Kill(SIGCONT);
    }
  }
  ASSERT_TRUE(held) << "w0's trials kept ending before SIGSTOP";
  const int assignments_before = AssignmentsIn(w0.Log());
  Note("SIGSTOP w0 in trial " + std::to_string(held->id) + " attempt " +
       std::to_string(held->attempt));

  std::optional<StoredTrial> finished;
  const auto done = WaitUntil(
      "trial " + std::to_string(held->id) + " finished while w0 is frozen",
      [&](const auto&) {
        finished = ReadTrial(held->id);
        return finished && finished->state != "running" && finished->state != "queued";
      },
      60s);
  w0.Kill(SIGCONT);
  ASSERT_TRUE(done);
  Note("trial " + std::to_string(held->id) + " " + finished->state + " by " + finished->worker +
       " attempt " + std::to_string(finished->attempt) + "; SIGCONT w0");
  EXPECT_EQ(finished->state, "completed");
  EXPECT_EQ(finished->attempt, held->attempt + 1);
  EXPECT_EQ(finished->worker, "w1");

  // w0's late RESULT leaves before the READY that gets it new work (one socket, in order), so
  // a new assignment on w0 means the coordinator has seen that result.
  ASSERT_TRUE(WaitUntil("w0 back at work after its late result", [&](const auto& sweeps) {
    if (AssignmentsIn(w0.Log()) > assignments_before) return true;
    for (const auto& s : sweeps)
      if (s.state == "running") return false;
    return true;
  }));
  ASSERT_TRUE(WaitAllEnded());
  ExpectAllComplete();
  const auto after = ReadTrial(held->id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, "completed");
  EXPECT_EQ(after->attempt, held->attempt + 1)
      << "the late result of attempt " << held->attempt << " was taken";
  EXPECT_EQ(after->worker, "w1");
  EXPECT_EQ(after->finished_at, finished->finished_at) << "the late result rewrote the trial";
}

}  // namespace
}  // namespace krige::testing
