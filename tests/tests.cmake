# Test registration. Conventions:
#   tests/test_<name>.cpp          unit test, links lip (float), label "unit"
#   tests/test_<name>_double.cpp   links lip_double (finite-difference checks), label "gradcheck"
#   tests/mpi/test_<name>.cpp      run under mpiexec -n 1 and -n 2, label "mpi"
#   tests/long/test_<name>.cpp     registered only with -DLIP_LONG_TESTS=ON, label "long"
#   tests/*.sh                     driver-level checks, run with bash, label "driver"
#   tests/lint/check_*.py          source checks (Debian's python3), label "lint"
find_package(GTest REQUIRED)

add_library(lip_test_main OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/tests/support/test_main.cpp)
target_link_libraries(lip_test_main PUBLIC Kokkos::kokkos MPI::MPI_CXX GTest::gtest)

set(LIP_TEST_ENV "OMP_WAIT_POLICY=passive;OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;OMP_NUM_THREADS=2;OMP_PROC_BIND=false;LIP_SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR};LIP_BUILD_DIR=${CMAKE_BINARY_DIR}")

function(lip_add_gtest src lib label)
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src} $<TARGET_OBJECTS:lip_test_main>)
  target_link_libraries(${name} PRIVATE ${lib} GTest::gtest)
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/tests)
  set(${name}_TARGET ${name} PARENT_SCOPE)
endfunction()

file(GLOB LIP_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_*.cpp)
foreach(src ${LIP_UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  if(name MATCHES "_double$")
    if(NOT LIP_BUILD_DOUBLE)
      continue()
    endif()
    lip_add_gtest(${src} lip_double gradcheck)
    set(label gradcheck)
  else()
    lip_add_gtest(${src} lip unit)
    set(label unit)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS ${label} ENVIRONMENT "${LIP_TEST_ENV}"
                       WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
endforeach()

file(GLOB LIP_MPI_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/mpi/test_*.cpp)
foreach(src ${LIP_MPI_TESTS})
  get_filename_component(name ${src} NAME_WE)
  lip_add_gtest(${src} lip mpi)
  foreach(np 1 2)
    add_test(NAME ${name}_np${np}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${LIP_MPIEXEC_EXTRA_FLAGS}
                     ${MPIEXEC_PREFLAGS} $<TARGET_FILE:${name}> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(${name}_np${np} PROPERTIES LABELS mpi PROCESSORS ${np}
                         ENVIRONMENT "${LIP_TEST_ENV};OMP_NUM_THREADS=1" WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  endforeach()
endforeach()

if(LIP_LONG_TESTS)
  file(GLOB LIP_LONG_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/long/test_*.cpp)
  foreach(src ${LIP_LONG_TEST_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    lip_add_gtest(${src} lip long)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS long ENVIRONMENT "${LIP_TEST_ENV}"
                         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  endforeach()
endif()

file(GLOB LIP_SCRIPT_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/driver/test_*.sh)
foreach(src ${LIP_SCRIPT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${src})
  set_tests_properties(${name} PROPERTIES LABELS driver SKIP_RETURN_CODE 77 ENVIRONMENT "${LIP_TEST_ENV}"
                       WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
endforeach()

file(GLOB LIP_LINT_CHECKS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/lint/check_*.py)
foreach(src ${LIP_LINT_CHECKS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME lint_${name} COMMAND /usr/bin/python3 ${src} ${CMAKE_CURRENT_SOURCE_DIR})
  set_tests_properties(lint_${name} PROPERTIES LABELS lint)
endforeach()
