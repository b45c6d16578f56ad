/* The safe XML layer over expat: refusal of DTDs and entities, limits, allocator plumbing, the
 * leaf-text model the S3 parsers use, and XML escaping for the request bodies we write.
 *
 * Allocator plumbing. expat's memory suite has no context pointer, so the allocator is handed
 * over in a thread-local set around every call into expat (create, parse, free); each block
 * carries a small header naming its allocator and size, so realloc and free never depend on the
 * thread-local. A parser is used by one thread at a time; calls nest correctly (the previous
 * value is restored).
 *
 * Invariants (outside a callback):
 *   depth == number of open elements, 0 <= depth <= limits.max_depth
 *   has_child[d] for 1 <= d <= depth: element d has had a child element
 *   text[0..text_len) == character data of the innermost open element since its start, and
 *     text_len == 0 whenever has_child[depth] (the text of an element with children is not kept)
 *   expat_bytes - event_end == bytes expat holds in an unfinished token, <= S3X_XML_MAX_TOKEN_BYTES
 *     after every feed
 *   error != 0 => every entry point returns error
 *
 * Worked example: feeding "  <?xml version='1.0'?><Error><Code>NoSuchKey</Code></Error>" in
 * chunks of 10 bytes: the 2 spaces are skipped (bytes_in 2, expat_bytes 0); the XML declaration
 * ends at expat byte 21 (a default-handler event, event_end 21); after the third chunk expat holds
 * "<Err" of an unfinished start tag: expat_bytes 28 - event_end 21 = 7 <= 8192, fine. The handler
 * sees start(1,"Error"), start(2,"Code"), end(2,"Code","NoSuchKey"), end(1,"Error",NULL).
 */
#include "s3/xml.h"

#include "common/common.h"

#include <expat.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define S_NS_SEPARATOR ' ' /* never part of a local name nor of a well-formed namespace URI */
#define S_TEXT_INITIAL_CAPACITY 128

/* --- memory suite ----------------------------------------------------------------------------- */

struct s_block_header {
    struct s3x_allocator *allocator;
    size_t size;
};
union s_block {
    struct s_block_header h;
    max_align_t align_;
};

static _Thread_local struct s3x_allocator *s_tls_allocator;

static void *s_expat_malloc(size_t size) {
    struct s3x_allocator *a = s_tls_allocator;
    size_t total;
    if (a == NULL || s3x__add_overflows(size, sizeof(union s_block), &total)) {
        return NULL;
    }
    union s_block *b = s3x_mem_acquire(a, total);
    if (b == NULL) {
        return NULL;
    }
    b->h.allocator = a;
    b->h.size = size;
    return b + 1;
}

static void *s_expat_realloc(void *ptr, size_t size) {
    if (ptr == NULL) {
        return s_expat_malloc(size);
    }
    union s_block *b = (union s_block *)ptr - 1;
    size_t total;
    if (s3x__add_overflows(size, sizeof(union s_block), &total)) {
        return NULL;
    }
    struct s3x_allocator *a = b->h.allocator;
    union s_block *nb = s3x_mem_realloc(a, b, b->h.size + sizeof(union s_block), total);
    if (nb == NULL) {
        return NULL;
    }
    nb->h.size = size;
    return nb + 1;
}

static void s_expat_free(void *ptr) {
    if (ptr != NULL) {
        union s_block *b = (union s_block *)ptr - 1;
        s3x_mem_release(b->h.allocator, b);
    }
}

static const XML_Memory_Handling_Suite s_memsuite = {
    .malloc_fcn = s_expat_malloc,
    .realloc_fcn = s_expat_realloc,
    .free_fcn = s_expat_free,
};

/* --- parser state ----------------------------------------------------------------------------- */

struct s3x_xml_parser {
    /* immutable after construction */
    struct s3x_allocator *allocator;
    XML_Parser expat;
    struct s3x_xml_handler handler;
    struct s3x_xml_limits limits;
    void *user_data;

    int error;     /* sticky */
    bool stopped;  /* a handler returned S3X_XML_STOP */
    bool started;  /* a byte other than leading whitespace has reached expat */
    bool finished; /* finish was called */

    size_t depth;
    size_t elements;
    size_t bytes_in;      /* every byte fed, skipped whitespace included */
    uint64_t expat_bytes; /* bytes handed to expat */
    uint64_t event_end;   /* expat byte offset just past the last event */
    bool has_child[S3X_XML_DEPTH_HARD_MAX + 1];

    char *text;
    size_t text_len;
    size_t text_cap;

    char detail[160];
};

static int s_fail(struct s3x_xml_parser *p, int error, const char *why) {
    if (p->error == 0) {
        p->error = error;
        unsigned long line = (unsigned long)XML_GetCurrentLineNumber(p->expat);
        snprintf(p->detail, sizeof(p->detail), "%s (line %lu)", why, line);
        S3X_LOG_DEBUGF("xml", "parse failed: %s", p->detail);
    }
    XML_StopParser(p->expat, XML_FALSE);
    return error;
}

/* Whether callbacks should do nothing: after an error or a stop, expat may still deliver the end
 * of an empty element whose start stopped it. */
static bool s_halted(const struct s3x_xml_parser *p) {
    return p->error != 0 || p->stopped;
}

static void s_mark_event(struct s3x_xml_parser *p) {
    XML_Index index = XML_GetCurrentByteIndex(p->expat);
    if (index >= 0) {
        p->event_end = (uint64_t)index + (uint64_t)XML_GetCurrentByteCount(p->expat);
    }
}

/* Applies a handler's verdict. */
static void s_verdict(struct s3x_xml_parser *p, int rc) {
    if (rc == S3X_XML_STOP) {
        p->stopped = true;
        XML_StopParser(p->expat, XML_FALSE);
    } else if (rc != 0) {
        s_fail(p, rc, "refused by the handler");
    }
}

static const char *s_local_name(const XML_Char *name) {
    const char *sep = strrchr(name, S_NS_SEPARATOR);
    return sep != NULL ? sep + 1 : name;
}

static void XMLCALL s_on_start(void *user, const XML_Char *name, const XML_Char **atts) {
    S3X_UNUSED(atts);
    struct s3x_xml_parser *p = user;
    if (s_halted(p)) {
        return;
    }
    s_mark_event(p);
    if (p->depth >= p->limits.max_depth) {
        s_fail(p, S3X_ERR_PARSE, "element nesting deeper than the depth limit");
        return;
    }
    if (p->elements >= p->limits.max_elements) {
        s_fail(p, S3X_ERR_PARSE, "more elements than the element limit");
        return;
    }
    p->elements += 1;
    p->has_child[p->depth] = true;
    p->depth += 1;
    p->has_child[p->depth] = false;
    p->text_len = 0;
    if (p->handler.on_start != NULL) {
        s_verdict(p, p->handler.on_start(p, p->depth, s_local_name(name), p->user_data));
    }
}

static void XMLCALL s_on_end(void *user, const XML_Char *name) {
    struct s3x_xml_parser *p = user;
    if (s_halted(p)) {
        return;
    }
    s_mark_event(p);
    if (p->handler.on_end != NULL) {
        const char *text = NULL;
        size_t len = 0;
        if (!p->has_child[p->depth]) {
            text = p->text != NULL ? p->text : "";
            len = p->text_len;
            if (p->text != NULL) {
                p->text[len] = '\0';
            }
        }
        s_verdict(p, p->handler.on_end(p, p->depth, s_local_name(name), text, len, p->user_data));
    }
    p->depth -= 1;
    p->text_len = 0;
}

static bool s_text_reserve(struct s3x_xml_parser *p, size_t needed) {
    if (needed < p->text_cap) {
        return true; /* room for the NUL too */
    }
    size_t cap = p->text_cap == 0 ? S_TEXT_INITIAL_CAPACITY : p->text_cap;
    while (cap <= needed) {
        cap *= 2;
    }
    cap = S3X_MIN(cap, p->limits.max_text_bytes + 1);
    char *t = s3x_mem_realloc(p->allocator, p->text, p->text_cap, cap);
    if (t == NULL) {
        return false;
    }
    p->text = t;
    p->text_cap = cap;
    return true;
}

static void XMLCALL s_on_text(void *user, const XML_Char *s, int len) {
    struct s3x_xml_parser *p = user;
    if (s_halted(p)) {
        return;
    }
    s_mark_event(p);
    if (p->depth == 0 || p->has_child[p->depth] || len <= 0) {
        return; /* text of an element with children is dropped (whitespace between children) */
    }
    size_t n = (size_t)len;
    if (n > p->limits.max_text_bytes - p->text_len) {
        s_fail(p, S3X_ERR_PARSE, "element text longer than the text limit");
        return;
    }
    if (!s_text_reserve(p, p->text_len + n)) {
        s_fail(p, S3X_ERR_OOM, "out of memory for element text");
        return;
    }
    memcpy(p->text + p->text_len, s, n);
    p->text_len += n;
}

/* Comments, processing instructions, the XML declaration, whitespace outside the root: nothing
 * to do but note the progress (see the token limit). */
static void XMLCALL s_on_default(void *user, const XML_Char *s, int len) {
    S3X_UNUSED(s);
    S3X_UNUSED(len);
    struct s3x_xml_parser *p = user;
    if (!s_halted(p)) {
        s_mark_event(p);
    }
}

static void XMLCALL s_on_doctype(void *user, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
    int has_internal_subset) {
    S3X_UNUSED(name);
    S3X_UNUSED(sysid);
    S3X_UNUSED(pubid);
    S3X_UNUSED(has_internal_subset);
    s_fail(user, S3X_ERR_PARSE, "DOCTYPE refused");
}

static void XMLCALL s_on_entity_decl(void *user, const XML_Char *name, int is_param, const XML_Char *value,
    int value_len, const XML_Char *base, const XML_Char *system_id, const XML_Char *public_id,
    const XML_Char *notation) {
    S3X_UNUSED(name);
    S3X_UNUSED(is_param);
    S3X_UNUSED(value);
    S3X_UNUSED(value_len);
    S3X_UNUSED(base);
    S3X_UNUSED(system_id);
    S3X_UNUSED(public_id);
    S3X_UNUSED(notation);
    s_fail(user, S3X_ERR_PARSE, "entity declaration refused");
}

static int XMLCALL s_on_external_entity(XML_Parser parser, const XML_Char *context, const XML_Char *base,
    const XML_Char *system_id, const XML_Char *public_id) {
    S3X_UNUSED(context);
    S3X_UNUSED(base);
    S3X_UNUSED(system_id);
    S3X_UNUSED(public_id);
    s_fail(XML_GetUserData(parser), S3X_ERR_PARSE, "external entity refused");
    return XML_STATUS_ERROR;
}

static void XMLCALL s_on_skipped_entity(void *user, const XML_Char *name, int is_param) {
    S3X_UNUSED(name);
    S3X_UNUSED(is_param);
    s_fail(user, S3X_ERR_PARSE, "entity reference refused");
}

/* --- entry points ----------------------------------------------------------------------------- */

static size_t s_or_default(size_t value, size_t fallback) {
    return value != 0 ? value : fallback;
}

static void s_configure(struct s3x_xml_parser *p) {
    XML_Parser x = p->expat;
    XML_SetUserData(x, p);
    XML_SetElementHandler(x, s_on_start, s_on_end);
    XML_SetCharacterDataHandler(x, s_on_text);
    XML_SetDefaultHandlerExpand(x, s_on_default);
    XML_SetStartDoctypeDeclHandler(x, s_on_doctype);
    XML_SetEntityDeclHandler(x, s_on_entity_decl);
    XML_SetExternalEntityRefHandler(x, s_on_external_entity);
    XML_SetSkippedEntityHandler(x, s_on_skipped_entity);
    XML_SetParamEntityParsing(x, XML_PARAM_ENTITY_PARSING_NEVER);
}

int s3x__xml_parser_new(struct s3x_allocator *allocator, const struct s3x_xml_handler *handler,
    const struct s3x_xml_limits *limits, void *user_data, struct s3x_xml_parser **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (allocator == NULL || handler == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_xml_parser *p = s3x_mem_calloc(allocator, 1, sizeof(*p));
    if (p == NULL) {
        return S3X_ERR_OOM;
    }
    p->allocator = allocator;
    p->handler = *handler;
    p->user_data = user_data;
    struct s3x_xml_limits none = {0};
    const struct s3x_xml_limits *l = limits != NULL ? limits : &none;
    p->limits.max_depth = S3X_MIN(s_or_default(l->max_depth, S3X_XML_MAX_DEPTH), (size_t)S3X_XML_DEPTH_HARD_MAX);
    p->limits.max_bytes = s_or_default(l->max_bytes, S3X_XML_MAX_BYTES);
    p->limits.max_elements = s_or_default(l->max_elements, S3X_XML_MAX_ELEMENTS);
    p->limits.max_text_bytes = S3X_MIN(s_or_default(l->max_text_bytes, S3X_XML_MAX_TEXT_BYTES), SIZE_MAX / 4);

    struct s3x_allocator *saved = s_tls_allocator;
    s_tls_allocator = allocator;
    /* UTF-8 whatever the declaration says: S3 writes nothing else, and no transcoding is one thing
     * less to trust. */
    p->expat = XML_ParserCreate_MM("UTF-8", &s_memsuite, (XML_Char[]){S_NS_SEPARATOR, '\0'});
    s_tls_allocator = saved;
    if (p->expat == NULL) {
        s3x_mem_release(allocator, p);
        return S3X_ERR_OOM;
    }
    s_configure(p);
    *out = p;
    return 0;
}

static bool s_is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Hands data to expat and turns its verdict into ours. */
static int s_expat_parse(struct s3x_xml_parser *p, const char *data, size_t len, bool is_final) {
    struct s3x_allocator *saved = s_tls_allocator;
    s_tls_allocator = p->allocator;
    enum XML_Status st = XML_STATUS_OK;
    size_t done = 0;
    do {
        size_t n = S3X_MIN(len - done, (size_t)INT_MAX / 2);
        bool last = is_final && done + n == len;
        st = XML_Parse(p->expat, data != NULL ? data + done : NULL, (int)n, last ? XML_TRUE : XML_FALSE);
        done += n;
        p->expat_bytes += n;
    } while (st == XML_STATUS_OK && done < len);
    s_tls_allocator = saved;

    if (p->error != 0) {
        return p->error;
    }
    if (p->stopped) {
        return 0;
    }
    if (st != XML_STATUS_OK) {
        enum XML_Error code = XML_GetErrorCode(p->expat);
        int rc = code == XML_ERROR_NO_MEMORY ? S3X_ERR_OOM : S3X_ERR_PARSE;
        char why[96];
        snprintf(why, sizeof(why), "expat: %s, column %lu", XML_ErrorString(code),
            (unsigned long)XML_GetCurrentColumnNumber(p->expat));
        return s_fail(p, rc, why);
    }
    if (p->expat_bytes - p->event_end > S3X_XML_MAX_TOKEN_BYTES) {
        return s_fail(p, S3X_ERR_PARSE, "markup token longer than the token limit");
    }
    return 0;
}

int s3x__xml_parser_feed(struct s3x_xml_parser *p, const void *data, size_t len) {
    if (p == NULL || (data == NULL && len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (p->error != 0) {
        return p->error;
    }
    if (p->finished) {
        return S3X_ERR_INVALID_STATE;
    }
    if (p->stopped || len == 0) {
        return 0;
    }
    if (len > p->limits.max_bytes - S3X_MIN(p->bytes_in, p->limits.max_bytes)) {
        return s_fail(p, S3X_ERR_PARSE, "document larger than the size limit");
    }
    p->bytes_in += len;
    const char *d = data;
    if (!p->started) {
        size_t skip = 0;
        while (skip < len && s_is_space((unsigned char)d[skip])) {
            ++skip;
        }
        if (skip == len) {
            return 0;
        }
        p->started = true;
        d += skip;
        len -= skip;
        /* A UTF-16 byte order mark would make expat transcode despite the UTF-8 setting; 0xFE
         * and 0xFF never start UTF-8 text. */
        if ((unsigned char)d[0] == 0xFE || (unsigned char)d[0] == 0xFF) {
            return s_fail(p, S3X_ERR_PARSE, "not UTF-8 (UTF-16 byte order mark)");
        }
    }
    return s_expat_parse(p, d, len, false);
}

int s3x__xml_parser_finish(struct s3x_xml_parser *p) {
    if (p == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (p->error != 0) {
        return p->error;
    }
    if (p->finished) {
        return S3X_ERR_INVALID_STATE;
    }
    p->finished = true;
    if (p->stopped) {
        return 0;
    }
    if (!p->started) {
        return s_fail(p, S3X_ERR_PARSE, "empty document");
    }
    return s_expat_parse(p, NULL, 0, true);
}

void s3x__xml_parser_destroy(struct s3x_xml_parser *p) {
    if (p == NULL) {
        return;
    }
    struct s3x_allocator *saved = s_tls_allocator;
    s_tls_allocator = p->allocator;
    XML_ParserFree(p->expat);
    s_tls_allocator = saved;
    s3x_mem_release(p->allocator, p->text);
    s3x_mem_release(p->allocator, p);
}

const char *s3x__xml_parser_error_detail(const struct s3x_xml_parser *p) {
    return p != NULL ? p->detail : "";
}

int s3x__xml_parse(struct s3x_allocator *allocator, const struct s3x_xml_handler *handler,
    const struct s3x_xml_limits *limits, void *user_data, const void *data, size_t len) {
    struct s3x_xml_parser *p = NULL;
    int rc = s3x__xml_parser_new(allocator, handler, limits, user_data, &p);
    if (rc == 0) {
        rc = s3x__xml_parser_feed(p, data, len);
    }
    if (rc == 0) {
        rc = s3x__xml_parser_finish(p);
    }
    s3x__xml_parser_destroy(p);
    return rc;
}

/* --- root sniffing --------------------------------------------------------------------------- */

/* Index just past `end` found at or after i, or len + 1 when absent. */
static size_t s_skip_past(const char *s, size_t len, size_t i, const char *end) {
    size_t n = strlen(end);
    for (; i + n <= len; ++i) {
        if (memcmp(s + i, end, n) == 0) {
            return i + n;
        }
    }
    return len + 1;
}

static bool s_name_char(unsigned char c) {
    return !(s_is_space(c) || c == '>' || c == '/' || c == '<' || c == '=' || c == '"' || c == '\'');
}

bool s3x__xml_sniff_root(const void *body, size_t len, char *out, size_t out_size) {
    const char *s = body;
    if (s == NULL || out == NULL || out_size == 0) {
        return false;
    }
    /* The same order as the parser: leading whitespace (skipped by feed), then a BOM. */
    size_t i = 0;
    while (i < len && s_is_space((unsigned char)s[i])) {
        ++i;
    }
    if (len - i >= 3 && memcmp(s + i, "\xEF\xBB\xBF", 3) == 0) {
        i += 3;
    }
    for (;;) {
        while (i < len && s_is_space((unsigned char)s[i])) {
            ++i;
        }
        if (i + 1 >= len || s[i] != '<') {
            return false;
        }
        if (s[i + 1] == '?') {
            i = s_skip_past(s, len, i + 2, "?>");
        } else if (len - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            i = s_skip_past(s, len, i + 4, "-->");
        } else {
            break;
        }
        if (i > len) {
            return false;
        }
    }
    size_t start = ++i; /* past '<' */
    while (i < len && s_name_char((unsigned char)s[i])) {
        ++i;
    }
    if (i == start || i == len) {
        return false; /* no name, or the tag is not complete in the bytes given */
    }
    const char *name = s + start;
    size_t n = i - start;
    const char *colon = memchr(name, ':', n);
    while (colon != NULL) {
        n -= (size_t)(colon + 1 - name);
        name = colon + 1;
        colon = memchr(name, ':', n);
    }
    if (n == 0 || n >= out_size || name[0] == '!') {
        return false;
    }
    memcpy(out, name, n);
    out[n] = '\0';
    return true;
}

/* --- escaping --------------------------------------------------------------------------------- */

static const char *s_entity(unsigned char c) {
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&apos;";
    case '\t': return "&#9;";
    case '\n': return "&#10;";
    case '\r': return "&#13;";
    default: return NULL;
    }
}

size_t s3x__xml_escaped_len(const char *text, size_t len) {
    size_t total = 0;
    for (size_t i = 0; i < len; ++i) {
        const char *e = s_entity((unsigned char)text[i]);
        if (s3x__add_overflows(total, e != NULL ? strlen(e) : 1, &total)) {
            return SIZE_MAX;
        }
    }
    return total;
}

size_t s3x__xml_escape_to(char *out, const char *text, size_t len) {
    size_t o = 0;
    for (size_t i = 0; i < len; ++i) {
        const char *e = s_entity((unsigned char)text[i]);
        if (e != NULL) {
            size_t n = strlen(e);
            memcpy(out + o, e, n);
            o += n;
        } else {
            out[o++] = text[i];
        }
    }
    return o;
}

bool s3x__xml_text_is_valid(const char *text, size_t len) {
    for (size_t i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return false;
        }
    }
    return true;
}
