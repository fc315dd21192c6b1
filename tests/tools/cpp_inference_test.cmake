# The installed-package test (ctest cpp_inference_example): `cmake --install` into a fresh prefix,
# configure and build examples/cpp_inference against it (find_package(bronze), Ninja), run it on
# tests/tools/data/mlp.txt with generated inputs that it saves, run the installed `bronze run`
# on those inputs, and require every output file to be byte-identical.
# Variables: BRONZE_BINARY_DIR BRONZE_SOURCE_DIR WORK_DIR CXX_COMPILER CXX_LAUNCHER BUILD_TYPE
# MAKE_PROGRAM.
cmake_minimum_required(VERSION 3.25)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  message(STATUS "${what}: ok")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run_step("install" ${CMAKE_COMMAND} --install ${BRONZE_BINARY_DIR} --prefix ${prefix})
foreach(f bin/bronze include/bronze/bronze.h lib/cmake/bronze/bronzeConfig.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "the install has no ${f}")
  endif()
endforeach()

set(configure ${CMAKE_COMMAND} -S ${BRONZE_SOURCE_DIR}/examples/cpp_inference
    -B ${WORK_DIR}/build -G Ninja -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
if(MAKE_PROGRAM)
  list(APPEND configure -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(CXX_LAUNCHER)
  list(APPEND configure -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_LAUNCHER})
endif()
run_step("configure the example" ${configure})
run_step("build the example" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)

set(model ${BRONZE_SOURCE_DIR}/tests/tools/data/mlp.txt)
run_step("run the example" ${WORK_DIR}/build/cpp_inference ${model} --batch 5 --threads 2
         --save-inputs ${WORK_DIR}/inputs --output-dir ${WORK_DIR}/cpp)
run_step("bronze run" ${prefix}/bin/bronze run ${model} --input x=${WORK_DIR}/inputs/x.npy
         --threads 2 --output-dir ${WORK_DIR}/cli)

foreach(output logits.npy head/probs.npy)
  if(NOT EXISTS ${WORK_DIR}/cpp/${output} OR NOT EXISTS ${WORK_DIR}/cli/${output})
    message(FATAL_ERROR "missing output ${output} from the example or from bronze run")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK_DIR}/cpp/${output}
                          ${WORK_DIR}/cli/${output} RESULT_VARIABLE differ)
  if(differ)
    message(FATAL_ERROR "${output}: the example and bronze run differ")
  endif()
endforeach()
message(STATUS "cpp_inference and bronze run agree bitwise")
# The prefix holds a copy of the static libraries (hundreds of MB with debug info): drop it.
file(REMOVE_RECURSE ${prefix})
