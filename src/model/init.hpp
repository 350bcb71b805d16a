#pragma once
// Weight initialization (ALGORITHMS §5.8), shared by every model.
#include <cstdint>

#include "model/param_store.hpp"

namespace lip {

/// matrix, not zero_init : W = NS(G) · sqrt(fan_out/fan_in), G ~ N(0,1) (RMS→RMS norm ≈ 1)
/// matrix, zero_init     : W = 0
/// embedding [D, V]      : N(0,1) columns normalized to RMS exactly 1
/// G for tensor i is Philox stream i under `seed`, so every rank and backend draws the same bits.
void initialize_parameters(const ParamStore& params, uint64_t seed);

}  // namespace lip
