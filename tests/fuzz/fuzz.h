/*
 * fuzz.h - what every harness under tests/fuzz/ defines: libFuzzer's entry
 * point, called once per input by libFuzzer (`make fuzz`) or by replay.c
 * (the saved corpora in `make check`).  A harness keeps to these rules:
 * no network, no output, deterministic (the same input does the same
 * thing whatever ran before), and a broken property is an abort().
 */
#ifndef GT_FUZZ_H
#define GT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() with a message when cond is false: a property the code under
 * test promises did not hold */
#define FUZZ_CHECK(cond)                                                                    \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)

#endif
