/* The executor interface and a ready-made single-thread executor.
 *
 * Thread executor: an intrusive FIFO of tasks (the tasks' own `next` fields, so posting never
 * allocates) under a mutex, one worker thread. Invariant: every posted task runs exactly once,
 * either on the worker with status 0, or at shutdown with S3X_ERR_EXECUTOR_SHUTDOWN. */
#include <s3xfer/future.h>

#include "../common/common.h"

#include <pthread.h>

void s3x_task_init(struct s3x_task *task, s3x_task_fn *fn, void *arg) {
    task->fn = fn;
    task->arg = arg;
    task->next = NULL;
}

void s3x_executor_post(struct s3x_executor *executor, struct s3x_task *task) {
    executor->vtable->post(executor, task);
}

struct s_thread_executor {
    struct s3x_executor base;
    struct s3x_allocator *allocator;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* synced */
    struct s3x_task *head;
    struct s3x_task *tail;
    bool stopping;
};

static void s_thread_post(struct s3x_executor *executor, struct s3x_task *task) {
    struct s_thread_executor *ex = executor->impl;
    task->next = NULL;
    pthread_mutex_lock(&ex->lock);
    if (ex->stopping) {
        pthread_mutex_unlock(&ex->lock);
        task->fn(task, S3X_ERR_EXECUTOR_SHUTDOWN);
        return;
    }
    if (ex->tail != NULL) {
        ex->tail->next = task;
    } else {
        ex->head = task;
    }
    ex->tail = task;
    pthread_cond_signal(&ex->cond);
    pthread_mutex_unlock(&ex->lock);
}

static const struct s3x_executor_vtable s_thread_vtable = {.post = s_thread_post};

static struct s3x_task *s_pop_synced(struct s_thread_executor *ex) {
    struct s3x_task *task = ex->head;
    if (task != NULL) {
        ex->head = task->next;
        if (ex->head == NULL) {
            ex->tail = NULL;
        }
        task->next = NULL;
    }
    return task;
}

static void *s_thread_main(void *arg) {
    struct s_thread_executor *ex = arg;
    pthread_mutex_lock(&ex->lock);
    for (;;) {
        while (ex->head == NULL && !ex->stopping) {
            pthread_cond_wait(&ex->cond, &ex->lock);
        }
        if (ex->stopping) {
            break;
        }
        struct s3x_task *task = s_pop_synced(ex);
        pthread_mutex_unlock(&ex->lock);
        task->fn(task, 0);
        pthread_mutex_lock(&ex->lock);
    }
    pthread_mutex_unlock(&ex->lock);
    return NULL;
}

int s3x_thread_executor_new(struct s3x_allocator *allocator, struct s3x_executor **out) {
    if (allocator == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    struct s_thread_executor *ex = s3x_mem_calloc(allocator, 1, sizeof(*ex));
    if (ex == NULL) {
        return S3X_ERR_OOM;
    }
    ex->base.vtable = &s_thread_vtable;
    ex->base.impl = ex;
    ex->allocator = allocator;
    pthread_mutex_init(&ex->lock, NULL);
    pthread_cond_init(&ex->cond, NULL);
    if (pthread_create(&ex->thread, NULL, s_thread_main, ex) != 0) {
        pthread_cond_destroy(&ex->cond);
        pthread_mutex_destroy(&ex->lock);
        s3x_mem_release(allocator, ex);
        return S3X_ERR_SYS;
    }
    *out = &ex->base;
    return 0;
}

void s3x_thread_executor_destroy(struct s3x_executor *executor) {
    if (executor == NULL) {
        return;
    }
    struct s_thread_executor *ex = executor->impl;
    pthread_mutex_lock(&ex->lock);
    ex->stopping = true;
    pthread_cond_signal(&ex->cond);
    pthread_mutex_unlock(&ex->lock);
    pthread_join(ex->thread, NULL);
    /* No new task can be queued now (post runs them inline); drain what is left. */
    for (;;) {
        pthread_mutex_lock(&ex->lock);
        struct s3x_task *task = s_pop_synced(ex);
        pthread_mutex_unlock(&ex->lock);
        if (task == NULL) {
            break;
        }
        task->fn(task, S3X_ERR_EXECUTOR_SHUTDOWN);
    }
    pthread_cond_destroy(&ex->cond);
    pthread_mutex_destroy(&ex->lock);
    s3x_mem_release(ex->allocator, ex);
}

bool s3x_thread_executor_is_current(struct s3x_executor *executor) {
    struct s_thread_executor *ex = executor->impl;
    return pthread_equal(pthread_self(), ex->thread) != 0;
}
