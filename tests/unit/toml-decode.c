/*
 * toml-decode.c - a decoder for toml-test's protocol, so that the TOML
 * parser can be run against the upstream runner too
 * (`toml-test build/tests/toml-decode`): TOML on stdin, tagged JSON on
 * stdout and exit 0; on invalid TOML the error on stderr and exit 1.
 */
#include <errno.h>
#include <unistd.h>

#include "base/error.h"
#include "toml-tagged.h"

int main(void)
{
	struct gt_buf in = GT_BUF_INIT, out = GT_BUF_INIT;
	struct gt_toml *doc;
	int rc;

	for (;;) {
		ssize_t r;

		gt_buf_grow(&in, 65536);
		r = read(0, in.ptr + in.len, in.alloc - in.len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("toml-decode: error: cannot read stdin");
			return 1;
		}
		if (!r)
			break;
		in.len += (size_t)r;
		in.ptr[in.len] = '\0';
	}
	rc = gt_toml_parse(&doc, gt_buf_cstr(&in), in.len, "stdin");
	gt_buf_release(&in);
	if (rc < 0) {
		fprintf(stderr, "toml-decode: error: %s\n", gt_error_last());
		return 1;
	}
	tagged_write(&out, doc);
	gt_buf_addch(&out, '\n');
	gt_toml_free(doc);
	fwrite(out.ptr, 1, out.len, stdout);
	gt_buf_release(&out);
	if (fflush(stdout) || ferror(stdout)) {
		perror("toml-decode: error: cannot write stdout");
		return 1;
	}
	return 0;
}
