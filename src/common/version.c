/* The library's version, as compiled. */
#include <s3xfer/s3xfer.h>

const char *s3x_version(void) {
    return S3XFER_VERSION_STRING;
}
