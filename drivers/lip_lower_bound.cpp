// lip_lower_bound: empirical lower bounds of a trained model's Lipschitz constant next to its
// certified upper bound (src/robustness/lipschitz_estimate.hpp).
//   lip_lower_bound RUN_DIR_OR_CHECKPOINT [--examples N] [--iterations K] [--pairs P] [--steps S]
//                   [--seed S] [--data-dir D] [--csv FILE]
// MLP: inputs are test images, norms RMS → RMS. Transformer: inputs are the embedding outputs of
// validation windows, norms ∞RMS → ∞RMS, upper bound of that map = certified bound / embedding
// norm on per-position RMS ≤ embedding norm (src/robustness/logit_maps.hpp). Prints the upper bound,
// both lower bounds and upper/lower, and writes (or appends) one CSV row.
#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/comm.hpp"
#include "core/error.hpp"
#include "core/mpi_program.hpp"
#include "io/checkpoint.hpp"
#include "model/factory.hpp"
#include "robustness/lipschitz_estimate.hpp"
#include "robustness/logit_maps.hpp"
#include "train/data_source.hpp"
#include "train/trained_run.hpp"

namespace {

namespace k = lip::kernels;

struct Row {
  std::string model, checkpoint;
  long step = 0;
  double log10_upper = 0, jacobian = 0, pairs = 0;
};

void write_csv(const std::string& path, const Row& r, int examples, int iterations, int pairs, int steps) {
  const bool fresh = !std::filesystem::exists(path) || std::filesystem::file_size(path) == 0;
  std::ofstream out(path, std::ios::app);
  LIP_REQUIRE(out, "cannot open " << path << " for writing");
  const double lower = std::max(r.jacobian, r.pairs);
  if (fresh)
    out << "model,checkpoint,step,examples,iterations,pairs,steps,log10_upper,upper,jacobian_lower,pair_lower,"
           "lower,upper_over_lower\n";
  char line[512];
  std::snprintf(line, sizeof line, "%s,%s,%ld,%d,%d,%d,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n", r.model.c_str(),
                r.checkpoint.c_str(), r.step, examples, iterations, pairs, steps, r.log10_upper,
                std::pow(10.0, r.log10_upper), r.jacobian, r.pairs, lower,
                lower > 0 ? std::pow(10.0, r.log10_upper) / lower : INFINITY);
  out << line;
}

int run(int argc, char** argv, lip::Comm& comm) {
  CLI::App app{"lip_lower_bound: empirical Lipschitz lower bounds next to the certified upper bound"};
  std::string given, data_dir, csv;
  int examples = 0, iterations = 20, pairs = 0, steps = 20;
  uint64_t seed = 0;
  app.add_option("run", given, "checkpoint file or run directory")->required();
  app.add_option("--examples", examples, "test inputs for the Jacobian estimate (default: MLP 256, transformer 8)")
      ->check(CLI::PositiveNumber);
  app.add_option("--iterations", iterations, "power iterations")->check(CLI::NonNegativeNumber);
  app.add_option("--pairs", pairs, "pairs for the ascent estimate (default: as --examples)")
      ->check(CLI::PositiveNumber);
  app.add_option("--steps", steps, "ascent steps per pair")->check(CLI::NonNegativeNumber);
  app.add_option("--seed", seed, "seed of the random directions and perturbations");
  app.add_option("--data-dir", data_dir, "directory searched first for the deck's data.file");
  app.add_option("--csv", csv, "append one result row to this CSV file (header when new)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return comm.is_root() ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
  }
  LIP_REQUIRE(comm.size() == 1, "lip_lower_bound runs on one rank; got " << comm.size());
  const lip::TrainedRun trained = lip::open_trained_run(given);
  lip::RunConfig config = trained.config;
  const bool gpt = config.model_kind == "gpt";
  if (examples == 0) examples = gpt ? 8 : 256;
  if (pairs == 0) pairs = examples;
  const size_t N = size_t(examples), P = size_t(pairs), rows = std::max(N, P);
  if (!data_dir.empty()) config.data_dir = data_dir;
  config.eval_batch_size = rows;
  auto data = lip::make_data_source(config);
  lip::Batch batch = data->make_batch(rows);
  data->eval_batch(0, batch);  // the first `rows` test images / validation windows

  lip::LowerBoundOptions options;
  options.iterations = iterations;
  options.steps = steps;
  options.seed = seed;
  Row row;
  row.checkpoint = trained.checkpoint;
  row.step = trained.meta.step;
  std::unique_ptr<lip::Model> model;
  std::unique_ptr<lip::LogitMap> map;
  k::Tensor2 inputs;  // (examples·positions, features)
  std::vector<lip::PositionBlock> blocks{{}};
  if (gpt) {
    const size_t T = config.seq_len;
    auto g = std::make_unique<lip::Gpt>(lip::make_gpt_config(config, data->num_classes(), {N, 2 * P, rows}));
    lip::io::read_checkpoint_parameters(trained.checkpoint, g->params());
    g->forward(batch);  // the token lookup: x = E[:, tokens]
    inputs = k::Tensor2("lip_lower_bound::embedding_outputs", rows * T, size_t(config.width));
    Kokkos::deep_copy(inputs, k::as_matrix(g->embedding_output()));
    auto m = std::make_unique<lip::GptLogitMap>(*g);
    std::printf("transformer %s: certified bound (tokens -> logits, paper formula, exact norms) %.6g\n",
                trained.checkpoint.c_str(), std::pow(10.0, m->log10_certified_bound()));
    std::printf("map: embedding output -> logits, infRMS -> infRMS, on per-position RMS <= %.6g (the embedding norm)\n",
                m->domain_radius());
    // per-position blocks: the last position's input (which reaches only its own output) and the first's
    blocks.push_back({int(T) - 1, int(T) - 1});
    blocks.push_back({0, -1});
    row.model = "gpt";
    map = std::move(m);
    model = std::move(g);
  } else {
    auto mlp = std::make_unique<lip::Mlp>(
        lip::make_mlp_config(config, data->input_features(), data->num_classes(), std::max(N, 2 * P)));
    lip::io::read_checkpoint_parameters(trained.checkpoint, mlp->params());
    inputs = k::Tensor2("lip_lower_bound::test_inputs", rows, data->input_features());
    Kokkos::deep_copy(inputs, k::MatrixView(batch.inputs.data(), rows, data->input_features()));
    map = std::make_unique<lip::MlpLogitMap>(*mlp);
    std::printf("MLP %s: input features -> logits, RMS -> RMS\n", trained.checkpoint.c_str());
    row.model = "mlp";
    model = std::move(mlp);
  }
  row.model += ":" + config.dataset;
  row.log10_upper = map->log10_upper_bound();
  const size_t positions = map->positions(), features = map->input_features();
  const k::MatrixView jac_x(inputs.data(), N * positions, features), pair_x(inputs.data(), P * positions, features);

  for (const auto& block : blocks) {
    const lip::LowerBound b = lip::jacobian_lower_bound(*map, jac_x, options, block);
    std::printf("jacobian lower bound, block %-12s %.6g (example %zu, %d power iterations)\n", block.name().c_str(),
                b.value, b.example, iterations);
    row.jacobian = std::max(row.jacobian, b.value);
  }
  const lip::LowerBound pair = lip::pair_lower_bound(*map, pair_x, options);
  std::printf("pair lower bound                    %.6g (example %zu, %d ascent steps)\n", pair.value, pair.example,
              steps);
  row.pairs = pair.value;
  const double upper = std::pow(10.0, row.log10_upper), lower = std::max(row.jacobian, row.pairs);
  std::printf("upper %.6g | jacobian lower %.6g | pair lower %.6g | upper/lower %.4g\n", upper, row.jacobian, row.pairs,
              upper / lower);
  LIP_REQUIRE(lower <= upper * (1 + 1e-4), "a lower bound " << lower << " exceeds the certified upper bound " << upper
                                                            << ": the certificate or the model is wrong");
  if (!csv.empty()) write_csv(csv, row, examples, iterations, pairs, steps);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return lip::run_mpi_program(argc, argv, run); }
