// lip_generate: sample text from a trained character-level transformer checkpoint.
//   lip_generate CHECKPOINT [--prompt TEXT] [--length N] [--temperature T] [--top-k K] [--seed S]
// CHECKPOINT is a checkpoint file or a run directory (its `latest` checkpoint is used). The model
// is rebuilt from the deck stored in the checkpoint; the vocabulary comes from the dataset that
// deck names (data.file, searched like lip_driver does).
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/kokkos_args.hpp"
#include "io/checkpoint.hpp"
#include "io/data_paths.hpp"
#include "io/image_dataset.hpp"
#include "io/run_config.hpp"
#include "kernels/rng.hpp"
#include "model/factory.hpp"
#include "train/trained_run.hpp"

namespace {

// Sample an index from softmax(logits / temperature) restricted to the top_k largest logits.
int sample(const std::vector<double>& logits, double temperature, int top_k, double u) {
  std::vector<int> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  const size_t k = top_k > 0 ? std::min(order.size(), size_t(top_k)) : order.size();
  std::partial_sort(order.begin(), order.begin() + long(k), order.end(),
                    [&](int a, int b) { return logits[size_t(a)] > logits[size_t(b)]; });
  if (temperature <= 0) return order[0];  // greedy
  std::vector<double> p(k);
  double sum = 0;
  for (size_t i = 0; i < k; ++i) sum += p[i] = std::exp((logits[size_t(order[i])] - logits[size_t(order[0])]) / temperature);
  double acc = 0;
  for (size_t i = 0; i < k; ++i) {
    acc += p[i] / sum;
    if (u < acc) return order[i];
  }
  return order[k - 1];
}

int run(int argc, char** argv) {
  CLI::App app{"lip_generate: sample text from a character-level transformer checkpoint"};
  std::string given, prompt = "O Transformio, my friend of infinite depth! Lipschitz continuity is desirable because ";
  int length = 200, top_k = 0;
  double temperature = 0.8;
  uint64_t seed = 0;
  std::string data_dir;
  app.add_option("checkpoint", given, "checkpoint file or run directory")->required();
  app.add_option("--prompt", prompt, "prompt text (characters must be in the vocabulary)");
  app.add_option("--length", length, "number of characters to generate")->check(CLI::PositiveNumber);
  app.add_option("--temperature", temperature, "softmax temperature (0: greedy)")->check(CLI::NonNegativeNumber);
  app.add_option("--top-k", top_k, "sample among the k most likely characters (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--seed", seed, "sampling seed");
  app.add_option("--data-dir", data_dir, "directory searched first for the deck's data.file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  const lip::TrainedRun run = lip::open_trained_run(given);
  const std::string& path = run.checkpoint;
  const lip::RunConfig& config = run.config;
  LIP_REQUIRE(config.model_kind == "gpt" && config.dataset == "shakespeare",
              path << " holds a " << config.model_kind << " on " << config.dataset
                   << "; lip_generate samples character-level transformers");
  const auto data = lip::io::load_char_tokens(lip::io::resolve_data_file(config.data_file, data_dir), "val");
  const std::string& vocab = data.vocabulary;
  std::vector<int> ids;
  for (char ch : prompt) {
    const auto pos = vocab.find(ch);
    LIP_REQUIRE(pos != std::string::npos, "prompt character '" << ch << "' is not in the model's vocabulary");
    ids.push_back(int(pos));
  }
  LIP_REQUIRE(!ids.empty(), "the prompt must not be empty");
  lip::Gpt model(lip::make_gpt_config(config, vocab.size(), {1}));
  lip::io::read_checkpoint_parameters(path, model.params());
  const size_t T = config.seq_len;
  lip::Batch batch;
  batch.size = 1;
  batch.tokens = lip::kernels::IndexTensor2("generate::tokens", 1, T);
  batch.targets = lip::kernels::IndexTensor1("generate::targets", T);
  auto tokens_host = Kokkos::create_mirror_view(batch.tokens);
  std::printf("%s", prompt.c_str());
  for (int n = 0; n < length; ++n) {
    // The last T characters, left-aligned; causal attention makes the padding after them irrelevant.
    const size_t used = std::min(ids.size(), T);
    for (size_t t = 0; t < T; ++t) tokens_host(0, t) = t < used ? ids[ids.size() - used + t] : 0;
    Kokkos::deep_copy(batch.tokens, tokens_host);
    model.forward(batch);
    auto logits = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), model.logits());
    std::vector<double> row(vocab.size());
    for (size_t v = 0; v < vocab.size(); ++v) row[v] = logits(used - 1, v);
    const int next = sample(row, temperature, top_k, lip::kernels::uniform_draw(seed, 0, uint64_t(n)));
    ids.push_back(next);
    std::printf("%c", vocab[size_t(next)]);
    std::fflush(stdout);
  }
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rc = 0;
  {
    lip::KokkosArgs args(argc, argv, lip::KokkosWarnings::silenced);  // stdout is the text
    Kokkos::ScopeGuard kokkos(args.kokkos_argc(), args.kokkos_argv());
    auto program_args = args.program_args();
    try {
      rc = run(int(program_args.size()), program_args.data());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "lip_generate: error: %s\n", e.what());
      rc = 1;
    }
  }
  MPI_Finalize();
  return rc;
}
