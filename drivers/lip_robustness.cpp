// lip_robustness RUN: attack and certify a trained MLP (docs/ROBUSTNESS.md).
//   lip_robustness RUN_DIR|CHECKPOINT [--examples N] [--norms l2,linf] [--attacks fgsm,pgd] [--eps-l2 LIST]
//                  [--eps-linf LIST] [--steps S] [--restarts R] [--loss ce|margin] [--soundness] [--out DIR]
// The model is rebuilt from the deck stored in the checkpoint and evaluated on the first N test
// images of the deck's dataset. Writes, into --out (default <run>/robustness):
//   certified.csv   per example: label, prediction, logit margin, certified ℓ2 and ℓ∞ radii
//   robustness.csv  per (norm, attack, ε): accuracy and mean worst correct-class probability under
//                   attack, and certified accuracy at the same ε
//   soundness.csv   (--soundness) per certified example: PGD at its own certified radius, broken or not
//   summary.json    the checkpoint, the certified bound and every setting
// Every file is written atomically at the end: an error leaves no partial output.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/mpi_program.hpp"
#include "io/atomic_file.hpp"
#include "io/checkpoint.hpp"
#include "io/data_paths.hpp"
#include "io/image_dataset.hpp"
#include "model/exact_norms.hpp"
#include "model/factory.hpp"
#include "robustness/attack.hpp"
#include "robustness/certify.hpp"
#include "train/metrics.hpp"
#include "train/trained_run.hpp"

namespace {

namespace k = lip::kernels;

std::vector<double> parse_list(const std::string& text, const std::string& option) {
  std::vector<double> values;
  std::string item;
  std::stringstream in(text);
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    LIP_REQUIRE(used == item.size() && std::isfinite(v) && v >= 0,
                option << ": '" << item << "' is not a non-negative number (expected a comma-separated list)");
    values.push_back(v);
  }
  LIP_REQUIRE(!values.empty(), option << " is empty; expected a comma-separated list of radii");
  return values;
}

std::vector<std::string> parse_names(const std::string& text, const std::vector<std::string>& allowed,
                                     const std::string& option) {
  std::vector<std::string> names;
  std::string item;
  std::stringstream in(text);
  while (std::getline(in, item, ',')) {
    LIP_REQUIRE(std::find(allowed.begin(), allowed.end(), item) != allowed.end(),
                option << ": '" << item << "' is not one of " << fmt::format("{}", fmt::join(allowed, ", ")));
    names.push_back(item);
  }
  LIP_REQUIRE(!names.empty(), option << " is empty");
  return names;
}

std::string default_out_dir(const lip::TrainedRun& run, const std::string& given) {
  namespace fs = std::filesystem;
  const fs::path base = fs::is_directory(given) ? fs::path(given) : fs::path(run.checkpoint).parent_path();
  return (base / "robustness").string();
}

struct Options {
  std::string run, out, data_dir;
  size_t examples = 2000, chunk = 500;
  std::string norms = "l2,linf", attacks = "fgsm,pgd", loss = "ce";
  std::string eps_l2 = "0,0.25,0.5,0.75,1,1.5,2,3";
  std::string eps_linf = "0,0.00392156862745098,0.00784313725490196,0.0156862745098039,0.0313725490196078,"
                         "0.0627450980392157,0.125490196078431";  // k/255, k = 0, 1, 2, 4, 8, 16, 32
  int steps = 50, restarts = 1, soundness_steps = 100, soundness_restarts = 10;
  double step_fraction = 0, bound_scale = 1, soundness_shrink = 1e-3;
  uint64_t seed = 0;
  bool soundness = false;
};

int run(int argc, char** argv, lip::Comm& comm) {
  CLI::App app{"lip_robustness: attack and certify a trained MLP"};
  Options o;
  app.add_option("run", o.run, "run directory (its `latest` checkpoint) or checkpoint file")->required();
  app.add_option("--examples", o.examples, "first N test images (capped at the test split's size)")
      ->check(CLI::PositiveNumber);
  app.add_option("--norms", o.norms, "threat norms: l2, linf or both");
  app.add_option("--attacks", o.attacks, "fgsm (FGSM/FGM), pgd, or both");
  app.add_option("--eps-l2", o.eps_l2, "ℓ2 radii, comma-separated");
  app.add_option("--eps-linf", o.eps_linf, "ℓ∞ radii, comma-separated (default k/255)");
  app.add_option("--steps", o.steps, "PGD steps")->check(CLI::PositiveNumber);
  app.add_option("--restarts", o.restarts, "PGD random restarts")->check(CLI::PositiveNumber);
  app.add_option("--step-fraction", o.step_fraction, "PGD step as a fraction of ε (0: 2.5/steps)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--loss", o.loss, "PGD objective: ce (cross-entropy), margin (best wrong logit − true logit) or targeted (restart r "
                 "targets class (y + 1 + r) mod K; K − 1 restarts try every class)");
  app.add_option("--seed", o.seed, "seed of the random starts");
  app.add_option("--chunk", o.chunk, "examples per forward pass")->check(CLI::PositiveNumber);
  app.add_flag("--soundness", o.soundness,
               "also run PGD on every certified example at its own certified radius and count violations");
  app.add_option("--soundness-steps", o.soundness_steps, "PGD steps of the soundness check")->check(CLI::PositiveNumber);
  app.add_option("--soundness-restarts", o.soundness_restarts, "PGD restarts of the soundness check")
      ->check(CLI::PositiveNumber);
  app.add_option("--soundness-shrink", o.soundness_shrink,
                 "attack at radius·(1 − shrink): strictly inside the certified ball, clear of float rounding")
      ->check(CLI::Range(0.0, 0.5));
  app.add_option("--bound-scale", o.bound_scale,
                 "multiply the certified bound by this factor (< 1 makes a deliberately wrong certificate: a "
                 "negative control that the soundness check must catch)")
      ->check(CLI::PositiveNumber);
  app.add_option("--out", o.out, "output directory (default <run>/robustness)");
  app.add_option("--data-dir", o.data_dir, "directory searched first for the deck's data.file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  LIP_REQUIRE(comm.size() == 1, "lip_robustness runs on one rank; start it without mpirun (or with -n 1)");
  const auto norms = parse_names(o.norms, {"l2", "linf"}, "--norms");
  const auto attacks = parse_names(o.attacks, {"fgsm", "pgd"}, "--attacks");
  const auto loss = lip::parse_attack_loss(o.loss);
  const std::map<std::string, std::vector<double>> grids = {{"l2", parse_list(o.eps_l2, "--eps-l2")},
                                                            {"linf", parse_list(o.eps_linf, "--eps-linf")}};

  const lip::TrainedRun trained = lip::open_trained_run(o.run);
  const lip::RunConfig& config = trained.config;
  LIP_REQUIRE(config.model_kind == "mlp", trained.checkpoint << " holds a " << config.model_kind
                                                             << "; lip_robustness attacks image-classification MLPs");
  const std::string out_dir = o.out.empty() ? default_out_dir(trained, o.run) : o.out;
  const std::string data_path =
      lip::io::resolve_data_file(config.data_file, o.data_dir.empty() ? config.data_dir : o.data_dir);
  const auto test = lip::io::load_image_dataset(data_path, "test");
  const size_t N = std::min(o.examples, test.count);
  const size_t F = test.features(), K = test.num_classes;

  lip::Mlp model(lip::make_mlp_config(config, F, K, std::min(o.chunk, N)));
  lip::io::read_checkpoint_parameters(trained.checkpoint, model.params());
  lip::LipschitzBound bound = model.certified_bound(lip::exact_norms(model.params()));
  const double certified_bound = bound.value() * o.bound_scale;
  std::printf("lip_robustness: %s (step %ld), %s\n", trained.checkpoint.c_str(), trained.meta.step,
              config.model_kind.c_str());
  std::printf("certified bound (RMS→RMS, exact singular values) %s%s; %zu test images of %s\n",
              bound.to_string().c_str(),
              o.bound_scale != 1 ? fmt::format(" × {} (--bound-scale) = {:.6g}", o.bound_scale, certified_bound).c_str()
                                 : "",
              N, data_path.c_str());

  // All N test images at once on the device; the attacker works through them in chunks.
  k::Tensor2 x0("robustness::x0", N, F);
  k::IndexTensor1 y("robustness::y", N);
  lip::io::ImageBatcher(test, N, 0, false).batch_at(0, x0, y);

  // Clean logits → margins → certified radii.
  std::vector<double> logits;
  std::vector<int> labels(N);
  {
    lip::Batch batch;
    batch.inputs = k::Tensor2("robustness::clean_x", std::min(o.chunk, N), F);
    batch.targets = k::IndexTensor1("robustness::clean_y", std::min(o.chunk, N));
    for (size_t first = 0; first < N; first += o.chunk) {
      const size_t rows = std::min(o.chunk, N - first);
      const std::pair<size_t, size_t> chunk(first, first + rows), head(0, rows);
      Kokkos::deep_copy(Kokkos::subview(batch.inputs, head, Kokkos::ALL), Kokkos::subview(x0, chunk, Kokkos::ALL));
      Kokkos::deep_copy(Kokkos::subview(batch.targets, head), Kokkos::subview(y, chunk));
      batch.size = rows;
      model.forward(batch);
      auto z = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), model.logits());
      logits.insert(logits.end(), z.data(), z.data() + z.span());
    }
    auto y_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y);
    for (size_t n = 0; n < N; ++n) labels[n] = y_host(n);
  }
  const auto certified = lip::certify_examples(logits, labels, F, certified_bound);
  size_t clean_correct = 0;
  std::string certified_csv = "index,label,prediction,margin,radius_l2,radius_linf\n";
  for (size_t n = 0; n < N; ++n) {
    const auto& e = certified[n];
    clean_correct += e.prediction == e.label;
    certified_csv += fmt::format("{},{},{},{:.9g},{:.9g},{:.9g}\n", n, e.label, e.prediction, e.margin, e.radius_l2,
                                 e.radius_linf);
  }
  std::printf("clean accuracy %.4f on %zu images\n", double(clean_correct) / double(N), N);

  lip::Attacker attacker(model);
  k::Tensor1 eps("robustness::eps", N);
  auto eps_host = Kokkos::create_mirror_view(eps);
  auto settings_for = [&](const std::string& norm_name, const std::string& attack) {
    const auto norm = lip::parse_threat_norm(norm_name);
    lip::AttackSettings s = attack == "fgsm" ? lip::AttackSettings::fgsm(norm) : lip::AttackSettings{};
    s.norm = norm;
    s.loss = loss;
    s.seed = o.seed;
    if (attack == "pgd") {
      s.steps = o.steps;
      s.restarts = o.restarts;
      s.step_fraction = o.step_fraction;
    }
    return s;
  };

  std::string robustness_csv = "norm,attack,eps,examples,accuracy,mean_correct_prob,certified_accuracy\n";
  size_t total = 0, done = 0;
  for (const auto& norm : norms) total += attacks.size() * grids.at(norm).size();
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  for (const auto& norm : norms) {
    for (const auto& attack : attacks) {
      const auto settings = settings_for(norm, attack);
      for (double e : grids.at(norm)) {
        Kokkos::deep_copy(eps, k::Real(e));
        const auto outcome = attacker.run(x0, y, eps, settings);
        double robust = 0, prob = 0;
        for (size_t n = 0; n < N; ++n) {
          robust += outcome.broken[n] ? 0 : 1;
          prob += outcome.worst_prob[n];
        }
        const double cert = lip::certified_accuracy(certified, settings.norm, e);
        robustness_csv += fmt::format("{},{},{:.9g},{},{:.6f},{:.6f},{:.6f}\n", norm, attack, e, N, robust / N,
                                      prob / N, cert);
        ++done;
        const double t = elapsed();
        std::printf("[%zu/%zu] %-4s %-4s eps %-9.5g accuracy %.4f  correct-class prob %.4f  certified %.4f  "
                    "(%s, ETA %s)\n",
                    done, total, norm.c_str(), attack.c_str(), e, robust / N, prob / N, cert,
                    lip::format_duration(t).c_str(), lip::format_duration(t / done * (total - done)).c_str());
        std::fflush(stdout);
      }
    }
  }

  nlohmann::json soundness_summary;
  std::string soundness_csv;
  if (o.soundness) {
    soundness_csv = "norm,index,radius,attack_radius,broken\n";
    for (const auto& norm : norms) {
      lip::AttackSettings s = settings_for(norm, "pgd");
      s.steps = o.soundness_steps;
      s.restarts = o.soundness_restarts;
      // Examples without a certificate get radius 0: the attack then only re-checks the clean point.
      for (size_t n = 0; n < N; ++n) eps_host(n) = k::Real(certified[n].radius(s.norm) * (1 - o.soundness_shrink));
      Kokkos::deep_copy(eps, eps_host);
      const auto outcome = attacker.run(x0, y, eps, s);
      size_t checked = 0, violations = 0;
      for (size_t n = 0; n < N; ++n) {
        const double r = certified[n].radius(s.norm);
        if (r <= 0) continue;
        ++checked;
        violations += outcome.broken[n];
        soundness_csv += fmt::format("{},{},{:.9g},{:.9g},{}\n", norm, n, r, double(eps_host(n)), outcome.broken[n]);
      }
      std::printf("soundness %-4s: PGD (%d steps, %d restarts, %s) at each certified radius x (1 - %g): %zu "
                  "violation(s) among %zu certified examples\n",
                  norm.c_str(), s.steps, s.restarts, o.loss.c_str(), o.soundness_shrink, violations, checked);
      soundness_summary[norm] = {{"certified_examples", checked}, {"violations", violations}, {"steps", s.steps},
                                 {"restarts", s.restarts}};
    }
  }

  nlohmann::json summary = {
      {"checkpoint", trained.checkpoint},
      {"step", trained.meta.step},
      {"dataset", data_path},
      {"examples", N},
      {"clean_accuracy", double(clean_correct) / double(N)},
      {"certified_bound", certified_bound},
      {"certified_bound_log10", bound.log10_bound + std::log10(o.bound_scale)},
      {"bound_scale", o.bound_scale},
      {"norms", norms},
      {"attacks", attacks},
      {"eps", grids},
      {"pgd", {{"steps", o.steps}, {"restarts", o.restarts}, {"step_fraction", settings_for("l2", "pgd").step()},
               {"loss", o.loss}, {"seed", o.seed}}},
      {"seconds", elapsed()},
  };
  if (o.soundness) summary["soundness"] = soundness_summary;
  std::filesystem::create_directories(out_dir);
  lip::io::write_file_atomically(out_dir + "/certified.csv", certified_csv);
  lip::io::write_file_atomically(out_dir + "/robustness.csv", robustness_csv);
  if (o.soundness) lip::io::write_file_atomically(out_dir + "/soundness.csv", soundness_csv);
  lip::io::write_file_atomically(out_dir + "/summary.json", summary.dump(2) + "\n");
  std::printf("wrote %s/{certified,robustness%s}.csv and summary.json\n", out_dir.c_str(), o.soundness ? ",soundness" : "");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return lip::run_mpi_program(argc, argv, run); }
