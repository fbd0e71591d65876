/*
 * t-id.c - ids: Beads' hash ids (vectors derived by hand from Beads' rules:
 * SHA-256 of "title|description|creator|ns|nonce", leading bytes read
 * big-endian, base 36, last L digits), adaptive lengths, validation, paths.
 */
#include "gt.h"
#include "tap.h"

static const char *gen(const char *title, const char *desc, const char *who, long long ns,
		       int nonce, int len)
{
	static struct gt_buf b;

	gt_id_generate(&b, "bd", title, desc, who, ns, nonce, len);
	return b.ptr;
}

int main(void)
{
	struct gt_buf p = GT_BUF_INIT;
	char shard[3], shard2[3];

	/* Python transcription of Beads' algorithm (see the spec notes) */
	is_str(gen("Hello", "", "alice", 1700000000000000000LL, 0, 3), "bd-4b4", "length 3");
	is_str(gen("Hello", "", "alice", 1700000000000000000LL, 0, 4), "bd-yn1r", "length 4");
	is_str(gen("Hello", "", "alice", 1700000000000000000LL, 0, 5), "bd-mbwgf", "length 5");
	is_str(gen("Hello", "", "alice", 1700000000000000000LL, 0, 6), "bd-kmbwgf", "length 6");
	is_str(gen("Hello", "", "alice", 1700000000000000000LL, 0, 7), "bd-6msmsws", "length 7");
	is_str(gen("Hello", "", "alice", 1700000000000000000LL, 0, 8), "bd-b6msmsws", "length 8");
	is_str(gen("Hello", "", "alice", 1700000000000000000LL, 1, 6), "bd-2787zj", "nonce 1");

	ok(gt_id_adaptive_len(0) == 3, "empty ledger: 3");
	ok(gt_id_adaptive_len(163) == 3 && gt_id_adaptive_len(164) == 4, "3 -> 4 at 164");
	ok(gt_id_adaptive_len(983) == 4 && gt_id_adaptive_len(984) == 5, "4 -> 5 at 984");
	ok(gt_id_adaptive_len(5898) == 5 && gt_id_adaptive_len(5899) == 6, "5 -> 6 at 5899");
	ok(gt_id_adaptive_len(35389) == 6 && gt_id_adaptive_len(35390) == 7, "6 -> 7");
	ok(gt_id_adaptive_len(212339) == 7 && gt_id_adaptive_len(212340) == 8, "7 -> 8");
	ok(gt_id_adaptive_len(100000000) == 8, "capped at 8");

	ok(gt_id_check("bd-a1b2") == 0, "plain id");
	ok(gt_id_check("bd-a1b2.3.1") == 0, "child id");
	ok(gt_id_check("gt-gastown-polecat-imperator") == 0, "long explicit id");
	ok(gt_id_check("a/b") < 0, "slash refused");
	ok(gt_id_check("a..b") < 0, "dot-dot refused");
	ok(gt_id_check("a b") < 0, "space refused");
	ok(gt_id_check("-x") < 0, "leading dash refused");
	ok(gt_id_check(".x") < 0, "leading dot refused");
	ok(gt_id_check("x.") < 0, "trailing dot refused");
	ok(gt_id_check("x.lock") < 0, ".lock refused");
	ok(gt_id_check("x~1") < 0 && gt_id_check("x^") < 0 && gt_id_check("x:y") < 0 &&
		   gt_id_check("x\\y") < 0 && gt_id_check("x@{") < 0 && gt_id_check("x\n") < 0,
	   "ref-illegal characters refused");
	ok(gt_id_check("") < 0, "empty refused");
	{
		char big[GT_ID_MAX + 2];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ok(gt_id_check(big) < 0, "too long refused");
	}
	ok(gt_prefix_check("bd") == 0 && gt_prefix_check("my_proj-x") == 0, "prefixes");
	ok(gt_prefix_check("a.b") < 0 && gt_prefix_check("x-") < 0 && gt_prefix_check("") < 0,
	   "bad prefixes");

	ok(gt_id_root_len("bd-a1b2.3.1") == 7, "root of a grandchild");
	ok(gt_id_root_len("my.proj-abc") == 11, "a dot that is not a child part");
	ok(gt_id_child_number("bd-x.12", "bd-x") == 12, "child number");
	ok(gt_id_child_number("bd-x.1.2", "bd-x") == 0, "grandchild is not a direct child");
	gt_bead_shard(shard, "bd-a1b2");
	gt_bead_shard(shard2, "bd-a1b2.3.1");
	is_str(shard, shard2, "children share their root's shard");
	gt_bead_path(&p, "bd-a1b2");
	ok(!strncmp(p.ptr, "beads/", 6) && !strcmp(p.ptr + 8, "/bd-a1b2.json"), "path %s", p.ptr);
	gt_buf_release(&p);
	return tap_done();
}
