#include "io/run_config.hpp"

#include "certify/target_bound.hpp"
#include "constraint/registry.hpp"
#include "core/error.hpp"

namespace lip {

using io::DeckDefault;
using io::DeckRange;

io::DeckSchema deck_schema() {
  io::DeckSchema s;
  // run
  s.add_string("run.name", "run", "Run name; outputs go to run.output_dir (default runs/<name>)");
  s.add_string("run.output_dir", "", "Directory for metrics, the resolved deck and checkpoints (default runs/<run.name>)");
  s.add_int("run.seed", 0, "Seed of the weight initialization and projection RNG", DeckRange::at_least(0));
  s.add_int("run.steps", DeckDefault::required(), "Number of optimizer steps (also the schedule length)",
            DeckRange::at_least(1));
  s.add_int("run.log_every", 1, "Print a progress line and write train metrics every N steps", DeckRange::at_least(1));
  s.add_int("run.eval_every", 100, "Evaluate (test loss/acc, norms, certified bound) every N steps and at the end",
            DeckRange::at_least(1));
  s.add_bool("run.progress", true, "Print the per-step progress line on rank 0");
  // data
  s.add_string("data.dataset", DeckDefault::required(), "Dataset kind", {"mnist", "cifar10", "shakespeare", "tokens"});
  s.add_string("data.file", "", "HDF5 dataset file (default <dataset>.h5 found in data.dir, LIP_DATA_DIR, data/, ../shared/data)");
  s.add_string("data.dir", "", "Directory searched first for data.file");
  s.add_int("data.batch_size", DeckDefault::required(), "Global training batch (examples per step)",
            DeckRange::at_least(1));
  s.add_int("data.eval_batch_size", 0, "Evaluation batch size (0: data.batch_size)", DeckRange::at_least(0));
  s.add_int("data.micro_batch", 0,
            "Examples per forward pass on each rank; the rank's share of data.batch_size is accumulated in micro-batches "
            "of this size (0: one pass)", DeckRange::at_least(0));
  s.add_int("data.eval_tokens", 0,
            "Token models: validation budget in tokens; sets data.eval_batches = eval_tokens / (eval_batch_size x seq_len) "
            "(0: use data.eval_batches)", DeckRange::at_least(0));
  s.add_int("data.eval_batches", 20, "Number of fixed-order test batches per evaluation", DeckRange::at_least(1));
  s.add_bool("data.shuffle", true, "Reshuffle the training set every epoch (counter-based RNG)");
  s.add_int("data.seed", 0, "Seed of the data order (fixed at 0 in the reference, independent of run.seed)",
            DeckRange::at_least(0));
  // model
  s.add_string("model.kind", "mlp", "Model family", {"mlp", "gpt"});
  s.add_int("model.width", 256, "Hidden width", DeckRange::at_least(1));
  s.add_int("model.depth", 3, "MLP: number of Linear layers (>= 2); GPT: number of blocks", DeckRange::at_least(1));
  s.add_double("model.final_scale", 1.0, "Logit multiplier (enters the target norms and the bound)",
               DeckRange::greater_than(0));
  s.add_string("model.zero_init_layer", "first",
               "Which MLP layer starts at zero: first (reference code) or last (paper text)", {"first", "last", "none"});
  s.add_int("model.seq_len", 256, "GPT: context length T of training windows", DeckRange::at_least(1));
  s.add_int("model.heads", 4, "GPT: attention heads (head size = width / heads)", DeckRange::at_least(1));
  s.add_int("model.mlp_hidden", 0, "GPT: MLP hidden width (0: 4 x width)", DeckRange::at_least(0));
  s.add_double("model.softmax_scale", 1.0, "GPT: attention logits are softmax_scale/d_head * q.k", DeckRange::greater_than(0));
  s.add_double("model.residual_scale", 1.0, "GPT: rho; residual share r = rho/(2 depth)", DeckRange::greater_than(0));
  s.add_double("model.blocks_mass", 16, "GPT: Modula mass of all blocks (embedding and head have mass 1)",
               DeckRange::greater_than(0));
  s.add_string("model.mul_sensitivity", "scalar",
               "GPT target norms: scalar (reference code) or one_residual (paper's 1/2 per residual layer)",
               {"scalar", "one_residual"});
  s.add_string("model.gelu", "tanh", "GPT: GeLU form (divided by 1.1289)", {"tanh", "erf"});
  s.add_string("model.rope", "textbook", "GPT: rotary convention (docs/DECISIONS.md)", {"textbook", "reference", "nanogpt"});
  s.add_double("model.rope_base", 0, "GPT: rotary base (0: the convention's default)", DeckRange::at_least(0));
  s.add_string("model.norm", "none", "GPT: pre-norm substitute at the start of each branch", {"none", "rmsnorm", "layernorm"});
  s.add_bool("model.zero_init", true, "GPT: zero-initialize attention/MLP output projections and the head");
  s.add_bool("model.unembed", false,
             "GPT: the head is an unembedding (rows = tokens, row-RMS dualization, rows capped at RMS 1 after each "
             "step, constraint.method ignored) instead of a Linear layer (ALGORITHMS §4.3)");
  s.add_string("model.attention_kernel", "blocked",
               "GPT: causal attention kernel: blocked (per-block BLAS products, caches the (B, heads, T, T) "
               "probabilities; fastest on CPU) or fused (flash-style teams with online softmax, no T x T buffer)",
               {"blocked", "fused"});
  s.add_string("model.embedding_backward", "deterministic", "GPT: embedding scatter-add (atomic is not bitwise reproducible)",
               {"deterministic", "atomic"});
  s.add_int("model.head_rows", 0, "GPT: rows of the head (0: vocabulary size; NanoGPT pads 50257 to 50304)",
            DeckRange::at_least(0));
  s.add_string("model.embedding_cap", "project",
               "GPT: embedding constraint: project (column RMS cap after each step) or lookup (NanoGPT: cap looked-up columns in place)",
               {"project", "lookup"});
  s.add_string("model.target_norms", "modula",
               "GPT: per-weight target norms from the module algebra (modula) or all 1 (unit, NanoGPT)", {"modula", "unit"});
  s.add_string("model.bound_formula", "paper", "Certified-bound formula: the paper's App. C (forward order, |final_scale|, valid for any "
               "softmax_scale), or exactly the reference code's (tracker order, final_scale omitted; for "
               "comparing with published numbers, not a certificate)",
               {"paper", "reference_code"});
  // optimizer
  s.add_string("optim.kind", DeckDefault::required(), "Optimizer", {"muon", "adamw", "adam", "sgd"});
  s.add_double("optim.lr", DeckDefault::required(), "Peak learning rate", DeckRange::greater_than(0));
  s.add_double("optim.beta1", 0.9, "Momentum EMA (Muon, Adam) or SGD momentum", DeckRange::between(0, 1).and_less_than(1));
  s.add_double("optim.beta2", 0.95, "Adam second-moment EMA", DeckRange::between(0, 1).and_less_than(1));
  s.add_double("optim.eps", 1e-12, "Adam denominator epsilon", DeckRange::greater_than(0));
  s.add_double("optim.weight_decay", 0.0, "Coupled weight decay: w <- (1 - wd*lr_t*T) w", DeckRange::at_least(0));
  s.add_bool("optim.nesterov", false, "Muon: Nesterov look-ahead of the EMA");
  s.add_bool("optim.sharded", true,
             "With several MPI ranks each tensor's optimizer state, update and projection live on one owner rank, "
             "then the parameters are all-gathered (the same parameters bit for bit as false, which replicates the "
             "work on every rank)");
  s.add_string("optim.ns_table", "reference6", "Newton-Schulz coefficient table for Muon",
               {"reference6", "nanogpt5", "quintic"});
  s.add_double("optim.embed_inflation", 16, "Max inflation of the embedding column normalization",
               DeckRange::at_least(1));
  s.add_string("optim.embed.kind", "same", "Optimizer of the embedding group (same: optim.kind)", {"same", "muon", "adamw", "adam", "sgd"});
  s.add_double("optim.embed.lr", 0, "Learning rate of the embedding group (0: optim.lr)", DeckRange::at_least(0));
  s.add_double("optim.embed.beta1", -1, "beta1 of the embedding group (<0: optim.beta1)", DeckRange::less_than(1));
  s.add_double("optim.embed.beta2", -1, "beta2 of the embedding group (<0: optim.beta2)", DeckRange::less_than(1));
  s.add_double("optim.embed.eps", -1, "Adam epsilon of the embedding group (<0: optim.eps)");
  s.add_bool("optim.embed.bias_correction", false, "Adam bias correction for the embedding group (NanoGPT: true)");
  s.add_double("optim.head.lr", 0, "Learning rate of the head (0: optim.lr)", DeckRange::at_least(0));
  s.add_double("optim.momentum_warmup_start", -1, "Muon beta1 ramps linearly from this value to optim.beta1 (<0: off)",
               DeckRange::less_than(1));
  s.add_int("optim.momentum_warmup_steps", 0, "Steps of the Muon momentum warm-up", DeckRange::at_least(0));
  s.add_string("optim.schedule", "linear", "Learning-rate schedule", {"linear", "cosine", "sqrt", "none", "flat_linear"});
  // constraint
  s.add_string("constraint.method", "none", "Weight constraint applied to every matrix after every step",
               constraint_method_names());
  s.add_double("constraint.w_max", 1.0, "Target max RMS->RMS norm (sigma_max)", DeckRange::greater_than(0));
  s.add_double("constraint.spectral_wd", 0.0, "Strength of spectral weight decay (spec_wd)", DeckRange::between(0, 1));
  s.add_int("constraint.power_iterations", 16, "Power-iteration steps of spec_wd/spec_normalize/spec_hammer",
            DeckRange::at_least(1));
  s.add_bool("constraint.sensitive_all", true,
             "Apply w_max to hard_cap/orthogonal/spec_normalize (false: reference-code semantics)");
  s.add_bool("constraint.divide_update_by_fan_scale", true,
             "Soft-cap coupling divides the update norm by sqrt(fan_out/fan_in) as the reference code does");
  s.add_double("constraint.update_norm_factor", 1.0, "Multiplier of the update norm in the soft-cap coupling",
               DeckRange::greater_than(0));
  s.add_double("constraint.head_w_max", 0.0, "w_max of the transformer head (0: constraint.w_max; NanoGPT's lm_head_w_max)",
               DeckRange::at_least(0));
  s.add_double("constraint.qk_w_max", 0.0,
               "w_max of the transformer's attention query and key matrices (0: constraint.w_max); "
               "the certified bound weighs q and k only through the attention logits",
               DeckRange::at_least(0));
  s.add_double("constraint.clip_min", 0.0, "Lower singular-value bound of spectral_clip", DeckRange::at_least(0));
  s.add_double("constraint.clipped_wd_lambda", 0.1, "lambda of spectrally clipped weight decay",
               DeckRange::between(0, 1));
  // certify
  std::string guaranteeing;
  for (const auto& name : cap_guaranteeing_method_names()) guaranteeing += (guaranteeing.empty() ? "" : ", ") + name;
  s.add_double("certify.target_bound", 0.0,
               "Certified Lipschitz bound chosen before training (0: off): constraint.w_max is solved so that the "
               "certified bound with every tensor at its enforced cap is this target (bisection on the model's own "
               "bound formula), the caps and the worst-case bound are printed at start-up, and an unreachable target "
               "is refused. Needs a constraint.method that guarantees its cap (" + guaranteeing + "; a unit-target "
               "one with constraint.sensitive_all true); constraint.head_w_max / constraint.qk_w_max, if set, stay "
               "fixed; constraint.w_max must not be set (docs/DECISIONS.md)",
               DeckRange::at_least(0));
  // checkpoints
  s.add_int("checkpoint.every", 0,
            "Write run.output_dir/checkpoint_<step>.h5 every N steps (0: only at the end); also written on "
            "SIGTERM/SIGUSR1 and at --stop-at (resume with --resume latest)",
            DeckRange::at_least(0));
  s.add_int("checkpoint.keep", 3, "Keep the newest N checkpoints in run.output_dir (`latest` names the newest)",
            DeckRange::at_least(1));
  // metrics
  s.add_string("metrics.norm_method", "power", "How logged RMS->RMS norms are measured", {"power", "exact"});
  s.add_int("metrics.power_iterations", 64, "Power-iteration steps for logged norms", DeckRange::at_least(1));
  s.add_bool("metrics.bound_table", false,
             "Write the certified bound's per-stage budget (the running bound after the embedding, each attention "
             "and MLP branch and the head; after each layer for MLPs) to run.output_dir/bound_table.csv at every "
             "evaluation, and print it after the last one");
  return s;
}

namespace {
std::string deck_name(const io::InputDeck& d) { return d.source_name(); }
}  // namespace

RunConfig make_run_config(const io::InputDeck& d) {
  RunConfig c;
  c.name = d.get_string("run.name");
  c.output_dir = d.get_string("run.output_dir");
  if (c.output_dir.empty()) c.output_dir = "runs/" + c.name;
  c.seed = uint64_t(d.get_int("run.seed"));
  c.steps = long(d.get_int("run.steps"));
  c.log_every = long(d.get_int("run.log_every"));
  c.eval_every = long(d.get_int("run.eval_every"));
  c.progress = d.get_bool("run.progress");
  c.dataset = d.get_string("data.dataset");
  c.data_file = d.get_string("data.file");
  if (c.data_file.empty()) c.data_file = c.dataset + ".h5";
  c.data_dir = d.get_string("data.dir");
  c.batch_size = size_t(d.get_int("data.batch_size"));
  c.eval_batch_size = size_t(d.get_int("data.eval_batch_size"));
  if (c.eval_batch_size == 0) c.eval_batch_size = c.batch_size;
  c.eval_batches = size_t(d.get_int("data.eval_batches"));
  c.shuffle = d.get_bool("data.shuffle");
  c.micro_batch = size_t(d.get_int("data.micro_batch"));
  c.eval_tokens = size_t(d.get_int("data.eval_tokens"));
  c.data_seed = uint64_t(d.get_int("data.seed"));
  c.model_kind = d.get_string("model.kind");
  c.width = size_t(d.get_int("model.width"));
  c.depth = int(d.get_int("model.depth"));
  c.final_scale = d.get_double("model.final_scale");
  c.zero_init_layer = d.get_string("model.zero_init_layer");
  c.seq_len = size_t(d.get_int("model.seq_len"));
  c.heads = int(d.get_int("model.heads"));
  c.mlp_hidden = size_t(d.get_int("model.mlp_hidden"));
  if (c.mlp_hidden == 0) c.mlp_hidden = 4 * c.width;
  c.softmax_scale = d.get_double("model.softmax_scale");
  c.residual_scale = d.get_double("model.residual_scale");
  c.blocks_mass = d.get_double("model.blocks_mass");
  c.mul_sensitivity = d.get_string("model.mul_sensitivity");
  c.gelu = d.get_string("model.gelu");
  c.rope = d.get_string("model.rope");
  c.rope_base = d.get_double("model.rope_base");
  c.norm = d.get_string("model.norm");
  c.zero_init = d.get_bool("model.zero_init");
  c.unembed = d.get_bool("model.unembed");
  c.embedding_backward = d.get_string("model.embedding_backward");
  c.attention_kernel = d.get_string("model.attention_kernel");
  c.bound_formula = d.get_string("model.bound_formula");
  c.head_rows = size_t(d.get_int("model.head_rows"));
  c.embedding_cap = d.get_string("model.embedding_cap");
  c.target_norms = d.get_string("model.target_norms");
  c.optimizer = d.get_string("optim.kind");
  c.lr = d.get_double("optim.lr");
  c.beta1 = d.get_double("optim.beta1");
  c.beta2 = d.get_double("optim.beta2");
  c.eps = d.get_double("optim.eps");
  c.weight_decay = d.get_double("optim.weight_decay");
  c.nesterov = d.get_bool("optim.nesterov");
  c.sharded_optimizer = d.get_bool("optim.sharded");
  c.ns_table = d.get_string("optim.ns_table");
  c.embed_inflation = d.get_double("optim.embed_inflation");
  c.schedule = d.get_string("optim.schedule");
  c.embed_optimizer = d.get_string("optim.embed.kind");
  c.embed_lr = d.get_double("optim.embed.lr");
  c.embed_beta1 = d.get_double("optim.embed.beta1");
  c.embed_beta2 = d.get_double("optim.embed.beta2");
  c.embed_eps = d.get_double("optim.embed.eps");
  c.head_lr = d.get_double("optim.head.lr");
  c.embed_bias_correction = d.get_bool("optim.embed.bias_correction");
  c.momentum_warmup_start = d.get_double("optim.momentum_warmup_start");
  c.momentum_warmup_steps = long(d.get_int("optim.momentum_warmup_steps"));
  const bool token_data = c.dataset == "shakespeare" || c.dataset == "tokens";
  if (c.eval_tokens > 0) {
    const size_t per_batch = c.eval_batch_size * c.seq_len;
    LIP_REQUIRE(token_data && c.eval_tokens % per_batch == 0,
                deck_name(d) << ": data.eval_tokens " << c.eval_tokens << " must be a multiple of data.eval_batch_size x "
                             << "model.seq_len = " << per_batch << " (token datasets only)");
    c.eval_batches = c.eval_tokens / per_batch;
  }
  LIP_REQUIRE(c.model_kind != "gpt" || token_data,
              deck_name(d) << ": model.kind gpt needs a token dataset (data.dataset shakespeare or tokens), got " << c.dataset);
  LIP_REQUIRE(c.model_kind != "mlp" || !token_data, deck_name(d) << ": data.dataset " << c.dataset << " needs model.kind gpt");
  auto& k = c.constraint;
  k.method = d.get_string("constraint.method");
  k.w_max = d.get_double("constraint.w_max");
  k.spectral_wd = d.get_double("constraint.spectral_wd");
  k.power_iterations = int(d.get_int("constraint.power_iterations"));
  k.sensitive_all = d.get_bool("constraint.sensitive_all");
  k.divide_update_by_fan_scale = d.get_bool("constraint.divide_update_by_fan_scale");
  k.update_norm_factor = d.get_double("constraint.update_norm_factor");
  k.clip_min = d.get_double("constraint.clip_min");
  k.head_w_max = d.get_double("constraint.head_w_max");
  k.qk_w_max = d.get_double("constraint.qk_w_max");
  LIP_REQUIRE(!c.unembed || c.model_kind == "gpt", deck_name(d) << ": model.unembed true needs model.kind gpt");
  LIP_REQUIRE(!c.unembed || k.head_w_max == 0,
              deck_name(d) << ": constraint.head_w_max " << k.head_w_max << " has no effect with model.unembed true "
                           << "(the unembedding's rows are capped at RMS 1 instead); remove one of the two keys");
  k.clipped_wd_lambda = d.get_double("constraint.clipped_wd_lambda");
  c.target_bound = d.get_double("certify.target_bound");
  if (c.target_bound > 0) {
    const std::string problem = target_bound_method_problem(parse_projection_method(k.method), k.sensitive_all);
    LIP_REQUIRE(problem.empty(), deck_name(d) << ": " << problem);
    LIP_REQUIRE(!d.is_set_explicitly("constraint.w_max"),
                deck_name(d) << ": constraint.w_max " << k.w_max << " is solved from certify.target_bound "
                             << c.target_bound << "; remove one of the two keys");
    LIP_REQUIRE(c.model_kind != "gpt" || c.embedding_cap == "project",
                deck_name(d) << ": certify.target_bound needs model.embedding_cap project (with lookup the table's "
                             << "columns are capped only when looked up, so its measured norm has no cap)");
  }
  c.checkpoint_every = long(d.get_int("checkpoint.every"));
  c.checkpoint_keep = int(d.get_int("checkpoint.keep"));
  c.norm_method = d.get_string("metrics.norm_method");
  c.norm_power_iterations = int(d.get_int("metrics.power_iterations"));
  c.bound_table = d.get_bool("metrics.bound_table");
  c.resolved_deck = d.resolved_text();
  return c;
}

}  // namespace lip
