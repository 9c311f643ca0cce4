/* main.c - the firmware program: runs the keyword-spotting CNN from weights
   compiled into flash (kws_model[], a const array made by tools/st2c) with
   every byte of working memory in one static arena. No malloc, no stdio.

   At start-up it loads the model (parse in place, fold BatchNorm, pack the
   weights into the arena), then runs a self-test: the reference inputs
   stored in the model file, compared against PyTorch's logits stored next
   to them. The outcome is left in kws_status (a debugger reads it) and the
   program then idles; on a board you would feed kws_run() the features of
   your audio front end instead.

   With -DKWS_SEMIHOSTING the result is also printed and returned through
   ARM semihosting (a debugger or qemu-system-arm -semihosting shows it);
   that needs no C library either. */
#include "kws.h"

const unsigned char *kws_model_bytes(size_t *size);   /* model_data.c */

/* Everything mlcore uses: the tensor table, the packed weights and the
   activations. KWS_ARENA_BYTES is a compile-time bound (kws.h); kws_init
   checks the exact need, from the library's size functions, against it. */
static unsigned char arena_mem[KWS_ARENA_BYTES];

/* Self-test data (not needed by a product): the reference inputs and
   PyTorch's logits, copied out of the model file. */
#define KWS_REFS 4
static float selftest_x[KWS_REFS * KWS_IN_H * KWS_IN_W];
static float selftest_logits[KWS_REFS * KWS_CLASSES];

/* 0: every reference matched; > 0: how many did not; < 0: an mlc_result;
   1000: not run yet. volatile so a debugger sees it. */
volatile int kws_status = 1000;
volatile unsigned kws_arena_need, kws_arena_size = (unsigned)sizeof arena_mem;
volatile int kws_last_class = -1;

#ifdef KWS_SEMIHOSTING
static int semihost(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
static void say(const char *s) { semihost(0x04, s); }          /* SYS_WRITE0 */
static void say_int(long v) {
    char buf[24], *p = buf + sizeof buf - 1;
    int neg = v < 0;
    unsigned long u = neg ? 0ul - (unsigned long)v : (unsigned long)v;
    *p = '\0';
    do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
    if (neg) *--p = '-';
    say(p);
}
static void finish(int code) {
    int block[2];
    block[0] = 0x20026;                                        /* ADP_Stopped_ApplicationExit */
    block[1] = code;
    semihost(0x20, block);                                     /* SYS_EXIT_EXTENDED */
    semihost(0x18, (const void *)0x20026);                     /* SYS_EXIT (older hosts) */
}
#else
static void say(const char *s) { (void)s; }
static void say_int(long v) { (void)v; }
static void finish(int code) { (void)code; }
#endif

static float absf(float v) { return v < 0.0f ? -v : v; }

static int argmax(const float *v, int n) {
    int i, best = 0;
    for (i = 1; i < n; i++) if (v[i] > v[best]) best = i;
    return best;
}

static int selftest(const kws_model *m) {
    static float probs[KWS_CLASSES], logits[KWS_CLASSES];
    int shape_x[4], shape_l[2], i, j, bad = 0;
    mlc_result r;
    shape_x[0] = KWS_REFS; shape_x[1] = KWS_IN_H; shape_x[2] = KWS_IN_W; shape_x[3] = 1;
    shape_l[0] = KWS_REFS; shape_l[1] = KWS_CLASSES;
    if ((r = mlc_st_read_f32(&m->st, "ref.input", 4, shape_x, selftest_x, sizeof selftest_x / sizeof(float))) != MLC_OK ||
        (r = mlc_st_read_f32(&m->st, "ref.logits", 2, shape_l, selftest_logits, sizeof selftest_logits / sizeof(float))) != MLC_OK)
        return (int)r;
    for (i = 0; i < KWS_REFS; i++) {
        const float *ref = selftest_logits + i * KWS_CLASSES;
        float scale = 1.0f;
        if ((r = kws_run(m, selftest_x + i * KWS_IN_H * KWS_IN_W, probs, logits)) != MLC_OK) return (int)r;
        for (j = 0; j < KWS_CLASSES; j++) if (absf(ref[j]) > scale) scale = absf(ref[j]);
        for (j = 0; j < KWS_CLASSES; j++)   /* the host test's bound, see README.md */
            if (!(absf(logits[j] - ref[j]) <= 1e-4f * scale)) { bad++; break; }
        kws_last_class = argmax(probs, KWS_CLASSES);
        if (kws_last_class != argmax(ref, KWS_CLASSES)) bad++;
        say("kws: reference "); say_int(i); say(" -> class "); say_int(kws_last_class); say("\n");
    }
    return bad;
}

int main(void) {
    static kws_model model;
    mlc_arena arena;
    size_t size, need = 0;
    const unsigned char *bytes = kws_model_bytes(&size);
    mlc_result r;

    mlc_arena_init(&arena, arena_mem, sizeof arena_mem);
    r = kws_init(&model, bytes, size, &arena, &need);
    kws_arena_need = (unsigned)need;
    say("kws: arena need "); say_int((long)need); say(" of "); say_int((long)sizeof arena_mem); say(" bytes\n");
    kws_status = r != MLC_OK ? (int)r : selftest(&model);
    say(kws_status == 0 ? "kws: self-test passed\n" : "kws: self-test FAILED\n");
    finish(kws_status);
    for (;;) { }
}
