#include "model/factory.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace lip {

GptConfig make_gpt_config(const RunConfig& c, size_t vocab, std::vector<size_t> batch_sizes) {
  GptConfig g;
  g.vocab_size = vocab;
  g.seq_len = c.seq_len;
  g.width = c.width;
  g.mlp_hidden = c.mlp_hidden;
  g.num_heads = c.heads;
  g.num_blocks = c.depth;
  g.softmax_scale = c.softmax_scale;
  g.residual_scale = c.residual_scale;
  g.final_scale = c.final_scale;
  g.blocks_mass = c.blocks_mass;
  g.mul = parse_mul_sensitivity(c.mul_sensitivity);
  g.gelu = c.gelu == "erf" ? kernels::GeluForm::erf : kernels::GeluForm::tanh;
  g.rope = c.rope == "reference"  ? kernels::RopeVariant::reference
           : c.rope == "nanogpt" ? kernels::RopeVariant::nanogpt
                                 : kernels::RopeVariant::textbook;
  g.rope_base = c.rope_base;
  g.norm = parse_norm_kind(c.norm);
  g.zero_init = c.zero_init;
  g.unembed = c.unembed;
  g.embedding_backward = c.embedding_backward == "atomic" ? kernels::EmbeddingBackwardMode::atomic
                                                          : kernels::EmbeddingBackwardMode::deterministic;
  g.bound_formula = c.bound_formula == "reference_code" ? BoundFormula::reference_code : BoundFormula::paper;
  g.head_rows = c.head_rows;
  g.unit_target_norms = c.target_norms == "unit";
  g.embedding_cap = parse_embedding_cap(c.embedding_cap);
  g.attention_kernel = parse_attention_kernel(c.attention_kernel);
  g.batch_sizes = std::move(batch_sizes);
  return g;
}

MlpConfig make_mlp_config(const RunConfig& c, size_t input_dim, size_t output_dim, size_t max_rows) {
  MlpConfig m;
  m.input_dim = input_dim;
  m.output_dim = output_dim;
  m.width = c.width;
  m.num_layers = c.depth;
  m.final_scale = c.final_scale;
  m.zero_init_layer = c.zero_init_layer;
  m.max_batch = max_rows;
  return m;
}

std::unique_ptr<Model> make_model(const RunConfig& c, size_t input_features, size_t num_classes,
                                  const std::vector<size_t>& forward_rows, bool report) {
  if (c.model_kind == "gpt") {
    const auto g = make_gpt_config(c, num_classes, forward_rows);
    const auto memory = estimate_gpt_memory(g);
    if (report) std::printf("memory: %s\n", memory.describe().c_str());
    require_memory(memory.total_bytes, "this deck");
    return std::make_unique<Gpt>(g);
  }
  return std::make_unique<Mlp>(make_mlp_config(c, input_features, num_classes,
                                               *std::max_element(forward_rows.begin(), forward_rows.end())));
}

MemoryEstimate estimate_gpt_memory(const GptConfig& g) {
  const double R = sizeof(kernels::Real);
  const double C = double(g.width), H = double(g.mlp_hidden), T = double(g.seq_len), L = g.num_blocks;
  const double V = double(g.head_rows > 0 ? g.head_rows : g.vocab_size), NH = g.num_heads;
  const double B = double(*std::max_element(g.batch_sizes.begin(), g.batch_sizes.end()));
  MemoryEstimate m;
  m.parameters = gpt_parameter_count(g);
  // parameters + gradients + optimizer slabs (first moment, second moment, direction, Nesterov blend)
  m.bytes_per_parameter = 6 * R;
  const double normed = g.norm == NormKind::none ? 0 : 2;
  // per token: per block h_in, q, k, v, attn, h_att (+ z1, z2) and m_pre, m_act; then the backward's
  // shared gradient buffers, the final stream and the logits/probabilities/logit gradients
  m.activation_bytes_per_token =
      R * (L * ((6 + normed) * C + 2 * H) + 10 * C + 2 * H + C + 3 * V);
  const double Tq = std::min(T, 128.0);
  std::vector<size_t> distinct(g.batch_sizes);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  double ws = 0;
  const bool fused = g.attention_kernel == AttentionKernel::fused;
  // one workspace per batch size: blocked, the gathered heads and two (Tq, T) blocks per head;
  // fused, only D (B, NH, T) (its tiles live in team scratch)
  for (size_t b : distinct) ws += R * double(b) * (fused ? NH * T : 7 * T * C + 2 * NH * Tq * T);
  // the per-block cache of the forward: probabilities (B, NH, T, T) or log-sum-exps (B, NH, T)
  m.attention_bytes = R * L * B * NH * T * (fused ? 1 : T) + ws;
  m.total_bytes = m.bytes_per_parameter * double(m.parameters) + m.activation_bytes_per_token * B * T + m.attention_bytes;
  return m;
}

std::string MemoryEstimate::describe() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%zu parameters x %.0f B (params, grads, 4 optimizer slabs) = %.2f GiB; activations %.1f KiB/token; "
                "attention %.2f GiB; total %.2f GiB per rank",
                parameters, bytes_per_parameter, bytes_per_parameter * double(parameters) / 1073741824.0,
                activation_bytes_per_token / 1024.0, attention_bytes / 1073741824.0, total_bytes / 1073741824.0);
  return buf;
}

void require_memory(double needed_bytes, const std::string& what) {
  if (!Kokkos::SpaceAccessibility<Kokkos::HostSpace, kernels::MemSpace>::accessible) return;  // device: not checked
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kib = 0;
  while (meminfo >> key) {
    if (key == "MemAvailable:") {
      meminfo >> kib;
      break;
    }
    meminfo.ignore(256, '\n');
  }
  if (kib <= 0) return;  // not Linux: nothing to compare with
  const double available = kib * 1024.0;
  LIP_REQUIRE(needed_bytes <= available,
              what << " needs an estimated " << needed_bytes / 1073741824.0 << " GiB per rank, but only "
                   << available / 1073741824.0
                   << " GiB are available; reduce data.batch_size or model.seq_len, or run on more ranks");
}

}  // namespace lip
