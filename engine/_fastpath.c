/* engine._fastpath: the C accelerator of fastmatch, regex, CSV and JSON-lines schemas (the last
 * parsed by the vendored yyjson: see the section "JSON lines").
 *
 * A Plan is a fastmatch, regex or CSV schema reduced to data by engine/plan.py: its patterns (prefix,
 * delimiters; or a regex rewritten for PCRE2, run through _pcre2.c), its fields (where each comes from, how it is converted, the JSON key it is written
 * under) and the constant parts of every event. Plan.run(block, ...) takes a block of lines and
 * writes the events' NDJSON straight into one buffer: no Python object per line, per field or per
 * event.
 *
 * The generated Python line function (engine/compiler.py) stays the reference. This code only does
 * what it can do exactly; a line it is not certain about (a blank line, a skipPrefix, invalid UTF-8,
 * an over-long line, a quoted value with a backslash ahead, no pattern matching, a value outside
 * the simple forms handled here) is *deferred*: handed whole to a Python callable, which runs the
 * reference path and returns the event's JSON, or None after recording a reject or a skip. So every
 * line ends exactly as the reference path would end it, and tests compare the two byte for byte.
 */

#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_arrow.h"
#include "_pcre2.h"
#include "vendor/yyjson/yyjson.h"

enum { K_STRING = 0, K_INT = 1, K_RFC3339 = 2, K_EPOCH = 3, K_CALL = 4 };  /* as KIND_NAMES */

typedef struct {
    const char *p;
    Py_ssize_t n;
} Text;

enum { WHY_NONE = 0, WHY_FASTMATCH = 1, WHY_CSV = 2, WHY_REGEX = 3 };

/* How a pattern words why a line does not match it, as the reference path words it (the parsers'
 * no_prefix, no_delimiter, wrong_count, matched_up_to, no_prefix_matches), so that the plan can
 * write a no_match reject itself. WHY_NONE: it cannot; the line is deferred. */
typedef struct {
    int kind;
    Text first;               /* fastmatch: no prefix; csv: before the count; regex: no prefix matches */
    Text *before;             /* fastmatch: per placeholder, before the column; regex: per prefix */
    Text *after;              /* regex: per prefix, after the column */
    Text one, many;           /* csv: after a count of 1, of more */
    Regex **prefixes;         /* regex: per prefix, tried in order (NULL: no whole regex, skipped) */
    int count;                /* of before, after, prefixes */
} Why;

typedef struct {
    const char *prefix;
    Py_ssize_t prefix_len;
    int count;                /* placeholders */
    const char **delims;      /* delims[i], delim_lens[i]; a length of 0: takes the rest */
    Py_ssize_t *delim_lens;
    unsigned char *quoted;    /* a quoted placeholder defers the line when a backslash is ahead */
    const char *csv;          /* a CSV row's delimiter: a row with a '"', or with more columns, defers */
    Py_ssize_t csv_len;
    Regex *regex;             /* a regex schema's one pattern (then prefix and delimiters are unused):
                               * count is its groups, each group a placeholder */
    long *spans;              /* its groups' spans in the last match */
    int gave_up;              /* searches PCRE2 gave up (a limit): past REGEX_GIVE_UPS, every line
                               * is deferred, so that the reference path's time budget rules */
    Why why;
    int fail_at;              /* after NO_MATCH: the placeholder whose delimiter was missing (-1: the
                               * prefix) */
    Py_ssize_t fail_pos;      /* and the offset its search started from */
} Pattern;

#define REGEX_GIVE_UPS 10

/* Answers of a Python callable remembered by value, in C memory: a value seen before costs a hash
 * and a comparison, without the GIL. Open addressing; emptied when half full. */
typedef struct {
    uint64_t hash;
    char *data;               /* the value's bytes, then the answer's; NULL: a free slot */
    Py_ssize_t key_len;
    Py_ssize_t answer_len;
    int refused;              /* K_CALL: the converter refused the value (the line is deferred) */
} Entry;

typedef struct {
    Entry *slots;
    Py_ssize_t used;
    Entry spare;              /* the answer for a value too long to remember */
} Cache;

#define CACHE_SLOTS 8192      /* a power of two */
#define CACHE_MOST 4096
#define CACHE_KEY_MOST 256    /* longer values are asked every time */

/* One member of a p_any_* list: the list's key (',"p_any_x":['), the value and its JSON. */
typedef struct {
    const char *key;
    const char *raw;
    const char *json;         /* NULL: the raw value between quotes (an IPv4 address) */
    uint32_t key_len;
    uint32_t raw_len;
    uint32_t json_len;
} Member;

enum { IP_IN_PYTHON = 0, IP_ONLY = 1, IP_OR_HOST = 2 };

typedef struct {
    int kind;
    const char *key;          /* ',"name":' */
    Py_ssize_t key_len;
    int *captures;            /* per pattern: the placeholder index, or -1 when it has none */
    int64_t int_max;          /* K_INT: the largest value of the type */
    int64_t unit_ns;          /* K_EPOCH: nanoseconds per unit */
    int event_time;
    int required;
    int keeps_empty;          /* string and json: "" is a value; for other types it is null */
    int indicator;            /* slot in the indicator key, or -1 */
    PyObject *call;           /* K_CALL: bytes -> JSON bytes, or None to defer */
    PyObject *scan;           /* indicators: bytes -> ((key, raw, json), ...) for p_any_* lists */
    int ip;                   /* IP_ONLY (the ip indicator) or IP_OR_HOST (hostname): an IPv4
                               * address is recognised here, without asking scan */
    PyObject *refuse;         /* a value the plan would not write -> the start of the reference's
                               * reject of it (bytes), or None where the reference takes it */
    Cache refusals;           /* refuse's answers, by value */
    Cache converted;          /* K_CALL's answers, by value */
    Cache scanned;            /* scan's answers, by value */
    /* JSON plans only (the section "JSON lines" below) */
    int shape;                /* SHAPE_SCALAR, SHAPE_OBJECT, SHAPE_ARRAY or SHAPE_JSON */
    const char *name;         /* the key it is found under in its object (decoded) */
    Py_ssize_t name_len;
    int *children;            /* an object's fields, an array's element: indices in Plan.fields */
    int nchildren;
    int *keys;                /* an object's fields by key_hash of their names (positions in
                               * children, -1 free; open addressing), keys_mask + 1 slots */
    uint32_t keys_mask;
    PyObject *native;         /* a native number or boolean (tagged bytes) -> JSON bytes, or None */
    Cache natives;            /* native's answers, by value */
    uint64_t gathered_line;   /* the line whose p_any_* members it last gave, and whether the */
    int gathered_spare;       /* scanned cache's spare entry holds one of them */
    int aws;                  /* AWS_ARN, AWS_ACCOUNT_ID: its indicator is read here, else AWS_IN_PYTHON */
    const char *aws_keys[3];  /* ',"p_any_aws_account_ids":[', arns, instance ids */
    Py_ssize_t aws_key_lens[3];
} Field;

typedef struct {
    PyObject_HEAD
    PyObject *keep;           /* the Python objects whose buffers the pointers below borrow */
    Pattern *patterns;
    int npatterns;
    int max_placeholders;
    Field *fields;
    int nfields;
    Py_ssize_t keys_len;      /* the fields' keys, all together */
    const char **empties;
    Py_ssize_t *empty_lens;
    int nempties;
    int trim_space;
    const char *skip_prefix;
    Py_ssize_t skip_prefix_len;
    int nindicators;
    Member *members;          /* this line's p_any_* members, gathered from its indicator fields */
    Py_ssize_t members_cap;
    const char *ip_key;       /* ',"p_any_ip_addresses":[' */
    Py_ssize_t ip_key_len;
    const char *log_type;     /* ',"p_log_type":"X","p_row_id":"' */
    Py_ssize_t log_type_len;
    char row_prefix[16];
    uint64_t counter;
    const char *source;       /* ',"p_source_id":"..."' and/or label, or empty */
    Py_ssize_t source_len;
    int explains;             /* every pattern words its no_match reason (Why): run writes the rejects */
    int refusing;             /* this run writes the rejects of refused values (refuse) */
    Entry *refusal;           /* after REFUSED: the answer of refuse */
    char *rejects;            /* the no_match rejects written by the last run, and their line indices */
    Py_ssize_t rejects_cap;
    Py_ssize_t rejects_len;
    int64_t *reject_lines;
    Py_ssize_t reject_count;
    Py_ssize_t reject_lines_cap;
    char *out;                /* the output buffer, kept between runs (PyMem_Raw: no GIL needed) */
    Py_ssize_t cap;
    Py_ssize_t len;
    int busy;
    int out_of_memory;        /* set without the GIL; MemoryError is raised once it is held again */
    PyThreadState *released;  /* while run() has let go of the GIL: what takes it back */
    /* the last RFC 3339 head seen ("YYYY-MM-DDTHH:MM:SS" + zone) and its output head */
    char ts_key[32];
    Py_ssize_t ts_key_len;
    char ts_head[20];
    int64_t epoch_second;     /* the last epoch second written and its output head */
    char epoch_head[20];
    /* JSON plans only (the section "JSON lines" below) */
    int json;                 /* lines are JSON objects; fields[0] is the event (an object) */
    yyjson_val **json_found;      /* per field: its value in the object being written */
    char *json_pool;          /* yyjson's memory for one line (PyMem_Raw) */
    size_t json_pool_cap;
    uint64_t json_line;       /* lines parsed: tells the members gathered on this line */
} Plan;

typedef struct {
    const char *p;
    Py_ssize_t n;             /* -1: null */
} Span;

static PyTypeObject PlanType;

/* --- small helpers ---------------------------------------------------------------------------- */

/* run() works without the GIL, so that threads each running a plan of their own use every core;
 * it takes the GIL back only to call Python (converters on a new value, deferred lines). */
static inline void hold_gil(Plan *self) {
    if (self->released != NULL) {
        PyEval_RestoreThread(self->released);
        self->released = NULL;
    }
}

static inline void release_gil(Plan *self) {
    if (self->released == NULL) {
        self->released = PyEval_SaveThread();
    }
}

static int reserve(Plan *self, Py_ssize_t more) {
    if (self->len + more <= self->cap) {
        return 0;
    }
    Py_ssize_t cap = self->cap ? self->cap : 1 << 16;
    while (cap < self->len + more) {
        cap *= 2;
    }
    char *out = PyMem_RawRealloc(self->out, cap);
    if (out == NULL) {
        self->out_of_memory = 1;
        return -1;
    }
    self->out = out;
    self->cap = cap;
    return 0;
}

static inline void put(Plan *self, const char *p, Py_ssize_t n) {
    memcpy(self->out + self->len, p, n);
    self->len += n;
}

static inline void put_char(Plan *self, char c) { self->out[self->len++] = c; }

/* Exactly the bytes orjson escapes: '"', '\\' and the C0 controls. */
static unsigned char ESCAPE[256];
static const char HEX[] = "0123456789abcdef";

static void init_escape(void) {
    for (int c = 0; c < 0x20; c++) {
        ESCAPE[c] = 'u';
    }
    ESCAPE['\b'] = 'b';
    ESCAPE['\t'] = 't';
    ESCAPE['\n'] = 'n';
    ESCAPE['\f'] = 'f';
    ESCAPE['\r'] = 'r';
    ESCAPE['"'] = '"';
    ESCAPE['\\'] = '\\';
}

/* Whether none of the 8 bytes at p is one ESCAPE escapes (below 0x20, '"', '\\'): exact, so that
 * put_json_string may skip them at once. */
static inline int word_plain(const char *p) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t w, quote, backslash;
    memcpy(&w, p, 8);
    quote = w ^ (ones * '"');
    backslash = w ^ (ones * '\\');
    uint64_t found = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash);
    return (found & highs) == 0;
}

/* A JSON string, escaped as orjson escapes it; the caller reserved 6 bytes per input byte + 2. */
/* [p, p + n) escaped as orjson escapes a string's characters, without the quotes. */
static void put_escaped(Plan *self, const char *p, Py_ssize_t n) {
    char *o = self->out + self->len;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        while (i + 8 <= n && word_plain(p + i)) {
            i += 8;
        }
        if (i >= n) {
            break;
        }
        unsigned char c = (unsigned char)p[i];
        unsigned char e = ESCAPE[c];
        if (e == 0) {
            continue;
        }
        memcpy(o, p + start, i - start);
        o += i - start;
        start = i + 1;
        *o++ = '\\';
        if (e == 'u') {
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = HEX[c >> 4];
            *o++ = HEX[c & 15];
        } else {
            *o++ = (char)e;
        }
    }
    memcpy(o, p + start, n - start);
    o += n - start;
    self->len = o - self->out;
}

static void put_json_string(Plan *self, const char *p, Py_ssize_t n) {
    put_char(self, '"');
    put_escaped(self, p, n);
    put_char(self, '"');
}

/* Strict UTF-8, as Python's decoder: no overlongs, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t word;
            memcpy(&word, s + i, 8);
            if (word & 0x8080808080808080ULL) {
                break;
            }
            i += 8;
        }
        if (i >= n) {
            break;
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
        } else if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (i + 2 >= n) return 0;
            unsigned char c1 = s[i + 1], c2 = s[i + 2];
            if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80) return 0;
            if (c == 0xE0 && c1 < 0xA0) return 0;  /* overlong */
            if (c == 0xED && c1 > 0x9F) return 0;  /* surrogate */
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (i + 3 >= n) return 0;
            unsigned char c1 = s[i + 1], c2 = s[i + 2], c3 = s[i + 3];
            if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80 || (c3 & 0xC0) != 0x80) return 0;
            if (c == 0xF0 && c1 < 0x90) return 0;  /* overlong */
            if (c == 0xF4 && c1 > 0x8F) return 0;  /* above U+10FFFF */
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Whether a line starting with byte c might be blank (only Go whitespace): the reference decides. */
static inline int may_be_blank(unsigned char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3;
}

/* Go's unicode.IsSpace, at the start of s: the length of the space character there, or 0. */
static Py_ssize_t space_at_start(const unsigned char *s, Py_ssize_t n) {
    if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))) return 1;
    if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0)) return 2;
    if (n >= 3) {
        if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) return 3;                 /* U+1680 */
        if (s[0] == 0xE2 && s[1] == 0x80 &&
            (s[2] <= 0x8A || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF) && s[2] >= 0x80)
            return 3;                                                               /* U+2000.. */
        if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) return 3;                 /* U+205F */
        if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) return 3;                 /* U+3000 */
    }
    return 0;
}

/* The same at the end of s (valid UTF-8, so a matching suffix is a whole character). */
static Py_ssize_t space_at_end(const unsigned char *s, Py_ssize_t n) {
    if (n >= 1 && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r'))) return 1;
    if (n >= 2 && space_at_start(s + n - 2, 2) == 2) return 2;
    if (n >= 3 && space_at_start(s + n - 3, 3) == 3) return 3;
    return 0;
}

static void trim(Span *span) {
    const unsigned char *s = (const unsigned char *)span->p;
    Py_ssize_t k;
    while (span->n > 0 && (k = space_at_start(s, span->n)) > 0) {
        s += k;
        span->n -= k;
    }
    while (span->n > 0 && (k = space_at_end(s, span->n)) > 0) {
        span->n -= k;
    }
    span->p = (const char *)s;
}

/* --- matching --------------------------------------------------------------------------------- */

enum { MATCHED, NO_MATCH, DEFER };

/* regex (engine/parsers/regex.py, as engine/parsers/pcre.py rewrites it): the leftmost match; a
 * group that took no part captures "", as the reference's groups("") gives. */
static int match_regex(Pattern *pat, const char *line, Py_ssize_t n, Span *caps) {
    if (pat->gave_up >= REGEX_GIVE_UPS) {
        return DEFER;
    }
    int found = regex_search(pat->regex, line, (size_t)n, pat->spans);
    if (found <= 0) {
        pat->gave_up += found < 0;
        return found < 0 ? DEFER : NO_MATCH;
    }
    for (int i = 0; i < pat->count; i++) {
        long start = pat->spans[2 * i];
        caps[i].p = start < 0 ? line : line + start;
        caps[i].n = start < 0 ? 0 : pat->spans[2 * i + 1] - start;
    }
    return MATCHED;
}

/* fastmatch (engine/parsers/fastmatch.py): first occurrence of each delimiter, no backtracking. */
static int match(Pattern *pat, const char *line, Py_ssize_t n, Span *caps) {
    if (pat->regex != NULL) {
        return match_regex(pat, line, n, caps);
    }
    if (n < pat->prefix_len || memcmp(line, pat->prefix, pat->prefix_len) != 0) {
        pat->fail_at = -1;
        return NO_MATCH;
    }
    if (pat->csv_len && memchr(line, '"', n) != NULL) {
        return DEFER;  /* quoted CSV fields: the reference reads Go's lazy quotes */
    }
    const char *pos = line + pat->prefix_len, *end = line + n;
    for (int i = 0; i < pat->count; i++) {
        Py_ssize_t dlen = pat->delim_lens[i];
        if (dlen == 0) {
            if (pat->csv_len && memmem(pos, end - pos, pat->csv, pat->csv_len) != NULL) {
                return DEFER;  /* more columns than names: the reference writes the reject */
            }
            caps[i].p = pos;
            caps[i].n = end - pos;
            continue;
        }
        if (pat->quoted[i] && memchr(pos, '\\', end - pos) != NULL) {
            return DEFER;  /* Go string-literal escapes: the reference reads them */
        }
        const char *found = dlen == 1 ? memchr(pos, pat->delims[i][0], end - pos)
                                      : memmem(pos, end - pos, pat->delims[i], dlen);
        if (found == NULL) {
            pat->fail_at = i;
            pat->fail_pos = pos - line;
            return NO_MATCH;
        }
        caps[i].p = pos;
        caps[i].n = found - pos;
        pos = found + dlen;
    }
    return MATCHED;
}

/* --- values ----------------------------------------------------------------------------------- */

/* The value of 1 to `most` (at most 18) ASCII digits, no sign; 0 when [p, p + n) is not that. */
static int digits_value(const char *p, Py_ssize_t n, Py_ssize_t most, int64_t *value) {
    if (n < 1 || n > most) {  /* no digit is no number (a plan never asks: "" is null there) */
        return 0;
    }
    *value = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9) {
            return 0;
        }
        *value = *value * 10 + d;
    }
    return 1;
}

#define INT_DIGITS_MOST 18  /* below 2**63 whatever they are: the digit loop cannot overflow */

/* ASCII digits only (no sign), at most 18 of them, at most max: written without leading zeros. */
static int put_int(Plan *self, const char *p, Py_ssize_t n, int64_t max) {
    int64_t value;
    if (!digits_value(p, n, INT_DIGITS_MOST, &value) || value > max) {
        return 0;
    }
    char digits[20];
    int k = 20;
    do {
        digits[--k] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    put(self, digits + k, 20 - k);
    return 1;
}

static inline int two(const char *p) {
    unsigned a = (unsigned char)p[0] - '0', b = (unsigned char)p[1] - '0';
    return a > 9 || b > 9 ? -1 : (int)(a * 10 + b);
}

static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }
    return days[m - 1];
}

/* "YYYY-MM-DD HH:MM:SS." (UTC) of an epoch second, or 0 outside the years 0000 to 9999. */
static int format_head(int64_t seconds, char *head) {
    int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
    int64_t rest = seconds - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        return 0;
    }
    int h = (int)(rest / 3600), mi = (int)(rest / 60 % 60), se = (int)(rest % 60);
    char *o = head;
    *o++ = (char)('0' + y / 1000);
    *o++ = (char)('0' + y / 100 % 10);
    *o++ = (char)('0' + y / 10 % 10);
    *o++ = (char)('0' + y % 10);
    *o++ = '-';
    *o++ = (char)('0' + m / 10);
    *o++ = (char)('0' + m % 10);
    *o++ = '-';
    *o++ = (char)('0' + d / 10);
    *o++ = (char)('0' + d % 10);
    *o++ = ' ';
    *o++ = (char)('0' + h / 10);
    *o++ = (char)('0' + h % 10);
    *o++ = ':';
    *o++ = (char)('0' + mi / 10);
    *o++ = (char)('0' + mi % 10);
    *o++ = ':';
    *o++ = (char)('0' + se / 10);
    *o++ = (char)('0' + se % 10);
    *o++ = '.';
    return 1;
}

/* "YYYY-MM-DD HH:MM:SS." of "YYYY-MM-DDTHH:MM:SS" + zone (timestamps._rfc3339_second's checks). */
static int rfc3339_head(const char *s, const char *zone, Py_ssize_t zone_len, char *head) {
    int c1 = two(s), c2 = two(s + 2), month = two(s + 5), day = two(s + 8);
    int hour = two(s + 11), minute = two(s + 14), second = two(s + 17);
    if (c1 < 0 || c2 < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 ||
        s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
        return 0;
    }
    int64_t year = c1 * 100 + c2;
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 59) {
        return 0;
    }
    int64_t offset = 0;
    if (zone_len == 6) {
        int oh = two(zone + 1), om = two(zone + 4);
        if ((zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || oh < 0 || om < 0 || oh > 23 ||
            om > 59) {
            return 0;
        }
        offset = (zone[0] == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
    }
    int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    return format_head(seconds - offset, head);
}

/* RFC 3339 text as the JSON string "YYYY-MM-DD HH:MM:SS.fffffffff" (UTC), or 0 to defer. */
static int put_rfc3339(Plan *self, const char *s, Py_ssize_t n) {
    if (n < 20) {
        return 0;
    }
    Py_ssize_t zone_at = s[n - 1] == 'Z' ? n - 1 : n - 6;
    if (zone_at < 19) {
        return 0;
    }
    const char *zone = s + zone_at;
    Py_ssize_t zone_len = n - zone_at;
    if (zone_at > 19) {  /* a fraction: "." or "," and digits, cut to nine */
        if ((s[19] != '.' && s[19] != ',') || zone_at == 20) {
            return 0;
        }
        for (Py_ssize_t i = 20; i < zone_at; i++) {
            if ((unsigned)((unsigned char)s[i] - '0') > 9) {  /* unsigned: a byte below '0' wraps above 9 */
                return 0;
            }
        }
    }
    if (self->ts_key_len != 19 + zone_len || memcmp(self->ts_key, s, 19) != 0 ||
        memcmp(self->ts_key + 19, zone, zone_len) != 0) {
        if (!rfc3339_head(s, zone, zone_len, self->ts_head)) {
            return 0;
        }
        memcpy(self->ts_key, s, 19);
        memcpy(self->ts_key + 19, zone, zone_len);
        self->ts_key_len = 19 + zone_len;
    }
    char *o = self->out + self->len;
    *o++ = '"';
    memcpy(o, self->ts_head, 20);
    o += 20;
    Py_ssize_t digits = zone_at > 19 ? zone_at - 20 : 0;
    if (digits > 9) {
        digits = 9;
    }
    memcpy(o, s + 20, digits);
    o += digits;
    for (Py_ssize_t i = digits; i < 9; i++) {
        *o++ = '0';
    }
    *o++ = '"';
    self->len = o - self->out;
    return 1;
}

/* Plain-digit epoch time in units of `unit` ns (unix, unix_ms, unix_us, unix_ns), as the JSON string
 * of its UTC time; 0 to defer (a sign, a fraction, an exponent, too many digits for year 9999). */
static inline Py_ssize_t epoch_digits_most(int64_t unit) {
    return unit == 1000000000 ? 11 : unit == 1000000 ? 14 : unit == 1000 ? 17 : 18;
}

static int put_epoch(Plan *self, const char *s, Py_ssize_t n, int64_t unit) {
    int64_t count;
    if (!digits_value(s, n, epoch_digits_most(unit), &count)) {
        return 0;
    }
    int64_t per_second = 1000000000 / unit;
    int64_t seconds = count / per_second, nanos = count % per_second * unit;
    if (self->epoch_second != seconds || self->epoch_head[0] == 0) {
        if (!format_head(seconds, self->epoch_head)) {
            return 0;
        }
        self->epoch_second = seconds;
    }
    char *o = self->out + self->len;
    *o++ = '"';
    memcpy(o, self->epoch_head, 20);
    o += 20;
    for (int i = 8; i >= 0; i--) {
        o[i] = (char)('0' + nanos % 10);
        nanos /= 10;
    }
    o += 9;
    *o++ = '"';
    self->len = o - self->out;
    return 1;
}

/* --- answers from Python, remembered ------------------------------------------------------- */

static uint64_t hash_bytes(const char *p, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
    for (Py_ssize_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    }
    return h;
}

static void cache_clear(Cache *cache) {
    if (cache->slots != NULL) {
        for (Py_ssize_t i = 0; i < CACHE_SLOTS; i++) {
            PyMem_RawFree(cache->slots[i].data);
        }
        memset(cache->slots, 0, CACHE_SLOTS * sizeof(Entry));
    }
    cache->used = 0;
}

static void cache_free(Cache *cache) {
    cache_clear(cache);
    PyMem_RawFree(cache->slots);
    PyMem_RawFree(cache->spare.data);
    cache->slots = NULL;
    cache->spare.data = NULL;
}

static Entry *cache_find(const Cache *cache, const char *p, Py_ssize_t n, uint64_t h) {
    if (cache->slots == NULL || n > CACHE_KEY_MOST) {
        return NULL;
    }
    for (size_t i = h & (CACHE_SLOTS - 1);; i = (i + 1) & (CACHE_SLOTS - 1)) {
        Entry *e = &cache->slots[i];
        if (e->data == NULL) {
            return NULL;
        }
        if (e->hash == h && e->key_len == n && memcmp(e->data, p, n) == 0) {
            return e;
        }
    }
}

/* Keep an answer for value [p, p + n); NULL when out of memory (no exception set). */
static Entry *cache_put(Cache *cache, const char *p, Py_ssize_t n, uint64_t h, const char *answer,
                        Py_ssize_t answer_len, int refused) {
    Entry *e;
    if (n > CACHE_KEY_MOST) {
        e = &cache->spare;
        PyMem_RawFree(e->data);
        e->data = NULL;
    } else {
        if (cache->slots == NULL) {
            cache->slots = PyMem_RawCalloc(CACHE_SLOTS, sizeof(Entry));
            if (cache->slots == NULL) {
                return NULL;
            }
        }
        if (cache->used >= CACHE_MOST) {
            cache_clear(cache);
        }
        size_t i = h & (CACHE_SLOTS - 1);
        while (cache->slots[i].data != NULL) {
            i = (i + 1) & (CACHE_SLOTS - 1);
        }
        e = &cache->slots[i];
    }
    e->data = PyMem_RawMalloc(n + answer_len + 1);
    if (e->data == NULL) {
        return NULL;
    }
    memcpy(e->data, p, n);
    memcpy(e->data + n, answer, answer_len);
    e->hash = h;
    e->key_len = n;
    e->answer_len = answer_len;
    e->refused = refused;
    if (e != &cache->spare) {
        cache->used++;
    }
    return e;
}

/* The answer bytes of a K_CALL converter (JSON, or refused) or of an indicator scanner (members,
 * each as three u32-length-prefixed strings: key, raw value, JSON). Sets an exception on a wrong
 * answer. */
static int answer_bytes(PyObject *answer, int scanner, char **out, Py_ssize_t *len, int *refused) {
    *refused = 0;
    if (!scanner) {
        if (answer == Py_None) {
            *refused = 1;
            *out = NULL;
            *len = 0;
            return 0;
        }
        if (!PyBytes_Check(answer)) {
            PyErr_SetString(PyExc_TypeError, "a fast-path converter must return bytes or None");
            return -1;
        }
        *len = PyBytes_GET_SIZE(answer);
        *out = PyMem_RawMalloc(*len + 1);
        if (*out == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(*out, PyBytes_AS_STRING(answer), *len);
        return 0;
    }
    if (!PyTuple_Check(answer)) {
        PyErr_SetString(PyExc_TypeError, "a scanner must return a tuple of (key, raw, json)");
        return -1;
    }
    Py_ssize_t size = 0, count = PyTuple_GET_SIZE(answer);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *member = PyTuple_GET_ITEM(answer, i);
        if (!PyTuple_Check(member) || PyTuple_GET_SIZE(member) != 3) {
            PyErr_SetString(PyExc_TypeError, "a scanner must return a tuple of (key, raw, json)");
            return -1;
        }
        for (int k = 0; k < 3; k++) {
            PyObject *part = PyTuple_GET_ITEM(member, k);
            if (!PyBytes_Check(part) || PyBytes_GET_SIZE(part) > UINT32_MAX) {
                PyErr_SetString(PyExc_TypeError, "a scanner's members are bytes");
                return -1;
            }
            size += 4 + PyBytes_GET_SIZE(part);
        }
    }
    char *o = *out = PyMem_RawMalloc(size + 1);
    if (o == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        for (int k = 0; k < 3; k++) {
            PyObject *part = PyTuple_GET_ITEM(PyTuple_GET_ITEM(answer, i), k);
            uint32_t n = (uint32_t)PyBytes_GET_SIZE(part);
            memcpy(o, &n, 4);
            memcpy(o + 4, PyBytes_AS_STRING(part), n);
            o += 4 + n;
        }
    }
    *len = size;
    return 0;
}

/* The remembered answer of `call` for value [p, p + n), asking Python (with the GIL) when it is
 * new. NULL on error, with the GIL held and an exception set (or out_of_memory). */
static Entry *remember(Plan *self, Cache *cache, PyObject *call, int scanner, const char *p,
                       Py_ssize_t n) {
    uint64_t h = hash_bytes(p, n);
    Entry *e = cache_find(cache, p, n, h);
    if (e != NULL) {
        return e;
    }
    hold_gil(self);
    PyObject *value = PyBytes_FromStringAndSize(p, n);
    if (value == NULL) {
        return NULL;
    }
    PyObject *answer = PyObject_CallOneArg(call, value);
    Py_DECREF(value);
    if (answer == NULL) {
        return NULL;
    }
    char *bytes;
    Py_ssize_t len;
    int refused;
    int failed = answer_bytes(answer, scanner, &bytes, &len, &refused);
    Py_DECREF(answer);
    if (failed) {
        return NULL;
    }
    e = cache_put(cache, p, n, h, bytes ? bytes : "", len, refused);
    PyMem_RawFree(bytes);
    if (e == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    release_gil(self);
    return e;
}

static int member_before(const Member *a, const Member *b) {
    uint32_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    if (c != 0 || a->key_len != b->key_len) {
        return c != 0 ? c < 0 : a->key_len < b->key_len;
    }
    n = a->raw_len < b->raw_len ? a->raw_len : b->raw_len;
    c = memcmp(a->raw, b->raw, n);
    return c != 0 ? c < 0 : a->raw_len < b->raw_len;
}

static int same_member(const Member *a, const Member *b) {
    return a->key_len == b->key_len && a->raw_len == b->raw_len &&
           memcmp(a->key, b->key, a->key_len) == 0 && memcmp(a->raw, b->raw, a->raw_len) == 0;
}

/* Room for one more member; NULL when out of memory. */
static Member *new_member(Plan *self, Py_ssize_t *count) {
    if (*count == self->members_cap) {
        Py_ssize_t cap = self->members_cap ? 2 * self->members_cap : 16;
        Member *members = PyMem_RawRealloc(self->members, cap * sizeof(Member));
        if (members == NULL) {
            self->out_of_memory = 1;
            return NULL;
        }
        self->members = members;
        self->members_cap = cap;
    }
    return &self->members[(*count)++];
}

/* An IPv4 address as Go (>= 1.17) and Python's ipaddress read one: four decimal octets of at most
 * 255, without leading zeros. */
static int is_ipv4(const char *p, Py_ssize_t n) {
    Py_ssize_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || p[i] != '.') {
                return 0;
            }
            i++;
        }
        Py_ssize_t start = i;
        int value = 0;
        while (i < n && i - start < 3 && p[i] >= '0' && p[i] <= '9') {
            value = value * 10 + (p[i++] - '0');
        }
        if (i == start || value > 255 || (i - start > 1 && p[start] == '0')) {
            return 0;
        }
    }
    return i == n;
}

/* What an ip or hostname indicator makes of a value, when that is certain without Python: 1 an
 * IPv4 address (added), 0 nothing (for ip: no ':' and not IPv4, so no IP at all), -1 ask scan. A
 * value with a space or a non-ASCII character at either end is trimmed by the scanner: ask. */
static int ip_member(Plan *self, const Field *field, const Span *v, Py_ssize_t *count) {
    if (field->ip == IP_IN_PYTHON || v->n == 0) {
        return -1;
    }
    unsigned char first = (unsigned char)v->p[0], last = (unsigned char)v->p[v->n - 1];
    if (first >= 0x80 || last >= 0x80 || may_be_blank(first) || may_be_blank(last)) {
        return -1;
    }
    if (is_ipv4(v->p, v->n)) {
        Member *m = new_member(self, count);
        if (m == NULL) {
            return -2;
        }
        m->key = self->ip_key;
        m->key_len = (uint32_t)self->ip_key_len;
        m->raw = v->p;
        m->raw_len = (uint32_t)v->n;
        m->json = NULL;
        m->json_len = (uint32_t)v->n + 2;
        return 1;
    }
    return field->ip == IP_ONLY && memchr(v->p, ':', v->n) == NULL ? 0 : -1;
}

/* Add the members an entry of a scanner holds. -1 when out of memory. */
static int gather(Plan *self, const Entry *e, Py_ssize_t *count) {
    const char *p = e->data + e->key_len, *end = p + e->answer_len;
    while (p < end) {
        Member *m = new_member(self, count);
        if (m == NULL) {
            return -1;
        }
        memcpy(&m->key_len, p, 4);
        m->key = p + 4;
        p += 4 + m->key_len;
        memcpy(&m->raw_len, p, 4);
        m->raw = p + 4;
        p += 4 + m->raw_len;
        memcpy(&m->json_len, p, 4);
        m->json = p + 4;
        p += 4 + m->json_len;
    }
    return 0;
}

/* The p_any_* members of a line's indicator fields (inds: their values by slot) into self->members,
 * *count of them. 0, or -1 on error. */
static int gather_indicators(Plan *self, const Span *inds, Py_ssize_t *count_out) {
    Py_ssize_t count = *count_out;
    for (int f = 0; f < self->nfields; f++) {
        Field *field = &self->fields[f];
        if (field->indicator < 0 || inds[field->indicator].n < 0) {
            continue;
        }
        const Span *v = &inds[field->indicator];
        int native = ip_member(self, field, v, &count);
        if (native == -2) {
            return -1;
        }
        if (native >= 0) {
            continue;
        }
        Entry *e = remember(self, &field->scanned, field->scan, 1, v->p, v->n);
        if (e == NULL || gather(self, e, &count) < 0) {
            return -1;
        }
    }
    *count_out = count;
    return 0;
}

/* The p_any_* lists of a line from its `count` members, as the reference path writes them: keys
 * sorted, each list's values sorted by their bytes (Go's sort.Strings), duplicates once. 0, or -1
 * on error. */
static int put_members(Plan *self, Py_ssize_t count) {
    Member *m = self->members;
    Py_ssize_t size = 2;
    for (Py_ssize_t i = 1; i < count; i++) {  /* insertion sort: a line has a few members */
        Member key = m[i];
        Py_ssize_t j = i;
        while (j > 0 && member_before(&key, &m[j - 1])) {
            m[j] = m[j - 1];
            j--;
        }
        m[j] = key;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        size += m[i].key_len + m[i].json_len + 2;
    }
    if (reserve(self, size) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (i > 0 && same_member(&m[i], &m[i - 1])) {
            continue;
        }
        if (i == 0 || m[i].key_len != m[i - 1].key_len ||
            memcmp(m[i].key, m[i - 1].key, m[i].key_len) != 0) {
            if (i > 0) {
                put_char(self, ']');
            }
            put(self, m[i].key, m[i].key_len);
        } else {
            put_char(self, ',');
        }
        if (m[i].json == NULL) {
            put_char(self, '"');
            put(self, m[i].raw, m[i].raw_len);
            put_char(self, '"');
        } else {
            put(self, m[i].json, m[i].json_len);
        }
    }
    if (count > 0) {
        put_char(self, ']');
    }
    return 0;
}

/* --- one line --------------------------------------------------------------------------------- */

enum { REFUSED = 3 };

/* A value of field f the plan would not write, in the event begun at `start`: REFUSED when the run
 * writes rejects and the reference path refuses the value too (the field's `refuse`, remembered
 * per value: self->refusal holds the start of the reject it gives), else 0 to defer the line. */
static int refuse(Plan *self, int f, Span v, Py_ssize_t start) {
    self->len = start;
    Field *field = &self->fields[f];
    if (!self->refusing || field->refuse == NULL) {
        return 0;
    }
    Entry *e = remember(self, &field->refusals, field->refuse, 0, v.p, v.n);
    if (e == NULL) {
        return -1;
    }
    if (e->refused) {
        return 0;
    }
    self->refusal = e;
    return REFUSED;
}

enum { NOT_TAKEN = 2 };

static int finish_event(Plan *self, Py_ssize_t start, Py_ssize_t event_time, Py_ssize_t event_time_len,
                        const char *parse_time, Py_ssize_t parse_time_len, Py_ssize_t members);
static int json_event(Plan *self, const char *line, Py_ssize_t n, Py_ssize_t max_line_bytes,
                      const char *parse_time, Py_ssize_t parse_time_len);

/* Write the event of one line; 1 when written, 0 to defer the line, NOT_TAKEN when no pattern
 * matches it (certainly: the reference path finds no match either), -1 on error. */
static int event(Plan *self, const char *line, Py_ssize_t n, Py_ssize_t max_line_bytes,
                 Span *caps, Span *inds, const char *parse_time, Py_ssize_t parse_time_len) {
    if (self->json) {
        return json_event(self, line, n, max_line_bytes, parse_time, parse_time_len);
    }
    if (n == 0 || n > max_line_bytes) {
        return 0;
    }
    if (self->skip_prefix_len && n >= self->skip_prefix_len &&
        memcmp(line, self->skip_prefix, self->skip_prefix_len) == 0) {
        return 0;
    }
    if (!utf8_valid((const unsigned char *)line, n)) {
        return 0;
    }
    if (may_be_blank((unsigned char)line[0])) {  /* a blank line is a skip: the reference counts it */
        Span all = {line, n};
        trim(&all);
        if (all.n == 0) {
            return 0;
        }
    }
    int k = 0;
    for (; k < self->npatterns; k++) {
        int found = match(&self->patterns[k], line, n, caps);
        if (found == MATCHED) {
            break;
        }
        if (found == DEFER) {
            return 0;
        }
    }
    if (k == self->npatterns) {
        return NOT_TAKEN;
    }
    /* Room for everything of this event but its strings and Python-made fragments, which reserve
     * their own room (plus this much again) before they are written. */
    Py_ssize_t fixed = 512 + self->log_type_len + self->source_len + 2 * parse_time_len +
                       (Py_ssize_t)self->nfields * 64 + self->keys_len;
    if (reserve(self, fixed) < 0) {
        return -1;
    }
    Py_ssize_t start = self->len;
    Py_ssize_t event_time = -1, event_time_len = 0;
    for (int i = 0; i < self->nindicators; i++) {
        inds[i].n = -1;
    }
    for (int f = 0; f < self->nfields; f++) {
        const Field *field = &self->fields[f];
        int at = field->captures[k];
        Span v = {NULL, -1};
        if (at >= 0) {
            v = caps[at];
            if (self->trim_space) {
                trim(&v);
            }
            for (int e = 0; e < self->nempties; e++) {
                if (v.n == self->empty_lens[e] && memcmp(v.p, self->empties[e], v.n) == 0) {
                    v.n = -1;
                    break;
                }
            }
        }
        if (v.n < 0 || (v.n == 0 && !field->keeps_empty)) {
            if (field->required) {
                goto defer;
            }
            continue;
        }
        put(self, field->key, field->key_len);
        Py_ssize_t value_at = self->len;
        switch (field->kind) {
        case K_STRING:
            if (reserve(self, 6 * v.n + fixed) < 0) {  /* 6: a control character as \u00XX */
                return -1;
            }
            put_json_string(self, v.p, v.n);
            break;
        case K_INT:
            if (!put_int(self, v.p, v.n, field->int_max)) {
                return refuse(self, f, v, start);
            }
            break;
        case K_RFC3339:
            if (!put_rfc3339(self, v.p, v.n)) {
                return refuse(self, f, v, start);
            }
            break;
        case K_EPOCH:
            if (!put_epoch(self, v.p, v.n, field->unit_ns)) {
                return refuse(self, f, v, start);
            }
            break;
        default: {
            Field *mutable = &self->fields[f];
            Entry *e = remember(self, &mutable->converted, field->call, 0, v.p, v.n);
            if (e == NULL) {
                return -1;
            }
            if (e->refused) {
                return refuse(self, f, v, start);
            }
            if (reserve(self, e->answer_len + fixed) < 0) {
                return -1;
            }
            put(self, e->data + e->key_len, e->answer_len);
        }
        }
        if (field->event_time && event_time < 0) {
            event_time = value_at;
            event_time_len = self->len - value_at;
        }
        if (field->indicator >= 0) {
            inds[field->indicator] = v;
        }
    }
    Py_ssize_t members = 0;
    if (self->nindicators && gather_indicators(self, inds, &members) < 0) {
        return -1;
    }
    return finish_event(self, start, event_time, event_time_len, parse_time, parse_time_len, members);
defer:
    self->len = start;
    return 0;
}

/* The end of an event begun at `start` (its fields written, each starting with ','): the p_ fields,
 * p_event_time copied from [event_time, + event_time_len) of the output (-1: the parse time), the
 * p_any_* lists of its `members`, then '}' and '\n'. Room for all but the lists is reserved. 1, or
 * -1 on error. */
static int finish_event(Plan *self, Py_ssize_t start, Py_ssize_t event_time, Py_ssize_t event_time_len,
                        const char *parse_time, Py_ssize_t parse_time_len, Py_ssize_t members) {
    put(self, self->log_type, self->log_type_len);
    put(self, self->row_prefix, 16);
    uint64_t id = ++self->counter;
    char *o = self->out + self->len;
    for (int i = 11; i >= 0; i--) {
        o[i] = HEX[id & 15];
        id >>= 4;
    }
    self->len += 12;
    put(self, "\",\"p_event_time\":", 17);
    if (event_time >= 0) {
        memmove(self->out + self->len, self->out + event_time, event_time_len);
        self->len += event_time_len;
    } else {
        put_char(self, '"');
        put(self, parse_time, parse_time_len);
        put_char(self, '"');
    }
    put(self, ",\"p_parse_time\":\"", 17);
    put(self, parse_time, parse_time_len);
    put_char(self, '"');
    put(self, self->source, self->source_len);
    if (members > 0 && put_members(self, members) < 0) {
        return -1;
    }
    self->out[start] = '{';  /* every fragment starts with ','; the first opens the object */
    put_char(self, '}');
    put_char(self, '\n');
    return 1;
}

/* === JSON lines ===================================================================================
 *
 * A JSON plan (engine/plan.py, for a schema without a parser block) has no patterns: each line is
 * parsed by yyjson (vendor/yyjson: strict RFC 8259, which rejects what orjson rejects on the lines it
 * is given here: bad UTF-8, lone surrogates, infinities) and its fields are found by key, as the
 * generated line function finds them in orjson's dict: members in order, a later duplicate key
 * replacing an earlier one, unknown keys ignored. Fields are written in schema order: an object as
 * {...} of its own fields (an empty one kept), an array element by element (null kept, an empty
 * array left out), a json field as orjson.dumps writes the decoded value (compact, key order kept).
 * Everything else is deferred whole: a line that does not start with '{' or is not exactly one
 * JSON value, one of more than JSON_VALUES_MOST values (which could nest deeper than orjson reads),
 * a missing required field, a value of the wrong JSON type, a float or an object with a duplicate
 * key in a json field, a native number or boolean in a string field with indicators, ... */

enum { SHAPE_SCALAR = 0, SHAPE_OBJECT = 1, SHAPE_ARRAY = 2, SHAPE_JSON = 3 };
static const char *const SHAPE_NAMES[] = {"scalar", "object", "array", "json"};

/* A string field whose only indicator is aws_arn or aws_account_id: read here, as
 * indicators._scan_aws_arn and _scan_aws_account_id do (ASCII rules, so bytes will do). */
enum { AWS_IN_PYTHON = 0, AWS_ARN = 1, AWS_ACCOUNT_ID = 2 };
static const char *const AWS_NAMES[] = {"", "aws_arn", "aws_account_id"};
enum { AWS_KEY_ACCOUNT = 0, AWS_KEY_ARN = 1, AWS_KEY_INSTANCE = 2 };

#define JSON_VALUES_MOST 1000  /* values in a line: so few cannot nest past orjson's 1024 levels */

typedef struct {
    Py_ssize_t members;        /* p_any_* members gathered so far */
    Py_ssize_t event_time;     /* where the first event time written is in the output, or -1 */
    Py_ssize_t event_time_len;
} JsonLine;

static int json_value(Plan *self, const Field *field, yyjson_val *v, JsonLine *st);
static int bad(const char *what);
static PyObject *attr(PyObject *item, const char *name);

static void put_u64(Plan *self, uint64_t value) {
    char digits[20];
    int k = 20;
    do {
        digits[--k] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    put(self, digits + k, 20 - k);
}

static void put_i64(Plan *self, int64_t value) {
    if (value < 0) {
        put_char(self, '-');
        put_u64(self, (uint64_t)0 - (uint64_t)value);
    } else {
        put_u64(self, (uint64_t)value);
    }
}

/* Whether object v has a key twice (before position i of the key k, n bytes). */
static int json_key_before(yyjson_val *obj, size_t i, const char *k, size_t n) {
    size_t j, max;
    yyjson_val *key, *item;
    yyjson_obj_foreach(obj, j, max, key, item) {
        if (j >= i) {
            break;
        }
        if (yyjson_get_len(key) == n && memcmp(yyjson_get_str(key), k, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A json field's value as orjson.dumps writes what orjson.loads makes of it: 1; 0 to defer (a float,
 * whose repr is orjson's, or an object with a duplicate key, whose first place orjson keeps); -1 out
 * of memory. */
static int json_tree(Plan *self, yyjson_val *v) {
    if (reserve(self, 32) < 0) {
        return -1;
    }
    switch (yyjson_get_type(v)) {
    case YYJSON_TYPE_NULL:
        put(self, "null", 4);
        return 1;
    case YYJSON_TYPE_BOOL:
        if (yyjson_get_bool(v)) {
            put(self, "true", 4);
        } else {
            put(self, "false", 5);
        }
        return 1;
    case YYJSON_TYPE_NUM:
        if (yyjson_is_uint(v)) {
            put_u64(self, yyjson_get_uint(v));
            return 1;
        }
        if (yyjson_is_sint(v)) {
            put_i64(self, yyjson_get_sint(v));
            return 1;
        }
        return 0;
    case YYJSON_TYPE_STR: {
        size_t n = yyjson_get_len(v);
        if (reserve(self, 6 * (Py_ssize_t)n + 2) < 0) {
            return -1;
        }
        put_json_string(self, yyjson_get_str(v), (Py_ssize_t)n);
        return 1;
    }
    case YYJSON_TYPE_ARR: {
        size_t i, max;
        yyjson_val *item;
        put_char(self, '[');
        yyjson_arr_foreach(v, i, max, item) {
            if (i > 0) {
                put_char(self, ',');  /* json_tree and the ']' below leave room for one */
            }
            int r = json_tree(self, item);
            if (r <= 0) {
                return r;
            }
            if (reserve(self, 1) < 0) {
                return -1;
            }
        }
        put_char(self, ']');
        return 1;
    }
    case YYJSON_TYPE_OBJ: {
        size_t i, max;
        yyjson_val *key, *item;
        put_char(self, '{');
        yyjson_obj_foreach(v, i, max, key, item) {
            const char *k = yyjson_get_str(key);
            size_t n = yyjson_get_len(key);
            if (json_key_before(v, i, k, n)) {
                return 0;
            }
            if (reserve(self, 6 * (Py_ssize_t)n + 4) < 0) {
                return -1;
            }
            if (i > 0) {
                put_char(self, ',');
            }
            put_json_string(self, k, (Py_ssize_t)n);
            put_char(self, ':');
            int r = json_tree(self, item);
            if (r <= 0) {
                return r;
            }
            if (reserve(self, 1) < 0) {
                return -1;
            }
        }
        put_char(self, '}');
        return 1;
    }
    default:
        return 0;
    }
}

/* Exactly 12 ASCII digits. */
static int is_account_id(const char *p, Py_ssize_t n) {
    if (n != 12) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < 12; i++) {
        if ((unsigned)((unsigned char)p[i] - '0') > 9) {
            return 0;
        }
    }
    return 1;
}

static int aws_add(Plan *self, const Field *field, int which, const char *p, Py_ssize_t n, Py_ssize_t *count) {
    Member *m = new_member(self, count);
    if (m == NULL) {
        return -1;
    }
    m->key = field->aws_keys[which];
    m->key_len = (uint32_t)field->aws_key_lens[which];
    m->raw = p;
    m->raw_len = (uint32_t)n;
    m->json = NULL;  /* the value between quotes: aws_member took none that JSON escapes */
    m->json_len = (uint32_t)n + 2;
    return 0;
}

/* What the aws_arn or aws_account_id indicator of `field` makes of a value, when it is read here: 1
 * (its members added), 0 (none), -2 out of memory; -1 ask scan (another indicator, or a value JSON
 * would escape). aws_arn: "arn:" then five ':'-separated parts at least (str.split(":", 5)): the
 * value; the fifth part if an account id; after the last '/' of an "instance/" resource if "i-". */
static int aws_member(Plan *self, const Field *field, const char *p, Py_ssize_t n, Py_ssize_t *count) {
    if (field->aws == AWS_IN_PYTHON || n > UINT32_MAX - 2) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (ESCAPE[(unsigned char)p[i]]) {
            return -1;
        }
    }
    if (field->aws == AWS_ACCOUNT_ID) {
        if (!is_account_id(p, n)) {
            return 0;
        }
        return aws_add(self, field, AWS_KEY_ACCOUNT, p, n, count) < 0 ? -2 : 1;
    }
    if (n < 4 || memcmp(p, "arn:", 4) != 0) {
        return 0;
    }
    Py_ssize_t colons[5];
    int k = 0;
    for (Py_ssize_t i = 3; i < n && k < 5; i++) {
        if (p[i] == ':') {
            colons[k++] = i;
        }
    }
    if (k < 5) {
        return 0;
    }
    if (aws_add(self, field, AWS_KEY_ARN, p, n, count) < 0) {
        return -2;
    }
    const char *account = p + colons[3] + 1;
    Py_ssize_t account_len = colons[4] - colons[3] - 1;
    if (is_account_id(account, account_len) && aws_add(self, field, AWS_KEY_ACCOUNT, account, account_len, count) < 0) {
        return -2;
    }
    const char *resource = p + colons[4] + 1;
    Py_ssize_t resource_len = n - colons[4] - 1;
    if (resource_len >= 9 && memcmp(resource, "instance/", 9) == 0) {
        Py_ssize_t slash = resource_len - 1;
        while (resource[slash] != '/') {
            slash--;
        }
        const char *instance = resource + slash + 1;
        Py_ssize_t instance_len = resource_len - slash - 1;
        if (instance_len >= 2 && instance[0] == 'i' && instance[1] == '-' &&
            aws_add(self, field, AWS_KEY_INSTANCE, instance, instance_len, count) < 0) {
            return -2;
        }
    }
    return 1;
}

/* The p_any_* members of one value of an indicator field. A field may give several in a line (array
 * elements): the entries of its scanned cache gathered before must then outlive this remembering, so
 * a line on which it would empty that cache, or reuse its spare entry, is deferred. 1, 0 to defer,
 * -1 on error. */
static int json_gather(Plan *self, Field *field, const char *p, Py_ssize_t n, JsonLine *st) {
    Span v = {p, n};
    int native = ip_member(self, field, &v, &st->members);
    if (native == -2) {
        return -1;
    }
    if (native >= 0) {
        return 1;
    }
    native = aws_member(self, field, p, n, &st->members);
    if (native == -2) {
        self->out_of_memory = 1;
        return -1;
    }
    if (native >= 0) {
        return 1;
    }
    int again = field->gathered_line == self->json_line;
    if (!again) {
        field->gathered_line = self->json_line;
        field->gathered_spare = 0;
    }
    if (n > CACHE_KEY_MOST) {
        if (again && field->gathered_spare) {
            return 0;
        }
        field->gathered_spare = 1;
    } else if (again && field->scanned.used >= CACHE_MOST &&
               cache_find(&field->scanned, p, n, hash_bytes(p, n)) == NULL) {
        return 0;
    }
    Entry *e = remember(self, &field->scanned, field->scan, 1, p, n);
    if (e == NULL || gather(self, e, &st->members) < 0) {
        return -1;
    }
    return 1;
}

/* A scalar field's value: a JSON string by the field's text rule (as for text parsers), a native
 * integer of an integer field in range as its digits, another native number or a boolean through the
 * field's native callable (tag and 8 bytes, remembered). 1, 0 to defer, -1 on error. */
static int json_scalar(Plan *self, const Field *field, yyjson_val *v, JsonLine *st) {
    Field *mutable = (Field *)field;
    Py_ssize_t value_at = self->len;
    if (yyjson_is_str(v)) {
        const char *p = yyjson_get_str(v);
        Py_ssize_t n = (Py_ssize_t)yyjson_get_len(v);
        if (reserve(self, 6 * n + 64) < 0) {
            return -1;
        }
        switch (field->kind) {
        case K_STRING:
            put_json_string(self, p, n);
            break;
        case K_INT:
            if (!put_int(self, p, n, field->int_max)) {
                return 0;
            }
            break;
        case K_RFC3339:
            if (!put_rfc3339(self, p, n)) {
                return 0;
            }
            break;
        case K_EPOCH:
            if (!put_epoch(self, p, n, field->unit_ns)) {
                return 0;
            }
            break;
        default: {
            Entry *e = remember(self, &mutable->converted, field->call, 0, p, n);
            if (e == NULL) {
                return -1;
            }
            if (e->refused) {
                return 0;
            }
            if (reserve(self, e->answer_len) < 0) {
                return -1;
            }
            put(self, e->data + e->key_len, e->answer_len);
        }
        }
        if (field->indicator >= 0) {
            int r = json_gather(self, mutable, p, n, st);
            if (r <= 0) {
                return r;
            }
        }
    } else if (field->kind == K_INT && (yyjson_is_uint(v) || yyjson_is_sint(v))) {
        if (reserve(self, 32) < 0) {
            return -1;
        }
        if (yyjson_is_uint(v)) {
            uint64_t u = yyjson_get_uint(v);
            if (u > (uint64_t)field->int_max) {
                return 0;
            }
            put_u64(self, u);
        } else {
            int64_t i = yyjson_get_sint(v);
            if (i < -field->int_max - 1 || i > field->int_max) {
                return 0;
            }
            put_i64(self, i);
        }
    } else if ((yyjson_is_num(v) || yyjson_is_bool(v)) && field->native != NULL && field->indicator < 0) {
        char key[9];
        if (yyjson_is_bool(v)) {
            key[0] = yyjson_get_bool(v) ? 'T' : 'F';
            memset(key + 1, 0, 8);
        } else if (yyjson_is_uint(v)) {
            uint64_t u = yyjson_get_uint(v);
            key[0] = 'u';
            memcpy(key + 1, &u, 8);
        } else if (yyjson_is_sint(v)) {
            int64_t i = yyjson_get_sint(v);
            key[0] = 's';
            memcpy(key + 1, &i, 8);
        } else {
            double d = yyjson_get_real(v);
            key[0] = 'd';
            memcpy(key + 1, &d, 8);
        }
        Entry *e = remember(self, &mutable->natives, field->native, 0, key, 9);
        if (e == NULL) {
            return -1;
        }
        if (e->refused) {
            return 0;
        }
        if (reserve(self, e->answer_len) < 0) {
            return -1;
        }
        put(self, e->data + e->key_len, e->answer_len);
    } else {
        return 0;
    }
    if (field->event_time && st->event_time < 0) {
        st->event_time = value_at;
        st->event_time_len = self->len - value_at;
    }
    return 1;
}

/* Whether v stands for no value in `field`: null, or "" where "" is null (scalars but string and json). */
static inline int json_null(const Field *field, yyjson_val *v) {
    return yyjson_is_null(v) ||
           (field->shape == SHAPE_SCALAR && !field->keeps_empty && yyjson_is_str(v) && yyjson_get_len(v) == 0);
}

/* An array field's elements (v is a non-empty array): each element's value, null for no value. An
 * element that is itself an empty array would be left out by the reference: deferred. */
static int json_array(Plan *self, const Field *field, yyjson_val *v, JsonLine *st) {
    const Field *element = &self->fields[field->children[0]];
    size_t i, max;
    yyjson_val *item;
    if (reserve(self, 1) < 0) {
        return -1;
    }
    put_char(self, '[');
    yyjson_arr_foreach(v, i, max, item) {
        if (reserve(self, 8) < 0) {
            return -1;
        }
        if (i > 0) {
            put_char(self, ',');
        }
        if (json_null(element, item)) {
            put(self, "null", 4);
            continue;
        }
        if (element->shape == SHAPE_ARRAY && (!yyjson_is_arr(item) || yyjson_arr_size(item) == 0)) {
            return 0;
        }
        int r = json_value(self, element, item, st);
        if (r <= 0) {
            return r;
        }
    }
    if (reserve(self, 1) < 0) {
        return -1;
    }
    put_char(self, ']');
    return 1;
}

/* memcmp(a, b, n) == 0 for keys of a few bytes, without a call. */
static inline int same_bytes(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}

/* A cheap hash of a key, to find an object's fields by it (a few bytes and the length). */
static inline uint32_t key_hash(const char *k, size_t n) {
    if (n == 0) {
        return 0;
    }
    const unsigned char *u = (const unsigned char *)k;
    return (uint32_t)n * 2654435761u ^ (uint32_t)u[0] * 40503u ^ (uint32_t)u[n - 1] * 97u ^
           (uint32_t)u[n / 2] * 7919u;
}

/* An object field's fields (nested: between braces, the first without its comma; else the event's,
 * each with its comma), in schema order, each found by key among obj's members, the last of a key. */
static int json_object(Plan *self, const Field *field, yyjson_val *obj, JsonLine *st, int nested) {
    yyjson_val **found = self->json_found;
    for (int c = 0; c < field->nchildren; c++) {
        found[field->children[c]] = NULL;
    }
    size_t i, max;
    yyjson_val *key, *item;
    yyjson_obj_foreach(obj, i, max, key, item) {
        const char *k = yyjson_get_str(key);
        size_t n = yyjson_get_len(key);
        for (uint32_t h = key_hash(k, n) & field->keys_mask;; h = (h + 1) & field->keys_mask) {
            int c = field->keys[h];
            if (c < 0) {
                break;
            }
            const Field *child = &self->fields[field->children[c]];
            if ((size_t)child->name_len == n && same_bytes(child->name, k, n)) {
                found[field->children[c]] = item;  /* (a schema may read one key twice: no break) */
            }
        }
    }
    if (reserve(self, 2) < 0) {
        return -1;
    }
    if (nested) {
        put_char(self, '{');
    }
    int skip = nested;  /* the first field's comma */
    for (int c = 0; c < field->nchildren; c++) {
        const Field *child = &self->fields[field->children[c]];
        yyjson_val *v = found[field->children[c]];
        if (v == NULL || json_null(child, v)) {
            if (child->required) {
                return 0;
            }
            continue;
        }
        if (child->shape == SHAPE_ARRAY) {
            if (!yyjson_is_arr(v)) {
                return 0;
            }
            if (yyjson_arr_size(v) == 0) {
                continue;  /* an empty array is left out (required or not) */
            }
        }
        if (reserve(self, child->key_len) < 0) {
            return -1;
        }
        put(self, child->key + skip, child->key_len - skip);
        skip = 0;
        int r = json_value(self, child, v, st);
        if (r <= 0) {
            return r;
        }
    }
    if (nested) {
        if (reserve(self, 1) < 0) {
            return -1;
        }
        put_char(self, '}');
    }
    return 1;
}

/* A field's value, v neither null nor missing. */
static int json_value(Plan *self, const Field *field, yyjson_val *v, JsonLine *st) {
    switch (field->shape) {
    case SHAPE_JSON:
        return json_tree(self, v);
    case SHAPE_OBJECT:
        return yyjson_is_obj(v) ? json_object(self, field, v, st, 1) : 0;
    case SHAPE_ARRAY:
        return yyjson_is_arr(v) ? json_array(self, field, v, st) : 0;
    default:
        return json_scalar(self, field, v, st);
    }
}

/* The event of one JSON line (Plan.run on a JSON plan): 1 written, 0 deferred, -1 on error, and
 * NOT_TAKEN for a valid UTF-8 line that is certainly no JSON object nor null (its first byte is
 * none of '{', 'n' and what may be blank), which the reference refuses as invalid_json. */
static int json_event(Plan *self, const char *line, Py_ssize_t n, Py_ssize_t max_line_bytes,
                      const char *parse_time, Py_ssize_t parse_time_len) {
    if (n == 0 || n > max_line_bytes || may_be_blank((unsigned char)line[0])) {
        return 0;
    }
    if (!utf8_valid((const unsigned char *)line, n)) {
        return 0;
    }
    if (line[0] != '{') {
        return line[0] == 'n' ? 0 : NOT_TAKEN;
    }
    size_t need = yyjson_read_max_memory_usage((size_t)n, 0);
    if (need > self->json_pool_cap) {
        char *pool = PyMem_RawRealloc(self->json_pool, need);
        if (pool == NULL) {
            self->out_of_memory = 1;
            return -1;
        }
        self->json_pool = pool;
        self->json_pool_cap = need;
    }
    yyjson_alc alc;
    if (!yyjson_alc_pool_init(&alc, self->json_pool, self->json_pool_cap)) {
        return 0;
    }
    yyjson_doc *doc = yyjson_read_opts((char *)line, (size_t)n, 0, &alc, NULL);
    if (doc == NULL || yyjson_doc_get_val_count(doc) > JSON_VALUES_MOST) {
        return 0;
    }
    yyjson_val *root = yyjson_doc_get_root(doc);
    if (!yyjson_is_obj(root)) {
        return 0;
    }
    Py_ssize_t fixed = 512 + self->log_type_len + self->source_len + 2 * parse_time_len;
    if (reserve(self, fixed) < 0) {
        return -1;
    }
    Py_ssize_t start = self->len;
    self->json_line++;
    JsonLine st = {0, -1, 0};
    int r = json_object(self, &self->fields[0], root, &st, 0);
    if (r <= 0) {
        self->len = start;
        return r;
    }
    if (reserve(self, fixed + st.event_time_len) < 0) {
        return -1;
    }
    return finish_event(self, start, st.event_time, st.event_time_len, parse_time, parse_time_len,
                        st.members);
}

/* The JSON attributes of a plan field (engine.plan.PlanField, by name): shape, name, children (an
 * object's fields, an array's element: indices of later fields, so that a walk ends) and native. */
static int read_json_field(Field *field, PyObject *item, int index, int nfields) {
    PyObject *shape = attr(item, "shape");
    if (shape == NULL) {
        return -1;
    }
    field->shape = -1;
    for (int k = 0; k < (int)(sizeof SHAPE_NAMES / sizeof *SHAPE_NAMES); k++) {
        if (PyUnicode_Check(shape) && PyUnicode_CompareWithASCIIString(shape, SHAPE_NAMES[k]) == 0) {
            field->shape = k;
        }
    }
    Py_DECREF(shape);
    /* borrowed from here on: the field object holds them, and the plan holds the field */
    PyObject *name = attr(item, "name"), *children = attr(item, "children"), *native = attr(item, "native");
    Py_XDECREF(name);
    Py_XDECREF(children);
    Py_XDECREF(native);
    if (name == NULL || children == NULL || native == NULL) {
        return -1;
    }
    if (field->shape < 0 || !PyBytes_Check(name) || !PyTuple_Check(children) ||
        (native != Py_None && !PyCallable_Check(native))) {
        return bad("a JSON field has a known shape, a name (bytes), children (a tuple), native");
    }
    Py_ssize_t count = PyTuple_GET_SIZE(children);
    if ((field->shape == SHAPE_ARRAY && count != 1) ||
        ((field->shape == SHAPE_SCALAR || field->shape == SHAPE_JSON) && count != 0)) {
        return bad("an array has one element, a scalar or json field none");
    }
    field->name = PyBytes_AS_STRING(name);
    field->name_len = PyBytes_GET_SIZE(name);
    field->nchildren = (int)count;
    field->children = PyMem_Calloc(count ? count : 1, sizeof(int));
    if (field->children == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t c = 0; c < count; c++) {
        long at = PyLong_AsLong(PyTuple_GET_ITEM(children, c));
        if (at == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (at <= index || at >= nfields) {
            return bad("a JSON field's children are later fields of the plan");
        }
        field->children[c] = (int)at;
    }
    field->native = native == Py_None ? NULL : Py_NewRef(native);
    PyObject *aws = attr(item, "aws"), *aws_keys = attr(item, "aws_keys");
    Py_XDECREF(aws);
    Py_XDECREF(aws_keys);
    if (aws == NULL || aws_keys == NULL) {
        return -1;
    }
    field->aws = -1;
    for (int k = 0; k < (int)(sizeof AWS_NAMES / sizeof *AWS_NAMES); k++) {
        if (PyUnicode_Check(aws) && PyUnicode_CompareWithASCIIString(aws, AWS_NAMES[k]) == 0) {
            field->aws = k;
        }
    }
    if (field->aws < 0 || (field->aws != AWS_IN_PYTHON && field->indicator < 0) ||
        !PyTuple_Check(aws_keys) || PyTuple_GET_SIZE(aws_keys) != 3) {
        return bad("aws is '', 'aws_arn' or 'aws_account_id' (on a field with indicators), aws_keys 3 keys");
    }
    for (int k = 0; k < 3; k++) {
        PyObject *key = PyTuple_GET_ITEM(aws_keys, k);
        if (!PyBytes_Check(key)) {
            return bad("aws_keys are bytes");
        }
        field->aws_keys[k] = PyBytes_AS_STRING(key);
        field->aws_key_lens[k] = PyBytes_GET_SIZE(key);
    }
    return 0;
}

/* An object field's key table (Field.keys), once its children are read. */
static int json_keys(Plan *self, Field *field) {
    uint32_t size = 8;
    while (size < 2 * (uint32_t)field->nchildren) {
        size *= 2;
    }
    field->keys = PyMem_Malloc(size * sizeof(int));
    if (field->keys == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(field->keys, 0xff, size * sizeof(int));  /* -1: free */
    field->keys_mask = size - 1;
    for (int c = 0; c < field->nchildren; c++) {
        const Field *child = &self->fields[field->children[c]];
        uint32_t h = key_hash(child->name, (size_t)child->name_len) & field->keys_mask;
        while (field->keys[h] >= 0) {
            h = (h + 1) & field->keys_mask;
        }
        field->keys[h] = c;
    }
    return 0;
}

/* A JSON plan's fields (the first the event itself, an object) and its per-line state. */
static int json_init(Plan *self, PyObject *fields) {
    for (int f = 0; f < self->nfields; f++) {
        if (read_json_field(&self->fields[f], PyTuple_GET_ITEM(fields, f), f, self->nfields) < 0) {
            return -1;
        }
    }
    if (self->nfields == 0 || self->fields[0].shape != SHAPE_OBJECT) {
        return bad("a JSON plan's first field is the event, an object");
    }
    for (int f = 0; f < self->nfields; f++) {
        if (self->fields[f].shape == SHAPE_OBJECT && json_keys(self, &self->fields[f]) < 0) {
            return -1;
        }
    }
    self->json_found = PyMem_Calloc(self->nfields, sizeof(yyjson_val *));
    if (self->json_found == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->json = 1;
    return 0;
}

static void json_free(Plan *self) {
    for (int f = 0; f < self->nfields; f++) {
        PyMem_Free(self->fields[f].children);
        PyMem_Free(self->fields[f].keys);
        Py_XDECREF(self->fields[f].native);
        cache_free(&self->fields[f].natives);
    }
    PyMem_Free(self->json_found);
    PyMem_RawFree(self->json_pool);
}

/* === end of JSON lines ============================================================================ */

/* --- the no_match rejects a plan writes itself ----------------------------------------------- */

/* The characters of valid UTF-8 before byte `at`: a column as Python counts it, less one. */
static Py_ssize_t chars_before(const char *line, Py_ssize_t at) {
    Py_ssize_t chars = 0;
    for (Py_ssize_t i = 0; i < at; i++) {
        chars += ((unsigned char)line[i] & 0xC0) != 0x80;
    }
    return chars;
}

static int put_text(Plan *self, Text t) {
    if (reserve(self, 6 * t.n + 32) < 0) {
        return -1;
    }
    put_escaped(self, t.p, t.n);
    return 0;
}

static int put_number(Plan *self, int64_t value) {
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)value);
    return put_text(self, (Text){digits, len});
}

/* Why the line does not match pattern `pat` (after NO_MATCH), escaped for a JSON string: 1, or 0
 * when a regex search gave up (the reference path then words it, with its time budget), -1 on
 * running out of memory. */
static int put_why(Plan *self, Pattern *pat, const char *line, Py_ssize_t n) {
    const Why *why = &pat->why;
    if (why->kind == WHY_FASTMATCH) {
        if (pat->fail_at < 0) {
            return put_text(self, why->first) < 0 ? -1 : 1;
        }
        if (put_text(self, why->before[pat->fail_at]) < 0 ||
            put_number(self, chars_before(line, pat->fail_pos) + 1) < 0) {
            return -1;
        }
        return 1;
    }
    if (why->kind == WHY_CSV) {
        int columns = pat->fail_at + 1;
        if (put_text(self, why->first) < 0 || put_number(self, columns) < 0 ||
            put_text(self, columns == 1 ? why->one : why->many) < 0) {
            return -1;
        }
        return 1;
    }
    for (int i = 0; i < why->count; i++) {
        if (why->prefixes[i] == NULL) {
            continue;
        }
        long end;
        int found = regex_match_end(why->prefixes[i], line, (size_t)n, &end);
        if (found < 0) {
            return 0;
        }
        if (found) {
            if (put_text(self, why->before[i]) < 0 || put_number(self, chars_before(line, end) + 1) < 0 ||
                put_text(self, why->after[i]) < 0) {
                return -1;
            }
            return 1;
        }
    }
    return put_text(self, why->first) < 0 ? -1 : 1;
}

/* Why no pattern of plan `of` matches the line, written by `out` (escaped): each pattern's reason,
 * labelled match[k] when there are several, as the fastmatch parser's why_not joins them. */
static int put_whys(Plan *out, Plan *of, const char *line, Py_ssize_t n) {
    int written = 1;
    for (int k = 0; k < of->npatterns && written == 1; k++) {
        if (of->npatterns > 1) {
            char label[32];
            int len = snprintf(label, sizeof label, "%smatch[%d]: ", k ? "; " : "", k);
            written = put_text(out, (Text){label, len}) < 0 ? -1 : 1;
        }
        if (written == 1) {
            written = put_why(out, &of->patterns[k], line, n);
        }
    }
    return written;
}

/* Room for the line index of one more reject: 0, or -1 on running out of memory. */
static int reject_room(Plan *self) {
    if (self->reject_count < self->reject_lines_cap) {
        return 0;
    }
    Py_ssize_t cap = self->reject_lines_cap ? 2 * self->reject_lines_cap : 1024;
    int64_t *lines = PyMem_RawRealloc(self->reject_lines, cap * sizeof(int64_t));
    if (lines == NULL) {
        self->out_of_memory = 1;
        return -1;
    }
    self->reject_lines = lines;
    self->reject_lines_cap = cap;
    return 0;
}

/* The end of a reject record (into the rejects buffer, swapped in): `tail` up to the line number,
 * the number, the raw line; then the record's line index is noted. 1, or -1 on running out of
 * memory. */
static int put_reject_end(Plan *self, const Text *tail, int64_t number, const char *line, Py_ssize_t n,
                          Py_ssize_t index) {
    if (reserve(self, tail->n + 64 + 6 * n) < 0) {
        return -1;
    }
    put(self, tail->p, tail->n);
    self->len += snprintf(self->out + self->len, 24, "%lld", (long long)number);
    put(self, ",\"raw\":", 7);
    put_json_string(self, line, n);
    put(self, "}\n", 2);
    self->reject_lines[self->reject_count++] = index;
    return 1;
}

static void swap_rejects(Plan *self) {
    char *out = self->out;
    Py_ssize_t cap = self->cap, len = self->len;
    self->out = self->rejects, self->cap = self->rejects_cap, self->len = self->rejects_len;
    self->rejects = out, self->rejects_cap = cap, self->rejects_len = len;
}

/* A reject record of the line at [line, line + n), as Reject.to_dict and orjson write it: `head`
 * (for no_match: up to the reason, which the patterns word; for a refused value: the converter's
 * answer, the record up to its details), then `tail` (the schema and source, up to the line number;
 * from its second byte for a refused value, whose answer closes its own message), the line number
 * and the raw line. 1 when written, 0 to defer the line (a regex search gave up), -1 on running out
 * of memory. */
static int put_reject(Plan *self, const char *line, Py_ssize_t n, const Text *head, int no_match,
                      const Text *tail, int64_t number, Py_ssize_t index) {
    if (reject_room(self) < 0) {
        return -1;
    }
    swap_rejects(self);
    Py_ssize_t start = self->len;
    int written = 1;
    if (reserve(self, head->n + tail->n + 64 + 6 * n) < 0) {
        written = -1;
        goto done;
    }
    put(self, head->p, head->n);
    if (no_match) {
        written = put_whys(self, self, line, n);
    }
    if (written == 1) {
        Text rest = {tail->p + !no_match, tail->n - !no_match};
        written = put_reject_end(self, &rest, number, line, n, index);
    }
    if (written != 1) {
        self->len = start;
    }
done:
    swap_rejects(self);
    return written;
}

/* --- the Plan type ---------------------------------------------------------------------------- */

static void plan_dealloc(Plan *self) {
    for (int i = 0; i < self->npatterns; i++) {
        PyMem_Free(self->patterns[i].delims);
        PyMem_Free(self->patterns[i].delim_lens);
        PyMem_Free(self->patterns[i].quoted);
        PyMem_Free(self->patterns[i].spans);
        regex_free(self->patterns[i].regex);
        Why *why = &self->patterns[i].why;
        for (int j = 0; why->prefixes != NULL && j < why->count; j++) {
            regex_free(why->prefixes[j]);
        }
        PyMem_Free(why->prefixes);
        PyMem_Free(why->before);
        PyMem_Free(why->after);
    }
    PyMem_Free(self->patterns);
    json_free(self);
    for (int f = 0; f < self->nfields; f++) {
        PyMem_Free(self->fields[f].captures);
        Py_XDECREF(self->fields[f].call);
        Py_XDECREF(self->fields[f].scan);
        Py_XDECREF(self->fields[f].refuse);
        cache_free(&self->fields[f].refusals);
        cache_free(&self->fields[f].converted);
        cache_free(&self->fields[f].scanned);
    }
    PyMem_Free(self->fields);
    PyMem_Free(self->empties);
    PyMem_Free(self->empty_lens);
    PyMem_RawFree(self->members);
    PyMem_RawFree(self->out);
    PyMem_RawFree(self->rejects);
    PyMem_RawFree(self->reject_lines);
    Py_XDECREF(self->keep);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int bad(const char *what) {
    PyErr_Format(PyExc_TypeError, "Plan: %s", what);
    return -1;
}

/* A regex pattern, (PCRE2 source, number of groups): engine/parsers/pcre.py wrote the source. */
static int read_regex(Pattern *pat, PyObject *item, int *most) {
    const char *source;
    Py_ssize_t len;
    int groups;
    if (!PyArg_ParseTuple(item, "y#i", &source, &len, &groups) || groups < 0) {
        PyErr_Clear();
        return bad("a regex pattern is (PCRE2 source bytes, number of groups)");
    }
    char error[256];
    pat->regex = regex_new(source, (size_t)len, groups, error, sizeof error);
    if (pat->regex == NULL) {
        PyErr_SetString(PyExc_ValueError, error);
        return -1;
    }
    pat->count = groups;
    pat->spans = PyMem_Calloc(groups ? 2 * groups : 1, sizeof(long));
    if (pat->spans == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (groups > *most) {
        *most = groups;
    }
    return 0;
}

static int read_pattern(Pattern *pat, PyObject *item, int *most) {
    PyObject *prefix, *delims, *quoted, *csv;
    if (PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 2) {
        return read_regex(pat, item, most);
    }
    if (!PyTuple_Check(item) ||
        !PyArg_ParseTuple(item, "O!O!O!O!", &PyBytes_Type, &prefix, &PyTuple_Type, &delims,
                          &PyTuple_Type, &quoted, &PyBytes_Type, &csv)) {
        return bad("a pattern is (prefix, delimiters, quoted, csv_delimiter)");
    }
    Py_ssize_t count = PyTuple_GET_SIZE(delims);
    if (count == 0 || PyTuple_GET_SIZE(quoted) != count) {
        return bad("a pattern needs one delimiter and one quoted flag per placeholder");
    }
    pat->prefix = PyBytes_AS_STRING(prefix);
    pat->prefix_len = PyBytes_GET_SIZE(prefix);
    pat->csv = PyBytes_AS_STRING(csv);
    pat->csv_len = PyBytes_GET_SIZE(csv);
    pat->count = (int)count;
    pat->delims = PyMem_Calloc(count, sizeof(char *));
    pat->delim_lens = PyMem_Calloc(count, sizeof(Py_ssize_t));
    pat->quoted = PyMem_Calloc(count, 1);
    if (!pat->delims || !pat->delim_lens || !pat->quoted) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *d = PyTuple_GET_ITEM(delims, i);
        if (!PyBytes_Check(d) || (PyBytes_GET_SIZE(d) == 0 && i != count - 1)) {
            return bad("delimiters are bytes; only the last may be empty");
        }
        pat->delims[i] = PyBytes_AS_STRING(d);
        pat->delim_lens[i] = PyBytes_GET_SIZE(d);
        pat->quoted[i] = (unsigned char)PyObject_IsTrue(PyTuple_GET_ITEM(quoted, i));
    }
    if (count > *most) {
        *most = (int)count;
    }
    return 0;
}

static int read_text(PyObject *item, Text *text) {
    if (!PyBytes_Check(item)) {
        return bad("why: texts are bytes");
    }
    text->p = PyBytes_AS_STRING(item);
    text->n = PyBytes_GET_SIZE(item);
    return 0;
}

/* A pattern's Why (see engine/plan.py, _why): (WHY_FASTMATCH, first, (before per placeholder, ...)),
 * (WHY_CSV, first, one, many) or (WHY_REGEX, first, ((source or None, groups, before, after), ...)). */
static int read_why(Pattern *pat, PyObject *item) {
    Why *why = &pat->why;
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 3) {
        return bad("why: (kind, first, ...)");
    }
    long kind = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
    if (read_text(PyTuple_GET_ITEM(item, 1), &why->first) < 0) {
        return -1;
    }
    if (kind == WHY_CSV && PyTuple_GET_SIZE(item) == 4 && pat->regex == NULL && pat->csv_len) {
        why->kind = WHY_CSV;
        return read_text(PyTuple_GET_ITEM(item, 2), &why->one) < 0 ? -1 : read_text(PyTuple_GET_ITEM(item, 3), &why->many);
    }
    PyObject *list = PyTuple_GET_ITEM(item, 2);
    if (PyTuple_GET_SIZE(item) != 3 || !PyTuple_Check(list) ||
        !((kind == WHY_FASTMATCH && pat->regex == NULL && !pat->csv_len && PyTuple_GET_SIZE(list) == pat->count) ||
          kind == WHY_REGEX)) {
        return bad("why: a fastmatch pattern's texts per placeholder, or a regex's prefixes");
    }
    why->count = (int)PyTuple_GET_SIZE(list);
    why->before = PyMem_Calloc(why->count ? why->count : 1, sizeof(Text));
    why->after = PyMem_Calloc(why->count ? why->count : 1, sizeof(Text));
    why->prefixes = PyMem_Calloc(why->count ? why->count : 1, sizeof(Regex *));
    if (why->before == NULL || why->after == NULL || why->prefixes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < why->count; i++) {
        PyObject *entry = PyTuple_GET_ITEM(list, i);
        if (kind == WHY_FASTMATCH) {
            if (read_text(entry, &why->before[i]) < 0) {
                return -1;
            }
            continue;
        }
        PyObject *source;
        int groups;
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 4 ||
            read_text(PyTuple_GET_ITEM(entry, 2), &why->before[i]) < 0 ||
            read_text(PyTuple_GET_ITEM(entry, 3), &why->after[i]) < 0) {
            return bad("why: a regex prefix is (source or None, groups, before, after)");
        }
        source = PyTuple_GET_ITEM(entry, 0);
        groups = (int)PyLong_AsLong(PyTuple_GET_ITEM(entry, 1));
        if (source == Py_None) {
            continue;
        }
        if (!PyBytes_Check(source) || groups < 0) {
            return bad("why: a regex prefix's source is bytes, its groups a count");
        }
        char error[256];
        why->prefixes[i] = regex_new(PyBytes_AS_STRING(source), PyBytes_GET_SIZE(source), groups, error,
                                     sizeof error);
        if (why->prefixes[i] == NULL) {
            PyErr_SetString(PyExc_ValueError, error);
            return -1;
        }
    }
    why->kind = (int)kind;
    return 0;
}

/* The kinds of engine/decisions.py, by the names it gives them. */
static const char *const KIND_NAMES[] = {"text", "integer", "rfc3339", "epoch", "converted"};

/* Attribute `name` of a plan field (a new reference); NULL with AttributeError when it has none. */
static PyObject *attr(PyObject *item, const char *name) { return PyObject_GetAttrString(item, name); }

/* An integer attribute of a plan field into *value; -1 with the error set. */
static int int_attr(PyObject *item, const char *name, long long *value) {
    PyObject *v = attr(item, name);
    if (v == NULL) {
        return -1;
    }
    *value = PyLong_AsLongLong(v);
    Py_DECREF(v);
    return *value == -1 && PyErr_Occurred() ? -1 : 0;
}

/* A truth attribute of a plan field into *value; -1 with the error set. */
static int flag_attr(PyObject *item, const char *name, int *value) {
    PyObject *v = attr(item, name);
    if (v == NULL) {
        return -1;
    }
    *value = PyObject_IsTrue(v);
    Py_DECREF(v);
    return *value < 0 ? -1 : 0;
}

/* One field of the plan, from an object with the attributes of engine.plan.PlanField: read by name,
 * so that the two sides cannot disagree on an order. The objects are kept alive by the plan. */
static int read_field(Field *field, PyObject *item, int npatterns, const int *counts, int *nind) {
    long long int_max, unit_ns, indicator_ll, ip_ll;
    int event_time, required, keeps_empty, kind = -1;
    if (int_attr(item, "int_max", &int_max) < 0 || int_attr(item, "unit_ns", &unit_ns) < 0 ||
        int_attr(item, "indicator", &indicator_ll) < 0 || int_attr(item, "ip", &ip_ll) < 0 ||
        flag_attr(item, "event_time", &event_time) < 0 || flag_attr(item, "required", &required) < 0 ||
        flag_attr(item, "keeps_empty", &keeps_empty) < 0) {
        return -1;
    }
    PyObject *name = attr(item, "kind");
    if (name == NULL) {
        return -1;
    }
    for (int k = 0; k < (int)(sizeof KIND_NAMES / sizeof *KIND_NAMES); k++) {
        if (PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, KIND_NAMES[k]) == 0) {
            kind = k;
        }
    }
    Py_DECREF(name);
    /* borrowed from here on: the field object holds them, and the plan holds the field */
    PyObject *key = attr(item, "key"), *captures = attr(item, "captures");
    PyObject *convert = attr(item, "convert"), *scan = attr(item, "scan"), *refuse = attr(item, "refuse");
    Py_XDECREF(key);
    Py_XDECREF(captures);
    Py_XDECREF(convert);
    Py_XDECREF(scan);
    Py_XDECREF(refuse);
    if (key == NULL || captures == NULL || convert == NULL || scan == NULL || refuse == NULL) {
        return -1;
    }
    if (refuse != Py_None && !PyCallable_Check(refuse)) {
        return bad("a field's refuse is callable or None");
    }
    if (!PyBytes_Check(key) || !PyTuple_Check(captures)) {
        return bad("a field's key is bytes and its captures a tuple");
    }
    int indicator = (int)indicator_ll, ip = (int)ip_ll;
    if (indicator_ll < -1 || indicator_ll > INT_MAX || ip < IP_IN_PYTHON || ip > IP_OR_HOST ||
        (ip != IP_IN_PYTHON && indicator < 0)) {
        return bad("ip is IP_IN_PYTHON, IP_ONLY or IP_OR_HOST, on a field with indicators");
    }
    if (indicator >= 0 && !PyCallable_Check(scan)) {
        return bad("a field with indicators needs a scan callable");
    }
    if (kind < 0 || (kind == K_CALL && !PyCallable_Check(convert)) ||
        (kind == K_INT && (int_max < 0 || int_max > INT64_MAX)) ||
        (kind == K_EPOCH && unit_ns != 1 && unit_ns != 1000 && unit_ns != 1000000 &&
         unit_ns != 1000000000) ||
        PyTuple_GET_SIZE(captures) != npatterns) {
        return bad("a field needs a known kind, its limit, a callable to convert, a capture per pattern");
    }
    field->kind = kind;
    field->key = PyBytes_AS_STRING(key);
    field->key_len = PyBytes_GET_SIZE(key);
    field->int_max = int_max;
    field->unit_ns = unit_ns;
    field->event_time = event_time;
    field->required = required;
    field->keeps_empty = keeps_empty;
    field->indicator = indicator;
    if (indicator >= *nind) {
        *nind = indicator + 1;
    }
    field->call = kind == K_CALL ? Py_NewRef(convert) : NULL;
    field->scan = indicator >= 0 ? Py_NewRef(scan) : NULL;
    field->refuse = refuse != Py_None ? Py_NewRef(refuse) : NULL;
    field->ip = ip;
    field->captures = PyMem_Calloc(npatterns, sizeof(int));
    if (field->captures == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int k = 0; k < npatterns; k++) {
        long at = PyLong_AsLong(PyTuple_GET_ITEM(captures, k));
        if (at == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (at < -1 || at >= counts[k]) {
            return bad("a capture index is outside its pattern");
        }
        field->captures[k] = (int)at;
    }
    return 0;
}

static int plan_init(Plan *self, PyObject *args, PyObject *kwds) {
    PyObject *patterns, *fields, *empties, *skip_prefix, *log_type, *row_prefix, *source, *ip_key;
    PyObject *why = Py_None;
    int trim_space, json = 0;
    static char *names[] = {"patterns", "fields", "empty_values", "trim_space", "skip_prefix",
                            "log_type", "row_prefix", "source", "ip_key", "why", "json", NULL};
    if (self->keep != NULL) {
        PyErr_SetString(PyExc_TypeError, "Plan: already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!pO!O!O!O!O!|Op", names, &PyTuple_Type,
                                     &patterns, &PyTuple_Type, &fields, &PyTuple_Type, &empties,
                                     &trim_space, &PyBytes_Type, &skip_prefix,
                                     &PyBytes_Type, &log_type, &PyBytes_Type, &row_prefix,
                                     &PyBytes_Type, &source, &PyBytes_Type, &ip_key, &why, &json)) {
        return -1;
    }
    if (PyBytes_GET_SIZE(row_prefix) != 16) {
        return bad("row_prefix is 16 hex characters");
    }
    self->keep = Py_BuildValue("(OOOOOOOOO)", patterns, fields, empties, skip_prefix, log_type,
                               row_prefix, source, ip_key, why);
    if (self->keep == NULL) {
        return -1;
    }
    self->npatterns = (int)PyTuple_GET_SIZE(patterns);
    if ((self->npatterns == 0) != json) {
        return bad("a plan needs a pattern (a JSON plan none)");
    }
    self->patterns = PyMem_Calloc(self->npatterns, sizeof(Pattern));
    int *counts = PyMem_Calloc(self->npatterns, sizeof(int));
    if (self->patterns == NULL || counts == NULL) {
        PyMem_Free(counts);
        PyErr_NoMemory();
        return -1;
    }
    for (int k = 0; k < self->npatterns; k++) {
        if (read_pattern(&self->patterns[k], PyTuple_GET_ITEM(patterns, k),
                         &self->max_placeholders) < 0) {
            PyMem_Free(counts);
            return -1;
        }
        counts[k] = self->patterns[k].count;
    }
    if (why != Py_None) {
        if (json || !PyTuple_Check(why) || PyTuple_GET_SIZE(why) != self->npatterns) {
            PyMem_Free(counts);
            return bad("why: None (a JSON plan's, whose refusals the reference words), or one per pattern");
        }
        for (int k = 0; k < self->npatterns; k++) {
            if (read_why(&self->patterns[k], PyTuple_GET_ITEM(why, k)) < 0) {
                PyMem_Free(counts);
                return -1;
            }
        }
        self->explains = 1;
    }
    self->nfields = (int)PyTuple_GET_SIZE(fields);
    self->fields = PyMem_Calloc(self->nfields ? self->nfields : 1, sizeof(Field));
    if (self->fields == NULL) {
        PyMem_Free(counts);
        PyErr_NoMemory();
        return -1;
    }
    for (int f = 0; f < self->nfields; f++) {
        if (read_field(&self->fields[f], PyTuple_GET_ITEM(fields, f), self->npatterns, counts,
                       &self->nindicators) < 0) {
            PyMem_Free(counts);
            return -1;
        }
        self->keys_len += self->fields[f].key_len;
    }
    PyMem_Free(counts);
    if (json && json_init(self, fields) < 0) {
        return -1;
    }
    self->nempties = (int)PyTuple_GET_SIZE(empties);
    self->empties = PyMem_Calloc(self->nempties ? self->nempties : 1, sizeof(char *));
    self->empty_lens = PyMem_Calloc(self->nempties ? self->nempties : 1, sizeof(Py_ssize_t));
    if (self->empties == NULL || self->empty_lens == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int e = 0; e < self->nempties; e++) {
        PyObject *item = PyTuple_GET_ITEM(empties, e);
        if (!PyBytes_Check(item)) {
            return bad("empty values are bytes");
        }
        self->empties[e] = PyBytes_AS_STRING(item);
        self->empty_lens[e] = PyBytes_GET_SIZE(item);
    }
    self->trim_space = trim_space;
    self->skip_prefix = PyBytes_AS_STRING(skip_prefix);
    self->skip_prefix_len = PyBytes_GET_SIZE(skip_prefix);
    self->log_type = PyBytes_AS_STRING(log_type);
    self->log_type_len = PyBytes_GET_SIZE(log_type);
    memcpy(self->row_prefix, PyBytes_AS_STRING(row_prefix), 16);
    self->source = PyBytes_AS_STRING(source);
    self->source_len = PyBytes_GET_SIZE(source);
    self->ip_key = PyBytes_AS_STRING(ip_key);
    self->ip_key_len = PyBytes_GET_SIZE(ip_key);
    return 0;
}

/* The deferred line at [p, p + n) through the reference path; appends its JSON when it gave one. */
static int defer(Plan *self, PyObject *fallback, const char *p, Py_ssize_t n, Py_ssize_t index,
                 Py_ssize_t *events) {
    hold_gil(self);
    PyObject *raw = PyBytes_FromStringAndSize(p, n);
    if (raw == NULL) {
        return -1;
    }
    PyObject *number = PyLong_FromSsize_t(index);
    if (number == NULL) {
        Py_DECREF(raw);
        return -1;
    }
    PyObject *json = PyObject_CallFunctionObjArgs(fallback, raw, number, NULL);
    Py_DECREF(raw);
    Py_DECREF(number);
    if (json == NULL) {
        return -1;
    }
    if (json != Py_None) {
        if (!PyBytes_Check(json)) {
            Py_DECREF(json);
            PyErr_SetString(PyExc_TypeError, "the fallback must return bytes or None");
            return -1;
        }
        Py_ssize_t size = PyBytes_GET_SIZE(json);
        if (reserve(self, size + 1) < 0) {
            Py_DECREF(json);
            PyErr_NoMemory();
            return -1;
        }
        put(self, PyBytes_AS_STRING(json), size);
        put_char(self, '\n');
        (*events)++;
    }
    Py_DECREF(json);
    release_gil(self);
    return 0;
}

PyDoc_STRVAR(run_doc,
"run(block, parse_time, max_line_bytes, fallback[, reject_head, reject_tail, first_line])\n"
"-> (ndjson, events, lines)\n\n"
"Normalize a block of lines (split on b'\\n'; one b'\\r' before it is dropped) into NDJSON.\n"
"A line the plan cannot settle is passed as fallback(raw_line, index), which returns its event's\n"
"JSON bytes, or None when the line gave a reject or a skip. With reject_head and reject_tail, the\n"
"rejects the plan words itself are kept for take_rejects, their lines numbered from first_line.");

/* The octet-counted frame at data[pos:], by engine/framing.py's rule: 1, with *end where the next
 * frame starts and *stop where this one's record ends (without one trailing LF and a CR before it),
 * when it is a frame framing.split_frames takes whole; 0 at anything else (a count that is not 1 to
 * 7 digits without a leading zero and a space, a frame running past the data, or one that ends
 * neither at the end of the data nor where "1 to 7 digits, a space, <" starts), which the caller
 * leaves to Python, so that every framing error is worded in one place. */
static int next_frame(const char *data, Py_ssize_t n, Py_ssize_t pos, Py_ssize_t *end, Py_ssize_t *stop) {
    Py_ssize_t i = pos, length = 0;
    if (i >= n || data[i] < '1' || data[i] > '9') {
        return 0;
    }
    while (i < n && i - pos < 7 && data[i] >= '0' && data[i] <= '9') {
        length = length * 10 + (data[i] - '0');
        i++;
    }
    if (i >= n || data[i] != ' ') {
        return 0;
    }
    Py_ssize_t start = i + 1;
    if (length > n - start) {
        return 0;
    }
    Py_ssize_t e = start + length;
    if (e < n) {
        Py_ssize_t j = e;
        while (j < n && j - e < 7 && data[j] >= '0' && data[j] <= '9') {
            j++;
        }
        if (j == e || j + 1 >= n || data[j] != ' ' || data[j + 1] != '<') {
            return 0;
        }
    }
    Py_ssize_t s = e;
    if (data[e - 1] == '\n') {
        s = e - 1;
        if (s - 1 >= start && data[s - 1] == '\r') {
            s--;
        }
    }
    *end = e;
    *stop = s;
    return 1;
}

/* The next record of data at *pos, for run (framed 0: lines split on '\n') or run_frames (framed
 * 1: octet-counted frames): *len the bytes event() reads, *raw_len those the fallback gets, *plain
 * whether event() may take it, and *pos moved past it. 0 when there is no record left. */
static int next_record(const char *data, Py_ssize_t n, int framed, Py_ssize_t *pos, Py_ssize_t *len,
                       Py_ssize_t *raw_len, int *plain) {
    const char *p = data + *pos;
    if (framed) {
        Py_ssize_t end, stop;
        if (!next_frame(data, n, *pos, &end, &stop)) {
            return 0;
        }
        *len = *raw_len = stop - *pos;
        *plain = memchr(p, '\n', *len) == NULL && p[*len - 1] != '\r';
        *pos = end;
        return 1;
    }
    if (*pos > n) {  /* past the last line (a block always holds at least one, maybe empty) */
        return 0;
    }
    const char *nl = memchr(p, '\n', n - *pos);
    *raw_len = (nl ? nl : data + n) - p;
    *len = *raw_len > 0 && p[*raw_len - 1] == '\r' ? *raw_len - 1 : *raw_len;
    *plain = 1;
    *pos = nl ? nl - data + 1 : n + 1;
    return 1;
}

/* The output buffer and the GIL's state move from plan a to plan b (and back): while classifying,
 * every plan writes its events into the first plan's buffer, in input order. */
static void swap_output(Plan *a, Plan *b) {
    char *out = a->out;
    Py_ssize_t cap = a->cap, len = a->len;
    PyThreadState *released = a->released;
    int out_of_memory = a->out_of_memory;
    a->out = b->out, a->cap = b->cap, a->len = b->len, a->released = b->released;
    a->out_of_memory = b->out_of_memory;
    b->out = out, b->cap = cap, b->len = len, b->released = released;
    b->out_of_memory = out_of_memory;
}

/* One line through the plans in order (NULL: a schema without a plan), as the reference classifier
 * tries schemas: the first that takes it writes its event (1, counted in taken[k]); 0 when a plan
 * defers it, when a schema without a plan comes before one takes it, or when none takes it (the
 * reference then writes the reject with every schema's reason); -1 on error. */
static int classify(Plan **plans, int nplans, Py_ssize_t *taken, int *outcomes, const char *line,
                    Py_ssize_t n, Py_ssize_t max_line_bytes, Span *caps, Span *inds,
                    const Py_buffer *parse_time) {
    for (int k = 0; k < nplans; k++) {
        if (plans[k] == NULL) {
            return 0;
        }
        if (k) {
            swap_output(plans[0], plans[k]);
        }
        int written = event(plans[k], line, n, max_line_bytes, caps, inds, parse_time->buf, parse_time->len);
        if (k) {
            swap_output(plans[0], plans[k]);
        }
        if (written == 1) {
            taken[k]++;
        }
        if (written != NOT_TAKEN && written != REFUSED) {
            return written;
        }
        outcomes[k] = written;
    }
    return NOT_TAKEN;  /* every schema refused it, certainly: outcomes say how */
}

/* The message of a reject record's start that a refuse answer gives ('{"reason":"...","message":"'
 * then the escaped message): where it starts and how long it is. */
static Text message_of(const Entry *e) {
    const char *answer = e->data + e->key_len, *end = answer + e->answer_len;
    const char *p = memmem(answer, e->answer_len, "\"message\":\"", 11);
    Text message = {NULL, 0};
    if (p == NULL) {
        return message;
    }
    p += 11;
    const char *q = p;
    while (q < end && *q != '"') {
        q += *q == '\\' ? 2 : 1;
    }
    message.p = p;
    message.n = q < end ? q - p : 0;
    return message;
}

/* The texts of the reject of a line no schema takes, from Python (engine/normalizer.py,
 * _classified_frame), around what each plan says: head, up to the message's content and its
 * opening words; per plan, its name as the message names it and the end of its refusal record;
 * a no_match refusal's message start, and its record's start; what comes between the message and the refusals; and the tail,
 * from the end of the refusals to the line number. */
typedef struct {
    Text head, no_match_message, no_match_entry, between, tail;
    Text *names, *ends;
} Classified;

/* That reject, written by plans[0]: as put_reject, 1, 0 to defer the line, or -1. */
static int put_classified(Plan **plans, int nplans, const int *outcomes, const Classified *texts,
                          const char *line, Py_ssize_t n, int64_t number, Py_ssize_t index) {
    Plan *self = plans[0];
    for (int k = 0; k < nplans; k++) {
        if (outcomes[k] == NOT_TAKEN ? !plans[k]->explains : message_of(plans[k]->refusal).p == NULL) {
            return 0;
        }
    }
    if (reject_room(self) < 0) {
        return -1;
    }
    swap_rejects(self);
    Py_ssize_t start = self->len;
    int written = reserve(self, texts->head.n + texts->between.n + 64) < 0 ? -1 : 1;
    if (written == 1) {
        put(self, texts->head.p, texts->head.n);
    }
    for (int pass = 0; pass < 2 && written == 1; pass++) {  /* the message, then the refusals */
        for (int k = 0; k < nplans && written == 1; k++) {
            const Entry *e = plans[k]->refusal;
            Py_ssize_t more = texts->names[k].n + texts->ends[k].n + texts->no_match_entry.n +
                              (outcomes[k] == REFUSED ? e->answer_len : 0) + 16;
            if (reserve(self, more) < 0) {
                written = -1;
                break;
            }
            if (pass == 0) {
                if (k) {
                    put(self, "; ", 2);
                }
                put(self, texts->names[k].p, texts->names[k].n);
            } else if (k) {
                put_char(self, ',');
            }
            if (outcomes[k] == REFUSED) {
                Text message = message_of(e);
                if (pass == 0) {
                    put(self, message.p, message.n);
                } else {
                    put(self, e->data + e->key_len, e->answer_len);
                }
            } else {
                const Text *opening = pass == 0 ? &texts->no_match_message : &texts->no_match_entry;
                put(self, opening->p, opening->n);
                written = put_whys(self, plans[k], line, n);
                if (written == 1 && pass == 1 && reserve(self, 2) == 0) {
                    put_char(self, '"');
                }
            }
            if (written == 1 && pass == 1) {
                put(self, texts->ends[k].p, texts->ends[k].n);
            }
        }
        if (written == 1 && pass == 0) {
            put(self, texts->between.p, texts->between.n);
        }
    }
    if (written == 1) {
        written = put_reject_end(self, &texts->tail, number, line, n, index);
    }
    if (written != 1) {
        self->len = start;
    }
    swap_rejects(self);
    return written;
}

/* What run, run_frames and classify share: the records of data through the plans (one, or several
 * to classify), the ones they cannot settle through fallback, without the GIL but for those.
 * Returns ndjson, then the events (written here and by fallback), or with `counts` the events each
 * plan wrote, and with `framed` the bytes and frames used. */
static PyObject *run_records(Plan **plans, int nplans, PyObject *args, int framed, int counts,
                             const Classified *classified) {
    Py_buffer data, parse_time;
    Py_ssize_t max_line_bytes;
    PyObject *fallback;
    Plan *self = plans[0];
    int most_caps = 1, most_inds = 1, k = 0;
    for (k = 0; k < nplans && plans[k] != NULL; k++) {
        if (plans[k]->keep == NULL) {
            PyErr_SetString(PyExc_TypeError, "Plan: not initialised");
            return NULL;
        }
        most_caps = plans[k]->max_placeholders > most_caps ? plans[k]->max_placeholders : most_caps;
        most_inds = plans[k]->nindicators > most_inds ? plans[k]->nindicators : most_inds;
    }
    Text head = {NULL, 0}, tail = {NULL, 0};
    long long first_line = 1;
    if (!PyArg_ParseTuple(args, "y*y*nO|y#y#L", &data, &parse_time, &max_line_bytes, &fallback, &head.p,
                          &head.n, &tail.p, &tail.n, &first_line)) {
        return NULL;
    }
    int write_rejects = head.p != NULL && tail.p != NULL && nplans == 1;
    PyObject *result = NULL;
    int busy = 0;
    Span *caps = PyMem_Calloc(most_caps, sizeof(Span));
    Span *inds = PyMem_Calloc(most_inds, sizeof(Span));
    Py_ssize_t *taken = PyMem_Calloc(nplans, sizeof(Py_ssize_t));
    int *outcomes = PyMem_Calloc(nplans, sizeof(int));
    if (caps == NULL || inds == NULL || taken == NULL || outcomes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (busy = 0; busy < nplans && plans[busy] != NULL; busy++) {
        if (plans[busy]->busy) {
            PyErr_SetString(PyExc_RuntimeError, "Plan.run is not reentrant (nor is a plan given twice)");
            goto done;
        }
        plans[busy]->busy = 1;
    }
    self->len = 0;
    self->out_of_memory = 0;
    self->rejects_len = 0;
    self->reject_count = 0;
    for (k = 0; k < nplans && plans[k] != NULL; k++) {
        plans[k]->refusing = nplans == 1 ? write_rejects : classified != NULL;
    }
    Py_ssize_t events = 0, index = 0, pos = 0, len, raw_len, used = 0;
    int plain;
    const char *base = data.buf;
    release_gil(self);
    for (; next_record(base, data.len, framed, &pos, &len, &raw_len, &plain); index++) {
        const char *p = base + used;
        int written = 0, rejected = 0;
        if (plain && nplans == 1) {
            written = event(self, p, len, max_line_bytes, caps, inds, parse_time.buf, parse_time.len);
            if (written == NOT_TAKEN || written == REFUSED) {  /* the reject: here, or by the reference */
                Text answer = {NULL, 0};
                if (written == REFUSED) {
                    answer.p = self->refusal->data + self->refusal->key_len;
                    answer.n = self->refusal->answer_len;
                }
                int no_match = written == NOT_TAKEN;
                written = write_rejects && (self->explains || !no_match) ? put_reject(self, p, len, no_match ? &head : &answer, no_match, &tail,
                                                     first_line + index, index)
                                        : 0;
                rejected = written == 1;
                written = written < 0 ? -1 : 0;
            }
        } else if (plain) {
            written = classify(plans, nplans, taken, outcomes, p, len, max_line_bytes, caps, inds, &parse_time);
            if (written == NOT_TAKEN) {  /* no schema takes it: the reject here, or by the reference */
                written = classified != NULL ? put_classified(plans, nplans, outcomes, classified, p, len,
                                                              first_line + index, index)
                                             : 0;
                rejected = written == 1;
                written = written < 0 ? -1 : 0;
            }
        }
        if (written < 0 ||
            (written == 0 && !rejected && defer(self, fallback, p, raw_len, index, &events) < 0)) {
            hold_gil(self);
            if (self->out_of_memory && !PyErr_Occurred()) {
                PyErr_NoMemory();
            }
            goto done;
        }
        events += written;
        used = pos;
    }
    hold_gil(self);
    PyObject *ndjson = PyBytes_FromStringAndSize(self->out, self->len);
    if (ndjson == NULL) {
        goto done;
    }
    if (counts) {
        PyObject *each = PyTuple_New(nplans);
        for (k = 0; each != NULL && k < nplans; k++) {
            PyObject *count = PyLong_FromSsize_t(taken[k]);
            if (count == NULL) {
                Py_CLEAR(each);
                break;
            }
            PyTuple_SET_ITEM(each, k, count);
        }
        result = each == NULL ? NULL : Py_BuildValue("(NnNnn)", ndjson, events, each, used, index);
        if (each == NULL) {
            Py_DECREF(ndjson);
        }
    } else {
        result = framed ? Py_BuildValue("(Nnnn)", ndjson, events, used, index)
                        : Py_BuildValue("(Nnn)", ndjson, events, index);
    }
done:
    while (busy-- > 0) {
        plans[busy]->busy = 0;
        plans[busy]->refusing = 0;
    }
    PyMem_Free(caps);
    PyMem_Free(inds);
    PyMem_Free(taken);
    PyMem_Free(outcomes);
    PyBuffer_Release(&data);
    PyBuffer_Release(&parse_time);
    return result;
}

static PyObject *plan_run(Plan *self, PyObject *args) { return run_records(&self, 1, args, 0, 0, NULL); }

PyDoc_STRVAR(run_frames_doc,
"run_frames(data, parse_time, max_line_bytes, fallback) -> (ndjson, events, used, frames)\n\n"
"Normalize the octet-counted frames at the start of data (each frame one record, its count\n"
"included, one trailing LF and a CR before it removed) into NDJSON, as run does lines: a frame the\n"
"plan cannot settle (one with a LF inside or a CR at its end among them) is passed as\n"
"fallback(raw_frame, index). Stops at the first byte that does not start a frame taken whole;\n"
"used is how many bytes the frames took, frames how many there were.");

static PyObject *plan_run_frames(Plan *self, PyObject *args) { return run_records(&self, 1, args, 1, 0, NULL); }

PyDoc_STRVAR(classify_doc,
"classify(plans, data, parse_time, max_line_bytes, fallback, framed=False)\n"
"-> (ndjson, events, taken, used, records)\n\n"
"Normalize lines (or, framed, octet-counted frames) as run and run_frames do, each through the\n"
"plans in order (None: a schema without a plan): the first that takes a record writes its event,\n"
"and the record is passed to fallback(raw, index) when a plan defers it, when a schema without a\n"
"plan comes first, or when no plan takes it. events counts every event written, taken the events\n"
"each plan wrote; used and records as in run_frames (for lines: the bytes and the lines).");

static PyObject *module_classify(PyObject *module, PyObject *args, PyObject *kwds) {
    PyObject *plans, *data, *parse_time, *max_line_bytes, *fallback, *rejects = Py_None;
    int framed = 0;
    long long first_line = 1;
    static char *names[] = {"plans", "data", "parse_time", "max_line_bytes", "fallback", "framed",
                            "rejects", "first_line", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOOO|$pOL", names, &PyTuple_Type, &plans, &data,
                                     &parse_time, &max_line_bytes, &fallback, &framed, &rejects,
                                     &first_line)) {
        return NULL;
    }
    Py_ssize_t nplans = PyTuple_GET_SIZE(plans);
    if (nplans == 0 || nplans > 1024) {
        PyErr_SetString(PyExc_ValueError, "classify takes 1 to 1024 plans");
        return NULL;
    }
    Plan **each = PyMem_Calloc(nplans, sizeof(Plan *));
    if (each == NULL) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t k = 0; k < nplans; k++) {
        PyObject *item = PyTuple_GET_ITEM(plans, k);
        if (item == Py_None && k > 0) {
            continue;
        }
        if (!PyObject_TypeCheck(item, &PlanType)) {
            PyMem_Free(each);
            PyErr_SetString(PyExc_TypeError, "classify takes a tuple of plans, the first not None");
            return NULL;
        }
        each[k] = (Plan *)item;
    }
    Classified texts = {0};
    Text *lists = NULL;
    if (rejects != Py_None) {
        PyObject *head, *message, *entry, *between, *tail, *plan_names, *ends;
        if (!PyArg_ParseTuple(rejects, "SSSSSO!O!", &head, &message, &entry, &between, &tail, &PyTuple_Type,
                              &plan_names, &PyTuple_Type, &ends) ||
            PyTuple_GET_SIZE(plan_names) != nplans || PyTuple_GET_SIZE(ends) != nplans) {
            PyMem_Free(each);
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "classify: rejects is (head, no_match_message, no_match_entry, "
                                             "between, tail, names, ends), a name and an end per plan");
            return NULL;
        }
        lists = PyMem_Calloc(2 * nplans, sizeof(Text));
        if (lists == NULL) {
            PyMem_Free(each);
            return PyErr_NoMemory();
        }
        texts.names = lists;
        texts.ends = lists + nplans;
        int failed = read_text(head, &texts.head) < 0 || read_text(message, &texts.no_match_message) < 0 ||
                     read_text(entry, &texts.no_match_entry) < 0 || read_text(between, &texts.between) < 0 ||
                     read_text(tail, &texts.tail) < 0;
        for (Py_ssize_t k = 0; !failed && k < nplans; k++) {
            failed = read_text(PyTuple_GET_ITEM(plan_names, k), &texts.names[k]) < 0 ||
                     read_text(PyTuple_GET_ITEM(ends, k), &texts.ends[k]) < 0;
        }
        if (failed) {
            PyMem_Free(each);
            PyMem_Free(lists);
            return NULL;
        }
    }
    PyObject *rest = Py_BuildValue("(OOOOy#y#L)", data, parse_time, max_line_bytes, fallback, "", (Py_ssize_t)0,
                                   "", (Py_ssize_t)0, first_line);
    PyObject *result =
        rest == NULL ? NULL : run_records(each, (int)nplans, rest, framed, 1, lists != NULL ? &texts : NULL);
    Py_XDECREF(rest);
    PyMem_Free(each);
    PyMem_Free(lists);
    return result;
}

PyDoc_STRVAR(take_rejects_doc,
"take_rejects() -> (ndjson, indices)\n\n"
"The no_match rejects the last run wrote itself (given reject_head and reject_tail, with a Why for\n"
"every pattern), as NDJSON, and the index of each one's record in that run, as native int64s.");

static PyObject *plan_take_rejects(Plan *self, PyObject *unused) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "Plan.take_rejects during a run");
        return NULL;
    }
    PyObject *result = Py_BuildValue("(y#y#)", self->rejects ? self->rejects : "", self->rejects_len,
                                     self->reject_lines ? (const char *)self->reject_lines : "",
                                     self->reject_count * (Py_ssize_t)sizeof(int64_t));
    self->rejects_len = 0;
    self->reject_count = 0;
    return result;
}

static PyMethodDef plan_methods[] = {
    {"take_rejects", (PyCFunction)plan_take_rejects, METH_NOARGS, take_rejects_doc},
    {"run", (PyCFunction)plan_run, METH_VARARGS, run_doc},
    {"run_frames", (PyCFunction)plan_run_frames, METH_VARARGS, run_frames_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(plan_doc,
"Plan(patterns, fields, empty_values, trim_space, skip_prefix, log_type, row_prefix, source,\n"
"     ip_key)\n\n"
"A fastmatch or CSV schema reduced to data (built by engine.fastpath, which documents the arguments).");

static PyTypeObject PlanType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "engine._fastpath.Plan",
    .tp_basicsize = sizeof(Plan),
    .tp_dealloc = (destructor)plan_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = plan_doc,
    .tp_methods = plan_methods,
    .tp_init = (initproc)plan_init,
    .tp_new = PyType_GenericNew,
};

/* --- the rules one by one, for tests ------------------------------------------------------------
 *
 * tests/test_fastpath_converters.py and tools/fuzz_converters hold each rule above against its
 * Python twin. These functions call the very functions a Plan runs, on a scratch Plan that only
 * lends them what they use: the output buffer, the last RFC 3339 head and epoch second (kept from
 * call to call, as in a run), the p_any_* members. Called with the GIL held, never from run(). */

static Plan scratch;

/* The bytes a rule wrote into the scratch buffer, or None where it deferred. */
static PyObject *scratch_written(int written) {
    if (!written) {
        Py_RETURN_NONE;
    }
    return PyBytes_FromStringAndSize(scratch.out, scratch.len);
}

static int scratch_room(Py_ssize_t n) {
    scratch.len = 0;
    if (reserve(&scratch, n) < 0) {
        scratch.out_of_memory = 0;
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(rfc3339_doc, "rfc3339(raw) -> bytes | None: the JSON string a plan writes for an RFC 3339 "
                          "value (put_rfc3339), or None where it defers.");

static PyObject *rule_rfc3339(PyObject *module, PyObject *raw) {
    if (!PyBytes_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "rfc3339 takes bytes");
        return NULL;
    }
    if (scratch_room(64) < 0) {
        return NULL;
    }
    return scratch_written(put_rfc3339(&scratch, PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)));
}

PyDoc_STRVAR(integer_doc, "integer(raw, max) -> bytes | None: the JSON a plan writes for an integer "
                          "field whose type's largest value is max (put_int), or None.");

static PyObject *rule_integer(PyObject *module, PyObject *args) {
    const char *p;
    Py_ssize_t n;
    long long max;
    if (!PyArg_ParseTuple(args, "y#L", &p, &n, &max) || scratch_room(32) < 0) {
        return NULL;
    }
    return scratch_written(put_int(&scratch, p, n, max));
}

PyDoc_STRVAR(epoch_doc, "epoch(raw, unit_ns) -> bytes | None: the JSON string a plan writes for a "
                        "unix, unix_ms, unix_us or unix_ns value (put_epoch), or None.");

static PyObject *rule_epoch(PyObject *module, PyObject *args) {
    const char *p;
    Py_ssize_t n;
    long long unit;
    if (!PyArg_ParseTuple(args, "y#L", &p, &n, &unit)) {
        return NULL;
    }
    if (unit != 1 && unit != 1000 && unit != 1000000 && unit != 1000000000) {
        PyErr_SetString(PyExc_ValueError, "unit_ns is 1, 1000, 1000000 or 1000000000");
        return NULL;
    }
    if (scratch_room(64) < 0) {
        return NULL;
    }
    return scratch_written(put_epoch(&scratch, p, n, unit));
}

PyDoc_STRVAR(json_string_doc, "json_string(raw) -> bytes: the JSON string a plan writes for a string "
                              "value (put_json_string); raw must be valid UTF-8, as a plan's lines are.");

static PyObject *rule_json_string(PyObject *module, PyObject *raw) {
    if (!PyBytes_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "json_string takes bytes");
        return NULL;
    }
    Py_ssize_t n = PyBytes_GET_SIZE(raw);
    if (!utf8_valid((const unsigned char *)PyBytes_AS_STRING(raw), n)) {
        PyErr_SetString(PyExc_ValueError, "json_string takes valid UTF-8 (a plan defers the rest)");
        return NULL;
    }
    if (scratch_room(6 * n + 2) < 0) {
        return NULL;
    }
    put_json_string(&scratch, PyBytes_AS_STRING(raw), n);
    return scratch_written(1);
}

PyDoc_STRVAR(trim_doc, "trim(raw) -> bytes: raw without Go's whitespace at either end (trim); raw "
                       "must be valid UTF-8.");

static PyObject *rule_trim(PyObject *module, PyObject *raw) {
    if (!PyBytes_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "trim takes bytes");
        return NULL;
    }
    Span span = {PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)};
    if (!utf8_valid((const unsigned char *)span.p, span.n)) {
        PyErr_SetString(PyExc_ValueError, "trim takes valid UTF-8 (a plan defers the rest)");
        return NULL;
    }
    trim(&span);
    return PyBytes_FromStringAndSize(span.p, span.n);
}

PyDoc_STRVAR(space_at_start_doc, "space_at_start(raw) -> int: the length of the Go space character "
                                 "raw starts with, or 0.");

static PyObject *rule_space_at_start(PyObject *module, PyObject *raw) {
    if (!PyBytes_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "space_at_start takes bytes");
        return NULL;
    }
    return PyLong_FromSsize_t(
        space_at_start((const unsigned char *)PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)));
}

PyDoc_STRVAR(space_at_end_doc, "space_at_end(raw) -> int: the length of the Go space character raw "
                               "ends with, or 0.");

static PyObject *rule_space_at_end(PyObject *module, PyObject *raw) {
    if (!PyBytes_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "space_at_end takes bytes");
        return NULL;
    }
    return PyLong_FromSsize_t(
        space_at_end((const unsigned char *)PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)));
}

PyDoc_STRVAR(may_be_blank_doc, "may_be_blank(byte) -> bool: whether a line starting with this byte "
                               "is left to the reference path as maybe blank.");

static PyObject *rule_may_be_blank(PyObject *module, PyObject *arg) {
    long c = PyLong_AsLong(arg);
    if (c == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (c < 0 || c > 255) {
        PyErr_SetString(PyExc_ValueError, "may_be_blank takes a byte, 0 to 255");
        return NULL;
    }
    return PyBool_FromLong(may_be_blank((unsigned char)c));
}

PyDoc_STRVAR(is_ipv4_doc, "is_ipv4(raw) -> bool: whether raw is an IPv4 address (is_ipv4).");

static PyObject *rule_is_ipv4(PyObject *module, PyObject *raw) {
    if (!PyBytes_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "is_ipv4 takes bytes");
        return NULL;
    }
    return PyBool_FromLong(is_ipv4(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)));
}

PyDoc_STRVAR(ip_member_doc, "ip_member(raw, ip) -> int: what a plan makes of an ip (IP_ONLY) or "
                            "hostname (IP_OR_HOST) indicator value itself (ip_member): 1 an IPv4 "
                            "address for p_any_ip_addresses, 0 nothing, -1 the scanner is asked.");

static PyObject *rule_ip_member(PyObject *module, PyObject *args) {
    const char *p;
    Py_ssize_t n;
    int ip;
    if (!PyArg_ParseTuple(args, "y#i", &p, &n, &ip)) {
        return NULL;
    }
    if (ip != IP_ONLY && ip != IP_OR_HOST) {
        PyErr_SetString(PyExc_ValueError, "ip is IP_ONLY or IP_OR_HOST");
        return NULL;
    }
    Field field = {.ip = ip, .indicator = 0};
    Span v = {p, n};
    Py_ssize_t count = 0;
    scratch.ip_key = ",\"p_any_ip_addresses\":[";
    scratch.ip_key_len = (Py_ssize_t)strlen(scratch.ip_key);
    int found = ip_member(&scratch, &field, &v, &count);
    if (found == -2) {
        scratch.out_of_memory = 0;
        return PyErr_NoMemory();
    }
    if (found == 1 && (count != 1 || scratch.members[0].raw != p ||
                       scratch.members[0].raw_len != (uint32_t)n)) {
        PyErr_SetString(PyExc_AssertionError, "ip_member added another member than the value");
        return NULL;
    }
    return PyLong_FromLong(found);
}

PyDoc_STRVAR(utf8_valid_doc, "utf8_valid(raw) -> bool: whether raw is strict UTF-8 (utf8_valid).");

static PyObject *rule_utf8_valid(PyObject *module, PyObject *raw) {
    if (!PyBytes_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "utf8_valid takes bytes");
        return NULL;
    }
    return PyBool_FromLong(
        utf8_valid((const unsigned char *)PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)));
}

PyDoc_STRVAR(whitespace_doc, "whitespace() -> str: every code point whose UTF-8 space_at_start "
                             "reads as one whole space character: the C whitespace set.");

static PyObject *rule_whitespace(PyObject *module, PyObject *unused) {
    Py_UCS4 found[64];
    Py_ssize_t count = 0;
    for (Py_UCS4 c = 0; c <= 0x10FFFF; c++) {
        unsigned char b[4];
        Py_ssize_t n;
        if (c >= 0xD800 && c <= 0xDFFF) {
            continue;
        }
        if (c < 0x80) {
            b[0] = (unsigned char)c;
            n = 1;
        } else if (c < 0x800) {
            b[0] = (unsigned char)(0xC0 | c >> 6);
            b[1] = (unsigned char)(0x80 | (c & 0x3F));
            n = 2;
        } else if (c < 0x10000) {
            b[0] = (unsigned char)(0xE0 | c >> 12);
            b[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
            b[2] = (unsigned char)(0x80 | (c & 0x3F));
            n = 3;
        } else {
            b[0] = (unsigned char)(0xF0 | c >> 18);
            b[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
            b[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
            b[3] = (unsigned char)(0x80 | (c & 0x3F));
            n = 4;
        }
        if (space_at_start(b, n) == n && count < 64) {
            found[count++] = c;
        }
    }
    return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, found, count);
}

PyDoc_STRVAR(frames_end_doc, "frames_end(data, final, most) -> (used, count): how many bytes the first\n"
                            "octet-counted frames of data take, and how many frames (at most most), by the\n"
                            "rule of Plan.run_frames; without final, a frame ending at the end of data is\n"
                            "left for when more data has come.");

static PyObject *frames_end(PyObject *module, PyObject *args) {
    Py_buffer data;
    int final;
    Py_ssize_t most;
    if (!PyArg_ParseTuple(args, "y*pn", &data, &final, &most)) {
        return NULL;
    }
    Py_ssize_t pos = 0, count = 0, end, stop;
    while (count < most && next_frame(data.buf, data.len, pos, &end, &stop)) {
        if (!final && end == data.len) {
            break;
        }
        pos = end;
        count++;
    }
    PyBuffer_Release(&data);
    return Py_BuildValue("(nn)", pos, count);
}

PyDoc_STRVAR(newlines_doc,
"newlines(data, start, end) -> int: the LF bytes in data[start:end], as bytes.count(b'\\n', start,\n"
"end) counts them (start and end within data), several times faster: a reader counts every block's\n"
"lines, and CPython's count goes byte by byte.");

static PyObject *newlines(PyObject *module, PyObject *args) {
    Py_buffer data;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "y*nn", &data, &start, &end)) {
        return NULL;
    }
    if (start < 0 || end > data.len || start > end) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "newlines: start and end must lie within the data");
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)data.buf + start, *stop = (const unsigned char *)data.buf + end;
    Py_ssize_t count = 0;
    Py_BEGIN_ALLOW_THREADS;
    const uint64_t ones = 0x0101010101010101ULL, lows = 0x7F7F7F7F7F7F7F7FULL;
    for (; p + 8 <= stop; p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= ones * '\n'; /* a zero byte where there was a LF */
        /* exact zero-byte mask: high bit set in each byte that is zero */
        uint64_t zero = ~(((w & lows) + lows) | w | lows);
        count += (Py_ssize_t)(((zero >> 7) * ones) >> 56); /* the sum of the eight 0/1 bytes */
    }
    for (; p < stop; p++) {
        count += *p == '\n';
    }
    Py_END_ALLOW_THREADS;
    PyBuffer_Release(&data);
    return PyLong_FromSsize_t(count);
}

PyDoc_STRVAR(regex_search_doc,
"regex_search(source, groups, line) -> (found, spans): the search a regex pattern of a plan runs\n"
"(PCRE2, compiled from source with its groups), on valid UTF-8 line: found 1 with each group's\n"
"(start, end) in bytes or None, 0 for no match, -1 where PCRE2 gave up (a plan defers the line).");

static PyObject *rule_regex_search(PyObject *module, PyObject *args) {
    const char *source, *line;
    Py_ssize_t source_len, n;
    int groups;
    if (!PyArg_ParseTuple(args, "y#iy#", &source, &source_len, &groups, &line, &n)) {
        return NULL;
    }
    if (groups < 0 || !utf8_valid((const unsigned char *)line, n)) {
        PyErr_SetString(PyExc_ValueError, "regex_search takes a group count and valid UTF-8");
        return NULL;
    }
    char error[256];
    Regex *regex = regex_new(source, (size_t)source_len, groups, error, sizeof error);
    if (regex == NULL) {
        PyErr_SetString(PyExc_ValueError, error);
        return NULL;
    }
    long *spans = PyMem_Calloc(groups ? 2 * groups : 1, sizeof(long));
    if (spans == NULL) {
        regex_free(regex);
        return PyErr_NoMemory();
    }
    int found = regex_search(regex, line, (size_t)n, spans);
    regex_free(regex);
    PyObject *list = PyTuple_New(found == 1 ? groups : 0);
    for (int i = 0; list != NULL && found == 1 && i < groups; i++) {
        PyObject *span = spans[2 * i] < 0 ? Py_NewRef(Py_None)
                                          : Py_BuildValue("(ll)", spans[2 * i], spans[2 * i + 1]);
        if (span == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyTuple_SET_ITEM(list, i, span);
    }
    PyMem_Free(spans);
    return list == NULL ? NULL : Py_BuildValue("(iN)", found, list);
}

static PyMethodDef module_methods[] = {
    {"classify", (PyCFunction)(void (*)(void))module_classify, METH_VARARGS | METH_KEYWORDS, classify_doc},
    {"regex_search", rule_regex_search, METH_VARARGS, regex_search_doc},
    {"frames_end", frames_end, METH_VARARGS, frames_end_doc},
    {"newlines", newlines, METH_VARARGS, newlines_doc},
    {"rfc3339", rule_rfc3339, METH_O, rfc3339_doc},
    {"integer", rule_integer, METH_VARARGS, integer_doc},
    {"epoch", rule_epoch, METH_VARARGS, epoch_doc},
    {"json_string", rule_json_string, METH_O, json_string_doc},
    {"trim", rule_trim, METH_O, trim_doc},
    {"space_at_start", rule_space_at_start, METH_O, space_at_start_doc},
    {"space_at_end", rule_space_at_end, METH_O, space_at_end_doc},
    {"may_be_blank", rule_may_be_blank, METH_O, may_be_blank_doc},
    {"is_ipv4", rule_is_ipv4, METH_O, is_ipv4_doc},
    {"ip_member", rule_ip_member, METH_VARARGS, ip_member_doc},
    {"utf8_valid", rule_utf8_valid, METH_O, utf8_valid_doc},
    {"whitespace", rule_whitespace, METH_NOARGS, whitespace_doc},
    {"arrow_columns", arrow_columns, METH_VARARGS, arrow_columns_doc},
    {NULL, NULL, 0, NULL},
};

/* The tables the rules read, for tests to compare with Python's. */
static int add_tables(PyObject *m) {
    char escape[256];
    for (int c = 0; c < 256; c++) {
        escape[c] = (char)ESCAPE[c];
    }
    PyObject *epoch = Py_BuildValue("{L:n,L:n,L:n,L:n}", 1LL, epoch_digits_most(1), 1000LL,
                                    epoch_digits_most(1000), 1000000LL, epoch_digits_most(1000000),
                                    1000000000LL, epoch_digits_most(1000000000));
    if (epoch == NULL) {
        return -1;
    }
    if (PyModule_AddObject(m, "EPOCH_DIGITS_MOST", epoch) < 0) {
        Py_DECREF(epoch);
        return -1;
    }
    PyObject *table = PyBytes_FromStringAndSize(escape, 256);
    if (table == NULL) {
        return -1;
    }
    if (PyModule_AddObject(m, "ESCAPE", table) < 0) {
        Py_DECREF(table);
        return -1;
    }
    PyObject *kinds = Py_BuildValue("(sssss)", KIND_NAMES[0], KIND_NAMES[1], KIND_NAMES[2],
                                    KIND_NAMES[3], KIND_NAMES[4]);
    if (kinds == NULL) {
        return -1;
    }
    if (PyModule_AddObject(m, "KINDS", kinds) < 0) {
        Py_DECREF(kinds);
        return -1;
    }
    const char *version;
    PyObject *pcre2 = regex_available(&version) ? PyUnicode_FromString(version) : Py_NewRef(Py_None);
    if (pcre2 == NULL || PyModule_AddObject(m, "PCRE2_VERSION", pcre2) < 0) {
        Py_XDECREF(pcre2);
        return -1;
    }
    return PyModule_AddIntConstant(m, "INT_DIGITS_MOST", INT_DIGITS_MOST);
}

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "engine._fastpath",
    .m_doc = "The C accelerator of fastmatch, regex and CSV schemas: see engine/plan.py.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__fastpath(void) {
    init_escape();
    if (PyType_Ready(&PlanType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "Plan", (PyObject *)&PlanType) < 0 ||
        PyModule_AddIntConstant(m, "IP_IN_PYTHON", IP_IN_PYTHON) < 0 ||
        PyModule_AddIntConstant(m, "IP_ONLY", IP_ONLY) < 0 ||
        PyModule_AddIntConstant(m, "IP_OR_HOST", IP_OR_HOST) < 0 || add_tables(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
