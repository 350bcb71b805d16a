# Builds Kokkos 3.4.1 (Cuda + Serial, C++17, lambdas) and Kokkos Kernels 3.4.1 (BLAS component,
# cuBLAS TPL, OpenBLAS for host views) with Debian's CUDA 11.8 into $LIP_KOKKOS_CUDA_PREFIX.
# Sourced by `scripts/setup.sh --cuda` after it has found the sources ($kokkos_src, $kernels_src)
# and chosen $jobs and $stamp; never run on its own.
lip_cuda_use_debian_toolkit
mkdir -p "$LIP_KOKKOS_CUDA_PREFIX"
lip_cuda_host_compiler
echo "setup: nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') ($(command -v nvcc)), host compiler $NVCC_WRAPPER_DEFAULT_COMPILER"

build="$LIP_CACHE_DIR/build-cuda"
rm -rf "$build"; mkdir -p "$build"
# Another CUDA under /usr/local (headers, libcudart, nvcc) must not be found by CMake either.
cuda_ignore=(-DCMAKE_IGNORE_PREFIX_PATH="/usr/local;/usr/local/cuda")

start=$SECONDS
echo "setup: building Kokkos (Cuda arch $LIP_CUDA_ARCH + Serial, C++17, CUDA lambdas) into $LIP_KOKKOS_CUDA_PREFIX"
cmake -S "$kokkos_src" -B "$build/kokkos" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$LIP_KOKKOS_CUDA_PREFIX" -DCMAKE_CXX_STANDARD=17 \
  -DCMAKE_CXX_COMPILER="$kokkos_src/bin/nvcc_wrapper" \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON "${cuda_ignore[@]}" \
  -DKokkos_ENABLE_SERIAL=ON -DKokkos_ENABLE_CUDA=ON -DKokkos_ENABLE_CUDA_LAMBDA=ON \
  -DKokkos_ARCH_"$LIP_CUDA_ARCH"=ON \
  -DKokkos_ENABLE_TESTS=OFF >"$build/kokkos.log" 2>&1 || { tail -n 40 "$build/kokkos.log"; exit 1; }
cmake --build "$build/kokkos" -j "$jobs" >>"$build/kokkos.log" 2>&1 || { tail -n 40 "$build/kokkos.log"; exit 1; }
cmake --install "$build/kokkos" >>"$build/kokkos.log" 2>&1
echo "setup: Kokkos (CUDA) built in $((SECONDS - start)) s (log $build/kokkos.log)"

start=$SECONDS
echo "setup: building Kokkos Kernels (BLAS component; TPLs: cuBLAS, OpenBLAS; float and double; no default ETI)"
cmake -S "$kernels_src" -B "$build/kernels" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$LIP_KOKKOS_CUDA_PREFIX" -DCMAKE_CXX_STANDARD=17 \
  -DCMAKE_CXX_COMPILER="$LIP_KOKKOS_CUDA_PREFIX/bin/nvcc_wrapper" \
  -DKokkos_ROOT="$LIP_KOKKOS_CUDA_PREFIX" "${cuda_ignore[@]}" \
  -DKokkosKernels_ENABLED_COMPONENTS=BLAS \
  -DKokkosKernels_ENABLE_TPL_CUBLAS=ON -DKokkosKernels_ENABLE_TPL_CUSPARSE=OFF \
  -DKokkosKernels_ENABLE_TPL_BLAS=ON \
  -DKokkosKernels_INST_FLOAT=ON -DKokkosKernels_INST_DOUBLE=ON \
  -DKokkosKernels_INST_COMPLEX_DOUBLE=OFF -DKokkosKernels_INST_COMPLEX_FLOAT=OFF \
  -DKokkosKernels_INST_OFFSET_SIZE_T=OFF -DKokkosKernels_INST_ORDINAL_INT=OFF \
  -DKokkosKernels_INST_OFFSET_INT=OFF -DKokkosKernels_INST_MEMSPACE_CUDAUVMSPACE=OFF \
  -DKokkosKernels_ADD_DEFAULT_ETI=OFF -DKokkosKernels_ENABLE_TESTS=OFF \
  -DKokkosKernels_ENABLE_TPL_LAPACK=OFF \
  -DBLAS_LIBRARIES=openblas -DBLAS_LIBRARY_DIRS="/usr/lib/$(gcc -print-multiarch)" \
  >"$build/kernels.log" 2>&1 || { tail -n 40 "$build/kernels.log"; exit 1; }
cublas="$(sed -n 's/^CUDA_cublas_LIBRARY:FILEPATH=//p' "$build/kernels/CMakeCache.txt")"
echo "setup: cuBLAS: $cublas"
case "$cublas" in /usr/local/*|*NOTFOUND*|"") echo "setup: cuBLAS is not Debian's" >&2; exit 1 ;; esac
cmake --build "$build/kernels" -j "$jobs" >>"$build/kernels.log" 2>&1 || { tail -n 40 "$build/kernels.log"; exit 1; }
cmake --install "$build/kernels" >>"$build/kernels.log" 2>&1
echo "setup: Kokkos Kernels (CUDA) built in $((SECONDS - start)) s (log $build/kernels.log)"

touch "$stamp"
echo "setup: done; Kokkos (CUDA) prefix $LIP_KOKKOS_CUDA_PREFIX"
