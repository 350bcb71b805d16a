#pragma once
/* Stage-by-stage comparison against the regression reference files (regression/*.h5, written by
 * the independent PyTorch reference regression/reference/; layouts and tolerances in
 * docs/REGRESSION.md).
 *
 * Every compared dataset carries attributes atol, rtol (Real = double), atol_float, rtol_float
 * (Real = float) and reason; a C++ value a passes when |a − ref| <= atol + rtol·|ref|.
 * A test runs its stages in pipeline order and stops at the first one that fails, so the failure
 * names the first diverging stage, then the tensor, the max |difference|, its index and the first
 * few mismatches, with the tolerance and its reason. Passing stages print one summary line.
 */
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"
#include "kernels/types.hpp"
#include "model/param_store.hpp"

namespace lip::test {

//! Path of a reference file: $LIP_SOURCE_DIR/regression/<file> (set by ctest).
inline std::string regression_path(const std::string& file) {
  const char* dir = std::getenv("LIP_SOURCE_DIR");
  return std::string(dir ? dir : ".") + "/regression/" + file;
}

struct Tolerance {
  double atol = 0, rtol = 0;
  std::string reason;
};

//! One reference file, opened read-only; values are returned as double whatever the stored type.
class ReferenceFile {
 public:
  explicit ReferenceFile(const std::string& file)
      : name_(file), h5_(io::Hdf5File::open_read(regression_path(file))) {
    const std::string format = h5_.read_attr_string("/", "format");
    if (format != "lipschitz-regression" || h5_.read_attr_int("/", "version") != 1)
      throw std::runtime_error(file + ": unknown reference format '" + format + "'; regenerate with regression/generate.sh");
  }
  const std::string& name() const { return name_; }
  const io::Hdf5File& h5() const { return h5_; }
  bool has(const std::string& ds) const { return h5_.has(ds); }
  std::vector<size_t> dims(const std::string& ds) const { return h5_.dims(ds); }

  std::vector<double> values(const std::string& ds, std::vector<size_t>* shape = nullptr) const {
    const auto dims = h5_.dims(ds);
    if (shape) *shape = dims;
    std::vector<size_t> any(dims.size(), io::Hdf5File::any);
    const std::string type = h5_.dtype(ds);
    if (type == "float32") {
      const auto f = h5_.read<float>(ds, any);
      return std::vector<double>(f.begin(), f.end());
    }
    return h5_.read<double>(ds, any);
  }
  double scalar(const std::string& ds) const { return values(ds).at(0); }
  std::vector<int> ints(const std::string& ds) const {
    std::vector<size_t> any(h5_.dims(ds).size(), io::Hdf5File::any);
    return h5_.read<int32_t>(ds, any);
  }
  double attr(const std::string& obj, const std::string& a) const { return h5_.read_attr_double(obj, a); }
  int64_t attr_int(const std::string& obj, const std::string& a) const { return h5_.read_attr_int(obj, a); }
  std::string attr_string(const std::string& obj, const std::string& a) const { return h5_.read_attr_string(obj, a); }
  bool has_attr(const std::string& obj, const std::string& a) const { return h5_.has_attr(obj, a); }

  //! The dataset's tolerance for this build's Real.
  Tolerance tolerance(const std::string& ds) const {
    constexpr bool is_float = sizeof(kernels::Real) == sizeof(float);
    Tolerance t;
    t.atol = attr(ds, is_float ? "atol_float" : "atol");
    t.rtol = attr(ds, is_float ? "rtol_float" : "rtol");
    t.reason = attr_string(ds, "reason");
    return t;
  }

 private:
  std::string name_;
  io::Hdf5File h5_;
};

// ---- host copies -----------------------------------------------------------------------------

template <class ViewT>
std::vector<double> host_values(const ViewT& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  std::vector<double> out(v.span());
  for (size_t i = 0; i < v.span(); ++i) out[i] = double(h.data()[i]);
  return out;
}

//! Write `values` (row-major, v.span() entries) into a device matrix.
inline void set_values(const kernels::MatrixView& v, const std::vector<double>& values, const std::string& what) {
  if (values.size() != v.span())
    throw std::runtime_error(what + ": reference has " + std::to_string(values.size()) + " values, C++ tensor (" +
                             std::to_string(v.extent(0)) + ", " + std::to_string(v.extent(1)) + ") has " +
                             std::to_string(v.span()));
  kernels::Tensor2 tmp("regression::load", v.extent(0), v.extent(1));
  auto h = Kokkos::create_mirror_view(tmp);
  for (size_t i = 0; i < values.size(); ++i) h.data()[i] = kernels::Real(values[i]);
  Kokkos::deep_copy(tmp, h);
  Kokkos::deep_copy(v, tmp);
}

//! Load reference group `group`/<name> into every parameter of `params` (names must match).
inline void load_parameters(const ReferenceFile& ref, const ParamStore& params, const std::string& group) {
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto& info = params.info(i);
    const std::string ds = group + "/" + info.name;
    if (!ref.has(ds))
      throw std::runtime_error(ref.name() + ": no dataset " + ds + " for C++ parameter " + std::to_string(i) + " '" +
                               info.name + "' (parameter order or naming differs from the reference)");
    std::vector<size_t> shape;
    const auto v = ref.values(ds, &shape);
    if (shape.size() != 2 || shape[0] != info.rows || shape[1] != info.cols)
      throw std::runtime_error(ref.name() + ": " + ds + " has shape " + io::shape_string(shape) + ", C++ parameter '" +
                               info.name + "' is (" + std::to_string(info.rows) + ", " + std::to_string(info.cols) +
                               ")");
    set_values(params.param(i), v, ds);
  }
}

// ---- comparison ------------------------------------------------------------------------------

//! One tensor of a stage: the C++ values and the reference dataset they are compared with.
struct Item {
  std::string dataset;                          //!< reference dataset (values, shape, tolerance)
  std::vector<double> actual;                   //!< C++ values, row-major
  std::optional<std::vector<double>> expected;  //!< overrides the dataset's values (then `dataset` is a label)
  std::optional<Tolerance> tol;                 //!< overrides the dataset's tolerance
};

inline std::string index_string(size_t flat, const std::vector<size_t>& shape) {
  if (shape.empty()) return "()";
  std::vector<size_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::ostringstream os;
  os << "(";
  for (size_t d = 0; d < idx.size(); ++d) os << (d ? ", " : "") << idx[d];
  os << ")";
  return os.str();
}

struct TensorResult {
  bool ok = true;
  double max_diff = 0;     //!< max |actual − ref|
  double worst_ratio = 0;  //!< max |actual − ref| / (atol + rtol·|ref|)
  std::string message;     //!< filled when !ok
};

inline TensorResult compare_tensor(const std::string& name, const std::vector<double>& actual,
                                   const std::vector<double>& expected, const std::vector<size_t>& shape,
                                   const Tolerance& tol) {
  TensorResult r;
  std::ostringstream os;
  if (actual.size() != expected.size()) {
    r.ok = false;
    os << "tensor '" << name << "' " << io::shape_string(shape) << ": C++ has " << actual.size()
       << " values, reference " << expected.size();
    r.message = os.str();
    return r;
  }
  size_t worst = 0, outside = 0;
  bool nan_seen = false;
  std::vector<size_t> first;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double d = std::abs(actual[i] - expected[i]);
    const double allowed = tol.atol + tol.rtol * std::abs(expected[i]);
    const bool bad = !(d <= allowed);  // NaN counts as a mismatch
    if (std::isnan(d)) {
      if (!nan_seen) worst = i;  // the first NaN is the worst entry
      nan_seen = true;
    } else if (!nan_seen && d > r.max_diff) {
      r.max_diff = d;
      worst = i;
    }
    if (allowed > 0 && !std::isnan(d)) r.worst_ratio = std::max(r.worst_ratio, d / allowed);
    if (bad) {
      ++outside;
      if (first.size() < 5) first.push_back(i);
    }
  }
  if (nan_seen) r.max_diff = std::nan("");
  if (outside == 0) return r;
  r.ok = false;
  os.precision(6);
  os << "tensor '" << name << "' " << io::shape_string(shape) << ": max |diff| = " << r.max_diff << " at index "
     << index_string(worst, shape) << " (C++ " << actual[worst] << ", reference " << expected[worst]
     << "); allowed |diff| <= atol " << tol.atol << " + rtol " << tol.rtol << "·|ref|; " << outside << " of "
     << actual.size() << " elements outside; first mismatches:";
  for (size_t i : first)
    os << " " << index_string(i, shape) << " C++ " << actual[i] << " vs " << expected[i] << ";";
  os << "\n  tolerance reason: " << tol.reason;
  r.message = os.str();
  return r;
}

//! Runs the stages of one reference file in order; `stage` fails with the first diverging stage.
class StageRunner {
 public:
  explicit StageRunner(const ReferenceFile& ref) : ref_(ref) {}

  ::testing::AssertionResult stage(const std::string& stage_name, const std::vector<Item>& items) {
    double max_diff = 0, worst_ratio = 0;
    std::vector<std::string> failures;
    for (const auto& item : items) {
      std::vector<size_t> shape;
      std::vector<double> expected;
      if (item.expected) {
        expected = *item.expected;
        shape = {expected.size()};
      } else {
        if (!ref_.has(item.dataset))
          return ::testing::AssertionFailure() << ref_.name() << ": stage '" << stage_name << "': no reference dataset '"
                                               << item.dataset << "' (regenerate with regression/generate.sh)";
        expected = ref_.values(item.dataset, &shape);
      }
      if (shape.empty()) shape = {1};
      const Tolerance tol = item.tol ? *item.tol : ref_.tolerance(item.dataset);
      const auto r = compare_tensor(item.dataset, item.actual, expected, shape, tol);
      max_diff = std::max(max_diff, r.max_diff);
      worst_ratio = std::max(worst_ratio, r.worst_ratio);
      if (!r.ok) failures.push_back(r.message);
    }
    if (failures.empty()) {
      std::printf("[regression %s] stage %-34s ok: %zu tensor(s), max |diff| %.2e, worst diff/tolerance %.2e\n",
                  ref_.name().c_str(), stage_name.c_str(), items.size(), max_diff, worst_ratio);
      std::fflush(stdout);
      passed_.push_back(stage_name);
      return ::testing::AssertionSuccess();
    }
    auto fail = ::testing::AssertionFailure();
    fail << ref_.name() << ": first diverging stage '" << stage_name << "' (" << failures.size() << " of "
         << items.size() << " tensor(s) differ; stages passed before it: ";
    for (size_t i = 0; i < passed_.size(); ++i) fail << (i ? ", " : "") << passed_[i];
    if (passed_.empty()) fail << "none";
    fail << ")\n  " << failures.front();
    for (size_t i = 1; i < failures.size() && i < 4; ++i) fail << "\n  also " << failures[i].substr(0, failures[i].find('\n'));
    if (failures.size() > 4) fail << "\n  ... and " << failures.size() - 4 << " more tensor(s)";
    return fail;
  }

 private:
  const ReferenceFile& ref_;
  std::vector<std::string> passed_;
};

// ---- shared deterministic generator (regression/reference/lipschitz_reference.py) ---------------

//! u(seed, k) = (splitmix64(seed·2^32 + k) >> 11)·2^-53, bit-exact with splitmix64_uniform in the
//! reference; the recipe for parameters too large to store (gpt_shakespeare.h5).
inline double splitmix64_uniform(uint64_t seed, uint64_t k) {
  uint64_t z = (seed << 32) + k;
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return double(z >> 11) * 0x1.0p-53;
}

//! W[i, j] = scale·(2·u(seed, i·cols + j) − 1), row-major.
inline std::vector<double> splitmix64_matrix(uint64_t seed, size_t rows, size_t cols, double scale) {
  std::vector<double> w(rows * cols);
  for (size_t k = 0; k < w.size(); ++k) w[k] = scale * (2.0 * splitmix64_uniform(seed, k) - 1.0);
  return w;
}

//! Frobenius norm and the probe <T, R(seed)> that summarize a tensor too large to store.
inline std::vector<double> tensor_summary(const std::vector<double>& t, size_t rows, size_t cols, uint64_t seed) {
  const auto R = splitmix64_matrix(seed, rows, cols, 1.0);
  double ss = 0, dot = 0;
  for (size_t k = 0; k < t.size(); ++k) ss += t[k] * t[k], dot += t[k] * R[k];
  return {std::sqrt(ss), dot};
}

}  // namespace lip::test
