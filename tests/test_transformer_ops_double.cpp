// Central finite-difference checks (Real = double) of every transformer-op backward: embedding,
// rope (each variant), attention (dq, dk, dv), gelu (both forms), residual, rmsnorm, layernorm.
// Loss = ⟨w, forward output⟩ with a fixed random w, so the analytic gradient is the backward
// applied to dout = w. Error = max|fd − analytic| / max|analytic| < 1e-5.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>

#include "kernels/attention.hpp"
#include "kernels/embedding.hpp"
#include "kernels/gelu.hpp"
#include "kernels/norms.hpp"
#include "kernels/residual.hpp"
#include "kernels/rope.hpp"
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
using lip::test::to_device_vector;
using lip::test::to_host_vector;

static_assert(std::is_same_v<k::Real, double>, "finite-difference checks need the double build (lip_double)");

namespace {

using lip::test::expect_gradient;
using lip::test::fd_gradient;


}  // namespace

TEST(TransformerOpsGradcheck, Embedding) {
  const size_t B = 2, T = 3, D = 4;
  const int V = 5;
  k::IndexTensor2 tokens("tokens", B, T);
  auto ht = Kokkos::create_mirror_view(tokens);
  const int tok[] = {0, 3, 3, 4, 0, 3};  // repeats exercise the scatter-add
  for (size_t i = 0; i < B * T; ++i) ht.data()[i] = tok[i];
  Kokkos::deep_copy(tokens, ht);
  k::Tensor2 E("E", D, size_t(V));
  k::Tensor3 h("h", B, T, D), w("w", B, T, D);
  const auto hE = lip::test::fill_random(E, 1);
  const auto hw = lip::test::fill_random(w, 2);
  auto loss = [&](const std::vector<double>& e) {
    to_device_vector(E, e);
    k::embedding_forward(h, E, tokens);
    return lip::test::dot(to_host_vector(h), hw);
  };
  const auto fd = fd_gradient(hE, loss);
  for (auto mode : {k::EmbeddingBackwardMode::deterministic, k::EmbeddingBackwardMode::atomic}) {
    k::Tensor2 dE("dE", D, size_t(V));
    k::embedding_backward(dE, w, tokens, mode);
    expect_gradient("embedding dE", fd, to_host_vector(dE));
  }
}

TEST(TransformerOpsGradcheck, RopeEachVariant) {
  const int B = 2, T = 5, NH = 2, HS = 8;
  const size_t C = NH * HS;
  for (auto variant : {k::RopeVariant::textbook, k::RopeVariant::reference, k::RopeVariant::nanogpt}) {
    const auto table = k::make_rope_table(variant, T, HS);
    k::Tensor3 x("x", B, T, C), y("y", B, T, C), w("w", B, T, C), dx("dx", B, T, C);
    const auto hx = lip::test::fill_random(x, 3);
    const auto hw = lip::test::fill_random(w, 4);
    auto loss = [&](const std::vector<double>& xv) {
      to_device_vector(x, xv);
      k::rope_forward(y, x, NH, table);
      return lip::test::dot(to_host_vector(y), hw);
    };
    const auto fd = fd_gradient(hx, loss);
    k::rope_backward(dx, w, NH, table);
    expect_gradient("rope dx variant " + std::to_string(int(variant)), fd, to_host_vector(dx));
  }
}

TEST(TransformerOpsGradcheck, AttentionDqDkDv) {
  const size_t B = 2, T = 5, HS = 4;
  const int NH = 2;
  const k::Real scale = k::attention_scale(3.0, int(HS));
  k::Tensor4 probs("probs", B, NH, T, T);
  const auto ws = k::make_attention_workspace(B, T, NH, HS, true, 2);  // causal blocks 2, 2, 1
  lip::test::check_attention_gradients(
      "attention", B, T, NH, HS,
      [&](const k::Tensor3& out, const k::Tensor3& q, const k::Tensor3& kk, const k::Tensor3& v) {
        k::attention_forward(out, probs, q, kk, v, NH, scale, ws);
      },
      [&](const k::Tensor3& dq, const k::Tensor3& dk, const k::Tensor3& dv, const k::Tensor3& w, const k::Tensor3& q,
          const k::Tensor3& kk, const k::Tensor3& v, const k::Tensor3&) {
        k::attention_backward(dq, dk, dv, w, q, kk, v, probs, NH, scale, ws);
      });
}

TEST(TransformerOpsGradcheck, GeluBothForms) {
  const size_t n = 41;
  for (auto form : {k::GeluForm::tanh, k::GeluForm::erf}) {
    k::Tensor1 x("x", n), y("y", n), w("w", n), dx("dx", n);
    auto hx = lip::test::normal_vector(n, 9, 2.0);
    hx[0] = 0.0;
    hx[1] = std::sqrt(2.0);  // the maximum-slope point
    to_device_vector(x, hx);
    const auto hw = lip::test::fill_random(w, 10);
    auto loss = [&](const std::vector<double>& xv) {
      to_device_vector(x, xv);
      k::gelu_forward(y, x, form);
      return lip::test::dot(to_host_vector(y), hw);
    };
    const auto fd = fd_gradient(hx, loss);
    to_device_vector(x, hx);
    k::gelu_backward(dx, w, x, form);
    expect_gradient(form == k::GeluForm::tanh ? "gelu tanh dx" : "gelu erf dx", fd, to_host_vector(dx));
  }
}

TEST(TransformerOpsGradcheck, Residual) {
  const k::Real r = k::residual_share(1.0, 12);  // 1/24, NanoGPT
  k::Tensor3 h("h", 2, 3, 4), br("br", 2, 3, 4), out("out", 2, 3, 4), w("w", 2, 3, 4);
  k::Tensor3 dh("dh", 2, 3, 4), dbr("dbr", 2, 3, 4);
  const auto hh = lip::test::fill_random(h, 11), hb = lip::test::fill_random(br, 12);
  const auto hw = lip::test::fill_random(w, 13);
  const auto fd_h = fd_gradient(hh, [&](const std::vector<double>& x) {
    to_device_vector(h, x);
    k::residual_forward(out, h, br, r);
    return lip::test::dot(to_host_vector(out), hw);
  });
  to_device_vector(h, hh);
  const auto fd_b = fd_gradient(hb, [&](const std::vector<double>& x) {
    to_device_vector(br, x);
    k::residual_forward(out, h, br, r);
    return lip::test::dot(to_host_vector(out), hw);
  });
  k::residual_backward(dh, dbr, w, r);
  expect_gradient("residual dh", fd_h, to_host_vector(dh));
  expect_gradient("residual dbranch", fd_b, to_host_vector(dbr));
}

TEST(TransformerOpsGradcheck, RmsnormAndLayernorm) {
  const size_t B = 2, T = 3, C = 7;
  k::Tensor3 x("x", B, T, C), y("y", B, T, C), w("w", B, T, C);
  k::Tensor2 rstd("rstd", B, T);
  auto hx = lip::test::normal_vector(B * T * C, 14);
  for (auto& e : hx) e += 0.5;
  to_device_vector(x, hx);
  const auto hw = lip::test::fill_random(w, 15);
  {
    const auto fd = fd_gradient(hx, [&](const std::vector<double>& xv) {
      to_device_vector(x, xv);
      k::rmsnorm_forward(y, rstd, x);
      return lip::test::dot(to_host_vector(y), hw);
    });
    to_device_vector(x, hx);
    k::rmsnorm_forward(y, rstd, x);
    k::Tensor3 dx("dx", B, T, C);
    k::rmsnorm_backward(dx, w, x, rstd);
    expect_gradient("rmsnorm dx", fd, to_host_vector(dx));
  }
  {
    const auto fd = fd_gradient(hx, [&](const std::vector<double>& xv) {
      to_device_vector(x, xv);
      k::layernorm_forward(y, rstd, x);
      return lip::test::dot(to_host_vector(y), hw);
    });
    to_device_vector(x, hx);
    k::layernorm_forward(y, rstd, x);
    k::Tensor3 dx("dx", B, T, C);
    k::layernorm_backward(dx, w, x, rstd);
    expect_gradient("layernorm dx", fd, to_host_vector(dx));
  }
}
