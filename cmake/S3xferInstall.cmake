# Install rules: library, headers, CMake package, pkg-config file.
#
#   cmake --install build --prefix /opt/s3xfer
#   -> lib/libs3xfer.so.0.1.0 (+ .so.0, .so), include/s3xfer/*.h,
#      lib/cmake/s3xfer/{s3xfer-config,s3xfer-config-version,s3xfer-targets*}.cmake,
#      lib/pkgconfig/s3xfer.pc, bin/s3xfer, share/man/man1/s3xfer.1
#
# Downstream:  find_package(s3xfer 0.1 REQUIRED) + target_link_libraries(app PRIVATE s3xfer::s3xfer)
#          or  cc app.c $(pkg-config --cflags --libs s3xfer)
# The library's own dependencies (libcurl, libcrypto, expat, ISA-L) are private to the shared
# library; only Threads is part of its interface.
include(CMakePackageConfigHelpers)

set(S3XFER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/s3xfer)

install(TARGETS s3xfer EXPORT s3xfer-targets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/s3xfer
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.h")
install(EXPORT s3xfer-targets
    NAMESPACE s3xfer::
    DESTINATION ${S3XFER_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/s3xfer-config.cmake.in
    ${PROJECT_BINARY_DIR}/s3xfer-config.cmake
    INSTALL_DESTINATION ${S3XFER_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/s3xfer-config-version.cmake
    VERSION ${PROJECT_VERSION}
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/s3xfer-config.cmake ${PROJECT_BINARY_DIR}/s3xfer-config-version.cmake
    DESTINATION ${S3XFER_CMAKE_DIR})

# pkg-config: the prefix is found relative to the .pc file, so an installed tree can be moved.
file(RELATIVE_PATH S3XFER_PC_TO_PREFIX
    ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" S3XFER_PC_TO_PREFIX "${S3XFER_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/s3xfer.pc.in ${PROJECT_BINARY_DIR}/s3xfer.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/s3xfer.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
