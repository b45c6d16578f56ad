/* A small, safe layer over expat for S3 response bodies (internal).
 *
 * What it guarantees, whatever the input:
 *   - no DTD processing at all: a DOCTYPE declaration stops the parse with S3X_ERR_PARSE, so
 *     entity declarations ("billion laughs") and external entities (XXE) never get a chance; entity
 *     declarations, external entity references and skipped entities are refused as well, and
 *     parameter entity parsing is off;
 *   - bounded work and memory: nesting depth, total input bytes, number of elements, bytes of text
 *     of one element, and bytes of one unfinished markup token (which bounds expat's re-scanning of
 *     a token split over many small chunks) all have limits (the S3X_XML_* constants below);
 *   - every byte expat and this layer allocate goes through the caller's allocator; an allocation
 *     failure anywhere is S3X_ERR_OOM, never a crash;
 *   - namespaces are tolerated: handlers see local names ("ListBucketResult" for both
 *     <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"> and <s3:ListBucketResult>);
 *   - the input is UTF-8, whatever an XML declaration says (S3 writes nothing else): a UTF-16
 *     byte order mark is refused, a Latin-1 body fails as malformed UTF-8, a UTF-8 BOM is fine;
 *   - leading whitespace before the document is skipped (S3 may pad a slow CompleteMultipartUpload
 *     answer with spaces to keep the connection alive).
 *
 * Input arrives in chunks of any size (feed as the body arrives, then finish), or all at once
 * (s3x__xml_parse). The handler sees each element's start and end; at the end it gets the
 * element's text when the element has no child elements (a leaf, which is how every S3 value is
 * written), NULL otherwise.
 *
 *     <A><B>x&amp;y</B><C/></A>   ->   start(1,"A") start(2,"B") end(2,"B","x&y")
 *                                      start(2,"C") end(2,"C","") end(1,"A",NULL)
 *
 * Errors are sticky: after a failure every call returns the same error.
 */
#ifndef S3XFER_S3_XML_H
#define S3XFER_S3_XML_H

#include <s3xfer/allocator.h>

#include <stdbool.h>
#include <stddef.h>

/* Default limits. S3's largest responses (ListObjectsV2 and ListMultipartUploads with 1,000 entries
 * and 1,024-byte keys percent-encoded three times over) stay under 4 MiB, about 15,000 elements
 * and depth 4; these leave a wide margin while keeping a hostile body's cost small. */
#define S3X_XML_MAX_DEPTH 16
#define S3X_XML_MAX_BYTES ((size_t)16 << 20)
#define S3X_XML_MAX_ELEMENTS ((size_t)100000)
#define S3X_XML_MAX_TEXT_BYTES ((size_t)64 << 10)
#define S3X_XML_MAX_TOKEN_BYTES ((size_t)8 << 10)
/* No limit can raise the depth past this (the per-level state is a fixed array). */
#define S3X_XML_DEPTH_HARD_MAX 64

/* Any field left 0 takes the default above. */
struct s3x_xml_limits {
    size_t max_depth;      /* deepest element; the root is at depth 1 */
    size_t max_bytes;      /* input bytes, leading whitespace included */
    size_t max_elements;   /* elements in the document */
    size_t max_text_bytes; /* text of one element */
};

/* A handler returns 0 to go on, S3X_XML_STOP to end the parse successfully right there (the rest
 * of the input is then ignored, and finish does not check the document is complete), or an
 * S3X_ERR_* code that becomes the parse's error. */
#define S3X_XML_STOP (-1)

struct s3x_xml_parser;

/* depth: 1 for the root. name: the element's local name, valid during the call. */
typedef int(s3x_xml_start_fn)(struct s3x_xml_parser *parser, size_t depth, const char *name, void *user_data);
/* text: the element's text, NUL-terminated, text_len bytes (entities and CDATA resolved, line ends
 * normalised to \n as XML requires) when the element had no child element; NULL (text_len 0)
 * when it had some. Valid during the call only. */
typedef int(s3x_xml_end_fn)(struct s3x_xml_parser *parser, size_t depth, const char *name, const char *text,
    size_t text_len, void *user_data);

struct s3x_xml_handler {
    s3x_xml_start_fn *on_start; /* may be NULL */
    s3x_xml_end_fn *on_end;     /* may be NULL */
};

/* Creates a parser. `handler` is copied; `limits` may be NULL (defaults) and is copied.
 * Returns 0, S3X_ERR_OOM, S3X_ERR_INVALID_ARGUMENT. */
int s3x__xml_parser_new(struct s3x_allocator *allocator, const struct s3x_xml_handler *handler,
    const struct s3x_xml_limits *limits, void *user_data, struct s3x_xml_parser **out);

/* Feeds the next `len` bytes (data may be NULL when len is 0). Handlers run inside this call.
 * Returns 0, S3X_ERR_PARSE (malformed, refused or over a limit), S3X_ERR_OOM, or the error a
 * handler returned. */
int s3x__xml_parser_feed(struct s3x_xml_parser *parser, const void *data, size_t len);

/* Ends the input: checks the document is complete (unless a handler stopped it).
 * Returns the same codes as feed. */
int s3x__xml_parser_finish(struct s3x_xml_parser *parser);

/* NULL is allowed. May be called at any point, from outside a handler. */
void s3x__xml_parser_destroy(struct s3x_xml_parser *parser);

/* Why the parse failed, for logs: "DOCTYPE refused", "depth limit 16 exceeded at line 3",
 * expat's own message with line and column... "" when it has not failed. Valid until the next
 * call on the parser. */
const char *s3x__xml_parser_error_detail(const struct s3x_xml_parser *parser);

/* new + feed(all) + finish + destroy. */
int s3x__xml_parse(struct s3x_allocator *allocator, const struct s3x_xml_handler *handler,
    const struct s3x_xml_limits *limits, void *user_data, const void *data, size_t len);

/* A lexical look for the root element's local name, allocating nothing: skips whitespace, a
 * UTF-8 BOM, then whitespace, the XML declaration, comments and processing instructions, and
 * reads the name of the first start tag, dropping its prefix ("<s3:Error>" -> "Error"). Writes it
 * NUL-terminated to out and returns true; false when the body (or the given prefix of it) does
 * not get that far, meets a DOCTYPE or anything else first, or the name does not fit in out_size.
 * Says nothing about the rest of the document. */
bool s3x__xml_sniff_root(const void *body, size_t len, char *out, size_t out_size);

/* Bytes the XML-escaped form of text[0..len) takes (& < > " ' become entities, and \t \n \r
 * character references so they survive attribute-value and line-end normalisation); SIZE_MAX when
 * it would not fit in a size_t. */
size_t s3x__xml_escaped_len(const char *text, size_t len);
/* Writes that form to out (room for s3x__xml_escaped_len bytes, no NUL) and returns its length.
 * Bytes below 0x20 other than \t \n \r cannot appear in XML 1.0: check with
 * s3x__xml_text_is_valid first. */
size_t s3x__xml_escape_to(char *out, const char *text, size_t len);
/* Whether text[0..len) holds no byte XML 1.0 cannot carry (NUL and the C0 controls other than
 * \t \n \r). UTF-8 validity is the producer's business. */
bool s3x__xml_text_is_valid(const char *text, size_t len);

#endif
