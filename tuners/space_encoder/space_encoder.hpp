// SpaceEncoder: a search space as the unit cube [0,1]^d, and back.
//
// Numeric parameters take one coordinate: linear or log scale; integers (and stepped floats)
// own equal-width bins, so uniform sampling in the cube is uniform over the admissible values.
// A categorical parameter with k choices takes k one-hot coordinates (see docs/tuners.md for
// why one-hot and not a categorical kernel). A parameter that is inactive under its
// conditions is encoded as a fixed filler (0.5, or all-zero one-hot) so that two
// configurations sharing the same inactive parameter are at distance 0 in those coordinates;
// Decode() never emits inactive parameters.
//
// There is also a compact "unit" view with one coordinate per parameter (a categorical picks
// choice floor(u * k)) used by quasi-random designs, which need one dimension per parameter.
//
// Thread-safety: immutable after construction; all methods are const.
#pragma once

#include <cstddef>
#include <vector>

#include "krige/params.hpp"
#include "krige/space.hpp"

namespace krige::tuners {

class SpaceEncoder {
 public:
  // Where one parameter lives in the encoded vector.
  struct Block {
    std::size_t param = 0;   // index into space.params()
    std::size_t offset = 0;  // first coordinate
    std::size_t width = 1;   // 1, or the number of choices of a categorical
    bool discrete = false;   // int, stepped float or categorical: moved by neighbourhood search
  };

  explicit SpaceEncoder(SearchSpace space);

  const SearchSpace& space() const { return space_; }
  std::size_t dims() const { return dims_; }
  const std::vector<Block>& blocks() const { return blocks_; }

  // params must be a member of the space (missing active parameters get the filler).
  std::vector<double> Encode(const Params& params) const;
  // Any x (clamped to [0,1]); categoricals by arg-max, integers and steps snapped.
  Params Decode(const std::vector<double>& x) const;
  // Encode(Decode(x)): snaps x onto an admissible configuration.
  std::vector<double> Canonical(const std::vector<double>& x) const { return Encode(Decode(x)); }

  // One coordinate per parameter, in space order.
  std::size_t unit_dims() const { return space_.size(); }
  Params DecodeUnit(const std::vector<double>& u) const;

  // Admissible value of parameter `spec` at position t in [0,1] of its numeric axis.
  static ParamValue NumericAt(const ParamSpec& spec, double t);
  // Inverse of NumericAt (the centre of the value's bin for integers).
  static double NumericPosition(const ParamSpec& spec, double value);

 private:
  SearchSpace space_;
  std::vector<Block> blocks_;
  std::size_t dims_ = 0;
};

}  // namespace krige::tuners
