/* native_handlers.h - registers bench/serve's in-process handlers
 * ("native:hello", "native:sha256") with serve_native_register. */
#ifndef BENCH_NATIVE_HANDLERS_H
#define BENCH_NATIVE_HANDLERS_H

void bench_native_register(void);

#endif
