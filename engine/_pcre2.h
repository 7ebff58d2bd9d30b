/* engine/_pcre2.c: PCRE2 (8-bit, JIT) for the accelerator's regex patterns, loaded at run time.
 *
 * The library is opened with dlopen, so building the accelerator needs no PCRE2 headers and a
 * machine without libpcre2-8 (every Debian and Ubuntu has it: grep needs it) still gets the rest of
 * the accelerator; regex schemas then stay on the reference path. Nothing here touches Python. */

#ifndef NORMALIZE_PCRE2_H
#define NORMALIZE_PCRE2_H

#include <stddef.h>

typedef struct Regex Regex;

/* Whether PCRE2 could be loaded (tried once); its version in `version` when it could. */
int regex_available(const char **version);

/* The pattern compiled (and JIT-compiled where the library can) for UTF-8 subjects, with room for
 * its `groups` capturing groups; NULL with a message in `error` when it does not compile or has
 * another number of groups. */
Regex *regex_new(const char *source, size_t len, int groups, char *error, size_t error_len);

void regex_free(Regex *regex);

/* Search valid UTF-8 `subject` for the leftmost match: 1 when found, with spans[2i], spans[2i+1]
 * the start and end of group i + 1 (both -1 when the group took no part); 0 when there is none;
 * -1 when PCRE2 gave up (its match, depth, heap or JIT stack limit) and the caller must defer. */
int regex_search(Regex *regex, const char *subject, size_t n, long *spans);

/* The same search, for where the whole match ends: 1 with *end set, 0, or -1 as regex_search. */
int regex_match_end(Regex *regex, const char *subject, size_t n, long *end);

#endif
