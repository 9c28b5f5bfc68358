// Many experiments at once on few slots: 20 experiments x parallelism 4 on 4 workers x 2 slots.
// The scheduler must share the slots and end every one of them.
#include <pqxx/pqxx>

#include "fault_env.hpp"

namespace krige::testing {
namespace {

class LoadFaultTest : public FaultTest {};

TEST_F(LoadFaultTest, TwentyExperimentsAtOnceOnFourWorkers) {
  StartServer();
  for (int i = 0; i < 4; ++i) StartWorker("w" + std::to_string(i), 2);
  for (int i = 0; i < 20; ++i) Submit(CommandSweep("load-" + std::to_string(i), 40, 4, "0.1"));
  Note("20 experiments submitted");
  ASSERT_TRUE(WaitAllEnded(std::chrono::seconds(240)));
  Note("all ended");
  ExpectAllComplete();
  pqxx::read_transaction w(Sql());
  EXPECT_EQ(w.exec1("SELECT count(DISTINCT worker) FROM trials")[0].as<int>(), 4)
      << "every worker took part";
}

}  // namespace
}  // namespace krige::testing
