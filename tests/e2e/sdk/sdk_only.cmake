# cmake -DSOURCE=<repo> -DBINARY=<scratch dir> -DGENERATOR=Ninja -P sdk_only.cmake
# Configures the repository with -DKRIGE_SDK_ONLY=ON and with the server-only packages made
# unfindable, then checks that none of them was looked up and no server target exists.
file(REMOVE_RECURSE ${BINARY})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${BINARY} -G ${GENERATOR} -DKRIGE_SDK_ONLY=ON
          -DCMAKE_DISABLE_FIND_PACKAGE_NLopt=ON -DCMAKE_DISABLE_FIND_PACKAGE_Eigen3=ON
          -DCMAKE_DISABLE_FIND_PACKAGE_xgboost=ON -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "KRIGE_SDK_ONLY configure failed:\n${out}\n${err}")
endif()
file(STRINGS ${BINARY}/CMakeCache.txt cache)
foreach(line ${cache})
  if(line MATCHES "^(PQXX|LIBSVM|LIBLINEAR|NLopt|Eigen3|xgboost|GTest)[A-Za-z_]*:")
    message(FATAL_ERROR "KRIGE_SDK_ONLY looked for a server dependency: ${line}")
  endif()
endforeach()
# The build rules name every output (Ninja: build.ninja; Makefiles: the target list).
if(GENERATOR STREQUAL "Ninja")
  file(READ ${BINARY}/build.ninja ninja)
else()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY} --target help OUTPUT_VARIABLE ninja)
endif()
foreach(target krige_server krige_worker krige_tuners krige_training krige_storage)
  string(REGEX MATCH "[^A-Za-z0-9_]${target}[^A-Za-z0-9_]" at "${ninja}")
  if(at)
    message(FATAL_ERROR "KRIGE_SDK_ONLY builds ${target}")
  endif()
endforeach()
foreach(target krige_package_sdk_shared krige_package_worker_shared krige_cli)
  string(REGEX MATCH "[^A-Za-z0-9_]${target}[^A-Za-z0-9_]" at "${ninja}")
  if(NOT at)
    message(FATAL_ERROR "KRIGE_SDK_ONLY does not build ${target}")
  endif()
endforeach()
file(REMOVE_RECURSE ${BINARY})
