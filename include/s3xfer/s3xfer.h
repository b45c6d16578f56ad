/* s3xfer: moves large objects to and from S3 inside a hard memory budget.
 * The umbrella header: version, errors, allocators, futures, logging, pools, client, transfers. */
#ifndef S3XFER_S3XFER_H
#define S3XFER_S3XFER_H

#include <s3xfer/allocator.h>
#include <s3xfer/checksum.h>
#include <s3xfer/client.h>
#include <s3xfer/credentials.h>
#include <s3xfer/error.h>
#include <s3xfer/exports.h>
#include <s3xfer/future.h>
#include <s3xfer/log.h>
#include <s3xfer/objects.h>
#include <s3xfer/pool.h>
#include <s3xfer/transfer.h>

#define S3XFER_VERSION_MAJOR 0
#define S3XFER_VERSION_MINOR 1
#define S3XFER_VERSION_PATCH 0
#define S3XFER_VERSION_STRING "0.1.0"

/* The library's version string ("0.1.0"), which may differ from the header's when the shared
 * library was upgraded. */
S3X_API const char *s3x_version(void);

#endif
