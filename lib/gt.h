/*
 * gt.h - umbrella header for libgt.
 */
#ifndef GT_GT_H
#define GT_GT_H

#include "bead.h"
#include "buf.h"
#include "config.h"
#include "batch.h"
#include "beadsio.h"
#include "error.h"
#include "feed.h"
#include "file.h"
#include "flow.h"
#include "format.h"
#include "formula.h"
#include "graph.h"
#include "id.h"
#include "index.h"
#include "json.h"
#include "ledger.h"
#include "map.h"
#include "ops.h"
#include "options.h"
#include "proc.h"
#include "query.h"
#include "repo.h"
#include "verify.h"
#include "agent.h"
#include "mail.h"
#include "molecule.h"
#include "nudge.h"
#include "runtime.h"
#include "session.h"
#include "toml.h"
#include "town.h"
#include "worker.h"
#include "workspace.h"

#endif
