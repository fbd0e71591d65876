/*
 * runner.h - gt-run(1): the parent of one agent run.
 *
 * A session's pane runs gt-run, which starts the agent CLI as its child
 * with an explicit environment and, for structured runtimes, speaks the
 * CLI's protocol over pipes (proto.h): it writes every line in and out to
 * the run's transcript, renders it readably in the pane (so peeking and
 * attaching still show the work), delivers queued nudges through the
 * input stream when a turn has ended, re-primes after a compaction,
 * counts usage, and ends the run when the polecat's hook is empty (gt-done
 * ran).  A rate-limited runtime is put in a throttle window and the work
 * goes on with the next runtime of the rig's chain; a failed run is
 * retried with exponential backoff up to rig.max-attempts, then the bead
 * is released and escalated.  The run's record (flow/usage.h) is written
 * when it ends.  Interactive (tty) runtimes are run as the pane's
 * foreground job and waited for.
 */
#ifndef GT_RUNNER_H
#define GT_RUNNER_H

#include "store/ops.h"
#include "town/town.h"

/* Run the agent of run id: gt-run's whole life.  *status gets the exit
 * status gt-run should end with. */
int gt_runner_main(int *status, struct gt_ctx *ctx, struct gt_town *t, const char *run);

#endif
