# Strict warnings, as errors, for every target of the project.
function(s3xfer_set_warnings target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Werror -Wpedantic
        -Wshadow -Wconversion -Wsign-conversion -Wstrict-prototypes -Wmissing-prototypes
        -Wold-style-definition -Wpointer-arith -Wcast-align -Wwrite-strings -Wundef
        -Wformat=2 -Wvla -Wnull-dereference -Wdouble-promotion -Wimplicit-fallthrough)
    if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
        target_compile_options(${target} PRIVATE -Wlogical-op -Wduplicated-cond -Wduplicated-branches)
    endif()
endfunction()
