#include "model/gpt_layout.hpp"

#include "core/error.hpp"

namespace lip {

namespace {
size_t extent(BlockDim d, const GptConfig& c) { return d == BlockDim::width ? c.width : c.mlp_hidden; }
}  // namespace

std::vector<ParamInfo> gpt_layout(const GptConfig& c) {
  LIP_REQUIRE(c.num_heads > 0 && c.width % size_t(c.num_heads) == 0,
              "model.width " << c.width << " must be divisible by model.heads " << c.num_heads);
  LIP_REQUIRE(c.head_size() % 2 == 0, "head size " << c.head_size() << " must be even for rotary embeddings");
  LIP_REQUIRE(c.logit_rows() >= c.vocab_size,
              "model head rows " << c.logit_rows() << " must be >= the vocabulary " << c.vocab_size);
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
  std::vector<ParamInfo> infos;
  ParamInfo embed;
  embed.name = "embed";
  embed.kind = ParamKind::embedding;
  embed.role = ParamRole::embed;
  embed.rows = c.width;
  embed.cols = c.vocab_size;
  embed.target_norm = t.embed;
  embed.projected = c.embedding_cap == EmbeddingCap::project;
  infos.push_back(embed);
  for (int p = 0; p < c.num_blocks; ++p) {
    const std::string tracker = std::to_string(c.num_blocks - 1 - p);
    for (const GptBlockWeight& row : kGptBlock) {
      ParamInfo w;
      w.name = row.name + tracker;
      w.role = row.role;
      w.rows = extent(row.rows, c);
      w.cols = extent(row.cols, c);
      w.target_norm = t.blocks[size_t(p)].of(row.role);
      w.zero_init = row.zero_init && c.zero_init;
      infos.push_back(w);
    }
  }
  ParamInfo head;
  head.name = "out";
  head.role = ParamRole::head;
  head.kind = c.unembed ? ParamKind::unembedding : ParamKind::matrix;
  head.rows = c.logit_rows();
  head.cols = c.width;
  head.target_norm = t.head;
  head.zero_init = c.zero_init;
  infos.push_back(head);
  return infos;
}

size_t gpt_parameter_count(const GptConfig& config) {
  size_t n = 0;
  for (const auto& info : gpt_layout(config)) n += info.count();
  return n;
}

GptBlockNorms gpt_block_norms(const std::vector<double>& norms, size_t block) {
  GptBlockNorms b{};
  for (const GptBlockWeight& row : kGptBlock) b.of(row.role) = norms.at(gpt_param_index(block, row.role));
  return b;
}

}  // namespace lip
