# ready-oracle.jq - Beads' ready/blocked rules written a second time, in
# jq, over raw Beads issues (an array; dependencies embedded).  Used by the
# tests as an independent answer to compare gt-ready and gt-blocked with.
#
#   jq -s --argjson now EPOCH --arg mode ready|blocked -f ready-oracle.jq
#
# blocked: a blocks/conditional-blocks edge to an existing bead that is not
# closed, tombstoned or pinned; a waits-for edge whose spawner still has
# pending children (any-children: until one is done); or a parent (through
# parent-child) that is blocked.  ready: open, not blocked, not pinned or
# ephemeral, not deferred (nor its parent), not an internal type, id
# without -mol- / -wisp-.

def st: (.status // "open") | if . == "" then "open" else . end;
def inactive: . == "closed" or . == "tombstone" or . == "pinned";
def deps: (.dependencies // []);
def meta: (.metadata // {}) | if type == "string" then (try fromjson catch {}) else . end;
def when: if . == null or . == "" then null else (.[0:19] + "Z" | fromdateiso8601) end;

(map({key: .id, value: .}) | from_entries) as $by
| (reduce .[] as $b ({};
      reduce ($b | deps[] | select(.type == "parent-child") | .depends_on_id) as $p
        (.; .[$p] += [$b.id]))) as $kids
| def pending($s): [($kids[$s] // [])[] | $by[.] | select(st | inactive | not)] | length;
  def done($s): [($kids[$s] // [])[] | $by[.] | select(st == "closed" or st == "tombstone")] | length;
  def open_target($t): ($by[$t] // null) as $x | $x != null and ($x | st | inactive | not);
  def waits_blocked($d):
    (($d | meta | .spawner_id) // $d.depends_on_id) as $s
    | pending($s) > 0 and ((($d | meta | .gate) == "any-children" and done($s) > 0) | not);
  def direct_blockers($b):
    [$b | deps[]
     | select(((.type == "blocks" or .type == "conditional-blocks") and open_target(.depends_on_id))
              or (.type == "waits-for" and waits_blocked(.)))
     | .depends_on_id];
  def parents($b): [$b | deps[] | select(.type == "parent-child") | .depends_on_id];
  ([.[] | select((direct_blockers(.) | length) > 0) | .id]
   | map({key: ., value: true}) | from_entries) as $direct
  | ({set: $direct, grew: true}
     | until(.grew | not;
         .set as $s
         | ([$by[] | select($s[.id] | not) | select(any(parents(.)[]; $s[.] == true)) | .id]) as $new
         | {set: ($s + ([$new[] | {key: ., value: true}] | from_entries)), grew: ($new | length > 0)})
     | .set) as $blocked
  | if $mode == "ready" then
      [.[] | select(st == "open" and ($blocked[.id] | not)
               and ((.pinned // false) | not) and ((.ephemeral // false) | not)
               and ((.issue_type // "task") as $t
                    | ["merge-request","gate","molecule","message","agent","role","rig"]
                    | index($t) | not)
               and ((.id | contains("-mol-")) | not) and ((.id | contains("-wisp-")) | not)
               and ((.defer_until | when) as $d | $d == null or $d <= $now)
               and all(parents(.)[]; (($by[.] // {}).defer_until | when) as $d | $d == null or $d <= $now))
       | .id] | sort[]
    else
      [.[] | select((st | inactive | not) and $blocked[.id])
       | (direct_blockers(.)) as $d
       | [.id, (if ($d | length) > 0 then $d
                else [parents(.)[] | select($blocked[.] == true)] end | join(","))]
       | @tsv] | sort[]
    end
