#pragma once
/* The MLP of ALGORITHMS §6.1: `num_layers` Linear layers without bias, ReLU between them, logits
 * multiplied by final_scale.
 *
 *   h_0 = x [B, input_dim];  z_l = h_l · W_lᵀ;  h_{l+1} = relu(z_l)  (l < L−1);  logits = fs · z_{L−1}
 *
 * Parameter order = forward order: mlp_in, mlp_{L−3}, …, mlp_0, mlp_out (checkpoint order).
 * Initialization (§5.8): orthogonal (Newton–Schulz of a Gaussian) × sqrt(fan_out/fan_in); the
 * zero-initialized layer is the FIRST one by default, as in the reference code (§13 item 9;
 * `model.zero_init_layer last` follows the paper's wording instead).
 */
#include <memory>

#include "model/model.hpp"

namespace lip {

struct MlpConfig {
  size_t input_dim = 784, width = 256, output_dim = 10;
  int num_layers = 3;
  double final_scale = 1;
  std::string zero_init_layer = "first";  ///< first | last | none
  size_t max_batch = 512;                 ///< activation buffers are sized once for this many rows
};

class Mlp : public Model {
 public:
  explicit Mlp(const MlpConfig& config);

  const ParamStore& params() const override { return params_; }
  ParamStore& mutable_params() override { return params_; }
  void initialize(uint64_t seed) override;
  double forward(const Batch& batch) override;
  void backward() override;
  size_t correct() const override { return correct_; }
  size_t predictions() const override { return rows_; }
  double max_activation() const override;
  LipschitzBound certified_bound(const std::vector<double>& norms) const override;

  const MlpConfig& config() const { return config_; }
  /// Logits and softmax probabilities of the last forward, (rows, output_dim).
  kernels::MatrixView logits() const { return rows_of(logits_); }
  kernels::MatrixView probabilities() const { return rows_of(probs_); }

  // Input derivatives at the last forward's input (attacks, certified radii, Lipschitz estimates).
  // d_input / v have the input's shape (rows, input_dim), u / d_logits the logits'. None of them
  // touches the parameter gradients.
  /// d_input = ∂loss/∂input of the last forward's mean cross-entropy.
  void loss_input_gradient(kernels::MatrixView d_input);
  /// d_input = Jᵀ·u with J = ∂logits/∂input (vector–Jacobian product through the backward).
  void logits_vjp(kernels::MatrixView d_input, kernels::MatrixView u);
  /// d_logits = J·v (Jacobian–vector product, forward mode; ReLU pattern of the last forward).
  void logits_jvp(kernels::MatrixView d_logits, kernels::MatrixView v);

 private:
  kernels::MatrixView rows_of(const kernels::Tensor2& t) const;
  /// Backward from d_logits_ (∂/∂z of the last layer) to the input: parameter gradients are
  /// accumulated when `parameter_gradients`, the input gradient written to `d_input` when given.
  void backpropagate(kernels::MatrixView d_input, bool parameter_gradients);

  MlpConfig config_;
  ParamStore params_;
  std::vector<kernels::Tensor2> hidden_, d_hidden_;  ///< z_l (pre-activation) and h_{l+1}, per layer
  std::vector<kernels::Tensor2> pre_, d_pre_;
  kernels::Tensor2 logits_, probs_, d_logits_;
  kernels::Tensor2 input_;                          ///< the batch inputs of the last forward
  kernels::IndexTensor1 targets_;
  size_t rows_ = 0, correct_ = 0;
};

}  // namespace lip
