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
 *
 * Internal additions (future_internal.h), for producers such as the buffer pools:
 *   - the producer's hook: a second, producer-side notification that runs exactly once when the
 *     future completes, whoever completes it, on the completing thread, with no lock held, before
 *     the callback is fired. A pool uses it to learn at once that a waiter cancelled its
 *     reservation (the callback slot belongs to the consumer).
 *   - static error futures: completed, immutable, never freed (`is_static`); acquire and release
 *     are no-ops. They let "reserve never returns NULL" hold when not even a future can be
 *     allocated. Invariant: is_static => done && error != 0 && !callback_set && hook == NULL.
 */
#include <s3xfer/future.h>

#include "../common/common.h"
#include "future_internal.h"

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
    s3x__future_hook_fn *hook; /* producer's hook, cleared when taken to be run */
    void *hook_user;

    struct s3x_task task; /* used only to post the callback */
    bool is_static;       /* immutable: a never-freed error future */
};

#define S_STATIC_ERROR_FUTURE(code)                                                                \
    {                                                                                              \
        .ref = {1}, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .done = true, \
        .error = (code), .is_static = true,                                                        \
    }
static struct s3x_future s_static_oom = S_STATIC_ERROR_FUTURE(S3X_ERR_OOM);
static struct s3x_future s_static_invalid_argument = S_STATIC_ERROR_FUTURE(S3X_ERR_INVALID_ARGUMENT);

struct s3x_future *s3x__future_static_error(int error) {
    return error == S3X_ERR_INVALID_ARGUMENT ? &s_static_invalid_argument : &s_static_oom;
}

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
    if (future != NULL && !future->is_static) {
        s3x__ref_acquire(&future->ref);
    }
    return future;
}

struct s3x_future *s3x_future_release(struct s3x_future *future) {
    if (future == NULL || future->is_static || !s3x__ref_release(&future->ref)) {
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

/* A producer hook taken out under the lock, to run after unlocking. */
struct s_hook_call {
    s3x__future_hook_fn *fn;
    void *user;
};

/* Publishes the result. Returns whether this call won; *fire says whether the callback must be
 * fired by the caller (after unlocking); *hook is the producer's hook to run (after unlocking). */

static bool s_complete_synced(struct s3x_future *future, int error, void *value, s3x_future_value_dtor_fn *dtor,
    bool *fire, struct s_hook_call *hook) {
    *fire = false;
    hook->fn = NULL;
    if (future->done) {
        return false;
    }
    hook->fn = future->hook;
    hook->user = future->hook_user;
    future->hook = NULL;
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
    struct s_hook_call hook;
    pthread_mutex_lock(&future->lock);
    bool won = s_complete_synced(future, 0, value, dtor, &fire, &hook);
    pthread_mutex_unlock(&future->lock);
    if (!won) {
        if (dtor != NULL) {
            dtor(value);
        }
        return false;
    }
    if (hook.fn != NULL) {
        hook.fn(future, hook.user);
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
    struct s_hook_call hook;
    pthread_mutex_lock(&future->lock);
    bool won = s_complete_synced(future, error, NULL, NULL, &fire, &hook);
    pthread_mutex_unlock(&future->lock);
    if (hook.fn != NULL) {
        hook.fn(future, hook.user);
    }
    if (fire) {
        s_fire(future);
    }
    return won;
}

/* A static future is shared by every caller, so it stores no callback: each registration fires at
 * once (without an executor) or through a task allocated for it (with one). If even that small
 * allocation fails, the callback runs inline: it still fires exactly once. */
struct s_static_task {
    struct s3x_task task;
    struct s3x_future *future;
    s3x_future_callback_fn *callback;
    void *user_data;
};

static void s_static_task_run(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s_static_task *st = task->arg;
    st->callback(st->future, st->user_data);
    s3x_mem_release(s3x_allocator_system(), st);
}

static int s_static_on_done(struct s3x_future *future, struct s3x_executor *executor, s3x_future_callback_fn *callback,
    void *user_data) {
    struct s_static_task *st = NULL;
    if (executor != NULL) {
        st = s3x_mem_acquire(s3x_allocator_system(), sizeof(*st));
    }
    if (st == NULL) {
        callback(future, user_data);
        return 0;
    }
    st->future = future;
    st->callback = callback;
    st->user_data = user_data;
    s3x_task_init(&st->task, s_static_task_run, st);
    s3x_executor_post(executor, &st->task);
    return 0;
}

bool s3x__future_complete_unshared(struct s3x_future *future, void *value, s3x_future_value_dtor_fn *dtor) {
    /* No other thread has the pointer: no waiter, no callback, no hook can exist, and whoever gets
     * the future later gets it through a synchronizing hand-over. */
    if (future == NULL || future->is_static || future->done || future->callback_set || future->hook != NULL) {
        return s3x_future_complete(future, value, dtor); /* the general path handles every case */
    }
    future->done = true;
    future->value = value;
    future->dtor = dtor;
    return true;
}

int s3x__future_set_hook(struct s3x_future *future, s3x__future_hook_fn *hook, void *user_data) {
    if (future == NULL || hook == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (future->is_static) {
        return S3X_ERR_INVALID_STATE;
    }
    int result = 0;
    pthread_mutex_lock(&future->lock);
    if (future->done || future->hook != NULL) {
        result = S3X_ERR_INVALID_STATE;
    } else {
        future->hook = hook;
        future->hook_user = user_data;
    }
    pthread_mutex_unlock(&future->lock);
    return result;
}

int s3x_future_on_done(struct s3x_future *future, struct s3x_executor *executor, s3x_future_callback_fn *callback,
    void *user_data) {
    if (future == NULL || callback == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (future->is_static) {
        return s_static_on_done(future, executor, callback, user_data);
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
