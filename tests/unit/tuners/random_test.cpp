#include <gtest/gtest.h>

#include <set>

#include "krige/codec.hpp"
#include "krige/tuners/tuner.hpp"

namespace krige::tuners {
namespace {

TunerContext Context(std::uint64_t seed) {
  TunerContext c;
  c.seed = seed;
  c.space = SpecFromJson(YamlToJson(R"(
name: t
objective: {metric: accuracy}
space:
  C: {type: float, low: 1e-3, high: 1e3, log: true}
  kernel: {type: categorical, values: [rbf, poly]}
  degree: {type: int, low: 2, high: 5, when: {kernel: poly}}
training: {dataset: d.csv, model: logistic_regression}
)"))
                .space;
  return c;
}

std::vector<Params> Sequence(std::uint64_t seed, int total, int batch) {
  auto tuner = DefaultRegistry().Create("random", Context(seed));
  History h;
  std::vector<Params> out;
  while (static_cast<int>(out.size()) < total) {
    for (auto& s : tuner->Suggest(h, batch)) {
      out.push_back(s.params);
      h.completed.push_back({s.params, 0.0});
    }
  }
  return out;
}

TEST(RandomTunerTest, SameSeedSameSequenceWhateverTheBatchSize) {
  EXPECT_EQ(Sequence(7, 24, 1), Sequence(7, 24, 1));
  EXPECT_EQ(Sequence(7, 24, 1), Sequence(7, 24, 4));
  EXPECT_NE(Sequence(7, 24, 1), Sequence(8, 24, 1));
}

TEST(RandomTunerTest, SuggestionsLieInTheSpaceAndCoverIt) {
  const auto context = Context(3);
  const auto seq = Sequence(3, 400, 8);
  int poly = 0, small_c = 0;
  for (const auto& p : seq) {
    ASSERT_TRUE(context.space.Contains(p)) << ToJson(p).dump();
    poly += std::get<std::string>(p.at("kernel")) == "poly";
    small_c += AsDouble(p.at("C")) < 1.0;
  }
  // Log scale: half of the draws fall below the geometric middle (1.0).
  EXPECT_NEAR(small_c / 400.0, 0.5, 0.1);
  EXPECT_NEAR(poly / 400.0, 0.5, 0.1);
}

TEST(RandomTunerTest, OverAContinuousSpaceOnlyTheNumberOfTrialsMatters) {
  // C is a float always active: no two draws coincide, so random and sobol need no history
  // but its size, and the scheduler counts the finished trials instead of keeping them.
  for (const char* name : {"random", "sobol"}) {
    SCOPED_TRACE(name);
    auto tuner = DefaultRegistry().Create(name, Context(5));
    EXPECT_FALSE(tuner->ReadsHistory());
    History listed;
    for (const auto& s : tuner->Suggest(listed, 30)) listed.completed.push_back({s.params, 1.0});
    History counted;
    counted.unlisted = 30;
    const auto a = tuner->Suggest(listed, 5), b = tuner->Suggest(counted, 5);
    ASSERT_EQ(a.size(), 5u);
    ASSERT_EQ(b.size(), 5u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(a[i].params, b[i].params);
  }
  // A space of ints and categories can repeat: the history is read (duplicates are skipped).
  TunerContext c = Context(1);
  ParamSpec k;
  k.name = "k";
  k.type = ParamType::kInt;
  k.low = 1;
  k.high = 4;
  c.space = SearchSpace({k});
  EXPECT_TRUE(DefaultRegistry().Create("random", c)->ReadsHistory());
  EXPECT_TRUE(DefaultRegistry().Create("gp", Context(5))->ReadsHistory());
}

TEST(RandomTunerTest, NoDuplicateOfPendingInASmallSpace) {
  TunerContext c = Context(1);
  ParamSpec k;
  k.name = "k";
  k.type = ParamType::kInt;
  k.low = 1;
  k.high = 4;
  c.space = SearchSpace({k});
  auto tuner = DefaultRegistry().Create("random", c);
  History h;
  h.pending = {{{"k", std::int64_t{1}}}, {{"k", std::int64_t{2}}}};
  const auto s = tuner->Suggest(h, 5);
  ASSERT_EQ(s.size(), 2u) << "only 3 and 4 are left";
  std::set<std::int64_t> ks;
  for (const auto& x : s) ks.insert(std::get<std::int64_t>(x.params.at("k")));
  EXPECT_EQ(ks, (std::set<std::int64_t>{3, 4}));
}

}  // namespace
}  // namespace krige::tuners
