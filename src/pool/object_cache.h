/* A small, reference-counted cache of fixed-size objects, presented as an allocator. */
#ifndef S3XFER_SRC_POOL_OBJECT_CACHE_H
#define S3XFER_SRC_POOL_OBJECT_CACHE_H

#include "../common/common.h"

/* Creates a cache over `backing` that recycles objects of up to `object_size` bytes, keeping at
 * most `max_cached` free ones. Larger requests pass through to `backing`. The cache lives until
 * its owner orphaned it AND every object acquired from it was released, so objects may outlive
 * the owner (a future held by the application after its pool is gone). Returns 0 or S3X_ERR_OOM. */
int s3x__object_cache_new(struct s3x_allocator *backing, size_t object_size, size_t max_cached,
    struct s3x_allocator **out);
/* The owner lets go of the cache. NULL allowed. */
void s3x__object_cache_orphan(struct s3x_allocator *cache);
/* Frees the cached free objects; returns how many. */
size_t s3x__object_cache_trim(struct s3x_allocator *cache);

#endif
