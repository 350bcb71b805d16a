// Central finite differences (Real = double) of the fused attention's backward (dq, dk, dv), with
// tiles small enough that the sequence spans several query and key tiles of different sizes, at
// softmax_scale 1 and 24; and a whole transformer with the fused kernel against finite differences.
// Error = max|fd − analytic| / max|analytic| < 1e-5 (the measure of test_transformer_ops_double).
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>

#include "kernels/attention_fused.hpp"
#include "model/gpt.hpp"
#include "support/device_helpers.hpp"
#include "support/finite_difference.hpp"
#include "support/gpt_gradient_check.hpp"
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
using lip::test::to_device_vector;
using lip::test::to_host_vector;

static_assert(std::is_same_v<k::Real, double>, "finite-difference checks need the double build (lip_double)");

using lip::test::expect_gradient;
using lip::test::fd_gradient;

TEST(AttentionFusedGradcheck, DqDkDvAcrossTiles) {
  const size_t B = 2, T = 7, HS = 3;
  const int NH = 2;
  for (double softmax_scale : {1.0, 24.0}) {
    const k::Real scale = k::attention_scale(softmax_scale, int(HS));
    k::Tensor3 lse("lse", B, NH, T);
    // query tiles 3, 3, 1 and key tiles 2, 2, 2, 1: every pass crosses tile boundaries
    const auto ws = k::make_fused_attention_workspace(B, T, NH, HS, true, 3, 2);
    lip::test::check_attention_gradients(
        "fused attention (softmax_scale " + std::to_string(int(softmax_scale)) + ")", B, T, NH, HS,
        [&](const k::Tensor3& out, const k::Tensor3& q, const k::Tensor3& kk, const k::Tensor3& v) {
          k::attention_fused_forward(out, lse, q, kk, v, NH, scale, ws);
        },
        [&](const k::Tensor3& dq, const k::Tensor3& dk, const k::Tensor3& dv, const k::Tensor3& w,
            const k::Tensor3& q, const k::Tensor3& kk, const k::Tensor3& v, const k::Tensor3& out) {
          k::attention_fused_backward(dq, dk, dv, w, q, kk, v, out, lse, NH, scale, ws);
        });
  }
}

TEST(AttentionFusedGradcheck, TransformerWithFusedAttention) {
  auto c = lip::test::gradcheck_gpt_config();
  c.attention_kernel = lip::AttentionKernel::fused;
  const double worst = lip::test::check_all_parameters(c);
  std::printf("  transformer (fused attention): worst parameter relative error %.2e\n", worst);
}
