#pragma once

#include "krige/tuners/tuner.hpp"

namespace krige::tuners {

// Independent uniform draws (log-uniform for log-scale parameters). The k-th configuration of
// an experiment depends only on (seed, k), so the same seed gives the same sequence.
std::unique_ptr<Tuner> MakeRandomTuner(const TunerContext& context);

// One uniform draw from the space, conditionals respected; shared by tuners that need it.
Params SampleUniform(const SearchSpace& space, std::uint64_t seed);

// Up to n configurations new to `history` (and to each other). The i-th is draw(k, 0) with
// k = history.size() + i, so it depends on the trial number only; a duplicate is redrawn with
// draw(k, 1), draw(k, 2), ... up to `max_draws` times, after which the space is taken as
// exhausted and fewer than n are returned. When `may_repeat` is false (see MayRepeat) the
// draws are taken as they come, at a cost that does not grow with the history.
std::vector<Suggestion> SuggestDistinct(
    const History& history, int n, int max_draws,
    const std::function<Params(std::uint64_t k, std::uint64_t redraw)>& draw,
    bool may_repeat = true);

// False when two draws from the space cannot coincide (but with probability 2^-52): some
// float parameter without a step is always active.
bool MayRepeat(const SearchSpace& space);

}  // namespace krige::tuners
