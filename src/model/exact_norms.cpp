#include "model/exact_norms.hpp"

#include <cmath>

#include "kernels/reductions.hpp"
#include "kernels/spectral.hpp"

namespace lip {

double exact_tensor_norm(const ParamInfo& info, kernels::MatrixView tensor) {
  if (info.kind == ParamKind::embedding) return kernels::max_column_rms(tensor);
  // RMS→RMS = sqrt(fan_in/fan_out)·σ₁
  return std::sqrt(double(info.cols) / double(info.rows)) * kernels::spectral_norm_exact(tensor);
}

std::vector<double> exact_norms(const ParamStore& params) {
  std::vector<double> norms;
  for (size_t i = 0; i < params.num_tensors(); ++i) norms.push_back(exact_tensor_norm(params.info(i), params.param(i)));
  return norms;
}

}  // namespace lip
