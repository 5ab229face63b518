/* Why a CA load went to the real OpenSSL function instead of the cache. */
#ifndef TC_PASSTHROUGH_H
#define TC_PASSTHROUGH_H

enum tc_passthrough {
    TC_PT_NONE = 0,
    TC_PT_LOAD_FAILED,     /* OpenSSL reported an error: never cached */
    TC_PT_UNAVAILABLE,     /* stat/open/read of the file failed */
    TC_PT_NOT_REGULAR,     /* a FIFO, device or /proc file: may change per read */
    TC_PT_CHANGED,         /* the file changed while it was being parsed */
    TC_PT_MAJOR_UNKNOWN,   /* this OpenSSL copy is neither 3.x nor 4.x */
    TC_PT_SYMBOL_MISSING,  /* a function the shim needs is absent */
    TC_PT_UNTRACKED_CTX,   /* context created where the shim could not see it */
    TC_PT_LOOKUP_UNKNOWN,  /* X509_LOOKUP layout not verified for this copy */
    TC_PT_PATH_TABLE_FULL, /* too many distinct trust-source paths */
    TC_PT_ORDER_UNKNOWN,   /* the loader's adds were not seen (not via the PLT) */
    TC_PT_LIBCTX,          /* a non-default library context (see serve.c) */
    TC_PT_INTERNAL,        /* allocation or an OpenSSL call of the shim failed */
    TC_PT_COUNT
};

const char *tc_passthrough_name(enum tc_passthrough r);

#endif
