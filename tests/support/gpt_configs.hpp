#pragma once
// The tiny transformer of the unit tests (the shapes of the regression files' tiny model).
#include "model/gpt_config.hpp"

namespace lip::test {

inline GptConfig tiny_gpt_config(int num_blocks = 2) {
  GptConfig c;
  c.vocab_size = 11;
  c.seq_len = 8;
  c.width = 16;
  c.mlp_hidden = 64;
  c.num_heads = 2;
  c.num_blocks = num_blocks;
  c.batch_sizes = {2};
  return c;
}

}  // namespace lip::test
