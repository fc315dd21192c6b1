# tests/tools (included from tests/CMakeLists.txt): the `bronze` CLI tests (bronze_test_tools)
# run the built program, and cpp_inference_example installs bronze into a fresh prefix, builds
# examples/cpp_inference against it with find_package(bronze) and compares its outputs with
# `bronze run`'s bitwise (cpp_inference_test.cmake).
if(TARGET bronze_test_tools)
  target_compile_definitions(bronze_test_tools PRIVATE
    BRONZE_CLI_PATH="$<TARGET_FILE:bronze_cli>")
  add_dependencies(bronze_test_tools bronze_cli)
endif()

add_test(NAME cpp_inference_example
  COMMAND ${CMAKE_COMMAND}
    -DBRONZE_BINARY_DIR=${PROJECT_BINARY_DIR}
    -DBRONZE_SOURCE_DIR=${PROJECT_SOURCE_DIR}
    -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/tmp/cpp_inference_example
    -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
    -DCXX_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
    -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
    -DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
    -P ${CMAKE_CURRENT_SOURCE_DIR}/tools/cpp_inference_test.cmake)
set_tests_properties(cpp_inference_example PROPERTIES TIMEOUT 600 LABELS "install")
