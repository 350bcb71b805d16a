#pragma once
// Model construction from a RunConfig (the deck), shared by lip_driver and lip_generate.
#include <memory>
#include <vector>

#include "io/run_config.hpp"
#include "model/gpt.hpp"
#include "model/mlp.hpp"

namespace lip {

/// vocab: the data's vocabulary size; batch_sizes: the per-rank batch sizes forward() will see.
GptConfig make_gpt_config(const RunConfig& c, size_t vocab, std::vector<size_t> batch_sizes);
MlpConfig make_mlp_config(const RunConfig& c, size_t input_dim, size_t output_dim, size_t max_rows);

/// The deck's model for data of `input_features` features (MLP) or a vocabulary of `num_classes`
/// tokens (GPT), with buffers for the per-rank forward sizes `forward_rows` (BatchPlan). A GPT's
/// memory estimate is checked against the available memory first (and printed when `report`).
std::unique_ptr<Model> make_model(const RunConfig& c, size_t input_features, size_t num_classes,
                                  const std::vector<size_t>& forward_rows, bool report);

/// Memory a transformer deck needs per rank, estimated from the buffers Gpt and Optimizer allocate.
struct MemoryEstimate {
  double bytes_per_parameter = 0;  ///< parameters, gradients and optimizer slabs
  double activation_bytes_per_token = 0;
  double attention_bytes = 0;      ///< attention caches and workspaces (blocked kernel: grow with T²)
  double total_bytes = 0;
  size_t parameters = 0;
  std::string describe() const;
};
MemoryEstimate estimate_gpt_memory(const GptConfig& g);

/// Fail with a clear message (before anything large is allocated) when `needed` bytes exceed the
/// memory available to this process (MemAvailable of /proc/meminfo for host memory spaces).
void require_memory(double needed_bytes, const std::string& what);

}  // namespace lip
