/* wat.h - internal header of the text-format front-end (wat_*.c): the
 * WebAssembly 2.0 text format (spec chapter 6) turned into binary module
 * bytes, which then go through the decoder and validator like any binary.
 * Sectioned by file, like frontend.h.
 */
#ifndef MOAT_WAT_H
#define MOAT_WAT_H

#include "frontend.h"

/* wat_lex.c: tokens (spec 6.2). Comments, whitespace and annotations
 * `(@id ...)` never become tokens. */
typedef enum TokKind {
    TK_EOF, TK_LPAR, TK_RPAR, TK_KEYWORD, TK_ID, TK_NUM, TK_STRING,
    TK_RESERVED
} TokKind;

typedef struct Tok {
    const char *p;              /* into the source text */
    uint32_t    len;
    uint32_t    line, col;      /* 1-based */
    uint8_t     kind;           /* TokKind */
} Tok;

typedef struct TokList {
    Tok     *t;
    uint32_t n, cap;            /* t[n - 1] is TK_EOF */
} TokList;

/* Splits text into tokens; on failure err says where (MOAT_ERR_MALFORMED,
 * "LINE:COL: ...") and *out is freed. Free with moatX_toks_free. */
bool moatX_lex(const char *text, size_t len, TokList *out, moat_error *err);
void moatX_toks_free(TokList *l);
bool moatX_tok_is(const Tok *t, const char *kw);   /* keyword equals kw */

/* wat_num.c: number tokens (spec 6.3.1, 6.3.2). false: not a number of
 * that kind, or out of range (*range set when it is a number, too big). */
bool moatX_u32(const Tok *t, uint32_t *out);
bool moatX_u64(const Tok *t, uint64_t *out);
/* iN: signed or unsigned forms, -2^(N-1) .. 2^N - 1, two's complement */
bool moatX_int(const Tok *t, unsigned bits, uint64_t *out);
bool moatX_f32(const Tok *t, uint32_t *out);
bool moatX_f64(const Tok *t, uint64_t *out);
/* true when t is shaped like a number (of any size): a failure above is
 * then "constant out of range", else a malformed token */
bool moatX_num_shape(const Tok *t);
/* A string token's bytes (escapes decoded) into buf of cap bytes; *n the
 * length, which may exceed cap (then call again with a larger buffer). */
bool moatX_string(const Tok *t, uint8_t *buf, size_t cap, size_t *n);

/* wat_buf.c: a growable byte buffer with the binary encodings (5.2). */
typedef struct Buf {
    uint8_t *p;
    size_t   n, cap;
    bool     is_oom;            /* an append failed: contents are cut */
} Buf;

void moatX_byte(Buf *b, uint8_t v);
void moatX_bytes(Buf *b, const void *p, size_t n);
void moatX_uleb(Buf *b, uint64_t v);
void moatX_sleb(Buf *b, int64_t v);
size_t moatX_uleb_len(uint64_t v);          /* bytes moatX_uleb writes */
void moatX_name(Buf *b, const uint8_t *p, size_t n);   /* vec(byte) */
void moatX_section(Buf *out, uint8_t id, const Buf *body);
void moatX_buf_free(Buf *b);

/* wat_names.c: $id -> index maps, one per index space. */
typedef struct NameEnt {
    const char *p;
    uint32_t    len, idx;
} NameEnt;

typedef struct NameMap {
    NameEnt *e;
    uint32_t n, cap;            /* cap: power of two, or 0 */
} NameMap;

/* false on OOM; *dup set when the name is already there */
bool moatX_name_add(NameMap *m, const char *p, uint32_t len, uint32_t idx,
                    bool *dup);
bool moatX_name_find(const NameMap *m, const char *p, uint32_t len,
                     uint32_t *idx);
void moatX_name_free(NameMap *m);

/* wat_parse.c: the parser's state, shared by the module and instruction
 * parsers. */
enum { SP_TYPE, SP_FUNC, SP_TABLE, SP_MEM, SP_GLOBAL, SP_ELEM, SP_DATA,
       NSPACE };

typedef struct FuncSig {
    uint8_t *types;             /* params then results */
    uint32_t nparams, nresults;
} FuncSig;

/* Where a piece of the binary came from (moat_wasm_wat_position): an
 * offset in section sec's entries (then, once assembled, in the module)
 * and the token's line and column. */
typedef struct Pos {
    uint64_t off;
    uint32_t line, col;
    uint8_t  sec;
} Pos;

typedef struct Wat {
    const Tok  *t;              /* tokens; t[pos] is the next one */
    uint32_t    pos, ntok;
    moat_error *err;
    bool        is_oom;
    NameMap     names[NSPACE];
    uint32_t    count[NSPACE];  /* index space sizes so far */
    FuncSig    *types;          /* the type section, explicit then implicit */
    uint32_t    ntypes, captypes;
    uint32_t    nexplicit;      /* types written in the text */
    /* the function being parsed */
    NameMap     locals;
    uint32_t    nlocals;
    const Tok **labels;         /* label stack; NULL = unnamed */
    uint32_t    nlabels, caplabels;
    bool        uses_datacount; /* memory.init or data.drop seen */
    NameMap     ops;            /* instruction text -> Op */
    /* positions, recorded only when want_pos: instructions written into
     * the buffer `track` (of section track_sec), and module fields */
    bool        want_pos;
    Pos        *marks;
    uint32_t    nmarks, capmarks;
    const void *track;
    uint8_t     track_sec;
} Wat;

const Tok *moatX_peek(const Wat *w, uint32_t ahead);
const Tok *moatX_next(Wat *w);
/* Always returns false: records "LINE:COL: msg" for token t. */
bool moatX_fail(Wat *w, const Tok *t, const char *fmt, ...) MOAT_PRINTF(3, 4);
bool moatX_expect(Wat *w, TokKind kind, const char *what);
/* Records that t's construct starts at out->n, when out is w->track; or
 * at offset off of section sec (mark_at). No-ops unless w->want_pos. */
void moatX_mark(Wat *w, const void *out, size_t n, const Tok *t);
void moatX_mark_at(Wat *w, uint8_t sec, uint64_t off, const Tok *t);
bool moatX_lpar_kw(const Wat *w, const char *kw);   /* next is "(kw" */
bool moatX_valtype(Wat *w, uint8_t *out);
bool moatX_reftype(Wat *w, const Tok *t, uint8_t *out);  /* funcref ... */
/* An index: a u32 or a $id of space sp (the token is consumed). */
bool moatX_index(Wat *w, int sp, uint32_t *out);
bool moatX_is_index(const Wat *w);     /* next token is a u32 or $id */
/* Index of the type with this signature, appended when none matches
 * (the implicit type definitions of 6.6.5). sig is copied. */
bool moatX_type_for(Wat *w, const FuncSig *sig, uint32_t *out);
bool moatX_type_add(Wat *w, const FuncSig *sig, uint32_t *out); /* always */
/* typeuse (6.6.3): `(type x)? (param ...)* (result ...)*`, parsed only:
 * *has_idx says whether `(type x)` was there (then *sig is x's, checked
 * against any inline params and results; an unknown x with none is left
 * to the validator). names: whether params may be named, and whether
 * the names are bound in w->locals. sig->types is the caller's. */
typedef enum Names { NAMES_NONE, NAMES_IGNORE, NAMES_BIND } Names;
bool moatX_typeuse(Wat *w, Names names, bool *has_idx, uint32_t *idx,
                   FuncSig *sig);
bool moatX_utf8_string(Wat *w, Buf *out);   /* a name (vec(byte)) */

/* wat_insn.c: instructions (6.5), flat and folded, until a ')' that
 * closes the enclosing form (not consumed), written in binary. */
bool moatX_instrs(Wat *w, Buf *out);
bool moatX_label_index(Wat *w, uint32_t *out);     /* $l or a depth */

/* wat_imm.c: the immediates of instruction op (not block, loop, if). */
bool moatX_immediates(Wat *w, int op, Buf *out);

/* wat_insn.c: one instruction, flat or folded (offsets, elem items). */
bool moatX_instr1(Wat *w, Buf *out);
/* Instructions then `end` (0x0b): a function body or constant expr. */
bool moatX_expr(Wat *w, Buf *out);
bool moatX_ops_init(Wat *w);          /* fills w->ops from opcodes.def */

/* wat_module.c: the module (6.6) from "(module" (or bare fields) to its
 * ')' (or the end of input); two passes: the first gives every field its
 * index and $id and reads the explicit types, the second writes. */
bool moatX_module(Wat *w, Buf *out);
/* skips a balanced s-expression from its '(' */
bool moatX_skip(Wat *w);

/* wat_fields.c: the second pass, one module field at a time, each into
 * its section (binary 5.5) in text order. */
enum { S_CUSTOM, S_TYPE, S_IMPORT, S_FUNC, S_TABLE, S_MEM, S_GLOBAL,
       S_EXPORT, S_START, S_ELEM, S_CODE, S_DATA, S_DATACOUNT, NSEC };

typedef struct Mod {
    Wat     *w;
    Buf      sec[NSEC];
    uint32_t nsec[NSEC];        /* entries written in each */
    uint32_t next[NSPACE];      /* index of the next table, elem, ... */
    bool     has_start;
} Mod;

bool moatX_field(Mod *m);       /* from its '(' to its ')' */

/* wat_segs.c: elem and data segments (6.6.9, 6.6.10), after "(elem" /
 * "(data"; the inline forms after "(elem" / "(data" in a table or memory
 * (table/memory index, element type; *n items, *len bytes). */
bool moatX_elem_field(Mod *m);
bool moatX_data_field(Mod *m);
bool moatX_elem_inline(Mod *m, uint32_t table, uint8_t rt, uint32_t *n);
bool moatX_data_inline(Mod *m, uint32_t mem, uint64_t *len);

/* wat.c: the whole: text to binary module bytes. */
bool moatX_wat_to_wasm(const char *text, size_t len, uint8_t **out,
                       size_t *outlen, moat_error *err);

#endif
