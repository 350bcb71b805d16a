#include "core/blas_runtime.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace lip {
namespace {

// OpenBLAS's pre-AVX kernel families: what DYNAMIC_ARCH falls back to for an unknown x86 model.
bool is_generic_core(std::string core) {
  std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  constexpr std::array<const char*, 7> generic = {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai"};
  return std::find(generic.begin(), generic.end(), core) != generic.end();
}

std::string widest_coretype_of_this_cpu() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
  return {};
}

}  // namespace

BlasRuntime detect_blas_runtime() {
  BlasRuntime blas;
  using CoreNameFn = char* (*)();
  auto core_name = reinterpret_cast<CoreNameFn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (core_name == nullptr) return blas;
  blas.library = "OpenBLAS";
  if (const char* name = core_name()) blas.core = name;
  if (is_generic_core(blas.core)) blas.suggested_coretype = widest_coretype_of_this_cpu();
  return blas;
}

std::string describe(const BlasRuntime& blas) {
  if (blas.library.empty()) return "BLAS (not OpenBLAS)";
  return blas.library + " (" + (blas.core.empty() ? "unknown core" : blas.core) + ")";
}

std::string slow_blas_warning(const BlasRuntime& blas) {
  if (blas.suggested_coretype.empty()) return {};
  return "warning: OpenBLAS selected its generic '" + blas.core +
         "' kernels although this CPU has wider vector units (the OpenBLAS release does not know this CPU "
         "model); matrix products run several times slower. Set OPENBLAS_CORETYPE=" + blas.suggested_coretype +
         " in the job environment (scripts/env.sh does so; docs/PERFORMANCE.md).";
}

}  // namespace lip
