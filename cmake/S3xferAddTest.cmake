# s3xfer_add_test(NAME name SOURCES ... [LIBS ...] [TIMEOUT s] [LABELS ...])
#
# Builds one cmocka test executable per area and registers each of its test functions as its own
# CTest test (its own process, its own timeout), discovered at ctest time by running `exe --list`,
# the way gtest_discover_tests does.
function(s3xfer_add_test)
    cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 300)
    endif()
    set(exe test_${T_NAME})
    add_executable(${exe} ${T_SOURCES})
    target_link_libraries(${exe} PRIVATE s3xfer_test_harness s3xfer_internal ${T_LIBS})
    target_compile_definitions(${exe} PRIVATE _GNU_SOURCE)
    s3xfer_set_warnings(${exe})
    # cmocka's macros cast in ways -Wconversion dislikes; the tests keep the other warnings.
    target_compile_options(${exe} PRIVATE -Wno-conversion -Wno-sign-conversion -Wno-missing-prototypes)

    set(script "${CMAKE_CURRENT_BINARY_DIR}/${exe}_discover.cmake")
    file(GENERATE OUTPUT "${script}" CONTENT "
execute_process(COMMAND \"$<TARGET_FILE:${exe}>\" --list OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    add_test(${T_NAME}.LIST_FAILED \"$<TARGET_FILE:${exe}>\" --list)
else()
    string(REPLACE \"\\n\" \";\" names \"\${out}\")
    foreach(n IN LISTS names)
        if(n MATCHES \"[a-zA-Z0-9_]\")
            add_test(${T_NAME}.\${n} \"$<TARGET_FILE:${exe}>\" \${n})
            set_tests_properties(${T_NAME}.\${n} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS \"${T_NAME};${T_LABELS}\")
        endif()
    endforeach()
endif()
")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()
