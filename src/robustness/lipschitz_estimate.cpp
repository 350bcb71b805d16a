#include "robustness/lipschitz_estimate.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/reductions.hpp"
#include "kernels/rng.hpp"

namespace lip {

namespace k = kernels;

void LogitMap::jvp(const k::MatrixView&, const k::MatrixView&) {
  LIP_FAIL("LogitMap::jvp: this map has no exact Jacobian-vector product (exact_jvp() is false)");
}

std::string PositionBlock::name() const {
  auto position = [](int p) { return p < 0 ? std::string("all") : std::to_string(p); };
  return position(input) + "->" + position(output);
}

namespace {

using HostRows = Kokkos::View<double*, Kokkos::HostSpace, k::Unmanaged>;

//! Rows [first, first + count) of a batch matrix.
k::MatrixView rows_of(const k::MatrixView& m, size_t first, size_t count) {
  return k::MatrixView(m.data() + first * m.extent(1), count, m.extent(1));
}
//! A labelled device matrix and the full view over it.
k::MatrixView matrix(k::Tensor2& owner, const std::string& label, size_t rows, size_t cols) {
  owner = k::Tensor2(label, rows, cols);
  return k::MatrixView(owner.data(), rows, cols);
}

//! Per-row and per-example quantities of batch matrices (examples·positions, features): the row
//! sums of squares come to the host, per-row factors go to the device. Buffers are allocated once.
class ExampleRows {
 public:
  ExampleRows(size_t max_rows, size_t positions)
      : positions_(positions),
        squares_("lipschitz_estimate::row_squares", max_rows),
        factors_("lipschitz_estimate::row_factors", max_rows),
        squares_host_(Kokkos::create_mirror_view(squares_)),
        factors_host_(Kokkos::create_mirror_view(factors_)) {}

  //! Σ_c m(r, c)² for every row r.
  std::vector<double> row_squares(const k::MatrixView& m) {
    const size_t rows = m.extent(0);
    const Kokkos::View<double*, k::Layout, k::MemSpace, k::Unmanaged> out(squares_.data(), rows);
    k::row_sum_squares(out, m);
    Kokkos::deep_copy(HostRows(squares_host_.data(), rows), out);
    return std::vector<double>(squares_host_.data(), squares_host_.data() + rows);
  }
  //! m(r, :) *= factor[r]
  void scale_rows(const k::MatrixView& m, const std::vector<double>& factor) {
    const size_t rows = m.extent(0);
    for (size_t r = 0; r < rows; ++r) factors_host_(r) = k::Real(factor[r]);
    const k::VectorView device(factors_.data(), rows);
    Kokkos::deep_copy(device, Kokkos::View<k::Real*, Kokkos::HostSpace, k::Unmanaged>(factors_host_.data(), rows));
    k::scale_rows("kernels::lipschitz_estimate_scale_rows", m, device);
  }
  //! m's example e *= factor[e]
  void scale_examples(const k::MatrixView& m, const std::vector<double>& factor) {
    std::vector<double> per_row(m.extent(0));
    for (size_t r = 0; r < per_row.size(); ++r) per_row[r] = factor[r / positions_];
    scale_rows(m, per_row);
  }
  //! ‖example e‖₂ of the row squares.
  std::vector<double> l2(const std::vector<double>& squares) const {
    std::vector<double> out(squares.size() / positions_, 0.0);
    for (size_t r = 0; r < squares.size(); ++r) out[r / positions_] += squares[r];
    for (double& x : out) x = std::sqrt(x);
    return out;
  }
  //! ‖example e‖_∞RMS = max over its rows of sqrt(Σ²/features), and the row attaining it.
  std::vector<double> inf_rms(const std::vector<double>& squares, size_t features,
                              std::vector<size_t>* worst_row = nullptr) const {
    std::vector<double> out(squares.size() / positions_, 0.0);
    if (worst_row) worst_row->assign(out.size(), 0);
    for (size_t r = 0; r < squares.size(); ++r) {
      const size_t e = r / positions_;
      const double rms = std::sqrt(squares[r] / double(features));
      if (rms > out[e] || r % positions_ == 0) {
        out[e] = rms;
        if (worst_row) (*worst_row)[e] = r;
      }
    }
    return out;
  }
  std::vector<double> inf_rms(const k::MatrixView& m) { return inf_rms(row_squares(m), m.extent(1)); }
  //! Every row of m onto the RMS ball of radius `radius` (the domain of the upper bound).
  void project(const k::MatrixView& m, double radius) {
    if (!std::isfinite(radius)) return;
    const std::vector<double> squares = row_squares(m);
    std::vector<double> factor(squares.size(), 1.0);
    bool any = false;
    for (size_t r = 0; r < squares.size(); ++r) {
      const double rms = std::sqrt(squares[r] / double(m.extent(1)));
      if (rms > radius) factor[r] = radius / rms, any = true;
    }
    if (any) scale_rows(m, factor);
  }

 private:
  size_t positions_;
  Kokkos::View<double*, k::Layout, k::MemSpace> squares_;
  k::Tensor1 factors_;
  Kokkos::View<double*, k::Layout, k::MemSpace>::HostMirror squares_host_;
  k::Tensor1::HostMirror factors_host_;
};

//! 1 on the rows of `position` (every row when position < 0), 0 elsewhere.
std::vector<double> position_mask(size_t rows, size_t positions, int position) {
  std::vector<double> mask(rows, 1.0);
  if (position >= 0)
    for (size_t r = 0; r < rows; ++r) mask[r] = r % positions == size_t(position) ? 1.0 : 0.0;
  return mask;
}

//! Each example's ∞RMS norm, with 1 in place of 0 (the scale of relative steps).
std::vector<double> step_scales(ExampleRows& rows, const k::MatrixView& x) {
  std::vector<double> scale = rows.inf_rms(x);
  for (double& s : scale) s = s > 0 ? s : 1.0;
  return scale;
}

void require_batch(const LogitMap& f, const k::MatrixView& x, const char* who) {
  const size_t P = f.positions();
  LIP_REQUIRE(x.extent(1) == f.input_features() && P > 0 && x.extent(0) % P == 0 && x.extent(0) > 0,
              who << ": inputs are " << x.extent(0) << "x" << x.extent(1) << "; expected (examples·" << P << ", "
                  << f.input_features() << ") with at least one example");
}

//! max over examples of ratio[e], with its example.
LowerBound best_of(const std::vector<double>& ratio) {
  LowerBound best;
  for (size_t e = 0; e < ratio.size(); ++e)
    if (ratio[e] > best.value) best = {ratio[e], e};
  return best;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// (a) power iteration on JᵀJ
// ---------------------------------------------------------------------------------------------

LowerBound jacobian_lower_bound(LogitMap& f, const k::MatrixView& x, const LowerBoundOptions& options,
                                PositionBlock block) {
  require_batch(f, x, "jacobian_lower_bound");
  const size_t P = f.positions(), rows = x.extent(0), E = rows / P;
  const size_t F_in = f.input_features(), F_out = f.output_features();
  LIP_REQUIRE(block.input < int(P) && block.output < int(P),
              "jacobian_lower_bound: block " << block.name() << " outside positions 0.." << P - 1);
  ExampleRows ex(rows, P);
  k::Tensor2 v_buf, d_buf, t_buf, fx_buf, a_buf, fa_buf, b_buf, fb_buf;
  const auto v = matrix(v_buf, "lipschitz_estimate::v", rows, F_in);
  const auto d = matrix(d_buf, "lipschitz_estimate::jt_u", rows, F_in);
  const auto t = matrix(t_buf, "lipschitz_estimate::j_v", rows, F_out);
  const auto fx = matrix(fx_buf, "lipschitz_estimate::f_x", rows, F_out);
  const auto a = matrix(a_buf, "lipschitz_estimate::x_plus", rows, F_in);
  const auto fa = matrix(fa_buf, "lipschitz_estimate::f_plus", rows, F_out);
  const auto b = matrix(b_buf, "lipschitz_estimate::x_minus", rows, F_in);
  const auto fb = matrix(fb_buf, "lipschitz_estimate::f_minus", rows, F_out);
  const std::vector<double> in_mask = position_mask(rows, P, block.input);
  const std::vector<double> out_mask = position_mask(rows, P, block.output);
  const std::vector<double> scale = step_scales(ex, x);

  // x ± c·v with c per example such that ‖c·v‖_∞RMS = secant_step·‖x‖_∞RMS; returns c.
  auto secant_points = [&](bool project) {
    const std::vector<double> v_norm = ex.inf_rms(v);
    std::vector<double> c(E, 0.0);
    for (size_t e = 0; e < E; ++e) c[e] = v_norm[e] > 0 ? options.secant_step * scale[e] / v_norm[e] : 0.0;
    Kokkos::deep_copy(a, x);
    Kokkos::deep_copy(b, x);
    Kokkos::deep_copy(d, v);
    ex.scale_examples(d, c);
    k::axpby("kernels::lipschitz_estimate_x_plus", a, 1, d, 1);
    k::axpby("kernels::lipschitz_estimate_x_minus", b, 1, d, -1);
    if (project) {
      ex.project(a, f.domain_radius());
      ex.project(b, f.domain_radius());
    }
    f.evaluate(fa, a);
    f.evaluate(fb, b);
    return c;
  };
  // t = J·v: exact, or (f(x + c·v) − f(x − c·v))/(2c), after which x is evaluated again.
  auto jacobian_product = [&] {
    if (f.exact_jvp()) {
      f.jvp(t, v);
      return;
    }
    const std::vector<double> c = secant_points(false);
    Kokkos::deep_copy(t, fa);
    k::axpby("kernels::lipschitz_estimate_central_difference", t, 1, fb, -1);
    std::vector<double> inverse(E);
    for (size_t e = 0; e < E; ++e) inverse[e] = c[e] > 0 ? 0.5 / c[e] : 0.0;
    ex.scale_examples(t, inverse);
    f.evaluate(fx, x);
  };

  // v: a random unit direction per example, restricted to the block's input position
  k::fill_normal(v, options.seed, 0);
  ex.scale_rows(v, in_mask);
  std::vector<double> norm = ex.l2(ex.row_squares(v));
  for (double& n : norm) n = n > 0 ? 1 / n : 0;
  ex.scale_examples(v, norm);
  f.evaluate(fx, x);
  for (int it = 0; it < options.iterations; ++it) {
    // v ← Jᵀ J v / ‖Jᵀ J v‖₂ within the block (an example whose product vanishes keeps its v)
    jacobian_product();
    ex.scale_rows(t, out_mask);
    f.vjp(d, t);
    ex.scale_rows(d, in_mask);
    const std::vector<double> d_norm = ex.l2(ex.row_squares(d));
    std::vector<double> keep(E), take(E);
    for (size_t e = 0; e < E; ++e) {
      keep[e] = d_norm[e] > 0 ? 0.0 : 1.0;
      take[e] = d_norm[e] > 0 ? 1 / d_norm[e] : 0.0;
    }
    ex.scale_examples(v, keep);
    ex.scale_examples(d, take);
    k::axpby("kernels::lipschitz_estimate_power_step", v, 1, d, 1);
  }

  std::vector<double> ratio(E, 0.0);
  if (f.exact_jvp()) {
    // ‖J v‖/‖v‖ in ∞RMS: an exact Jacobian product
    f.jvp(t, v);
    const std::vector<double> num = ex.inf_rms(t), den = ex.inf_rms(v);
    for (size_t e = 0; e < E; ++e) ratio[e] = den[e] > 0 ? num[e] / den[e] : 0.0;
  } else {
    // ‖f(a) − f(b)‖/‖a − b‖ of two forward evaluations inside the domain
    secant_points(true);
    k::axpby("kernels::lipschitz_estimate_secant_output", fa, 1, fb, -1);
    k::axpby("kernels::lipschitz_estimate_secant_input", a, 1, b, -1);
    const std::vector<double> num = ex.inf_rms(fa), den = ex.inf_rms(a);
    for (size_t e = 0; e < E; ++e) ratio[e] = den[e] > 0 ? num[e] / den[e] : 0.0;
  }
  return best_of(ratio);
}

// ---------------------------------------------------------------------------------------------
// (b) gradient ascent on pairs
// ---------------------------------------------------------------------------------------------

LowerBound pair_lower_bound(LogitMap& f, const k::MatrixView& x, const LowerBoundOptions& options) {
  require_batch(f, x, "pair_lower_bound");
  const size_t P = f.positions(), rows = x.extent(0), E = rows / P;
  const size_t F_in = f.input_features(), F_out = f.output_features();
  const double radius = f.domain_radius();
  ExampleRows ex(2 * rows, P);
  k::Tensor2 X_buf, FX_buf, D_buf, U_buf, dx_buf, df_buf;
  // Batches of 2E examples: the first E are the x of every pair, the last E their x'.
  const auto X = matrix(X_buf, "lipschitz_estimate::pairs", 2 * rows, F_in);
  const auto FX = matrix(FX_buf, "lipschitz_estimate::pair_logits", 2 * rows, F_out);
  const auto D = matrix(D_buf, "lipschitz_estimate::pair_ascent", 2 * rows, F_in);
  const auto U = matrix(U_buf, "lipschitz_estimate::pair_cotangent", 2 * rows, F_out);
  const auto dx = matrix(dx_buf, "lipschitz_estimate::pair_dx", rows, F_in);
  const auto df = matrix(df_buf, "lipschitz_estimate::pair_df", rows, F_out);
  auto first = [&](const k::MatrixView& m) { return rows_of(m, 0, rows); };
  auto second = [&](const k::MatrixView& m) { return rows_of(m, rows, rows); };
  const std::vector<double> scale = step_scales(ex, x);

  // x' = x + δ with ‖δ‖_∞RMS = pair_start·‖x‖_∞RMS, then both onto the domain
  Kokkos::deep_copy(first(X), x);
  Kokkos::deep_copy(second(X), x);
  k::fill_normal(dx, options.seed, 1);
  {
    const std::vector<double> n = ex.inf_rms(dx);
    std::vector<double> c(E);
    for (size_t e = 0; e < E; ++e) c[e] = n[e] > 0 ? options.pair_start * scale[e] / n[e] : 0.0;
    ex.scale_examples(dx, c);
  }
  k::axpby("kernels::lipschitz_estimate_pair_start", second(X), 1, dx, 1);
  ex.project(X, radius);

  std::vector<double> best(E, 0.0), previous(E, 0.0), step(E, 0.5);
  for (int s = 0;; ++s) {
    f.evaluate(FX, X);
    Kokkos::deep_copy(df, first(FX));
    k::axpby("kernels::lipschitz_estimate_pair_df", df, 1, second(FX), -1);
    Kokkos::deep_copy(dx, first(X));
    k::axpby("kernels::lipschitz_estimate_pair_dx", dx, 1, second(X), -1);
    const std::vector<double> sq_f = ex.row_squares(df), sq_x = ex.row_squares(dx);
    std::vector<size_t> worst_f, worst_x;
    const std::vector<double> nf = ex.inf_rms(sq_f, F_out, &worst_f), nx = ex.inf_rms(sq_x, F_in, &worst_x);
    const std::vector<double> dist = ex.l2(sq_x);
    for (size_t e = 0; e < E; ++e) {
      // a ratio of two forward evaluations; pairs closer than min_distance are not recorded
      const double ratio = nx[e] >= options.min_distance * scale[e] ? nf[e] / nx[e] : 0.0;
      best[e] = std::max(best[e], ratio);
      if (s > 0) step[e] = ratio < previous[e] ? 0.5 * step[e] : std::min(1.0, 1.2 * step[e]);
      previous[e] = ratio;
    }
    if (s == options.steps) break;
    // ∂/∂x log‖Δf‖_∞RMS = J(x)ᵀ·(Δf_s/‖Δf_s‖₂²) at the worst output row s; ∂/∂x' is its negative
    std::vector<double> factor_f(rows, 0.0), factor_x(rows, 0.0);
    for (size_t e = 0; e < E; ++e) {
      if (sq_f[worst_f[e]] > 0) factor_f[worst_f[e]] = 1 / sq_f[worst_f[e]];
      if (sq_x[worst_x[e]] > 0) factor_x[worst_x[e]] = 1 / sq_x[worst_x[e]];
    }
    ex.scale_rows(df, factor_f);
    Kokkos::deep_copy(first(U), df);
    Kokkos::deep_copy(second(U), df);
    k::scale("kernels::lipschitz_estimate_pair_negate", second(U), -1);
    f.vjp(D, U);
    // −∂/∂x log‖Δx‖_∞RMS = −Δx_t/‖Δx_t‖₂² at the worst input row t; +that for x'
    ex.scale_rows(dx, factor_x);
    k::axpby("kernels::lipschitz_estimate_pair_grad_x", first(D), 1, dx, -1);
    k::axpby("kernels::lipschitz_estimate_pair_grad_x_prime", second(D), 1, dx, 1);
    // each pair moves by step·‖x − x'‖₂ along its normalized ascent direction
    const std::vector<double> sq_d = ex.row_squares(D);
    std::vector<double> move(2 * E, 0.0);
    {
      const std::vector<double> nd = ex.l2(sq_d);
      for (size_t e = 0; e < E; ++e) {
        const double pair_norm = std::sqrt(nd[e] * nd[e] + nd[E + e] * nd[E + e]);
        move[e] = move[E + e] = pair_norm > 0 ? step[e] * dist[e] / pair_norm : 0.0;
      }
    }
    ex.scale_examples(D, move);
    k::axpby("kernels::lipschitz_estimate_pair_step", X, 1, D, 1);
    ex.project(X, radius);
  }
  return best_of(best);
}

}  // namespace lip
