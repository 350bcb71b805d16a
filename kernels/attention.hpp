#pragma once
/* Causal multi-head attention (ALGORITHMS §6.2, NANOGPT.md §1.2), after the q/k/v projections
 * and the rotary embedding. Per batch b and head h (head h owns features [h*HS, (h+1)*HS)):
 *
 *   S[t, u] = scale · ⟨q[t], k[u]⟩           scale = softmax_scale / HS (1/d, NOT 1/sqrt(d))
 *   A[t, :] = softmax over u ≤ t of S[t, u]   (causal: A[t, u] = 0 exactly for u > t)
 *   O[t]    = (1/3) · Σ_u A[t, u] v[u]        then the heads are merged back to (B, T, NH*HS)
 *
 * Shapes: q, k, v, out, dq, dk, dv, dout (B, T, NH*HS). Cached for the backward (caller-owned,
 * written by the forward): probs = A (B, NH, T, T), upper triangle exactly 0. The backward also
 * needs the forward inputs q, k, v (after rope), which the caller keeps.
 *
 * Backward (dO = dout per head; all gradients accumulate into dq, dk, dv):
 *   dV  = (1/3) Aᵀ dO
 *   dA  = (1/3) dO Vᵀ
 *   dS  = A ⊙ (dA − rowsum(A ⊙ dA)), and 0 for u > t (masked scores are constants: no gradient)
 *   dQ  = scale · dS K,   dK = scale · dSᵀ Q
 *
 * Masking: the reference replaces masked scores by the lowest finite float *before* multiplying
 * by softmax_scale; for any scale > 0 that is exactly "probability 0", which is what this kernel
 * computes for every scale (the reference stops masking if softmax_scale = 0; we do not).
 *
 * Formulation (CPU-first, causal blocks): q, k, v (and dout) are gathered into contiguous
 * per-head buffers (B, NH, T, HS). Queries are processed in blocks of `query_block` rows
 * [r0, r1); a block only sees keys [0, r1), so its products are (r1−r0) x r1 instead of T x T and
 * the masked upper triangle beyond r1 is never computed (flops fall to (n+1)/(2n) of dense for n
 * blocks). Each block's scores live packed and contiguous in a workspace slab, so every product
 * is one matmul per (b, h, block) on contiguous operands, and the softmax (and its backward) is
 * one row kernel per block over all heads. query_block = T reproduces the plain dense form.
 * The backward walks the blocks last to first: the last block covers all keys, so its dK, dV
 * products initialize the per-head gradients (beta = 0) and earlier blocks add to them.
 * Scratch is caller-owned (AttentionWorkspace, allocated once per shape).
 * Measured (bench/bench_attention, 2 threads): at T = 1024 the 128-row blocks take ~0.55-0.6x the
 * time of the dense form; at T = 256 they are on par or slightly faster.
 * TODO(GPU): the B·NH per-block products are issued one matmul at a time; on CUDA a batched
 * matmul would cut launch overhead, but blas.hpp (the single BLAS entry point) has no batched
 * form yet. kernels/attention_fused.hpp (model.attention_kernel fused) is the alternative with
 * one launch per pass and no (B, NH, T, T) cache.
 */
#include "blas.hpp"
#include "flat_views.hpp"
#include "math.hpp"
#include "types.hpp"

namespace lip::kernels {

//! The 1/3 on the attention output. Functional attention F(q, k, v) = softmax(q kᵀ/d) v has
//! ‖ΔF‖ ≤ ‖Δv‖ + ‖v‖(‖k‖‖Δq‖ + ‖q‖‖Δk‖) (paper Thm C.1), i.e. sensitivity 1 to each of its three
//! inputs at unit ∞RMS norm: 3 in total. Dividing by 3 makes the attention core 1-sensitive in
//! the Modula algebra (and enters the Lipschitz bound as ·‖W_out‖/3, ALGORITHMS §7).
constexpr double attention_output_scale = 1.0 / 3.0;

//! The score scale the reference uses: softmax_scale / HS (1/d scaling rather than 1/sqrt(d), so
//! that attention is Lipschitz at unit-norm queries and keys; NanoGPT passes softmax_scale = 24).
inline Real attention_scale(double softmax_scale, int head_size) {
  LIP_KERNEL_REQUIRE(head_size > 0, "attention_scale: head size must be positive, got " << head_size);
  return Real(softmax_scale / head_size);
}

//! Default query block: 128 rows (measured best of 64/128/256/T with bench/bench_attention), or T
//! when T is shorter.
inline size_t attention_default_query_block(size_t T) { return T < 128 ? T : 128; }

//! Scratch for attention_forward / attention_backward (caller-owned, allocated once per shape).
struct AttentionWorkspace {
  size_t query_block = 0;  // Tq: query rows per causal block
  Tensor4 q_heads;         // (B, NH, T, HS) gathered q
  Tensor4 k_heads;         // (B, NH, T, HS) gathered k
  Tensor4 v_heads;         // (B, NH, T, HS) gathered v
  Tensor4 o_heads;         // (B, NH, T, HS) forward: (1/3) A V per head; backward: dout per head
  Tensor4 dq_heads;        // (B, NH, T, HS) backward only
  Tensor4 dk_heads;        // (B, NH, T, HS) backward only
  Tensor4 dv_heads;        // (B, NH, T, HS) backward only
  Tensor4 block_probs;     // (B, NH, Tq, T) one block's scores, then probabilities, packed (r1−r0) x r1
  Tensor4 block_grads;     // (B, NH, Tq, T) backward only: one block's dA, then dS, packed
};

//! Allocate the workspace; with_backward = false leaves the backward-only buffers empty.
//! query_block = 0 picks attention_default_query_block(T).
inline AttentionWorkspace make_attention_workspace(size_t B, size_t T, int n_head, size_t head_size,
                                                   bool with_backward = true, size_t query_block = 0) {
  LIP_KERNEL_REQUIRE(n_head > 0 && head_size > 0,
                     "make_attention_workspace: n_head and head_size must be positive, got " << n_head << ", "
                                                                                              << head_size);
  const size_t NH = size_t(n_head);
  const size_t Tq = query_block > 0 ? (query_block < T ? query_block : T) : attention_default_query_block(T);
  AttentionWorkspace ws;
  ws.query_block = Tq;
  ws.q_heads = Tensor4("AttentionWorkspace::q_heads", B, NH, T, head_size);
  ws.k_heads = Tensor4("AttentionWorkspace::k_heads", B, NH, T, head_size);
  ws.v_heads = Tensor4("AttentionWorkspace::v_heads", B, NH, T, head_size);
  ws.o_heads = Tensor4("AttentionWorkspace::o_heads", B, NH, T, head_size);
  ws.block_probs = Tensor4("AttentionWorkspace::block_probs", B, NH, Tq, T);
  if (with_backward) {
    ws.dq_heads = Tensor4("AttentionWorkspace::dq_heads", B, NH, T, head_size);
    ws.dk_heads = Tensor4("AttentionWorkspace::dk_heads", B, NH, T, head_size);
    ws.dv_heads = Tensor4("AttentionWorkspace::dv_heads", B, NH, T, head_size);
    ws.block_grads = Tensor4("AttentionWorkspace::block_grads", B, NH, Tq, T);
  }
  return ws;
}

namespace detail {

struct AttentionDims {
  size_t B, T, NH, HS, C;
};

inline bool same_heads_shape(const Tensor4& x, const AttentionDims& d, size_t rows, size_t last) {
  return x.extent(0) == d.B && x.extent(1) == d.NH && x.extent(2) == rows && x.extent(3) == last;
}

//! The dimensions of q, k, v and the output (or dout), all (B, T, NH·HS); throws naming `op` otherwise.
inline AttentionDims check_qkvo_shapes(const char* op, const ConstTensor3& q, const ConstTensor3& k,
                                       const ConstTensor3& v, const ConstTensor3& o, int n_head) {
  LIP_KERNEL_REQUIRE(n_head > 0 && q.extent(2) % size_t(n_head) == 0 && q.extent(2) > 0,
                     op << ": q has " << q.extent(2) << " features; expected a positive multiple of n_head = "
                        << n_head);
  const AttentionDims d{q.extent(0), q.extent(1), size_t(n_head), q.extent(2) / size_t(n_head), q.extent(2)};
  auto same3 = [&](const ConstTensor3& x) {
    return x.extent(0) == d.B && x.extent(1) == d.T && x.extent(2) == d.C;
  };
  LIP_KERNEL_REQUIRE(same3(k) && same3(v) && same3(o),
                     op << ": q (" << d.B << ", " << d.T << ", " << d.C << "), k (" << k.extent(0) << ", "
                        << k.extent(1) << ", " << k.extent(2) << "), v (" << v.extent(0) << ", " << v.extent(1)
                        << ", " << v.extent(2) << "), output/dout (" << o.extent(0) << ", " << o.extent(1) << ", "
                        << o.extent(2) << "); expected all (B, T, NH*HS)");
  return d;
}

inline AttentionDims check_attention_shapes(const char* op, const ConstTensor3& q, const ConstTensor3& k,
                                            const ConstTensor3& v, const ConstTensor3& o, const Tensor4& probs,
                                            int n_head, const AttentionWorkspace& ws, bool backward) {
  const AttentionDims d = check_qkvo_shapes(op, q, k, v, o, n_head);
  LIP_KERNEL_REQUIRE(same_heads_shape(probs, d, d.T, d.T),
                     op << ": probs is (" << probs.extent(0) << ", " << probs.extent(1) << ", " << probs.extent(2)
                        << ", " << probs.extent(3) << "); expected (B, NH, T, T) = (" << d.B << ", " << d.NH << ", "
                        << d.T << ", " << d.T << ")");
  const size_t Tq = ws.query_block;
  bool ok = (Tq > 0 || d.T == 0) && Tq <= d.T && same_heads_shape(ws.q_heads, d, d.T, d.HS) &&
            same_heads_shape(ws.k_heads, d, d.T, d.HS) && same_heads_shape(ws.v_heads, d, d.T, d.HS) &&
            same_heads_shape(ws.o_heads, d, d.T, d.HS) && same_heads_shape(ws.block_probs, d, Tq, d.T);
  if (backward)
    ok = ok && same_heads_shape(ws.dq_heads, d, d.T, d.HS) && same_heads_shape(ws.dk_heads, d, d.T, d.HS) &&
         same_heads_shape(ws.dv_heads, d, d.T, d.HS) && same_heads_shape(ws.block_grads, d, Tq, d.T);
  LIP_KERNEL_REQUIRE(ok, op << ": workspace does not match (B, NH, T, HS) = (" << d.B << ", " << d.NH << ", " << d.T
                            << ", " << d.HS << ")" << (backward ? " with backward buffers" : "")
                            << "; q_heads is (" << ws.q_heads.extent(0) << ", " << ws.q_heads.extent(1) << ", "
                            << ws.q_heads.extent(2) << ", " << ws.q_heads.extent(3) << "), query_block "
                            << ws.query_block << "; build it with make_attention_workspace(B, T, n_head, head_size"
                            << (backward ? ", true)" : ")"));
  return d;
}

//! heads(b, h, t, :) = x(b, t, h*HS : (h+1)*HS) for up to three tensors at once.
inline void split_heads(const char* label, const AttentionDims& d, const ConstTensor3& x0, const Tensor4& h0,
                        const ConstTensor3& x1, const Tensor4& h1, const ConstTensor3& x2, const Tensor4& h2,
                        int count) {
  const size_t T = d.T, NH = d.NH, HS = d.HS;
  // One (b, t, h) row of HS contiguous entries per iteration.
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, d.B * T * NH), KOKKOS_LAMBDA(const size_t r) {
    const size_t hd = r % NH, bt = r / NH;
    const size_t t = bt % T, b = bt / T;
    const size_t src = r * HS;  // = (b*T + t)*C + hd*HS
    const size_t dst = ((b * NH + hd) * T + t) * HS;
    for (size_t e = 0; e < HS; ++e) h0.data()[dst + e] = x0.data()[src + e];
    if (count > 1)
      for (size_t e = 0; e < HS; ++e) h1.data()[dst + e] = x1.data()[src + e];
    if (count > 2)
      for (size_t e = 0; e < HS; ++e) h2.data()[dst + e] = x2.data()[src + e];
  });
}

//! x(b, t, h*HS + e) (+)= heads(b, h, t, e) for up to three tensors; accumulate adds.
inline void merge_heads(const char* label, const AttentionDims& d, const Tensor3& x0, const Tensor4& h0,
                        const Tensor3& x1, const Tensor4& h1, const Tensor3& x2, const Tensor4& h2, int count,
                        bool accumulate) {
  const size_t T = d.T, NH = d.NH, HS = d.HS;
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, d.B * T * NH), KOKKOS_LAMBDA(const size_t r) {
    const size_t hd = r % NH, bt = r / NH;
    const size_t t = bt % T, b = bt / T;
    const size_t dst = r * HS;
    const size_t src = ((b * NH + hd) * T + t) * HS;
    if (!accumulate) {
      for (size_t e = 0; e < HS; ++e) x0.data()[dst + e] = h0.data()[src + e];
      return;
    }
    for (size_t e = 0; e < HS; ++e) x0.data()[dst + e] += h0.data()[src + e];
    if (count > 1)
      for (size_t e = 0; e < HS; ++e) x1.data()[dst + e] += h1.data()[src + e];
    if (count > 2)
      for (size_t e = 0; e < HS; ++e) x2.data()[dst + e] += h2.data()[src + e];
  });
}

//! Rows [r0, r0 + rows) of head (b, h) in a (B, NH, T, HS) buffer, as a contiguous matrix.
inline MatrixView head_rows(const Tensor4& x, size_t b, size_t h, size_t r0, size_t rows) {
  const size_t T = x.extent(2), HS = x.extent(3);
  return as_matrix(x.data() + ((b * x.extent(1) + h) * T + r0) * HS, rows, HS);  // no host access to x
}

//! Head (b, h)'s packed rows x cols block inside a (B, NH, Tq, T) block slab.
inline MatrixView head_block(const Tensor4& slab, size_t b, size_t h, size_t rows, size_t cols) {
  return as_matrix(slab.data() + (b * slab.extent(1) + h) * slab.extent(2) * slab.extent(3), rows, cols);
}

}  // namespace detail

//! out = (1/3) · merge_heads(softmax_causal(scale · Q Kᵀ) V); writes probs (the softmax, cached).
inline void attention_forward(const Tensor3& out,          // (B, T, NH*HS)
                              const Tensor4& probs,        // (B, NH, T, T) cached for the backward
                              const ConstTensor3& q,       // (B, T, NH*HS) after rope
                              const ConstTensor3& k,       // (B, T, NH*HS) after rope
                              const ConstTensor3& v,       // (B, T, NH*HS)
                              int n_head, Real scale, const AttentionWorkspace& ws) {
  const auto d = detail::check_attention_shapes("attention_forward", q, k, v, out, probs, n_head, ws, false);
  if (d.B * d.T == 0) return;
  detail::split_heads("kernels::attention_forward_split", d, q, ws.q_heads, k, ws.k_heads, v, ws.v_heads, 3);

  const size_t T = d.T, Tq = ws.query_block;
  auto P = flat_view(probs);               // (B, NH, T, T)
  auto blk = flat_view(ws.block_probs);    // (B, NH, Tq, T), used packed
  for (size_t r0 = 0; r0 < T; r0 += Tq) {
    const size_t r1 = r0 + Tq < T ? r0 + Tq : T, nr = r1 - r0;  // queries [r0, r1) see keys [0, r1)
    // S = scale · Q[r0:r1] K[0:r1]ᵀ
    for (size_t b = 0; b < d.B; ++b)
      for (size_t h = 0; h < d.NH; ++h)
        matmul(detail::head_block(ws.block_probs, b, h, nr, r1), detail::head_rows(ws.q_heads, b, h, r0, nr),
               detail::head_rows(ws.k_heads, b, h, 0, r1), 'N', 'T', scale, Real(0));

    // A[t, :] = softmax over u ≤ t of S[t, u]; A[t, u > t] = 0. Kept packed for A V, and
    // written to probs (full rows, zeros included) for the backward.
    Kokkos::parallel_for("kernels::attention_forward_softmax", Kokkos::RangePolicy<ExecSpace>(0, d.B * d.NH * nr),
                         KOKKOS_LAMBDA(const size_t row) {
                           const size_t bh = row / nr, lr = row % nr, t = r0 + lr;
                           const size_t s0 = bh * Tq * T + lr * r1;  // packed block row
                           const size_t p0 = (bh * T + t) * T;       // probs row
                           Real mx = blk(s0);
                           for (size_t u = 1; u <= t; ++u) mx = blk(s0 + u) > mx ? blk(s0 + u) : mx;
                           double sum = 0;
                           for (size_t u = 0; u <= t; ++u) {
                             const Real e = math::exp_nonpositive(blk(s0 + u) - mx);  // argument <= 0
                             blk(s0 + u) = e;
                             sum += e;
                           }
                           const Real inv = Real(1.0 / sum);
                           for (size_t u = 0; u <= t; ++u) {
                             const Real a = blk(s0 + u) * inv;
                             blk(s0 + u) = a;
                             P(p0 + u) = a;
                           }
                           for (size_t u = t + 1; u < r1; ++u) blk(s0 + u) = Real(0);
                           for (size_t u = t + 1; u < T; ++u) P(p0 + u) = Real(0);
                         });

    // O[r0:r1] = (1/3) · A[r0:r1, 0:r1] V[0:r1]
    for (size_t b = 0; b < d.B; ++b)
      for (size_t h = 0; h < d.NH; ++h)
        matmul(detail::head_rows(ws.o_heads, b, h, r0, nr), detail::head_block(ws.block_probs, b, h, nr, r1),
               detail::head_rows(ws.v_heads, b, h, 0, r1), 'N', 'N', Real(attention_output_scale), Real(0));
  }
  detail::merge_heads("kernels::attention_forward_merge", d, out, ws.o_heads, out, ws.o_heads, out, ws.o_heads, 1,
                      false);
}

//! Forward-mode derivative of attention_forward at (q, k, v) along (tq, tk, tv), per row t of each
//! head (A = the causal softmax of S = scale·Q Kᵀ, recomputed here, so either forward kernel's
//! state serves):
//!   tS[t, u] = scale·(⟨tq[t], k[u]⟩ + ⟨q[t], tk[u]⟩)            u ≤ t
//!   tA[t, u] = A[t, u]·(tS[t, u] − Σ_u' A[t, u'] tS[t, u'])
//!   tO[t]    = (1/3)·Σ_u (tA[t, u] v[u] + A[t, u] tv[u])
//! One thread per (b, h, t) row, three passes over the keys u ≤ t (max, then the softmax sums, then
//! the output), O(T·HS) each: the scores are recomputed instead of stored, so no workspace. For
//! the EBC probes (a few forward-mode passes every few steps), not the training hot path.
inline void attention_jvp(const Tensor3& tout,       // (B, T, NH*HS)
                          const ConstTensor3& q,     // (B, T, NH*HS) after rope
                          const ConstTensor3& k,     // (B, T, NH*HS) after rope
                          const ConstTensor3& v,     // (B, T, NH*HS)
                          const ConstTensor3& tq,    // (B, T, NH*HS) tangent of q (after rope)
                          const ConstTensor3& tk,    // (B, T, NH*HS) tangent of k (after rope)
                          const ConstTensor3& tv,    // (B, T, NH*HS) tangent of v
                          int n_head, Real scale) {
  const auto d = detail::check_qkvo_shapes("attention_jvp", q, k, v, tout, n_head);
  detail::check_qkvo_shapes("attention_jvp (tangents)", tq, tk, tv, tout, n_head);
  LIP_KERNEL_REQUIRE(tout.data() != q.data() && tout.data() != k.data() && tout.data() != v.data() &&
                         tout.data() != tq.data() && tout.data() != tk.data() && tout.data() != tv.data(),
                     "attention_jvp: tout must not alias an input");
  const size_t T = d.T, NH = d.NH, HS = d.HS, C = NH * HS;
  auto Q = flat_view(q), K = flat_view(k), Vv = flat_view(v);
  auto TQ = flat_view(tq), TK = flat_view(tk), TV = flat_view(tv);
  auto TO = flat_view(tout);
  const Real third = Real(attention_output_scale);
  Kokkos::parallel_for(
      "kernels::attention_jvp", Kokkos::RangePolicy<ExecSpace>(0, d.B * NH * T), KOKKOS_LAMBDA(const size_t row) {
        const size_t b = row / (NH * T), h = (row / T) % NH, t = row % T;
        const size_t qt = (b * T + t) * C + h * HS;  // q[b, t, head h]
        auto score = [&](size_t u) {
          const size_t ku = (b * T + u) * C + h * HS;
          Real s = 0;
          for (size_t e = 0; e < HS; ++e) s += Q(qt + e) * K(ku + e);
          return scale * s;
        };
        auto score_tangent = [&](size_t u) {
          const size_t ku = (b * T + u) * C + h * HS;
          Real s = 0;
          for (size_t e = 0; e < HS; ++e) s += TQ(qt + e) * K(ku + e) + Q(qt + e) * TK(ku + e);
          return scale * s;
        };
        Real mx = score(0);
        for (size_t u = 1; u <= t; ++u) {
          const Real s = score(u);
          mx = s > mx ? s : mx;
        }
        double z = 0, zt = 0;  // Σ e^(s − max), Σ e^(s − max)·tS
        for (size_t u = 0; u <= t; ++u) {
          const double e = math::exp_nonpositive(score(u) - mx);
          z += e;
          zt += e * double(score_tangent(u));
        }
        const Real inv = Real(1.0 / z), mean_ts = Real(zt / z);
        for (size_t e = 0; e < HS; ++e) TO(qt + e) = Real(0);
        for (size_t u = 0; u <= t; ++u) {
          const Real a = math::exp_nonpositive(score(u) - mx) * inv;
          const Real ta = a * (score_tangent(u) - mean_ts);
          const size_t vu = (b * T + u) * C + h * HS;
          for (size_t e = 0; e < HS; ++e) TO(qt + e) += third * (ta * Vv(vu + e) + a * TV(vu + e));
        }
      });
}

//! dq, dk, dv += gradients of attention_forward given dout; needs the forward's q, k, v, probs.
inline void attention_backward(const Tensor3& dq,           // (B, T, NH*HS)
                               const Tensor3& dk,           // (B, T, NH*HS)
                               const Tensor3& dv,           // (B, T, NH*HS)
                               const ConstTensor3& dout,    // (B, T, NH*HS)
                               const ConstTensor3& q,       // (B, T, NH*HS) forward input
                               const ConstTensor3& k,       // (B, T, NH*HS) forward input
                               const ConstTensor3& v,       // (B, T, NH*HS) forward input
                               const Tensor4& probs,        // (B, NH, T, T) cached by the forward
                               int n_head, Real scale, const AttentionWorkspace& ws) {
  const auto d = detail::check_attention_shapes("attention_backward", q, k, v, dout, probs, n_head, ws, true);
  auto same = [&](const Tensor3& x) { return x.extent(0) == d.B && x.extent(1) == d.T && x.extent(2) == d.C; };
  LIP_KERNEL_REQUIRE(same(dq) && same(dk) && same(dv),
                     "attention_backward: dq, dk, dv must be (B, T, NH*HS) = (" << d.B << ", " << d.T << ", " << d.C
                                                                                 << ")");
  LIP_KERNEL_REQUIRE(dq.data() != dout.data() && dk.data() != dout.data() && dv.data() != dout.data(),
                     "attention_backward: dq, dk, dv must not alias dout (gradients accumulate)");
  if (d.B * d.T == 0) return;
  // The workspace may have served other layers since the forward: gather again.
  detail::split_heads("kernels::attention_backward_split", d, q, ws.q_heads, k, ws.k_heads, v, ws.v_heads, 3);
  detail::split_heads("kernels::attention_backward_split", d, dout, ws.o_heads, dout, ws.o_heads, dout, ws.o_heads,
                      1);

  const size_t T = d.T, Tq = ws.query_block;
  const Real third = Real(attention_output_scale);
  auto P = flat_view(probs);                 // (B, NH, T, T)
  auto blk_a = flat_view(ws.block_probs);    // packed A block
  auto blk_g = flat_view(ws.block_grads);    // packed dA, then dS block
  const size_t n_blocks = (T + Tq - 1) / Tq;
  for (size_t ib = n_blocks; ib-- > 0;) {  // last block first: it covers every key
    const size_t r0 = ib * Tq, r1 = r0 + Tq < T ? r0 + Tq : T, nr = r1 - r0;
    const Real beta = ib + 1 == n_blocks ? Real(0) : Real(1);  // first visit of dK, dV initializes them
    // O = (1/3) A V  =>  dA[r0:r1, 0:r1] = (1/3) dO[r0:r1] V[0:r1]ᵀ
    for (size_t b = 0; b < d.B; ++b)
      for (size_t h = 0; h < d.NH; ++h)
        matmul(detail::head_block(ws.block_grads, b, h, nr, r1), detail::head_rows(ws.o_heads, b, h, r0, nr),
               detail::head_rows(ws.v_heads, b, h, 0, r1), 'N', 'T', third, Real(0));

    // A = softmax(S) over u ≤ t  =>  dS = A ⊙ (dA − Σ_u A dA); masked entries (u > t) get 0.
    // Also copies the A block into packed form for the dV product.
    Kokkos::parallel_for("kernels::attention_backward_softmax", Kokkos::RangePolicy<ExecSpace>(0, d.B * d.NH * nr),
                         KOKKOS_LAMBDA(const size_t row) {
                           const size_t bh = row / nr, lr = row % nr, t = r0 + lr;
                           const size_t s0 = bh * Tq * T + lr * r1;
                           const size_t p0 = (bh * T + t) * T;
                           double dot = 0;
                           for (size_t u = 0; u <= t; ++u) dot += double(P(p0 + u)) * double(blk_g(s0 + u));
                           const Real m = Real(dot);
                           for (size_t u = 0; u <= t; ++u) {
                             const Real a = P(p0 + u);
                             blk_a(s0 + u) = a;
                             blk_g(s0 + u) = a * (blk_g(s0 + u) - m);
                           }
                           for (size_t u = t + 1; u < r1; ++u) {
                             blk_a(s0 + u) = Real(0);
                             blk_g(s0 + u) = Real(0);
                           }
                         });

    for (size_t b = 0; b < d.B; ++b)
      for (size_t h = 0; h < d.NH; ++h) {
        const auto A = detail::head_block(ws.block_probs, b, h, nr, r1);
        const auto dS = detail::head_block(ws.block_grads, b, h, nr, r1);
        const auto dO = detail::head_rows(ws.o_heads, b, h, r0, nr);
        // O = (1/3) A V  =>  dV[0:r1] (+)= (1/3) A[r0:r1, 0:r1]ᵀ dO[r0:r1]
        matmul(detail::head_rows(ws.dv_heads, b, h, 0, r1), A, dO, 'T', 'N', third, beta);
        // S = scale · Q Kᵀ  =>  dQ[r0:r1] = scale · dS K[0:r1]
        matmul(detail::head_rows(ws.dq_heads, b, h, r0, nr), dS, detail::head_rows(ws.k_heads, b, h, 0, r1), 'N',
               'N', scale, Real(0));
        // S = scale · Q Kᵀ  =>  dK[0:r1] (+)= scale · dSᵀ Q[r0:r1]
        matmul(detail::head_rows(ws.dk_heads, b, h, 0, r1), dS, detail::head_rows(ws.q_heads, b, h, r0, nr), 'T',
               'N', scale, beta);
      }
  }
  detail::merge_heads("kernels::attention_backward_merge", d, dq, ws.dq_heads, dk, ws.dk_heads, dv, ws.dv_heads, 3,
                      true);
}

}  // namespace lip::kernels
