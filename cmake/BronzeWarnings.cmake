# bronze_target_defaults(target): the settings every bronze library, executable and test target
# gets: warnings (C++ sources only), -Werror when BRONZE_WERROR, sanitizers from BRONZE_SANITIZE,
# and position-independent code (the libraries will be linked into the Python extension).

include_guard(GLOBAL)

function(bronze_target_defaults target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "bronze_target_defaults: no target named \"${target}\"")
  endif()

  # Warnings for C++ sources only (nvcc gets none of these; CUDA warnings are a later topic).
  set(_cxx_flags -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough)
  if(BRONZE_WERROR)
    list(APPEND _cxx_flags -Werror)
  endif()

  if(BRONZE_SANITIZE)
    list(JOIN BRONZE_SANITIZE "," _sanitizers)
    list(APPEND _cxx_flags -fsanitize=${_sanitizers} -fno-omit-frame-pointer)
    if("undefined" IN_LIST BRONZE_SANITIZE)
      # Make UBSan findings fail the program (and the test) instead of printing and going on.
      list(APPEND _cxx_flags -fno-sanitize-recover=undefined)
    endif()
    # Links are done by the C++ driver, also for targets with CUDA sources.
    target_link_options(${target} PRIVATE -fsanitize=${_sanitizers})
  endif()

  # Quoted, so the list stays inside one generator expression.
  target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:${_cxx_flags}>")

  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
