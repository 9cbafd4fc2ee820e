/* test_pool.c - instance pools (pool.c, memory.c, fiber.c scrubbing): a
 * slot's next tenant and a reset instance never see the secrets a guest
 * left in its memory, globals, table and stack; out-of-bounds accesses
 * still trap after a tenant with more memory; large heaps are given back;
 * pages open on first touch, also for host access and system calls; the
 * instance limit is a clean error; stack exhaustion traps on the
 * instance's own stack next to a neighbour's heap guard. Guests:
 * tenant.wat and peek.wat, compiled here at -O0 (so that every frame keeps
 * its arguments on the stack).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "moat_compile.h"
#include "guest_fx.h"
#include "runtime.h"

#ifndef TENANT_WASM
#error "TENANT_WASM, PEEK_WASM: paths of the guests"
#endif

static uint8_t *tenant_obj, *peek_obj;
static size_t   tenant_len, peek_len;

/* The secret, kept masked: a test frame holding it in clear (on the host
 * stack, or the instance stack inside the probe) must not count. */
#define MASK UINT64_C(0xa5a5a5a5a5a5a5a5)
static const uint64_t masked_secret = UINT64_C(0x5ec2e7c0de5ec2e7) ^ MASK;

static uint64_t
secret(void)
{
    return masked_secret ^ MASK;
}

static int
compile_guests(void **state)
{
    (void)state;
    tenant_obj = moatT_compile_file(TENANT_WASM, 0, &tenant_len);
    peek_obj = moatT_compile_file(PEEK_WASM, 0, &peek_len);
    return 0;
}

static int
free_guests(void **state)
{
    (void)state;
    moat_free(tenant_obj);
    moat_free(peek_obj);
    return 0;
}

/* Words equal to the secret in [lo, hi); reads whatever is there,
 * poisoned stack redzones included. */
__attribute__((no_sanitize("address"), noinline)) static uint32_t
count_secret(uintptr_t lo, uintptr_t hi)
{
    uint32_t n = 0;

    for (const volatile uint64_t *p = (const uint64_t *)lo;
         (uintptr_t)p < hi; p++)
        n += (*p ^ MASK) == masked_secret;
    return n;
}

/* Everything of a slot a tenant could have written: stack, meta area
 * (instance, context area, globals), the heap pages open so far. */
static uint32_t
count_in_slot(const Slot *s)
{
    return count_secret((uintptr_t)s->stack_lo,
                        (uintptr_t)s->base + atomic_load(&s->open));
}

/* Host import: the secret on the calling instance's stack. */
static uint32_t
host_probe(moat_caller *c)
{
    const Fiber *f = moat_caller_instance(c)->fiber;

    return count_secret(f->lo, f->cap_hi);
}

typedef struct World {
    moat_engine *e;
    moat_module *tenant, *peek;
    moat_linker *l;
} World;

static void
world_new(World *w, uint32_t limit)
{
    moat_error err = { 0 };

    assert_int_equal(moat_engine_new(&w->e, &err), MOAT_OK);
    moat_engine_set_instance_limit(w->e, limit);
    assert_int_equal(moat_module_load_object(w->e, tenant_obj, tenant_len,
                                             &w->tenant, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, peek_obj, peek_len,
                                             &w->peek, &err), MOAT_OK);
    assert_int_equal(moat_linker_new(w->e, &w->l, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_func_caller(w->l, "host", "probe",
                         NULL, 0, (const uint8_t[]){ MOAT_I32 }, 1,
                         (moat_native_fn)host_probe, NULL, &err), MOAT_OK);
}

static void
world_free(World *w)
{
    moat_linker_free(w->l);
    moat_module_free(w->tenant);
    moat_module_free(w->peek);
    moat_engine_free(w->e);
}

static moat_instance *
new_inst(World *w, moat_module *m)
{
    moat_instance *inst = NULL;
    moat_error     err = { 0 };

    assert_int_equal(moat_instance_new(w->l, m, &inst, &err), MOAT_OK);
    return inst;
}

/* Calls name with at most one argument; one i32 result or none. */
static moat_status
call(moat_instance *inst, const char *name, const moat_val *arg,
     uint32_t *res, moat_error *err)
{
    moat_val r;

    memset(err, 0, sizeof *err);
    moat_status st = moat_instance_call(inst, name, arg, arg ? 1 : 0, &r,
                                        res ? 1 : 0, err);
    if (st == MOAT_OK && res)
        *res = r.of.i32;
    return st;
}

/* Tenant A writes the secret everywhere it can; proves the checks can
 * see it there. */
static void
write_secret(moat_instance *inst)
{
    moat_val   s = { .type = MOAT_I64, .of.i64 = secret() };
    moat_error err;
    uint32_t   on_stack = 0;

    assert_int_equal(call(inst, "write", &s, &on_stack, &err), MOAT_OK);
    assert_true(on_stack >= 40);        /* one per frame of $rec */
    if (inst->slot)
        assert_true(count_in_slot(inst->slot) > 0);
}

static void
the_next_tenant_sees_nothing(void **state)
{
    World      w;
    moat_error err;
    uint32_t   r = 99;

    (void)state;
    world_new(&w, 1);                   /* one slot: tenants share it */
    moat_instance *a = new_inst(&w, w.tenant);
    Slot          *slot = a->slot;
    assert_non_null(slot);
    write_secret(a);
    moat_instance_free(a);
    assert_int_equal(count_in_slot(slot), 0);   /* zeroed at release */

    moat_instance *b = new_inst(&w, w.tenant);
    assert_ptr_equal(b->slot, slot);
    assert_int_equal(call(b, "look", NULL, &r, &err), MOAT_OK);
    assert_int_equal(r, 0);
    /* A opened two pages and more; B has one: 70000 still faults */
    assert_int_equal(call(b, "oob", NULL, &r, &err), MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_MEMORY_OOB);
    moat_instance_free(b);

    moat_instance *p = new_inst(&w, w.peek);    /* another module */
    assert_ptr_equal(p->slot, slot);
    assert_int_equal(call(p, "count", NULL, &r, &err), MOAT_OK);
    assert_int_equal(r, 0);
    moat_instance_free(p);
    world_free(&w);
}

static void
reset_forgets_everything(void **state)
{
    World      w;
    moat_error err;
    uint32_t   r = 99;

    (void)state;
    for (int pooled = 1; pooled >= 0; pooled--) {
        world_new(&w, pooled ? 16 : 0);
        moat_instance *inst = new_inst(&w, w.tenant);
        assert_true((inst->slot != NULL) == pooled);
        for (int round = 0; round < 3; round++) {
            write_secret(inst);
            memset(&err, 0, sizeof err);
            assert_int_equal(moat_instance_reset(inst, &err), MOAT_OK);
            if (inst->slot)
                assert_int_equal(count_in_slot(inst->slot), 0);
            uint64_t size;
            uint8_t *mem = moat_instance_memory(inst, &size);
            assert_int_equal(size, 65536);
            assert_int_equal(count_secret((uintptr_t)mem,
                                          (uintptr_t)mem + size), 0);
            assert_int_equal(count_secret(inst->fiber->lo,
                                          inst->fiber->cap_hi), 0);
            assert_int_equal(call(inst, "look", NULL, &r, &err), MOAT_OK);
            assert_int_equal(r, 0);
            assert_int_equal(call(inst, "oob", NULL, &r, &err),
                             MOAT_ERR_TRAP);
        }
        moat_instance_free(inst);
        world_free(&w);
    }
}

/* A heap opened past 1 MiB is given back at release (MADV_DONTNEED and
 * PROT_NONE above 1 MiB), and is zero for the next tenant all the same. */
static void
large_heaps_are_given_back(void **state)
{
    World      w;
    moat_error err = { 0 };
    uint32_t   r = 99;
    moat_val   args[2] = { { .type = MOAT_I32, .of.i32 = 0x1c0000 },
                           { .type = MOAT_I64, .of.i64 = secret() } };

    (void)state;
    world_new(&w, 1);
    moat_instance *p = new_inst(&w, w.peek);
    Slot          *slot = p->slot;
    assert_int_equal(moat_instance_call(p, "put", args, 2, NULL, 0, &err),
                     MOAT_OK);
    args[0].of.i32 = 8;
    assert_int_equal(moat_instance_call(p, "put", args, 2, NULL, 0, &err),
                     MOAT_OK);
    assert_true(atomic_load(&slot->open) > 0x1c0000);
    assert_true(count_in_slot(slot) >= 2);     /* memory (and stack) */
    moat_instance_free(p);
    assert_true(atomic_load(&slot->open) <= (1u << 20));
    assert_int_equal(count_in_slot(slot), 0);
    p = new_inst(&w, w.peek);
    assert_ptr_equal(p->slot, slot);
    assert_int_equal(call(p, "count", NULL, &r, &err), MOAT_OK);
    assert_int_equal(r, 0);
    moat_instance_free(p);
    world_free(&w);
}

static void
the_instance_limit_is_an_error(void **state)
{
    World           w;
    moat_instance  *inst[4] = { NULL };
    moat_error      err = { 0 };
    moat_pool_stats st;

    (void)state;
    world_new(&w, 3);
    for (int i = 0; i < 3; i++)
        inst[i] = new_inst(&w, w.tenant);
    assert_int_equal(moat_instance_new(w.l, w.peek, &inst[3], &err),
                     MOAT_ERR_LIMIT);
    assert_null(inst[3]);
    assert_non_null(strstr(err.msg, "instance limit reached"));
    moat_engine_pool_stats(w.e, &st);
    assert_int_equal(st.limit, 3);
    assert_int_equal(st.live, 3);
    assert_int_equal(st.reserved, 3);
    assert_int_equal(st.reservations, 1);
    assert_true(st.slot_bytes >= MOAT_HEAP_RESERVE + MOAT_HEAP_GUARD);
    moat_instance_free(inst[1]);
    inst[1] = new_inst(&w, w.peek);             /* a slot is free again */

    /* a failed instantiation gives its slot back */
    moat_linker *bare;
    memset(&err, 0, sizeof err);
    moat_instance_free(inst[2]);
    assert_int_equal(moat_linker_new(w.e, &bare, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(bare, w.tenant, &inst[2], &err),
                     MOAT_ERR_LINK);
    moat_engine_pool_stats(w.e, &st);
    assert_int_equal(st.live, 2);
    inst[2] = new_inst(&w, w.tenant);
    moat_linker_free(bare);

    /* a higher limit applies at once */
    moat_engine_set_instance_limit(w.e, 4);
    inst[3] = new_inst(&w, w.tenant);
    for (int i = 0; i < 4; i++)
        moat_instance_free(inst[i]);
    moat_engine_pool_stats(w.e, &st);
    assert_int_equal(st.live, 0);
    world_free(&w);

    /* no pool: no limit, nothing in a slot */
    world_new(&w, 0);
    inst[0] = new_inst(&w, w.tenant);
    assert_null(inst[0]->slot);
    moat_instance_free(inst[0]);
    moat_engine_pool_stats(w.e, &st);
    assert_int_equal(st.reserved, 0);
    world_free(&w);
}

static void
pages_open_on_first_touch(void **state)
{
    World      w;
    moat_error err;
    uint32_t   r;
    moat_val   args[2] = { { .type = MOAT_I32, .of.i32 = 40000 },
                           { .type = MOAT_I32, .of.i32 = 7 } };

    (void)state;
    world_new(&w, 16);
    moat_instance *inst = new_inst(&w, w.tenant);
    /* the data segment's page is open, the rest is not yet */
    assert_int_equal(atomic_load(&inst->slot->open), 4096);
    memset(&err, 0, sizeof err);
    moat_val res;
    assert_int_equal(moat_instance_call(inst, "touch", args, 2, &res, 1,
                                        &err), MOAT_OK);
    assert_int_equal(res.of.i32, 7);
    assert_true(atomic_load(&inst->slot->open) > 40000);
    /* the host, outside any call, on pages not open yet */
    uint8_t buf[4] = { 1, 2, 3, 4 };
    memset(&err, 0, sizeof err);
    assert_int_equal(moat_instance_memory_read(inst, 60000, buf, 4, &err),
                     MOAT_OK);
    assert_int_equal(buf[0] | buf[1] | buf[2] | buf[3], 0);
    moat_instance *first = inst;

    /* the kernel does not fault for us: once the host holds the base
     * pointer, every page is open, so that read(2) into it works (a new
     * slot: the first one keeps what it opened for its next tenant) */
    inst = new_inst(&w, w.tenant);
    assert_true(atomic_load(&inst->slot->open) < 61440);
    uint64_t size;
    uint8_t *mem = moat_instance_memory(inst, &size);
    int      fd[2];
    assert_int_equal(pipe(fd), 0);
    assert_int_equal(write(fd[1], "hello", 5), 5);
    assert_int_equal(read(fd[0], mem + 61440, 5), 5);
    close(fd[0]);
    close(fd[1]);
    args[0].of.i32 = 61440;
    args[1].of.i32 = 0x6c6c6568;                /* "hell" */
    assert_int_equal(moat_instance_call(inst, "touch", args, 2, &res, 1,
                                        &err), MOAT_OK);
    assert_int_equal(memcmp(mem + 61440, "hell", 4), 0);
    assert_int_equal(call(inst, "oob", NULL, &r, &err), MOAT_ERR_TRAP);
    moat_instance_free(inst);
    moat_instance_free(first);
    world_free(&w);
}

/* Slot k's stack guard is the top of slot k - 1's heap guard: running out
 * of stack there is stack exhaustion, not the neighbour's memory. */
static void
stack_exhaustion_next_to_a_neighbour(void **state)
{
    World      w;
    moat_error err;
    uint32_t   r;
    moat_val   deep = { .type = MOAT_I32, .of.i32 = 100000000 },
               shallow = { .type = MOAT_I32, .of.i32 = 1000 };

    (void)state;
    world_new(&w, 16);
    moat_instance *a = new_inst(&w, w.tenant);
    moat_instance *b = new_inst(&w, w.tenant);
    assert_ptr_equal(b->slot->stack_lo,
                     a->slot->base + MOAT_HEAP_RESERVE + MOAT_HEAP_GUARD);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(call(b, "down", &deep, &r, &err), MOAT_ERR_TRAP);
        assert_int_equal(err.trap, MOAT_TRAP_STACK_EXHAUSTED);
        assert_int_equal(call(a, "down", &deep, &r, &err), MOAT_ERR_TRAP);
        assert_int_equal(err.trap, MOAT_TRAP_STACK_EXHAUSTED);
        assert_int_equal(call(a, "oob", NULL, &r, &err), MOAT_ERR_TRAP);
        assert_int_equal(err.trap, MOAT_TRAP_MEMORY_OOB);
        assert_int_equal(call(b, "down", &shallow, &r, &err), MOAT_OK);
        assert_int_equal(r, 1000);
    }
    /* a smaller stack for calls from now on */
    moat_engine_set_stack_size(w.e, 256 << 10);
    shallow.of.i32 = 50000;
    assert_int_equal(call(a, "down", &shallow, &r, &err), MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_STACK_EXHAUSTED);
    moat_engine_set_stack_size(w.e, 8 << 20);
    assert_int_equal(call(a, "down", &shallow, &r, &err), MOAT_OK);
    moat_instance_free(a);
    moat_instance_free(b);
    world_free(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_next_tenant_sees_nothing),
        cmocka_unit_test(reset_forgets_everything),
        cmocka_unit_test(large_heaps_are_given_back),
        cmocka_unit_test(the_instance_limit_is_an_error),
        cmocka_unit_test(pages_open_on_first_touch),
        cmocka_unit_test(stack_exhaustion_next_to_a_neighbour),
    };
    return cmocka_run_group_tests(tests, compile_guests, free_guests);
}
