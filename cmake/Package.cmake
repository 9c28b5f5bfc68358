# The installed SDK: what `cmake --install` and `cpack -G DEB` ship (docs/architecture.md,
# "Packaging").
#
# The libraries a user links are built from the objects of the internal targets (compiled
# once, position-independent), each as a static and a shared library with an installed
# interface:
#   libkrige_core    value types, codecs, spec validation         (internal: krige_core)
#   libkrige_sdk     the REST Client                               (krige_sdk)
#   libkrige_worker  the worker runtime and krige::Optimize        (krige_worker_runtime,
#                                                                   krige_wire, krige_curve)
#   libkrige_tuners  the in-process ask/tell tuners                (krige_tuners)
# exported as Krige::<name>_shared / Krige::<name>_static; KrigeConfig.cmake adds Krige::<name>,
# the shared one unless KRIGE_USE_STATIC_LIBS is ON.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(KRIGE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Krige)
set(KRIGE_PACKAGE_LIBS)

# krige_package_library(NAME OBJECTS <internal targets> [KRIGE <package libs it uses>]
#                       [PUBLIC <targets>] [PRIVATE <targets>])
# PRIVATE targets are only what the objects need at link time (they are compiled already).
function(krige_package_library name)
  cmake_parse_arguments(L "" "" "OBJECTS;KRIGE;PUBLIC;PRIVATE" ${ARGN})
  set(objects)
  foreach(target ${L_OBJECTS})
    list(APPEND objects $<TARGET_OBJECTS:${target}>)
  endforeach()
  foreach(kind shared static)
    set(t krige_package_${name}_${kind})
    string(TOUPPER ${kind} type)
    add_library(${t} ${type} ${objects})
    set_target_properties(${t} PROPERTIES
      OUTPUT_NAME krige_${name}
      EXPORT_NAME ${name}_${kind}
      ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/package
      LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/package)
    target_include_directories(${t} INTERFACE
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/sdk/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    target_compile_features(${t} INTERFACE cxx_std_17)
    foreach(dep ${L_KRIGE})
      target_link_libraries(${t} PUBLIC krige_package_${dep}_${kind})
    endforeach()
    target_link_libraries(${t} PUBLIC ${L_PUBLIC} PRIVATE ${L_PRIVATE})
  endforeach()
  set_target_properties(krige_package_${name}_shared PROPERTIES
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
    INSTALL_RPATH "$ORIGIN")
  set(KRIGE_PACKAGE_LIBS ${KRIGE_PACKAGE_LIBS} ${name} PARENT_SCOPE)
endfunction()

krige_package_library(core OBJECTS krige_core
  PUBLIC nlohmann_json::nlohmann_json
  PRIVATE yaml-cpp PkgConfig::SODIUM)
krige_package_library(sdk OBJECTS krige_sdk KRIGE core
  PRIVATE OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
krige_package_library(worker OBJECTS krige_worker_runtime krige_wire krige_curve KRIGE sdk core
  PRIVATE cppzmq spdlog::spdlog Threads::Threads)
if(TARGET krige_tuners)
  krige_package_library(tuners OBJECTS krige_tuners KRIGE core PRIVATE NLopt::nlopt)
  target_include_directories(krige_package_tuners_shared INTERFACE
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/tuners/include>)
  target_include_directories(krige_package_tuners_static INTERFACE
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/tuners/include>)
endif()

# Programs. krige-pg-cluster is the PostgreSQL helper `krige up` runs from next to krige.
set(KRIGE_PROGRAMS krige_cli)
if(NOT KRIGE_SDK_ONLY)
  list(APPEND KRIGE_PROGRAMS krige_server krige_worker)
endif()
install(TARGETS ${KRIGE_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(PROGRAMS ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/krige-pg-cluster
  DESTINATION ${CMAKE_INSTALL_BINDIR})

# Headers: the public ones only (sdk/include/krige, tuners/include/krige/tuners).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/krige
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp"
  PATTERN "embedded.hpp" EXCLUDE)  # cmake/Embed.cmake's, for the programs
if(TARGET krige_tuners)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/tuners/include/krige
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
endif()

# Libraries and their CMake interface.
foreach(kind shared static)
  set(targets)
  foreach(name ${KRIGE_PACKAGE_LIBS})
    list(APPEND targets krige_package_${name}_${kind})
  endforeach()
  install(TARGETS ${targets} EXPORT Krige-${kind}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT Krige-${kind} NAMESPACE Krige:: FILE Krige-${kind}-targets.cmake
    DESTINATION ${KRIGE_CMAKE_DIR})
endforeach()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/KrigeConfig.cmake.in
  ${CMAKE_BINARY_DIR}/package/KrigeConfig.cmake INSTALL_DESTINATION ${KRIGE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/KrigeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/package/KrigeConfig.cmake
  ${CMAKE_BINARY_DIR}/package/KrigeConfigVersion.cmake DESTINATION ${KRIGE_CMAKE_DIR})

# pkg-config: relative to the .pc file, so the install prefix may be chosen at install time.
file(RELATIVE_PATH KRIGE_PC_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" KRIGE_PC_PREFIX "${KRIGE_PC_PREFIX}")
set(KRIGE_PC_LIBS "-lkrige_worker -lkrige_sdk -lkrige_core")
set(KRIGE_PC_LIBS_PRIVATE "-lyaml-cpp -lsodium -lzmq -lspdlog -lfmt -lssl -lcrypto -pthread")
if(TARGET krige_tuners)
  string(PREPEND KRIGE_PC_LIBS "-lkrige_tuners ")
  string(APPEND KRIGE_PC_LIBS_PRIVATE " -lnlopt")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/krige.pc.in ${CMAKE_BINARY_DIR}/package/krige.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/package/krige.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# cpack -G DEB (from the build directory): everything above in one package.
set(CPACK_PACKAGE_NAME krige)
set(CPACK_PACKAGE_VENDOR krige)
set(CPACK_PACKAGE_CONTACT "krige maintainers <krige@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Distributed hyperparameter tuning: server, worker, CLI and C++ SDK")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Runtime dependencies from the programs' and libraries' NEEDED entries (dpkg-shlibdeps), plus
# the headers an SDK user compiles against.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "nlohmann-json3-dev")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-15")
include(CPack)
