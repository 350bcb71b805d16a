#pragma once
/* The interface the trainer drives: forward (returns the mean loss), backward (accumulates into
 * the gradient slab), and what the metrics need. Implementations: Mlp (mlp.hpp), Gpt (gpt.hpp).
 */
#include <string>
#include <vector>

#include "kernels/types.hpp"
#include "model/param_store.hpp"

namespace lip {

/// One batch on the device. MLPs read `inputs` [B, features]; token models read `tokens` [B, T].
/// `targets` holds one class per prediction (B for MLPs, B·T for token models).
struct Batch {
  kernels::Tensor2 inputs;
  kernels::IndexTensor2 tokens;
  kernels::IndexTensor1 targets;
  size_t size = 0;  ///< number of examples (sequences) in use; buffers may be larger
};

/// A certified Lipschitz upper bound, carried in log10 so that 10^264 prints exactly.
struct LipschitzBound {
  double log10_bound = 0;
  std::vector<std::string> stage_names;   ///< optional per-layer budget table
  std::vector<double> stage_log10;
  double value() const;                   ///< 10^log10_bound (inf when it overflows double)
  std::string to_string() const;          ///< "1.234e+264"
  /// The per-stage budget as text, one line per stage: the running bound after the stage and
  /// the factor that stage multiplied it by. Empty when no stages were recorded.
  std::string budget_table() const;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ParamStore& params() const = 0;
  /// Set-up only: the store whose per-tensor policy (constraint/policy.hpp) is filled in.
  virtual ParamStore& mutable_params() = 0;
  /// Draw the initial weights from the counter-based RNG (identical on every rank and backend).
  virtual void initialize(uint64_t seed) = 0;
  virtual double forward(const Batch& batch) = 0;
  virtual void backward() = 0;
  /// Predictions of the last forward that matched their target, and how many predictions it made.
  virtual size_t correct() const = 0;
  virtual size_t predictions() const = 0;
  /// max |entry| over the tracked activations of the last forward (ALGORITHMS §8).
  virtual double max_activation() const = 0;
  /// Certified bound from the per-tensor norms (RMS→RMS for matrices, max column RMS for embeddings).
  virtual LipschitzBound certified_bound(const std::vector<double>& norms) const = 0;
};

}  // namespace lip
