/* s3xfer: one-shot, thread-safe futures and the executor interface.
 *
 * A future is completed once, either with a value (pointer-sized, with an optional destructor) or
 * with an error code. It is reference counted: `s3x_future_new` returns it with one reference.
 *
 * Contract (every race included):
 *
 * Completion.  `s3x_future_complete` and `s3x_future_complete_error` may be called from any thread,
 *   by anyone holding a reference. The first completion wins and the call returns true. A later
 *   completion loses and returns false: a late value is destroyed through its destructor before the
 *   call returns (exactly once), a late error is ignored. Completing with an error is how a waiter
 *   cancels: a producer that completes afterwards sees `false` and its value is destroyed (for a
 *   pool, an unwanted ticket goes straight back).
 *
 * Ownership of the value.  From a winning completion on, the future owns the value. `s3x_future_take`
 *   moves it out to the caller (who then owns it; the future no longer destroys it); it can be taken
 *   once. Releasing the last reference of a completed future whose value was not taken destroys the
 *   value. A value completed with a NULL destructor is simply dropped.
 *
 * Callback.  At most one callback can be registered (`s3x_future_on_done`); a second registration
 *   fails with S3X_ERR_FUTURE_CALLBACK_SET and that callback never fires. The registered callback
 *   fires exactly once:
 *     - without an executor: on the thread that completes the future, after the completing call has
 *       published the result and released the future's lock (so the callback may call any function
 *       of the future, complete other futures, reserve and release); or, when the future is already
 *       complete at registration, on the registering thread before `s3x_future_on_done` returns;
 *     - with an executor: posted to the executor, which runs it on its thread (never re-entrantly
 *       inside `s3x_future_on_done` or the completing call). If that executor is shut down, it runs
 *       the callback at shutdown instead; it still fires exactly once.
 *   The future keeps itself alive until its callback has returned, so the registrant may release
 *   its reference right after registering.
 *
 * Waiting.  `s3x_future_wait` blocks the calling thread until completion or a timeout. It must not be
 *   called on the executor thread that would run the completion (it would wait forever).
 *
 * Lifetime.  `s3x_future_release(NULL)` is allowed and returns NULL. A future never completed and
 *   released by everyone is freed without firing its callback (nothing registered can be waiting:
 *   the callback's own reference keeps a registered future alive, so this only happens to futures
 *   no one registered on).
 */
#ifndef S3XFER_FUTURE_H
#define S3XFER_FUTURE_H

#include <s3xfer/allocator.h>
#include <s3xfer/exports.h>

#include <stdbool.h>
#include <stdint.h>

/* --- executor ---------------------------------------------------------------------------- */

struct s3x_task;
/* status: 0 when run by the executor normally, S3X_ERR_EXECUTOR_SHUTDOWN when run at shutdown. */
typedef void(s3x_task_fn)(struct s3x_task *task, int status);

/* A unit of work posted to an executor. The poster owns the storage (it is usually embedded in the
 * poster's object) and must keep it alive until the task has run. */
struct s3x_task {
    s3x_task_fn *fn;
    void *arg;
    struct s3x_task *next; /* executor's use */
};

struct s3x_executor;
struct s3x_executor_vtable {
    /* Runs `task` exactly once, later, on the executor's thread; or, if the executor is shutting
     * down, with status S3X_ERR_EXECUTOR_SHUTDOWN (possibly inline). Never fails; must not run the
     * task inline while the executor is running normally. */
    void (*post)(struct s3x_executor *executor, struct s3x_task *task);
};

struct s3x_executor {
    const struct s3x_executor_vtable *vtable;
    void *impl;
};

S3X_API void s3x_task_init(struct s3x_task *task, s3x_task_fn *fn, void *arg);
S3X_API void s3x_executor_post(struct s3x_executor *executor, struct s3x_task *task);

/* A ready-made executor: one thread running posted tasks in FIFO order. `destroy` runs the tasks
 * still queued with S3X_ERR_EXECUTOR_SHUTDOWN (on the destroying thread) after the thread stopped;
 * tasks posted after destroy began run inline with that status. Must not be destroyed from its own
 * thread. */
S3X_API int s3x_thread_executor_new(struct s3x_allocator *allocator, struct s3x_executor **out);
S3X_API void s3x_thread_executor_destroy(struct s3x_executor *executor);
/* Whether the calling thread is the executor's thread. */
S3X_API bool s3x_thread_executor_is_current(struct s3x_executor *executor);

/* --- future ------------------------------------------------------------------------------ */

struct s3x_future;
typedef void(s3x_future_value_dtor_fn)(void *value);
/* Runs once; see the contract above for the thread. */
typedef void(s3x_future_callback_fn)(struct s3x_future *future, void *user_data);

/* A new pending future with one reference. Returns 0 or S3X_ERR_OOM / S3X_ERR_INVALID_ARGUMENT. */
S3X_API int s3x_future_new(struct s3x_allocator *allocator, struct s3x_future **out);
S3X_API struct s3x_future *s3x_future_acquire(struct s3x_future *future);
/* Drops one reference; returns NULL. NULL is allowed. */
S3X_API struct s3x_future *s3x_future_release(struct s3x_future *future);

/* true if this call completed the future; false if it was already complete (then `value` has been
 * destroyed through `dtor`). */
S3X_API bool s3x_future_complete(struct s3x_future *future, void *value, s3x_future_value_dtor_fn *dtor);
/* error must be non-zero (0 is turned into S3X_ERR_UNKNOWN). true if this call completed it. */
S3X_API bool s3x_future_complete_error(struct s3x_future *future, int error);

/* Registers the callback (executor may be NULL). Returns 0, or S3X_ERR_FUTURE_CALLBACK_SET /
 * S3X_ERR_INVALID_ARGUMENT, in which case the callback never fires. */
S3X_API int s3x_future_on_done(struct s3x_future *future, struct s3x_executor *executor,
    s3x_future_callback_fn *callback, void *user_data);

S3X_API bool s3x_future_is_done(struct s3x_future *future);
/* The error of a completed future (0 for a value); S3X_ERR_FUTURE_NOT_DONE while pending. */
S3X_API int s3x_future_error(struct s3x_future *future);
/* Moves the value out. Returns 0 and sets *out_value; or the future's error; or
 * S3X_ERR_FUTURE_NOT_DONE / S3X_ERR_FUTURE_VALUE_TAKEN (then *out_value = NULL). */
S3X_API int s3x_future_take(struct s3x_future *future, void **out_value);
/* Blocks until complete or timeout_ms elapsed (UINT64_MAX = forever). Returns 0 when complete,
 * S3X_ERR_TIMEOUT otherwise. */
S3X_API int s3x_future_wait(struct s3x_future *future, uint64_t timeout_ms);

#endif
