#include "train/trainer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/version.hpp"
#include "io/checkpoint.hpp"
#include "kernels/elementwise.hpp"
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
  g.momentum_warmup_start = c.momentum_warmup_start;
  g.momentum_warmup_steps = c.momentum_warmup_steps;
  OptimizerGroup embed = g, head = g;
  if (c.embed_optimizer != "same") embed.kind = parse_optimizer_kind(c.embed_optimizer);
  if (c.embed_lr > 0) embed.lr = c.embed_lr;
  if (c.embed_beta1 >= 0) embed.beta1 = c.embed_beta1;
  if (c.embed_beta2 >= 0) embed.beta2 = c.embed_beta2;
  if (c.embed_eps > 0) embed.eps = c.embed_eps;
  embed.bias_correction = c.embed_bias_correction;
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

// "key value" per line of a resolved deck ("  # default" markers dropped).
std::map<std::string, std::string> deck_values(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) {
    if (const auto hash = line.find("  # default"); hash != std::string::npos) line.erase(hash);
    std::istringstream ls(line);
    std::string key, word, value;
    if (!(ls >> key)) continue;
    while (ls >> word) value += (value.empty() ? "" : " ") + word;
    out[key] = value;
  }
  return out;
}

// Rows of an existing metrics file whose first column (the step) is <= max_step.
std::vector<std::vector<double>> rows_up_to(const std::string& path, long max_step, size_t columns) {
  std::vector<std::vector<double>> rows;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return rows;  // header
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::istringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) row.push_back(std::strtod(cell.c_str(), nullptr));
    if (row.size() == columns && row[0] <= double(max_step)) rows.push_back(row);
  }
  return rows;
}

// Write `text` to `path` atomically (tmp file, fsync, rename).
void write_small_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.close();
    LIP_REQUIRE(out, "cannot write " << tmp);
  }
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  LIP_REQUIRE(fd >= 0, "cannot reopen " << tmp << " to flush it to disk");
  const int rc = ::fsync(fd);
  ::close(fd);
  LIP_REQUIRE(rc == 0, "fsync of " << tmp << " failed");
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  LIP_REQUIRE(!ec, "cannot rename " << tmp << " to " << path << ": " << ec.message());
}

// Attention query/key matrices are named q<block>, k<block> (model/gpt.cpp).
bool is_query_or_key(const std::string& name) {
  return name.size() > 1 && (name[0] == 'q' || name[0] == 'k') &&
         name.find_first_not_of("0123456789", 1) == std::string::npos;
}

// The checkpoint <dir>/latest names, "" when there is no `latest` file.
std::string latest_checkpoint(const std::string& dir) {
  std::ifstream latest(dir + "/latest");
  if (!latest) return "";
  std::string name;
  latest >> name;
  LIP_REQUIRE(!name.empty(), dir << "/latest is empty; pass a checkpoint file to --resume instead");
  const std::string path = dir + "/" + name;
  LIP_REQUIRE(std::filesystem::exists(path), dir << "/latest names " << name << ", which does not exist");
  return path;
}

}  // namespace

Trainer::Trainer(const RunConfig& config, Comm& comm, Model& model, DataSource& data)
    : config_(config), comm_(comm), model_(model), data_(data) {
  schedule_.kind = Schedule::parse(config.schedule);
  schedule_.total_steps = config.steps;
  optimizer_ = std::make_unique<Optimizer>(model.params(), optimizer_groups(config));
  const auto& params = model.params();
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto& info = params.info(i);
    projections_.push_back(projection_settings(config.constraint, config.weight_decay));
    const double own_w_max = info.group == "head"       ? config.constraint.head_w_max
                             : is_query_or_key(info.name) ? config.constraint.qk_w_max
                                                          : 0.0;
    if (own_w_max > 0) projections_.back().w_max = own_w_max;
    auto& ws = workspaces_[{info.rows, info.cols}];
    if (!ws) ws = std::make_unique<ProjectionWorkspace>(info.rows, info.cols);
  }
  // Decided from the deck alone, so every rank fails here together.
  if (config.batch_size % size_t(comm.size()) != 0)
    throw CollectiveError("data.batch_size " + std::to_string(config.batch_size) + " is not divisible by the " +
                          std::to_string(comm.size()) + " MPI ranks; the global batch is split evenly across ranks");
  if (config.eval_batch_size % size_t(comm.size()) != 0)
    throw CollectiveError("data.eval_batch_size " + std::to_string(config.eval_batch_size) +
                          " is not divisible by the " + std::to_string(comm.size()) + " MPI ranks");
  if (!data.eval_batches_cycle() && config.eval_batches > data.available_eval_batches())
    throw CollectiveError("data.eval_batches " + std::to_string(config.eval_batches) + " exceeds the " +
                              std::to_string(data.available_eval_batches()) + " distinct evaluation batches of " +
                              std::to_string(config.eval_batch_size) + " windows the validation split holds (" +
                              data.describe() + ")",
                          "set data.eval_batches (or data.eval_tokens) to at most " +
                              std::to_string(data.available_eval_batches()));
  for (size_t global : {config.batch_size, config.eval_batch_size}) {
    const size_t local = global / size_t(comm.size());
    LIP_REQUIRE(local % micro_rows(local) == 0, "data.micro_batch " << config.micro_batch << " does not divide the "
                                                                    << local << " examples each rank gets per step");
  }
  train_batch_ = data.make_batch(config.batch_size);
  eval_batch_ = data.make_batch(config.eval_batch_size);
}

Trainer::~Trainer() = default;

Batch Trainer::local_slice(const Batch& global) const {
  // Each rank takes its contiguous share of the global batch.
  const size_t rows = global.size / size_t(comm_.size());
  return rows_of(global, rows * size_t(comm_.rank()), rows);
}

void Trainer::open_metrics() {
  if (!comm_.is_root() || train_csv_.is_open()) return;
  std::filesystem::create_directories(config_.output_dir);
  {
    std::ofstream deck(config_.output_dir + "/deck.resolved");
    deck << config_.resolved_deck;
  }
  const std::vector<std::string> train_columns = {
      "step", "loss", "accuracy", "lr", config_.model_kind == "gpt" ? "tokens_per_s" : "samples_per_s", "elapsed_s"};
  std::vector<std::string> eval_columns = {"step", "eval_loss", "eval_accuracy", "log10_bound", "bound", "max_activation"};
  for (const auto& info : model_.params().infos()) eval_columns.push_back("norm_" + info.name);
  // A resumed run keeps the rows of the run it continues, up to the checkpoint's step.
  const std::string train_path = config_.output_dir + "/train.csv", eval_path = config_.output_dir + "/eval.csv";
  // A resume at run.steps trains nothing and evaluates the checkpoint again: that row replaces the old one.
  const long last_kept_eval = resumed_at_end() ? resumed_step_ - 1 : resumed_step_;
  const auto train_rows = rows_up_to(train_path, resumed_step_, train_columns.size());
  const auto eval_rows = rows_up_to(eval_path, last_kept_eval, eval_columns.size());
  train_csv_ = CsvWriter(train_path, train_columns);
  for (const auto& row : train_rows) train_csv_.write(row);
  eval_csv_ = CsvWriter(eval_path, eval_columns);
  for (const auto& row : eval_rows) eval_csv_.write(row);
  if (config_.bound_table) {
    // One column per stage of the bound's recursion; the names do not depend on the norms.
    std::vector<std::string> columns = {"step"};
    const std::vector<double> unit_norms(model_.params().infos().size(), 1.0);
    for (const auto& stage : model_.certified_bound(unit_norms).stage_names) columns.push_back("log10_" + stage);
    const std::string path = config_.output_dir + "/bound_table.csv";
    const auto rows = rows_up_to(path, last_kept_eval, columns.size());
    bound_csv_ = CsvWriter(path, columns);
    for (const auto& row : rows) bound_csv_.write(row);
  }
}

Batch Trainer::rows_of(const Batch& batch, size_t first, size_t rows) {
  Batch part;
  part.size = rows;
  if (batch.inputs.data()) {
    const size_t f = batch.inputs.extent(1);
    part.inputs = kernels::Tensor2(batch.inputs.data() + first * f, rows, f);
  }
  if (batch.tokens.data()) {
    const size_t t = batch.tokens.extent(1);
    part.tokens = kernels::IndexTensor2(batch.tokens.data() + first * t, rows, t);
  }
  const size_t per = batch.targets.extent(0) / batch.size;  // predictions per example
  part.targets = kernels::IndexTensor1(batch.targets.data() + first * per, rows * per);
  return part;
}

size_t Trainer::micro_rows(size_t local_rows) const {
  return config_.micro_batch > 0 && config_.micro_batch < local_rows ? config_.micro_batch : local_rows;
}

double Trainer::step() {
  const auto& params = model_.params();
  Timer timer;
  data_.next_train_batch(train_batch_);
  const Batch local = local_slice(train_batch_);
  times_.seconds[0] += timer.lap();
  params.zero_grad();
  // Gradient accumulation: every backward adds into the gradient slab; the mean over the
  // micro-batches is the mean over the rank's examples because the micro-batches are equal.
  const size_t micro = micro_rows(local.size), passes = local.size / micro;
  double local_loss = 0, correct = 0, predictions = 0;
  for (size_t j = 0; j < passes; ++j) {
    local_loss += model_.forward(rows_of(local, j * micro, micro)) / double(passes);
    correct += double(model_.correct());
    predictions += double(model_.predictions());
    times_.seconds[1] += timer.lap();
    model_.backward();
    times_.seconds[2] += timer.lap();
  }
  last_accuracy_ = comm_.allreduce_sum(correct) / comm_.allreduce_sum(predictions);
  const auto grads = params.grads_slab();
  if (passes > 1) kernels::scale("kernels::accumulation_mean", grads, kernels::Real(1.0 / double(passes)));
  comm_.allreduce_mean(kernels::VectorView(grads.data(), grads.extent(0)));
  const double loss = comm_.allreduce_sum(local_loss) / comm_.size();
  agree_on_health_and_stop(loss, kernels::frobenius_norm(grads));
  times_.seconds[3] += timer.lap();
  const double factor = schedule_.factor(step_);
  optimizer_->step(params, factor, step_);
  times_.seconds[4] += timer.lap();
  project_all(factor);
  times_.seconds[5] += timer.lap();
  ++step_;
  return loss;
}

void Trainer::agree_on_health_and_stop(double loss, double grad_norm) {
  const bool healthy = std::isfinite(loss) && std::isfinite(grad_norm);
  std::vector<long> flags = {healthy ? 0 : 1, long(received_stop_signal())};
  comm_.max(flags);
  if (flags[1] != 0) stop_signal_ = int(flags[1]);
  if (flags[0] == 0) return;
  std::ostringstream msg;
  msg << "step " << step_ + 1 << ": the training loss or the gradient is not finite on at least one rank (here: loss "
      << loss << ", gradient norm " << grad_norm << "); stopped before the update, so no checkpoint holds these values"
      << " (last checkpoint: " << (last_checkpoint_.empty() ? "none" : last_checkpoint_) << ")";
  throw CollectiveError(msg.str(), "lower optim.lr, use a weight constraint (constraint.method), or resume from the "
                                   "last checkpoint with --resume latest and changed settings");
}

std::vector<io::CheckpointSlab> Trainer::optimizer_state() const {
  std::vector<io::CheckpointSlab> state;
  if (optimizer_->first_moment().data()) state.push_back({"first_moment", optimizer_->first_moment()});
  if (optimizer_->second_moment().data()) state.push_back({"second_moment", optimizer_->second_moment()});
  return state;
}

void Trainer::resume(const std::string& spec) {
  const auto state = optimizer_state();
  std::string path, error, hint;
  io::CheckpointMeta meta;
  if (comm_.is_root()) {
    try {
      if (spec == "latest" || spec == "auto") {
        path = latest_checkpoint(config_.output_dir);
        LIP_REQUIRE(!path.empty() || spec == "auto",
                    "--resume latest: " << config_.output_dir << "/latest does not exist (no checkpoint was written"
                                        << " in run.output_dir yet); use --resume auto to start fresh when none exists");
      } else {
        path = spec;
      }
      if (!path.empty()) meta = io::read_checkpoint(path, model_.params(), state);
    } catch (const Error& e) {
      error = e.what(), hint = e.hint();
    }
  }
  // Rank 0's verdict reaches every rank, so a refused checkpoint ends the job on all of them at once.
  comm_.broadcast(error);
  comm_.broadcast(hint);
  if (!error.empty()) throw CollectiveError(error, hint);
  comm_.broadcast(path);
  if (path.empty()) {
    if (comm_.is_root()) std::printf("resume: no checkpoint in %s yet; starting from step 0\n", config_.output_dir.c_str());
    return;
  }
  comm_.broadcast(kernels::as_vector(model_.params().params_slab()));
  for (const auto& s : state) comm_.broadcast(kernels::as_vector(s.slab));
  long step = meta.step, epoch = long(meta.data_epoch), position = long(meta.data_position);
  comm_.broadcast(step);
  comm_.broadcast(epoch);
  comm_.broadcast(position);
  try {
    data_.set_cursor(uint64_t(epoch), size_t(position));
  } catch (const Error& e) {  // the same cursor and data on every rank
    throw CollectiveError("checkpoint " + path + ": " + e.what());
  }
  step_ = resumed_step_ = step;
  last_checkpoint_ = path;
  if (!comm_.is_root()) return;
  std::printf("resume: loaded %s (step %ld, data epoch %ld batch %ld, written by %s at %d rank(s))\n", path.c_str(),
              step, epoch, position, meta.version.c_str(), meta.ranks);
  const auto now = deck_values(config_.resolved_deck), then = deck_values(meta.deck);
  for (const auto& [key, value] : now) {
    const auto it = then.find(key);
    if (it == then.end())
      std::printf("resume: deck key %s = %s is new (not in the checkpoint's deck)\n", key.c_str(), value.c_str());
    else if (it->second != value)
      std::printf("resume: deck key %s changed: %s -> %s\n", key.c_str(), it->second.c_str(), value.c_str());
  }
  std::fflush(stdout);
}

void Trainer::project_all(double schedule_factor) {
  const auto& params = model_.params();
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto& info = params.info(i);
    if (!info.projected) continue;  // e.g. NanoGPT's embedding, capped at lookup instead
    if (info.kind == ParamKind::embedding) {
      project_embedding(params.param(i));
      continue;
    }
    if (info.kind == ParamKind::unembedding) {
      project_unembedding(params.param(i));
      continue;
    }
    const double lr_t = optimizer_->lr(i, schedule_factor);
    // One seed per step shared by every tensor; the shape distinguishes the start vectors (§3).
    project_linear(params.param(i), projections_[i], lr_t, info.target_norm, config_.seed * 1000003ull + uint64_t(step_),
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
    const size_t micro = micro_rows(local.size), passes = local.size / micro;
    for (size_t j = 0; j < passes; ++j) {
      loss_sum += model_.forward(rows_of(local, j * micro, micro)) / double(passes);
      correct += double(model_.correct());
      predictions += double(model_.predictions());
      r.max_activation = std::max(r.max_activation, model_.max_activation());
    }
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
  namespace fs = std::filesystem;
  // Never replace a good checkpoint with bad weights (the update itself can overflow).
  const double norm = kernels::frobenius_norm(kernels::as_vector(model_.params().params_slab()));
  if (comm_.any(!std::isfinite(norm)))
    throw CollectiveError("step " + std::to_string(step_) + ": the parameters are not finite after the update (norm " +
                              std::to_string(norm) + " here); no checkpoint written (last checkpoint: " +
                              (last_checkpoint_.empty() ? std::string("none") : last_checkpoint_) + ")",
                          "lower optim.lr or use a weight constraint (constraint.method)");
  char name[64];
  std::snprintf(name, sizeof name, "checkpoint_%08ld.h5", step_);
  const std::string path = config_.output_dir + "/" + name;
  last_checkpoint_ = path;
  if (!comm_.is_root()) return;
  io::CheckpointMeta meta;
  meta.step = step_;
  meta.data_epoch = data_.epoch();
  meta.data_position = data_.position();
  meta.seed = config_.seed;
  meta.data_seed = config_.data_seed;
  meta.ranks = comm_.size();
  meta.deck = config_.resolved_deck;
  meta.version = version_string();
  io::write_checkpoint(path, model_.params(), optimizer_state(), meta);
  // `latest` moves only after the checkpoint is complete on disk, old ones go only after that:
  // a kill at any moment leaves `latest` naming a complete checkpoint.
  write_small_file_atomically(config_.output_dir + "/latest", std::string(name) + "\n");
  std::vector<fs::path> older;
  for (const auto& e : fs::directory_iterator(config_.output_dir)) {
    const auto f = e.path().filename().string();
    if (f.rfind("checkpoint_", 0) != 0) continue;
    if (e.path().extension() == ".tmp") {
      fs::remove(e.path());  // left by a process killed while writing (rank 0 is the only writer)
    } else if (e.path().extension() == ".h5" && f != name) {
      older.push_back(e.path());
    }
  }
  std::sort(older.begin(), older.end());
  for (size_t k = 0; k + size_t(config_.checkpoint_keep) < older.size() + 1; ++k) fs::remove(older[k]);
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
    if (bound_csv_.is_open()) {
      std::vector<double> stages = {double(step_)};
      stages.insert(stages.end(), e.bound.stage_log10.begin(), e.bound.stage_log10.end());
      bound_csv_.write(stages);
    }
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
    // stop_signal_ was agreed on by all ranks in this step, so every rank stops here together.
    const bool stop = stop_signal_ != 0 || step_ == stop_at_;
    if ((config_.checkpoint_every > 0 && step_ % config_.checkpoint_every == 0) || step_ == config_.steps || stop) {
      save_checkpoint();
      window_start = wall.elapsed();
      window_steps = 0;
    }
    if (stop && step_ < config_.steps) {
      if (comm_.is_root()) {
        const std::string why = stop_signal_ != 0 ? "received " + signal_name(stop_signal_) : "reached --stop-at";
        std::printf("stopped: %s; finished step %ld/%ld and wrote %s; continue with --resume latest\n", why.c_str(),
                    step_, config_.steps, last_checkpoint_.c_str());
        std::fflush(stdout);
      }
      return last;
    }
  }
  if (resumed_at_end()) {  // nothing to train: report the state
    if (comm_.is_root())
      std::printf("resume: the checkpoint is at step %ld, run.steps is %ld; nothing to train\n", step_, config_.steps);
    last = evaluate();
    log_eval(last);
  }
  if (comm_.is_root()) {
    std::printf("done: %ld steps in %s | final val loss %.4f | val acc %.4f | certified Lipschitz bound %s\n", step_,
                format_duration(wall.elapsed()).c_str(), last.loss, last.accuracy, last.bound.to_string().c_str());
    if (config_.bound_table)
      std::printf("certified bound budget at step %ld (running bound after each stage x the factor it applied):\n%s",
                  step_, last.bound.budget_table().c_str());
    double total = 0;
    for (double s : times_.seconds) total += s;
    if (total > 0) {  // not after a resume at run.steps, which trains nothing
      std::printf("time per phase:");
      for (int p = 0; p < StepTimes::kPhases; ++p)
        std::printf(" %s %.1f%%", StepTimes::names[size_t(p)], 100 * times_.seconds[size_t(p)] / total);
      std::printf("\n");
    }
  }
  return last;
}

}  // namespace lip
