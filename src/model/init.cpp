#include "model/init.hpp"

#include <cmath>

#include "kernels/elementwise.hpp"
#include "kernels/newton_schulz.hpp"
#include "kernels/rng.hpp"
#include "kernels/spectral.hpp"

namespace lip {

void initialize_parameters(const ParamStore& params, uint64_t seed) {
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto& info = params.info(i);
    const auto W = params.param(i);
    if (info.zero_init) {
      Kokkos::deep_copy(W, kernels::Real(0));
      continue;
    }
    if (info.kind != ParamKind::matrix) {
      // Every token's slice (embedding column, unembedding row, §4.2–4.3) gets RMS exactly 1.
      kernels::fill_normal(W, seed, i);
      if (info.kind == ParamKind::embedding)
        kernels::rms_normalize_columns(W, 1e9);
      else
        kernels::rms_normalize_rows(W, 1e9);
      continue;
    }
    kernels::Tensor2 gaussian("init::gaussian", info.rows, info.cols);
    kernels::fill_normal(gaussian, seed, i);
    kernels::NsWorkspace workspace(info.rows, info.cols);
    // W = NS(G) · sqrt(fan_out / fan_in)
    kernels::newton_schulz(W, gaussian, workspace, kernels::ns_table("reference6"));
    kernels::scale("kernels::init_fan_scale", W, kernels::Real(std::sqrt(double(info.rows) / double(info.cols))));
  }
}

}  // namespace lip
