#pragma once
/* Each tensor's norm as the certified bound reads it, computed exactly: RMS→RMS for matrices
 * (sqrt(fan_in/fan_out)·σ₁ with σ₁ from a host LAPACK SVD in double), max column RMS for
 * embedding tables. Used where a bound must be a certificate (robustness tools, exact metrics);
 * power iteration approaches σ₁ from below and so only estimates it.
 */
#include <vector>

#include "model/param_store.hpp"

namespace lip {

double exact_tensor_norm(const ParamInfo& info, kernels::MatrixView tensor);
std::vector<double> exact_norms(const ParamStore& params);

}  // namespace lip
