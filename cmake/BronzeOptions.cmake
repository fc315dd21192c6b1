# Build options for bronze (BRONZE_*), CUDA detection and setup, and ccache.
# Included from the top-level CMakeLists.txt, so every variable set here (BRONZE_WITH_CUDA in
# particular) is visible to all subdirectories.

include_guard(GLOBAL)

# ---- options -------------------------------------------------------------------------------
set(BRONZE_CUDA "AUTO" CACHE STRING
    "Build the CUDA kernels: AUTO (when a CUDA compiler is found), ON (required) or OFF")
set_property(CACHE BRONZE_CUDA PROPERTY STRINGS AUTO ON OFF)
option(BRONZE_WERROR "Treat compiler warnings as errors (the scripts turn this on when CI is set)" OFF)
set(BRONZE_SANITIZE "" CACHE STRING
    "Sanitizers to build with, a list such as \"address;undefined\" (empty: none)")
option(BRONZE_BUILD_TESTS "Build the GoogleTest suites in tests/" ON)
option(BRONZE_BUILD_BENCHMARKS "Build the Google Benchmark suites in benchmarks/" ON)
option(BRONZE_BUILD_PYTHON "Build the Python extension in python/ (pip install sets it)" OFF)
# The libFuzzer targets of tests/fuzz (clang only; scripts/fuzz.sh configures build-fuzz/ with it).
# Every target gets coverage instrumentation (-fsanitize=fuzzer-no-link).
option(BRONZE_FUZZ "Build the libFuzzer targets (clang; use with BRONZE_SANITIZE=address;undefined)" OFF)
if(BRONZE_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# ---- ccache --------------------------------------------------------------------------------
# Must be set before any target is created: the launcher properties are initialized from these.
find_program(BRONZE_CCACHE_PROGRAM ccache)
mark_as_advanced(BRONZE_CCACHE_PROGRAM)
if(BRONZE_CCACHE_PROGRAM)
  if(NOT DEFINED CMAKE_CXX_COMPILER_LAUNCHER)
    set(CMAKE_CXX_COMPILER_LAUNCHER ${BRONZE_CCACHE_PROGRAM})
  endif()
  if(NOT DEFINED CMAKE_CUDA_COMPILER_LAUNCHER)
    set(CMAKE_CUDA_COMPILER_LAUNCHER ${BRONZE_CCACHE_PROGRAM})
  endif()
endif()

# ---- CUDA ----------------------------------------------------------------------------------
string(TOUPPER "${BRONZE_CUDA}" _bronze_cuda)
if(NOT _bronze_cuda MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "BRONZE_CUDA must be AUTO, ON or OFF (got \"${BRONZE_CUDA}\")")
endif()

set(BRONZE_WITH_CUDA OFF)
if(NOT _bronze_cuda STREQUAL "OFF")
  # nvcc is often not on PATH (non-login shells); look in the toolkit's default place too.
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
    find_program(_bronze_nvcc nvcc PATHS /usr/local/cuda/bin NO_CACHE)
    if(_bronze_nvcc)
      set(ENV{CUDACXX} "${_bronze_nvcc}")
    endif()
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(BRONZE_WITH_CUDA ON)
  elseif(_bronze_cuda STREQUAL "ON")
    message(FATAL_ERROR
      "BRONZE_CUDA=ON but no working CUDA compiler was found. Install the CUDA toolkit, put "
      "nvcc on PATH or pass -DCMAKE_CUDA_COMPILER=/path/to/nvcc, or configure with "
      "-DBRONZE_CUDA=AUTO or OFF.")
  endif()
endif()

if(BRONZE_WITH_CUDA)
  # Set before enable_language(CUDA), which would otherwise pick the compiler's default arch.
  # A user's -DCMAKE_CUDA_ARCHITECTURES=... or CUDAARCHS environment variable wins.
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
    set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures to build for")
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)

  # nvcc accepts -std=c++20 since CUDA 12.0, but CMake 3.25 does not know that flag for nvcc
  # (its NVIDIA-CUDA module stops at CUDA17); teach it, so CUDA_STANDARD 20 works.
  if(CMAKE_CUDA_COMPILER_ID STREQUAL "NVIDIA"
     AND CMAKE_CUDA_COMPILER_VERSION VERSION_GREATER_EQUAL 12.0
     AND NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    list(APPEND CMAKE_CUDA_COMPILE_FEATURES cuda_std_20)
    list(APPEND CMAKE_CUDA20_COMPILE_FEATURES cuda_std_20)
  endif()
  if(CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
    set(CMAKE_CUDA_STANDARD 20)
  else()
    set(CMAKE_CUDA_STANDARD 17)
  endif()
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  set(CMAKE_CUDA_EXTENSIONS OFF)
  # kernels/ links CUDA::cudart (the shared runtime); without this CMake would also link
  # cudart_static into every executable that uses CUDA objects: two runtimes in one process.
  if(NOT DEFINED CMAKE_CUDA_RUNTIME_LIBRARY)
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
  endif()
  message(STATUS "bronze: CUDA on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, "
                 "archs ${CMAKE_CUDA_ARCHITECTURES}, C++${CMAKE_CUDA_STANDARD})")
else()
  message(STATUS "bronze: CUDA off (BRONZE_CUDA=${BRONZE_CUDA})")
endif()
unset(_bronze_cuda)
