#pragma once
/* A sweep deck: a base deck, fixed overrides and axes over any deck keys; its grid of
 * configurations (docs/SWEEPS.md). Line by line, '#' starts a comment:
 *
 *   base        mnist_mlp.in            # the deck every configuration starts from (relative to this file)
 *   output      runs/mnist_frontier     # the sweep directory (relative to the working directory)
 *   group_size  1                       # ranks that train one configuration together
 *   set         run.steps 117           # a fixed override (repeatable)
 *   axis        optim.lr logspace -3 0 4          # 10^-3 … 10^0, 4 values
 *   axis        constraint.w_max 1 2 4 8          # an explicit list
 *   axis        optim.beta1 linspace 0.8 0.95 4
 *   zip method  optim.kind        adamw  muon     # zip lines with one name advance together
 *   zip method  constraint.method spec_wd soft_cap
 *
 * The grid is the product of the axes (a zip group is one axis) in the order they are written, the
 * last varying fastest. Generated values are written with 6 significant digits. Each configuration
 * is identified by a digest of its overrides, so reordering axes or extending one keeps the runs
 * already done.
 */
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lip {

//! One axis of the grid: one key, or several zipped keys with values of equal count.
struct SweepAxis {
  std::string name;                               //!< the key, or the zip group's name
  std::vector<std::string> keys;                  //!< one per zipped key
  std::vector<std::vector<std::string>> values;   //!< values[k][i]: key k at point i
  size_t size() const { return values.empty() ? 0 : values[0].size(); }
};

//! One point of the grid.
struct SweepConfiguration {
  size_t index = 0;                                          //!< position in the grid
  std::vector<std::pair<std::string, std::string>> swept;    //!< (key, value) in axis order
  std::string id;                                            //!< 16 hex digits, from the overrides
  //! Every override of the run: the sweep's fixed ones, then the swept ones, as `key=value`.
  std::vector<std::string> overrides;
};

struct SweepDeck {
  std::string source;      //!< the sweep deck's path (for messages)
  std::string base_deck;   //!< resolved path of the base deck
  std::string output_dir;  //!< the sweep directory
  int group_size = 1;
  std::vector<std::pair<std::string, std::string>> fixed;  //!< `set` lines
  std::vector<SweepAxis> axes;

  //! Every swept key, in axis order (the results' columns).
  std::vector<std::string> swept_keys() const;
  //! The grid: the product of the axes, last axis fastest.
  std::vector<SweepConfiguration> configurations() const;
};

//! Parses `text` (from `source`). Keys are checked against the training deck's schema here, values
//! when each configuration is trained (a refused value is a row of the results, not the end of the
//! sweep). `--set`-style `overrides` ("key value" lines of the sweep syntax, e.g. "group_size 2")
//! are applied after the file.
SweepDeck parse_sweep_deck(const std::string& text, const std::string& source,
                           const std::vector<std::string>& overrides = {});
SweepDeck load_sweep_deck(const std::string& path, const std::vector<std::string>& overrides = {});

//! `values` expanded: `logspace a b n` (10^a … 10^b), `linspace a b n`, or the list itself.
std::vector<std::string> expand_sweep_values(const std::vector<std::string>& values, const std::string& where);

}  // namespace lip
