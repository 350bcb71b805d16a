#include "model/mlp.hpp"

#include <cmath>

#include "core/error.hpp"
#include "kernels/cross_entropy.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/linear.hpp"
#include "kernels/reductions.hpp"
#include "kernels/relu.hpp"
#include "model/init.hpp"
#include "model/module_budget.hpp"

namespace lip {

namespace {
std::vector<ParamInfo> mlp_layout(const MlpConfig& c) {
  LIP_REQUIRE(c.num_layers >= 2, "model.depth must be ≥ 2 for the MLP, got " << c.num_layers);
  LIP_REQUIRE(c.zero_init_layer == "first" || c.zero_init_layer == "last" || c.zero_init_layer == "none",
              "model.zero_init_layer must be first, last or none, got '" << c.zero_init_layer << "'");
  const double T = mlp_target_norm(c.num_layers, c.final_scale);
  std::vector<ParamInfo> infos;
  const int L = c.num_layers;
  for (int l = 0; l < L; ++l) {
    ParamInfo p;
    // Tracker names of the reference: mlp_in, then hidden layers in decreasing index, then mlp_out.
    p.name = l == 0 ? "mlp_in" : (l == L - 1 ? "mlp_out" : "mlp_" + std::to_string(L - 2 - l));
    p.rows = l == L - 1 ? c.output_dim : c.width;
    p.cols = l == 0 ? c.input_dim : c.width;
    p.target_norm = T;
    p.zero_init = (c.zero_init_layer == "first" && l == 0) || (c.zero_init_layer == "last" && l == L - 1);
    infos.push_back(p);
  }
  return infos;
}
}  // namespace

Mlp::Mlp(const MlpConfig& config) : config_(config), params_(mlp_layout(config)) {
  const size_t B = config.max_batch;
  for (int l = 0; l + 1 < config.num_layers; ++l) {
    pre_.emplace_back("Mlp::pre_activation", B, config.width);
    d_pre_.emplace_back("Mlp::d_pre_activation", B, config.width);
    hidden_.emplace_back("Mlp::hidden", B, config.width);
    d_hidden_.emplace_back("Mlp::d_hidden", B, config.width);
  }
  logits_ = kernels::Tensor2("Mlp::logits", B, config.output_dim);
  probs_ = kernels::Tensor2("Mlp::probs", B, config.output_dim);
  d_logits_ = kernels::Tensor2("Mlp::d_logits", B, config.output_dim);
}

void Mlp::initialize(uint64_t seed) { initialize_parameters(params_, seed); }

kernels::MatrixView Mlp::rows_of(const kernels::Tensor2& t) const {
  return kernels::MatrixView(t.data(), rows_, t.extent(1));
}

double Mlp::forward(const Batch& batch) {
  LIP_REQUIRE(batch.size <= config_.max_batch,
              "MLP batch of " << batch.size << " rows exceeds the " << config_.max_batch << " rows it was built for");
  LIP_REQUIRE(batch.inputs.extent(1) == config_.input_dim,
              "MLP input has " << batch.inputs.extent(1) << " features, model expects " << config_.input_dim);
  rows_ = batch.size;
  input_ = batch.inputs;
  targets_ = batch.targets;
  const kernels::MatrixView x(batch.inputs.data(), rows_, config_.input_dim);
  const int L = config_.num_layers;
  kernels::MatrixView h = x;
  for (int l = 0; l + 1 < L; ++l) {
    // z_l = h_l · W_lᵀ ; h_{l+1} = relu(z_l)
    kernels::linear_forward(rows_of(pre_[l]), h, params_.param(size_t(l)));
    kernels::relu_forward(rows_of(hidden_[l]), rows_of(pre_[l]));
    h = rows_of(hidden_[l]);
  }
  const auto logits = rows_of(logits_);
  // logits = fs · (h_{L−1} · W_{L−1}ᵀ)
  kernels::linear_forward(logits, h, params_.param(size_t(L - 1)));
  if (config_.final_scale != 1) kernels::scale("kernels::final_scale_forward", logits, kernels::Real(config_.final_scale));
  const kernels::IndexTensor1 y(targets_.data(), rows_);
  const double loss = kernels::softmax_cross_entropy_forward(rows_of(probs_), logits, y);
  correct_ = kernels::count_correct(logits, y);
  return loss;
}

void Mlp::backward() {
  const kernels::IndexTensor1 y(targets_.data(), rows_);
  // logits = fs·z  ⇒  dz += fs·(p − onehot(y))/N
  Kokkos::deep_copy(d_logits_, kernels::Real(0));
  kernels::softmax_cross_entropy_backward(rows_of(d_logits_), rows_of(probs_), y, config_.final_scale);
  backpropagate(kernels::MatrixView(), true);
}

void Mlp::loss_input_gradient(kernels::MatrixView d_input) {
  const kernels::IndexTensor1 y(targets_.data(), rows_);
  Kokkos::deep_copy(d_logits_, kernels::Real(0));
  kernels::softmax_cross_entropy_backward(rows_of(d_logits_), rows_of(probs_), y, config_.final_scale);
  backpropagate(d_input, false);
}

void Mlp::logits_vjp(kernels::MatrixView d_input, kernels::MatrixView u) {
  LIP_REQUIRE(u.extent(0) == rows_ && u.extent(1) == config_.output_dim,
              "logits_vjp: u is " << u.extent(0) << "x" << u.extent(1) << ", the logits " << rows_ << "x"
                                  << config_.output_dim);
  // logits = fs·z  ⇒  dz = fs·u
  const auto dz = rows_of(d_logits_);
  Kokkos::deep_copy(dz, u);
  if (config_.final_scale != 1) kernels::scale("kernels::final_scale_vjp", dz, kernels::Real(config_.final_scale));
  backpropagate(d_input, false);
}

void Mlp::logits_jvp(kernels::MatrixView d_logits, kernels::MatrixView v) {
  LIP_REQUIRE(v.extent(0) == rows_ && v.extent(1) == config_.input_dim && d_logits.extent(0) == rows_ &&
                  d_logits.extent(1) == config_.output_dim,
              "logits_jvp: v is " << v.extent(0) << "x" << v.extent(1) << " and d_logits " << d_logits.extent(0)
                                  << "x" << d_logits.extent(1) << "; expected " << rows_ << "x" << config_.input_dim
                                  << " and " << rows_ << "x" << config_.output_dim);
  const int L = config_.num_layers;
  const kernels::MatrixView none;
  kernels::MatrixView t = v;
  for (int l = 0; l + 1 < L; ++l) {
    // tz_l = th_l · W_lᵀ ; th_{l+1} = relu'(z_l) ⊙ tz_l   (d_pre_/d_hidden_ serve as tangent scratch)
    kernels::linear_jvp(rows_of(d_pre_[l]), t, none, none, params_.param(size_t(l)));
    kernels::relu_jvp(rows_of(d_hidden_[l]), rows_of(d_pre_[l]), rows_of(pre_[l]));
    t = rows_of(d_hidden_[l]);
  }
  // t_logits = fs · (th_{L−1} · W_{L−1}ᵀ)
  kernels::linear_jvp(d_logits, t, none, none, params_.param(size_t(L - 1)));
  if (config_.final_scale != 1) kernels::scale("kernels::final_scale_jvp", d_logits, kernels::Real(config_.final_scale));
}

void Mlp::backpropagate(kernels::MatrixView d_input, bool parameter_gradients) {
  const int L = config_.num_layers;
  if (d_input.data() != nullptr) {
    LIP_REQUIRE(d_input.extent(0) == rows_ && d_input.extent(1) == config_.input_dim,
                "MLP input gradient buffer is " << d_input.extent(0) << "x" << d_input.extent(1) << ", the input "
                                                << rows_ << "x" << config_.input_dim);
    Kokkos::deep_copy(d_input, kernels::Real(0));
  }
  kernels::MatrixView d_out = rows_of(d_logits_);
  for (int l = L - 1; l >= 0; --l) {
    const bool first = l == 0;
    const kernels::MatrixView h_in =
        first ? kernels::MatrixView(input_.data(), rows_, config_.input_dim) : rows_of(hidden_[l - 1]);
    kernels::MatrixView d_h_in = d_input;  // empty: the input needs no gradient
    if (!first) {
      Kokkos::deep_copy(d_hidden_[l - 1], kernels::Real(0));
      d_h_in = rows_of(d_hidden_[l - 1]);
    }
    const kernels::MatrixView d_w = parameter_gradients ? params_.grad(size_t(l)) : kernels::MatrixView();
    // dh_l += dz_l · W_l ; dW_l += dz_lᵀ · h_l
    kernels::linear_backward(d_h_in, d_w, d_out, h_in, params_.param(size_t(l)));
    if (!first) {
      // dz_{l−1} += dh_l ⊙ relu'(z_{l−1})
      Kokkos::deep_copy(d_pre_[l - 1], kernels::Real(0));
      kernels::relu_backward(rows_of(d_pre_[l - 1]), d_h_in, rows_of(pre_[l - 1]));
      d_out = rows_of(d_pre_[l - 1]);
    }
  }
}

double Mlp::max_activation() const {
  double m = kernels::max_abs(rows_of(logits_));
  for (const auto& h : hidden_) m = std::max(m, kernels::max_abs(rows_of(h)));
  return m;
}

LipschitzBound Mlp::certified_bound(const std::vector<double>& norms) const {
  // ReLU is 1-Lipschitz, so the network is at most Π_l ‖W_l‖_{RMS→RMS}, times |final_scale|
  // (ALGORITHMS §7.1; the reference omits final_scale, §13 item 14).
  LIP_REQUIRE(norms.size() == params_.num_tensors(),
              "MLP bound needs " << params_.num_tensors() << " norms, got " << norms.size());
  LipschitzBound b;
  for (size_t i = 0; i < norms.size(); ++i) {
    b.log10_bound += std::log10(norms[i]);
    // The logit multiplier enters with the last layer, as the transformer's does with its head.
    if (i + 1 == norms.size()) b.log10_bound += std::log10(std::abs(config_.final_scale));
    b.stage_names.push_back(params_.info(i).name);
    b.stage_log10.push_back(b.log10_bound);
  }
  return b;
}

}  // namespace lip
