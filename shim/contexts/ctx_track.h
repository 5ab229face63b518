/*
 * Contexts created through the hooks: one record per context (its libctx and
 * propq, its sharing state, its accounting), kept in the context's ex_data
 * and outliving it while a connection or a load still refers to it.
 */
#ifndef TC_CTX_TRACK_H
#define TC_CTX_TRACK_H

#include "cache/bundle_cache.h"
#include "ossl/ossl.h"

struct tc_template;
struct tc_ctx_acct;
struct tc_ctx_rec {
    OSSL_LIB_CTX *libctx;
    char *propq;
    int state;                /* enum tc_ctx_state (template.h) */
    struct tc_template *tmpl; /* recipe so far; kept until the context dies */
    int verified;             /* atomic: a verification ran on its shared store */
    X509_STORE *own_store;    /* atomic: its private store, stored (release) before the
                                 swap, so a handshake thread that finds it there is
                                 ordered after the store was built (template.c) */
    unsigned lockword;        /* template.c: serialises state changes */
    void **lazy;              /* template.c: hash-dir loads its verifications made */
    unsigned char *lazy_crl;  /*   in the shared store (rec lock) */
    int nlazy, lazy_cap;
    int lazy_lost; /*   one could not be remembered: copy them all */
    struct tc_ossl *o;
    /*
     * Accounting (acct.c).  The record outlives its context while anything
     * still refers to it: a connection made from it, or a load on its way
     * (ctx_track.c), so neither ever touches freed memory.
     */
    int refs;                 /* atomic: the context's own reference, plus those */
    unsigned acct_lockword;   /* acct.c: guards the two below (word_lock.h) */
    int dead;                 /* the context is destroyed */
    struct tc_ctx_acct *acct; /* its loads, bundles held, hosts served */
};
void tc_ctx_track(struct tc_ossl *o, SSL_CTX *ctx, OSSL_LIB_CTX *libctx, const char *propq);
/* The context's record; also notes it as the target of this thread's next CA load. */
struct tc_ctx_rec *tc_ctx_get(struct tc_ossl *o, const SSL_CTX *ctx);
/* The context's record, nothing else (connections). */
struct tc_ctx_rec *tc_ctx_lookup(struct tc_ossl *o, const SSL_CTX *ctx);
void tc_ctx_hold(struct tc_ctx_rec *rec);
void tc_ctx_release(struct tc_ctx_rec *rec);
/* A CA load from cache entry `entry` finished: counted, if it was
 * served, for the context tc_ctx_get last named on this thread, if any. */
void tc_ctx_count_load(struct tc_entry *entry, int hit, int served);
void tc_ctx_rec_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                        void *argp);

#endif
