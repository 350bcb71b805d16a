#pragma once
// The tiny transformer of the unit tests (the shapes of the regression files' tiny model).
#include "model/gpt_config.hpp"

namespace lip::test {

//! A transformer of 2 heads and batches of 2 sequences at the given sizes.
inline GptConfig small_gpt_config(size_t vocab, size_t seq_len, size_t width, size_t mlp_hidden, int num_blocks) {
  GptConfig c;
  c.vocab_size = vocab;
  c.seq_len = seq_len;
  c.width = width;
  c.mlp_hidden = mlp_hidden;
  c.num_heads = 2;
  c.num_blocks = num_blocks;
  c.batch_sizes = {2};
  return c;
}

inline GptConfig tiny_gpt_config(int num_blocks = 2) { return small_gpt_config(11, 8, 16, 64, num_blocks); }

}  // namespace lip::test
