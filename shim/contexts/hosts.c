/* The per-host table: bounded rows, an overflow row, and the counting rule. */
#include "contexts/hosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/tc_hash.h"

struct row {
    struct tc_host h;
    UT_hash_handle hh;
};

struct tc_hosts {
    struct row *named; /* by name, in first-seen order */
    unsigned n, max;
    struct tc_host other, none;
};

struct tc_hosts *tc_hosts_new(unsigned max)
{
    struct tc_hosts *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->max = max;
    t->other.name = TC_HOST_OTHER;
    t->none.name = TC_HOST_NONE;
    return t;
}

void tc_hosts_free(struct tc_hosts *t)
{
    struct row *r, *next;

    if (!t)
        return;
    /* HASH_CLEAR frees only the table: the rows' own list stays to walk. */
    r = t->named;
    HASH_CLEAR(hh, t->named);
    for (; r; r = next) {
        next = r->hh.next;
        free((char *)r->h.name);
        free(r);
    }
    free(t);
}

static struct row *row_new(const char *name)
{
    struct row *r = calloc(1, sizeof(*r));

    if (r && !(r->h.name = strdup(name))) {
        free(r);
        r = NULL;
    }
    return r;
}

struct tc_host *tc_hosts_get(struct tc_hosts *t, const char *name)
{
    struct row *r;
    size_t len;

    if (!name || !*name)
        return &t->none;
    len = strlen(name);
    HASH_FIND(hh, t->named, name, len, r);
    if (r)
        return &r->h;
    if (t->n >= t->max || !(r = row_new(name)))
        return &t->other;
    HASH_ADD_KEYPTR(hh, t->named, r->h.name, len, r);
    if (!TC_HASH_ADDED()) {
        free((char *)r->h.name);
        free(r);
        return &t->other;
    }
    t->n++;
    return &r->h;
}

void tc_host_count(struct tc_host *h, struct tc_host_link *link, const struct tc_ctx_loads *loads)
{
    h->connections++;
    if (link)
        tc_host_update(h, link, loads);
}

void tc_host_update(struct tc_host *h, struct tc_host_link *link, const struct tc_ctx_loads *loads)
{
    if (link->host != h) {
        link->host = h;
        link->avoided_seen = 0;
        link->ca_seen = 0;
        h->contexts++;
    }
    if (!link->ca_seen && loads->performed + loads->avoided > 0) {
        link->ca_seen = 1;
        h->contexts_with_ca_load++;
    }
    if (loads->avoided > link->avoided_seen) {
        h->ca_loads_avoided += loads->avoided - link->avoided_seen;
        link->avoided_seen = loads->avoided;
    }
}

void tc_hosts_foreach(const struct tc_hosts *t, void (*fn)(const struct tc_host *h, void *arg),
                      void *arg)
{
    const struct row *r;

    for (r = t->named; r; r = r->hh.next)
        fn(&r->h, arg);
    if (t->other.connections)
        fn(&t->other, arg);
    if (t->none.connections)
        fn(&t->none, arg);
}

size_t tc_hosts_rows(const struct tc_hosts *t)
{
    return t->n + (t->other.connections != 0) + (t->none.connections != 0);
}

static int plain(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
           ch == '_' || ch == ':' || ch == '*';
}

void tc_host_clean(const char *name, char *out)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t n = 0;

    for (; p && *p; p++) {
        unsigned char ch = (*p >= 'A' && *p <= 'Z') ? (unsigned char)(*p + 32) : *p;

        if (plain(ch)) {
            if (n + 1 > TC_HOST_NAME_MAX)
                break;
            out[n++] = (char)ch;
        } else {
            if (n + 4 > TC_HOST_NAME_MAX)
                break;
            snprintf(out + n, 5, "\\x%02x", ch);
            n += 4;
        }
    }
    out[n] = '\0';
}
