/* s3xfer: symbol visibility. Only declarations marked S3X_API are exported from the shared
 * library; everything else is hidden (built with -fvisibility=hidden). */
#ifndef S3XFER_EXPORTS_H
#define S3XFER_EXPORTS_H

#if defined(S3XFER_BUILDING) && defined(__GNUC__)
#    define S3X_API __attribute__((visibility("default")))
#else
#    define S3X_API
#endif

#endif
