#include "sobol/sobol_tuner.hpp"

#include <boost/random/sobol.hpp>
#include <set>

#include "krige/error.hpp"
#include "random/random_tuner.hpp"
#include "space_encoder/space_encoder.hpp"

namespace krige::tuners {
namespace {

constexpr std::size_t kMaxSobolDims = 3667;  // Boost's default direction-number table

class SobolTuner : public Tuner {
 public:
  explicit SobolTuner(TunerContext context)
      : context_(std::move(context)), may_repeat_(MayRepeat(context_.space)) {
    if (context_.space.size() > kMaxSobolDims)
      throw Error(ErrorCode::kInvalidArgument, "sobol: at most 3667 parameters", "space");
  }
  bool ReadsHistory() const override { return may_repeat_; }

  std::vector<Suggestion> Suggest(const History& history, int n) const override {
    // A duplicate is redrawn from later Sobol points first; small discrete spaces may use up
    // every stratum, so then from independent uniform draws.
    return SuggestDistinct(
        history, n, 127,
        [&](std::uint64_t k, std::uint64_t redraw) {
          if (redraw < 64) return SobolParams(context_.space, context_.seed, k + (redraw << 40));
          return SampleUniform(context_.space,
                               DeriveSeed(context_.seed ^ 0x5eed, k + ((redraw - 63) << 40)));
        },
        may_repeat_);
  }

 private:
  TunerContext context_;
  bool may_repeat_;
};

}  // namespace

std::vector<std::vector<double>> ShiftedSobolPoints(std::size_t dims, std::uint64_t seed,
                                                    std::uint64_t first, std::size_t count) {
  if (dims > kMaxSobolDims)
    throw Error(ErrorCode::kInvalidArgument, "sobol: at most 3667 dimensions", "space");
  std::vector<std::vector<double>> out(count, std::vector<double>(dims, 0.0));
  if (dims == 0 || count == 0) return out;
  std::vector<std::uint64_t> shift(dims);
  for (std::size_t j = 0; j < dims; ++j) shift[j] = DeriveSeed(seed, 0xD1'0000'0000ULL + j);
  // Boost's engine omits the all-zero first point of the sequence; put it back so that
  // every prefix of 2^m points is a (t,m,s)-net (stratified), then shift.
  boost::random::sobol engine(dims);
  if (first > 0) engine.seed(first - 1);
  for (std::size_t i = 0; i < count; ++i)
    for (std::size_t j = 0; j < dims; ++j) {
      const std::uint64_t raw = first + i == 0 ? 0 : static_cast<std::uint64_t>(engine());
      const std::uint64_t bits = raw ^ shift[j];
      out[i][j] = static_cast<double>(bits >> 11) * 0x1.0p-53;
    }
  return out;
}

std::vector<double> ShiftedSobolPoint(std::size_t dims, std::uint64_t seed, std::uint64_t index) {
  return ShiftedSobolPoints(dims, seed, index, 1).front();
}

Params SobolParams(const SearchSpace& space, std::uint64_t seed, std::uint64_t k) {
  const SpaceEncoder encoder(space);
  return encoder.DecodeUnit(ShiftedSobolPoint(encoder.unit_dims(), seed, k));
}

std::unique_ptr<Tuner> MakeSobolTuner(const TunerContext& context) {
  return std::make_unique<SobolTuner>(context);
}

}  // namespace krige::tuners
