/* test_attrs.c - moatL_attr (llvm-lower/builder.c): every attribute name
 * the lowering uses gives an attribute of the LLVM we are built with
 * (LLVM 21 renamed nocapture to captures(none): with the old name LLVM 22
 * gave kind 0 and its verifier crashed on every multi-result function),
 * and a name that LLVM lacks stops the compiler with a message naming it
 * instead of a crash far away.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <llvm/Config/llvm-config.h>

#include "../../llvm-lower/lower.h"

/* The names llvm-lower/ passes to moatL_attr (module.c, partition.c,
 * builder.c). */
static const char *const used[] = {
    "nocapture", "noalias", "nomerge", "noreturn", "cold", "optnone",
    "noinline",
};

/* f(ptr) with attr on its parameter, printed as IR. */
static char *
declare_with(Lower *L, const char *attr)
{
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext("t", L->llctx);
    LLVMTypeRef   p = LLVMPointerTypeInContext(L->llctx, 0);
    LLVMTypeRef   ft = LLVMFunctionType(LLVMVoidTypeInContext(L->llctx), &p,
                                        1, false);
    LLVMValueRef  f = LLVMAddFunction(m, "f", ft);

    LLVMAddAttributeAtIndex(f, 1, moatL_attr(L, attr));
    char *ir = LLVMPrintModuleToString(m);
    char *copy = strdup(ir);
    LLVMDisposeMessage(ir);
    LLVMDisposeModule(m);
    return copy;
}

static void
every_used_name_exists(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
        if (moatL_attr_kind(used[i]) == 0)
            fail_msg("attribute %s: unknown to LLVM %s", used[i],
                     LLVM_VERSION_STRING);
}

/* The parameter really says "does not escape", in this LLVM's words. */
static void
nocapture_means_captures_none(void **state)
{
    (void)state;
    Lower L = { .llctx = LLVMContextCreate() };
    char *ir = declare_with(&L, "nocapture");
    const char *want = LLVM_VERSION_MAJOR >= 21 ? "ptr captures(none)"
                                                : "ptr nocapture";
    if (!strstr(ir, want))
        fail_msg("LLVM %s: want '%s' in:\n%s", LLVM_VERSION_STRING, want, ir);
    free(ir);
    LLVMContextDispose(L.llctx);
}

/* An unknown name aborts in a child, which says which name. */
static void
unknown_name_aborts_naming_it(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        dup2(fds[1], 2);
        Lower L = { .llctx = LLVMContextCreate() };
        moatL_attr(&L, "no-such-attribute");
        _exit(0);
    }
    close(fds[1]);
    char    buf[512] = { 0 };
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT)
        fail_msg("want SIGABRT, got status 0x%x", st);
    if (n <= 0 || !strstr(buf, "'no-such-attribute'"))
        fail_msg("message does not name the attribute: '%s'", buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_used_name_exists),
        cmocka_unit_test(nocapture_means_captures_none),
        cmocka_unit_test(unknown_name_aborts_naming_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
