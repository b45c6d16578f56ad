/* Server-side copy (S3X_TRANSFER_COPY): placeholder until the copy transfer lands. */
#include "transfer_impl.h"

static int s_init(struct s3x_transfer *t) {
    S3X_UNUSED(t);
    return S3X_ERR_UNSUPPORTED;
}

static void s_start(struct s3x_transfer *t) {
    S3X_UNUSED(t);
}

static void s_cancel(struct s3x_transfer *t) {
    S3X_UNUSED(t);
}

static void s_destroy(struct s3x_transfer *t) {
    S3X_UNUSED(t);
}

const struct s3x_transfer_vtable s3x__copy_vtable = {
    .init = s_init,
    .start = s_start,
    .cancel = s_cancel,
    .destroy = s_destroy,
};
