#include "model/gpt.hpp"

#include <cmath>

#include "core/error.hpp"
#include "kernels/cross_entropy.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/embedding_cap.hpp"
#include "kernels/linear.hpp"
#include "kernels/norms.hpp"
#include "kernels/reductions.hpp"
#include "kernels/residual.hpp"
#include "model/gpt_bound.hpp"
#include "model/init.hpp"

namespace lip {

namespace k = kernels;

namespace {

k::Tensor3 rows3(const k::Tensor3& t, size_t rows) { return k::Tensor3(t.data(), rows, t.extent(1), t.extent(2)); }
k::Tensor2 rows2(const k::Tensor2& t, size_t rows) { return k::Tensor2(t.data(), rows, t.extent(1)); }
k::Tensor4 rows4(const k::Tensor4& t, size_t rows) {
  return k::Tensor4(t.data(), rows, t.extent(1), t.extent(2), t.extent(3));
}
void zero(const k::Tensor3& t) { Kokkos::deep_copy(t, k::Real(0)); }

}  // namespace

// Activation and activation-gradient buffers, sized once for the largest batch.
struct Gpt::Buffers {
  struct Block {
    k::Tensor3 h_in, z1, q, k, v, attn, h_att, z2, m_pre, m_act;
    k::Tensor2 rstd1, rstd2;
    k::Tensor4 probs;  // blocked attention's cache (B, NH, T, T)
    k::Tensor3 lse;    // fused attention's cache (B, NH, T)
  };
  std::vector<Block> blocks;
  k::Tensor3 h_final, logits, probs_ce;
  // gradients (shared by every block: the backward walks blocks one at a time)
  k::Tensor3 g_a, g_b, d_branch, d_attn, dq, dk, dv, dq_lin, dk_lin, d_z, d_m_act, d_m_pre, d_logits;
};

Gpt::Gpt(const GptConfig& config) : config_(config), params_(gpt_layout(config)), buf_(std::make_unique<Buffers>()) {
  const size_t B = *std::max_element(config.batch_sizes.begin(), config.batch_sizes.end());
  const size_t T = config.seq_len, C = config.width, H = config.mlp_hidden;
  const size_t V = config.logit_rows();  // logits span the (padded) head
  const size_t NH = size_t(config.num_heads), HS = C / NH;
  rope_table_ = k::make_rope_table(config.rope, int(T), int(HS), config.rope_base);
  const bool fused = config.attention_kernel == AttentionKernel::fused;
  for (size_t b : config.batch_sizes) {
    if (fused && !fused_attention_ws_.count(b))
      fused_attention_ws_.emplace(b, k::make_fused_attention_workspace(b, T, config.num_heads, HS));
    if (!fused && !attention_ws_.count(b))
      attention_ws_.emplace(b, k::make_attention_workspace(b, T, config.num_heads, HS));
  }
  const bool normed = config.norm != NormKind::none;
  for (int p = 0; p < config.num_blocks; ++p) {
    Buffers::Block blk;
    blk.h_in = k::Tensor3("Gpt::h_in", B, T, C);
    blk.q = k::Tensor3("Gpt::q", B, T, C);
    blk.k = k::Tensor3("Gpt::k", B, T, C);
    blk.v = k::Tensor3("Gpt::v", B, T, C);
    blk.attn = k::Tensor3("Gpt::attn", B, T, C);
    blk.h_att = k::Tensor3("Gpt::h_att", B, T, C);
    blk.m_pre = k::Tensor3("Gpt::m_pre", B, T, H);
    blk.m_act = k::Tensor3("Gpt::m_act", B, T, H);
    if (fused) blk.lse = k::Tensor3("Gpt::attention_lse", B, NH, T);
    else blk.probs = k::Tensor4("Gpt::attention_probs", B, NH, T, T);
    if (normed) {
      blk.z1 = k::Tensor3("Gpt::z1", B, T, C);
      blk.z2 = k::Tensor3("Gpt::z2", B, T, C);
      blk.rstd1 = k::Tensor2("Gpt::rstd1", B, T);
      blk.rstd2 = k::Tensor2("Gpt::rstd2", B, T);
    } else {  // identity substitute: the branch reads the residual stream itself
      blk.z1 = blk.h_in;
      blk.z2 = blk.h_att;
    }
    buf_->blocks.push_back(blk);
  }
  buf_->h_final = k::Tensor3("Gpt::h_final", B, T, C);
  buf_->logits = k::Tensor3("Gpt::logits", B, T, V);
  buf_->probs_ce = k::Tensor3("Gpt::probs_ce", B, T, V);
  for (auto* g : {&buf_->g_a, &buf_->g_b, &buf_->d_branch, &buf_->d_attn, &buf_->dq, &buf_->dk, &buf_->dv,
                  &buf_->dq_lin, &buf_->dk_lin, &buf_->d_z})
    *g = k::Tensor3("Gpt::activation_grad", B, T, C);
  buf_->d_m_act = k::Tensor3("Gpt::d_m_act", B, T, H);
  buf_->d_m_pre = k::Tensor3("Gpt::d_m_pre", B, T, H);
  buf_->d_logits = k::Tensor3("Gpt::d_logits", B, T, V);
  if (config.embedding_cap == EmbeddingCap::lookup) used_tokens_ = k::View1<int>("Gpt::used_tokens", config.vocab_size);
}

Gpt::~Gpt() = default;

void Gpt::initialize(uint64_t seed) {
  initialize_parameters(params_, seed);
  // Stiefel-initialized MLP input weights carry sqrt(fan_out/fan_in) = 2 (§6.2 table): done by
  // initialize_parameters for every non-zero matrix.
}

k::MatrixView Gpt::logits() const {
  return k::MatrixView(buf_->logits.data(), rows_ * config_.seq_len, buf_->logits.extent(2));
}

void Gpt::apply_norm_forward(const k::Tensor3& z, const k::Tensor3& h, const k::Tensor2& rstd) {
  switch (config_.norm) {
    case NormKind::rmsnorm: k::rmsnorm_forward(z, rstd, h); break;
    case NormKind::layernorm: k::layernorm_forward(z, rstd, h); break;
    case NormKind::none: break;  // z is h itself (the buffers alias)
  }
}

void Gpt::apply_norm_backward(const k::Tensor3& dh, const k::Tensor3& dz, const k::Tensor3& h, const k::Tensor2& rstd) {
  switch (config_.norm) {
    case NormKind::rmsnorm: k::rmsnorm_backward(dh, dz, h, rstd); break;
    case NormKind::layernorm: k::layernorm_backward(dh, dz, h, rstd); break;
    case NormKind::none: k::axpby("kernels::identity_norm_backward", dh, 1, dz, 1); break;  // z = h ⇒ dh += dz
  }
}

bool Gpt::built_for_batch(size_t rows) const {
  return config_.attention_kernel == AttentionKernel::fused ? fused_attention_ws_.count(rows) > 0
                                                            : attention_ws_.count(rows) > 0;
}

void Gpt::apply_attention_forward(size_t p, size_t rows, k::Real scale) {
  const auto& blk = buf_->blocks[p];
  const auto attn = rows3(blk.attn, rows), q = rows3(blk.q, rows), kk = rows3(blk.k, rows), v = rows3(blk.v, rows);
  const int NH = config_.num_heads;
  switch (config_.attention_kernel) {
    case AttentionKernel::blocked:
      k::attention_forward(attn, rows4(blk.probs, rows), q, kk, v, NH, scale, attention_ws_.at(rows));
      break;
    case AttentionKernel::fused:
      k::attention_fused_forward(attn, rows3(blk.lse, rows), q, kk, v, NH, scale, fused_attention_ws_.at(rows));
      break;
  }
}

void Gpt::apply_attention_backward(size_t p, size_t rows, k::Real scale, const k::Tensor3& dq, const k::Tensor3& dk,
                                   const k::Tensor3& dv, const k::Tensor3& d_attn) {
  const auto& blk = buf_->blocks[p];
  const auto attn = rows3(blk.attn, rows), q = rows3(blk.q, rows), kk = rows3(blk.k, rows), v = rows3(blk.v, rows);
  const int NH = config_.num_heads;
  switch (config_.attention_kernel) {
    case AttentionKernel::blocked:
      k::attention_backward(dq, dk, dv, d_attn, q, kk, v, rows4(blk.probs, rows), NH, scale, attention_ws_.at(rows));
      break;
    case AttentionKernel::fused:
      k::attention_fused_backward(dq, dk, dv, d_attn, q, kk, v, attn, rows3(blk.lse, rows), NH, scale,
                                  fused_attention_ws_.at(rows));
      break;
  }
}

k::Tensor3 Gpt::embedding_output() const {
  return buf_->blocks.empty() ? rows3(buf_->h_final, rows_) : rows3(buf_->blocks[0].h_in, rows_);
}

double Gpt::forward(const Batch& batch) {
  const size_t B = batch.size, T = config_.seq_len;
  LIP_REQUIRE(built_for_batch(B), "transformer built for per-rank batch sizes of its deck; got " << B << " rows");
  LIP_REQUIRE(batch.tokens.extent(1) == T,
              "token batch has sequence length " << batch.tokens.extent(1) << ", model.seq_len is " << T);
  rows_ = B;
  tokens_ = k::IndexTensor2(batch.tokens.data(), B, T);
  // NanoGPT: looked-up columns are capped in place (not differentiated), then h = E[:, x]
  if (config_.embedding_cap == EmbeddingCap::lookup) {
    const auto E = params_.param(0);
    k::embedding_lookup_cap(k::Tensor2(E.data(), E.extent(0), E.extent(1)), tokens_, used_tokens_, 1.0);
  }
  k::embedding_forward(embedding_output(), params_.param(0), tokens_);
  return forward_blocks(B, k::IndexTensor1(batch.targets.data(), B * T));
}

double Gpt::forward_embedded(const k::Tensor3& x, const k::IndexTensor1& targets) {
  const size_t B = x.extent(0), T = config_.seq_len, C = config_.width;
  LIP_REQUIRE(built_for_batch(B), "transformer built for per-rank batch sizes of its deck; got " << B << " rows");
  LIP_REQUIRE(x.extent(1) == T && x.extent(2) == C, "forward_embedded: x is (" << B << ", " << x.extent(1) << ", "
                                                                             << x.extent(2) << "), expected (" << B
                                                                             << ", " << T << ", " << C << ")");
  LIP_REQUIRE(targets.data() == nullptr || targets.extent(0) >= B * T,
              "forward_embedded: " << targets.extent(0) << " targets for " << B * T << " positions");
  rows_ = B;
  tokens_ = k::IndexTensor2();  // no lookup: the backward has no embedding column to scatter into
  Kokkos::deep_copy(embedding_output(), x);
  return forward_blocks(B, targets.data() == nullptr ? targets : k::IndexTensor1(targets.data(), B * T));
}

double Gpt::forward_blocks(size_t B, const k::IndexTensor1& targets) {
  const size_t T = config_.seq_len, C = config_.width, V = buf_->logits.extent(2);
  targets_ = targets;
  const k::Real r = k::residual_share(config_.residual_scale, config_.num_blocks);
  const k::Real scale = k::attention_scale(config_.softmax_scale, int(C / size_t(config_.num_heads)));
  const int NH = config_.num_heads;
  const bool normed = config_.norm != NormKind::none;
  using R = ParamRole;

  auto& blocks = buf_->blocks;
  k::Tensor3 h = embedding_output();
  for (size_t p = 0; p < blocks.size(); ++p) {
    auto& blk = blocks[p];
    const auto z1 = rows3(blk.z1, B), q = rows3(blk.q, B), kk = rows3(blk.k, B), v = rows3(blk.v, B);
    const auto attn = rows3(blk.attn, B), h_att = rows3(blk.h_att, B), z2 = rows3(blk.z2, B);
    const auto m_pre = rows3(blk.m_pre, B), m_act = rows3(blk.m_act, B);
    if (normed) apply_norm_forward(z1, h, rows2(blk.rstd1, B));
    // q = rope(z W_qᵀ), k = rope(z W_kᵀ), v = z W_vᵀ
    k::linear_forward(k::as_matrix(v), k::as_matrix(z1), weight(p, R::attn_v));
    k::linear_forward(k::as_matrix(q), k::as_matrix(z1), weight(p, R::attn_q));
    k::linear_forward(k::as_matrix(kk), k::as_matrix(z1), weight(p, R::attn_k));
    k::rope_forward(q, q, NH, rope_table_);
    k::rope_forward(kk, kk, NH, rope_table_);
    // attn = (1/3)·softmax_causal(scale·q kᵀ) v
    apply_attention_forward(p, B, scale);
    // h_att = (1 − r)·h + r·(attn W_wᵀ)
    const auto branch = rows3(buf_->d_branch, B);  // forward scratch: the branch output
    k::linear_forward(k::as_matrix(branch), k::as_matrix(attn), weight(p, R::attn_out));
    k::residual_forward(h_att, h, branch, r);
    if (normed) apply_norm_forward(z2, h_att, rows2(blk.rstd2, B));
    // m = (gelu(z W_inᵀ)/1.1289) W_outᵀ ; h_next = (1 − r)·h_att + r·m
    k::linear_forward(k::as_matrix(m_pre), k::as_matrix(z2), weight(p, R::mlp_in));
    k::gelu_forward(m_act, m_pre, config_.gelu);
    k::linear_forward(k::as_matrix(branch), k::as_matrix(m_act), weight(p, R::mlp_out));
    const auto h_next = p + 1 < blocks.size() ? rows3(blocks[p + 1].h_in, B) : rows3(buf_->h_final, B);
    k::residual_forward(h_next, h_att, branch, r);
    h = h_next;
  }
  // logits = fs · (h W_outᵀ)
  const auto logits = k::MatrixView(buf_->logits.data(), B * T, V);
  k::linear_forward(logits, k::as_matrix(h), params_.param(head_index()));
  if (config_.final_scale != 1) k::scale("kernels::final_scale_forward", logits, k::Real(config_.final_scale));
  correct_ = 0;
  if (targets_.data() == nullptr) return 0;
  const double loss =
      k::softmax_cross_entropy_forward(k::MatrixView(buf_->probs_ce.data(), B * T, V), logits, targets_);
  correct_ = k::count_correct(logits, targets_);
  return loss;
}

void Gpt::backward() {
  const size_t B = rows_, T = config_.seq_len, V = buf_->logits.extent(2);
  // logits = fs·(h W_outᵀ):  dz = fs·(p − onehot)/N
  Kokkos::deep_copy(buf_->d_logits, k::Real(0));
  k::softmax_cross_entropy_backward(k::MatrixView(buf_->d_logits.data(), B * T, V),
                                    k::MatrixView(buf_->probs_ce.data(), B * T, V), targets_, config_.final_scale);
  const k::Tensor3 dh = backpropagate(true);
  // h = E[:, x]:  dE[:, x] += dh   (nothing to scatter after forward_embedded)
  if (tokens_.data() != nullptr) k::embedding_backward(params_.grad(0), dh, tokens_, config_.embedding_backward);
}

void Gpt::loss_input_gradient(const k::Tensor3& d_x) {
  const size_t B = rows_, T = config_.seq_len, V = buf_->logits.extent(2);
  LIP_REQUIRE(targets_.data() != nullptr, "loss_input_gradient: the last forward had no targets (no loss)");
  Kokkos::deep_copy(buf_->d_logits, k::Real(0));
  k::softmax_cross_entropy_backward(k::MatrixView(buf_->d_logits.data(), B * T, V),
                                    k::MatrixView(buf_->probs_ce.data(), B * T, V), targets_, config_.final_scale);
  Kokkos::deep_copy(d_x, backpropagate(false));
}

void Gpt::logits_vjp(const k::Tensor3& d_x, const k::MatrixView& u) {
  const size_t B = rows_, T = config_.seq_len, V = buf_->logits.extent(2);
  LIP_REQUIRE(u.extent(0) == B * T && u.extent(1) == V,
              "logits_vjp: u is " << u.extent(0) << "x" << u.extent(1) << ", the logits " << B * T << "x" << V);
  // logits = fs·z  ⇒  dz = fs·u
  const auto dz = k::MatrixView(buf_->d_logits.data(), B * T, V);
  Kokkos::deep_copy(dz, u);
  if (config_.final_scale != 1) k::scale("kernels::final_scale_vjp", dz, k::Real(config_.final_scale));
  Kokkos::deep_copy(d_x, backpropagate(false));
}

k::Tensor3 Gpt::backpropagate(bool parameter_gradients) {
  const size_t B = rows_, T = config_.seq_len, C = config_.width, V = buf_->logits.extent(2);
  const k::Real r = k::residual_share(config_.residual_scale, config_.num_blocks);
  const k::Real scale = k::attention_scale(config_.softmax_scale, int(C / size_t(config_.num_heads)));
  const int NH = config_.num_heads;
  auto& blocks = buf_->blocks;
  const bool wanted = parameter_gradients;
  auto dW = [&](size_t p, ParamRole role) { return grad_if(wanted, gpt_param_index(p, role)); };
  using R = ParamRole;

  // logits = fs·(h W_outᵀ), dz in d_logits:  dh = dz W_out ;  dW_out += dzᵀ h
  const auto d_logits = k::MatrixView(buf_->d_logits.data(), B * T, V);
  k::Tensor3 g_out = rows3(buf_->g_a, B), g_in = rows3(buf_->g_b, B);
  zero(g_out);
  k::linear_backward(k::as_matrix(g_out), grad_if(wanted, head_index()), d_logits,
                     k::as_matrix(rows3(buf_->h_final, B)), params_.param(head_index()));

  const auto d_branch = rows3(buf_->d_branch, B), d_attn = rows3(buf_->d_attn, B);
  const auto dq = rows3(buf_->dq, B), dk = rows3(buf_->dk, B), dv = rows3(buf_->dv, B);
  const auto dq_lin = rows3(buf_->dq_lin, B), dk_lin = rows3(buf_->dk_lin, B), d_z = rows3(buf_->d_z, B);
  const auto d_m_act = rows3(buf_->d_m_act, B), d_m_pre = rows3(buf_->d_m_pre, B);
  for (size_t pp = blocks.size(); pp-- > 0;) {
    auto& blk = blocks[pp];
    const auto h_in = rows3(blk.h_in, B), z1 = rows3(blk.z1, B);
    const auto attn = rows3(blk.attn, B), h_att = rows3(blk.h_att, B), z2 = rows3(blk.z2, B);
    const auto m_pre = rows3(blk.m_pre, B), m_act = rows3(blk.m_act, B);
    // ---- MLP residual: h_next = (1 − r)·h_att + r·m  (g_in ← dL/dh_att)
    zero(g_in);
    zero(d_branch);
    k::residual_backward(g_in, d_branch, g_out, r);
    // m = m_act W_outᵀ
    zero(d_m_act);
    k::linear_backward(k::as_matrix(d_m_act), dW(pp, R::mlp_out), k::as_matrix(d_branch), k::as_matrix(m_act),
                       weight(pp, R::mlp_out));
    // m_act = gelu(m_pre)/1.1289
    zero(d_m_pre);
    k::gelu_backward(d_m_pre, d_m_act, m_pre, config_.gelu);
    // m_pre = z2 W_inᵀ
    zero(d_z);
    k::linear_backward(k::as_matrix(d_z), dW(pp, R::mlp_in), k::as_matrix(d_m_pre), k::as_matrix(z2),
                       weight(pp, R::mlp_in));
    apply_norm_backward(g_in, d_z, h_att, rows2(blk.rstd2, B));
    std::swap(g_in, g_out);  // g_out ← dL/dh_att
    // ---- attention residual: h_att = (1 − r)·h + r·(attn W_wᵀ)  (g_in ← dL/dh)
    zero(g_in);
    zero(d_branch);
    k::residual_backward(g_in, d_branch, g_out, r);
    zero(d_attn);
    k::linear_backward(k::as_matrix(d_attn), dW(pp, R::attn_out), k::as_matrix(d_branch), k::as_matrix(attn),
                       weight(pp, R::attn_out));
    zero(dq);
    zero(dk);
    zero(dv);
    apply_attention_backward(pp, B, scale, dq, dk, dv, d_attn);
    // q = rope(q_lin), k = rope(k_lin): the rotation is linear, dq_lin = Mᵀ dq
    zero(dq_lin);
    zero(dk_lin);
    k::rope_backward(dq_lin, dq, NH, rope_table_);
    k::rope_backward(dk_lin, dk, NH, rope_table_);
    // v = z W_vᵀ, q_lin = z W_qᵀ, k_lin = z W_kᵀ
    zero(d_z);
    k::linear_backward(k::as_matrix(d_z), dW(pp, R::attn_v), k::as_matrix(dv), k::as_matrix(z1),
                       weight(pp, R::attn_v));
    k::linear_backward(k::as_matrix(d_z), dW(pp, R::attn_q), k::as_matrix(dq_lin), k::as_matrix(z1),
                       weight(pp, R::attn_q));
    k::linear_backward(k::as_matrix(d_z), dW(pp, R::attn_k), k::as_matrix(dk_lin), k::as_matrix(z1),
                       weight(pp, R::attn_k));
    apply_norm_backward(g_in, d_z, h_in, rows2(blk.rstd1, B));
    std::swap(g_in, g_out);  // g_out ← dL/dh_in
  }
  return g_out;
}

// Computed on request from the buffers the last forward left behind (the residual stream after the
// embedding and after every block, and the logits), so training steps pay no reductions for it.
double Gpt::activation_statistic(bool token_rms) const {
  auto stat = [&](const k::MatrixView& m) { return token_rms ? k::max_row_rms(m) : k::max_abs(m); };
  double result = 0;
  for (const auto& blk : buf_->blocks) result = std::max(result, stat(k::as_matrix(rows3(blk.h_in, rows_))));
  result = std::max(result, stat(k::as_matrix(rows3(buf_->h_final, rows_))));
  return std::max(result, stat(logits()));
}

GptBoundInput Gpt::bound_input(const std::vector<double>& norms) const {
  LIP_REQUIRE(norms.size() == params_.num_tensors(),
              "transformer bound needs " << params_.num_tensors() << " norms, got " << norms.size());
  GptBoundInput in;
  in.embed = norms.front();
  in.head = norms.back();
  for (size_t p = 0; p < size_t(config_.num_blocks); ++p) in.blocks.push_back(gpt_block_norms(norms, p));
  in.softmax_scale = config_.softmax_scale;
  in.residual_scale = config_.residual_scale;
  in.final_scale = config_.final_scale;
  in.formula = config_.bound_formula;
  // The reference code visits its trackers in index order, i.e. the last forward block first (§13.13).
  in.tracker_order = config_.bound_formula == BoundFormula::reference_code;
  return in;
}

LipschitzBound Gpt::certified_bound(const std::vector<double>& norms) const {
  return gpt_lipschitz_bound(bound_input(norms), true);
}

}  // namespace lip
