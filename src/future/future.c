/* One-shot futures. The contract is in include/s3xfer/future.h; this note covers the mechanics.
 *
 * State (synced: under `lock`): done, error, value, value_taken, callback fields.
 * Invariants:
 *   done == false  =>  error == 0 && value == NULL
 *   callback_set && callback not yet fired  =>  the future holds one extra reference for it
 *   (taken at registration, dropped after the callback returned), so a registered callback always
 *   finds its future alive, and a pending future with a callback is never freed before it fires.
 * The callback is always invoked with no lock held. With an executor it runs through `task`, which
 * is embedded here, so posting a callback never allocates.
 */
#include <s3xfer/future.h>

#include "../common/common.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

struct s3x_future {
    struct s3x_allocator *allocator; /* immutable */
    struct s3x_ref_count ref;
    pthread_mutex_t lock;
    pthread_cond_t cond;

    /* synced */
    bool done;
    bool value_taken;
    bool callback_set;
    bool callback_fired;
    int error;
    void *value;
    s3x_future_value_dtor_fn *dtor;
    s3x_future_callback_fn *callback;
    void *callback_user;
    struct s3x_executor *executor;

    struct s3x_task task; /* used only to post the callback */
};

int s3x_future_new(struct s3x_allocator *allocator, struct s3x_future **out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (allocator == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_future *f = s3x_mem_calloc(allocator, 1, sizeof(*f));
    if (f == NULL) {
        return S3X_ERR_OOM;
    }
    f->allocator = allocator;
    s3x__ref_init(&f->ref);
    pthread_mutex_init(&f->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cond, &attr);
    pthread_condattr_destroy(&attr);
    *out = f;
    return 0;
}

struct s3x_future *s3x_future_acquire(struct s3x_future *future) {
    if (future != NULL) {
        s3x__ref_acquire(&future->ref);
    }
    return future;
}

struct s3x_future *s3x_future_release(struct s3x_future *future) {
    if (future == NULL || !s3x__ref_release(&future->ref)) {
        return NULL;
    }
    /* Last reference: no other thread can touch the future any more. */
    if (future->done && !future->value_taken && future->error == 0 && future->dtor != NULL) {
        future->dtor(future->value);
    }
    pthread_cond_destroy(&future->cond);
    pthread_mutex_destroy(&future->lock);
    s3x_mem_release(future->allocator, future);
    return NULL;
}

static void s_run_callback(struct s3x_future *future) {
    future->callback(future, future->callback_user);
    /* Drop the reference taken when the callback was registered. */
    s3x_future_release(future);
}

static void s_callback_task(struct s3x_task *task, int status) {
    S3X_UNUSED(status); /* at executor shutdown the callback still fires, exactly once */
    s_run_callback((struct s3x_future *)task->arg);
}

static void s_fire(struct s3x_future *future) {
    if (future->executor != NULL) {
        s3x_task_init(&future->task, s_callback_task, future);
        s3x_executor_post(future->executor, &future->task);
    } else {
        s_run_callback(future);
    }
}

/* Publishes the result. Returns whether this call won; *fire says whether the callback must be
 * fired by the caller (after unlocking). */
static bool s_complete_synced(struct s3x_future *future, int error, void *value, s3x_future_value_dtor_fn *dtor, bool *fire) {
    *fire = false;
    if (future->done) {
        return false;
    }
    future->done = true;
    future->error = error;
    future->value = value;
    future->dtor = dtor;
    if (future->callback_set && !future->callback_fired) {
        future->callback_fired = true;
        *fire = true;
    }
    pthread_cond_broadcast(&future->cond);
    return true;
}

bool s3x_future_complete(struct s3x_future *future, void *value, s3x_future_value_dtor_fn *dtor) {
    if (future == NULL) {
        if (dtor != NULL) {
            dtor(value);
        }
        return false;
    }
    bool fire;
    pthread_mutex_lock(&future->lock);
    bool won = s_complete_synced(future, 0, value, dtor, &fire);
    pthread_mutex_unlock(&future->lock);
    if (!won) {
        if (dtor != NULL) {
            dtor(value);
        }
        return false;
    }
    if (fire) {
        s_fire(future);
    }
    return true;
}

bool s3x_future_complete_error(struct s3x_future *future, int error) {
    if (future == NULL) {
        return false;
    }
    if (error == 0) {
        error = S3X_ERR_UNKNOWN;
    }
    bool fire;
    pthread_mutex_lock(&future->lock);
    bool won = s_complete_synced(future, error, NULL, NULL, &fire);
    pthread_mutex_unlock(&future->lock);
    if (fire) {
        s_fire(future);
    }
    return won;
}

int s3x_future_on_done(struct s3x_future *future, struct s3x_executor *executor, s3x_future_callback_fn *callback,
    void *user_data) {
    if (future == NULL || callback == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&future->lock);
    if (future->callback_set) {
        pthread_mutex_unlock(&future->lock);
        return S3X_ERR_FUTURE_CALLBACK_SET;
    }
    future->callback_set = true;
    future->callback = callback;
    future->callback_user = user_data;
    future->executor = executor;
    s3x__ref_acquire(&future->ref); /* the callback's reference */
    bool fire = false;
    if (future->done) {
        future->callback_fired = true;
        fire = true;
    }
    pthread_mutex_unlock(&future->lock);
    if (fire) {
        s_fire(future);
    }
    return 0;
}

bool s3x_future_is_done(struct s3x_future *future) {
    pthread_mutex_lock(&future->lock);
    bool done = future->done;
    pthread_mutex_unlock(&future->lock);
    return done;
}

int s3x_future_error(struct s3x_future *future) {
    pthread_mutex_lock(&future->lock);
    int error = future->done ? future->error : S3X_ERR_FUTURE_NOT_DONE;
    pthread_mutex_unlock(&future->lock);
    return error;
}

int s3x_future_take(struct s3x_future *future, void **out_value) {
    if (future == NULL || out_value == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out_value = NULL;
    int result;
    pthread_mutex_lock(&future->lock);
    if (!future->done) {
        result = S3X_ERR_FUTURE_NOT_DONE;
    } else if (future->error != 0) {
        result = future->error;
    } else if (future->value_taken) {
        result = S3X_ERR_FUTURE_VALUE_TAKEN;
    } else {
        future->value_taken = true;
        *out_value = future->value;
        future->value = NULL;
        result = 0;
    }
    pthread_mutex_unlock(&future->lock);
    return result;
}

int s3x_future_wait(struct s3x_future *future, uint64_t timeout_ms) {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ms != UINT64_MAX) {
        uint64_t ns = (uint64_t)deadline.tv_nsec + (timeout_ms % 1000u) * 1000000u;
        deadline.tv_sec += (time_t)(timeout_ms / 1000u) + (time_t)(ns / 1000000000u);
        deadline.tv_nsec = (long)(ns % 1000000000u);
    }
    int result = 0;
    pthread_mutex_lock(&future->lock);
    while (!future->done) {
        if (timeout_ms == UINT64_MAX) {
            pthread_cond_wait(&future->cond, &future->lock);
        } else if (pthread_cond_timedwait(&future->cond, &future->lock, &deadline) == ETIMEDOUT) {
            result = future->done ? 0 : S3X_ERR_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&future->lock);
    return result;
}
