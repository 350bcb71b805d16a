#pragma once
/* Fused causal attention (flash style): the same function as kernels/attention.hpp,
 *
 *   S[t, u] = scale · ⟨q[t], k[u]⟩,  A = softmax over u ≤ t,  O[t] = (1/3) · Σ_u A[t, u] v[u],
 *
 * computed without a T x T matrix and without host loops over batch and head: one Kokkos team per
 * (batch, head, tile), K/V (or Q/dO) tiles staged through team scratch, the T x T scores existing
 * only one (query tile x key tile) block at a time.
 *
 * Forward (team per query tile of `query_tile` rows): for every key tile [k0, k0 + key_tile) up to
 * the tile's last query, S = (scale·Q) Kᵀ for that block, then the online softmax per row:
 *   m' = max(m, max_u S),  c = exp(m − m'),  l ← c·l + Σ_u exp(S − m'),  o ← c·o + Σ_u exp(S − m') v[u]
 * and at the end O = (1/3)·o/l. Cached for the backward (caller-owned, one per layer like the
 * blocked form's probs): lse[t] = m + log l, the log-sum-exp of row t's scores.
 *
 * Backward (FlashAttention-2): D[t] = Σ_e dO[t, e]·O[t, e] first (= rowsum(A ⊙ dA), since O
 * carries the 1/3), then every block's scores recomputed as A = exp(S − lse),
 *   dA = (1/3)·dO Vᵀ,   dS = A ⊙ (dA − D),   dQ = scale·dS K,   dK = scale·dSᵀ Q,   dV = (1/3)·Aᵀ dO.
 * Two passes, no atomics, deterministic: a team per query tile walks the key tiles and owns its dQ
 * rows; a team per key tile walks the query tiles and owns its dK, dV rows. Each pass recomputes S
 * and dA (7 block products instead of 5): the price of owning every output row.
 *
 * Inside a team, threads take rows (TeamThreadRange) and vector lanes take the columns of a row
 * (ThreadVectorRange; on the host a plain loop, see vector_for). Every product is one primitive, a
 * row vector times a scratch tile (accumulate_row_times_tile), whose innermost loop runs over
 * contiguous scratch memory: K, Q, V and dO are staged row-major and, where a product runs along
 * keys or queries, transposed. On the host a team is one thread; on a GPU the team size is
 * Kokkos::AUTO with 32 vector lanes.
 *
 * Team scratch, in reals (Bq = query_tile, Bk = key_tile, HS = head size):
 *   forward  3·Bq·HS + 2·Bk·HS + Bq·Bk + 2·Bq   (Q, O, K, V, one score block, running max and sum)
 *   dQ pass  3·Bq·HS + 3·Bk·HS + 2·Bq·Bk        (Q, dO, dQ, K twice, V, the A and dS blocks)
 *   dK/dV    4·Bk·HS + 4·Bq·HS + 2·Bk·Bq + 2·Bq (K, V, dK, dV, Q and dO twice, A, dS, lse, D)
 * i.e. 80.5, 128 and 160.5 KiB at 64 x 64 tiles and HS = 64 in float: per thread in the host's
 * L2. It goes to level 0 when it fits the team's fast memory (scratch_size_max(0)), otherwise
 * level 1 (Kokkos 3.4 on CUDA caps level 0 at 40 KiB: these tiles then live in global memory).
 * Gradients accumulate into dq, dk, dv (+=), like attention_backward.
 */
#include <initializer_list>
#include <utility>

#include "attention.hpp"
#include "math.hpp"
#include "types.hpp"

namespace lip::kernels {

//! Default tile: 64 rows, or T when T is shorter (on the CPU, 32 to 128 measured the same within
//! noise with bench/bench_attention).
inline size_t attention_fused_default_tile(size_t T) { return T < 64 ? T : 64; }

//! Scratch for attention_fused_forward / attention_fused_backward (caller-owned, allocated once per
//! shape). The per-layer forward cache (lse) is an argument, like the blocked form's probs.
struct FusedAttentionWorkspace {
  size_t query_tile = 0;  // Bq: query rows per team (forward, dQ pass) and per step of the dK/dV pass
  size_t key_tile = 0;    // Bk: key rows per step (forward, dQ pass) and per team (dK/dV pass)
  Tensor3 row_dot;        // (B, NH, T) backward only: D = rowsum(dO ⊙ O)
};

//! Allocate the workspace; with_backward = false leaves row_dot empty. A tile of 0 picks
//! attention_fused_default_tile(T).
inline FusedAttentionWorkspace make_fused_attention_workspace(size_t B, size_t T, int n_head, size_t head_size,
                                                              bool with_backward = true, size_t query_tile = 0,
                                                              size_t key_tile = 0) {
  LIP_KERNEL_REQUIRE(n_head > 0 && head_size > 0,
                     "make_fused_attention_workspace: n_head and head_size must be positive, got "
                         << n_head << ", " << head_size);
  auto tile = [&](size_t requested) {
    const size_t t = requested > 0 ? (requested < T ? requested : T) : attention_fused_default_tile(T);
    return t > 0 ? t : size_t(1);
  };
  FusedAttentionWorkspace ws;
  ws.query_tile = tile(query_tile);
  ws.key_tile = tile(key_tile);
  if (with_backward) ws.row_dot = Tensor3("FusedAttentionWorkspace::row_dot", B, size_t(n_head), T);
  return ws;
}

namespace detail {

using FusedPolicy = Kokkos::TeamPolicy<ExecSpace, Kokkos::Schedule<Kokkos::Dynamic>>;
using FusedMember = FusedPolicy::member_type;
using ScratchTile = Kokkos::View<Real**, Layout, ExecSpace::scratch_memory_space, Unmanaged>;

KOKKOS_INLINE_FUNCTION int min_int(int a, int b) { return a < b ? a : b; }

// The vector lanes of the calling thread: f(j) for j in [0, n). On the device, Kokkos'
// ThreadVectorRange; on the host (where a thread has one lane and ThreadVectorRange is a serial
// loop) a plain loop, which GCC vectorizes: Kokkos' host loop reads its bound through a reference
// that the loop's stores may alias, and stays scalar.
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__) || defined(__SYCL_DEVICE_ONLY__)
#define LIP_FUSED_ATTENTION_VECTOR_LANES 1
#endif

template <class F>
KOKKOS_INLINE_FUNCTION void vector_for(const FusedMember& member, int n, const F& f) {
#ifdef LIP_FUSED_ATTENTION_VECTOR_LANES
  Kokkos::parallel_for(Kokkos::ThreadVectorRange(member, n), f);
#else
  (void)member;
  for (int j = 0; j < n; ++j) f(j);
#endif
}

//! max over j < n of x[j] (n ≥ 1), on the vector lanes.
KOKKOS_INLINE_FUNCTION Real vector_max(const FusedMember& member, const Real* x, int n) {
#ifdef LIP_FUSED_ATTENTION_VECTOR_LANES
  Real result = x[0];
  Kokkos::parallel_reduce(
      Kokkos::ThreadVectorRange(member, n), [&](const int j, Real& mx) { mx = x[j] > mx ? x[j] : mx; },
      Kokkos::Max<Real>(result));
  return result;
#else
  (void)member;
  Real result = x[0];
  for (int j = 1; j < n; ++j) result = x[j] > result ? x[j] : result;
  return result;
#endif
}

//! Σ_{j < n} x[j], on the vector lanes.
KOKKOS_INLINE_FUNCTION Real vector_sum(const FusedMember& member, const Real* x, int n) {
  Real result = 0;
#ifdef LIP_FUSED_ATTENTION_VECTOR_LANES
  Kokkos::parallel_reduce(
      Kokkos::ThreadVectorRange(member, n), [&](const int j, Real& acc) { acc += x[j]; }, result);
#else
  (void)member;
  for (int j = 0; j < n; ++j) result += x[j];
#endif
  return result;
}

//! out[0, n) += Σ_{r < depth} coef[r] · tile[r·stride + (0, n)]: a row vector times a tile, the one
//! product of the fused kernels. Four tile rows per pass over out (a quarter of its loads and stores).
KOKKOS_INLINE_FUNCTION void accumulate_row_times_tile(const FusedMember& member, Real* out, const Real* coef,
                                                      const Real* tile, int stride, int depth, int n) {
  int r = 0;
  for (; r + 4 <= depth; r += 4) {
    const Real c0 = coef[r], c1 = coef[r + 1], c2 = coef[r + 2], c3 = coef[r + 3];
    const Real* t0 = tile + r * stride;
    const Real* t1 = t0 + stride;
    const Real* t2 = t1 + stride;
    const Real* t3 = t2 + stride;
    vector_for(member, n, [&](const int j) { out[j] += c0 * t0[j] + c1 * t1[j] + c2 * t2[j] + c3 * t3[j]; });
  }
  for (; r < depth; ++r) {
    const Real c = coef[r];
    const Real* t0 = tile + r * stride;
    vector_for(member, n, [&](const int j) { out[j] += c * t0[j]; });
  }
}

//! out[0, n) = 0
KOKKOS_INLINE_FUNCTION void zero_row(const FusedMember& member, Real* out, int n) {
  vector_for(member, n, [&](const int j) { out[j] = Real(0); });
}

//! Bytes of team scratch for tiles of these shapes (each padded as Kokkos aligns it).
inline size_t scratch_bytes(std::initializer_list<std::pair<size_t, size_t>> tiles) {
  size_t bytes = 0;
  for (const auto& t : tiles) bytes += ScratchTile::shmem_size(t.first, t.second);
  return bytes;
}

//! A team per league entry; on the host one thread per team, on a device Kokkos' choice with 32
//! vector lanes. The scratch goes to level 0 when it fits, else level 1 (`level` says which).
inline FusedPolicy fused_policy(size_t league, size_t bytes, int& level) {
  constexpr bool host = Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemSpace>::accessible;
  FusedPolicy policy = host ? FusedPolicy(int(league), 1) : FusedPolicy(int(league), Kokkos::AUTO, 32);
  level = bytes <= size_t(FusedPolicy::scratch_size_max(0)) ? 0 : 1;
  policy.set_scratch_size(level, Kokkos::PerTeam(bytes));
  return policy;
}

inline AttentionDims check_fused_shapes(const char* op, const ConstTensor3& q, const ConstTensor3& k,
                                        const ConstTensor3& v, const ConstTensor3& o, const ConstTensor3& lse,
                                        int n_head, const FusedAttentionWorkspace& ws, bool backward) {
  const AttentionDims d = check_qkvo_shapes(op, q, k, v, o, n_head);
  auto rows = [&](const ConstTensor3& x) { return x.extent(0) == d.B && x.extent(1) == d.NH && x.extent(2) == d.T; };
  LIP_KERNEL_REQUIRE(rows(lse), op << ": lse is (" << lse.extent(0) << ", " << lse.extent(1) << ", " << lse.extent(2)
                                   << "); expected (B, NH, T) = (" << d.B << ", " << d.NH << ", " << d.T << ")");
  const bool tiles_ok = d.T == 0 || (ws.query_tile > 0 && ws.key_tile > 0);
  LIP_KERNEL_REQUIRE(tiles_ok && (!backward || rows(ws.row_dot)),
                     op << ": workspace does not match (B, NH, T) = (" << d.B << ", " << d.NH << ", " << d.T << ")"
                        << (backward ? " with backward buffers" : "") << "; row_dot is (" << ws.row_dot.extent(0)
                        << ", " << ws.row_dot.extent(1) << ", " << ws.row_dot.extent(2) << "), tiles "
                        << ws.query_tile << " x " << ws.key_tile
                        << "; build it with make_fused_attention_workspace(B, T, n_head, head_size"
                        << (backward ? ", true)" : ")"));
  return d;
}

}  // namespace detail

//! out = (1/3) · merge_heads(softmax_causal(scale · Q Kᵀ) V); writes lse (cached for the backward).
inline void attention_fused_forward(const Tensor3& out,     // (B, T, NH*HS)
                                    const Tensor3& lse,     // (B, NH, T) cached for the backward
                                    const ConstTensor3& q,  // (B, T, NH*HS) after rope
                                    const ConstTensor3& k,  // (B, T, NH*HS) after rope
                                    const ConstTensor3& v,  // (B, T, NH*HS)
                                    int n_head, Real scale, const FusedAttentionWorkspace& ws) {
  const auto d = detail::check_fused_shapes("attention_fused_forward", q, k, v, out, lse, n_head, ws, false);
  if (d.B * d.T == 0) return;
  using detail::ScratchTile;
  const int T = int(d.T), NH = int(d.NH), HS = int(d.HS), Bq = int(ws.query_tile), Bk = int(ws.key_tile);
  const int n_tiles = (T + Bq - 1) / Bq;
  const Real third = Real(attention_output_scale);
  const size_t bytes = detail::scratch_bytes({{Bq, HS}, {HS, Bk}, {Bk, HS}, {Bq, Bk}, {Bq, HS}, {2, Bq}});
  int level = 0;
  const auto policy = detail::fused_policy(d.B * d.NH * size_t(n_tiles), bytes, level);
  Kokkos::parallel_for("kernels::attention_fused_forward", policy, KOKKOS_LAMBDA(const detail::FusedMember& member) {
    const int tile = n_tiles - 1 - member.league_rank() % n_tiles;  // longest rows first
    const int bh = member.league_rank() / n_tiles, b = bh / NH, h = bh % NH, c0 = h * HS;
    const int q0 = tile * Bq, nq = detail::min_int(Bq, T - q0);
    ScratchTile Qs(member.team_scratch(level), Bq, HS);  // scale · q of the tile's rows
    ScratchTile Kt(member.team_scratch(level), HS, Bk);  // key tile, transposed
    ScratchTile Vs(member.team_scratch(level), Bk, HS);  // value tile
    ScratchTile Ps(member.team_scratch(level), Bq, Bk);  // one block of scores, then of exp(S − m')
    ScratchTile Os(member.team_scratch(level), Bq, HS);  // unnormalized output rows o
    ScratchTile ml(member.team_scratch(level), 2, Bq);   // running max m (row 0) and sum l (row 1)
    Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nq), [&](const int i) {
      detail::vector_for(member, HS, [&](const int e) {
        Qs(i, e) = scale * q(b, q0 + i, c0 + e);
        Os(i, e) = Real(0);
      });
      Kokkos::single(Kokkos::PerThread(member), [&]() {
        ml(0, i) = Kokkos::reduction_identity<Real>::max();  // lowest: the first block sets m
        ml(1, i) = Real(0);
      });
    });
    const int n_keys = q0 + nq;  // keys the tile's last row sees
    for (int k0 = 0; k0 < n_keys; k0 += Bk) {
      const int nk = detail::min_int(Bk, n_keys - k0);
      member.team_barrier();  // the previous block's readers are done
      Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nk), [&](const int j) {
        detail::vector_for(member, HS, [&](const int e) {
          Kt(e, j) = k(b, k0 + j, c0 + e);
          Vs(j, e) = v(b, k0 + j, c0 + e);
        });
      });
      member.team_barrier();
      Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nq), [&](const int i) {
        const int n = detail::min_int(nk, q0 + i - k0 + 1);  // causal: keys u ≤ t
        if (n <= 0) return;
        Real* s = &Ps(i, 0);
        detail::zero_row(member, s, n);
        detail::accumulate_row_times_tile(member, s, &Qs(i, 0), Kt.data(), Bk, HS, n);  // S = scale·q·k
        const Real block_max = detail::vector_max(member, s, n);
        const Real m_old = ml(0, i), m_new = block_max > m_old ? block_max : m_old;
        detail::vector_for(member, n, [&](const int j) { s[j] = math::exp_nonpositive(s[j] - m_new); });
        const Real block_sum = detail::vector_sum(member, s, n);
        const Real correction = math::exp_nonpositive(m_old - m_new);  // rescales the earlier blocks
        Real* o = &Os(i, 0);
        detail::vector_for(member, HS, [&](const int e) { o[e] *= correction; });
        detail::accumulate_row_times_tile(member, o, s, Vs.data(), HS, n, HS);  // o += exp(S − m') V
        Kokkos::single(Kokkos::PerThread(member), [&]() {
          ml(0, i) = m_new;
          ml(1, i) = ml(1, i) * correction + block_sum;
        });
      });
    }
    member.team_barrier();
    Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nq), [&](const int i) {
      const Real norm = third / ml(1, i);
      detail::vector_for(member, HS, [&](const int e) { out(b, q0 + i, c0 + e) = Os(i, e) * norm; });
      Kokkos::single(Kokkos::PerThread(member), [&]() { lse(b, h, q0 + i) = ml(0, i) + math::log(ml(1, i)); });
    });
  });
}

//! dq, dk, dv += gradients of attention_fused_forward given dout; needs the forward's q, k, v, its
//! output `out` and its lse.
inline void attention_fused_backward(const Tensor3& dq,         // (B, T, NH*HS)
                                     const Tensor3& dk,         // (B, T, NH*HS)
                                     const Tensor3& dv,         // (B, T, NH*HS)
                                     const ConstTensor3& dout,  // (B, T, NH*HS)
                                     const ConstTensor3& q,     // (B, T, NH*HS) forward input
                                     const ConstTensor3& k,     // (B, T, NH*HS) forward input
                                     const ConstTensor3& v,     // (B, T, NH*HS) forward input
                                     const ConstTensor3& out,   // (B, T, NH*HS) forward output
                                     const ConstTensor3& lse,   // (B, NH, T) cached by the forward
                                     int n_head, Real scale, const FusedAttentionWorkspace& ws) {
  const auto d = detail::check_fused_shapes("attention_fused_backward", q, k, v, out, lse, n_head, ws, true);
  auto same = [&](const ConstTensor3& x) { return x.extent(0) == d.B && x.extent(1) == d.T && x.extent(2) == d.C; };
  LIP_KERNEL_REQUIRE(same(dq) && same(dk) && same(dv) && same(dout),
                     "attention_fused_backward: dq, dk, dv, dout must be (B, T, NH*HS) = (" << d.B << ", " << d.T
                                                                                         << ", " << d.C << ")");
  LIP_KERNEL_REQUIRE(dq.data() != dout.data() && dk.data() != dout.data() && dv.data() != dout.data(),
                     "attention_fused_backward: dq, dk, dv must not alias dout (gradients accumulate)");
  if (d.B * d.T == 0) return;
  using detail::ScratchTile;
  const int T = int(d.T), NH = int(d.NH), HS = int(d.HS), Bq = int(ws.query_tile), Bk = int(ws.key_tile);
  const Real third = Real(attention_output_scale);
  const auto row_dot = ws.row_dot;

  // D[b, h, t] = Σ_e dO·O over head h's features (accumulated in double).
  Kokkos::parallel_for(
      "kernels::attention_fused_backward_row_dot", Kokkos::RangePolicy<ExecSpace>(0, d.B * d.T * d.NH),
      KOKKOS_LAMBDA(const size_t r) {
        const int h = int(r % size_t(NH)), t = int((r / size_t(NH)) % size_t(T)), b = int(r / (size_t(NH) * T));
        double acc = 0;
        for (int e = 0; e < HS; ++e) acc += double(dout(b, t, h * HS + e)) * double(out(b, t, h * HS + e));
        row_dot(b, h, t) = Real(acc);
      });

  // dQ: a team per query tile walks the key tiles it sees and owns its rows of dq.
  {
    const int n_tiles = (T + Bq - 1) / Bq;
    const size_t bytes =
        detail::scratch_bytes({{Bq, HS}, {Bq, HS}, {Bq, HS}, {HS, Bk}, {Bk, HS}, {HS, Bk}, {Bq, Bk}, {Bq, Bk}});
    int level = 0;
    const auto policy = detail::fused_policy(d.B * d.NH * size_t(n_tiles), bytes, level);
    Kokkos::parallel_for("kernels::attention_fused_backward_dq", policy,
                         KOKKOS_LAMBDA(const detail::FusedMember& member) {
      const int tile = n_tiles - 1 - member.league_rank() % n_tiles;
      const int bh = member.league_rank() / n_tiles, b = bh / NH, h = bh % NH, c0 = h * HS;
      const int q0 = tile * Bq, nq = detail::min_int(Bq, T - q0);
      ScratchTile Qs(member.team_scratch(level), Bq, HS);   // scale · q
      ScratchTile dOs(member.team_scratch(level), Bq, HS);  // dout
      ScratchTile dQs(member.team_scratch(level), Bq, HS);  // Σ dS K (times scale at the end)
      ScratchTile Kt(member.team_scratch(level), HS, Bk);   // key tile, transposed (for S)
      ScratchTile Ks(member.team_scratch(level), Bk, HS);   // key tile (for dQ)
      ScratchTile Vt(member.team_scratch(level), HS, Bk);   // value tile, transposed (for dA)
      ScratchTile As(member.team_scratch(level), Bq, Bk);   // S, then A = exp(S − lse)
      ScratchTile dSs(member.team_scratch(level), Bq, Bk);  // dO·V, then dS
      Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nq), [&](const int i) {
        detail::vector_for(member, HS, [&](const int e) {
          Qs(i, e) = scale * q(b, q0 + i, c0 + e);
          dOs(i, e) = dout(b, q0 + i, c0 + e);
          dQs(i, e) = Real(0);
        });
      });
      const int n_keys = q0 + nq;
      for (int k0 = 0; k0 < n_keys; k0 += Bk) {
        const int nk = detail::min_int(Bk, n_keys - k0);
        member.team_barrier();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nk), [&](const int j) {
          detail::vector_for(member, HS, [&](const int e) {
            const Real kv = k(b, k0 + j, c0 + e);
            Kt(e, j) = kv;
            Ks(j, e) = kv;
            Vt(e, j) = v(b, k0 + j, c0 + e);
          });
        });
        member.team_barrier();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nq), [&](const int i) {
          const int t = q0 + i, n = detail::min_int(nk, t - k0 + 1);
          if (n <= 0) return;
          Real* a = &As(i, 0);
          Real* g = &dSs(i, 0);
          detail::zero_row(member, a, n);
          detail::zero_row(member, g, n);
          detail::accumulate_row_times_tile(member, a, &Qs(i, 0), Kt.data(), Bk, HS, n);   // S
          detail::accumulate_row_times_tile(member, g, &dOs(i, 0), Vt.data(), Bk, HS, n);  // dO·V = 3·dA
          const Real row_lse = lse(b, h, t), row_d = row_dot(b, h, t);
          detail::vector_for(member, n, [&](const int j) {
            const Real p = math::exp_nonpositive(a[j] - row_lse);
            g[j] = p * (third * g[j] - row_d);
          });
          detail::accumulate_row_times_tile(member, &dQs(i, 0), g, Ks.data(), HS, n, HS);  // Σ_u dS K
        });
      }
      member.team_barrier();
      Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nq), [&](const int i) {
        detail::vector_for(member, HS, [&](const int e) { dq(b, q0 + i, c0 + e) += scale * dQs(i, e); });
      });
    });
  }

  // dK, dV: a team per key tile walks the query tiles that see it and owns its rows of dk, dv.
  {
    const int n_tiles = (T + Bk - 1) / Bk;
    const size_t bytes = detail::scratch_bytes({{Bk, HS}, {Bk, HS}, {Bk, HS}, {Bk, HS}, {Bq, HS}, {HS, Bq},
                                                {Bq, HS}, {HS, Bq}, {Bk, Bq}, {Bk, Bq}, {2, Bq}});
    int level = 0;
    const auto policy = detail::fused_policy(d.B * d.NH * size_t(n_tiles), bytes, level);
    Kokkos::parallel_for("kernels::attention_fused_backward_dkdv", policy,
                         KOKKOS_LAMBDA(const detail::FusedMember& member) {
      const int tile = member.league_rank() % n_tiles;  // the first key tile is seen by every query
      const int bh = member.league_rank() / n_tiles, b = bh / NH, h = bh % NH, c0 = h * HS;
      const int k0 = tile * Bk, nk = detail::min_int(Bk, T - k0);
      ScratchTile Ks(member.team_scratch(level), Bk, HS);   // key tile
      ScratchTile Vs(member.team_scratch(level), Bk, HS);   // value tile
      ScratchTile dKs(member.team_scratch(level), Bk, HS);  // Σ dS (scale·q)
      ScratchTile dVs(member.team_scratch(level), Bk, HS);  // Σ A dO (times 1/3 at the end)
      ScratchTile Qs(member.team_scratch(level), Bq, HS);   // scale · q (for dK)
      ScratchTile Qt(member.team_scratch(level), HS, Bq);   // scale · q, transposed (for S)
      ScratchTile dOs(member.team_scratch(level), Bq, HS);  // dout (for dV)
      ScratchTile dOt(member.team_scratch(level), HS, Bq);  // dout, transposed (for dA)
      ScratchTile As(member.team_scratch(level), Bk, Bq);   // Sᵀ, then Aᵀ
      ScratchTile dSs(member.team_scratch(level), Bk, Bq);  // (dO·V)ᵀ, then dSᵀ
      ScratchTile row_stats(member.team_scratch(level), 2, Bq);  // lse (row 0) and D (row 1) of the query tile
      Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nk), [&](const int j) {
        detail::vector_for(member, HS, [&](const int e) {
          Ks(j, e) = k(b, k0 + j, c0 + e);
          Vs(j, e) = v(b, k0 + j, c0 + e);
          dKs(j, e) = Real(0);
          dVs(j, e) = Real(0);
        });
      });
      for (int q0 = (k0 / Bq) * Bq; q0 < T; q0 += Bq) {  // query tiles holding a row t ≥ k0
        const int nq = detail::min_int(Bq, T - q0);
        member.team_barrier();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nq), [&](const int i) {
          detail::vector_for(member, HS, [&](const int e) {
            const Real qs = scale * q(b, q0 + i, c0 + e), go = dout(b, q0 + i, c0 + e);
            Qs(i, e) = qs;
            Qt(e, i) = qs;
            dOs(i, e) = go;
            dOt(e, i) = go;
          });
          Kokkos::single(Kokkos::PerThread(member), [&]() {
            row_stats(0, i) = lse(b, h, q0 + i);
            row_stats(1, i) = row_dot(b, h, q0 + i);
          });
        });
        member.team_barrier();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nk), [&](const int j) {
          const int i0 = k0 + j > q0 ? k0 + j - q0 : 0;  // causal: queries t ≥ u
          if (i0 >= nq) return;
          const int n = nq - i0;
          Real* a = &As(j, i0);
          Real* g = &dSs(j, i0);
          const Real* row_lse = &row_stats(0, i0);
          const Real* row_d = &row_stats(1, i0);
          detail::zero_row(member, a, n);
          detail::zero_row(member, g, n);
          detail::accumulate_row_times_tile(member, a, &Ks(j, 0), &Qt(0, i0), Bq, HS, n);   // S
          detail::accumulate_row_times_tile(member, g, &Vs(j, 0), &dOt(0, i0), Bq, HS, n);  // dO·V = 3·dA
          detail::vector_for(member, n, [&](const int x) {
            const Real p = math::exp_nonpositive(a[x] - row_lse[x]);
            a[x] = p;
            g[x] = p * (third * g[x] - row_d[x]);
          });
          detail::accumulate_row_times_tile(member, &dVs(j, 0), a, &dOs(i0, 0), HS, n, HS);  // Σ_t A dO
          detail::accumulate_row_times_tile(member, &dKs(j, 0), g, &Qs(i0, 0), HS, n, HS);   // Σ_t dS scale·q
        });
      }
      member.team_barrier();
      Kokkos::parallel_for(Kokkos::TeamThreadRange(member, nk), [&](const int j) {
        detail::vector_for(member, HS, [&](const int e) {
          dk(b, k0 + j, c0 + e) += dKs(j, e);
          dv(b, k0 + j, c0 + e) += third * dVs(j, e);
        });
      });
    });
  }
}

}  // namespace lip::kernels
