/* engine/_arrow.c: the engine's NDJSON records read straight into Arrow buffers.
 *
 * engine/columnar.py gives the column tree of each log type's Arrow schema; this reads every record
 * of a block once, left to right, and appends each value to its column: validity bitmaps, int32
 * offsets and value buffers laid out as the Arrow format wants them, so that Python only wraps them
 * (pyarrow.Array.from_buffers), with no Python object per value. Its twin is
 * columnar.python_columns; tests/test_columnar.py holds them to the same batches.
 *
 * The input is what the engine wrote: strict JSON, one object a line, times as
 * "YYYY-MM-DD HH:MM:SS.fffffffff" UTC. A json column keeps its value's text exactly as written. Still
 * nothing is trusted: every read is bounded, and what does not fit the tree is a ValueError. A time
 * that timestamp[ns] cannot hold (before 1677, after 2262) makes its record "unrepresentable": the
 * call then returns the index of every such record, and no columns. */

#include "_arrow.h"

#include <stdint.h>
#include <string.h>

#include "vendor/yyjson/yyjson.h"

enum Kind { K_UTF8, K_INT32, K_INT16, K_INT64, K_FLOAT64, K_BOOL, K_TIMESTAMP, K_JSON, K_LIST, K_STRUCT };

static const char *const KIND_NAMES[] = {"utf8",  "int32",     "int16", "int64", "float64",
                                         "bool",  "timestamp", "json",  "list",  "struct"};
#define KIND_COUNT 10

typedef struct {
    char *p;
    size_t len, cap;
} Buf;

typedef struct Col {
    int kind;
    const char *key; /* the member's name as JSON writes it, without quotes */
    size_t key_len;
    struct Col *children;
    Py_ssize_t nchildren;
    Py_ssize_t next; /* the child most likely to come next: members come in schema order */
    Buf validity, offsets, data;
    int64_t length, null_count, data_bits;
    uint64_t seen; /* the object in which this member was last set */
} Col;

typedef struct {
    const char *log_type;
    size_t log_type_len;
    Col root; /* a struct whose children are the batch's columns; it has no validity of its own */
} Table;

typedef struct {
    const char *p, *end;
    uint64_t objects;
    const char *error; /* static text: why the input does not fit */
} Reader;

enum { OK = 0, FAIL = -1, NO_MEMORY = -2, OUT_OF_RANGE = -3 };

/* --- buffers ---------------------------------------------------------------------------------- */

static int reserve(Buf *b, size_t more) {
    if (b->len + more <= b->cap) {
        return OK;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) {
        cap *= 2;
    }
    char *p = PyMem_RawRealloc(b->p, cap);
    if (p == NULL) {
        return NO_MEMORY;
    }
    b->p = p;
    b->cap = cap;
    return OK;
}

static int put(Buf *b, const void *src, size_t n) {
    if (reserve(b, n) < 0) {
        return NO_MEMORY;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
    return OK;
}

/* Bit i of a bitmap set (value 1) or left clear; the bitmap's length follows in bytes. */
static int put_bit(Buf *b, int64_t i, int value) {
    size_t need = (size_t)(i / 8) + 1;
    if (need > b->len) {
        if (reserve(b, need - b->len) < 0) {
            return NO_MEMORY;
        }
        memset(b->p + b->len, 0, need - b->len);
        b->len = need;
    }
    if (value) {
        b->p[i / 8] |= (char)(1 << (i % 8));
    }
    return OK;
}

static int put_offset(Col *c, size_t end) {
    if (end > INT32_MAX) {
        return FAIL;
    }
    int32_t offset = (int32_t)end;
    return put(&c->offsets, &offset, sizeof offset);
}

static void free_col(Col *c) {
    for (Py_ssize_t i = 0; i < c->nchildren; i++) {
        free_col(&c->children[i]);
    }
    PyMem_RawFree(c->children);
    PyMem_RawFree(c->validity.p);
    PyMem_RawFree(c->offsets.p);
    PyMem_RawFree(c->data.p);
    memset(c, 0, sizeof *c);
}

/* --- appending -------------------------------------------------------------------------------- */

static int start_col(Col *c) {
    /* offsets start with 0 */
    return (c->kind == K_UTF8 || c->kind == K_JSON || c->kind == K_LIST) ? put_offset(c, 0) : OK;
}

static size_t value_width(int kind) {
    switch (kind) {
    case K_INT32:
        return 4;
    case K_INT16:
        return 2;
    case K_INT64:
    case K_FLOAT64:
    case K_TIMESTAMP:
        return 8;
    default:
        return 0;
    }
}

/* One more slot in c, valid or not: its validity bit, and for a null its place in the buffers. */
static int append_null(Col *c) {
    if (put_bit(&c->validity, c->length, 0) < 0) {
        return NO_MEMORY;
    }
    int r = OK;
    switch (c->kind) {
    case K_UTF8:
    case K_JSON:
        r = put_offset(c, c->data.len);
        break;
    case K_LIST:
        r = put_offset(c, (size_t)c->children[0].length);
        break;
    case K_BOOL:
        r = put_bit(&c->data, c->data_bits++, 0);
        break;
    case K_STRUCT:
        for (Py_ssize_t i = 0; i < c->nchildren && r == OK; i++) {
            r = append_null(&c->children[i]);
        }
        break;
    default: {
        static const char zeros[8] = {0};
        r = put(&c->data, zeros, value_width(c->kind));
    }
    }
    c->length++;
    c->null_count++;
    return r;
}

static int append_valid(Col *c) {
    if (put_bit(&c->validity, c->length, 1) < 0) {
        return NO_MEMORY;
    }
    c->length++;
    return OK;
}

/* --- reading ---------------------------------------------------------------------------------- */

static int fail(Reader *r, const char *why) {
    r->error = why;
    return FAIL;
}

/* Past JSON whitespace (the engine writes none, but what it wrote stays JSON however it is spaced). */
static inline void space(Reader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n')) {
        r->p++;
    }
}

static int expect(Reader *r, char c) {
    space(r);
    if (r->p >= r->end || *r->p != c) {
        return fail(r, "unexpected character");
    }
    r->p++;
    return OK;
}

static int literal(Reader *r, const char *word, size_t n) {
    space(r);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) {
        return fail(r, "unexpected literal");
    }
    r->p += n;
    return OK;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (unsigned)(c - 'A' + 10);
        } else {
            return FAIL;
        }
    }
    *out = v;
    return OK;
}

static int put_utf8(Buf *b, unsigned cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return put(b, u, n);
}

/* A JSON string at r->p (its opening quote) decoded into b. */
static int read_string(Reader *r, Buf *b) {
    if (expect(r, '"') < 0) {
        return FAIL;
    }
    const char *start = r->p;
    for (;;) {
        /* the closing quote, unless a backslash comes first (memchr scans many bytes at a time) */
        const char *q = memchr(start, '"', (size_t)(r->end - start));
        if (q == NULL) {
            return fail(r, "unterminated string");
        }
        const char *backslash = memchr(start, '\\', (size_t)(q - start));
        if (backslash != NULL) {
            q = backslash;
        }
        if (put(b, start, (size_t)(q - start)) < 0) {
            return NO_MEMORY;
        }
        if (*q == '"') {
            r->p = q + 1;
            return OK;
        }
        if (q + 1 >= r->end) {
            return fail(r, "unterminated escape");
        }
        char e = q[1], c;
        start = q + 2;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            c = e;
            break;
        case 'b':
            c = '\b';
            break;
        case 'f':
            c = '\f';
            break;
        case 'n':
            c = '\n';
            break;
        case 'r':
            c = '\r';
            break;
        case 't':
            c = '\t';
            break;
        case 'u': {
            unsigned cp, low;
            if (r->end - q < 6 || hex4(q + 2, &cp) < 0) {
                return fail(r, "bad \\u escape");
            }
            start = q + 6;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (r->end - start < 6 || start[0] != '\\' || start[1] != 'u' || hex4(start + 2, &low) < 0 ||
                    low < 0xDC00 || low >= 0xE000) {
                    return fail(r, "lone surrogate");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                start += 6;
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                return fail(r, "lone surrogate");
            }
            if (put_utf8(b, cp) < 0) {
                return NO_MEMORY;
            }
            continue;
        }
        default:
            return fail(r, "bad escape");
        }
        if (put(b, &c, 1) < 0) {
            return NO_MEMORY;
        }
    }
}

/* Past one JSON value at r->p, whatever it holds (a json column's text). */
static int skip_value(Reader *r) {
    int depth = 0;
    space(r);
    do {
        if (r->p >= r->end) {
            return fail(r, "unterminated value");
        }
        char c = *r->p;
        if (c == '"') {
            r->p++;
            while (r->p < r->end && *r->p != '"') {
                r->p += (*r->p == '\\') ? 2 : 1;
            }
            if (r->p >= r->end) {
                return fail(r, "unterminated string");
            }
            r->p++;
        } else if (c == '{' || c == '[') {
            depth++;
            r->p++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return fail(r, "expected a value");
            }
            depth--;
            r->p++;
        } else if (depth == 0) { /* a number or a literal: up to what ends it */
            while (r->p < r->end && *r->p != ',' && *r->p != '}' && *r->p != ']' && *r->p != ' ' &&
                   *r->p != '\t' && *r->p != '\r' && *r->p != '\n') {
                r->p++;
            }
        } else {
            r->p++;
        }
    } while (depth > 0);
    return OK;
}

static int read_int(Reader *r, int64_t lo, int64_t hi, int64_t *out) {
    space(r);
    const char *p = r->p;
    int negative = p < r->end && *p == '-';
    p += negative;
    if (p >= r->end || *p < '0' || *p > '9') {
        return fail(r, "expected an integer");
    }
    uint64_t v = 0;
    while (p < r->end && *p >= '0' && *p <= '9') {
        if (v > (UINT64_MAX - 9) / 10) {
            return fail(r, "integer out of range");
        }
        v = v * 10 + (uint64_t)(*p++ - '0');
    }
    if (p < r->end && (*p == '.' || *p == 'e' || *p == 'E')) {
        return fail(r, "expected an integer");
    }
    if (negative ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) {
        return fail(r, "integer out of range");
    }
    int64_t s = negative ? (int64_t)(0 - v) : (int64_t)v;
    if (s < lo || s > hi) {
        return fail(r, "integer out of range");
    }
    r->p = p;
    *out = s;
    return OK;
}

static int read_float(Reader *r, double *out) {
    space(r);
    yyjson_val val;
    /* the block ends with a NUL (a bytes object), and a number is followed by ',' or '}' */
    const char *next = yyjson_read_number(r->p, &val, YYJSON_READ_NOFLAG, NULL, NULL);
    if (next == NULL || next > r->end || !yyjson_is_num(&val)) {
        return fail(r, "expected a number");
    }
    r->p = next;
    *out = yyjson_get_num(&val);
    return OK;
}

static int digits(const char *p, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return FAIL;
        }
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* "YYYY-MM-DD HH:MM:SS[.f{1,9}]" → epoch ns; OUT_OF_RANGE past what int64 holds. */
static int read_time(Reader *r, int64_t *out) {
    if (expect(r, '"') < 0) {
        return FAIL;
    }
    const char *p = r->p;
    int year, month, day, hour, minute, second, fraction = 0;
    if (r->end - p < 20 || digits(p, 4, &year) < 0 || p[4] != '-' || digits(p + 5, 2, &month) < 0 ||
        p[7] != '-' || digits(p + 8, 2, &day) < 0 || p[10] != ' ' || digits(p + 11, 2, &hour) < 0 ||
        p[13] != ':' || digits(p + 14, 2, &minute) < 0 || p[16] != ':' || digits(p + 17, 2, &second) < 0 ||
        month < 1 || month > 12 || day < 1 || day > 31) {
        return fail(r, "expected a time");
    }
    p += 19;
    if (*p == '.') {
        int n = 0;
        p++;
        while (p < r->end && *p >= '0' && *p <= '9' && n < 9) {
            fraction = fraction * 10 + (*p++ - '0');
            n++;
        }
        if (n == 0) {
            return fail(r, "expected a time");
        }
        for (; n < 9; n++) {
            fraction *= 10;
        }
    }
    if (p >= r->end || *p != '"') {
        return fail(r, "expected a time");
    }
    r->p = p + 1;
    int64_t seconds = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 +
                      minute * 60 + second;
    __int128 ns = (__int128)seconds * 1000000000 + fraction;
    if (ns < INT64_MIN || ns > INT64_MAX) {
        return OUT_OF_RANGE;
    }
    *out = (int64_t)ns;
    return OK;
}

static int read_object(Reader *r, Col *c);

/* A value (not null) into column c. */
static int read_value(Reader *r, Col *c) {
    int rc;
    space(r);
    switch (c->kind) {
    case K_UTF8:
        if ((rc = read_string(r, &c->data)) < 0) {
            return rc;
        }
        if (put_offset(c, c->data.len) < 0) {
            return fail(r, "column too large");
        }
        return append_valid(c);
    case K_JSON: {
        const char *start = r->p;
        if ((rc = skip_value(r)) < 0) {
            return rc;
        }
        if (put(&c->data, start, (size_t)(r->p - start)) < 0) {
            return NO_MEMORY;
        }
        if (put_offset(c, c->data.len) < 0) {
            return fail(r, "column too large");
        }
        return append_valid(c);
    }
    case K_INT32:
    case K_INT16:
    case K_INT64: {
        int64_t v;
        int64_t hi = c->kind == K_INT32 ? INT32_MAX : c->kind == K_INT16 ? INT16_MAX : INT64_MAX;
        int64_t lo = c->kind == K_INT32 ? INT32_MIN : c->kind == K_INT16 ? INT16_MIN : INT64_MIN;
        if ((rc = read_int(r, lo, hi, &v)) < 0) {
            return rc;
        }
        if (c->kind == K_INT32) {
            int32_t x = (int32_t)v;
            rc = put(&c->data, &x, 4);
        } else if (c->kind == K_INT16) {
            int16_t x = (int16_t)v;
            rc = put(&c->data, &x, 2);
        } else {
            rc = put(&c->data, &v, 8);
        }
        return rc < 0 ? rc : append_valid(c);
    }
    case K_FLOAT64: {
        double v;
        if ((rc = read_float(r, &v)) < 0 || (rc = put(&c->data, &v, 8)) < 0) {
            return rc;
        }
        return append_valid(c);
    }
    case K_BOOL: {
        int v;
        if (space(r), r->p < r->end && *r->p == 't') {
            rc = literal(r, "true", 4);
            v = 1;
        } else {
            rc = literal(r, "false", 5);
            v = 0;
        }
        if (rc < 0 || (rc = put_bit(&c->data, c->data_bits++, v)) < 0) {
            return rc;
        }
        return append_valid(c);
    }
    case K_TIMESTAMP: {
        int64_t v;
        if ((rc = read_time(r, &v)) < 0 || (rc = put(&c->data, &v, 8)) < 0) {
            return rc;
        }
        return append_valid(c);
    }
    case K_LIST: {
        Col *element = &c->children[0];
        if ((rc = expect(r, '[')) < 0) {
            return rc;
        }
        if (space(r), r->p < r->end && *r->p == ']') {
            r->p++;
        } else {
            for (;;) {
                if (space(r), r->p < r->end && *r->p == 'n') {
                    rc = literal(r, "null", 4);
                    rc = rc < 0 ? rc : append_null(element);
                } else {
                    rc = read_value(r, element);
                }
                if (rc < 0) {
                    return rc;
                }
                if (space(r), r->p < r->end && *r->p == ',') {
                    r->p++;
                    continue;
                }
                if ((rc = expect(r, ']')) < 0) {
                    return rc;
                }
                break;
            }
        }
        if (put_offset(c, (size_t)element->length) < 0) {
            return fail(r, "column too large");
        }
        return append_valid(c);
    }
    case K_STRUCT:
        if ((rc = read_object(r, c)) < 0) {
            return rc;
        }
        return append_valid(c);
    }
    return fail(r, "unknown kind");
}

static Col *member(Col *c, const char *key, size_t n) {
    for (Py_ssize_t k = 0; k < c->nchildren; k++) {
        Py_ssize_t i = (c->next + k) % c->nchildren;
        Col *child = &c->children[i];
        if (child->key_len == n && memcmp(child->key, key, n) == 0) {
            c->next = i + 1 < c->nchildren ? i + 1 : 0;
            return child;
        }
    }
    return NULL;
}

/* An object's members into c's children; the children it lacks get a null. */
static int read_object(Reader *r, Col *c) {
    int rc;
    uint64_t object = ++r->objects;
    if ((rc = expect(r, '{')) < 0) {
        return rc;
    }
    c->next = 0;
    if (space(r), r->p < r->end && *r->p == '}') {
        r->p++;
    } else {
        for (;;) {
            if ((rc = expect(r, '"')) < 0) {
                return rc;
            }
            Col *child = c->nchildren ? &c->children[c->next] : NULL; /* most often: the next member */
            if (child != NULL && (size_t)(r->end - r->p) > child->key_len && r->p[child->key_len] == '"' &&
                memcmp(r->p, child->key, child->key_len) == 0) {
                r->p += child->key_len;
                c->next = c->next + 1 < c->nchildren ? c->next + 1 : 0;
            } else {
                const char *key = r->p;
                while (r->p < r->end && *r->p != '"') {
                    r->p += (*r->p == '\\') ? 2 : 1;
                }
                if (r->p >= r->end) {
                    return fail(r, "unterminated key");
                }
                child = member(c, key, (size_t)(r->p - key));
            }
            r->p++;
            if (child == NULL) {
                return fail(r, "a key the schema does not have");
            }
            if (child->seen == object) {
                return fail(r, "a key twice");
            }
            child->seen = object;
            if ((rc = expect(r, ':')) < 0) {
                return rc;
            }
            if (space(r), r->p < r->end && *r->p == 'n') {
                rc = literal(r, "null", 4);
                rc = rc < 0 ? rc : append_null(child);
            } else {
                rc = read_value(r, child);
            }
            if (rc < 0) {
                return rc;
            }
            if (space(r), r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if ((rc = expect(r, '}')) < 0) {
                return rc;
            }
            break;
        }
    }
    for (Py_ssize_t i = 0; i < c->nchildren; i++) {
        if (c->children[i].seen != object && (rc = append_null(&c->children[i])) < 0) {
            return rc;
        }
    }
    return OK;
}

/* --- the tree from Python, and back ----------------------------------------------------------- */

/* A column from its spec (key: bytes, kind: str, children: tuple); -1 with an exception set. */
static int build_col(PyObject *spec, Col *c) {
    PyObject *key, *children;
    const char *kind;
    if (!PyArg_ParseTuple(spec, "SsO!", &key, &kind, &PyTuple_Type, &children)) {
        return -1;
    }
    c->key = PyBytes_AS_STRING(key); /* the spec outlives the call */
    c->key_len = (size_t)PyBytes_GET_SIZE(key);
    c->kind = -1;
    for (int k = 0; k < KIND_COUNT; k++) {
        if (strcmp(kind, KIND_NAMES[k]) == 0) {
            c->kind = k;
        }
    }
    Py_ssize_t n = PyTuple_GET_SIZE(children);
    if (c->kind < 0 || (c->kind == K_LIST && n != 1) || (c->kind != K_LIST && c->kind != K_STRUCT && n != 0)) {
        PyErr_Format(PyExc_ValueError, "a column spec of kind %s with %zd children", kind, n);
        return -1;
    }
    if (n > 0) {
        c->children = PyMem_RawCalloc((size_t)n, sizeof(Col));
        if (c->children == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        c->nchildren = n;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (build_col(PyTuple_GET_ITEM(children, i), &c->children[i]) < 0) {
                return -1;
            }
        }
    }
    if (start_col(c) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static PyObject *buffer_bytes(const Buf *b, size_t n) {
    return PyBytes_FromStringAndSize(n ? b->p : "", (Py_ssize_t)n);
}

/* (length, null_count, validity or None, offsets or None, data or None, [children]) */
static PyObject *col_result(const Col *c) {
    PyObject *children = PyList_New(c->nchildren);
    if (children == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < c->nchildren; i++) {
        PyObject *child = col_result(&c->children[i]);
        if (child == NULL) {
            Py_DECREF(children);
            return NULL;
        }
        PyList_SET_ITEM(children, i, child);
    }
    size_t bitmap = (size_t)(c->length + 7) / 8;
    PyObject *validity = c->null_count ? buffer_bytes(&c->validity, bitmap) : Py_NewRef(Py_None);
    int offsets = c->kind == K_UTF8 || c->kind == K_JSON || c->kind == K_LIST;
    PyObject *off = offsets ? buffer_bytes(&c->offsets, c->offsets.len) : Py_NewRef(Py_None);
    PyObject *data;
    if (c->kind == K_LIST || c->kind == K_STRUCT) {
        data = Py_NewRef(Py_None);
    } else if (c->kind == K_BOOL) {
        data = buffer_bytes(&c->data, (size_t)(c->data_bits + 7) / 8);
    } else {
        data = buffer_bytes(&c->data, c->data.len);
    }
    if (validity == NULL || off == NULL || data == NULL) {
        Py_XDECREF(validity);
        Py_XDECREF(off);
        Py_XDECREF(data);
        Py_DECREF(children);
        return NULL;
    }
    return Py_BuildValue("(LLNNNN)", (long long)c->length, (long long)c->null_count, validity, off, data,
                         children);
}

static const char LOG_TYPE_KEY[] = "\"p_log_type\":\"";

/* The table of a record by its p_log_type (the last such key: every later value is a string, whose
 * quotes are escaped), or NULL. */
static Table *table_of(Table *tables, Py_ssize_t n, const char *line, size_t len) {
    if (n == 1) {
        return &tables[0];
    }
    size_t k = sizeof LOG_TYPE_KEY - 1;
    for (size_t at = len >= k ? len - k + 1 : 0; at-- > 0;) {
        if (line[at] == '"' && memcmp(line + at, LOG_TYPE_KEY, k) == 0) {
            const char *name = line + at + k;
            const char *quote = memchr(name, '"', len - at - k);
            if (quote == NULL) {
                return NULL;
            }
            for (Py_ssize_t t = 0; t < n; t++) {
                if (tables[t].log_type_len == (size_t)(quote - name) &&
                    memcmp(tables[t].log_type, name, tables[t].log_type_len) == 0) {
                    return &tables[t];
                }
            }
            return NULL;
        }
    }
    return NULL;
}

const char arrow_columns_doc[] =
    "arrow_columns(data, tables) -> (results, out_of_range)\n\n"
    "Read NDJSON records (the engine's events or rejects, one a line) into Arrow buffers. ``tables``\n"
    "is a tuple of (log_type: bytes, columns: tuple of (key: bytes, kind: str, children: tuple));\n"
    "with several, each record goes to the table of its p_log_type. ``results`` holds per table\n"
    "(rows, [column...]), a column being (length, null_count, validity, offsets, data, [children]);\n"
    "``out_of_range`` lists the indices of the records with a time timestamp[ns] cannot hold, and\n"
    "when it is not empty ``results`` is None.";

PyObject *arrow_columns(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *data, *specs;
    if (!PyArg_ParseTuple(args, "SO!", &data, &PyTuple_Type, &specs)) {
        return NULL;
    }
    Py_ssize_t ntables = PyTuple_GET_SIZE(specs);
    if (ntables < 1) {
        PyErr_SetString(PyExc_ValueError, "arrow_columns needs a table");
        return NULL;
    }
    Table *tables = PyMem_RawCalloc((size_t)ntables, sizeof(Table));
    if (tables == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *result = NULL, *bad = PyList_New(0);
    int64_t *rows = PyMem_RawCalloc((size_t)ntables, sizeof(int64_t));
    if (bad == NULL || rows == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t t = 0; t < ntables; t++) {
        PyObject *log_type, *columns;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(specs, t), "SO!", &log_type, &PyTuple_Type, &columns)) {
            goto done;
        }
        tables[t].log_type = PyBytes_AS_STRING(log_type);
        tables[t].log_type_len = (size_t)PyBytes_GET_SIZE(log_type);
        PyObject *root = Py_BuildValue("(ysO)", "", "struct", columns);
        int built = root == NULL ? -1 : build_col(root, &tables[t].root);
        Py_XDECREF(root);
        if (built < 0) {
            goto done;
        }
    }
    const char *p = PyBytes_AS_STRING(data), *end = p + PyBytes_GET_SIZE(data);
    Reader reader = {0};
    int rc = OK;
    int64_t index = 0, *out_of_range = NULL;
    size_t nbad = 0, capbad = 0;
    Py_BEGIN_ALLOW_THREADS;
    while (p < end) {
        const char *newline = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = newline ? newline : end;
        if (line_end > p) {
            Table *table = table_of(tables, ntables, p, (size_t)(line_end - p));
            if (table == NULL) {
                reader.error = "a record of no log type given";
                rc = FAIL;
                break;
            }
            reader.p = p;
            reader.end = line_end;
            rc = read_object(&reader, &table->root);
            if (rc == OK && (space(&reader), reader.p != line_end)) {
                rc = fail(&reader, "text after the record");
            }
            if (rc == OUT_OF_RANGE) { /* the columns are spoiled from here: only indices are kept */
                if (nbad == capbad) {
                    capbad = capbad ? capbad * 2 : 16;
                    int64_t *grown = PyMem_RawRealloc(out_of_range, capbad * sizeof(int64_t));
                    if (grown == NULL) {
                        rc = NO_MEMORY;
                        break;
                    }
                    out_of_range = grown;
                }
                out_of_range[nbad++] = index;
                rc = OK;
            } else if (rc < 0) {
                break;
            }
            rows[table - tables]++;
            index++;
        }
        p = line_end + 1;
    }
    Py_END_ALLOW_THREADS;
    if (rc == NO_MEMORY) {
        PyErr_NoMemory();
    } else if (rc < 0) {
        PyErr_Format(PyExc_ValueError, "record %lld does not fit its Arrow schema: %s at byte %zd",
                     (long long)index, reader.error ? reader.error : "?",
                     (Py_ssize_t)(reader.p - PyBytes_AS_STRING(data)));
    } else if (nbad) {
        for (size_t i = 0; i < nbad; i++) {
            PyObject *n = PyLong_FromLongLong(out_of_range[i]);
            if (n == NULL || PyList_Append(bad, n) < 0) {
                Py_XDECREF(n);
                rc = FAIL;
                break;
            }
            Py_DECREF(n);
        }
        result = rc < 0 ? NULL : Py_BuildValue("(OO)", Py_None, bad);
    } else {
        PyObject *per_table = PyTuple_New(ntables);
        for (Py_ssize_t t = 0; per_table != NULL && t < ntables; t++) {
            PyObject *columns = col_result(&tables[t].root);
            PyObject *entry = columns == NULL ? NULL : Py_BuildValue("(LN)", (long long)rows[t], columns);
            if (entry == NULL) {
                Py_CLEAR(per_table);
                break;
            }
            PyTuple_SET_ITEM(per_table, t, entry);
        }
        result = per_table == NULL ? NULL : Py_BuildValue("(NO)", per_table, bad);
    }
    PyMem_RawFree(out_of_range);
done:
    for (Py_ssize_t t = 0; t < ntables; t++) {
        free_col(&tables[t].root);
    }
    PyMem_RawFree(tables);
    PyMem_RawFree(rows);
    Py_XDECREF(bad);
    return result;
}
