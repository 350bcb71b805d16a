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

const char* kBlockWeights[6] = {"v", "q", "k", "w", "mlp_in", "mlp_out"};

std::vector<ParamInfo> gpt_layout(const GptConfig& c) {
  LIP_REQUIRE(c.num_heads > 0 && c.width % size_t(c.num_heads) == 0,
              "model.width " << c.width << " must be divisible by model.heads " << c.num_heads);
  LIP_REQUIRE((c.width / size_t(c.num_heads)) % 2 == 0, "head size " << c.width / size_t(c.num_heads)
                                                                     << " must be even for rotary embeddings");
  LIP_REQUIRE(c.embedding_cap == "project" || c.embedding_cap == "lookup",
              "model.embedding_cap must be project or lookup, got '" << c.embedding_cap << "'");
  LIP_REQUIRE(c.norm == "none" || c.norm == "rmsnorm" || c.norm == "layernorm",
              "model.norm must be none, rmsnorm or layernorm, got '" << c.norm << "'");
  GptBudgetInput budget;
  budget.num_blocks = c.num_blocks;
  budget.blocks_mass = c.blocks_mass;
  budget.residual_scale = c.residual_scale;
  budget.softmax_scale = c.softmax_scale;
  budget.final_scale = c.final_scale;
  budget.mul = c.mul;
  GptTargets t = gpt_target_norms(budget);
  if (c.unit_target_norms) {
    t.embed = t.head = 1;
    for (auto& b : t.blocks) b = GptBlockTargets{1, 1, 1, 1, 1, 1};
  }
  const size_t C = c.width, H = c.mlp_hidden;
  std::vector<ParamInfo> infos;
  ParamInfo embed;
  embed.name = "embed";
  embed.kind = ParamKind::embedding;
  embed.rows = C;
  embed.cols = c.vocab_size;
  embed.target_norm = t.embed;
  embed.group = "embed";
  embed.projected = c.embedding_cap == "project";
  infos.push_back(embed);
  for (int p = 0; p < c.num_blocks; ++p) {
    const auto& bt = t.blocks[size_t(p)];
    const std::string tracker = std::to_string(c.num_blocks - 1 - p);
    const double targets[6] = {bt.v, bt.q, bt.k, bt.w, bt.mlp_in, bt.mlp_out};
    const size_t rows[6] = {C, C, C, C, H, C}, cols[6] = {C, C, C, C, C, H};
    const bool zero[6] = {false, false, false, c.zero_init, false, c.zero_init};
    for (int j = 0; j < 6; ++j) {
      ParamInfo w;
      w.name = kBlockWeights[j] + tracker;
      w.rows = rows[j];
      w.cols = cols[j];
      w.target_norm = targets[j];
      w.zero_init = zero[j];
      infos.push_back(w);
    }
  }
  ParamInfo head;
  head.name = "out";
  head.rows = c.head_rows > 0 ? c.head_rows : c.vocab_size;
  LIP_REQUIRE(head.rows >= c.vocab_size, "model head rows " << head.rows << " must be >= the vocabulary " << c.vocab_size);
  head.cols = C;
  head.target_norm = t.head;
  head.zero_init = c.zero_init;
  head.group = "head";
  if (c.unembed) head.kind = ParamKind::unembedding;
  infos.push_back(head);
  return infos;
}

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
    k::Tensor4 probs;
  };
  std::vector<Block> blocks;
  k::Tensor3 h_final, logits, probs_ce;
  // gradients (shared by every block: the backward walks blocks one at a time)
  k::Tensor3 g_a, g_b, d_branch, d_attn, dq, dk, dv, dq_lin, dk_lin, d_z, d_m_act, d_m_pre, d_logits;
};

Gpt::Gpt(const GptConfig& config) : config_(config), params_(gpt_layout(config)), buf_(std::make_unique<Buffers>()) {
  const size_t B = *std::max_element(config.batch_sizes.begin(), config.batch_sizes.end());
  const size_t T = config.seq_len, C = config.width, H = config.mlp_hidden;
  const size_t V = params_.info(params_.num_tensors() - 1).rows;  // logits span the (padded) head
  const size_t NH = size_t(config.num_heads), HS = C / NH;
  rope_table_ = k::make_rope_table(config.rope, int(T), int(HS), config.rope_base);
  for (size_t b : config.batch_sizes)
    if (!attention_ws_.count(b)) attention_ws_.emplace(b, k::make_attention_workspace(b, T, config.num_heads, HS));
  const bool normed = config.norm != "none";
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
    blk.probs = k::Tensor4("Gpt::attention_probs", B, NH, T, T);
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
  if (config.embedding_cap == "lookup") used_tokens_ = k::View1<int>("Gpt::used_tokens", config.vocab_size);
}

Gpt::~Gpt() = default;

void Gpt::initialize(uint64_t seed) {
  initialize_parameters(params_, seed);
  // Stiefel-initialized MLP input weights carry sqrt(fan_out/fan_in) = 2 (§6.2 table): done by
  // initialize_parameters for every non-zero matrix.
}

size_t Gpt::param_index(int p, const std::string& weight) const {
  if (weight == "embed") return 0;
  if (weight == "out") return params_.num_tensors() - 1;
  for (int j = 0; j < 6; ++j)
    if (weight == kBlockWeights[j]) return 1 + size_t(p) * 6 + size_t(j);
  LIP_FAIL("no transformer weight named '" << weight << "'");
}

k::MatrixView Gpt::logits() const {
  return k::MatrixView(buf_->logits.data(), rows_ * config_.seq_len, buf_->logits.extent(2));
}

void Gpt::apply_norm_forward(const k::Tensor3& z, const k::Tensor3& h, const k::Tensor2& rstd) {
  if (config_.norm == "rmsnorm") k::rmsnorm_forward(z, rstd, h);
  else if (config_.norm == "layernorm") k::layernorm_forward(z, rstd, h);
}

void Gpt::apply_norm_backward(const k::Tensor3& dh, const k::Tensor3& dz, const k::Tensor3& h, const k::Tensor2& rstd) {
  if (config_.norm == "rmsnorm") k::rmsnorm_backward(dh, dz, h, rstd);
  else if (config_.norm == "layernorm") k::layernorm_backward(dh, dz, h, rstd);
  else k::axpby("kernels::identity_norm_backward", dh, 1, dz, 1);  // z = h  ⇒  dh += dz
}

double Gpt::forward(const Batch& batch) {
  const size_t B = batch.size, T = config_.seq_len, C = config_.width, V = buf_->logits.extent(2);
  LIP_REQUIRE(attention_ws_.count(B), "transformer built for per-rank batch sizes of its deck; got " << B << " rows");
  LIP_REQUIRE(batch.tokens.extent(1) == T,
              "token batch has sequence length " << batch.tokens.extent(1) << ", model.seq_len is " << T);
  rows_ = B;
  tokens_ = k::IndexTensor2(batch.tokens.data(), B, T);
  targets_ = k::IndexTensor1(batch.targets.data(), B * T);
  const auto& ws = attention_ws_.at(B);
  const k::Real r = k::residual_share(config_.residual_scale, config_.num_blocks);
  const k::Real scale = k::attention_scale(config_.softmax_scale, int(C / size_t(config_.num_heads)));
  const int NH = config_.num_heads;
  const bool normed = config_.norm != "none";

  auto& blocks = buf_->blocks;
  k::Tensor3 h = blocks.empty() ? rows3(buf_->h_final, B) : rows3(blocks[0].h_in, B);
  // NanoGPT: looked-up columns are capped in place (not differentiated), then h = E[:, x]
  if (config_.embedding_cap == "lookup") {
    const auto E = params_.param(0);
    k::embedding_lookup_cap(k::Tensor2(E.data(), E.extent(0), E.extent(1)), tokens_, used_tokens_, 1.0);
  }
  k::embedding_forward(h, params_.param(0), tokens_);
  for (size_t p = 0; p < blocks.size(); ++p) {
    auto& blk = blocks[p];
    const size_t base = 1 + p * 6;
    const auto z1 = rows3(blk.z1, B), q = rows3(blk.q, B), kk = rows3(blk.k, B), v = rows3(blk.v, B);
    const auto attn = rows3(blk.attn, B), h_att = rows3(blk.h_att, B), z2 = rows3(blk.z2, B);
    const auto m_pre = rows3(blk.m_pre, B), m_act = rows3(blk.m_act, B);
    if (normed) apply_norm_forward(z1, h, rows2(blk.rstd1, B));
    // q = rope(z W_qᵀ), k = rope(z W_kᵀ), v = z W_vᵀ
    k::linear_forward(k::as_matrix(v), k::as_matrix(z1), params_.param(base + 0));
    k::linear_forward(k::as_matrix(q), k::as_matrix(z1), params_.param(base + 1));
    k::linear_forward(k::as_matrix(kk), k::as_matrix(z1), params_.param(base + 2));
    k::rope_forward(q, q, NH, rope_table_);
    k::rope_forward(kk, kk, NH, rope_table_);
    // attn = (1/3)·softmax_causal(scale·q kᵀ) v
    k::attention_forward(attn, rows4(blk.probs, B), q, kk, v, NH, scale, ws);
    // h_att = (1 − r)·h + r·(attn W_wᵀ)
    const auto branch = rows3(buf_->d_branch, B);  // forward scratch: the branch output
    k::linear_forward(k::as_matrix(branch), k::as_matrix(attn), params_.param(base + 3));
    k::residual_forward(h_att, h, branch, r);
    if (normed) apply_norm_forward(z2, h_att, rows2(blk.rstd2, B));
    // m = (gelu(z W_inᵀ)/1.1289) W_outᵀ ; h_next = (1 − r)·h_att + r·m
    k::linear_forward(k::as_matrix(m_pre), k::as_matrix(z2), params_.param(base + 4));
    k::gelu_forward(m_act, m_pre, config_.gelu);
    k::linear_forward(k::as_matrix(branch), k::as_matrix(m_act), params_.param(base + 5));
    const auto h_next = p + 1 < blocks.size() ? rows3(blocks[p + 1].h_in, B) : rows3(buf_->h_final, B);
    k::residual_forward(h_next, h_att, branch, r);
    h = h_next;
  }
  // logits = fs · (h W_outᵀ)
  const auto logits = k::MatrixView(buf_->logits.data(), B * T, V);
  k::linear_forward(logits, k::as_matrix(h), params_.param(params_.num_tensors() - 1));
  if (config_.final_scale != 1) k::scale("kernels::final_scale_forward", logits, k::Real(config_.final_scale));
  const double loss =
      k::softmax_cross_entropy_forward(k::MatrixView(buf_->probs_ce.data(), B * T, V), logits, targets_);
  correct_ = k::count_correct(logits, targets_);
  return loss;
}

void Gpt::backward() {
  const size_t B = rows_, T = config_.seq_len, C = config_.width, V = buf_->logits.extent(2);
  const auto& ws = attention_ws_.at(B);
  const k::Real r = k::residual_share(config_.residual_scale, config_.num_blocks);
  const k::Real scale = k::attention_scale(config_.softmax_scale, int(C / size_t(config_.num_heads)));
  const int NH = config_.num_heads;
  auto& blocks = buf_->blocks;
  const size_t head = params_.num_tensors() - 1;

  // logits = fs·(h W_outᵀ):  dz = fs·(p − onehot)/N ;  dh = dz W_out ;  dW_out += dzᵀ h
  const auto d_logits = k::MatrixView(buf_->d_logits.data(), B * T, V);
  Kokkos::deep_copy(buf_->d_logits, k::Real(0));
  k::softmax_cross_entropy_backward(d_logits, k::MatrixView(buf_->probs_ce.data(), B * T, V), targets_,
                                    config_.final_scale);
  k::Tensor3 g_out = rows3(buf_->g_a, B), g_in = rows3(buf_->g_b, B);
  zero(g_out);
  k::linear_backward(k::as_matrix(g_out), params_.grad(head), d_logits, k::as_matrix(rows3(buf_->h_final, B)),
                     params_.param(head));

  const auto d_branch = rows3(buf_->d_branch, B), d_attn = rows3(buf_->d_attn, B);
  const auto dq = rows3(buf_->dq, B), dk = rows3(buf_->dk, B), dv = rows3(buf_->dv, B);
  const auto dq_lin = rows3(buf_->dq_lin, B), dk_lin = rows3(buf_->dk_lin, B), d_z = rows3(buf_->d_z, B);
  const auto d_m_act = rows3(buf_->d_m_act, B), d_m_pre = rows3(buf_->d_m_pre, B);
  for (size_t pp = blocks.size(); pp-- > 0;) {
    auto& blk = blocks[pp];
    const size_t base = 1 + pp * 6;
    const auto h_in = rows3(blk.h_in, B), z1 = rows3(blk.z1, B), q = rows3(blk.q, B), kk = rows3(blk.k, B);
    const auto v = rows3(blk.v, B), attn = rows3(blk.attn, B), h_att = rows3(blk.h_att, B), z2 = rows3(blk.z2, B);
    const auto m_pre = rows3(blk.m_pre, B), m_act = rows3(blk.m_act, B);
    // ---- MLP residual: h_next = (1 − r)·h_att + r·m  (g_in ← dL/dh_att)
    zero(g_in);
    zero(d_branch);
    k::residual_backward(g_in, d_branch, g_out, r);
    // m = m_act W_outᵀ
    zero(d_m_act);
    k::linear_backward(k::as_matrix(d_m_act), params_.grad(base + 5), k::as_matrix(d_branch), k::as_matrix(m_act),
                       params_.param(base + 5));
    // m_act = gelu(m_pre)/1.1289
    zero(d_m_pre);
    k::gelu_backward(d_m_pre, d_m_act, m_pre, config_.gelu);
    // m_pre = z2 W_inᵀ
    zero(d_z);
    k::linear_backward(k::as_matrix(d_z), params_.grad(base + 4), k::as_matrix(d_m_pre), k::as_matrix(z2),
                       params_.param(base + 4));
    apply_norm_backward(g_in, d_z, h_att, rows2(blk.rstd2, B));
    std::swap(g_in, g_out);  // g_out ← dL/dh_att
    // ---- attention residual: h_att = (1 − r)·h + r·(attn W_wᵀ)  (g_in ← dL/dh)
    zero(g_in);
    zero(d_branch);
    k::residual_backward(g_in, d_branch, g_out, r);
    zero(d_attn);
    k::linear_backward(k::as_matrix(d_attn), params_.grad(base + 3), k::as_matrix(d_branch), k::as_matrix(attn),
                       params_.param(base + 3));
    zero(dq);
    zero(dk);
    zero(dv);
    k::attention_backward(dq, dk, dv, d_attn, q, kk, v, rows4(blk.probs, B), NH, scale, ws);
    // q = rope(q_lin), k = rope(k_lin): the rotation is linear, dq_lin = Mᵀ dq
    zero(dq_lin);
    zero(dk_lin);
    k::rope_backward(dq_lin, dq, NH, rope_table_);
    k::rope_backward(dk_lin, dk, NH, rope_table_);
    // v = z W_vᵀ, q_lin = z W_qᵀ, k_lin = z W_kᵀ
    zero(d_z);
    k::linear_backward(k::as_matrix(d_z), params_.grad(base + 0), k::as_matrix(dv), k::as_matrix(z1),
                       params_.param(base + 0));
    k::linear_backward(k::as_matrix(d_z), params_.grad(base + 1), k::as_matrix(dq_lin), k::as_matrix(z1),
                       params_.param(base + 1));
    k::linear_backward(k::as_matrix(d_z), params_.grad(base + 2), k::as_matrix(dk_lin), k::as_matrix(z1),
                       params_.param(base + 2));
    apply_norm_backward(g_in, d_z, h_in, rows2(blk.rstd1, B));
    std::swap(g_in, g_out);  // g_out ← dL/dh_in
  }
  // h = E[:, x]:  dE[:, x] += dh
  k::embedding_backward(params_.grad(0), g_out, tokens_, config_.embedding_backward);
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

LipschitzBound Gpt::certified_bound(const std::vector<double>& norms) const {
  LIP_REQUIRE(norms.size() == params_.num_tensors(),
              "transformer bound needs " << params_.num_tensors() << " norms, got " << norms.size());
  GptBoundInput in;
  in.embed = norms.front();
  in.head = norms.back();
  for (int p = 0; p < config_.num_blocks; ++p) {
    const size_t base = 1 + size_t(p) * 6;
    GptBlockNorms b;
    b.v = norms[base + 0];
    b.q = norms[base + 1];
    b.k = norms[base + 2];
    b.w = norms[base + 3];
    b.mlp_in = norms[base + 4];
    b.mlp_out = norms[base + 5];
    in.blocks.push_back(b);
  }
  in.softmax_scale = config_.softmax_scale;
  in.residual_scale = config_.residual_scale;
  in.final_scale = config_.final_scale;
  in.formula = config_.bound_formula;
  // The reference code visits its trackers in index order, i.e. the last forward block first (§13.13).
  in.tracker_order = config_.bound_formula == BoundFormula::reference_code;
  return gpt_lipschitz_bound(in, true);
}

}  // namespace lip
