#pragma once
/* RunConfig: the resolved input deck as typed fields. `deck_schema()` registers every valid key
 * (docs/INPUT_DECK.md is generated from it: `lip_driver --describe-keys`), `make_run_config`
 * turns a parsed deck into the struct the driver and trainer use.
 */
#include <cstdint>
#include <string>

#include "io/input_deck.hpp"

namespace lip {

struct ConstraintConfig {
  std::string method = "none";
  double w_max = 1;
  double spectral_wd = 0;
  int power_iterations = 16;
  bool sensitive_all = true;
  bool divide_update_by_fan_scale = true;
  double update_norm_factor = 1;
  double clip_min = 0;
  double clipped_wd_lambda = 0.1;
  double head_w_max = 0;  ///< 0: w_max
  double qk_w_max = 0;    ///< attention query/key matrices; 0: w_max
};

struct RunConfig {
  // run
  std::string name, output_dir;
  uint64_t seed = 0;
  long steps = 0;
  long log_every = 1, eval_every = 100;
  bool progress = true;
  // data
  std::string dataset, data_file, data_dir;
  size_t batch_size = 0, eval_batch_size = 0, eval_batches = 0;
  size_t micro_batch = 0;   ///< examples per forward pass on each rank (0: the whole local batch)
  size_t eval_tokens = 0;
  bool shuffle = true;
  uint64_t data_seed = 0;
  // model
  std::string model_kind;
  size_t width = 256;
  int depth = 3;
  double final_scale = 1;
  std::string zero_init_layer = "first";
  size_t seq_len = 256, mlp_hidden = 0;
  int heads = 4;
  double softmax_scale = 1, residual_scale = 1, blocks_mass = 16;
  std::string mul_sensitivity = "scalar", gelu = "tanh", rope = "textbook", norm = "none";
  std::string embedding_backward = "deterministic", bound_formula = "paper";
  double rope_base = 0;
  size_t head_rows = 0;
  std::string embedding_cap = "project", target_norms = "modula";
  std::string attention_kernel = "blocked";
  bool embed_bias_correction = false;
  bool zero_init = true;
  bool unembed = false;  ///< GPT head is an Unembed (row-RMS maps) instead of a Linear
  // optimizer
  std::string optimizer, schedule, ns_table;
  double lr = 0, beta1 = 0.9, beta2 = 0.95, eps = 1e-12, weight_decay = 0;
  bool nesterov = false;
  bool sharded_optimizer = true;  ///< optim.sharded: optimizer work and state split over the ranks
  double embed_inflation = 16;
  // per-group overrides (empty / 0: same as the hidden group)
  std::string embed_optimizer = "same";
  double embed_lr = 0, embed_beta1 = -1, embed_beta2 = -1, embed_eps = -1, head_lr = 0;
  double momentum_warmup_start = -1;
  long momentum_warmup_steps = 0;
  // constraint
  ConstraintConfig constraint;
  // certify
  double target_bound = 0;  ///< certify.target_bound: constraint.w_max solved for this bound (0: off)
  // checkpoints
  long checkpoint_every = 0;
  int checkpoint_keep = 3;
  // metrics
  std::string norm_method = "power";
  int norm_power_iterations = 64;
  bool bound_table = false;  ///< write bound_table.csv (the per-stage budget) at every evaluation

  std::string resolved_deck;  ///< every key with its value, defaults included
};

io::DeckSchema deck_schema();
RunConfig make_run_config(const io::InputDeck& deck);

}  // namespace lip
