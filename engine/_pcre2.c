/* engine._fastpath's binding of PCRE2: see _pcre2.h. The declarations below are those of pcre2.h
 * (PCRE2 10.x, 8-bit code units, whose ABI has been stable since 10.00). */

#define _GNU_SOURCE
#include "_pcre2.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct pcre2_code pcre2_code;
typedef struct pcre2_match_data pcre2_match_data;
typedef struct pcre2_match_context pcre2_match_context;
typedef struct pcre2_jit_stack pcre2_jit_stack;

#define PCRE2_UTF 0x00080000u
#define PCRE2_NEVER_BACKSLASH_C 0x00100000u
#define PCRE2_NO_UTF_CHECK 0x40000000u
#define PCRE2_JIT_COMPLETE 0x00000001u
#define PCRE2_ERROR_NOMATCH (-1)
#define PCRE2_INFO_CAPTURECOUNT 4
#define PCRE2_CONFIG_VERSION 11
#define PCRE2_UNSET (~(size_t)0)

/* A search may take this many backtracking steps, then the line is deferred to the reference path
 * (the regex module with its time budget). About 2 ms of JIT-compiled matching. */
#define MATCH_LIMIT 1000000u
#define JIT_STACK_MOST (1u << 20)

static struct {
    pcre2_code *(*compile)(const unsigned char *, size_t, uint32_t, int *, size_t *, void *);
    int (*jit_compile)(pcre2_code *, uint32_t);
    int (*pattern_info)(const pcre2_code *, uint32_t, void *);
    void (*code_free)(pcre2_code *);
    pcre2_match_data *(*match_data_create_from_pattern)(const pcre2_code *, void *);
    void (*match_data_free)(pcre2_match_data *);
    size_t *(*get_ovector_pointer)(pcre2_match_data *);
    pcre2_match_context *(*match_context_create)(void *);
    void (*match_context_free)(pcre2_match_context *);
    int (*set_match_limit)(pcre2_match_context *, uint32_t);
    pcre2_jit_stack *(*jit_stack_create)(size_t, size_t, void *);
    void (*jit_stack_assign)(pcre2_match_context *, void *, void *);
    void (*jit_stack_free)(pcre2_jit_stack *);
    int (*match)(const pcre2_code *, const unsigned char *, size_t, size_t, uint32_t,
                 pcre2_match_data *, pcre2_match_context *);
    int (*get_error_message)(int, unsigned char *, size_t);
    int (*config)(uint32_t, void *);
} lib;

static int loaded = -1;  /* -1: not tried yet; then 0 or 1 */
static char version_text[64];

struct Regex {
    pcre2_code *code;
    pcre2_match_data *match_data;
    pcre2_match_context *context;
    pcre2_jit_stack *stack;
    int groups;
};

static int load(void) {
    void *handle = dlopen("libpcre2-8.so.0", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        return 0;
    }
#define FIND(field, symbol)                                                                      \
    if ((*(void **)&lib.field = dlsym(handle, symbol)) == NULL) {                                \
        return 0;                                                                                \
    }
    FIND(compile, "pcre2_compile_8")
    FIND(jit_compile, "pcre2_jit_compile_8")
    FIND(pattern_info, "pcre2_pattern_info_8")
    FIND(code_free, "pcre2_code_free_8")
    FIND(match_data_create_from_pattern, "pcre2_match_data_create_from_pattern_8")
    FIND(match_data_free, "pcre2_match_data_free_8")
    FIND(get_ovector_pointer, "pcre2_get_ovector_pointer_8")
    FIND(match_context_create, "pcre2_match_context_create_8")
    FIND(match_context_free, "pcre2_match_context_free_8")
    FIND(set_match_limit, "pcre2_set_match_limit_8")
    FIND(jit_stack_create, "pcre2_jit_stack_create_8")
    FIND(jit_stack_assign, "pcre2_jit_stack_assign_8")
    FIND(jit_stack_free, "pcre2_jit_stack_free_8")
    FIND(match, "pcre2_match_8")
    FIND(get_error_message, "pcre2_get_error_message_8")
    FIND(config, "pcre2_config_8")
#undef FIND
    if (lib.config(PCRE2_CONFIG_VERSION, version_text) <= 0 || version_text[0] != '1') {
        return 0;  /* not a PCRE2 10.x */
    }
    return 1;
}

int regex_available(const char **version) {
    if (loaded < 0) {
        loaded = load();
    }
    if (version != NULL) {
        *version = loaded ? version_text : NULL;
    }
    return loaded;
}

void regex_free(Regex *regex) {
    if (regex == NULL) {
        return;
    }
    if (regex->match_data) {
        lib.match_data_free(regex->match_data);
    }
    if (regex->context) {
        lib.match_context_free(regex->context);
    }
    if (regex->stack) {
        lib.jit_stack_free(regex->stack);
    }
    if (regex->code) {
        lib.code_free(regex->code);
    }
    free(regex);
}

Regex *regex_new(const char *source, size_t len, int groups, char *error, size_t error_len) {
    if (!regex_available(NULL)) {
        snprintf(error, error_len, "PCRE2 (libpcre2-8.so.0) is not available");
        return NULL;
    }
    Regex *regex = calloc(1, sizeof(Regex));
    if (regex == NULL) {
        snprintf(error, error_len, "out of memory");
        return NULL;
    }
    int code;
    size_t offset;
    regex->code = lib.compile((const unsigned char *)source, len, PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C,
                              &code, &offset, NULL);
    if (regex->code == NULL) {
        unsigned char message[160];
        lib.get_error_message(code, message, sizeof message);
        snprintf(error, error_len, "PCRE2 cannot compile the pattern at offset %zu: %s", offset,
                 (const char *)message);
        regex_free(regex);
        return NULL;
    }
    uint32_t count = 0;
    if (lib.pattern_info(regex->code, PCRE2_INFO_CAPTURECOUNT, &count) != 0 || (int)count != groups) {
        snprintf(error, error_len, "the pattern has %u groups, not %d", count, groups);
        regex_free(regex);
        return NULL;
    }
    lib.jit_compile(regex->code, PCRE2_JIT_COMPLETE);  /* without JIT: the interpreter, same results */
    regex->groups = groups;
    regex->match_data = lib.match_data_create_from_pattern(regex->code, NULL);
    regex->context = lib.match_context_create(NULL);
    regex->stack = lib.jit_stack_create(32u << 10, JIT_STACK_MOST, NULL);
    if (regex->match_data == NULL || regex->context == NULL || regex->stack == NULL) {
        snprintf(error, error_len, "out of memory");
        regex_free(regex);
        return NULL;
    }
    lib.set_match_limit(regex->context, MATCH_LIMIT);
    lib.jit_stack_assign(regex->context, NULL, regex->stack);
    return regex;
}

/* The leftmost match: PCRE2's count of the groups set (highest + 1), 0 for none, -1 when it gave up. */
static int search(Regex *regex, const char *subject, size_t n) {
    int rc = lib.match(regex->code, (const unsigned char *)subject, n, 0, PCRE2_NO_UTF_CHECK,
                       regex->match_data, regex->context);
    return rc == PCRE2_ERROR_NOMATCH ? 0 : rc <= 0 ? -1 : rc;
}

int regex_search(Regex *regex, const char *subject, size_t n, long *spans) {
    int rc = search(regex, subject, n);
    if (rc <= 0) {
        return rc;
    }
    const size_t *ovector = lib.get_ovector_pointer(regex->match_data);
    for (int i = 1; i <= regex->groups; i++) {
        size_t start = ovector[2 * i], end = ovector[2 * i + 1];
        int set = i < rc && start != PCRE2_UNSET;
        spans[2 * (i - 1)] = set ? (long)start : -1;
        spans[2 * (i - 1) + 1] = set ? (long)end : -1;
    }
    return 1;
}

int regex_match_end(Regex *regex, const char *subject, size_t n, long *end) {
    int rc = search(regex, subject, n);
    if (rc <= 0) {
        return rc;
    }
    *end = (long)lib.get_ovector_pointer(regex->match_data)[1];
    return 1;
}
