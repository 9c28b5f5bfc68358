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
  assign.await_verdicts = true;
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
                                         Continue{{42, 2}, 3},
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
  EXPECT_TRUE(decoded.await_verdicts);
  EXPECT_EQ(std::get<Continue>(Decode(Encode(Continue{{42, 2}, 3}))).step, 3);
}

TEST(WireTest, AssignWithoutApiUrlStaysWithout) {
  Assign assign;
  assign.trial = {1, 1};
  assign.experiment_id = 1;
  assign.training.dataset = "sha256:" + std::string(64, 'a');
  assign.objective = {"accuracy", Goal::kMaximize};
  const auto frames = Encode(assign);
  EXPECT_EQ(frames[2].find("api_url"), std::string::npos) << frames[2];
  EXPECT_EQ(frames[2].find("dataset_capability"), std::string::npos) << frames[2];
  EXPECT_EQ(frames[2].find("await_verdicts"), std::string::npos) << frames[2];
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

std::vector<std::string> Frames(const char* type, const std::string& body) {
  return {kProtocol, type, body};
}

TEST(WireTest, SlotCountsOutsideTheirRangeAreRejected) {
  for (const char* slots : {"-2147483648", "0", "1025", "2147483648", "1e400", "1.5"}) {
    const std::string hello = std::string(R"({"worker_id":"w1","slots":)") + slots + "}";
    EXPECT_THROW(Decode(Frames("HELLO", hello)), Error) << slots;
    const std::string beat = std::string(R"({"slots":)") + slots + R"(,"running":[]})";
    EXPECT_THROW(Decode(Frames("HEARTBEAT", beat)), Error) << slots;
  }
  for (const char* slots : {"-1", "1025"})
    EXPECT_THROW(Decode(Frames("READY", std::string(R"({"slots":)") + slots + "}")), Error)
        << slots;
  EXPECT_EQ(std::get<Hello>(Decode(Frames("HELLO", R"({"worker_id":"w1","slots":1024})"))).slots,
            kMaxSlots);
  EXPECT_EQ(std::get<Heartbeat>(Decode(Frames("HEARTBEAT", R"({"slots":1,"running":[]})"))).slots,
            1);
  EXPECT_EQ(std::get<Ready>(Decode(Frames("READY", R"({"slots":0})"))).slots, 0);
}

TEST(WireTest, WorkersSayWhatTheyRunAndWhichExperimentTheyArePinnedTo) {
  const Hello hello{"w", 2, "host", "1", {"cv", "function:train"}, 7};
  const auto back = std::get<Hello>(Decode(Encode(hello)));
  EXPECT_EQ(back.kinds, hello.kinds);
  EXPECT_EQ(back.experiment, 7);
  const auto beat = std::get<Heartbeat>(Decode(Encode(Heartbeat{1, {}, {"command"}, 0})));
  EXPECT_EQ(beat.kinds, std::vector<std::string>{"command"});
  EXPECT_EQ(beat.experiment, 0);
  // A HELLO that lists nothing serves nothing (an older worker gets no trials it might fail).
  EXPECT_TRUE(
      std::get<Hello>(Decode(Frames("HELLO", R"({"worker_id":"w","slots":1})"))).kinds.empty());
  Assign assign;
  assign.trial = {1, 1};
  assign.experiment_id = 3;
  assign.experiment_name = "sweep";
  EXPECT_EQ(std::get<Assign>(Decode(Encode(assign))).experiment_name, "sweep");
  for (const char* body :
       {R"({"worker_id":"w","slots":1,"kinds":"cv"})",
        R"({"worker_id":"w","slots":1,"kinds":[""]})", R"({"worker_id":"w","slots":1,"kinds":[7]})",
        R"({"worker_id":"w","slots":1,"experiment":-1})"})
    EXPECT_THROW(Decode(Frames("HELLO", body)), Error) << body;
  Hello many{"w", 1, "", "", std::vector<std::string>(kMaxKinds + 1, "cv"), 0};
  EXPECT_THROW(Decode(Encode(many)), Error);
}

TEST(WireTest, ListsAndNumbersAreBounded) {
  Heartbeat beat{1, std::vector<TrialRef>(kMaxRunning + 1, TrialRef{1, 1})};
  EXPECT_THROW(Decode(Encode(beat)), Error);
  beat.running.pop_back();
  EXPECT_EQ(std::get<Heartbeat>(Decode(Encode(beat))).running.size(), kMaxRunning);

  Result result;
  result.trial = {1, 1};
  result.steps.assign(kMaxSteps + 1, StepScores{0, {{"acc", 0.5}}});
  EXPECT_THROW(Decode(Encode(result)), Error);
  result.steps.clear();
  for (std::size_t i = 0; i <= kMaxMetrics; ++i) result.metrics["m" + std::to_string(i)] = 1;
  EXPECT_THROW(Decode(Encode(result)), Error);

  const std::vector<std::vector<std::string>> bad = {
      Frames("RESULT", R"({"trial_id":1,"attempt":1,"value":1e400,"metrics":{},"steps":[]})"),
      Frames("RESULT",
             R"({"trial_id":1,"attempt":1,"value":0.5,"metrics":{"a":1e400},"steps":[]})"),
      Frames("RESULT",
             R"({"trial_id":1,"attempt":1,"value":0.5,"metrics":{},"steps":[],"seconds":-1})"),
      Frames("RESULT", R"({"trial_id":1,"attempt":1,"value":0.5,"metrics":{},)"
                       R"("steps":[{"step":0,"values":{"a":-1e400}}]})"),
      Frames("REPORT", R"({"trial_id":1,"attempt":1,"scores":{"step":-1,"values":{}}})"),
      Frames("FAIL", R"({"trial_id":0,"attempt":1,"error":"x"})"),
      Frames("FAIL", R"({"trial_id":1,"attempt":4294967297,"error":"x"})"),
      Frames("FAIL", R"({"trial_id":18446744073709551615,"attempt":1,"error":"x"})"),
      Frames("FAIL", R"({"trial_id":1,"attempt":1,"error":7})"),
      Frames("HELLO", R"({"worker_id":"w\u0000","slots":1})"),
      Frames("HELLO", R"({"worker_id":")" + std::string(300, 'w') + R"(","slots":1})"),
  };
  for (const auto& frames : bad) EXPECT_THROW(Decode(frames), Error) << frames[2];
}

TEST(WireTest, InformationalTextIsCutNotRefused) {
  const Fail fail = std::get<Fail>(Decode(Encode(Fail{{1, 1}, std::string(100000, 'e')})));
  EXPECT_EQ(fail.error.size(), kMaxErrorBytes);
  const Fail nul =
      std::get<Fail>(Decode(Frames("FAIL", R"({"trial_id":1,"attempt":1,"error":"a\u0000b"})")));
  EXPECT_EQ(nul.error,
            "a\xef\xbf\xbd"
            "b");
  const Hello hello =
      std::get<Hello>(Decode(Encode(Hello{"w1", 2, std::string(1000, 'h'), "v\xc3\xa9"})));
  EXPECT_EQ(hello.hostname, std::string(kMaxInfoBytes, 'h'));
  EXPECT_EQ(hello.version, "v\xc3\xa9");
}

TEST(WireTest, AssignIdsOutsideTheirRangeAreRejected) {
  // Found by the wire fuzzer: a float id was cast to an integer (undefined behaviour).
  const std::string tail = R"(,"params":{},"training":{"dataset":"d.csv","model":"knn"},)"
                           R"("objective":{"metric":"accuracy","goal":"maximize"}})";
  for (const char* fields : {R"("experiment_id":1e19)", R"("experiment_id":1,"number":1e300)",
                             R"("experiment_id":1,"number":-1)", R"("experiment_id":0)"}) {
    const std::string body = std::string(R"({"trial_id":1,"attempt":1,)") + fields + tail;
    EXPECT_THROW(Decode(Frames("ASSIGN", body)), Error) << fields;
  }
  EXPECT_NO_THROW(Decode(Frames(
      "ASSIGN", std::string(R"({"trial_id":1,"attempt":1,"experiment_id":7,"number":3)") + tail)));
}
}  // namespace
}  // namespace krige::wire
