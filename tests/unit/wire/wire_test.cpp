#include <gtest/gtest.h>

#include "wire/wire.hpp"

namespace krige::wire {
namespace {

TEST(WireTest, EveryMessageRoundTrips) {
  Assign assign;
  assign.trial = {42, 2};
  assign.experiment_id = 7;
  assign.number = 3;
  assign.params = {{"C", 0.5}, {"penalty", std::string("l1")}, {"n", std::int64_t{4}}};
  assign.training.dataset = "x.csv";
  assign.training.model = "ridge";
  assign.objective = {"r2", Goal::kMaximize};
  assign.api_url = "http://0.0.0.0:8080";
  assign.dataset_capability = "v1.1800000000.abcdef";
  Result result;
  result.trial = {42, 2};
  result.value = 0.75;
  result.metrics = {{"r2", 0.75}};
  result.steps = {{0, {{"r2", 0.7}}}, {1, {{"r2", 0.8}}}};
  const std::vector<Message> messages = {Hello{"w1", 2, "host", "0.1"},
                                         Ready{2},
                                         assign,
                                         Heartbeat{2, {{42, 2}, {43, 1}}},
                                         Report{{42, 2}, {1, {{"acc", 0.9}}}},
                                         Prune{{42, 2}},
                                         result,
                                         Fail{{42, 2}, "boom"},
                                         Ack{{42, 2}, false},
                                         Bye{}};
  for (const auto& m : messages) {
    const auto frames = Encode(m);
    const Message back = Decode(frames);
    EXPECT_EQ(back.index(), m.index());
    EXPECT_EQ(Encode(back), frames) << TypeName(m);
  }
  const auto decoded = std::get<Assign>(Decode(Encode(assign)));
  EXPECT_EQ(decoded.params, assign.params);
  EXPECT_EQ(decoded.training.model, "ridge");
  EXPECT_EQ(decoded.api_url, "http://0.0.0.0:8080");
  EXPECT_EQ(decoded.dataset_capability, "v1.1800000000.abcdef");
}

TEST(WireTest, AssignWithoutApiUrlStaysWithout) {
  Assign assign;
  assign.trial = {1, 1};
  assign.training.dataset = "sha256:" + std::string(64, 'a');
  assign.objective = {"accuracy", Goal::kMaximize};
  const auto frames = Encode(assign);
  EXPECT_EQ(frames[2].find("api_url"), std::string::npos) << frames[2];
  EXPECT_EQ(frames[2].find("dataset_capability"), std::string::npos) << frames[2];
  const auto decoded = std::get<Assign>(Decode(frames));
  EXPECT_EQ(decoded.api_url, "");
  EXPECT_EQ(decoded.training.dataset, assign.training.dataset);
}

TEST(WireTest, MalformedMessagesAreRejected) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"KRIGE1", "READY"},
      {"KRIGE0", "READY", R"({"slots":1})"},
      {"KRIGE1", "DANCE", "{}"},
      {"KRIGE1", "READY", "{not json"},
      {"KRIGE1", "READY", R"({"slots":"many"})"},
      {"KRIGE1", "RESULT", R"({"trial_id":1})"},
      {"KRIGE1", "HELLO", R"({"worker_id":"","slots":1})"},
  };
  for (const auto& frames : bad) EXPECT_THROW(Decode(frames), Error);
}

}  // namespace
}  // namespace krige::wire
