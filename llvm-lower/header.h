/* header.h - the typed C header of a plugin (header.c, header_names.c). */
#ifndef MOAT_HEADER_H
#define MOAT_HEADER_H

#include <stdarg.h>

#include "../frontend/module.h"

/* A growing text; on out of memory is_oom is set and text dropped. */
typedef struct HeaderOut {
    char  *p;
    size_t len, cap;
    bool   is_oom;
} HeaderOut;

void moatL_hput(HeaderOut *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* header_names.c: C names (docs/plugins.md, "Names"), appended to o. */
bool moatL_is_c_ident(const char *s, size_t n);
void moatL_export_cname(HeaderOut *o, const char *s, size_t n);
void moatL_import_cname(HeaderOut *o, const char *mod, size_t nmod,
                        const char *name, size_t nname);
void moatL_param_names(const Module *m, uint32_t func, uint32_t nparams,
                       const Name **names);

/* header.c: the whole header for module m; prefix is NAME; has_desc: it
 * declares NAME_descriptor (the object was compiled with --name). */
bool moatL_header(const Module *m, const uint8_t hash[32], const char *prefix,
                  bool has_desc, HeaderOut *o);

#endif
