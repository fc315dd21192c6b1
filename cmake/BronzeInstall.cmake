# Installation and the CMake package. `cmake --install build --prefix P` installs
#   P/lib/libbronze_*.a                      the static libraries (component dev)
#   P/include/bronze/bronze.h                the public header, and beside it the header trees
#   P/include/bronze/{graph,passes,kernels,runtime,serialization}/*.h   it includes (paths kept)
#   P/lib/cmake/bronze/bronze{Config,ConfigVersion,Targets}.cmake      the package (dev)
#   P/bin/bronze                             the command line (component cli, tools/)
# so a consumer writes find_package(bronze REQUIRED) and target_link_libraries(app bronze::bronze).
# The config calls find_dependency for every third-party package the static libraries link,
# worked out from their link libraries here, so a dependency added to a library is not missed.
include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(BRONZE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/bronze)
set(_bronze_libs bronze_graph bronze_passes bronze_kernels bronze_runtime bronze_serialization)

install(TARGETS bronze ${_bronze_libs} EXPORT bronzeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/include/bronze/bronze.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bronze COMPONENT dev)
foreach(dir graph passes kernels runtime serialization)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bronze/${dir}
          COMPONENT dev FILES_MATCHING PATTERN "*.h")
endforeach()

# A static library built with sanitizers needs them at the consumer's link too.
if(BRONZE_SANITIZE)
  list(JOIN BRONZE_SANITIZE "," _bronze_sanitizers)
  target_link_options(bronze INTERFACE $<INSTALL_INTERFACE:-fsanitize=${_bronze_sanitizers}>)
endif()

# find_dependency() lines for the imported targets the libraries link (package per namespace).
set(_bronze_packages)
foreach(lib ${_bronze_libs})
  get_target_property(_links ${lib} LINK_LIBRARIES)
  foreach(item IN LISTS _links)
    if(item MATCHES "^(bronze_|bronze::)" OR NOT item MATCHES "::")
      continue()
    endif()
    if(item MATCHES "^TBB::")
      list(APPEND _bronze_packages "TBB CONFIG")
    elseif(item MATCHES "^DNNL::")
      list(APPEND _bronze_packages "dnnl CONFIG")
    elseif(item MATCHES "^hwy::")
      list(APPEND _bronze_packages "hwy CONFIG")
    elseif(item MATCHES "^OpenMP::")
      list(APPEND _bronze_packages "OpenMP COMPONENTS CXX")
    elseif(item MATCHES "^flatbuffers::")
      list(APPEND _bronze_packages "FlatBuffers CONFIG")
    elseif(item MATCHES "^CUDA::")
      list(APPEND _bronze_packages "CUDAToolkit")
    elseif(item MATCHES "^ZLIB::")
      list(APPEND _bronze_packages "ZLIB")
    elseif(item MATCHES "^Threads::")
      list(APPEND _bronze_packages "Threads")
    else()
      message(FATAL_ERROR "cmake/BronzeInstall.cmake: ${lib} links ${item}; add the package that "
                          "provides it to the find_dependency mapping so installed bronze finds it")
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES _bronze_packages)
set(BRONZE_FIND_DEPENDENCIES "")
foreach(p IN LISTS _bronze_packages)
  string(APPEND BRONZE_FIND_DEPENDENCIES "find_dependency(${p})\n")
endforeach()

install(EXPORT bronzeTargets NAMESPACE bronze:: DESTINATION ${BRONZE_INSTALL_CMAKEDIR}
        COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/bronzeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/bronzeConfig.cmake INSTALL_DESTINATION ${BRONZE_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API, so a consumer asking for 0.1 accepts 0.1.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bronzeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bronzeConfig.cmake
              ${PROJECT_BINARY_DIR}/bronzeConfigVersion.cmake
        DESTINATION ${BRONZE_INSTALL_CMAKEDIR} COMPONENT dev)
unset(_bronze_libs)
unset(_bronze_packages)
