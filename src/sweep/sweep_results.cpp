#include "sweep/sweep_results.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"

namespace lip {

namespace {

//! A metrics CSV of the trainer (plain numbers, no quoting): its columns and rows.
struct NumericTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  int column(const std::string& name) const {
    const auto it = std::find(columns.begin(), columns.end(), name);
    return it == columns.end() ? -1 : int(it - columns.begin());
  }
};

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> cells;
  std::istringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
  return cells;
}

NumericTable read_metrics(const std::string& path) {
  std::ifstream in(path);
  LIP_REQUIRE(in, "cannot open " << path << " (a run directory of the sweep without its metrics)");
  NumericTable t;
  std::string line;
  if (std::getline(in, line)) t.columns = split_commas(line);
  while (std::getline(in, line))
    if (!line.empty()) t.rows.push_back(split_commas(line));
  return t;
}

double number(const std::string& text) { return text.empty() ? NAN : std::stod(text); }

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string to_string(RunStatus status) {
  switch (status) {
    case RunStatus::done: return "done";
    case RunStatus::diverged: return "diverged";
    case RunStatus::refused: return "refused";
  }
  return "?";
}

std::map<std::string, std::string> summarize_run(const std::string& run_dir) {
  std::map<std::string, std::string> f;
  const NumericTable eval = read_metrics(run_dir + "/eval.csv");
  LIP_REQUIRE(!eval.rows.empty(), run_dir << "/eval.csv has no evaluation (the run never reached one)");
  const int step = eval.column("step"), loss = eval.column("eval_loss"), acc = eval.column("eval_accuracy");
  const auto& last = eval.rows.back();
  f["steps"] = last[step];
  f["final_val_loss"] = last[loss];
  f["final_val_acc"] = last[acc];
  size_t best_loss = 0, best_acc = 0;
  for (size_t r = 0; r < eval.rows.size(); ++r) {
    // NaN never wins: a diverged evaluation is not the best one.
    if (number(eval.rows[r][loss]) < number(eval.rows[best_loss][loss]) || std::isnan(number(eval.rows[best_loss][loss])))
      best_loss = r;
    if (number(eval.rows[r][acc]) > number(eval.rows[best_acc][acc])) best_acc = r;
  }
  f["best_val_loss"] = eval.rows[best_loss][loss];
  f["best_val_loss_step"] = eval.rows[best_loss][step];
  f["best_val_acc"] = eval.rows[best_acc][acc];
  f["best_val_acc_step"] = eval.rows[best_acc][step];
  for (size_t c = 0; c < eval.columns.size(); ++c) {
    const std::string& name = eval.columns[c];
    if (name == "log10_bound" || name == "bound" || name == "max_activation" || name.rfind("norm_", 0) == 0)
      f[name] = last[c];
  }
  const NumericTable train = read_metrics(run_dir + "/train.csv");
  for (const char* unit : {"samples_per_s", "tokens_per_s"}) {
    const int c = train.column(unit);
    if (c < 0 || train.rows.empty()) continue;
    std::vector<double> rates;
    for (const auto& row : train.rows) rates.push_back(number(row[c]));
    std::nth_element(rates.begin(), rates.begin() + rates.size() / 2, rates.end());
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", rates[rates.size() / 2]);
    f["rate"] = text;
    f["rate_unit"] = std::string(unit) == "samples_per_s" ? "samples/s" : "tokens/s";
    f["train_s"] = train.rows.back()[train.column("elapsed_s")];
  }
  return f;
}

void write_run_result(const std::string& run_dir, const RunResult& result) {
  std::filesystem::create_directories(run_dir);
  std::string text = "status " + to_string(result.status) + "\nmessage " + one_line(result.message) + "\n";
  for (const auto& [key, value] : result.figures) text += key + " " + one_line(value) + "\n";
  io::write_file_atomically(run_dir + "/result.txt", text);
}

bool read_run_result(const std::string& run_dir, RunResult& result) {
  std::ifstream in(run_dir + "/result.txt");
  if (!in) return false;
  result = RunResult();
  bool has_status = false;
  for (std::string line; std::getline(in, line);) {
    const size_t space = line.find(' ');
    const std::string key = line.substr(0, space), value = space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "status") {
      has_status = true;
      if (value == "done") result.status = RunStatus::done;
      else if (value == "diverged") result.status = RunStatus::diverged;
      else if (value == "refused") result.status = RunStatus::refused;
      else throw Error(run_dir + "/result.txt: unknown status '" + value + "'", "remove the file to train the run again");
    } else if (key == "message") {
      result.message = value;
    } else if (!key.empty()) {
      result.figures[key] = value;
    }
  }
  LIP_REQUIRE(has_status, run_dir << "/result.txt has no status line; remove the file to train the run again");
  return true;
}

std::string run_directory(const SweepDeck& deck, const SweepConfiguration& c) {
  return deck.output_dir + "/runs/" + c.id;
}

size_t write_results_table(const SweepDeck& deck) {
  const auto grid = deck.configurations();
  const auto swept = deck.swept_keys();
  static const std::vector<std::string> leading = {
      "steps", "final_val_loss", "final_val_acc", "best_val_loss", "best_val_loss_step", "best_val_acc",
      "best_val_acc_step", "log10_bound", "bound", "reference_log10_bound", "max_activation",
      "rate", "rate_unit", "train_s", "setup_s", "wall_s"};
  std::vector<std::pair<const SweepConfiguration*, RunResult>> rows;
  std::set<std::string> extra;  // norm_* and any other figure, sorted
  for (const auto& c : grid) {
    RunResult r;
    if (!read_run_result(run_directory(deck, c), r)) continue;
    for (const auto& [key, value] : r.figures)
      if (std::find(leading.begin(), leading.end(), key) == leading.end()) extra.insert(key);
    rows.emplace_back(&c, std::move(r));
  }
  std::vector<std::string> figure_columns(leading);
  figure_columns.insert(figure_columns.end(), extra.begin(), extra.end());
  std::string text = "index,id";
  for (const auto& key : swept) text += "," + csv_cell(key);
  for (const auto& [key, value] : deck.fixed) text += "," + csv_cell(key);  // every row is self-describing
  text += ",status,message";
  for (const auto& column : figure_columns) text += "," + column;
  text += "\n";
  for (const auto& [c, r] : rows) {
    text += std::to_string(c->index) + "," + c->id;
    for (const auto& [key, value] : c->swept) text += "," + csv_cell(value);
    for (const auto& [key, value] : deck.fixed) text += "," + csv_cell(value);
    text += "," + to_string(r.status) + "," + csv_cell(r.message);
    for (const auto& column : figure_columns) {
      const auto it = r.figures.find(column);
      text += "," + (it == r.figures.end() ? std::string() : csv_cell(it->second));
    }
    text += "\n";
  }
  io::write_file_atomically(deck.output_dir + "/results.csv", text);
  return rows.size();
}

}  // namespace lip
