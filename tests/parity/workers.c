/*
 * Worker threads for the concurrency scenarios. Each worker writes into its
 * own buffer and the main thread prints the buffers in index order, so the
 * transcript does not depend on scheduling.
 */
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"

struct worker {
    int index;
    pthread_barrier_t *start;
    void (*body)(int index);
    char *text;
    size_t len;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    FILE *f = open_memstream(&w->text, &w->len);

    set_thread_sink(f);
    /* Everyone starts loading at once, to make the loads really overlap. */
    pthread_barrier_wait(w->start);
    w->body(w->index);
    set_thread_sink(NULL);
    fclose(f);
    return NULL;
}

void run_workers(void (*body)(int index))
{
    int n = parity_threads, i;
    struct worker *w = calloc((size_t)n, sizeof(*w));
    pthread_t *tid = calloc((size_t)n, sizeof(*tid));
    pthread_barrier_t start;

    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (i = 0; i < n; i++) {
        w[i] = (struct worker){.index = i, .start = &start, .body = body};
        if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0)
            abort(); /* the barrier would wait forever */
    }
    for (i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&start);
    say("%d threads", n);
    for (i = 0; i < n; i++) {
        say("-- thread %d", i);
        emit_text(w[i].text ? w[i].text : "");
        free(w[i].text);
    }
    free(w);
    free(tid);
}
