# Finds the third-party libraries bronze builds on, all from Debian 12 packages (see
# scripts/debian-packages.txt). Package and target names below are the ones Debian's config files
# actually ship (checked under /usr/lib/x86_64-linux-gnu/cmake, /usr/lib/cmake, /usr/share/cmake).

include_guard(GLOBAL)

# oneTBB (libtbb-dev): TBB::tbb
find_package(TBB CONFIG REQUIRED)

# GoogleTest (libgtest-dev, libgmock-dev): GTest::gtest, GTest::gtest_main, GTest::gmock
if(BRONZE_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()

# Google Benchmark (libbenchmark-dev): benchmark::benchmark, benchmark::benchmark_main
if(BRONZE_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()

# FlatBuffers (libflatbuffers-dev): package "FlatBuffers"; flatbuffers::flatbuffers is the
# static library, flatbuffers::flatbuffers_shared the shared one, flatbuffers::flatc the compiler
# (from flatbuffers-compiler-dev). FLATC is the flatc program (flatbuffers-compiler).
find_package(FlatBuffers CONFIG REQUIRED)
find_program(FLATC flatc REQUIRED)

# Python and pybind11 (python3-dev, pybind11-dev). Unless -DPython3_EXECUTABLE=... is given, use
# the project's venv (scripts/setup.sh makes it from Debian's python3), else Debian's python3,
# never a pyenv shim that happens to be first on PATH. A normal (not cache) variable, so a venv
# created after the first configure is picked up at the next one.
if(NOT DEFINED CACHE{Python3_EXECUTABLE})
  if(EXISTS ${PROJECT_SOURCE_DIR}/.venv/bin/python)
    set(Python3_EXECUTABLE ${PROJECT_SOURCE_DIR}/.venv/bin/python)
  elseif(EXISTS /usr/bin/python3)
    set(Python3_EXECUTABLE /usr/bin/python3)
  endif()
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter Development.Module)
find_package(pybind11 CONFIG REQUIRED)  # pybind11::module, pybind11_add_module()

# oneDNN (libdnnl-dev): package "dnnl", target DNNL::dnnl. Debian builds it with the OpenMP CPU
# runtime and the OpenCL GPU runtime, so its config needs OpenCL (ocl-icd-opencl-dev).
find_package(dnnl CONFIG REQUIRED)

# Highway (libhwy-dev): hwy::hwy, hwy::hwy_contrib
find_package(hwy CONFIG REQUIRED)

# CLI11 (libcli11-dev, header only): CLI11::CLI11
find_package(CLI11 CONFIG REQUIRED)

# Xbyak (libxbyak-dev, header only): the fused executor's code generator
# (kernels/cpu/fused_jit.cc). Optional: without it fused programs run on the tile interpreter.
find_path(BRONZE_XBYAK_INCLUDE_DIR xbyak/xbyak.h)

set(_bronze_deps
  "TBB ${TBB_VERSION}"
  "FlatBuffers ${FlatBuffers_VERSION} (${FLATC})"
  "Python3 ${Python3_VERSION} (${Python3_EXECUTABLE})"
  "pybind11 ${pybind11_VERSION}"
  "oneDNN ${dnnl_VERSION}"
  "Highway ${hwy_VERSION}"
  "CLI11 ${CLI11_VERSION}")
if(BRONZE_XBYAK_INCLUDE_DIR)
  list(APPEND _bronze_deps "Xbyak (${BRONZE_XBYAK_INCLUDE_DIR})")
else()
  list(APPEND _bronze_deps "no Xbyak (fused programs are interpreted)")
endif()
if(BRONZE_BUILD_TESTS)
  list(APPEND _bronze_deps "GTest ${GTest_VERSION}")
endif()
if(BRONZE_BUILD_BENCHMARKS)
  list(APPEND _bronze_deps "benchmark ${benchmark_VERSION}")
endif()
list(JOIN _bronze_deps ", " _bronze_deps)
message(STATUS "bronze: found ${_bronze_deps}")
unset(_bronze_deps)
