#include "model/gpt_config.hpp"

#include "core/error.hpp"

namespace lip {

NormKind parse_norm_kind(const std::string& name) {
  if (name == "none") return NormKind::none;
  if (name == "rmsnorm") return NormKind::rmsnorm;
  if (name == "layernorm") return NormKind::layernorm;
  LIP_FAIL("model.norm must be none, rmsnorm or layernorm, got '" << name << "'");
}

EmbeddingCap parse_embedding_cap(const std::string& name) {
  if (name == "project") return EmbeddingCap::project;
  if (name == "lookup") return EmbeddingCap::lookup;
  LIP_FAIL("model.embedding_cap must be project or lookup, got '" << name << "'");
}

AttentionKernel parse_attention_kernel(const std::string& name) {
  if (name == "blocked") return AttentionKernel::blocked;
  if (name == "fused") return AttentionKernel::fused;
  LIP_FAIL("model.attention_kernel must be blocked or fused, got '" << name << "'");
}

}  // namespace lip
