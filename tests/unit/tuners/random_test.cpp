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
)")).space;
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
