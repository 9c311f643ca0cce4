/* st2c - turn a .safetensors file into a C header, for weights compiled into
   firmware (or any program that should not read files).

       st2c input.safetensors output.h array_name

   The input is validated first with mlc_st_parse (the same checks mlcore
   applies at run time: header, JSON, dtypes, shapes, bounds, overlaps,
   holes); a corrupt file is refused and no header is written. The output
   holds the file's bytes unchanged, 64-byte aligned where the compiler
   allows, and a comment listing every tensor:

       static const unsigned char array_name[] = { 0x.., ... };
       static const size_t array_name_size = ...;

   which mlc_st_parse(&st, array_name, array_name_size, &arena) reads in
   place, without copying. Build (from the repository root):

       cc -std=c99 -O2 -o st2c tools/st2c.c
*/
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Words that cannot name the array: C99/C11 and C++11 keywords (the header
   must compile as both) and what <stddef.h>, which it includes, defines. */
static const char *const reserved_words[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while",
    "alignas", "alignof", "and", "and_eq", "asm", "bitand", "bitor", "bool", "catch", "char16_t",
    "char32_t", "class", "compl", "constexpr", "const_cast", "decltype", "delete", "dynamic_cast",
    "explicit", "export", "false", "friend", "mutable", "namespace", "new", "noexcept", "not",
    "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public",
    "reinterpret_cast", "static_assert", "static_cast", "template", "this", "thread_local",
    "throw", "true", "try", "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq",
    "NULL", "offsetof", "size_t", "ptrdiff_t", "max_align_t"
};

/* NULL if name is a usable C identifier, otherwise why not. */
static const char *bad_identifier(const char *name) {
    size_t i;
    if (!name[0]) return "it is empty";
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_'))
        return "it must start with a letter or '_'";
    for (i = 0; name[i]; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return "it may contain only letters, digits and '_'";
    }
    if (name[0] == '_' && (name[1] == '_' || (name[1] >= 'A' && name[1] <= 'Z')))
        return "names starting with '__' or '_' and a capital are reserved";
    if (strstr(name, "__")) return "names containing '__' are reserved in C++";
    for (i = 0; i < sizeof reserved_words / sizeof reserved_words[0]; i++)
        if (strcmp(name, reserved_words[i]) == 0) return "it is a C or C++ keyword or a <stddef.h> name";
    return NULL;
}

/* Writes s so that it cannot end or bend the surrounding comment: bytes
   outside printable ASCII, backslashes and the '/' of a star-slash become
   \xNN. Returns the characters written; f == NULL only counts them. */
static size_t put_comment_text(FILE *f, const char *s) {
    size_t i, n = 0;
    for (i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e || c == '\\' || (c == '/' && i > 0 && s[i - 1] == '*')) {
            if (f) fprintf(f, "\\x%02X", c);
            n += 4;
        } else {
            if (f) fputc(c, f);
            n += 1;
        }
    }
    return n;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/'), *b = strrchr(path, '\\');
    if (b && (!s || b > s)) s = b;
    return s ? s + 1 : path;
}

/* Parses the file, growing the arena that holds the tensor table until it
   fits. On success *mem holds the arena buffer (free it after st). */
static mlc_result parse(mlc_safetensors *st, const void *file, size_t size, void **mem) {
    size_t cap = 1 << 16;
    for (;;) {
        mlc_arena arena;
        mlc_result r;
        if (!(*mem = malloc(cap))) return MLC_ERR_NOMEM;
        mlc_arena_init(&arena, *mem, cap);
        r = mlc_st_parse(st, file, size, &arena);
        if (r != MLC_ERR_NOMEM) {
            if (r != MLC_OK) { free(*mem); *mem = NULL; }
            return r;
        }
        free(*mem); *mem = NULL;
        if (cap > ((size_t)-1) / 4) return MLC_ERR_NOMEM;
        cap = arena.need > cap ? arena.need * 2 : cap * 2;
    }
}

static void upper_copy(char *dst, const char *src, size_t n) {
    size_t i;
    for (i = 0; i + 1 < n && src[i]; i++) dst[i] = (src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 'a' + 'A') : src[i];
    dst[i] = '\0';
}

static void write_header(FILE *f, const mlc_safetensors *st, const char *input, const char *name) {
    char guard[300], shape[MLC_MAX_RANK * 13 + 3];
    size_t i, width = 0, swidth = 0;
    int t, d;
    upper_copy(guard, name, sizeof guard - 3);
    strcat(guard, "_H");

    fprintf(f, "/* %s.h - generated by tools/st2c from ", name);
    put_comment_text(f, base_name(input));
    fprintf(f, "; do not edit.\n   %lu bytes, %d tensor%s, validated by mlc_st_parse:\n",
            (unsigned long)st->size, st->count, st->count == 1 ? "" : "s");
    for (t = 0; t < st->count; t++) {   /* column widths */
        size_t len = put_comment_text(NULL, st->tensors[t].name), slen = 2;
        if (len > width) width = len;
        for (d = 0; d < st->tensors[t].rank; d++) slen += (size_t)sprintf(shape, "%d", st->tensors[t].shape[d]) + 2 * (d > 0);
        if (slen > swidth) swidth = slen;
    }
    if (width > 40) width = 40;
    for (t = 0; t < st->count; t++) {
        const mlc_st_tensor *x = &st->tensors[t];
        size_t n = 0;
        fputs("       ", f);
        for (i = put_comment_text(f, x->name); i < width; i++) fputc(' ', f);
        n += (size_t)sprintf(shape + n, "[");
        for (d = 0; d < x->rank; d++) n += (size_t)sprintf(shape + n, "%s%d", d ? ", " : "", x->shape[d]);
        sprintf(shape + n, "]");
        fprintf(f, "  %-4s %-*s  at byte %lu\n", mlc_dtype_name(x->dtype), (int)swidth, shape,
                (unsigned long)(x->data - st->buffer));
    }
    fprintf(f, "   Read it in place, without copying:\n"
               "       mlc_st_parse(&st, %s, %s_size, &arena);\n*/\n", name, name);
    fprintf(f, "#ifndef %s\n#define %s\n\n#include <stddef.h>\n\n", guard, guard);
    fprintf(f, "#ifndef ST2C_ALIGN64\n"
               "#  if defined(__GNUC__)\n"
               "#    define ST2C_ALIGN64 __attribute__((aligned(64)))\n"
               "#  elif defined(_MSC_VER)\n"
               "#    define ST2C_ALIGN64 __declspec(align(64))\n"
               "#  elif defined(__cplusplus) && __cplusplus >= 201103L\n"
               "#    define ST2C_ALIGN64 alignas(64)\n"
               "#  elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L\n"
               "#    define ST2C_ALIGN64 _Alignas(64)\n"
               "#  else\n"
               "#    define ST2C_ALIGN64\n"
               "#  endif\n"
               "#endif\n\n");
    fprintf(f, "ST2C_ALIGN64 static const unsigned char %s[] = {\n", name);
    for (i = 0; i < st->size; i++)
        fprintf(f, "%s0x%02x,%s", i % 16 ? " " : "    ", st->buffer[i], (i % 16 == 15 || i + 1 == st->size) ? "\n" : "");
    fprintf(f, "};\nstatic const size_t %s_size = %lu;\n\n#endif /* %s */\n", name, (unsigned long)st->size, guard);
}

int main(int argc, char **argv) {
    const char *input, *output, *name, *why;
    void *file = NULL, *mem = NULL;
    size_t size = 0;
    mlc_safetensors st;
    mlc_result r;
    FILE *f;
    int failed, existed = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: %s input.safetensors output.h array_name\n", argc > 0 ? argv[0] : "st2c");
        return 2;
    }
    input = argv[1]; output = argv[2]; name = argv[3];
    if ((why = bad_identifier(name)) != NULL) {
        fprintf(stderr, "st2c: '%s' cannot be the array name: %s\n", name, why);
        return 2;
    }
    if (strlen(name) > 200) {
        fprintf(stderr, "st2c: the array name is too long (at most 200 characters)\n");
        return 2;
    }
    if ((r = mlc_file_load(input, &file, &size)) != MLC_OK) {
        fprintf(stderr, "st2c: cannot read %s: %s\n", input, mlc_result_string(r));
        return 1;
    }
    if ((r = parse(&st, file, size, &mem)) != MLC_OK) {
        fprintf(stderr, "st2c: %s is not a valid safetensors file: %s\n", input, mlc_result_string(r));
        mlc_file_free(file);
        return 1;
    }
    if ((f = fopen(output, "rb")) != NULL) { existed = 1; fclose(f); }
    if (!(f = fopen(output, "wb"))) {
        perror(output);
        free(mem); mlc_file_free(file);
        return 1;
    }
    write_header(f, &st, input, name);
    failed = ferror(f) != 0;
    if (fclose(f) != 0) failed = 1;
    if (failed) {   /* delete only a file this run created, never a device or a link */
        fprintf(stderr, "st2c: error writing %s%s\n", output, existed ? "; it is incomplete" : "");
        if (!existed) remove(output);
    } else {
        printf("st2c: wrote %s: %s[%lu], %d tensors\n", output, name, (unsigned long)size, st.count);
    }
    free(mem);
    mlc_file_free(file);
    return failed;
}
