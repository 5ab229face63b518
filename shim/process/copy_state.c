/*
 * Per-copy shim state: ex_data indices and the bundle cache.  Created on the
 * first hooked call that needs it, never in the constructor: the constructor
 * may run before OpenSSL is even loaded, and a process that never loads a CA
 * file should pay nothing.
 *
 * It lives here, above the layers whose parts it creates, and the hooks call
 * it: the cache, the contexts and the routes only ask tc_copy_is_ready.
 */
#include "base/config.h"
#include "cache/bundle_cache.h"
#include "cache/bundle_fill.h"
#include "cache/bundle_replay.h"
#include "contexts/ctx_track.h"
#include "contexts/template.h"
#include "process/copy_state.h"
#include "process/fork.h"
#include "report/stats_writer.h"
#include "ossl/compat.h"

static unsigned max_entries(const struct tc_config *cfg)
{
    /* Paths are cheap (no parsed objects); leave room for hash-dir files. */
    return cfg->max_bundles * 16 > 1024 ? cfg->max_bundles * 16 : 1024;
}

static int create_state(struct tc_ossl *o)
{
    const struct tc_config *cfg = tc_config();
    int ok;

    tc_err_mark(o);
    o->store_ex_index = o->CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_X509_STORE, 0, o, NULL, NULL,
                                                   tc_store_record_free_cb);
    o->ctx_ex_index =
        o->CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, o, NULL, NULL, tc_ctx_rec_free_cb);
    tc_err_pop(o);
    o->cache = tc_cache_new(cfg->max_bundles, max_entries(cfg), tc_bundle_release_objects, o);
    o->templates = tc_templates_new(cfg->max_bundles);
    ok = o->cache && o->templates && o->store_ex_index >= 0 && o->ctx_ex_index >= 0;
    if (ok)
        tc_fork_handlers_once();
    return ok;
}

int tc_copy_ready(struct tc_ossl *o)
{
    int ready = __atomic_load_n(&o->ready, __ATOMIC_ACQUIRE);

    if (ready)
        return ready > 0;
    if (!o->active)
        return 0;
    pthread_mutex_lock(&o->init_lock);
    if (!o->ready)
        __atomic_store_n(&o->ready, create_state(o) ? 1 : -1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&o->init_lock);
    return o->ready > 0;
}

/* The writer's child must learn it has no writer: fork handlers go in first. */
void tc_tls_use(void) { tc_writer_kick(tc_fork_handlers_once); }
