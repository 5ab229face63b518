/*
 * Contexts created through the hooks.
 *
 * OpenSSL 3 has no public getter for an SSL_CTX's library context or property
 * query, yet certificates parsed for one libctx are not interchangeable with
 * another's.  SSL_CTX_new_ex is hooked to remember both in ex_data; a context
 * the shim never saw created has its loads passed through.
 *
 * Contexts are refcounted (SSL_CTX_up_ref), so SSL_CTX_free is not a
 * destruction: the ex_data free callback is, and it is what counts a context
 * as freed.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "stats.h"
#include "template.h"

void tc_ctx_track(struct tc_ossl *o, SSL_CTX *ctx, OSSL_LIB_CTX *libctx, const char *propq)
{
    struct tc_ctx_rec *rec;

    if (!ctx || !tc_copy_ready(o) || !o->SSL_CTX_set_ex_data)
        return;
    rec = calloc(1, sizeof(*rec));
    if (!rec)
        return;
    rec->libctx = libctx;
    rec->o = o;
    rec->state = TC_CTX_PRISTINE;
    if (propq && !(rec->propq = strdup(propq))) {
        free(rec);
        return;
    }
    o->ERR_set_mark();
    if (!o->SSL_CTX_set_ex_data(ctx, o->ctx_ex_index, rec)) {
        o->ERR_pop_to_mark();
        free(rec->propq);
        free(rec);
        return;
    }
    o->ERR_pop_to_mark();
    TC_COUNT(contexts_created, 1);
}

struct tc_ctx_rec *tc_ctx_get(struct tc_ossl *o, const SSL_CTX *ctx)
{
    if (!ctx || o->ctx_ex_index < 0 || !o->SSL_CTX_get_ex_data)
        return NULL;
    return o->SSL_CTX_get_ex_data(ctx, o->ctx_ex_index);
}

/* Runs inside SSL_CTX_free when the last reference goes: atomics and free() only. */
void tc_ctx_rec_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                        void *argp)
{
    struct tc_ctx_rec *rec = ptr;

    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    if (!rec)
        return; /* a context created before the shim saw it */
    tc_template_release(rec->o, rec->tmpl);
    free(rec->propq);
    free(rec);
    TC_COUNT(contexts_freed, 1);
}
