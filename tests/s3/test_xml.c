/* Tests of the safe XML layer (src/s3/xml.c): events, namespaces, refusal of DTDs and entities,
 * limits, incremental feeding at every split, truncation, allocation failures, escaping, root
 * sniffing. */
#include "harness.h"

#include "common/common.h"
#include "s3/xml.h"

#include <s3xfer/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records events as "<depth:name" and ">depth:name=text" (or ">depth:name*" with children). */
struct s_log {
    char buf[8192];
    size_t len;
    int stop_at_start;  /* stop when this many starts were seen (0 = never) */
    int fail_at_start;  /* return S3X_ERR_NOT_FOUND at this start (0 = never) */
    int starts;
};

__attribute__((format(printf, 2, 3))) static void s_append(struct s_log *log, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(log->buf + log->len, sizeof(log->buf) - log->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(log->buf) - log->len);
    log->len += (size_t)n;
}

static int s_start(struct s3x_xml_parser *p, size_t depth, const char *name, void *user) {
    (void)p;
    struct s_log *log = user;
    log->starts += 1;
    s_append(log, "<%zu:%s", depth, name);
    if (log->fail_at_start == log->starts) {
        return S3X_ERR_NOT_FOUND;
    }
    return log->stop_at_start == log->starts ? S3X_XML_STOP : 0;
}

static int s_end(struct s3x_xml_parser *p, size_t depth, const char *name, const char *text, size_t len, void *user) {
    (void)p;
    struct s_log *log = user;
    if (text == NULL) {
        assert_int_equal(len, 0);
        s_append(log, ">%zu:%s*", depth, name);
    } else {
        assert_int_equal(strlen(text), len);
        s_append(log, ">%zu:%s=%s", depth, name, text);
    }
    return 0;
}

static const struct s3x_xml_handler s_handler = {.on_start = s_start, .on_end = s_end};

static int s_parse(struct s3x_allocator *a, const char *doc, const struct s3x_xml_limits *limits, struct s_log *log) {
    return s3x__xml_parse(a, &s_handler, limits, log, doc, strlen(doc));
}

static void test_events(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_log log = {0};
    assert_int_equal(s_parse(a, "<A><B>x&amp;y</B><C/><D></D></A>", NULL, &log), 0);
    assert_string_equal(log.buf, "<1:A<2:B>2:B=x&y<2:C>2:C=<2:D>2:D=>1:A*");

    /* Text of a parent is dropped; CDATA, character references, comments inside text. */
    memset(&log, 0, sizeof(log));
    assert_int_equal(s_parse(a,
                         "<?xml version='1.0' encoding='UTF-8'?>\n<!-- c --><A>\n"
                         "  <B><![CDATA[a<b]]>&#65;<!--x-->z</B>\n  tail</A><?pi x?>\n",
                         NULL, &log),
        0);
    assert_string_equal(log.buf, "<1:A<2:B>2:B=a<bAz>1:A*");

    /* Line ends are normalised; a character reference keeps a CR. */
    memset(&log, 0, sizeof(log));
    assert_int_equal(s_parse(a, "<A>1\r\n2&#13;3</A>", NULL, &log), 0);
    assert_string_equal(log.buf, "<1:A>1:A=1\n2\r3");

    /* UTF-8 passes through. */
    memset(&log, 0, sizeof(log));
    assert_int_equal(s_parse(a, "<A>caf\xc3\xa9 \xe2\x82\xac</A>", NULL, &log), 0);
    assert_string_equal(log.buf, "<1:A>1:A=caf\xc3\xa9 \xe2\x82\xac");
}

static void test_namespaces(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_log log = {0};
    assert_int_equal(s_parse(a,
                         "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
                         "</ListBucketResult>",
                         NULL, &log),
        0);
    assert_string_equal(log.buf, "<1:ListBucketResult<2:Name>2:Name=b>1:ListBucketResult*");

    memset(&log, 0, sizeof(log));
    assert_int_equal(s_parse(a,
                         "<s3:Error xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\" xmlns:o=\"urn:other\">"
                         "<s3:Code>X</s3:Code><o:Code>Y</o:Code><Plain a=\"1\">Z</Plain></s3:Error>",
                         NULL, &log),
        0);
    assert_string_equal(log.buf, "<1:Error<2:Code>2:Code=X<2:Code>2:Code=Y<2:Plain>2:Plain=Z>1:Error*");

    /* An unbound prefix is not well-formed under namespaces. */
    memset(&log, 0, sizeof(log));
    assert_int_equal(s_parse(a, "<x:A/>", NULL, &log), S3X_ERR_PARSE);
}

static void s_expect_refused(struct s3x_allocator *a, const char *doc, const char *detail_part) {
    struct s_log log = {0};
    struct s3x_xml_parser *p = NULL;
    assert_int_equal(s3x__xml_parser_new(a, &s_handler, NULL, &log, &p), 0);
    int rc = s3x__xml_parser_feed(p, doc, strlen(doc));
    if (rc == 0) {
        rc = s3x__xml_parser_finish(p);
    }
    assert_int_equal(rc, S3X_ERR_PARSE);
    if (strstr(s3x__xml_parser_error_detail(p), detail_part) == NULL) {
        fail_msg("detail \"%s\" lacks \"%s\"", s3x__xml_parser_error_detail(p), detail_part);
    }
    /* Sticky. */
    assert_int_equal(s3x__xml_parser_feed(p, "<A/>", 4), S3X_ERR_PARSE);
    assert_int_equal(s3x__xml_parser_finish(p), S3X_ERR_PARSE);
    s3x__xml_parser_destroy(p);
    if (strcmp(detail_part, "DOCTYPE") == 0) {
        assert_int_equal(log.starts, 0); /* no element of a refused document reached the handler */
    }
}

static void test_dtd_refused(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    s_expect_refused(a, "<!DOCTYPE Error><Error/>", "DOCTYPE");
    /* Billion laughs. */
    s_expect_refused(a,
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol9 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        "]>\n<Error><Code>&lol9;</Code></Error>",
        "DOCTYPE");
    /* XXE: an external general entity, an external DTD, a parameter entity. */
    s_expect_refused(a,
        "<?xml version=\"1.0\"?><!DOCTYPE Error [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
        "<Error><Code>&xxe;</Code></Error>",
        "DOCTYPE");
    s_expect_refused(a, "<!DOCTYPE Error SYSTEM \"http://127.0.0.1:1/evil.dtd\"><Error/>", "DOCTYPE");
    s_expect_refused(a,
        "<!DOCTYPE Error [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><Error/>", "DOCTYPE");
    /* Without a DTD an entity reference is undefined. */
    s_expect_refused(a, "<Error><Code>&xxe;</Code></Error>", "expat");
    /* Refused even when the DOCTYPE arrives in pieces. */
    struct s_log log = {0};
    struct s3x_xml_parser *p = NULL;
    assert_int_equal(s3x__xml_parser_new(a, &s_handler, NULL, &log, &p), 0);
    const char *doc = "<!DOC";
    assert_int_equal(s3x__xml_parser_feed(p, doc, strlen(doc)), 0);
    doc = "TYPE x [<!ENTITY a \"b\">]><x>&a;</x>";
    assert_int_equal(s3x__xml_parser_feed(p, doc, strlen(doc)), S3X_ERR_PARSE);
    s3x__xml_parser_destroy(p);
}

static char *s_nested(size_t depth) {
    char *doc = malloc(depth * 7 + 1);
    size_t o = 0;
    for (size_t i = 0; i < depth; ++i) {
        memcpy(doc + o, "<a>", 3);
        o += 3;
    }
    for (size_t i = 0; i < depth; ++i) {
        memcpy(doc + o, "</a>", 4);
        o += 4;
    }
    doc[o] = '\0';
    return doc;
}

static void test_depth_limit(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_log log = {0};
    char *doc = s_nested(S3X_XML_MAX_DEPTH);
    assert_int_equal(s3x__xml_parse(a, &(struct s3x_xml_handler){0}, NULL, NULL, doc, strlen(doc)), 0);
    free(doc);
    doc = s_nested(S3X_XML_MAX_DEPTH + 1);
    assert_int_equal(s3x__xml_parse(a, &(struct s3x_xml_handler){0}, NULL, NULL, doc, strlen(doc)), S3X_ERR_PARSE);
    free(doc);
    /* Deep nesting far past the limit: refused quickly, nothing leaks. */
    doc = s_nested(100000);
    assert_int_equal(s3x__xml_parse(a, &(struct s3x_xml_handler){0}, NULL, NULL, doc, strlen(doc)), S3X_ERR_PARSE);
    free(doc);
    /* A custom limit, and the hard cap. */
    struct s3x_xml_limits limits = {.max_depth = 2};
    assert_int_equal(s_parse(a, "<a><b/></a>", &limits, &log), 0);
    assert_int_equal(s_parse(a, "<a><b><c/></b></a>", &limits, &log), S3X_ERR_PARSE);
    limits.max_depth = 1000;
    doc = s_nested(S3X_XML_DEPTH_HARD_MAX + 1);
    assert_int_equal(s3x__xml_parse(a, &(struct s3x_xml_handler){0}, &limits, NULL, doc, strlen(doc)), S3X_ERR_PARSE);
    free(doc);
}

static void test_count_and_size_limits(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_xml_handler none = {0};
    struct s3x_xml_limits limits = {.max_elements = 4};
    const char *four = "<r><a/><b/><c/></r>";
    assert_int_equal(s3x__xml_parse(a, &none, &limits, NULL, four, strlen(four)), 0);
    const char *five = "<r><a/><b/><c/><d/></r>";
    assert_int_equal(s3x__xml_parse(a, &none, &limits, NULL, five, strlen(five)), S3X_ERR_PARSE);

    /* Default element limit: the root and n children are n + 1 elements. */
    for (size_t n = S3X_XML_MAX_ELEMENTS - 1; n <= S3X_XML_MAX_ELEMENTS; ++n) {
        char *doc = malloc(n * 4 + 8);
        memcpy(doc, "<r>", 3);
        for (size_t i = 0; i < n; ++i) {
            memcpy(doc + 3 + 4 * i, "<a/>", 4);
        }
        memcpy(doc + 3 + 4 * n, "</r>", 4);
        int rc = s3x__xml_parse(a, &none, NULL, NULL, doc, n * 4 + 7);
        assert_int_equal(rc, n + 1 <= S3X_XML_MAX_ELEMENTS ? 0 : S3X_ERR_PARSE);
        free(doc);
    }

    /* Size: counted over every byte fed, leading whitespace included. */
    limits = (struct s3x_xml_limits){.max_bytes = 10};
    assert_int_equal(s3x__xml_parse(a, &none, &limits, NULL, "<r>12</r> ", 10), 0);
    assert_int_equal(s3x__xml_parse(a, &none, &limits, NULL, "<r>123</r> ", 11), S3X_ERR_PARSE);
    assert_int_equal(s3x__xml_parse(a, &none, &limits, NULL, "     <r/>  ", 11), S3X_ERR_PARSE);
    struct s3x_xml_parser *p = NULL;
    assert_int_equal(s3x__xml_parser_new(a, &none, &limits, NULL, &p), 0);
    assert_int_equal(s3x__xml_parser_feed(p, "<r>", 3), 0);
    assert_int_equal(s3x__xml_parser_feed(p, "1234", 4), 0);
    assert_int_equal(s3x__xml_parser_feed(p, "</r>", 4), S3X_ERR_PARSE);
    s3x__xml_parser_destroy(p);

    /* Default size limit. */
    size_t big = S3X_XML_MAX_BYTES + 1;
    char *doc = malloc(big);
    memset(doc, ' ', big);
    memcpy(doc + big - 4, "<r/>", 4);
    assert_int_equal(s3x__xml_parse(a, &none, NULL, NULL, doc, big), S3X_ERR_PARSE);
    assert_int_equal(s3x__xml_parse(a, &none, NULL, NULL, doc + 1, big - 1), 0);
    free(doc);
}

static void test_text_and_token_limits(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_log log = {0};
    struct s3x_xml_limits limits = {.max_text_bytes = 8};
    assert_int_equal(s_parse(a, "<r>12345678</r>", &limits, &log), 0);
    assert_int_equal(s_parse(a, "<r>123456789</r>", &limits, &log), S3X_ERR_PARSE);
    assert_int_equal(s_parse(a, "<r>1234&amp;&amp;&amp;&amp;&amp;</r>", &limits, &log), S3X_ERR_PARSE);
    /* The text of an element with children is not kept, so it does not count. */
    memset(&log, 0, sizeof(log));
    assert_int_equal(s_parse(a, "<r><a/>123456789012</r>", &limits, &log), 0);

    /* Default text limit, with the text arriving in many chunks. */
    size_t n = S3X_XML_MAX_TEXT_BYTES + 1;
    char *doc = malloc(n + 16);
    memcpy(doc, "<r>", 3);
    memset(doc + 3, 'x', n);
    memcpy(doc + 3 + n, "</r>", 4);
    struct s3x_xml_handler none = {0};
    assert_int_equal(s3x__xml_parse(a, &none, NULL, NULL, doc, n + 7), S3X_ERR_PARSE);
    memcpy(doc + 2 + n, "</r>", 4);
    assert_int_equal(s3x__xml_parse(a, &none, NULL, NULL, doc, n + 6), 0);
    struct s3x_xml_parser *p = NULL;
    assert_int_equal(s3x__xml_parser_new(a, &none, NULL, NULL, &p), 0);
    for (size_t i = 0; i < n + 6; i += 1000) {
        assert_int_equal(s3x__xml_parser_feed(p, doc + i, i + 1000 <= n + 6 ? 1000 : n + 6 - i), 0);
    }
    assert_int_equal(s3x__xml_parser_finish(p), 0);
    s3x__xml_parser_destroy(p);
    free(doc);

    /* An unfinished token may not outgrow S3X_XML_MAX_TOKEN_BYTES across chunks: a comment or a
     * start tag with a huge attribute, fed in 1 KiB chunks. */
    const char *heads[] = {"<r><!--", "<r><a x=\""};
    for (size_t h = 0; h < 2; ++h) {
        size_t body = S3X_XML_MAX_TOKEN_BYTES + 2048;
        doc = malloc(body + 32);
        size_t hl = strlen(heads[h]);
        memcpy(doc, heads[h], hl);
        memset(doc + hl, 'y', body);
        assert_int_equal(s3x__xml_parser_new(a, &none, NULL, NULL, &p), 0);
        int rc = 0;
        for (size_t i = 0; rc == 0 && i < hl + body; i += 1024) {
            rc = s3x__xml_parser_feed(p, doc + i, S3X_MIN(1024, hl + body - i));
        }
        assert_int_equal(rc, S3X_ERR_PARSE);
        assert_non_null(strstr(s3x__xml_parser_error_detail(p), "token"));
        s3x__xml_parser_destroy(p);
        free(doc);
    }
}

/* Incremental feeding: every split in two, and byte by byte, gives the one-shot events. */
static void test_incremental_every_split(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    const char *doc = "  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<s:R xmlns:s=\"urn:s\"><!-- c --><K>a&quot;b"
                      "&#x20AC;\xc3\xa9</K>\r\n<E/><N><M>1</M></N><![CDATA[x]]></s:R>\n";
    size_t len = strlen(doc);
    struct s_log whole = {0};
    assert_int_equal(s_parse(a, doc, NULL, &whole), 0);
    assert_string_equal(whole.buf, "<1:R<2:K>2:K=a\"b\xe2\x82\xac\xc3\xa9<2:E>2:E=<2:N<3:M>3:M=1>2:N*>1:R*");
    for (size_t split = 0; split <= len; ++split) {
        struct s_log log = {0};
        struct s3x_xml_parser *p = NULL;
        assert_int_equal(s3x__xml_parser_new(a, &s_handler, NULL, &log, &p), 0);
        assert_int_equal(s3x__xml_parser_feed(p, doc, split), 0);
        assert_int_equal(s3x__xml_parser_feed(p, doc + split, len - split), 0);
        assert_int_equal(s3x__xml_parser_finish(p), 0);
        s3x__xml_parser_destroy(p);
        assert_string_equal(log.buf, whole.buf);
    }
    struct s_log log = {0};
    struct s3x_xml_parser *p = NULL;
    assert_int_equal(s3x__xml_parser_new(a, &s_handler, NULL, &log, &p), 0);
    for (size_t i = 0; i < len; ++i) {
        assert_int_equal(s3x__xml_parser_feed(p, doc + i, 1), 0);
    }
    assert_int_equal(s3x__xml_parser_feed(p, NULL, 0), 0);
    assert_int_equal(s3x__xml_parser_finish(p), 0);
    assert_int_equal(s3x__xml_parser_feed(p, "x", 1), S3X_ERR_INVALID_STATE);
    assert_int_equal(s3x__xml_parser_finish(p), S3X_ERR_INVALID_STATE);
    s3x__xml_parser_destroy(p);
    assert_string_equal(log.buf, whole.buf);
}

/* Every proper prefix of a document is an incomplete document. */
static void test_truncated(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    const char *doc = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>m</Message></Error>";
    size_t len = strlen(doc);
    for (size_t n = 0; n < len; ++n) {
        struct s_log log = {0};
        assert_int_equal(s3x__xml_parse(a, &s_handler, NULL, &log, doc, n), S3X_ERR_PARSE);
    }
    struct s_log log = {0};
    assert_int_equal(s3x__xml_parse(a, &s_handler, NULL, &log, doc, len), 0);
}

static void test_garbage(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    static const struct {
        const char *doc;
        size_t len;
    } cases[] = {
        {"", 0},
        {" \r\n\t ", 5},
        {"not xml", 7},
        {"<a>", 3},
        {"<a></b>", 7},
        {"<a/><b/>", 8},           /* two roots */
        {"<a/>junk", 8},
        {"<a>\0</a>", 8},          /* NUL */
        {"<a>&#0;</a>", 11},
        {"<a>\xff\xfe</a>", 9},    /* not UTF-8 */
        {"<a b='1' b='2'/>", 16},  /* duplicate attribute */
        {"<?xml version='1.0'?><?xml version='1.0'?><a/>", 46},
        {"{\"Code\": \"NoSuchKey\"}", 21},
        {"<html><body>502 Bad Gateway</body>", 34},
        {"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xe9</a>", 51}, /* read as UTF-8 */
        {"\xff\xfe<\0a\0/\0>\0", 10},                                   /* UTF-16 LE */
        {"  \xfe\xff\0<\0a\0/\0>", 12},                                 /* UTF-16 BE */
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(cases); ++i) {
        struct s_log log = {0};
        int rc = s3x__xml_parse(a, &s_handler, NULL, &log, cases[i].doc, cases[i].len);
        if (rc != S3X_ERR_PARSE) {
            fail_msg("case %zu: %s", i, s3x_error_name(rc));
        }
    }
}

static void test_leading_space_and_bom(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_log log = {0};
    /* S3 may send spaces while a CompleteMultipartUpload runs, before the document. */
    struct s3x_xml_parser *p = NULL;
    assert_int_equal(s3x__xml_parser_new(a, &s_handler, NULL, &log, &p), 0);
    for (int i = 0; i < 50; ++i) {
        assert_int_equal(s3x__xml_parser_feed(p, " \n", 2), 0);
    }
    const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<R/>";
    assert_int_equal(s3x__xml_parser_feed(p, doc, strlen(doc)), 0);
    assert_int_equal(s3x__xml_parser_finish(p), 0);
    s3x__xml_parser_destroy(p);
    assert_string_equal(log.buf, "<1:R>1:R=");

    memset(&log, 0, sizeof(log));
    assert_int_equal(s_parse(a, "\xEF\xBB\xBF<R>x</R>", NULL, &log), 0);
    assert_string_equal(log.buf, "<1:R>1:R=x");
}

static void test_handler_stop_and_error(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_log log = {.stop_at_start = 2};
    struct s3x_xml_parser *p = NULL;
    assert_int_equal(s3x__xml_parser_new(a, &s_handler, NULL, &log, &p), 0);
    assert_int_equal(s3x__xml_parser_feed(p, "<a><b/><c/>", 11), 0);
    assert_int_equal(s3x__xml_parser_feed(p, "garbage < >", 11), 0); /* ignored after a stop */
    assert_int_equal(s3x__xml_parser_finish(p), 0);
    s3x__xml_parser_destroy(p);
    assert_string_equal(log.buf, "<1:a<2:b"); /* not even the end of the empty <b/> */

    log = (struct s_log){.fail_at_start = 2};
    assert_int_equal(s3x__xml_parser_new(a, &s_handler, NULL, &log, &p), 0);
    assert_int_equal(s3x__xml_parser_feed(p, "<a><b/><c/></a>", 15), S3X_ERR_NOT_FOUND);
    assert_int_equal(s3x__xml_parser_feed(p, "", 0), S3X_ERR_NOT_FOUND);
    assert_int_equal(s3x__xml_parser_finish(p), S3X_ERR_NOT_FOUND);
    s3x__xml_parser_destroy(p);
    assert_string_equal(log.buf, "<1:a<2:b");
}

static void test_invalid_arguments(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_xml_parser *p = (void *)1;
    assert_int_equal(s3x__xml_parser_new(NULL, &s_handler, NULL, NULL, &p), S3X_ERR_INVALID_ARGUMENT);
    assert_null(p);
    assert_int_equal(s3x__xml_parser_new(a, NULL, NULL, NULL, &p), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__xml_parser_new(a, &s_handler, NULL, NULL, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__xml_parser_feed(NULL, "x", 1), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__xml_parser_finish(NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__xml_parser_new(a, &s_handler, NULL, NULL, &p), 0);
    assert_int_equal(s3x__xml_parser_feed(p, NULL, 1), S3X_ERR_INVALID_ARGUMENT);
    assert_string_equal(s3x__xml_parser_error_detail(p), "");
    s3x__xml_parser_destroy(p);
    s3x__xml_parser_destroy(NULL);
    assert_string_equal(s3x__xml_parser_error_detail(NULL), "");
}

struct s_sweep_ctx {
    const char *doc;
    size_t split;
};

static int s_sweep_block(struct s3x_allocator *a, void *ctx) {
    struct s_sweep_ctx *c = ctx;
    struct s_log log = {0};
    struct s3x_xml_parser *p = NULL;
    int rc = s3x__xml_parser_new(a, &s_handler, NULL, &log, &p);
    size_t len = strlen(c->doc);
    if (rc == 0) {
        rc = s3x__xml_parser_feed(p, c->doc, c->split);
    }
    if (rc == 0) {
        rc = s3x__xml_parser_feed(p, c->doc + c->split, len - c->split);
    }
    if (rc == 0) {
        rc = s3x__xml_parser_finish(p);
    }
    s3x__xml_parser_destroy(p);
    if (rc != 0 && rc != S3X_ERR_OOM) {
        fail_msg("an allocation failure became %s", s3x_error_name(rc));
    }
    return rc;
}

static void test_fail_nth(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    /* Long names and text make expat and the text buffer grow. */
    struct s_sweep_ctx ctx = {
        .doc = "<?xml version=\"1.0\"?><s:Root xmlns:s=\"urn:x\" xmlns=\"urn:y\" a=\"1\" b=\"2\"><ElementNameLong"
               "EnoughToGrowThePool>text text text text text text text text text text text text text text text "
               "text text text text text text text text text text text text text text text text text text text "
               "text text text text text text text text text text text &amp; more</ElementNameLongEnoughToGrow"
               "ThePool><s:B c=\"3\"/></s:Root>",
        .split = 100,
    };
    uint64_t n = s3x_test_sweep_fail_nth(a, s_sweep_block, &ctx, 0);
    assert_true(n >= 3);
    ctx.split = 7;
    s3x_test_sweep_fail_nth(a, s_sweep_block, &ctx, 0);
}

static void test_escape(void **state) {
    (void)state;
    const char *in = "\"a&b<c>d'\t\n\r";
    size_t len = strlen(in);
    const char *want = "&quot;a&amp;b&lt;c&gt;d&apos;&#9;&#10;&#13;";
    assert_int_equal(s3x__xml_escaped_len(in, len), strlen(want));
    char out[128];
    assert_int_equal(s3x__xml_escape_to(out, in, len), strlen(want));
    assert_memory_equal(out, want, strlen(want));
    assert_int_equal(s3x__xml_escaped_len("", 0), 0);
    assert_int_equal(s3x__xml_escaped_len("abc\xc3\xa9", 5), 5);
    assert_true(s3x__xml_text_is_valid("a\tb\nc\r\xc3\xa9", 8));
    assert_false(s3x__xml_text_is_valid("a\0b", 3));
    assert_false(s3x__xml_text_is_valid("a\x01", 2));
    assert_false(s3x__xml_text_is_valid("\x1f", 1));
}

static void test_sniff_root(void **state) {
    (void)state;
    static const struct {
        const char *doc;
        const char *root; /* NULL: not found */
    } cases[] = {
        {"<Error><Code>x</Code></Error>", "Error"},
        {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error>", "Error"},
        {"\xEF\xBB\xBF  <!-- hi --> <?pi ?><s3:Error xmlns:s3=\"x\">", "Error"},
        {"<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "CompleteMultipartUploadResult"},
        {"<Error/>", "Error"},
        {" \n\xEF\xBB\xBF <Error/>", "Error"},
        {"<Error", NULL}, /* the tag is not complete yet */
        {"<!DOCTYPE Error><Error/>", NULL},
        {"<![CDATA[x]]>", NULL},
        {"", NULL},
        {"   ", NULL},
        {"<?xml version='1.0'", NULL},
        {"<!-- never closed <Error>", NULL},
        {"text<Error/>", NULL},
        {"< Error/>", NULL},
        {"<a:b:Error>", "Error"},
        {"<x:>", NULL},
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(cases); ++i) {
        char root[64];
        bool found = s3x__xml_sniff_root(cases[i].doc, strlen(cases[i].doc), root, sizeof(root));
        if (cases[i].root == NULL) {
            if (found) {
                fail_msg("case %zu: found \"%s\"", i, root);
            }
        } else {
            if (!found) {
                fail_msg("case %zu: not found", i);
            }
            assert_string_equal(root, cases[i].root);
        }
    }
    char small[5];
    assert_false(s3x__xml_sniff_root("<Error/>", 8, small, sizeof(small)));
    assert_true(s3x__xml_sniff_root("<Erro/>", 7, small, sizeof(small)));
    assert_false(s3x__xml_sniff_root(NULL, 0, small, sizeof(small)));
}

static const struct CMUnitTest tests[] = {
    S3X_TEST(test_events),
    S3X_TEST(test_namespaces),
    S3X_TEST(test_dtd_refused),
    S3X_TEST(test_depth_limit),
    S3X_TEST(test_count_and_size_limits),
    S3X_TEST(test_text_and_token_limits),
    S3X_TEST(test_incremental_every_split),
    S3X_TEST(test_truncated),
    S3X_TEST(test_garbage),
    S3X_TEST(test_leading_space_and_bom),
    S3X_TEST(test_handler_stop_and_error),
    S3X_TEST(test_invalid_arguments),
    S3X_TEST(test_fail_nth),
    S3X_TEST(test_escape),
    S3X_TEST(test_sniff_root),
};

int main(int argc, char **argv) {
    return S3X_TEST_MAIN(argc, argv, "s3_xml", tests);
}
