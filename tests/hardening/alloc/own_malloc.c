/*
 * A small replacement allocator, preloaded to stand for an allocator the shim
 * cannot know: no glibc arenas behind it, no statistics interface.  Memory
 * comes from mmap; blocks are power-of-two size classes carved from 4 MiB
 * slabs and kept on per-class free lists, larger requests get a mapping of
 * their own.  One spin lock guards everything (held around fork()).
 *
 * Every block starts with a header just below the pointer handed out: the
 * size of the raw block and the distance from its start, so free() finds the
 * block whatever alignment was asked for.  A pointer without the header's
 * magic (memory the dynamic loader allocated before this library was in
 * place) is left alone by free() and copied conservatively by realloc().
 *
 * Defines malloc, free, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc and malloc_usable_size.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXPORT        __attribute__((visibility("default")))
#define MAGIC         0x6f776e6d616c6c63ULL /* "ownmallc" */
#define MIN_SHIFT     5                     /* 32-byte smallest class */
#define MAX_SHIFT     20                    /* 1 MiB largest class */
#define NCLASSES      (MAX_SHIFT - MIN_SHIFT + 1)
#define SLAB          ((size_t)4 << 20)
#define HDR           sizeof(struct hdr)
#define ALIGN_DEFAULT 16

struct hdr {
    uint64_t magic;
    size_t raw;    /* size of the raw block: a class size, or the mapping's length */
    size_t offset; /* from the raw block's start to the pointer handed out */
    size_t pad;    /* keeps the header 16 bytes aligned */
};

struct free_block {
    struct free_block *next;
};

static struct free_block *free_lists[NCLASSES];
static char *slab_cur, *slab_end;
static int lock_word;
static int atfork_done;

static void lock(void)
{
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
        sched_yield();
}

static void unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static void *map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int class_of(size_t raw)
{
    int c = 0;

    while (((size_t)1 << (MIN_SHIFT + c)) < raw)
        c++;
    return c;
}

/* A raw block of at least `need` bytes; *raw gets its real size. Lock held. */
static void *raw_alloc_locked(size_t need, size_t *raw)
{
    int c;
    size_t size;
    void *p;

    if (need > ((size_t)1 << MAX_SHIFT)) {
        size = (need + page_size() - 1) & ~(page_size() - 1);
        *raw = size;
        return map(size);
    }
    c = class_of(need);
    size = (size_t)1 << (MIN_SHIFT + c);
    *raw = size;
    if (free_lists[c]) {
        p = free_lists[c];
        free_lists[c] = free_lists[c]->next;
        return p;
    }
    if (!slab_cur || (size_t)(slab_end - slab_cur) < size) {
        /* The rest of the old slab is dropped: a test allocator can afford it. */
        slab_cur = map(SLAB);
        if (!slab_cur)
            return NULL;
        slab_end = slab_cur + SLAB;
    }
    p = slab_cur;
    slab_cur += size;
    return p;
}

static void prepare(void) { lock(); }

static void *alloc_aligned(size_t align, size_t size)
{
    size_t need, raw = 0;
    uintptr_t base, user;
    struct hdr *h;

    if (align < ALIGN_DEFAULT)
        align = ALIGN_DEFAULT;
    if (size > SIZE_MAX / 2 || align > SIZE_MAX / 4) {
        errno = ENOMEM;
        return NULL;
    }
    need = size + HDR + (align > ALIGN_DEFAULT ? align : 0);
    if (!__atomic_load_n(&atfork_done, __ATOMIC_ACQUIRE) &&
        !__atomic_exchange_n(&atfork_done, 1, __ATOMIC_ACQ_REL))
        pthread_atfork(prepare, unlock, unlock);
    lock();
    base = (uintptr_t)raw_alloc_locked(need, &raw);
    unlock();
    if (!base) {
        errno = ENOMEM;
        return NULL;
    }
    user = (base + HDR + align - 1) & ~(uintptr_t)(align - 1);
    h = (struct hdr *)(user - HDR);
    h->magic = MAGIC;
    h->raw = raw;
    h->offset = user - base;
    return (void *)user;
}

/* The header of one of our blocks, or NULL for foreign memory. */
static struct hdr *header_of(void *p)
{
    struct hdr *h = (struct hdr *)((uintptr_t)p - HDR);

    return h->magic == MAGIC ? h : NULL;
}

EXPORT void *malloc(size_t size) { return alloc_aligned(ALIGN_DEFAULT, size); }

EXPORT void free(void *p)
{
    struct hdr *h;
    char *base;

    if (!p || !(h = header_of(p)))
        return;
    h->magic = 0; /* a double free now looks foreign instead of corrupting a list */
    base = (char *)p - h->offset;
    if (h->raw > ((size_t)1 << MAX_SHIFT)) {
        munmap(base, h->raw);
        return;
    }
    lock();
    ((struct free_block *)base)->next = free_lists[class_of(h->raw)];
    free_lists[class_of(h->raw)] = (struct free_block *)base;
    unlock();
}

EXPORT size_t malloc_usable_size(void *p)
{
    struct hdr *h = p ? header_of(p) : NULL;

    return h ? h->raw - h->offset : 0;
}

EXPORT void *calloc(size_t n, size_t size)
{
    void *p;

    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

EXPORT void *realloc(void *p, size_t size)
{
    size_t have;
    void *q;

    if (!p)
        return malloc(size);
    if (!size) {
        free(p);
        return NULL;
    }
    /* Foreign memory: its size is unknown, so only `size` bytes are copied. */
    have = header_of(p) ? malloc_usable_size(p) : size;
    if (size <= have && header_of(p))
        return p;
    q = malloc(size);
    if (!q)
        return NULL;
    memcpy(q, p, have < size ? have : size);
    free(p);
    return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n * size);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    void *p;

    if (!align || (align & (align - 1)) || align % sizeof(void *))
        return EINVAL;
    p = alloc_aligned(align, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
    if (!align || (align & (align - 1))) {
        errno = EINVAL;
        return NULL;
    }
    return alloc_aligned(align, size);
}

EXPORT void *memalign(size_t align, size_t size) { return aligned_alloc(align, size); }

EXPORT void *valloc(size_t size) { return alloc_aligned(page_size(), size); }

EXPORT void *pvalloc(size_t size)
{
    size_t ps = page_size();

    return alloc_aligned(ps, (size + ps - 1) & ~(ps - 1));
}
