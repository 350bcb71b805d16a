#include "train/trainer.hpp"

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "io/checkpoint.hpp"
#include "kernels/reductions.hpp"
#include "kernels/spectral.hpp"
#include "train/timer.hpp"

namespace lip {

namespace {

std::map<std::string, OptimizerGroup> optimizer_groups(const RunConfig& c) {
  OptimizerGroup g;
  g.kind = parse_optimizer_kind(c.optimizer);
  g.lr = c.lr;
  g.beta1 = c.beta1;
  g.beta2 = c.beta2;
  g.eps = c.eps;
  g.weight_decay = c.weight_decay;
  g.nesterov = c.nesterov;
  g.ns_table = c.ns_table;
  g.embed_inflation = c.embed_inflation;
  OptimizerGroup embed = g, head = g;
  if (c.embed_optimizer != "same") embed.kind = parse_optimizer_kind(c.embed_optimizer);
  if (c.embed_lr > 0) embed.lr = c.embed_lr;
  if (c.embed_beta1 >= 0) embed.beta1 = c.embed_beta1;
  if (c.embed_beta2 >= 0) embed.beta2 = c.embed_beta2;
  if (c.embed_eps > 0) embed.eps = c.embed_eps;
  if (c.head_lr > 0) head.lr = c.head_lr;
  return {{"hidden", g}, {"embed", embed}, {"head", head}};
}

ProjectionSettings projection_settings(const ConstraintConfig& k, double weight_decay) {
  ProjectionSettings s;
  s.method = parse_projection_method(k.method);
  s.w_max = k.w_max;
  s.weight_decay = weight_decay;
  s.spectral_wd = k.spectral_wd;
  s.power_iterations = k.power_iterations;
  s.sensitive_all = k.sensitive_all;
  s.divide_update_by_fan_scale = k.divide_update_by_fan_scale;
  s.update_norm_factor = k.update_norm_factor;
  s.clip_min = k.clip_min;
  s.clipped_wd_lambda = k.clipped_wd_lambda;
  return s;
}

}  // namespace

Trainer::Trainer(const RunConfig& config, Comm& comm, Model& model, DataSource& data)
    : config_(config), comm_(comm), model_(model), data_(data) {
  schedule_.kind = Schedule::parse(config.schedule);
  schedule_.total_steps = config.steps;
  optimizer_ = std::make_unique<Optimizer>(model.params(), optimizer_groups(config));
  projection_ = projection_settings(config.constraint, config.weight_decay);
  const auto& params = model.params();
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto& info = params.info(i);
    auto& ws = workspaces_[{info.rows, info.cols}];
    if (!ws) ws = std::make_unique<ProjectionWorkspace>(info.rows, info.cols);
  }
  LIP_REQUIRE(config.batch_size % size_t(comm.size()) == 0,
              "data.batch_size " << config.batch_size << " is not divisible by the " << comm.size()
                                 << " MPI ranks; the global batch is split evenly across ranks");
  LIP_REQUIRE(config.eval_batch_size % size_t(comm.size()) == 0,
              "data.eval_batch_size " << config.eval_batch_size << " is not divisible by the " << comm.size()
                                      << " MPI ranks");
  train_batch_ = data.make_batch(config.batch_size);
  eval_batch_ = data.make_batch(config.eval_batch_size);
}

Trainer::~Trainer() = default;

Batch Trainer::local_slice(const Batch& global) const {
  const size_t rows = global.size / size_t(comm_.size());
  const size_t first = rows * size_t(comm_.rank());
  Batch local;
  local.size = rows;
  if (global.inputs.data()) {
    const size_t f = global.inputs.extent(1);
    local.inputs = kernels::Tensor2(global.inputs.data() + first * f, rows, f);
  }
  if (global.tokens.data()) {
    const size_t t = global.tokens.extent(1);
    local.tokens = kernels::IndexTensor2(global.tokens.data() + first * t, rows, t);
  }
  const size_t per = global.targets.extent(0) / global.size;  // predictions per example
  local.targets = kernels::IndexTensor1(global.targets.data() + first * per, rows * per);
  return local;
}

void Trainer::open_metrics() {
  if (!comm_.is_root() || train_csv_.is_open()) return;
  std::filesystem::create_directories(config_.output_dir);
  {
    std::ofstream deck(config_.output_dir + "/deck.resolved");
    deck << config_.resolved_deck;
  }
  train_csv_ = CsvWriter(config_.output_dir + "/train.csv",
                         {"step", "loss", "accuracy", "lr", config_.model_kind == "gpt" ? "tokens_per_s" : "samples_per_s",
                          "elapsed_s"});
  std::vector<std::string> columns = {"step", "eval_loss", "eval_accuracy", "log10_bound", "bound", "max_activation"};
  for (const auto& info : model_.params().infos()) columns.push_back("norm_" + info.name);
  eval_csv_ = CsvWriter(config_.output_dir + "/eval.csv", columns);
}

double Trainer::step() {
  const auto& params = model_.params();
  Timer timer;
  data_.next_train_batch(train_batch_);
  const Batch local = local_slice(train_batch_);
  times_.seconds[0] += timer.lap();
  params.zero_grad();
  const double local_loss = model_.forward(local);
  last_accuracy_ = comm_.allreduce_sum(double(model_.correct())) / double(model_.predictions() * size_t(comm_.size()));
  times_.seconds[1] += timer.lap();
  model_.backward();
  times_.seconds[2] += timer.lap();
  const auto grads = params.grads_slab();
  comm_.allreduce_mean(kernels::VectorView(grads.data(), grads.extent(0)));
  const double loss = comm_.allreduce_sum(local_loss) / comm_.size();
  times_.seconds[3] += timer.lap();
  LIP_REQUIRE(std::isfinite(loss), "training loss became " << loss << " at step " << step_
                                                           << "; stopping (lower optim.lr or add a constraint)");
  const double factor = schedule_.factor(step_);
  optimizer_->step(params, factor, step_);
  times_.seconds[4] += timer.lap();
  project_all(factor);
  times_.seconds[5] += timer.lap();
  ++step_;
  return loss;
}

void Trainer::project_all(double schedule_factor) {
  const auto& params = model_.params();
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto& info = params.info(i);
    if (info.kind == ParamKind::embedding) {
      project_embedding(params.param(i));
      continue;
    }
    const double lr_t = optimizer_->lr(i, schedule_factor);
    // One seed per step shared by every tensor; the shape distinguishes the start vectors (§3).
    project_linear(params.param(i), projection_, lr_t, info.target_norm, config_.seed * 1000003ull + uint64_t(step_),
                   *workspaces_.at({info.rows, info.cols}));
  }
}

std::vector<double> Trainer::measure_norms() const {
  const auto& params = model_.params();
  std::vector<double> norms;
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto& info = params.info(i);
    if (info.kind == ParamKind::embedding) {
      norms.push_back(kernels::max_column_rms(params.param(i)));
    } else if (config_.norm_method == "exact") {
      // RMS→RMS = sqrt(fan_in/fan_out)·σ₁, σ₁ from a host LAPACK SVD
      norms.push_back(std::sqrt(double(info.cols) / double(info.rows)) * kernels::spectral_norm_exact(params.param(i)));
    } else {
      norms.push_back(rms_to_rms_norm(params.param(i), config_.seed + 17, *workspaces_.at({info.rows, info.cols}),
                                      config_.norm_power_iterations));
    }
  }
  return norms;
}

EvalResult Trainer::evaluate() {
  EvalResult r;
  double loss_sum = 0, correct = 0, predictions = 0;
  const size_t n = config_.eval_batches;
  for (size_t k = 0; k < n; ++k) {
    data_.eval_batch(k, eval_batch_);
    const Batch local = local_slice(eval_batch_);
    loss_sum += model_.forward(local);
    correct += double(model_.correct());
    predictions += double(model_.predictions());
    r.max_activation = std::max(r.max_activation, model_.max_activation());
  }
  // Unweighted mean of per-batch means (ALGORITHMS §8), averaged over ranks.
  r.loss = comm_.allreduce_sum(loss_sum / double(n)) / comm_.size();
  r.accuracy = comm_.allreduce_sum(correct) / comm_.allreduce_sum(predictions);
  r.max_activation = comm_.allreduce_max(r.max_activation);
  r.norms = measure_norms();
  r.bound = model_.certified_bound(r.norms);
  return r;
}

void Trainer::save_checkpoint() {
  if (!comm_.is_root()) return;
  namespace fs = std::filesystem;
  char name[64];
  std::snprintf(name, sizeof name, "checkpoint_%08ld.h5", step_);
  const std::string path = config_.output_dir + "/" + name;
  io::CheckpointMeta meta;
  meta.step = step_;
  meta.deck = config_.resolved_deck;
  meta.version = LIP_VERSION_STRING;
  io::write_checkpoint(path, model_.params(), {optimizer_->first_moment(), optimizer_->second_moment()},
                       {"optimizer_first_moment", "optimizer_second_moment"}, meta);
  {
    const std::string latest = config_.output_dir + "/latest";
    std::ofstream(latest + ".tmp") << name << "\n";
    fs::rename(latest + ".tmp", latest);
  }
  std::vector<fs::path> existing;
  for (const auto& e : fs::directory_iterator(config_.output_dir)) {
    const auto f = e.path().filename().string();
    if (f.rfind("checkpoint_", 0) == 0 && e.path().extension() == ".h5") existing.push_back(e.path());
  }
  std::sort(existing.begin(), existing.end());
  while (existing.size() > size_t(config_.checkpoint_keep)) {
    fs::remove(existing.front());
    existing.erase(existing.begin());
  }
  std::printf("checkpoint: wrote %s\n", path.c_str());
  std::fflush(stdout);
}

EvalResult Trainer::run() {
  open_metrics();
  const bool tokens = config_.model_kind == "gpt";
  const double samples_per_step = double(config_.batch_size) * (tokens ? double(config_.seq_len) : 1.0);
  const char* unit = tokens ? "tokens/s" : "samples/s";
  Timer wall;
  EvalResult last;
  auto log_eval = [&](const EvalResult& e) {
    if (!comm_.is_root()) return;
    std::vector<double> row = {double(step_), e.loss, e.accuracy, e.bound.log10_bound, e.bound.value(), e.max_activation};
    row.insert(row.end(), e.norms.begin(), e.norms.end());
    eval_csv_.write(row);
    std::printf("eval  step %6ld | val loss %.4f | val acc %.4f | certified bound %s | max activation %.4g\n", step_,
                e.loss, e.accuracy, e.bound.to_string().c_str(), e.max_activation);
    std::fflush(stdout);
  };
  double window_start = wall.elapsed();
  long window_steps = 0;
  while (step_ < config_.steps) {
    const double lr_now = config_.lr * schedule_.factor(step_);  // the hidden group's lr
    const double loss = step();
    ++window_steps;
    if (comm_.is_root() && (step_ % config_.log_every == 0 || step_ == config_.steps)) {
      const double now = wall.elapsed();
      const double rate = window_steps * samples_per_step / std::max(1e-9, now - window_start);
      const double eta = (config_.steps - step_) * samples_per_step / std::max(rate, 1e-9);
      train_csv_.write({double(step_), loss, last_accuracy_, lr_now, rate, now});
      if (config_.progress) {
        std::printf("step %6ld/%ld | loss %.4f | acc %.4f | lr %.3e | %.0f %s | ETA %s\n", step_, config_.steps, loss,
                    last_accuracy_, lr_now, rate, unit, format_duration(eta).c_str());
        std::fflush(stdout);
      }
      window_start = now;
      window_steps = 0;
    }
    if (step_ % config_.eval_every == 0 || step_ == config_.steps) {
      last = evaluate();
      log_eval(last);
    }
    if ((config_.checkpoint_every > 0 && step_ % config_.checkpoint_every == 0) || step_ == config_.steps) {
      save_checkpoint();
      window_start = wall.elapsed();
      window_steps = 0;
    }
  }
  if (comm_.is_root()) {
    std::printf("done: %ld steps in %s | final val loss %.4f | val acc %.4f | certified Lipschitz bound %s\n", step_,
                format_duration(wall.elapsed()).c_str(), last.loss, last.accuracy, last.bound.to_string().c_str());
    double total = 0;
    for (double s : times_.seconds) total += s;
    std::printf("time per phase:");
    for (int p = 0; p < StepTimes::kPhases; ++p)
      std::printf(" %s %.1f%%", StepTimes::names[size_t(p)], 100 * times_.seconds[size_t(p)] / std::max(total, 1e-12));
    std::printf("\n");
  }
  return last;
}

}  // namespace lip
