#pragma once
// What the BLAS library chose at run time. OpenBLAS built with DYNAMIC_ARCH (Debian's package)
// picks its kernels by CPU model; a model newer than the library (Sapphire Rapids and later with
// OpenBLAS 0.3.21) falls back to the generic "Prescott" SSE3 kernels and SGEMM runs about 4x
// slower. OPENBLAS_CORETYPE (read when the library loads) overrides the choice.
#include <string>

namespace lip {

struct BlasRuntime {
  std::string library;               ///< "OpenBLAS" or "" when the BLAS is not OpenBLAS
  std::string core;                  ///< OpenBLAS's kernel family, e.g. "Cooperlake", "Prescott"
  std::string suggested_coretype;    ///< non-empty when `core` is a generic fallback on a CPU
                                     ///< with wider vectors: the OPENBLAS_CORETYPE to set
};

/// Asks the loaded BLAS (through the dynamic symbol table, so any BLAS links) which kernels it uses.
BlasRuntime detect_blas_runtime();

/// One line for the driver banner: "OpenBLAS (Cooperlake)" or "BLAS (not OpenBLAS)".
std::string describe(const BlasRuntime& blas);

/// The warning to print when OpenBLAS fell back to generic kernels; empty otherwise.
std::string slow_blas_warning(const BlasRuntime& blas);

}  // namespace lip
