#include "space_encoder/space_encoder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "krige/codec.hpp"
#include "random/random_tuner.hpp"

namespace krige::tuners {
namespace {

SearchSpace Space(const std::string& yaml_space) {
  return SpecFromJson(YamlToJson("name: t\nobjective: {metric: accuracy}\nspace:\n" + yaml_space +
                                 "training: {dataset: d.csv, model: logistic_regression}\n"))
      .space;
}

const char* kMixed = R"(  C: {type: float, low: 1e-3, high: 1e3, log: true}
  kernel: {type: categorical, values: [rbf, poly, linear]}
  degree: {type: int, low: 2, high: 5, when: {kernel: poly}}
  coef: {type: float, low: 0, high: 1, step: 0.25, when: {kernel: [poly, rbf]}}
  trees: {type: int, low: 8, high: 512, log: true}
)";

TEST(SpaceEncoderTest, RoundTripsEveryConfiguration) {
  const SpaceEncoder enc(Space(kMixed));
  EXPECT_EQ(enc.dims(), 1u + 3 + 1 + 1 + 1);
  for (std::uint64_t s = 0; s < 500; ++s) {
    const Params p = SampleUniform(enc.space(), s);
    const auto x = enc.Encode(p);
    ASSERT_EQ(x.size(), enc.dims());
    for (double v : x) ASSERT_TRUE(v >= 0 && v <= 1);
    const Params back = enc.Decode(x);
    ASSERT_TRUE(enc.space().Contains(back)) << ToJson(back).dump();
    // Floats round-trip to rounding error, everything else exactly.
    ASSERT_EQ(back.size(), p.size());
    for (const auto& [k, v] : p) {
      if (std::holds_alternative<double>(v))
        EXPECT_NEAR(AsDouble(back.at(k)), AsDouble(v), 1e-9 * std::fabs(AsDouble(v)) + 1e-12) << k;
      else
        EXPECT_EQ(back.at(k), v) << k;
    }
  }
}

TEST(SpaceEncoderTest, LogScaleMapsTheGeometricMiddleToOneHalf) {
  const SpaceEncoder enc(Space(kMixed));
  const auto x =
      enc.Encode({{"C", 1.0}, {"kernel", std::string("linear")}, {"trees", std::int64_t{64}}});
  EXPECT_NEAR(x[0], 0.5, 1e-12);  // C is the first block (space order: by name, parents first)
}

TEST(SpaceEncoderTest, InactiveParametersAreFillersAndNeverDecoded) {
  const SpaceEncoder enc(Space(kMixed));
  const Params linear{{"C", 1.0}, {"kernel", std::string("linear")}, {"trees", std::int64_t{8}}};
  const auto x = enc.Encode(linear);
  const Params back = enc.Decode(x);
  EXPECT_EQ(back.count("degree"), 0u);
  EXPECT_EQ(back.count("coef"), 0u);
  // Two linear configurations differ only in C and trees, whatever junk is in inactive dims.
  auto y = x;
  for (const auto& b : enc.blocks())
    if (enc.space().params()[b.param].name == "degree") y[b.offset] = 0.93;
  EXPECT_EQ(enc.Decode(y), back);
  EXPECT_EQ(enc.Canonical(y), x);
}

TEST(SpaceEncoderTest, IntegersOwnEqualBins) {
  const SpaceEncoder enc(Space("  k: {type: int, low: 0, high: 9, step: 3}\n"));  // 0 3 6 9
  std::map<std::int64_t, int> count;
  for (int i = 0; i < 400; ++i)
    ++count[std::get<std::int64_t>(enc.Decode({(i + 0.5) / 400}).at("k"))];
  EXPECT_EQ(count, (std::map<std::int64_t, int>{{0, 100}, {3, 100}, {6, 100}, {9, 100}}));
}

TEST(SpaceEncoderTest, UnitViewPicksCategoriesByStratum) {
  const SpaceEncoder enc(Space("  k: {type: categorical, values: [a, b, c]}\n"));
  EXPECT_EQ(enc.unit_dims(), 1u);
  EXPECT_EQ(std::get<std::string>(enc.DecodeUnit({0.1}).at("k")), "a");
  EXPECT_EQ(std::get<std::string>(enc.DecodeUnit({0.5}).at("k")), "b");
  EXPECT_EQ(std::get<std::string>(enc.DecodeUnit({0.9999}).at("k")), "c");
  EXPECT_EQ(std::get<std::string>(enc.DecodeUnit({1.0}).at("k")), "c");
}

}  // namespace
}  // namespace krige::tuners
