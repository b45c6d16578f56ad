# Checksums: CRC32/CRC32C (ISA-L), CRC-64/NVME (ours), SHA1/SHA256 (OpenSSL), base64, combine.
target_sources(s3xfer_obj PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/checksums.c
    ${CMAKE_CURRENT_LIST_DIR}/crc64nvme.c)
