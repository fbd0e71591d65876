/*
 * floor.c - the process floor of a gt command.
 *
 * usage: floor [REPO]
 *
 * Does the least work every gt command does: links the same libraries,
 * initialises libgit2 through gt_git_init() (so it gets the commands' skip
 * of the system CA bundle), opens the repository containing REPO (default
 * "."), resolves refs/gt/ledger, and shuts down.  Prints nothing; exits 1
 * if the repository or the ref is missing.  No command can be faster than
 * this, so it is the floor column of bench/ledger.
 */
#include <git2.h>

#include "store/repo.h"
#include "base/banned.h"

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	git_oid oid;
	int rc = 1;

	if (gt_git_init() < 0)
		return 1;
	if (git_repository_open_ext(&repo, argc > 1 ? argv[1] : ".", 0, NULL) == 0 &&
	    git_reference_name_to_id(&oid, repo, "refs/gt/ledger") == 0)
		rc = 0;
	git_repository_free(repo);
	gt_git_shutdown();
	return rc;
}
