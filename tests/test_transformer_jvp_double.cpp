// Central finite-difference checks (Real = double) of every transformer-op JVP (forward-mode
// derivative): attention (along q, k, v tangents, apart and together), gelu (both forms), rope
// (each variant), residual, embedding (along a table tangent), rmsnorm, layernorm. For an op f at
// x along t the reference is (f(x + h·t) − f(x − h·t)) / 2h, h = 1e-6; error = max|fd − jvp| /
// max|jvp| < 1e-5 (the backward checks' measure). A negative control shows the attention check
// fails when one tangent is dropped.
#include <gtest/gtest.h>

#include <functional>

#include "kernels/attention.hpp"
#include "kernels/embedding.hpp"
#include "kernels/gelu.hpp"
#include "kernels/norms.hpp"
#include "kernels/residual.hpp"
#include "kernels/rope.hpp"
#include "support/transformer_ops_util.hpp"

namespace k = lip::kernels;
using lip::test::expect_gradient;
using lip::test::fill_random;
using lip::test::to_device_vector;
using lip::test::to_host_vector;

static_assert(std::is_same_v<k::Real, double>, "finite-difference checks need the double build (lip_double)");

namespace {

//! (f(x + h·t) − f(x − h·t)) / 2h for a map between flat vectors.
std::vector<double> fd_jvp(const std::vector<double>& x, const std::vector<double>& t,
                           const std::function<std::vector<double>(const std::vector<double>&)>& f) {
  const double h = lip::test::fd_step;
  std::vector<double> xp(x), xm(x);
  for (size_t i = 0; i < x.size(); ++i) {
    xp[i] += h * t[i];
    xm[i] -= h * t[i];
  }
  const auto fp = f(xp), fm = f(xm);
  std::vector<double> out(fp.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = (fp[i] - fm[i]) / (2 * h);
  return out;
}

std::vector<double> concat(std::initializer_list<std::vector<double>> parts) {
  std::vector<double> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<double> slice(const std::vector<double>& v, size_t part, size_t n) {
  return {v.begin() + long(part * n), v.begin() + long((part + 1) * n)};
}

}  // namespace

TEST(TransformerOpsJvp, AttentionAlongQKV) {
  const size_t B = 2, T = 5, HS = 4;
  const int NH = 2;
  const size_t C = NH * HS, n = B * T * C;
  const k::Real scale = k::attention_scale(3.0, int(HS));
  k::Tensor4 probs("probs", B, NH, T, T);
  const auto ws = k::make_attention_workspace(B, T, NH, HS, false, 2);
  k::Tensor3 q("q", B, T, C), kk("k", B, T, C), v("v", B, T, C), out("out", B, T, C);
  k::Tensor3 tq("tq", B, T, C), tk("tk", B, T, C), tv("tv", B, T, C), tout("tout", B, T, C), zero("zero", B, T, C);
  const auto x0 = concat({fill_random(q, 1), fill_random(kk, 2), fill_random(v, 3)});
  const auto t0 = concat({fill_random(tq, 4), fill_random(tk, 5), fill_random(tv, 6)});
  auto forward = [&](const std::vector<double>& x) {
    to_device_vector(q, slice(x, 0, n));
    to_device_vector(kk, slice(x, 1, n));
    to_device_vector(v, slice(x, 2, n));
    k::attention_forward(out, probs, q, kk, v, NH, scale, ws);
    return to_host_vector(out);
  };
  const std::vector<double> none(n, 0.0);
  const char* names[] = {"attention jvp along q", "attention jvp along k", "attention jvp along v",
                         "attention jvp along q, k, v"};
  for (int which = 0; which < 4; ++which) {
    std::vector<double> t = t0;
    for (int part = 0; part < 3; ++part)
      if (which < 3 && part != which) std::fill(t.begin() + long(part * n), t.begin() + long((part + 1) * n), 0.0);
    const auto fd = fd_jvp(x0, t, forward);
    forward(x0);
    to_device_vector(tq, slice(t, 0, n));
    to_device_vector(tk, slice(t, 1, n));
    to_device_vector(tv, slice(t, 2, n));
    k::attention_jvp(tout, q, kk, v, tq, tk, tv, NH, scale);
    expect_gradient(names[which], fd, to_host_vector(tout));
  }
  // Negative control: dropping the key tangent must fail the same check.
  const auto fd = fd_jvp(x0, t0, forward);
  forward(x0);
  to_device_vector(tq, slice(t0, 0, n));
  to_device_vector(tv, slice(t0, 2, n));
  k::attention_jvp(tout, q, kk, v, tq, zero, tv, NH, scale);
  EXPECT_GT(lip::test::relative_gradient_error(fd, to_host_vector(tout)), 1e-3);
}

TEST(TransformerOpsJvp, GeluBothForms) {
  const size_t n = 41;
  for (auto form : {k::GeluForm::tanh, k::GeluForm::erf}) {
    k::Tensor1 x("x", n), y("y", n), tx("tx", n), ty("ty", n);
    auto hx = lip::test::normal_vector(n, 9, 2.0);
    hx[1] = std::sqrt(2.0);  // the maximum-slope point
    const auto ht = fill_random(tx, 10);
    const auto fd = fd_jvp(hx, ht, [&](const std::vector<double>& xv) {
      to_device_vector(x, xv);
      k::gelu_forward(y, x, form);
      return to_host_vector(y);
    });
    to_device_vector(x, hx);
    k::gelu_jvp(ty, tx, x, form);
    expect_gradient(form == k::GeluForm::tanh ? "gelu tanh jvp" : "gelu erf jvp", fd, to_host_vector(ty));
  }
}

TEST(TransformerOpsJvp, RopeEachVariant) {
  const int B = 2, T = 5, NH = 2, HS = 8;
  const size_t C = NH * HS;
  for (auto variant : {k::RopeVariant::textbook, k::RopeVariant::reference, k::RopeVariant::nanogpt}) {
    const auto table = k::make_rope_table(variant, T, HS);
    k::Tensor3 x("x", B, T, C), y("y", B, T, C), tx("tx", B, T, C), ty("ty", B, T, C);
    const auto hx = fill_random(x, 3), ht = fill_random(tx, 4);
    const auto fd = fd_jvp(hx, ht, [&](const std::vector<double>& xv) {
      to_device_vector(x, xv);
      k::rope_forward(y, x, NH, table);
      return to_host_vector(y);
    });
    k::rope_jvp(ty, tx, NH, table);
    expect_gradient("rope jvp variant " + std::to_string(int(variant)), fd, to_host_vector(ty));
  }
}

TEST(TransformerOpsJvp, Residual) {
  const k::Real r = k::residual_share(1.0, 12);
  const size_t n = 2 * 3 * 4;
  k::Tensor3 h("h", 2, 3, 4), br("br", 2, 3, 4), out("out", 2, 3, 4);
  k::Tensor3 th("th", 2, 3, 4), tb("tb", 2, 3, 4), tout("tout", 2, 3, 4);
  const auto x0 = concat({fill_random(h, 11), fill_random(br, 12)});
  const auto t0 = concat({fill_random(th, 13), fill_random(tb, 14)});
  const auto fd = fd_jvp(x0, t0, [&](const std::vector<double>& x) {
    to_device_vector(h, slice(x, 0, n));
    to_device_vector(br, slice(x, 1, n));
    k::residual_forward(out, h, br, r);
    return to_host_vector(out);
  });
  k::residual_jvp(tout, th, tb, r);
  expect_gradient("residual jvp", fd, to_host_vector(tout));
}

TEST(TransformerOpsJvp, EmbeddingAlongTheTable) {
  const size_t B = 2, T = 3, D = 4, V = 5;
  k::IndexTensor2 tokens("tokens", B, T);
  auto ht = Kokkos::create_mirror_view(tokens);
  const int tok[] = {0, 3, 3, 4, 0, 3};
  for (size_t i = 0; i < B * T; ++i) ht.data()[i] = tok[i];
  Kokkos::deep_copy(tokens, ht);
  k::Tensor2 E("E", D, V), tE("tE", D, V);
  k::Tensor3 h("h", B, T, D), th("th", B, T, D);
  const auto hE = fill_random(E, 1), htE = fill_random(tE, 2);
  const auto fd = fd_jvp(hE, htE, [&](const std::vector<double>& e) {
    to_device_vector(E, e);
    k::embedding_forward(h, E, tokens);
    return to_host_vector(h);
  });
  k::embedding_jvp(th, tE, tokens);
  expect_gradient("embedding jvp", fd, to_host_vector(th));
}

TEST(TransformerOpsJvp, RmsnormAndLayernorm) {
  const size_t B = 2, T = 3, C = 7;
  k::Tensor3 x("x", B, T, C), y("y", B, T, C), tx("tx", B, T, C), ty("ty", B, T, C);
  k::Tensor2 rstd("rstd", B, T);
  auto hx = lip::test::normal_vector(B * T * C, 14);
  for (auto& e : hx) e += 0.5;
  const auto ht = fill_random(tx, 15);
  using Forward = void (*)(const k::Tensor3&, const k::Tensor2&, const k::ConstTensor3&);
  using Jvp = void (*)(const k::Tensor3&, const k::ConstTensor3&, const k::ConstTensor3&, const k::ConstTensor2&);
  const std::tuple<const char*, Forward, Jvp> norms[] = {{"rmsnorm jvp", k::rmsnorm_forward, k::rmsnorm_jvp},
                                                          {"layernorm jvp", k::layernorm_forward, k::layernorm_jvp}};
  for (const auto& [name, forward, jvp] : norms) {
    const auto fd = fd_jvp(hx, ht, [&](const std::vector<double>& xv) {
      to_device_vector(x, xv);
      forward(y, rstd, x);
      return to_host_vector(y);
    });
    to_device_vector(x, hx);
    forward(y, rstd, x);
    jvp(ty, tx, x, rstd);
    expect_gradient(name, fd, to_host_vector(ty));
  }
}
