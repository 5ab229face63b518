/*
 * Per-copy shim state: ex_data indices and the bundle cache.  Created on the
 * first load a copy serves, never in the constructor: the constructor may run
 * before OpenSSL is even loaded, and a process that never loads a CA file
 * should pay nothing.
 */
#include "base/config.h"
#include "core.h"
#include "base/guard.h"
#include "contexts/template.h"

__thread int tc_guard_depth __attribute__((tls_model("initial-exec")));

int tc_bypass(void) { return tc_guard_busy() || tc_config()->mode == TC_MODE_OFF; }

static unsigned max_entries(const struct tc_config *cfg)
{
    /* Paths are cheap (no parsed objects); leave room for hash-dir files. */
    return cfg->max_bundles * 16 > 1024 ? cfg->max_bundles * 16 : 1024;
}

static int create_state(struct tc_ossl *o)
{
    const struct tc_config *cfg = tc_config();
    int ok;

    o->ERR_set_mark();
    o->store_ex_index = o->CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_X509_STORE, 0, o, NULL, NULL,
                                                   tc_store_record_free_cb);
    o->ctx_ex_index =
        o->CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, o, NULL, NULL, tc_ctx_rec_free_cb);
    o->ERR_pop_to_mark();
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
