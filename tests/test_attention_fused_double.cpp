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
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
using lip::test::to_device_vector;
using lip::test::to_host_vector;

static_assert(std::is_same_v<k::Real, double>, "finite-difference checks need the double build (lip_double)");

namespace {

constexpr double fd_step = 1e-6;
constexpr double fd_tolerance = 1e-5;

std::vector<double> fd_gradient(std::vector<double> x, const std::function<double(const std::vector<double>&)>& loss) {
  std::vector<double> g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double x0 = x[i];
    x[i] = x0 + fd_step;
    const double fp = loss(x);
    x[i] = x0 - fd_step;
    const double fm = loss(x);
    x[i] = x0;
    g[i] = (fp - fm) / (2 * fd_step);
  }
  return g;
}

double expect_gradient(const std::string& name, const std::vector<double>& fd, const std::vector<double>& analytic) {
  const double err = lip::test::relative_gradient_error(fd, analytic);
  EXPECT_LT(err, fd_tolerance) << name << ": relative gradient error " << err;
  std::printf("  %-40s relative error %.2e\n", name.c_str(), err);
  double mx = 0;
  for (double a : analytic) mx = std::max(mx, std::abs(a));
  EXPECT_GT(mx, 1e-3) << name << ": gradient is (nearly) zero, the check would be vacuous";
  return err;
}

}  // namespace

TEST(AttentionFusedGradcheck, DqDkDvAcrossTiles) {
  const size_t B = 2, T = 7, HS = 3;
  const int NH = 2;
  const size_t C = NH * HS;
  for (double softmax_scale : {1.0, 24.0}) {
    const k::Real scale = k::attention_scale(softmax_scale, int(HS));
    k::Tensor3 q("q", B, T, C), kk("k", B, T, C), v("v", B, T, C), out("out", B, T, C), w("w", B, T, C);
    k::Tensor3 lse("lse", B, NH, T);
    // query tiles 3, 3, 1 and key tiles 2, 2, 2, 1: every pass crosses tile boundaries
    const auto ws = k::make_fused_attention_workspace(B, T, NH, HS, true, 3, 2);
    const auto hq = lip::test::fill_random(q, 5, 1.5), hk = lip::test::fill_random(kk, 6, 1.5);
    const auto hv = lip::test::fill_random(v, 7), hw = lip::test::fill_random(w, 8);
    auto run = [&]() {
      k::attention_fused_forward(out, lse, q, kk, v, NH, scale, ws);
      return lip::test::dot(to_host_vector(out), hw);
    };
    const auto fd_q = fd_gradient(hq, [&](const std::vector<double>& x) { to_device_vector(q, x); return run(); });
    to_device_vector(q, hq);
    const auto fd_k = fd_gradient(hk, [&](const std::vector<double>& x) { to_device_vector(kk, x); return run(); });
    to_device_vector(kk, hk);
    const auto fd_v = fd_gradient(hv, [&](const std::vector<double>& x) { to_device_vector(v, x); return run(); });
    to_device_vector(v, hv);
    run();  // out and lse for the unperturbed inputs
    k::Tensor3 dq("dq", B, T, C), dk("dk", B, T, C), dv("dv", B, T, C);
    k::attention_fused_backward(dq, dk, dv, w, q, kk, v, out, lse, NH, scale, ws);
    const std::string tag = " (softmax_scale " + std::to_string(int(softmax_scale)) + ")";
    expect_gradient("fused attention dq" + tag, fd_q, to_host_vector(dq));
    expect_gradient("fused attention dk" + tag, fd_k, to_host_vector(dk));
    expect_gradient("fused attention dv" + tag, fd_v, to_host_vector(dv));
  }
}

TEST(AttentionFusedGradcheck, TransformerWithFusedAttention) {
  lip::GptConfig c;
  c.vocab_size = 7;
  c.seq_len = 5;
  c.width = 8;
  c.mlp_hidden = 12;
  c.num_heads = 2;
  c.num_blocks = 2;
  c.zero_init = false;  // every weight gets gradient
  c.softmax_scale = 2.0;
  c.batch_sizes = {2};
  c.attention_kernel = lip::AttentionKernel::fused;
  lip::Gpt gpt(c);
  gpt.initialize(3);
  lip::Batch batch;
  batch.size = 2;
  batch.tokens = k::IndexTensor2("tokens", 2, c.seq_len);
  const auto ids = lip::test::random_labels(2 * c.seq_len, int(c.vocab_size), 41);
  auto h = Kokkos::create_mirror_view(batch.tokens);
  for (size_t i = 0; i < 2 * c.seq_len; ++i) h.data()[i] = ids[i];
  Kokkos::deep_copy(batch.tokens, h);
  batch.targets = lip::test::index_tensor(lip::test::random_labels(2 * c.seq_len, int(c.vocab_size), 42));
  const auto& params = gpt.params();
  params.zero_grad();
  gpt.forward(batch);
  gpt.backward();
  double worst = 0;
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto W = params.param(i);
    const auto G = params.grad(i);
    const auto analytic = to_host_vector(G);
    const auto fd = lip::test::central_differences(
        W.span(), [&](size_t j) { return W.data()[j]; }, [&](size_t j, double x) { W.data()[j] = x; },
        [&] { return gpt.forward(batch); });
    const double err = lip::test::max_relative_error(fd, analytic);
    EXPECT_LT(err, 1e-5) << params.info(i).name;
    worst = std::max(worst, err);
  }
  std::printf("  transformer (fused attention): worst parameter relative error %.2e\n", worst);
}
