/* rt_fx_module.c - a Moat artifact written in C, for test_load: what the
 * compiler would emit for
 *   (module (memory 1 2) (data (i32.const 16) "\2a\00\00\00")
 *     (func (export "load") (param i32) (result i32) (i32.load ...))
 *     (func (export "grow") (param i32) (result i32) (memory.grow ...))
 *     (func (export "boom") unreachable)
 *     (export "memory" (memory 0)))
 * Built as a relocatable object (for the ELF loader) and as a shared
 * object (for dlopen), without sanitizers: it may only reference what
 * symbols.c allows. -DRT_FX_NO_DESC leaves the descriptor out;
 * -DRT_FX_BAD_CPU asks for a feature no one can check.
 * -DRT_FX_MARKER="PATH" adds code that dlopen would run at load (a
 * constructor in .init_array, the DT_INIT and DT_FINI functions when linked
 * with -Wl,-init=rt_fx_init,-fini=rt_fx_init, a destructor): each creates
 * PATH with a raw system call (the fixture links no libc), so a test can
 * tell whether any ran. -DRT_FX_IFUNC also adds an IFUNC whose resolver
 * would do the same.
 */
#include "abi.h"

#ifdef RT_FX_MARKER
/* open(RT_FX_MARKER, O_WRONLY | O_CREAT, 0644) */
static void
mark(void)
{
    long r;

    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"(2L), "D"(RT_FX_MARKER), "S"(0101L), "d"(0644L)
                     : "rcx", "r11", "memory");
    (void)r;
}

__attribute__((constructor)) static void
ctor(void)
{
    mark();
}

__attribute__((destructor)) static void
dtor(void)
{
    mark();
}

__attribute__((visibility("default"))) void rt_fx_init(void);

void
rt_fx_init(void)
{
    mark();
}

#ifdef RT_FX_IFUNC
static int
plain(void)
{
    return 1;
}

static int (*resolve_picked(void))(void)
{
    mark();
    return plain;
}

__attribute__((visibility("default"), ifunc("resolve_picked"))) int
rt_fx_picked(void);

/* A use through the GOT, so that the linker emits a relocation for it. */
__attribute__((visibility("default"))) int (*const rt_fx_use)(void) =
    rt_fx_picked;
#endif
#endif

#define X(id, name, ret, params) MOAT_HELPER_PROTO(name, ret, params);
MOAT_HELPERS(X)
#undef X

static uint32_t
load(void *ctx, uint32_t addr)
{
    return *(volatile uint32_t *)((uint8_t *)ctx + addr);
}

static uint32_t
grow(void *ctx, uint32_t delta)
{
    return moatR_memory_grow(ctx, delta);
}

static void
boom(void *ctx)
{
    moatR_trap(ctx, MOAT_ABI_TRAP_UNREACHABLE);
}

static void
tramp_i_i(void *code, void *ctx, uint64_t *v)
{
    v[0] = ((uint32_t (*)(void *, uint32_t))code)(ctx, (uint32_t)v[0]);
}

static void
tramp_v(void *code, void *ctx, uint64_t *v)
{
    (void)v;
    ((void (*)(void *))code)(ctx);
}

#ifndef RT_FX_NO_DESC
static const uint8_t i_i[] = { 0x7f, 0x7f };

static const MoatDescType types[] = {
    { 1, 1, i_i, (void *)tramp_i_i },
    { 0, 0, 0, (void *)tramp_v },
};

static const MoatDescFunc funcs[] = {
    { 0, (void *)load }, { 0, (void *)grow }, { 1, (void *)boom },
};

static const MoatDescExport exports[] = {
    { { (const uint8_t *)"load", 4 }, 0, 0 },
    { { (const uint8_t *)"grow", 4 }, 0, 1 },
    { { (const uint8_t *)"boom", 4 }, 0, 2 },
    { { (const uint8_t *)"memory", 6 }, 2, 0 },
};

static const MoatDescLimits mems[] = { { 1, 2, 1, 0 } };

static const MoatDescData datas[] = {
    { 0, 0, { 0, 0, 16, 0 }, { (const uint8_t *)"\x2a\0\0\0", 4 } },
};

#ifdef RT_FX_BAD_CPU
#define FEATURES "+sse2,+frobnicate"
#else
#define FEATURES "+sse2,-avx512f"
#endif

__attribute__((visibility("default")))
const MoatDescriptor moat_descriptor = {
    .magic = MOAT_ABI_MAGIC,
    .abi_version = MOAT_ABI_VERSION,
    .flags = MOAT_DESC_F_MEM_IS_CTX,
    .heap_reserve = MOAT_HEAP_RESERVE,
    .heap_guard = MOAT_HEAP_GUARD,
    .ntypes = 2, .nexports = 4, .nfuncs = 3, .nmems = 1, .ndatas = 1,
    .start = MOAT_DESC_NO_START,
    .types = types, .exports = exports, .funcs = funcs, .mems = mems,
    .datas = datas,
    .cpu = "x86-64",
    .features = FEATURES,
};
#else
__attribute__((visibility("default"))) int rt_fx_nothing;
#endif
